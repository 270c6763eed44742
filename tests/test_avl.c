/* SPDX-License-Identifier: MIT */
/*
 * AVL tree (lib/base/avl.h) against a model: seeded random inserts (by
 * descent and after a known neighbour), removes and changes of a node's
 * own augmented input.  After every operation:
 * parent links, heights and balance at every node (avl_check()), the
 * augmented value (the subtree's largest val) at every node, the in-order
 * walk both ways against the model.  The augmentation is a maximum, which
 * often stays the same, so the retraces' early stops are exercised.
 */
#include "base/avl.h"

#define TM_NODE avl_node
#define TM_TREE avl_tree
#define TM_CHECK(root) avl_check(root, NULL)
#define TM_FIRST avl_first
#define TM_NEXT avl_next
#define TM_PREV avl_prev
#include "tree_model.h"

/* Insert @x (key set) by a descent from the root. */
static void insert_descent(struct model *m, struct item *x)
{
	struct avl_node **link = &m->t.root, *parent = NULL;

	while (*link) {
		parent = *link;
		link = x->key < item(parent)->key ? &parent->left : &parent->right;
	}
	avl_insert(&m->t, parent, link, &x->node);
}

/* Insert @x right after live @pos (@after) or after @pos's predecessor,
 * with a key between the two; false if there is no predecessor or no key
 * is free there. */
static bool insert_next_to(struct model *m, struct item *pos, struct item *x,
			   bool after)
{
	struct avl_node *nb = after ? avl_next(&pos->node) : avl_prev(&pos->node);
	uint64_t lo = after ? pos->key : (nb ? item(nb)->key : 0);
	uint64_t hi = after ? (nb ? item(nb)->key : UINT64_MAX) : pos->key;

	if (hi - lo < 2 || (!after && !nb))
		return false;
	x->key = lo + (hi - lo) / 2;
	if (!after)
		pos = item(nb);
	avl_insert_after(&m->t, &pos->node, &x->node);
	return true;
}

static void run(uint64_t seed, unsigned int ops, unsigned int key_space)
{
	static struct model model;
	struct model *m = &model;
	uint64_t rng = seed;

	memset(m, 0, sizeof(*m));
	avl_init(&m->t, augment);
	for (unsigned int op = 0; op < ops; op++) {
		unsigned int what = (unsigned int)rng_below(&rng, 10);
		struct item *x, *pos;
		int slot;

		/* Grow while small, shrink while large, so both phases
		 * (and an empty tree) are visited. */
		if (m->nlive < 8 && what >= 6)
			what = 0;
		if (m->nlive > SLOTS - 8 && what < 4)
			what = 6;
		if (what < 4) {
			slot = free_slot(m, &rng);
			x = &m->items[slot];
			x->val = rng_below(&rng, 1000);
			pos = live_item(m, &rng);
			if (what < 2 || !pos ||
			    !insert_next_to(m, pos, x, what == 2)) {
				do
					x->key = rng_below(&rng, key_space);
				while (key_taken(m, x->key));
				insert_descent(m, x);
			}
			m->live[slot] = true;
			m->nlive++;
		} else if (what < 8) {
			if (!(x = live_item(m, &rng)))
				continue;
			avl_remove(&m->t, &x->node);
			assert_null(x->node.parent);
			m->live[x - m->items] = false;
			m->nlive--;
		} else {
			if (!(x = live_item(m, &rng)))
				continue;
			x->val = rng_below(&rng, 1000);
			avl_propagate(&m->t, &x->node);
		}
		check(m);
	}
}

static void test_random_against_model(void **state)
{
	(void)state;
	/* Dense keys (many neighbours without room) and sparse ones. */
	run(0x5eed, 60000, 1u << 12);
	run(0xa11, 60000, UINT32_MAX);
}

/* Sorted inserts (a rotation at almost every step) and removal of the
 * root each time (the successor moved into the root's place). */
static void test_sorted_and_root_removal(void **state)
{
	static struct model model;
	struct model *m = &model;

	(void)state;
	memset(m, 0, sizeof(*m));
	avl_init(&m->t, augment);
	for (unsigned int i = 0; i < SLOTS; i++) {
		m->items[i].key = i;
		m->items[i].val = (i * 7919u) % 1000;
		insert_descent(m, &m->items[i]);
		m->live[i] = true;
		m->nlive++;
		check(m);
	}
	/* A full tree of 1024 is at most 1.44 log2 n high. */
	assert_true(m->t.root->height <= 15);
	while (m->t.root) {
		struct item *x = item(m->t.root);

		avl_remove(&m->t, &x->node);
		m->live[x - m->items] = false;
		m->nlive--;
		check(m);
	}
	assert_int_equal(m->nlive, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_sorted_and_root_removal),
	};

	return cmocka_run_group_tests_name("avl", tests, NULL, NULL);
}
