/* SPDX-License-Identifier: MIT */
/*
 * The model under the tree tests (test_avl.c, test_rbtree.c): items with
 * a unique key and an augmented maximum of their val, the slots they live
 * in, and check(), which verifies the whole tree after an operation: the
 * tree's own check (TM_CHECK: links and balance), the augmented value at
 * every node recomputed from scratch, and the in-order walk both ways
 * against the live slots.  The including file defines TM_NODE and TM_TREE
 * (the node and tree types, the node linked as item.node) and TM_CHECK,
 * TM_FIRST, TM_NEXT and TM_PREV.
 */
#ifndef GTT_TESTS_TREE_MODEL_H
#define GTT_TESTS_TREE_MODEL_H

#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define SLOTS 1024

struct item {
	struct TM_NODE node;
	uint64_t key;		/* unique among live items */
	uint64_t val;		/* the node's own augmented input */
	uint64_t max;		/* largest val in the subtree */
};

static inline struct item *item(const struct TM_NODE *n)
{
	return n ? container_of(n, struct item, node) : NULL;
}

static inline bool augment(struct TM_NODE *n)
{
	struct item *x = item(n), *l = item(n->left), *r = item(n->right);
	uint64_t m = x->val;

	if (l && l->max > m)
		m = l->max;
	if (r && r->max > m)
		m = r->max;
	if (m == x->max)
		return false;
	x->max = m;
	return true;
}

struct model {
	struct TM_TREE t;
	struct item items[SLOTS];
	bool live[SLOTS];
	unsigned int nlive;
};

/* Every node's augmented value from scratch; the subtree's node count. */
static inline uint64_t check_augment(const struct TM_NODE *n, uint64_t *max)
{
	uint64_t lm = 0, rm = 0, c;

	if (!n) {
		*max = 0;
		return 0;
	}
	c = 1 + check_augment(n->left, &lm) + check_augment(n->right, &rm);
	*max = item(n)->val;
	*max = lm > *max ? lm : *max;
	*max = rm > *max ? rm : *max;
	assert_int_equal(item(n)->max, *max);
	return c;
}

static inline void check(struct model *m)
{
	struct TM_NODE *n, *last = NULL;
	uint64_t max, count = 0;

	assert_true(TM_CHECK(m->t.root) >= 0);
	assert_int_equal(check_augment(m->t.root, &max), m->nlive);
	for (n = TM_FIRST(&m->t); n; last = n, n = TM_NEXT(n)) {
		size_t idx = (size_t)(item(n) - m->items);

		assert_true(idx < SLOTS && m->live[idx]);
		if (last) {
			assert_true(item(last)->key < item(n)->key);
			assert_ptr_equal(TM_PREV(n), last);
		} else {
			assert_null(TM_PREV(n));
		}
		count++;
	}
	assert_int_equal(count, m->nlive);
}

static inline int height(const struct TM_NODE *n)
{
	int l, r;

	if (!n)
		return 0;
	l = height(n->left);
	r = height(n->right);
	return 1 + (l > r ? l : r);
}

static inline int free_slot(struct model *m, uint64_t *rng)
{
	unsigned int i = (unsigned int)rng_below(rng, SLOTS);

	for (unsigned int k = 0; k < SLOTS; k++, i = (i + 1) % SLOTS)
		if (!m->live[i])
			return (int)i;
	return -1;
}

static inline struct item *live_item(struct model *m, uint64_t *rng)
{
	unsigned int i = (unsigned int)rng_below(rng, SLOTS);

	for (unsigned int k = 0; k < SLOTS; k++, i = (i + 1) % SLOTS)
		if (m->live[i])
			return &m->items[i];
	return NULL;
}

static inline bool key_taken(struct model *m, uint64_t key)
{
	for (unsigned int i = 0; i < SLOTS; i++)
		if (m->live[i] && m->items[i].key == key)
			return true;
	return false;
}

#endif
