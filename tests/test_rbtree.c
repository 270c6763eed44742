/* SPDX-License-Identifier: MIT */
/*
 * Red-black tree (lib/base/rbtree.h) against a model: seeded random
 * inserts (by descent, after and before a known neighbour), removes,
 * replacements of a node by another with the same place, and changes of a
 * node's own augmented input.  After every operation: parent links,
 * colours and black heights at every node (rb_check()), the
 * augmented value (the subtree's largest val) at every node, the in-order
 * walk both ways against the model.  The augmentation is a maximum, which
 * often stays the same, so the retraces' early stops are exercised.
 */
#include "base/rbtree.h"

#define TM_NODE rb_node
#define TM_TREE rb_tree
#define TM_CHECK(root) rb_check(root, NULL)
#define TM_FIRST rb_first
#define TM_NEXT rb_next
#define TM_PREV rb_prev
#include "tree_model.h"

/* Insert @x (key set) by a descent from the root. */
static void insert_descent(struct model *m, struct item *x)
{
	struct rb_node **link = &m->t.root, *parent = NULL;

	while (*link) {
		parent = *link;
		link = x->key < item(parent)->key ? &parent->left : &parent->right;
	}
	rb_insert_with(&m->t, parent, link, &x->node, augment);
}

/* Insert @x right after (@after) or before live @pos, with a key between
 * @pos and that neighbour; false if no key is free there. */
static bool insert_next_to(struct model *m, struct item *pos, struct item *x,
			   bool after)
{
	struct rb_node *nb = after ? rb_next(&pos->node) : rb_prev(&pos->node);
	uint64_t lo = after ? pos->key : (nb ? item(nb)->key : 0);
	uint64_t hi = after ? (nb ? item(nb)->key : UINT64_MAX) : pos->key;

	if (hi - lo < 2)
		return false;
	x->key = lo + (hi - lo) / 2;
	if (after)
		rb_insert_after_with(&m->t, &pos->node, &x->node, augment);
	else
		rb_insert_before_with(&m->t, &pos->node, &x->node, augment);
	return true;
}

static void run(uint64_t seed, unsigned int ops, unsigned int key_space)
{
	static struct model model;
	struct model *m = &model;
	uint64_t rng = seed;

	memset(m, 0, sizeof(*m));
	rb_init(&m->t);
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
			rb_erase_with(&m->t, &x->node, augment);
			assert_null(x->node.parent);
			m->live[x - m->items] = false;
			m->nlive--;
		} else if (what < 9) {
			if (!(x = live_item(m, &rng)))
				continue;
			x->val = rng_below(&rng, 1000);
			rb_propagate_with(&x->node, augment);
		} else {
			/* Another item takes x's place (same key), with its
			 * own val: the summary is set, then propagated. */
			if (!(x = live_item(m, &rng)) || (slot = free_slot(m, &rng)) < 0)
				continue;
			pos = &m->items[slot];
			pos->key = x->key;
			pos->val = rng_below(&rng, 1000);
			rb_replace(&m->t, &x->node, &pos->node);
			pos->max = x->max;
			rb_propagate_with(&pos->node, augment);
			assert_null(x->node.parent);
			m->live[x - m->items] = false;
			m->live[slot] = true;
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
	rb_init(&m->t);
	for (unsigned int i = 0; i < SLOTS; i++) {
		m->items[i].key = i;
		m->items[i].val = (i * 7919u) % 1000;
		insert_descent(m, &m->items[i]);
		m->live[i] = true;
		m->nlive++;
		check(m);
	}
	/* 1024 nodes are at most 2 log2(n + 1) high. */
	assert_true(height(m->t.root) <= 20);
	while (m->t.root) {
		struct item *x = item(m->t.root);

		rb_erase_with(&m->t, &x->node, augment);
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

	return cmocka_run_group_tests_name("rbtree", tests, NULL, NULL);
}
