/* SPDX-License-Identifier: MIT */
/*
 * AVL tree (lib/base/avl.h) against a model: seeded random inserts (by
 * descent, after and before a known neighbour), removes and changes of a
 * node's own augmented input, through both forms (the tree's augment
 * pointer and the inline avl_*_with() forms).  After every operation:
 * parent links, heights and balance at every node (avl_check()), the
 * augmented value (the subtree's largest val) at every node, the in-order
 * walk both ways against the model.  The augmentation is a maximum, which
 * often stays the same, so the retraces' early stops are exercised.
 */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "base/avl.h"

#define SLOTS 1024

struct item {
	struct avl_node avl;
	uint64_t key;		/* unique among live items */
	uint64_t val;		/* the node's own augmented input */
	uint64_t max;		/* largest val in the subtree */
};

static struct item *item(const struct avl_node *n)
{
	return n ? container_of(n, struct item, avl) : NULL;
}

static bool augment(struct avl_node *n)
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
	struct avl_tree t;
	struct item items[SLOTS];
	bool live[SLOTS];
	unsigned int nlive;
};

/* Every node's augmented value from scratch; the subtree's node count. */
static uint64_t check_augment(const struct avl_node *n, uint64_t *max)
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

static void check(struct model *m)
{
	struct avl_node *n, *last = NULL;
	uint64_t max, count = 0;

	assert_true(avl_check(m->t.root, NULL) >= 0);
	assert_int_equal(check_augment(m->t.root, &max), m->nlive);
	for (n = avl_first(&m->t); n; last = n, n = avl_next(n)) {
		size_t idx = (size_t)(item(n) - m->items);

		assert_true(idx < SLOTS && m->live[idx]);
		if (last) {
			assert_true(item(last)->key < item(n)->key);
			assert_ptr_equal(avl_prev(n), last);
		} else {
			assert_null(avl_prev(n));
		}
		count++;
	}
	assert_int_equal(count, m->nlive);
}

static int free_slot(struct model *m, uint64_t *rng)
{
	unsigned int i = (unsigned int)rng_below(rng, SLOTS);

	for (unsigned int k = 0; k < SLOTS; k++, i = (i + 1) % SLOTS)
		if (!m->live[i])
			return (int)i;
	return -1;
}

static struct item *live_item(struct model *m, uint64_t *rng)
{
	unsigned int i = (unsigned int)rng_below(rng, SLOTS);

	for (unsigned int k = 0; k < SLOTS; k++, i = (i + 1) % SLOTS)
		if (m->live[i])
			return &m->items[i];
	return NULL;
}

static bool key_taken(struct model *m, uint64_t key)
{
	for (unsigned int i = 0; i < SLOTS; i++)
		if (m->live[i] && m->items[i].key == key)
			return true;
	return false;
}

/* Insert @x (key set) by a descent from the root. */
static void insert_descent(struct model *m, struct item *x, bool inline_form)
{
	struct avl_node **link = &m->t.root, *parent = NULL;

	while (*link) {
		parent = *link;
		link = x->key < item(parent)->key ? &parent->left : &parent->right;
	}
	if (inline_form)
		avl_insert_with(&m->t, parent, link, &x->avl, augment);
	else
		avl_insert(&m->t, parent, link, &x->avl);
}

/* Insert @x right after (@after) or before live @pos, with a key between
 * @pos and that neighbour; false if no key is free there. */
static bool insert_next_to(struct model *m, struct item *pos, struct item *x,
			   bool after, bool inline_form)
{
	struct avl_node *nb = after ? avl_next(&pos->avl) : avl_prev(&pos->avl);
	uint64_t lo = after ? pos->key : (nb ? item(nb)->key : 0);
	uint64_t hi = after ? (nb ? item(nb)->key : UINT64_MAX) : pos->key;

	if (hi - lo < 2)
		return false;
	x->key = lo + (hi - lo) / 2;
	if (after && inline_form)
		avl_insert_after_with(&m->t, &pos->avl, &x->avl, augment);
	else if (after)
		avl_insert_after(&m->t, &pos->avl, &x->avl);
	else
		avl_insert_before_with(&m->t, &pos->avl, &x->avl, augment);
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
		bool inline_form = rng_below(&rng, 2);
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
			    !insert_next_to(m, pos, x, what == 2, inline_form)) {
				do
					x->key = rng_below(&rng, key_space);
				while (key_taken(m, x->key));
				insert_descent(m, x, inline_form);
			}
			m->live[slot] = true;
			m->nlive++;
		} else if (what < 8) {
			if (!(x = live_item(m, &rng)))
				continue;
			if (inline_form)
				avl_remove_with(&m->t, &x->avl, augment);
			else
				avl_remove(&m->t, &x->avl);
			assert_null(x->avl.parent);
			m->live[x - m->items] = false;
			m->nlive--;
		} else {
			if (!(x = live_item(m, &rng)))
				continue;
			x->val = rng_below(&rng, 1000);
			if (inline_form)
				avl_propagate_with(&x->avl, augment);
			else
				avl_propagate(&m->t, &x->avl);
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
		insert_descent(m, &m->items[i], i % 2);
		m->live[i] = true;
		m->nlive++;
		check(m);
	}
	/* A full tree of 1024 is at most 1.44 log2 n high. */
	assert_true(m->t.root->height <= 15);
	while (m->t.root) {
		struct item *x = item(m->t.root);

		avl_remove_with(&m->t, &x->avl, augment);
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
