/* SPDX-License-Identifier: MIT */
/*
 * Range allocator: placements, alignment, colour guards, range limits,
 * fixed reservations, eviction scans, bad input, and a seeded random run
 * checked against a page-granular model after every step.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "range_alloc_internal.h"

static struct gtt_range_alloc *make(uint64_t start, uint64_t size,
				    unsigned int flags)
{
	struct gtt_range_alloc *ra = NULL;

	assert_int_equal(gtt_range_alloc_create(start, size, 0, flags, &ra), 0);
	return ra;
}

static struct gtt_range_node *put(struct gtt_range_alloc *ra, uint64_t size,
				  uint64_t align, uint32_t color,
				  enum gtt_placement pl)
{
	struct gtt_range_request r = { .size = size, .alignment = align,
				       .color = color, .placement = pl };
	struct gtt_range_node *n = NULL;

	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), 0);
	assert_int_equal(range_alloc_check(ra), 0);
	return n;
}

static void test_placements(void **state)
{
	struct gtt_range_alloc *ra = make(0x10000, 64 * PAGE, 0);
	struct gtt_range_node *a, *b, *c, *lo, *hi, *best;

	(void)state;
	a = put(ra, PAGE, 0, 0, GTT_PLACE_LOW);
	assert_int_equal(gtt_range_node_start(a), 0x10000);
	b = put(ra, 2 * PAGE, 0, 0, GTT_PLACE_HIGH);
	assert_int_equal(gtt_range_node_start(b), 0x10000 + 62 * PAGE);
	/* Holes: [1, 62) pages.  Make a 3-page hole at 1..4 and a big one after. */
	c = put(ra, 3 * PAGE, 0, 0, GTT_PLACE_LOW);
	assert_int_equal(gtt_range_node_start(c), 0x10000 + PAGE);
	lo = put(ra, PAGE, 0, 0, GTT_PLACE_LOW);
	assert_int_equal(gtt_range_node_start(lo), 0x10000 + 4 * PAGE);
	assert_int_equal(gtt_range_remove(ra, c), 0);	/* 3-page hole at 1 */
	/* Best fit takes the small hole, high takes the top of the big one. */
	best = put(ra, 2 * PAGE, 0, 0, GTT_PLACE_BEST);
	assert_int_equal(gtt_range_node_start(best), 0x10000 + PAGE);
	hi = put(ra, PAGE, 0, 0, GTT_PLACE_HIGH);
	assert_int_equal(gtt_range_node_start(hi), 0x10000 + 61 * PAGE);
	assert_ptr_equal(gtt_range_lookup(ra, 0x10000 + 61 * PAGE + 5), hi);
	assert_null(gtt_range_lookup(ra, 0x10000 + 3 * PAGE));
	assert_null(gtt_range_lookup(ra, 0));
	gtt_range_alloc_destroy(ra);
}

static void test_alignment_and_limits(void **state)
{
	struct gtt_range_alloc *ra = make(0, 1024 * PAGE, 0);
	struct gtt_range_request r = { .size = PAGE, .alignment = 64 * PAGE,
				       .range_start = 100 * PAGE,
				       .range_end = 300 * PAGE };
	struct gtt_range_node *n;

	(void)state;
	put(ra, PAGE, 0, 0, GTT_PLACE_LOW);
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), 0);
	assert_int_equal(gtt_range_node_start(n), 128 * PAGE);
	r.placement = GTT_PLACE_HIGH;
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), 0);
	assert_int_equal(gtt_range_node_start(n), 256 * PAGE);
	r.placement = GTT_PLACE_BEST;
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), 0);
	assert_int_equal(gtt_range_node_start(n), 192 * PAGE);
	/* No 64-page-aligned slot left in [100, 300) pages. */
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -ENOSPC);
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
}

