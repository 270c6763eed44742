/* SPDX-License-Identifier: MIT */
/*
 * Interval tree against a brute-force model: a million seeded random
 * inserts, removes and overlap queries, with structural checks.
 */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "base/interval_tree.h"

#define SLOTS 4096

struct model {
	struct itree it;
	struct itree_node nodes[SLOTS];
	bool live[SLOTS];
	unsigned int nlive;
};

static void random_range(uint64_t *rng, uint64_t *start, uint64_t *last)
{
	/* Mostly a dense 1M window (many overlaps), some huge or edge ranges. */
	switch (rng_below(rng, 16)) {
	case 0:
		*start = UINT64_MAX - rng_below(rng, 1000);
		*last = UINT64_MAX;
		break;
	case 1:
		*start = rng_below(rng, 1000);
		*last = *start + rng_below(rng, UINT64_MAX / 2);
		break;
	default:
		*start = rng_below(rng, 1u << 20);
		*last = *start + rng_below(rng, 4096);
	}
}

static void query_and_compare(struct model *m, uint64_t s, uint64_t l)
{
	bool seen[SLOTS] = { false };
	unsigned int expect = 0, got = 0;
	uint64_t prev_start = 0;

	for (unsigned int i = 0; i < SLOTS; i++)
		if (m->live[i] && m->nodes[i].start <= l && m->nodes[i].last >= s)
			expect++;
	for (struct itree_node *n = itree_first(&m->it, s, l); n;
	     n = itree_next(n, s, l)) {
		size_t idx = (size_t)(n - m->nodes);

		assert_true(idx < SLOTS && m->live[idx]);
		assert_false(seen[idx]);
		seen[idx] = true;
		assert_true(n->start <= l && n->last >= s);
		assert_true(n->start >= prev_start);	/* in start order */
		prev_start = n->start;
		got++;
	}
	assert_int_equal(got, expect);
}

static void test_random_against_model(void **state)
{
	struct model *m = calloc(1, sizeof(*m));
	uint64_t rng = 0x1234567;
	const unsigned long ops = 1000000;

	(void)state;
	assert_non_null(m);
	itree_init(&m->it);
	for (unsigned long op = 0; op < ops; op++) {
		unsigned int i = (unsigned int)rng_below(&rng, SLOTS);
		uint64_t s, l;

		switch (rng_below(&rng, 3)) {
		case 0:	/* insert or remove slot i */
			if (m->live[i]) {
				itree_remove(&m->it, &m->nodes[i]);
				m->live[i] = false;
				m->nlive--;
			} else {
				random_range(&rng, &m->nodes[i].start, &m->nodes[i].last);
				itree_insert(&m->it, &m->nodes[i]);
				m->live[i] = true;
				m->nlive++;
			}
			break;
		case 1: { /* single first-overlap query (cheap) */
			struct itree_node *n;
			uint64_t best = UINT64_MAX;
			bool any = false;

			random_range(&rng, &s, &l);
			for (unsigned int k = 0; k < SLOTS; k += 1)
				if (m->live[k] && m->nodes[k].start <= l &&
				    m->nodes[k].last >= s &&
				    m->nodes[k].start <= best) {
					best = m->nodes[k].start;
					any = true;
				}
			n = itree_first(&m->it, s, l);
			assert_int_equal(n != NULL, any);
			if (n)
				assert_true(n->start == best);
			break;
		}
		default: /* full enumeration, less often */
			if (op % 64 == 0) {
				random_range(&rng, &s, &l);
				query_and_compare(m, s, l);
			}
		}
		assert_int_equal(m->it.count, m->nlive);
		if (op % 50000 == 0)
			assert_int_equal(itree_check(&m->it), 0);
	}
	assert_int_equal(itree_check(&m->it), 0);
	query_and_compare(m, 0, UINT64_MAX);
	free(m);
}

static void test_edges(void **state)
{
	struct itree it;
	struct itree_node a = { .start = 0, .last = 0 };
	struct itree_node b = { .start = UINT64_MAX, .last = UINT64_MAX };
	struct itree_node c = { .start = 10, .last = 20 };

	(void)state;
	itree_init(&it);
	assert_null(itree_first(&it, 0, UINT64_MAX));
	itree_insert(&it, &a);
	itree_insert(&it, &b);
	itree_insert(&it, &c);
	assert_ptr_equal(itree_first(&it, 0, 0), &a);
	assert_ptr_equal(itree_first(&it, UINT64_MAX, UINT64_MAX), &b);
	assert_ptr_equal(itree_first(&it, 20, 20), &c);
	assert_null(itree_first(&it, 21, 100));
	assert_null(itree_first(&it, 1, 9));
	assert_ptr_equal(itree_next(&a, 0, UINT64_MAX), &c);
	assert_ptr_equal(itree_next(&c, 0, UINT64_MAX), &b);
	assert_null(itree_next(&b, 0, UINT64_MAX));
	itree_remove(&it, &c);
	assert_null(itree_first(&it, 10, 20));
	assert_int_equal(itree_check(&it), 0);
}

static bool even_slot(const struct itree_node *n, void *arg)
{
	const struct model *m = arg;

	return (n - m->nodes) % 2 == 0;
}

/* The lock-free count (no writer running) agrees with a full scan. */
static void test_count_rcu(void **state)
{
	static struct model model;
	struct model *m = &model;
	uint64_t rng = 0xfeed;

	(void)state;
	memset(m, 0, sizeof(*m));
	itree_init(&m->it);
	for (unsigned int i = 0; i < SLOTS; i++) {
		random_range(&rng, &m->nodes[i].start, &m->nodes[i].last);
		itree_insert(&m->it, &m->nodes[i]);
		m->live[i] = true;
	}
	for (unsigned int i = 0; i < SLOTS; i += 3) {
		itree_remove(&m->it, &m->nodes[i]);
		m->live[i] = false;
	}
	assert_int_equal(itree_count_rcu(&m->it, 0, UINT64_MAX, even_slot, m) >= 0, 1);
	for (int q = 0; q < 2000; q++) {
		uint64_t s, l;
		long expect = 0;

		random_range(&rng, &s, &l);
		for (unsigned int i = 0; i < SLOTS; i++)
			expect += m->live[i] && i % 2 == 0 &&
				  m->nodes[i].start <= l && m->nodes[i].last >= s;
		assert_int_equal(itree_count_rcu(&m->it, s, l, even_slot, m), expect);
	}
	itree_init(&m->it);
	assert_int_equal(itree_count_rcu(&m->it, 0, UINT64_MAX, even_slot, m), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_count_rcu),
	};

	return cmocka_run_group_tests_name("interval_tree", tests, NULL, NULL);
}
