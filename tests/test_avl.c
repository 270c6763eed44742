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
#define TM_INIT(t) avl_init(t, augment)
#define TM_REMOVE(t, n) avl_remove(t, n)
#define TM_PROPAGATE(t, n) avl_propagate(t, n)
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

static void test_random_against_model(void **state)
{
	(void)state;
	/* Dense keys (many neighbours without room) and sparse ones. */
	tm_run(0x5eed, 60000, 1u << 12);
	tm_run(0xa11, 60000, UINT32_MAX);
}

/* Sorted inserts (a rotation at almost every step) and removal of the
 * root each time (the successor moved into the root's place). */
static void test_sorted_and_root_removal(void **state)
{
	struct model *m;

	(void)state;
	m = tm_fill_sorted();
	/* A full tree of 1024 is at most 1.44 log2 n high. */
	assert_true(m->t.root->height <= 15);
	tm_drain_root(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_sorted_and_root_removal),
	};

	return cmocka_run_group_tests_name("avl", tests, NULL, NULL);
}