static void test_color_guard(void **state)
{
	struct gtt_range_alloc *ra = make(0, 16 * PAGE, GTT_RANGE_COLOR_GUARD);
	struct gtt_range_node *a, *b, *c, *n;

	(void)state;
	a = put(ra, PAGE, 0, 1, GTT_PLACE_LOW);
	assert_int_equal(gtt_range_node_start(a), 0);	/* no guard at the start */
	b = put(ra, PAGE, 0, 1, GTT_PLACE_LOW);
	assert_int_equal(gtt_range_node_start(b), PAGE); /* same colour: adjacent */
	c = put(ra, PAGE, 0, 2, GTT_PLACE_LOW);
	assert_int_equal(gtt_range_node_start(c), 3 * PAGE); /* guard page at 2 */
	/* Reserving the guard page with either colour touches a mismatch. */
	assert_int_equal(gtt_range_reserve(ra, 2 * PAGE, PAGE, 1, NULL, &n), -ENOSPC);
	assert_int_equal(gtt_range_reserve(ra, 2 * PAGE, PAGE, 2, NULL, &n), -ENOSPC);
	assert_int_equal(gtt_range_reserve(ra, 2 * PAGE, PAGE, 3, NULL, &n), -ENOSPC);
	/* Top end: a colour-2 node can sit right after c. */
	assert_int_equal(gtt_range_reserve(ra, 4 * PAGE, PAGE, 2, NULL, &n), 0);
	assert_int_equal(range_alloc_check(ra), 0);
	/* Without the flag the same sequence packs tightly. */
	gtt_range_alloc_destroy(ra);
	ra = make(0, 16 * PAGE, 0);
	put(ra, PAGE, 0, 1, GTT_PLACE_LOW);
	c = put(ra, PAGE, 0, 2, GTT_PLACE_LOW);
	assert_int_equal(gtt_range_node_start(c), PAGE);
	gtt_range_alloc_destroy(ra);
}

static void odd_pages_only(void *arg, uint32_t color, uint32_t pc, uint32_t nc,
			   uint64_t *start, uint64_t *end)
{
	(void)arg; (void)color; (void)pc; (void)nc; (void)end;
	if ((*start / PAGE) % 2 == 0)
		*start += PAGE;
}

static void test_custom_color_rule(void **state)
{
	struct gtt_range_alloc *ra = make(0, 16 * PAGE, GTT_RANGE_COLOR_GUARD);
	struct gtt_range_node *n;

	(void)state;
	assert_int_equal(gtt_range_alloc_set_color_adjust(ra, odd_pages_only, NULL), 0);
	n = put(ra, PAGE, 0, 0, GTT_PLACE_LOW);
	assert_int_equal(gtt_range_node_start(n), PAGE);
	assert_int_equal(gtt_range_alloc_set_color_adjust(ra, NULL, NULL), 0);
	n = put(ra, PAGE, 0, 0, GTT_PLACE_LOW);
	assert_int_equal(gtt_range_node_start(n), 0);
	gtt_range_alloc_destroy(ra);
}

static void test_reserve(void **state)
{
	struct gtt_range_alloc *ra = make(PAGE, 15 * PAGE, 0);
	struct gtt_range_node *a, *n;

	(void)state;
	assert_int_equal(gtt_range_reserve(ra, 4 * PAGE, 2 * PAGE, 0, NULL, &a), 0);
	assert_int_equal(gtt_range_reserve(ra, 5 * PAGE, PAGE, 0, NULL, &n), -ENOSPC);
	assert_int_equal(gtt_range_reserve(ra, 3 * PAGE, 2 * PAGE, 0, NULL, &n), -ENOSPC);
	assert_int_equal(gtt_range_reserve(ra, 6 * PAGE, PAGE, 0, NULL, &n), 0);
	assert_int_equal(gtt_range_reserve(ra, PAGE, PAGE, 0, NULL, &n), 0);
	assert_int_equal(gtt_range_reserve(ra, 15 * PAGE, PAGE, 0, NULL, &n), 0);
	/* Out of bounds, misaligned, zero, wrapping. */
	assert_int_equal(gtt_range_reserve(ra, 0, PAGE, 0, NULL, &n), -EINVAL);
	assert_int_equal(gtt_range_reserve(ra, 16 * PAGE, PAGE, 0, NULL, &n), -EINVAL);
	assert_int_equal(gtt_range_reserve(ra, 7 * PAGE + 1, PAGE, 0, NULL, &n), -EINVAL);
	assert_int_equal(gtt_range_reserve(ra, 7 * PAGE, 0, 0, NULL, &n), -EINVAL);
	assert_int_equal(gtt_range_reserve(ra, UINT64_MAX - PAGE + 1, 2 * PAGE, 0, NULL, &n), -EINVAL);
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
}

