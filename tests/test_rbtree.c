/* SPDX-License-Identifier: MIT */
/*
 * Red-black tree (lib/base/rbtree.h) against a model: seeded random
 * inserts (by descent, after and before a known neighbour), removes,
 * replacements of a node by another with the same place, and changes of a
 * node's own augmented input.  After every operation: parent links,
 * colours and black heights at every node (rb_check()), the
 * augmented value (the subtree's largest val) at every node, the in-order
 * walk both ways against the model.  The augmentation is a maximum, which
 * often stays the same, so the retraces' early stops are exercised; once
 * more with the maximum raised in the descent (rb_insert_raised()).
 */
#include "base/rbtree.h"

#define TM_NODE rb_node
#define TM_TREE rb_tree
#define TM_CHECK(root) rb_check(root, NULL)
#define TM_FIRST rb_first
#define TM_NEXT rb_next
#define TM_PREV rb_prev
#define TM_INIT(t) rb_init(t)
#define TM_REMOVE(t, n) rb_erase_with(t, n, augment)
#define TM_PROPAGATE(t, n) ((void)(t), rb_propagate_with(n, augment))
#define TM_REPLACE(t, old, new) rb_replace(t, old, new)
#include "tree_model.h"

/* Set: insert_descent() raises each passed node's maximum itself and
 * links with rb_insert_raised() (no refresh) instead of rb_insert_with(). */
static bool raise_in_descent;

/* Insert @x (key and val set) by a descent from the root. */
static void insert_descent(struct model *m, struct item *x)
{
	struct rb_node **link = &m->t.root, *parent = NULL;

	while (*link) {
		parent = *link;
		if (raise_in_descent && item(parent)->max < x->val)
			item(parent)->max = x->val;
		link = x->key < item(parent)->key ? &parent->left : &parent->right;
	}
	if (raise_in_descent)
		rb_insert_raised(&m->t, parent, link, &x->node, augment);
	else
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
	/* 1024 nodes are at most 2 log2(n + 1) high. */
	assert_true(height(m->t.root) <= 20);
	tm_drain_root(m);
}

/*
 * The same with the maximum raised in the descent (rb_insert_raised(), as
 * the range allocator's hole trees insert): the rotations alone must keep
 * every summary right.  Fails if rb_insert_raised() skipped the new node's
 * own summary or a rotation's recompute, or refreshed nothing while the
 * descent raised nothing.
 */
static void test_raised_in_descent(void **state)
{
	struct model *m;

	(void)state;
	raise_in_descent = true;
	tm_run(0x5eed, 60000, 1u << 12);
	tm_run(0xa11, 60000, UINT32_MAX);
	m = tm_fill_sorted();
	tm_drain_root(m);
	raise_in_descent = false;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_sorted_and_root_removal),
		cmocka_unit_test(test_raised_in_descent),
	};

	return cmocka_run_group_tests_name("rbtree", tests, NULL, NULL);
}
