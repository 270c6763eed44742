/* SPDX-License-Identifier: MIT */
/*
 * The model under the tree tests (test_avl.c, test_rbtree.c): items with
 * a unique key and an augmented maximum of their val, the slots they live
 * in, and check(), which verifies the whole tree after an operation: the
 * tree's own check (TM_CHECK: links and balance), the augmented value at
 * every node recomputed from scratch, and the in-order walk both ways
 * against the live slots; and the two drivers both tests run (tm_run():
 * seeded random operations; tm_fill_sorted() / tm_drain_root()).  The
 * including file defines TM_NODE and TM_TREE (the node and tree types, the
 * node linked as item.node), TM_CHECK, TM_FIRST, TM_NEXT and TM_PREV,
 * TM_INIT(tree), TM_REMOVE(tree, node) and TM_PROPAGATE(tree, node), and
 * TM_REPLACE(tree, old, new) if the tree can replace a node in place; and
 * after the include, insert_descent() and insert_next_to().
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

/* Insert @x (key set) by a descent from the root. */
static void insert_descent(struct model *m, struct item *x);
/* Insert @x next to live @pos (@after: right after it) with a key between
 * @pos and that neighbour; false if it cannot (the test's own rule). */
static bool insert_next_to(struct model *m, struct item *pos, struct item *x,
			   bool after);

/* @ops seeded random inserts (by descent and next to a live node),
 * removes, changes of a node's own val and, with TM_REPLACE, replacements
 * of a node by another with the same key; check() after each. */
static inline void tm_run(uint64_t seed, unsigned int ops, unsigned int key_space)
{
	static struct model model;
	struct model *m = &model;
	uint64_t rng = seed;

	memset(m, 0, sizeof(*m));
	TM_INIT(&m->t);
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
			TM_REMOVE(&m->t, &x->node);
			assert_null(x->node.parent);
			m->live[x - m->items] = false;
			m->nlive--;
#ifdef TM_REPLACE
		} else if (what < 9) {
#else
		} else {
#endif
			if (!(x = live_item(m, &rng)))
				continue;
			x->val = rng_below(&rng, 1000);
			TM_PROPAGATE(&m->t, &x->node);
#ifdef TM_REPLACE
		} else {
			/* Another item takes x's place (same key), with its
			 * own val: the summary is set, then propagated. */
			if (!(x = live_item(m, &rng)) || (slot = free_slot(m, &rng)) < 0)
				continue;
			pos = &m->items[slot];
			pos->key = x->key;
			pos->val = rng_below(&rng, 1000);
			TM_REPLACE(&m->t, &x->node, &pos->node);
			pos->max = x->max;
			TM_PROPAGATE(&m->t, &pos->node);
			assert_null(x->node.parent);
			m->live[x - m->items] = false;
			m->live[slot] = true;
#endif
		}
		check(m);
	}
}

/* A tree of all SLOTS items inserted in key order (a rotation at almost
 * every step), checked after each insert. */
static inline struct model *tm_fill_sorted(void)
{
	static struct model model;
	struct model *m = &model;

	memset(m, 0, sizeof(*m));
	TM_INIT(&m->t);
	for (unsigned int i = 0; i < SLOTS; i++) {
		m->items[i].key = i;
		m->items[i].val = (i * 7919u) % 1000;
		insert_descent(m, &m->items[i]);
		m->live[i] = true;
		m->nlive++;
		check(m);
	}
	return m;
}

/* Remove the root until the tree is empty (the successor moved into the
 * root's place each time), checked after each removal. */
static inline void tm_drain_root(struct model *m)
{
	while (m->t.root) {
		struct item *x = item(m->t.root);

		TM_REMOVE(&m->t, &x->node);
		m->live[x - m->items] = false;
		m->nlive--;
		check(m);
	}
	assert_int_equal(m->nlive, 0);
}

#endif