static void test_bad_input(void **state)
{
	struct gtt_range_alloc *ra = make(0, 16 * PAGE, 0);
	struct gtt_range_request r = { .size = PAGE };
	struct gtt_range_node *n = NULL;
	struct gtt_range_stats before, after;

	(void)state;
	gtt_range_alloc_stats(ra, &before);
	assert_int_equal(gtt_range_alloc_create(0, 0, 0, 0, &ra), -EINVAL);
	assert_int_equal(gtt_range_alloc_create(1, PAGE, 0, 0, &ra), -EINVAL);
	assert_int_equal(gtt_range_alloc_create(UINT64_MAX - PAGE + 1, 2 * PAGE, 0, 0, &ra), -EINVAL);
	assert_int_equal(gtt_range_alloc_create(0, PAGE, 3000, 0, &ra), -EINVAL);
	assert_int_equal(gtt_range_alloc_create(0, PAGE, 0, 0, NULL), -EINVAL);
	assert_int_equal(gtt_range_insert(ra, NULL, NULL, &n), -EINVAL);
	r.size = 0;
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -EINVAL);
	r.size = PAGE + 1;
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -EINVAL);
	r.size = PAGE;
	r.alignment = 3 * PAGE;
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -EINVAL);
	r.alignment = 0;
	r.range_start = 8 * PAGE;
	r.range_end = 4 * PAGE;
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -EINVAL);
	r.range_start = 100 * PAGE;
	r.range_end = 0;
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -EINVAL);
	r.range_start = 0;
	r.color = GTT_COLOR_NONE;
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -EINVAL);
	r.color = 0;
	r.placement = (enum gtt_placement)7;
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -EINVAL);
	r.size = 32 * PAGE;
	r.placement = GTT_PLACE_BEST;
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -ENOSPC);
	assert_int_equal(gtt_range_remove(ra, NULL), -EINVAL);
	assert_true(gtt_last_error()[0] != '\0');
	gtt_range_alloc_stats(ra, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
}

static bool all_but_pinned(void *arg, struct gtt_range_node *n)
{
	return gtt_range_node_owner(n) != arg;
}

static void test_evict_scan(void **state)
{
	struct gtt_range_alloc *ra = make(0, 8 * PAGE, 0);
	struct gtt_range_node *nodes[8], *victims[8];
	struct gtt_range_request r = { .size = 2 * PAGE };
	int pinned_tag;
	size_t n;

	(void)state;
	for (int i = 0; i < 8; i++) {
		struct gtt_range_request one = { .size = PAGE };

		assert_int_equal(gtt_range_insert(ra, &one,
						  i == 1 || i == 4 ? &pinned_tag : NULL,
						  &nodes[i]), 0);
	}
	/* Full: pages 1 and 4 pinned.  Two adjacent evictable: 2,3 (lowest). */
	assert_int_equal(gtt_range_evict_scan(ra, &r, all_but_pinned, &pinned_tag,
					      victims, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_ptr_equal(victims[0], nodes[2]);
	assert_ptr_equal(victims[1], nodes[3]);
	r.placement = GTT_PLACE_HIGH;
	assert_int_equal(gtt_range_evict_scan(ra, &r, all_but_pinned, &pinned_tag,
					      victims, 8, &n), 0);
	assert_ptr_equal(victims[0], nodes[6]);
	/* Three pages in a row exist only at 5..7. */
	r.size = 3 * PAGE;
	r.placement = GTT_PLACE_LOW;
	assert_int_equal(gtt_range_evict_scan(ra, &r, all_but_pinned, &pinned_tag,
					      victims, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_ptr_equal(victims[0], nodes[5]);
	/* Four never fit between pins; a cap of 2 victims also fails. */
	r.size = 4 * PAGE;
	assert_int_equal(gtt_range_evict_scan(ra, &r, all_but_pinned, &pinned_tag,
					      victims, 8, &n), -ENOSPC);
	r.size = 3 * PAGE;
	assert_int_equal(gtt_range_evict_scan(ra, &r, all_but_pinned, &pinned_tag,
					      victims, 2, &n), -ENOSPC);
	/* A free hole means nothing to evict. */
	gtt_range_remove(ra, nodes[0]);
	r.size = PAGE;
	assert_int_equal(gtt_range_evict_scan(ra, &r, all_but_pinned, &pinned_tag,
					      victims, 8, &n), 0);
	assert_int_equal(n, 0);
	/* Evicting what the scan chose really makes the request fit. */
	r.size = 3 * PAGE;
	assert_int_equal(gtt_range_evict_scan(ra, &r, all_but_pinned, &pinned_tag,
					      victims, 8, &n), 0);
	for (size_t i = 0; i < n; i++)
		gtt_range_remove(ra, victims[i]);
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &victims[0]), 0);
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
}

/* Random inserts/removes; a byte map of pages checks there is no overlap. */
static void test_random_against_model(void **state)
{
	enum { PAGES = 4096, MAXN = 2048 };
	struct gtt_range_alloc *ra = make(PAGE * 16, PAGES * PAGE, GTT_RANGE_COLOR_GUARD);
	struct gtt_range_node *live[MAXN];
	unsigned char owner[PAGES];
	unsigned int nlive = 0;
	uint64_t rng = 42, used = 0;

	(void)state;
	memset(owner, 0, sizeof(owner));
	for (int op = 0; op < 200000; op++) {
		if (nlive && (nlive == MAXN || rng_below(&rng, 100) < 45)) {
			unsigned int i = (unsigned int)rng_below(&rng, nlive);
			struct gtt_range_node *n = live[i];
			uint64_t first = (gtt_range_node_start(n) - 16 * PAGE) / PAGE;

			for (uint64_t p = 0; p < gtt_range_node_size(n) / PAGE; p++)
				owner[first + p] = 0;
			used -= gtt_range_node_size(n);
			assert_int_equal(gtt_range_remove(ra, n), 0);
			live[i] = live[--nlive];
		} else {
			struct gtt_range_request r = {
				.size = (1 + rng_below(&rng, 8)) * PAGE,
				.alignment = PAGE << rng_below(&rng, 4),
				.color = (uint32_t)rng_below(&rng, 3),
				.placement = (enum gtt_placement)rng_below(&rng, 3),
			};
			struct gtt_range_node *n;
			int err;

			if (rng_below(&rng, 4) == 0) {
				r.range_start = 16 * PAGE + rng_below(&rng, PAGES / 2) * PAGE;
				r.range_end = r.range_start + (64 + rng_below(&rng, PAGES)) * PAGE;
			}
			err = gtt_range_insert(ra, &r, NULL, &n);
			if (err == -ENOSPC)
				continue;
			assert_int_equal(err, 0);
			uint64_t s = gtt_range_node_start(n), first = (s - 16 * PAGE) / PAGE;

			assert_int_equal(s % r.alignment, 0);
			if (r.range_end) {
				assert_true(s >= r.range_start);
				assert_true(s + r.size <= r.range_end);
			}
			for (uint64_t p = 0; p < r.size / PAGE; p++) {
				assert_int_equal(owner[first + p], 0);
				owner[first + p] = (unsigned char)(r.color + 1);
			}
			/* Guard rule: a different colour never touches us. */
			if (first > 0 && owner[first - 1])
				assert_int_equal(owner[first - 1], r.color + 1);
			if (first + r.size / PAGE < PAGES && owner[first + r.size / PAGE])
				assert_int_equal(owner[first + r.size / PAGE], r.color + 1);
			used += r.size;
			live[nlive++] = n;
		}
		if (op % 1000 == 0) {
			struct gtt_range_stats st;

			assert_int_equal(range_alloc_check(ra), 0);
			gtt_range_alloc_stats(ra, &st);
			assert_int_equal(st.used, used);
			assert_int_equal(st.nodes, nlive);
		}
	}
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placements),
		cmocka_unit_test(test_alignment_and_limits),
		cmocka_unit_test(test_color_guard),
		cmocka_unit_test(test_custom_color_rule),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_evict_scan),
		cmocka_unit_test(test_random_against_model),
	};

	return cmocka_run_group_tests_name("range_alloc", tests, NULL, NULL);
}
