/* SPDX-License-Identifier: MIT */
/*
 * Range allocator: placements, alignment, colour guards, range limits,
 * fixed reservations, eviction scans, bad input, a seeded random run
 * checked against a page-granular model after every step, and placements
 * that avoid what a callback rejects, checked against a brute force.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "alloc/range_alloc_internal.h"
#include "base/util.h"

static struct gtt_range_alloc *make(uint64_t start, uint64_t size,
				    unsigned int flags)
{
	struct gtt_range_alloc *ra = NULL;

	assert_int_equal(gtt_range_alloc_create(start, size, 0, flags, &ra), 0);
	return ra;
}

/* Insert @r, which must fit, and check the invariants. */
static struct gtt_range_node *put_req(struct gtt_range_alloc *ra,
				      const struct gtt_range_request *r)
{
	struct gtt_range_node *n = NULL;

	assert_int_equal(gtt_range_insert(ra, r, NULL, &n), 0);
	assert_int_equal(range_alloc_check(ra), 0);
	return n;
}

static struct gtt_range_node *put(struct gtt_range_alloc *ra, uint64_t size,
				  uint64_t align, uint32_t color,
				  enum gtt_placement pl)
{
	struct gtt_range_request r = { .size = size, .alignment = align,
				       .color = color, .placement = pl };

	return put_req(ra, &r);
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

/* A rule that breaks its contract: it widens the hole by a page at each
 * end (one that is not at 2^64) instead of shrinking it. */
static void widening_rule(void *arg, uint32_t color, uint32_t pc, uint32_t nc,
			  uint64_t *start, uint64_t *end)
{
	(void)arg; (void)color; (void)pc; (void)nc;
	*start -= PAGE;
	if (*end)
		*end += PAGE;
}

static bool widening_evictable(void *arg, struct gtt_range_node *node)
{
	(void)arg;
	(void)node;
	return true;
}

/*
 * A colour rule that widens the hole (a caller's mistake: the rule may
 * only shrink it) is held to the hole: every placement, a reservation,
 * both eviction scans and the insert into the hole their victims open
 * stay inside free space, so no node overlaps another and the trees stay
 * sound.  Fails without the clamp in adjust_span(): the best fit lands on
 * the node before its hole (0x12000, over b).
 */
static void test_color_rule_widening(void **state)
{
	struct gtt_range_alloc *ra = make(0x10000, 16 * PAGE, GTT_RANGE_COLOR_GUARD);
	struct gtt_range_request r = { .size = 2 * PAGE };
	struct gtt_range_node *a, *b, *n, *v[16];
	struct gtt_range_scan scan;
	size_t count = 0;

	(void)state;
	assert_int_equal(gtt_range_alloc_set_color_adjust(ra, widening_rule, NULL), 0);
	/* a, a page of hole, b, then the rest. */
	assert_int_equal(gtt_range_reserve(ra, 0x10000, PAGE, 0, NULL, &a), 0);
	assert_int_equal(gtt_range_reserve(ra, 0x12000, PAGE, 0, NULL, &b), 0);
	for (int pl = GTT_PLACE_BEST; pl <= GTT_PLACE_HIGH; pl++) {
		r.placement = (enum gtt_placement)pl;
		assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), 0);
		assert_int_equal(range_alloc_check(ra), 0);
		assert_true(gtt_range_node_start(n) >= 0x13000);
		assert_int_equal(gtt_range_remove(ra, n), 0);
	}
	/* The page between a and b, and no more. */
	assert_int_equal(gtt_range_reserve(ra, 0x11000, 2 * PAGE, 0, NULL, &n), -ENOSPC);
	assert_int_equal(gtt_range_reserve(ra, 0x11000, PAGE, 0, NULL, &n), 0);
	assert_int_equal(range_alloc_check(ra), 0);
	assert_int_equal(gtt_range_remove(ra, n), 0);
	/* Fill the rest: [0x13000, 0x20000) in one-page nodes. */
	for (uint64_t at = 0x13000; at < 0x20000; at += PAGE)
		assert_int_equal(gtt_range_reserve(ra, at, PAGE, 0, NULL, &n), 0);
	/* Three pages: evicting b alone opens two, whatever the rule says;
	 * the fewest are two nodes (a and b), and in the ordered scan b and
	 * the node after it, into which the request then goes. */
	r.size = 3 * PAGE;
	r.placement = GTT_PLACE_LOW;
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -ENOSPC);
	assert_int_equal(gtt_range_evict_scan(ra, &r, widening_evictable, NULL, v, 16, &count), 0);
	assert_int_equal(count, 2);
	assert_ptr_equal(v[0], a);
	assert_int_equal(gtt_range_scan_init(&scan, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&scan, b), 0);
	assert_int_equal(gtt_range_scan_add(&scan, gtt_range_next(ra, b)), 1);
	assert_int_equal(gtt_range_scan_victims(&scan, v, 16, &count), 0);
	gtt_range_scan_finish(&scan);
	assert_int_equal(count, 2);
	for (size_t k = 0; k < count; k++)
		assert_int_equal(gtt_range_remove(ra, v[k]), 0);
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), 0);
	assert_int_equal(range_alloc_check(ra), 0);
	assert_int_equal(gtt_range_node_start(n), 0x11000);
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

/*
 * Item 13: a hole under a colour rule can need victims just outside the
 * request's range.  [0,4) [4,8) [8,12) pages in colour 1, 4 pages of
 * colour 2 within [4,8): only evicting all three leaves no guard in it.
 */
static void test_evict_scan_color_neighbours(void **state)
{
	struct gtt_range_alloc *ra = make(0, 12 * PAGE, GTT_RANGE_COLOR_GUARD);
	struct gtt_range_node *nodes[3], *victims[8], *n;
	struct gtt_range_request r = { .size = 4 * PAGE, .color = 2,
				       .range_start = 4 * PAGE,
				       .range_end = 8 * PAGE };
	int pinned_tag;
	size_t count;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(gtt_range_reserve(ra, 4 * PAGE * (uint64_t)i, 4 * PAGE,
						   1, NULL, &nodes[i]), 0);
	assert_int_equal(gtt_range_evict_scan(ra, &r, all_but_pinned, &pinned_tag,
					      victims, 8, &count), 0);
	assert_int_equal(count, 3);
	for (int i = 0; i < 3; i++)
		assert_ptr_equal(victims[i], nodes[i]);
	/* A cap below what is needed still fails. */
	assert_int_equal(gtt_range_evict_scan(ra, &r, all_but_pinned, &pinned_tag,
					      victims, 2, &count), -ENOSPC);
	/* With the low neighbour gone, the high one must still go. */
	assert_int_equal(gtt_range_remove(ra, nodes[0]), 0);
	assert_int_equal(gtt_range_evict_scan(ra, &r, all_but_pinned, &pinned_tag,
					      victims, 8, &count), 0);
	assert_int_equal(count, 2);
	assert_ptr_equal(victims[0], nodes[1]);
	assert_ptr_equal(victims[1], nodes[2]);
	for (size_t i = 0; i < count; i++)
		assert_int_equal(gtt_range_remove(ra, victims[i]), 0);
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), 0);
	assert_int_equal(gtt_range_node_start(n), 4 * PAGE);
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
}

/* A custom rule that keeps two pages between different colours. */
#define WIDE_GUARD (2 * PAGE)

static void wide_guard(void *arg, uint32_t color, uint32_t pc, uint32_t nc,
		       uint64_t *start, uint64_t *end)
{
	(void)arg;
	if (pc != GTT_COLOR_NONE && pc != color)
		*start = *start <= UINT64_MAX - WIDE_GUARD ? *start + WIDE_GUARD : UINT64_MAX;
	if (nc != GTT_COLOR_NONE && nc != color)
		*end = *end >= WIDE_GUARD ? *end - WIDE_GUARD : 0;
}

struct snap {
	uint64_t start, size;
	uint32_t color;
	bool evictable;
	void *owner;
	struct gtt_range_node *node;
};

/* Copy the allocator's nodes, lowest first; returns how many. */
static size_t snapshot(struct gtt_range_alloc *ra, struct snap *s, size_t max,
		       void *pinned_tag)
{
	size_t n = 0;

	for (struct gtt_range_node *x = gtt_range_first(ra); x; x = gtt_range_next(ra, x)) {
		assert_true(n < max);
		s[n++] = (struct snap){ gtt_range_node_start(x), gtt_range_node_size(x),
					gtt_range_node_color(x),
					gtt_range_node_owner(x) != pinned_tag,
					gtt_range_node_owner(x), x };
	}
	return n;
}

/* Remove the @count victims, insert @r (which must then fit), remove it,
 * and put the snapshot's nodes back. */
static void evict_insert_restore(struct gtt_range_alloc *ra,
				 const struct gtt_range_request *r,
				 struct gtt_range_node **victims, size_t count,
				 const struct snap *s, size_t n)
{
	struct gtt_range_node *x;

	for (size_t i = 0; i < count; i++)
		assert_int_equal(gtt_range_remove(ra, victims[i]), 0);
	assert_int_equal(gtt_range_insert(ra, r, NULL, &x), 0);
	assert_int_equal(gtt_range_remove(ra, x), 0);
	for (size_t i = 0; i < n; i++) {
		if (gtt_range_lookup(ra, s[i].start))
			continue;
		assert_int_equal(gtt_range_reserve(ra, s[i].start, s[i].size,
						   s[i].color, s[i].owner, &x), 0);
	}
	assert_int_equal(range_alloc_check(ra), 0);
}

/*
 * Brute force: the fewest victims of any run of adjacent evictable nodes
 * (the empty run included) after whose removal @r fits; SIZE_MAX if none.
 * @guard: 0 (no colour rule) or the bytes kept between different colours.
 */
static size_t brute_min_victims(const struct snap *s, size_t n, uint64_t ra_start,
				uint64_t ra_end, uint64_t guard,
				const struct gtt_range_request *r)
{
	uint64_t align = r->alignment ? r->alignment : PAGE;
	uint64_t lo = r->range_start > ra_start ? r->range_start : ra_start;
	uint64_t hi = r->range_end && r->range_end < ra_end ? r->range_end : ra_end;
	size_t best = SIZE_MAX;

	for (size_t i = 0; i <= n; i++) {		/* victims s[i .. j) */
		for (size_t j = i; j <= n; j++) {
			uint64_t hs = i ? s[i - 1].start + s[i - 1].size : ra_start;
			uint64_t he = j < n ? s[j].start : ra_end;
			uint32_t pc = i ? s[i - 1].color : GTT_COLOR_NONE;
			uint32_t nc = j < n ? s[j].color : GTT_COLOR_NONE;
			uint64_t at;

			if (j > i && !s[j - 1].evictable)
				break;
			if (guard && pc != GTT_COLOR_NONE && pc != r->color)
				hs += guard;
			if (guard && nc != GTT_COLOR_NONE && nc != r->color)
				he = he >= guard ? he - guard : 0;
			if (hs < lo)
				hs = lo;
			if (he > hi)
				he = hi;
			at = (hs + align - 1) / align * align;
			if (at < he && he - at >= r->size && j - i < best)
				best = j - i;
		}
	}
	return best;
}

/*
 * Random scans over small packed allocators, with and without a colour
 * rule (the guard page, or a custom two-page guard), mixed colours and
 * pinned nodes, against the brute force above.  After each successful
 * scan the victims are evicted, the request must then fit, and the state
 * is put back.
 */
static void test_evict_scan_random_against_brute_force(void **state)
{
	enum { MAXN = 32 };
	static const uint64_t seeds[] = { 1, 7, 1234567 };
	int pinned_tag;
	unsigned long scans = 0, found = 0, outside = 0;

	(void)state;
	for (size_t si = 0; si < sizeof(seeds) / sizeof(seeds[0]); si++) {
		uint64_t rng = seeds[si];

		for (int world = 0; world < 350; world++) {
			unsigned int mode = (unsigned int)rng_below(&rng, 3);
			uint64_t guard = mode == 0 ? 0 : mode == 1 ? PAGE : WIDE_GUARD;
			uint64_t pages = 8 + rng_below(&rng, 17), base = rng_below(&rng, 3) * PAGE;
			struct gtt_range_alloc *ra = make(base, pages * PAGE,
							  mode ? GTT_RANGE_COLOR_GUARD : 0);
			struct snap s[MAXN];
			size_t n;

			if (mode == 2)
				assert_int_equal(gtt_range_alloc_set_color_adjust(ra, wide_guard, NULL), 0);
			/* Fill mostly packed: small gaps, sizes 1-3 pages. */
			for (uint64_t at = base; at < base + pages * PAGE;) {
				uint64_t size = (1 + rng_below(&rng, 3)) * PAGE;
				struct gtt_range_node *x;

				at += rng_below(&rng, 4) == 0 ? PAGE : 0;
				if (at + size > base + pages * PAGE)
					break;
				if (gtt_range_reserve(ra, at, size, (uint32_t)rng_below(&rng, 3),
						      rng_below(&rng, 6) == 0 ? &pinned_tag : NULL,
						      &x) == 0)
					at += size;
				else
					at += PAGE;
			}
			for (int q = 0; q < 20; q++, scans++) {
				struct gtt_range_request r = {
					.size = (1 + rng_below(&rng, 6)) * PAGE,
					.alignment = PAGE << rng_below(&rng, 3),
					.color = (uint32_t)rng_below(&rng, 3),
					.placement = (enum gtt_placement)rng_below(&rng, 3),
				};
				struct gtt_range_node *victims[MAXN];
				size_t want, count = 99;
				int err;

				if (rng_below(&rng, 2)) {
					r.range_start = base + rng_below(&rng, pages) * PAGE;
					r.range_end = r.range_start + (1 + rng_below(&rng, 8)) * PAGE;
				}
				n = snapshot(ra, s, MAXN, &pinned_tag);
				want = brute_min_victims(s, n, base, base + pages * PAGE, guard, &r);
				err = gtt_range_evict_scan(ra, &r, all_but_pinned, &pinned_tag,
							   victims, MAXN, &count);
				if (want == SIZE_MAX) {
					assert_int_equal(err, -ENOSPC);
					continue;
				}
				assert_int_equal(err, 0);
				assert_int_equal(count, want);
				if (!count)
					continue;
				found++;
				/* Victims: adjacent, evictable, lowest first. */
				for (size_t i = 0; i < count; i++) {
					assert_true(gtt_range_node_owner(victims[i]) != &pinned_tag);
					if (i)
						assert_ptr_equal(gtt_range_next(ra, victims[i - 1]), victims[i]);
				}
				if (r.range_end && (gtt_range_node_start(victims[0]) +
						    gtt_range_node_size(victims[0]) <= r.range_start ||
						    gtt_range_node_start(victims[count - 1]) >= r.range_end))
					outside++;
				/* Evicting them really lets the request in. */
				evict_insert_restore(ra, &r, victims, count, s, n);
			}
			gtt_range_alloc_destroy(ra);
		}
	}
	/* The run exercised what it is for. */
	assert_int_equal(scans, 3 * 350 * 20);
	assert_true(found > scans / 10);
	assert_true(outside > 0);
}

/* A full allocator of @n one-page nodes of colour 0, all evictable. */
static struct gtt_range_alloc *packed(uint64_t n)
{
	struct gtt_range_alloc *ra = make(0, n * PAGE, 0);
	struct gtt_range_node *x;

	for (uint64_t i = 0; i < n; i++)
		assert_int_equal(gtt_range_reserve(ra, i * PAGE, PAGE, 0, NULL, &x), 0);
	return ra;
}

/*
 * Item 14: victims == NULL with max_victims == 0 counts the fewest victims
 * with no cap, so a caller can size the array and call again.  4 MiB of
 * 1024 one-page nodes and a 2 MiB request need 512.
 */
static void test_evict_scan_count_only_no_cap(void **state)
{
	struct gtt_range_alloc *ra = packed(1024);
	struct gtt_range_request r = { .size = 2u << 20 };
	struct gtt_range_node **victims, *x;
	int pinned_tag;
	size_t count = 0;
	uint64_t t0, t1, t2;

	(void)state;
	t0 = now_ns();
	assert_int_equal(gtt_range_evict_scan(ra, &r, all_but_pinned, &pinned_tag,
					      NULL, 0, &count), 0);
	t1 = now_ns();
	assert_int_equal(count, 512);
	victims = calloc(count, sizeof(*victims));
	assert_non_null(victims);
	/* One short of the need is still -ENOSPC. */
	assert_int_equal(gtt_range_evict_scan(ra, &r, all_but_pinned, &pinned_tag,
					      victims, count - 1, &count), -ENOSPC);
	assert_int_equal(gtt_range_evict_scan(ra, &r, all_but_pinned, &pinned_tag,
					      victims, 512, &count), 0);
	t2 = now_ns();
	assert_int_equal(count, 512);
	print_message("evict scan, 1024 nodes, 2 MiB: count %.3f ms, fill %.3f ms\n",
		      (double)(t1 - t0) / 1e6, (double)(t2 - t1) / 1e6);
	for (size_t i = 0; i < count; i++) {
		assert_int_equal(gtt_range_node_start(victims[i]), i * PAGE);
		assert_int_equal(gtt_range_remove(ra, victims[i]), 0);
	}
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &x), 0);
	/* Nothing to evict any more; none at all opens a 4 MiB + 4 KiB hole. */
	r.size = PAGE;
	assert_int_equal(gtt_range_remove(ra, x), 0);
	assert_int_equal(gtt_range_evict_scan(ra, &r, all_but_pinned, &pinned_tag,
					      NULL, 0, &count), 0);
	assert_int_equal(count, 0);
	r.size = (4u << 20) + PAGE;
	assert_int_equal(gtt_range_evict_scan(ra, &r, all_but_pinned, &pinned_tag,
					      NULL, 0, &count), -ENOSPC);
	free(victims);
	gtt_range_alloc_destroy(ra);
}

/*
 * The scan stays about linear in a large allocator: many nodes, a small
 * request placed high (every node is a candidate), and a request larger
 * than the whole space (the run grows once, not once per candidate).
 */
static void test_evict_scan_large(void **state)
{
	const uint64_t n = 1u << 17;
	struct gtt_range_alloc *ra = packed(n);
	struct gtt_range_request r = { .size = 2 * PAGE, .placement = GTT_PLACE_HIGH };
	struct gtt_range_node *victims[2];
	int pinned_tag;
	size_t count = 0;
	uint64_t t0, t1, t2;

	(void)state;
	t0 = now_ns();
	assert_int_equal(gtt_range_evict_scan(ra, &r, all_but_pinned, &pinned_tag,
					      victims, 2, &count), 0);
	t1 = now_ns();
	assert_int_equal(count, 2);
	assert_int_equal(gtt_range_node_start(victims[0]), (n - 2) * PAGE);
	r.size = (n + 1) * PAGE;
	assert_int_equal(gtt_range_evict_scan(ra, &r, all_but_pinned, &pinned_tag,
					      NULL, 0, &count), -ENOSPC);
	t2 = now_ns();
	print_message("evict scan, %llu nodes: 2 pages high %.3f ms, too large %.3f ms\n",
		      (unsigned long long)n, (double)(t1 - t0) / 1e6,
		      (double)(t2 - t1) / 1e6);
	gtt_range_alloc_destroy(ra);
}

/*
 * The vm's preallocated-node forms: range_insert_node() and
 * range_reserve_node() place a node the caller allocated beforehand, so
 * they never allocate (a failing allocation injected around them is never
 * reached), while gtt_range_insert() and gtt_range_reserve() still do.
 */
static void test_node_forms_never_allocate(void **state)
{
	struct gtt_range_alloc *ra = make(0, 16 * PAGE, GTT_RANGE_COLOR_GUARD);
	struct gtt_range_request r = { .size = 2 * PAGE, .color = 3,
				       .placement = GTT_PLACE_HIGH };
	struct gtt_range_node *a = range_node_alloc(), *b = range_node_alloc(), *x;
	struct gtt_range_stats before, after;
	int tag;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	mem_fail_after(1);
	assert_int_equal(range_insert_node(ra, &r, &tag, a), 0);
	assert_int_equal(range_reserve_node(ra, 4 * PAGE, PAGE, 1, NULL, b), 0);
	assert_false(mem_fail_fired());
	mem_fail_after(0);
	assert_int_equal(gtt_range_node_start(a), 14 * PAGE);
	assert_ptr_equal(gtt_range_node_owner(a), &tag);
	assert_int_equal(gtt_range_node_color(a), 3);
	assert_ptr_equal(gtt_range_lookup(ra, 4 * PAGE), b);
	assert_int_equal(range_alloc_check(ra), 0);
	/* The allocating forms fail cleanly under the same injection. */
	gtt_range_alloc_stats(ra, &before);
	mem_fail_after(1);
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &x), -ENOMEM);
	mem_fail_after(1);
	assert_int_equal(gtt_range_reserve(ra, 8 * PAGE, PAGE, 1, NULL, &x), -ENOMEM);
	mem_fail_after(0);
	gtt_range_alloc_stats(ra, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	/* Inserted nodes are ordinary nodes: removed and freed as usual. */
	assert_int_equal(gtt_range_remove(ra, a), 0);
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);	/* frees b */
}

/* A node-taking form that fails leaves the caller's node as it was, reusable. */
static void test_node_forms_failure_leaves_node(void **state)
{
	struct gtt_range_alloc *ra = make(0, 16 * PAGE, GTT_RANGE_COLOR_GUARD);
	struct gtt_range_request big = { .size = 32 * PAGE }, zero = { .size = 0 };
	struct gtt_range_node *n, *other, copy;
	struct gtt_range_stats before, after;
	int64_t live = mem_live();

	(void)state;
	n = range_node_alloc();
	assert_non_null(n);
	assert_int_equal(gtt_range_reserve(ra, 0, 2 * PAGE, 1, NULL, &other), 0);
	gtt_range_alloc_stats(ra, &before);
	memcpy(&copy, n, sizeof(copy));
	assert_int_equal(range_insert_node(ra, &big, NULL, n), -ENOSPC);
	assert_int_equal(range_insert_node(ra, &zero, NULL, n), -EINVAL);
	assert_int_equal(range_insert_node(ra, NULL, NULL, n), -EINVAL);
	assert_int_equal(range_reserve_node(ra, PAGE, PAGE, 1, NULL, n), -ENOSPC);
	/* Colour guard: a colour-2 node may not touch the colour-1 one. */
	assert_int_equal(range_reserve_node(ra, 2 * PAGE, PAGE, 2, NULL, n), -ENOSPC);
	assert_int_equal(range_reserve_node(ra, 16 * PAGE, PAGE, 1, NULL, n), -EINVAL);
	assert_int_equal(range_reserve_node(ra, 4 * PAGE, PAGE, GTT_COLOR_NONE, NULL, n), -EINVAL);
	assert_memory_equal(&copy, n, sizeof(copy));
	gtt_range_alloc_stats(ra, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	/* No node, or one already in an allocator, is refused. */
	assert_int_equal(range_insert_node(ra, &big, NULL, NULL), -EINVAL);
	assert_int_equal(range_reserve_node(ra, 4 * PAGE, PAGE, 1, NULL, other), -EINVAL);
	assert_int_equal(gtt_range_node_start(other), 0);
	assert_int_equal(range_alloc_check(ra), 0);
	/* Still good for a real insertion after all that. */
	assert_int_equal(range_reserve_node(ra, 2 * PAGE, PAGE, 1, NULL, n), 0);
	assert_ptr_equal(gtt_range_lookup(ra, 2 * PAGE), n);
	assert_int_equal(range_alloc_check(ra), 0);
	/* An unused node is freed without an allocator. */
	range_node_free_unused(range_node_alloc());
	range_node_free_unused(NULL);
	gtt_range_alloc_destroy(ra);
	assert_int_equal(mem_live(), live - 1);	/* ra itself was made before */
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

/* ---- avoidance ---- */

/* The "pending" ranges of an avoidance test, and what the callback saw. */
struct pend {
	uint64_t s[16], e[16];	/* [s, e) */
	unsigned int n;
	bool name_block;	/* report the pending range, or leave the preset */
	unsigned int calls;
	/* Legality checks on every probe. */
	struct gtt_range_alloc *ra;
	const struct gtt_range_request *req;
};

static int pend_hit(const struct pend *p, uint64_t s, uint64_t e)
{
	for (unsigned int i = 0; i < p->n; i++)
		if (s < p->e[i] && p->s[i] < e)
			return (int)i;
	return -1;
}

static bool pend_avoid(void *arg, uint64_t s, uint64_t e, uint64_t *bs,
		       uint64_t *be)
{
	struct pend *p = arg;
	uint64_t align = p->req->alignment ? p->req->alignment : PAGE;
	int i;

	p->calls++;
	/* Only legal placements are offered. */
	assert_int_equal(e - s, p->req->size);
	assert_int_equal(s % align, 0);
	assert_true(s >= p->req->range_start);
	if (p->req->range_end)
		assert_true(e <= p->req->range_end);
	for (uint64_t a = s; a < e; a += PAGE)
		assert_null(gtt_range_lookup(p->ra, a));
	assert_int_equal(*bs, s);
	assert_int_equal(*be, e);
	i = pend_hit(p, s, e);
	if (i < 0)
		return false;
	if (p->name_block) {
		*bs = p->s[i];
		*be = p->e[i];
	}
	return true;
}

/* One gap between allocated nodes, as the brute force sees it. */
struct gap { uint64_t hs, he; uint32_t pc, nc; };

/* Legal placements of @r (page steps), in gap @g with guard rule @guard. */
static bool legal_at(const struct gtt_range_request *r, const struct gap *g,
		     bool guard, uint64_t s)
{
	uint64_t hs = g->hs, he = g->he;
	uint64_t align = r->alignment ? r->alignment : PAGE;

	if (guard && g->pc != GTT_COLOR_NONE && g->pc != r->color)
		hs += PAGE;
	if (guard && g->nc != GTT_COLOR_NONE && g->nc != r->color)
		he -= PAGE;
	return s % align == 0 && s >= hs && s + r->size <= he &&
	       s >= r->range_start && (!r->range_end || s + r->size <= r->range_end);
}

/*
 * The brute-force choice: among the placements that are legal (and, with
 * @avoiding, overlap nothing in @p), the lowest (LOW), highest (HIGH), or
 * lowest in the first gap by (raw size, start) that has one (BEST).
 * Return: false if there is none.
 */
static bool brute_choice(const struct gap *gaps, unsigned int ngaps, bool guard,
			 const struct gtt_range_request *r, const struct pend *p,
			 bool avoiding, uint64_t *out)
{
	bool found = false;
	uint64_t best_size = 0, best_hs = 0;

	for (unsigned int i = 0; i < ngaps; i++) {
		const struct gap *g = &gaps[i];

		for (uint64_t s = g->hs; s + r->size <= g->he; s += PAGE) {
			if (!legal_at(r, g, guard, s) ||
			    (avoiding && pend_hit(p, s, s + r->size) >= 0))
				continue;
			switch (r->placement) {
			case GTT_PLACE_LOW:
				if (!found || s < *out)
					*out = s;
				break;
			case GTT_PLACE_HIGH:
				if (!found || s > *out)
					*out = s;
				break;
			case GTT_PLACE_BEST: {
				uint64_t sz = g->he - g->hs;

				if (!found || sz < best_size ||
				    (sz == best_size && g->hs < best_hs) ||
				    (g->hs == best_hs && s < *out)) {
					best_size = sz;
					best_hs = g->hs;
					*out = s;
				}
				break;
			}
			}
			found = true;
		}
	}
	return found;
}

static unsigned int gaps_of(struct gtt_range_alloc *ra, uint64_t base,
			    uint64_t end, struct gap *gaps)
{
	unsigned int n = 0;
	uint64_t at = base;
	uint32_t pc = GTT_COLOR_NONE;

	for (struct gtt_range_node *x = gtt_range_first(ra); x;
	     x = gtt_range_next(ra, x)) {
		if (gtt_range_node_start(x) > at)
			gaps[n++] = (struct gap){ at, gtt_range_node_start(x), pc,
						  gtt_range_node_color(x) };
		at = gtt_range_node_start(x) + gtt_range_node_size(x);
		pc = gtt_range_node_color(x);
	}
	if (end > at)
		gaps[n++] = (struct gap){ at, end, pc, GTT_COLOR_NONE };
	return n;
}

/*
 * Random nodes, random pending ranges, random requests: the placement
 * avoids the pending ranges whenever a legal placement does, is the
 * policy's choice among those, and otherwise is exactly the placement
 * without a callback.
 */
static void test_avoid_against_brute_force(void **state)
{
	enum { PAGES = 64 };
	const uint64_t base = 16 * PAGE, end = base + PAGES * PAGE;
	uint64_t rng = 7;
	unsigned int avoided = 0, fell_back = 0;

	(void)state;
	for (int trial = 0; trial < 4000; trial++) {
		bool guard = rng_below(&rng, 2);
		struct gtt_range_alloc *ra = make(base, PAGES * PAGE,
						  guard ? GTT_RANGE_COLOR_GUARD : 0);
		struct gtt_range_node *nodes[32], *plain, *got;
		unsigned int nn = 0, ngaps;
		struct gap gaps[40];
		struct pend p = { .ra = ra, .name_block = true };
		struct gtt_range_avoid av = { .fn = pend_avoid, .arg = &p };
		struct gtt_range_request r = {
			.size = (1 + rng_below(&rng, 4)) * PAGE,
			.alignment = PAGE << rng_below(&rng, 3),
			.color = (uint32_t)rng_below(&rng, 2),
			.placement = (enum gtt_placement)rng_below(&rng, 3),
		};
		uint64_t want = 0, plain_at;
		int err;

		for (int i = 0; i < 24; i++) {
			struct gtt_range_request q = {
				.size = (1 + rng_below(&rng, 3)) * PAGE,
				.color = (uint32_t)rng_below(&rng, 2),
				.placement = GTT_PLACE_LOW,
			};

			if (gtt_range_insert(ra, &q, NULL, &nodes[nn]) == 0)
				nn++;
		}
		for (unsigned int i = 0; i < nn; i++)
			if (rng_below(&rng, 2))
				assert_int_equal(gtt_range_remove(ra, nodes[i]), 0);
		p.n = (unsigned int)rng_below(&rng, 9);
		for (unsigned int i = 0; i < p.n; i++) {
			p.s[i] = base + rng_below(&rng, PAGES) * PAGE;
			p.e[i] = p.s[i] + (1 + rng_below(&rng, 6)) * PAGE;
		}
		if (rng_below(&rng, 3) == 0) {
			r.range_start = base + rng_below(&rng, PAGES / 2) * PAGE;
			r.range_end = r.range_start + (8 + rng_below(&rng, PAGES / 2)) * PAGE;
		}
		p.req = &r;
		ngaps = gaps_of(ra, base, end, gaps);

		/* Without the callback: today's placement. */
		err = gtt_range_insert(ra, &r, NULL, &plain);
		if (err == -ENOSPC) {
			assert_false(brute_choice(gaps, ngaps, guard, &r, &p, false, &want));
			r.avoid = &av;
			assert_int_equal(gtt_range_insert(ra, &r, NULL, &got), -ENOSPC);
			gtt_range_alloc_destroy(ra);
			continue;
		}
		assert_int_equal(err, 0);
		plain_at = gtt_range_node_start(plain);
		assert_true(brute_choice(gaps, ngaps, guard, &r, &p, false, &want));
		assert_int_equal(plain_at, want);
		assert_int_equal(gtt_range_remove(ra, plain), 0);

		/* With it. */
		r.avoid = &av;
		assert_int_equal(gtt_range_insert(ra, &r, NULL, &got), 0);
		assert_int_equal(range_alloc_check(ra), 0);
		assert_true(p.calls <= GTT_RANGE_AVOID_PROBES);
		if (brute_choice(gaps, ngaps, guard, &r, &p, true, &want)) {
			assert_int_equal(gtt_range_node_start(got), want);
			avoided++;
		} else {
			assert_int_equal(gtt_range_node_start(got), plain_at);
			fell_back++;
		}
		gtt_range_alloc_destroy(ra);
	}
	/* Both outcomes were exercised. */
	assert_true(avoided > 500);
	assert_true(fell_back > 100);
}

/*
 * The search without a callback, against the brute force, where it walks
 * far: a space of many holes of every size, alignments up to 512 pages
 * unrelated to the size, range limits that leave most holes outside, and
 * colour guards.  Every placement (BEST, LOW and HIGH) must be the brute
 * force's, and -ENOSPC exactly when it has none.
 */
static void test_search_against_brute_force(void **state)
{
	enum { PAGES = 2048, LIVE = 300 };
	const uint64_t base = 16 * PAGE, end = base + PAGES * PAGE;
	static struct gap gaps[LIVE * 2 + 2];
	uint64_t rng = 1414;
	unsigned int placed = 0, nospace = 0;

	(void)state;
	for (int trial = 0; trial < 40; trial++) {
		bool guard = trial % 2;
		struct gtt_range_alloc *ra = make(base, PAGES * PAGE,
						  guard ? GTT_RANGE_COLOR_GUARD : 0);
		struct gtt_range_node *live[LIVE];
		unsigned int nlive = 0;

		for (int op = 0; op < 400; op++) {
			struct gtt_range_request r = {
				.size = (1 + rng_below(&rng, 1u << rng_below(&rng, 6))) * PAGE,
				.alignment = PAGE << rng_below(&rng, 10),
				.color = guard ? (uint32_t)rng_below(&rng, 2) : 0,
				.placement = (enum gtt_placement)rng_below(&rng, 3),
			};
			struct gtt_range_node *n;
			unsigned int ngaps;
			uint64_t want = 0;
			bool any;
			int err;

			if (nlive && (nlive == LIVE || rng_below(&rng, 100) < 40)) {
				unsigned int i = (unsigned int)rng_below(&rng, nlive);

				assert_int_equal(gtt_range_remove(ra, live[i]), 0);
				live[i] = live[--nlive];
				continue;
			}
			if (rng_below(&rng, 2)) {
				r.range_start = base + rng_below(&rng, PAGES) * PAGE;
				r.range_end = r.range_start + (1 + rng_below(&rng, PAGES / 4)) * PAGE;
			}
			ngaps = gaps_of(ra, base, end, gaps);
			any = brute_choice(gaps, ngaps, guard, &r, NULL, false, &want);
			err = gtt_range_insert(ra, &r, NULL, &n);
			if (!any) {
				assert_int_equal(err, -ENOSPC);
				nospace++;
				continue;
			}
			assert_int_equal(err, 0);
			assert_int_equal(gtt_range_node_start(n), want);
			live[nlive++] = n;
			placed++;
			if (op % 50 == 0)
				assert_int_equal(range_alloc_check(ra), 0);
		}
		assert_int_equal(range_alloc_check(ra), 0);
		gtt_range_alloc_destroy(ra);
	}
	assert_true(placed > 5000);
	assert_true(nospace > 500);
}

/*
 * Adversarial layouts for the size walk's alignment pruning, over the
 * whole 64-bit space with pages of 4096, 64 and 1 bytes: each hole
 * straddles an address aligned to 2^j (j up to 63, the hole's most
 * aligned address) with only a few pages after it, so that it holds an
 * address of every alignment up to 2^j but takes only small nodes there;
 * some start at 0 or end at 2^64.  Requests of 1-8 pages with alignments
 * up to 2^63, near the holes' classes, BEST, LOW and HIGH, some limited to
 * a range: each placement must be the one a brute force over the listed
 * holes computes (-ENOSPC exactly when it finds none).
 */
struct span_hole { uint64_t s, last; };	/* [s, last], last inclusive */

/* The brute force: where @r goes among @n holes (address order). */
static bool brute_aligned(const struct span_hole *h, unsigned int n,
			  const struct gtt_range_request *r, uint64_t a,
			  uint64_t *out)
{
	uint64_t lo = r->range_start, hi = r->range_end ? r->range_end - 1 : UINT64_MAX;
	uint64_t best_size = 0;
	bool found = false;

	for (unsigned int i = 0; i < n; i++) {
		uint64_t f = h[i].s > lo ? h[i].s : lo, l = h[i].last < hi ? h[i].last : hi;
		uint64_t c, top, size = h[i].last - h[i].s;	/* size - 1 */

		if (f > l || l - f < r->size - 1)
			continue;
		/* Lowest and highest starts aligned to @a in [f, l - size + 1]. */
		c = f % a ? f + (a - f % a) : f;
		if (c < f || c > l - (r->size - 1))	/* wrapped, or too far up */
			continue;
		top = l - (r->size - 1);
		top -= top % a;
		if (r->placement == GTT_PLACE_LOW && !found) {
			*out = c;
		} else if (r->placement == GTT_PLACE_HIGH) {
			*out = top;
		} else if (r->placement == GTT_PLACE_BEST &&
			   (!found || size < best_size)) {
			best_size = size;	/* ties: the lower, met first */
			*out = c;
		}
		found = true;
	}
	return found;
}

static void test_best_alignment_adversarial(void **state)
{
	enum { HOLES = 120, QUERIES = 1500 };
	static const uint64_t units[] = { 4096, 64, 1 };
	static struct span_hole want_holes[HOLES + 2], listed[HOLES + 2];
	uint64_t rng = 6364;
	unsigned int placed = 0, nospace = 0, narrow = 0;

	(void)state;
	for (unsigned int trial = 0; trial < 12; trial++) {
		uint64_t u = units[trial % 3], start = trial & 4 ? 0 : u;
		uint64_t size = 0 - u;	/* [u, 2^64) or [0, 2^64 - u) */
		unsigned int ub = (unsigned int)__builtin_ctzll(u), n = 0, nl = 0;
		uint64_t at, hs, hsz;
		bool to_top = false;	/* a hole reaches 2^64 */
		struct gtt_range_node *x;
		struct gtt_range_alloc *ra = NULL;

		assert_int_equal(gtt_range_alloc_create(start, size, u, 0, &ra), 0);
		/* Holes around odd multiples of 2^j, in address order. */
		for (unsigned int i = 0; i < HOLES; i++) {
			unsigned int j = ub + (unsigned int)rng_below(&rng, 64 - ub);
			uint64_t p = ((rng_next(&rng) >> j) | 1) << j;
			uint64_t left = j > ub ? rng_below(&rng, (1ull << (j - ub)) < 64 ?
							 1ull << (j - ub) : 64) * u : 0;
			uint64_t right = (1 + rng_below(&rng, 4)) * u;

			if (p + right - 1 < p)	/* past 2^64 */
				continue;
			if (rng_below(&rng, 4) == 0 && j > ub + 6)	/* a longer left part */
				left = (1ull << (j - 1)) + (1 + rng_below(&rng, 16)) * u;
			want_holes[n++] = (struct span_hole){ p - left, p + right - 1 };
		}
		if (!start)	/* a hole at 0 (aligned to everything) */
			want_holes[n++] = (struct span_hole){ 0, (1 + rng_below(&rng, 4)) * u - 1 };
		else		/* a hole that ends at 2^64 */
			want_holes[n++] = (struct span_hole){ 0 - (1 + rng_below(&rng, 4)) * u, UINT64_MAX };
		/* Sorted; overlapping or touching ones dropped. */
		for (unsigned int i = 1; i < n; i++)
			for (unsigned int k = i; k && want_holes[k - 1].s > want_holes[k].s; k--) {
				struct span_hole t = want_holes[k];

				want_holes[k] = want_holes[k - 1];
				want_holes[k - 1] = t;
			}
		at = start;	/* reserve everything between the holes */
		for (unsigned int i = 0; i < n && !to_top; i++) {
			if (want_holes[i].s < at || want_holes[i].last > start + (size - 1) ||
			    (at != start && want_holes[i].s - at < u))	/* none between */
				continue;
			if (want_holes[i].s > at)
				assert_int_equal(gtt_range_reserve(ra, at, want_holes[i].s - at,
								   0, NULL, &x), 0);
			at = want_holes[i].last + 1;
			to_top = !at;
		}
		if (!to_top && at - start < size)
			assert_int_equal(gtt_range_reserve(ra, at, size - (at - start), 0,
							   NULL, &x), 0);
		assert_int_equal(range_alloc_check(ra), 0);
		for (uint64_t from = 0; !gtt_range_next_hole(ra, from, &hs, &hsz);
		     from = hs + hsz) {
			listed[nl++] = (struct span_hole){ hs, hs + (hsz - 1) };
			if (!(hs + hsz))
				break;
		}
		assert_true(nl > HOLES / 2);
		for (unsigned int q = 0; q < QUERIES; q++) {
			const struct span_hole *t = &listed[rng_below(&rng, nl)];
			unsigned int k = ub + (unsigned int)rng_below(&rng, 64 - ub);
			struct gtt_range_request r = {
				.size = (1 + rng_below(&rng, 8)) * u,
				.placement = (enum gtt_placement)(rng_below(&rng, 4) % 3),
			};
			uint64_t want = 0;
			bool any;
			int err;

			if (rng_below(&rng, 2)) {	/* the class of a hole, or one below */
				uint64_t top = t->last ^ (t->s - 1);

				k = 63 - (unsigned int)__builtin_clzll(top ? top : 1);
				if (!t->s)
					k = 63;
				k -= k > ub && rng_below(&rng, 3) == 0;
				k = k < ub ? ub : k;
			}
			r.alignment = 1ull << k;
			if (rng_below(&rng, 4) == 0) {	/* a range around one hole */
				r.range_start = t->s - (t->s >= u && rng_below(&rng, 2) ? u : 0);
				r.range_end = t->last == UINT64_MAX ? 0 : t->last + 1;
				narrow++;
			}
			any = brute_aligned(listed, nl, &r, r.alignment, &want);
			err = gtt_range_insert(ra, &r, NULL, &x);
			if (!any) {
				assert_int_equal(err, -ENOSPC);
				nospace++;
				continue;
			}
			assert_int_equal(err, 0);
			assert_int_equal(gtt_range_node_start(x), want);
			placed++;
			if (q % 100 == 0)
				assert_int_equal(range_alloc_check(ra), 0);
			assert_int_equal(gtt_range_remove(ra, x), 0);
		}
		assert_int_equal(range_alloc_check(ra), 0);
		gtt_range_alloc_destroy(ra);
	}
	print_message("adversarial alignment: %u placed, %u no space, %u in a range\n",
		      placed, nospace, narrow);
	assert_true(placed > 6000 && nospace > 2000 && narrow > 3000);
}

/* A callback that leaves the preset block still avoids, at hole ends. */
static void test_avoid_preset_block(void **state)
{
	struct gtt_range_alloc *ra = make(0, 16 * PAGE, 0);
	struct pend p = { .ra = ra, .n = 1, .s = { 0 }, .e = { 2 * PAGE } };
	struct gtt_range_avoid av = { .fn = pend_avoid, .arg = &p };
	struct gtt_range_request r = { .size = 2 * PAGE, .avoid = &av };
	struct gtt_range_node *n;

	(void)state;
	p.req = &r;
	/* [0, 2) pending: the preset skips from 0 to 2 pages. */
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), 0);
	assert_int_equal(gtt_range_node_start(n), 2 * PAGE);
	assert_int_equal(p.calls, 2);
	/* HIGH: the top is free, one call. */
	p.calls = 0;
	r.placement = GTT_PLACE_HIGH;
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), 0);
	assert_int_equal(gtt_range_node_start(n), 14 * PAGE);
	assert_int_equal(p.calls, 1);
	/* A descriptor without a callback, or with reserved words set. */
	av.fn = NULL;
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -EINVAL);
	av.fn = pend_avoid;
	av.reserved[1] = 1;
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -EINVAL);
	gtt_range_alloc_destroy(ra);
}

static bool any_evictable(void *arg, struct gtt_range_node *node)
{
	(void)arg, (void)node;
	return true;
}

static bool reject_all(void *arg, uint64_t s, uint64_t e, uint64_t *bs,
		       uint64_t *be)
{
	(void)s, (void)e, (void)bs, (void)be;
	++*(unsigned int *)arg;
	return true;
}

/*
 * The work is bounded: a callback that rejects everything is asked at most
 * GTT_RANGE_AVOID_PROBES times, over many holes, and the node then goes
 * where it would without a callback.  The eviction scan never asks it.
 */
static void test_avoid_bounded_and_fallback(void **state)
{
	enum { HOLES = 600 };
	struct gtt_range_alloc *ra = make(0, 2 * HOLES * PAGE, 0);
	unsigned int calls = 0;
	struct gtt_range_avoid av = { .fn = reject_all, .arg = &calls };
	struct gtt_range_request r = { .size = PAGE };
	struct gtt_range_node *n, *plain;
	size_t count = 1;

	(void)state;
	for (int i = 0; i < 2 * HOLES; i++) {
		assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), 0);
		if (i && i % 2 == 0)
			assert_int_equal(gtt_range_remove(ra, n), 0);
	}
	for (enum gtt_placement pl = GTT_PLACE_BEST; pl <= GTT_PLACE_HIGH; pl++) {
		r.placement = pl;
		r.avoid = NULL;
		assert_int_equal(gtt_range_insert(ra, &r, NULL, &plain), 0);
		uint64_t at = gtt_range_node_start(plain);

		assert_int_equal(gtt_range_remove(ra, plain), 0);
		r.avoid = &av;
		calls = 0;
		assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), 0);
		assert_int_equal(calls, GTT_RANGE_AVOID_PROBES);
		assert_int_equal(gtt_range_node_start(n), at);
		assert_int_equal(gtt_range_remove(ra, n), 0);
	}
	calls = 0;
	assert_int_equal(gtt_range_evict_scan(ra, &r, any_evictable, NULL, NULL,
					      0, &count), 0);
	assert_int_equal(count, 0);
	assert_int_equal(calls, 0);
	gtt_range_alloc_destroy(ra);
}


/* ---- util_vma_heap parity (issue #14) ---- */

static uint64_t start_of(struct gtt_range_alloc *ra, uint64_t size,
			 uint64_t align, enum gtt_placement pl)
{
	return gtt_range_node_start(put(ra, size, align, 0, pl));
}

/* Page sizes below 4 KiB: a byte allocator (alignment 1) and 64 B units. */
static void test_sub_page_granularity(void **state)
{
	struct gtt_range_alloc *ra = NULL;
	struct gtt_range_request r = { .size = 3 };
	struct gtt_range_node *n;

	(void)state;
	assert_int_equal(gtt_range_alloc_create(1, 100, 1, 0, &ra), 0);
	assert_int_equal(start_of(ra, 3, 1, GTT_PLACE_LOW), 1);
	assert_int_equal(start_of(ra, 5, 1, GTT_PLACE_LOW), 4);
	assert_int_equal(start_of(ra, 7, 1, GTT_PLACE_HIGH), 94);
	assert_int_equal(start_of(ra, 2, 8, GTT_PLACE_LOW), 16);
	r.alignment = 3;
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -EINVAL);
	gtt_range_alloc_destroy(ra);

	assert_int_equal(gtt_range_alloc_create(64, 64 * 64, 64, 0, &ra), 0);
	assert_int_equal(start_of(ra, 64, 0, GTT_PLACE_LOW), 64);
	assert_int_equal(start_of(ra, 128, 256, GTT_PLACE_LOW), 256);
	r = (struct gtt_range_request){ .size = 32 };
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -EINVAL);
	assert_int_equal(gtt_range_reserve(ra, 96, 64, 0, NULL, &n), -EINVAL);
	assert_int_equal(gtt_range_reserve(ra, 128, 64, 0, NULL, &n), 0);
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
	assert_int_equal(gtt_range_alloc_create(0, 64, 48, 0, &ra), -EINVAL);
}

/* Does [s, s + size) cross a multiple of @block? */
static bool spans(uint64_t s, uint64_t size, uint64_t block)
{
	return s / block != (s + size - 1) / block;
}

static void test_nospan(void **state)
{
	struct gtt_range_alloc *ra = make(0, 64 * PAGE, 0);
	struct gtt_range_request r = { .size = 9 * PAGE };
	struct gtt_range_node *n;
	uint64_t rng = 5;

	(void)state;
	assert_int_equal(gtt_range_alloc_set_nospan(NULL, 15), -EINVAL);
	assert_int_equal(gtt_range_alloc_set_nospan(ra, 11), -EINVAL);	/* below a page */
	assert_int_equal(gtt_range_alloc_set_nospan(ra, 64), -EINVAL);
	assert_int_equal(gtt_range_alloc_set_nospan(ra, 15), 0);	/* 8 pages */
	/* Larger than a block: refused, nothing changes. */
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -EINVAL);
	assert_int_equal(range_alloc_check(ra), 0);
	/* [0,3) then 6 pages: LOW moves up to the boundary at 8. */
	assert_int_equal(start_of(ra, 3 * PAGE, 0, GTT_PLACE_LOW), 0);
	assert_int_equal(start_of(ra, 6 * PAGE, 0, GTT_PLACE_LOW), 8 * PAGE);
	/* The space at [3,8) still takes 5 pages. */
	assert_int_equal(start_of(ra, 5 * PAGE, 0, GTT_PLACE_LOW), 3 * PAGE);
	/* HIGH: [58,64) taken by 6 pages, then 4 pages end at 56, not 58. */
	assert_int_equal(start_of(ra, 6 * PAGE, 0, GTT_PLACE_HIGH), 58 * PAGE);
	assert_int_equal(start_of(ra, 4 * PAGE, 0, GTT_PLACE_HIGH), 52 * PAGE);
	gtt_range_alloc_destroy(ra);

	/* Random requests never straddle, and fail only when nothing could fit. */
	ra = make(0, 512 * PAGE, 0);
	assert_int_equal(gtt_range_alloc_set_nospan(ra, 17), 0);	/* 32 pages */
	for (int i = 0; i < 3000; i++) {
		r = (struct gtt_range_request){
			.size = (1 + rng_below(&rng, 32)) * PAGE,
			.alignment = PAGE << rng_below(&rng, 7),
			.placement = (enum gtt_placement)rng_below(&rng, 3),
		};
		if (gtt_range_insert(ra, &r, NULL, &n) == 0) {
			assert_false(spans(gtt_range_node_start(n), r.size, 32 * PAGE));
			assert_int_equal(gtt_range_node_start(n) % r.alignment, 0);
		} else {
			/* No aligned, unspanning placement is free. */
			for (uint64_t s = 0; s + r.size <= 512 * PAGE; s += r.alignment) {
				bool free_here = !spans(s, r.size, 32 * PAGE);

				for (uint64_t a = s; free_here && a < s + r.size; a += PAGE)
					free_here = !gtt_range_lookup(ra, a);
				assert_false(free_here);
			}
			n = gtt_range_first(ra);
			for (uint64_t k = rng_below(&rng, 8); n && k; k--)
				n = gtt_range_next(ra, n);
			if (n)
				assert_int_equal(gtt_range_remove(ra, n), 0);
		}
	}
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
}

/* A heap that starts empty and gets ranges at run time (nvk's). */
static void test_added_ranges(void **state)
{
	struct gtt_range_alloc *ra = NULL;
	struct gtt_range_request r = { .size = PAGE, .placement = GTT_PLACE_LOW };
	struct gtt_range_stats st;
	struct gtt_range_node *n, *m;
	uint64_t hs, hz;
	bool pinned = false;
	size_t count;

	(void)state;
	assert_int_equal(gtt_range_alloc_create(0, 64 * PAGE, 0, GTT_RANGE_ALLOC_EMPTY, &ra), 0);
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -ENOSPC);
	assert_int_equal(gtt_range_next_hole(ra, 0, &hs, &hz), -ENOENT);
	assert_null(gtt_range_first(ra));
	assert_null(gtt_range_lookup(ra, 5 * PAGE));
	gtt_range_alloc_stats(ra, &st);
	assert_int_equal(st.free, 0);
	assert_int_equal(st.nodes, 0);
	/* A range in the middle, then one touching it, then at both ends. */
	assert_int_equal(gtt_range_add_free(ra, 10 * PAGE, 4 * PAGE), 0);
	assert_int_equal(gtt_range_add_free(ra, 14 * PAGE, 2 * PAGE), 0);
	assert_int_equal(gtt_range_add_free(ra, 0, PAGE), 0);
	assert_int_equal(gtt_range_add_free(ra, 60 * PAGE, 4 * PAGE), 0);
	assert_int_equal(range_alloc_check(ra), 0);
	assert_int_equal(gtt_range_next_hole(ra, 0, &hs, &hz), 0);
	assert_int_equal(hs, 0);
	assert_int_equal(hz, PAGE);
	assert_int_equal(gtt_range_next_hole(ra, PAGE, &hs, &hz), 0);
	assert_int_equal(hs, 10 * PAGE);
	assert_int_equal(hz, 6 * PAGE);
	assert_int_equal(gtt_range_next_hole(ra, 11 * PAGE, &hs, &hz), 0);
	assert_int_equal(hs, 60 * PAGE);
	gtt_range_alloc_stats(ra, &st);
	assert_int_equal(st.free, 11 * PAGE);
	/* Placement only in what was added; the rest is never a neighbour to evict. */
	r.size = 5 * PAGE;
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), 0);
	assert_int_equal(gtt_range_node_start(n), 10 * PAGE);
	assert_ptr_equal(gtt_range_first(ra), n);
	assert_null(gtt_range_next(ra, n));
	r.size = 2 * PAGE;
	assert_int_equal(gtt_range_evict_scan(ra, &r, all_but_pinned, &pinned, NULL, 0, &count), 0);
	r.size = 8 * PAGE;
	assert_int_equal(gtt_range_evict_scan(ra, &r, all_but_pinned, &pinned, NULL, 0, &count), -ENOSPC);
	assert_int_equal(gtt_range_reserve(ra, 20 * PAGE, PAGE, 0, NULL, &m), -ENOSPC);
	/* Added space that is free or in use, or out of bounds: refused. */
	gtt_range_alloc_stats(ra, &st);
	assert_int_equal(gtt_range_add_free(ra, 12 * PAGE, PAGE), -EINVAL);
	assert_int_equal(gtt_range_add_free(ra, 15 * PAGE, 2 * PAGE), -EINVAL);
	assert_int_equal(gtt_range_add_free(ra, 30 * PAGE, 31 * PAGE), -EINVAL);
	assert_int_equal(gtt_range_add_free(ra, 30 * PAGE, 0), -EINVAL);
	assert_int_equal(gtt_range_add_free(ra, 30 * PAGE + 1, PAGE), -EINVAL);
	assert_int_equal(gtt_range_add_free(ra, 64 * PAGE, PAGE), -EINVAL);
	assert_int_equal(gtt_range_add_free(NULL, 30 * PAGE, PAGE), -EINVAL);
	/* A split needs a node: out of memory changes nothing. */
	mem_fail_after(1);
	assert_int_equal(gtt_range_add_free(ra, 30 * PAGE, PAGE), -ENOMEM);
	mem_fail_after(0);
	{
		struct gtt_range_stats again;

		gtt_range_alloc_stats(ra, &again);
		assert_memory_equal(&st, &again, sizeof(st));
	}
	assert_int_equal(range_alloc_check(ra), 0);
	/* Removing the node gives back the range it came from. */
	assert_int_equal(gtt_range_remove(ra, n), 0);
	assert_int_equal(gtt_range_add_free(ra, 16 * PAGE, 44 * PAGE), 0);
	assert_int_equal(gtt_range_add_free(ra, PAGE, 9 * PAGE), 0);
	gtt_range_alloc_stats(ra, &st);
	assert_int_equal(st.free, 64 * PAGE);
	assert_int_equal(st.holes, 1);
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
	/* On a plain allocator everything was added at creation. */
	ra = make(0, 8 * PAGE, 0);
	assert_int_equal(gtt_range_add_free(ra, 0, PAGE), -EINVAL);
	gtt_range_alloc_destroy(ra);
	/* Creating an empty allocator needs its filler. */
	mem_fail_after(2);
	assert_int_equal(gtt_range_alloc_create(0, 64 * PAGE, 0, GTT_RANGE_ALLOC_EMPTY, &ra), -ENOMEM);
	mem_fail_after(0);
}

static void test_hole_listing_and_print(void **state)
{
	struct gtt_range_alloc *ra = make(PAGE, 15 * PAGE, 0);
	struct gtt_range_node *n;
	uint64_t hs, hz, from = 0;
	char buf[1024] = "";
	FILE *fp;
	int holes = 0;

	(void)state;
	assert_int_equal(gtt_range_reserve(ra, 2 * PAGE, PAGE, 0, NULL, &n), 0);
	assert_int_equal(gtt_range_reserve(ra, 8 * PAGE, 2 * PAGE, 0, NULL, &n), 0);
	while (gtt_range_next_hole(ra, from, &hs, &hz) == 0) {
		assert_null(gtt_range_lookup(ra, hs));
		assert_non_null(gtt_range_lookup(ra, hs - 1) ? (void *)1 : (hs == PAGE ? (void *)1 : NULL));
		from = hs + hz;
		holes++;
	}
	assert_int_equal(holes, 3);
	assert_int_equal(gtt_range_next_hole(ra, 0, NULL, &hz), -EINVAL);
	fp = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(fp);
	assert_int_equal(gtt_range_alloc_print(ra, fp, "  "), 0);
	fclose(fp);
	assert_string_equal(buf,
		"  util_vma_heap:\n"
		"      hole: offset = 40960 (0xa000), size = 24576 (0x6000)\n"
		"      hole: offset = 12288 (0x3000), size = 20480 (0x5000)\n"
		"      hole: offset = 4096 (0x1000), size = 4096 (0x1000)\n"
		"  49152B (0xc000) free (20.00% full)\n");
	assert_int_equal(gtt_range_alloc_print(ra, NULL, ""), -EINVAL);
	assert_int_equal(gtt_range_alloc_print(ra, stdout, NULL), -EINVAL);
	fp = fopen("/dev/full", "w");
	if (fp) {
		assert_int_equal(gtt_range_alloc_print(ra, fp, ""), -EIO);
		fclose(fp);
	}
	gtt_range_alloc_destroy(ra);
}

/* ---- a space that ends at 2^64 ---- */

#define MIB (1ull << 20)
/* 2^64 - x, for the addresses of a space that ends at 2^64. */
#define TOP(x) (0 - (uint64_t)(x))

static struct gtt_range_node *put_in(struct gtt_range_alloc *ra, uint64_t size,
				     uint64_t lo, uint64_t end, enum gtt_placement pl)
{
	struct gtt_range_request r = { .size = size, .range_start = lo,
				       .range_end = end, .placement = pl };

	return put_req(ra, &r);
}

/*
 * [2^64 - 16 MiB, 2^64) filled exactly by HIGH, LOW and BEST, the node at
 * the top ending at 2^64; freed, the holes merge up to 2^64; the last page
 * reserved; bad ranges (past 2^64, zero, misaligned) refused.
 */
static void test_top_fill_free_reserve(void **state)
{
	struct gtt_range_alloc *ra = NULL, *bad = NULL;
	struct gtt_range_node *hi, *lo, *best, *n;
	struct gtt_range_request r = { .size = PAGE, .placement = GTT_PLACE_HIGH };
	struct gtt_range_stats st;

	(void)state;
	/* [0, 2^64) needs a size of 2^64: a u64 cannot say it. */
	assert_int_equal(gtt_range_alloc_create(TOP(16 * MIB), 16 * MIB + PAGE, 0, 0, &bad), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "2^64"));
	assert_int_equal(gtt_range_alloc_create(TOP(PAGE), 2 * PAGE, 0, 0, &bad), -EINVAL);
	assert_int_equal(gtt_range_alloc_create(TOP(PAGE), 0, 0, 0, &bad), -EINVAL);
	assert_int_equal(gtt_range_alloc_create(TOP(PAGE) + 1, PAGE - 1, 0, 0, &bad), -EINVAL);
	assert_int_equal(gtt_range_alloc_create(0, UINT64_MAX, 0, 0, &bad), -EINVAL);
	assert_null(bad);
	/* The largest: all but the first page; at byte granularity all but 0. */
	assert_int_equal(gtt_range_alloc_create(PAGE, TOP(PAGE), 0, 0, &bad), 0);
	assert_int_equal(gtt_range_alloc_stats(bad, &st), 0);
	assert_true(st.free == TOP(PAGE) && st.largest_hole == TOP(PAGE));
	assert_int_equal(start_of(bad, 1ull << 63, 1ull << 63, GTT_PLACE_LOW), 1ull << 63);
	gtt_range_alloc_destroy(bad);
	bad = NULL;
	assert_int_equal(gtt_range_alloc_create(1, UINT64_MAX, 1, 0, &bad), 0);
	gtt_range_alloc_destroy(bad);

	ra = make(TOP(16 * MIB), 16 * MIB, 0);
	assert_int_equal(range_alloc_check(ra), 0);
	hi = put(ra, MIB, 0, 0, GTT_PLACE_HIGH);
	assert_true(gtt_range_node_start(hi) == TOP(MIB));
	assert_ptr_equal(gtt_range_lookup(ra, UINT64_MAX), hi);
	lo = put(ra, MIB, 0, 0, GTT_PLACE_LOW);
	assert_true(gtt_range_node_start(lo) == TOP(16 * MIB));
	best = put(ra, 14 * MIB, 0, 0, GTT_PLACE_BEST);
	assert_true(gtt_range_node_start(best) == TOP(15 * MIB));
	assert_int_equal(gtt_range_alloc_stats(ra, &st), 0);
	assert_true(st.free == 0 && st.holes == 0 && st.used == 16 * MIB);
	for (int pl = GTT_PLACE_BEST; pl <= GTT_PLACE_HIGH; pl++) {
		r.placement = (enum gtt_placement)pl;
		assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -ENOSPC);
	}
	assert_int_equal(gtt_range_reserve(ra, TOP(PAGE), PAGE, 0, NULL, &n), -ENOSPC);
	/* The top node goes: a hole up to 2^64; then the one below it merges. */
	assert_int_equal(gtt_range_remove(ra, hi), 0);
	assert_int_equal(range_alloc_check(ra), 0);
	assert_int_equal(gtt_range_alloc_stats(ra, &st), 0);
	assert_true(st.free == MIB && st.holes == 1 && st.largest_hole == MIB);
	assert_int_equal(gtt_range_remove(ra, best), 0);
	assert_int_equal(range_alloc_check(ra), 0);
	assert_int_equal(gtt_range_alloc_stats(ra, &st), 0);
	assert_true(st.free == 15 * MIB && st.holes == 1 && st.largest_hole == 15 * MIB);
	/* BEST and HIGH take the top of it, LOW its bottom. */
	r.placement = GTT_PLACE_BEST;
	r.range_start = TOP(PAGE);
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), 0);
	assert_true(gtt_range_node_start(n) == TOP(PAGE));
	assert_int_equal(gtt_range_remove(ra, n), 0);
	/* The last page: reserved exactly, not past 2^64, not twice. */
	assert_int_equal(gtt_range_reserve(ra, TOP(PAGE), 2 * PAGE, 0, NULL, &n), -EINVAL);
	assert_int_equal(gtt_range_reserve(ra, TOP(PAGE), 0, 0, NULL, &n), -EINVAL);
	assert_int_equal(gtt_range_reserve(ra, TOP(PAGE) + 1, PAGE, 0, NULL, &n), -EINVAL);
	assert_int_equal(gtt_range_reserve(ra, TOP(PAGE), PAGE, 0, NULL, &n), 0);
	assert_ptr_equal(gtt_range_lookup(ra, UINT64_MAX), n);
	assert_int_equal(gtt_range_reserve(ra, TOP(PAGE), PAGE, 0, NULL, &hi), -ENOSPC);
	assert_int_equal(gtt_range_reserve(ra, TOP(2 * PAGE), 2 * PAGE, 0, NULL, &hi), -ENOSPC);
	assert_int_equal(range_alloc_check(ra), 0);
	/* HIGH now ends below it. */
	assert_true(start_of(ra, PAGE, 0, GTT_PLACE_HIGH) == TOP(2 * PAGE));
	assert_int_equal(gtt_range_alloc_stats(ra, &st), 0);
	assert_true(st.free == 15 * MIB - 2 * PAGE && st.holes == 1);
	gtt_range_alloc_destroy(ra);
}

/* Range limits, added ranges and nospan blocks at the top. */
static void test_top_limits_added_nospan(void **state)
{
	struct gtt_range_alloc *ra = make(TOP(16 * MIB), 16 * MIB, 0);
	struct gtt_range_request r = { .size = 2 * MIB };
	struct gtt_range_node *n;
	struct gtt_range_stats st;

	(void)state;
	/* range_end 0: up to 2^64. */
	assert_true(gtt_range_node_start(put_in(ra, MIB, TOP(MIB), 0, GTT_PLACE_LOW)) == TOP(MIB));
	assert_true(gtt_range_node_start(put_in(ra, MIB, 0, TOP(MIB), GTT_PLACE_HIGH)) == TOP(2 * MIB));
	assert_true(gtt_range_node_start(put_in(ra, MIB, TOP(8 * MIB), TOP(4 * MIB), GTT_PLACE_BEST)) == TOP(8 * MIB));
	assert_true(gtt_range_node_start(put_in(ra, MIB, TOP(8 * MIB), TOP(4 * MIB), GTT_PLACE_HIGH)) == TOP(5 * MIB));
	/* A range with no room, and one outside the allocator. */
	r.range_start = TOP(2 * MIB);
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -ENOSPC);
	r.range_start = 0;
	r.range_end = TOP(16 * MIB);
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -EINVAL);
	gtt_range_alloc_destroy(ra);

	/* Ranges added at the top merge up to 2^64; none past it. */
	ra = make(TOP(16 * MIB), 16 * MIB, GTT_RANGE_ALLOC_EMPTY);
	assert_int_equal(gtt_range_add_free(ra, TOP(MIB), 2 * MIB), -EINVAL);
	assert_int_equal(gtt_range_add_free(ra, TOP(MIB), MIB), 0);
	assert_int_equal(gtt_range_add_free(ra, TOP(MIB), MIB), -EINVAL);
	assert_int_equal(gtt_range_add_free(ra, TOP(2 * MIB), MIB), 0);
	assert_int_equal(range_alloc_check(ra), 0);
	assert_int_equal(gtt_range_alloc_stats(ra, &st), 0);
	assert_true(st.free == 2 * MIB && st.holes == 1 && st.largest_hole == 2 * MIB);
	assert_true(start_of(ra, 2 * MIB, 0, GTT_PLACE_LOW) == TOP(2 * MIB));
	assert_int_equal(gtt_range_add_free(ra, TOP(16 * MIB), MIB), 0);
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);

	/* The 2^63 block at the top: LOW moves up to 2^63, ending at 2^64. */
	ra = make((1ull << 63) - 16 * MIB, (1ull << 63) + 16 * MIB, 0);
	assert_int_equal(gtt_range_alloc_set_nospan(ra, 63), 0);
	assert_int_equal(start_of(ra, 1ull << 63, 0, GTT_PLACE_LOW), 1ull << 63);
	assert_int_equal(start_of(ra, 16 * MIB, 0, GTT_PLACE_HIGH), (1ull << 63) - 16 * MIB);
	gtt_range_alloc_destroy(ra);
	/* The last 2^32 block: nothing crosses into it from below. */
	ra = make(TOP((1ull << 32) + 16 * MIB), (1ull << 32) + 16 * MIB, 0);
	assert_int_equal(gtt_range_alloc_set_nospan(ra, 32), 0);
	n = put(ra, 1ull << 32, 0, 0, GTT_PLACE_HIGH);
	assert_true(gtt_range_node_start(n) == TOP(1ull << 32));
	r = (struct gtt_range_request){ .size = 32 * MIB };
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -ENOSPC);
	assert_int_equal(gtt_range_remove(ra, gtt_range_lookup(ra, UINT64_MAX)), 0);
	assert_true(start_of(ra, 32 * MIB, 0, GTT_PLACE_LOW) == TOP(1ull << 32));
	assert_true(start_of(ra, 32 * MIB, 0, GTT_PLACE_HIGH) == TOP(32 * MIB));
	assert_true(start_of(ra, 16 * MIB, 0, GTT_PLACE_BEST) == TOP((1ull << 32) + 16 * MIB));
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
}

/* Listing stops at the hole that ends at 2^64; print and stats count it. */
static void test_top_holes_print(void **state)
{
	struct gtt_range_alloc *ra = make(TOP(16 * MIB), 16 * MIB, 0);
	uint64_t hs, hz, from = 0, seen[4][2];
	struct gtt_range_stats st;
	struct gtt_range_node *n;
	char buf[1024] = "";
	int holes = 0;
	FILE *fp;

	(void)state;
	assert_int_equal(gtt_range_reserve(ra, TOP(15 * MIB), MIB, 0, NULL, &n), 0);
	while (holes < 4 && gtt_range_next_hole(ra, from, &hs, &hz) == 0) {
		seen[holes][0] = hs;
		seen[holes++][1] = hz;
		from = hs + hz;
		if (!from)	/* the hole ends at 2^64 */
			break;
	}
	assert_int_equal(holes, 2);
	assert_true(seen[0][0] == TOP(16 * MIB) && seen[0][1] == MIB);
	assert_true(seen[1][0] == TOP(14 * MIB) && seen[1][1] == 14 * MIB);
	assert_int_equal(gtt_range_next_hole(ra, TOP(PAGE), &hs, &hz), -ENOENT);
	assert_int_equal(gtt_range_alloc_stats(ra, &st), 0);
	assert_true(st.free == 15 * MIB && st.used == MIB && st.largest_hole == 14 * MIB);
	fp = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(fp);
	assert_int_equal(gtt_range_alloc_print(ra, fp, ""), 0);
	fclose(fp);
	assert_string_equal(buf,
		"util_vma_heap:\n"
		"    hole: offset = 18446744073694871552 (0xffffffffff200000), size = 14680064 (0xe00000)\n"
		"    hole: offset = 18446744073692774400 (0xffffffffff000000), size = 1048576 (0x100000)\n"
		"15728640B (0xf00000) free (6.25% full)\n");
	gtt_range_alloc_destroy(ra);
}

/* The eviction scan opens a hole at the top, with and without guards. */
static void test_top_evict_scan(void **state)
{
	struct gtt_range_request r = { .size = 2 * MIB, .placement = GTT_PLACE_HIGH };
	struct gtt_range_node *nodes[16], *victims[16], *n;
	size_t count;

	(void)state;
	for (int guard = 0; guard <= 1; guard++) {
		struct gtt_range_alloc *ra = make(TOP(16 * MIB), 16 * MIB,
						  guard ? GTT_RANGE_COLOR_GUARD : 0);

		for (int i = 0; i < 16; i++)
			nodes[i] = put(ra, MIB, 0, 1, GTT_PLACE_LOW);
		/* Colour 2 next to colour 1: a guard page at the hole's start
		 * (none at 2^64), so three go. */
		r.color = guard ? 2 : 1;
		assert_int_equal(gtt_range_evict_scan(ra, &r, any_evictable, NULL,
						      victims, 16, &count), 0);
		assert_int_equal(count, guard ? 3 : 2);
		for (size_t i = 0; i < count; i++) {
			assert_ptr_equal(victims[i], nodes[16 - count + i]);
			assert_int_equal(gtt_range_remove(ra, victims[i]), 0);
		}
		assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), 0);
		assert_true(gtt_range_node_start(n) == TOP(2 * MIB));
		/* A range limit at the top: the last node alone opens 1 MiB. */
		r = (struct gtt_range_request){ .size = MIB, .color = 1,
						.range_start = TOP(MIB),
						.placement = GTT_PLACE_LOW };
		assert_int_equal(gtt_range_evict_scan(ra, &r, any_evictable, NULL,
						      victims, 16, &count), 0);
		assert_int_equal(count, 1);
		assert_ptr_equal(victims[0], n);
		assert_int_equal(range_alloc_check(ra), 0);
		r = (struct gtt_range_request){ .size = 2 * MIB, .placement = GTT_PLACE_HIGH };
		gtt_range_alloc_destroy(ra);
	}
}

/* A rule that keeps the top two pages free and records the ends it saw. */
struct top_rule {
	unsigned int top_calls;		/* *end was 0: the hole ends at 2^64 */
	bool zero_end;			/* set every *end to 0 */
};

static void top_rule(void *arg, uint32_t color, uint32_t pc, uint32_t nc,
		     uint64_t *start, uint64_t *end)
{
	struct top_rule *t = arg;

	(void)color, (void)pc, (void)nc, (void)start;
	if (!*end) {
		t->top_calls++;
		if (!t->zero_end)
			*end -= 2 * PAGE;	/* 2^64 - 2 pages */
	} else if (t->zero_end) {
		*end = 0;	/* from elsewhere: the hole is emptied */
	}
}

/*
 * The colour rules at 2^64: the guard page rule (no guard at the top end,
 * the whole of a last hole taken by a guard at byte granularity) and a
 * custom rule, which sees *end == 0 for a hole that ends at 2^64.
 */
static void test_top_color_rules(void **state)
{
	struct gtt_range_alloc *ra = make(TOP(16 * MIB), 16 * MIB, GTT_RANGE_COLOR_GUARD);
	struct gtt_range_request r = { .color = 2 };
	struct top_rule t = { 0 };
	struct gtt_range_node *n;

	(void)state;
	/* No guard at 2^64: colour 2 goes right to the top. */
	assert_true(gtt_range_node_start(put(ra, PAGE, 0, 2, GTT_PLACE_HIGH)) == TOP(PAGE));
	assert_true(gtt_range_node_start(put(ra, PAGE, 0, 1, GTT_PLACE_HIGH)) == TOP(3 * PAGE));
	assert_int_equal(gtt_range_remove(ra, gtt_range_lookup(ra, UINT64_MAX)), 0);
	assert_int_equal(gtt_range_reserve(ra, TOP(2 * PAGE), PAGE, 1, NULL, &n), 0);
	/* The last page, after colour 1: only colour 1 may take it. */
	assert_int_equal(gtt_range_reserve(ra, TOP(PAGE), PAGE, 2, NULL, &n), -ENOSPC);
	r.size = PAGE;
	r.placement = GTT_PLACE_HIGH;
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), 0);
	assert_true(gtt_range_node_start(n) == TOP(5 * PAGE));
	assert_int_equal(gtt_range_remove(ra, n), 0);
	assert_int_equal(gtt_range_reserve(ra, TOP(PAGE), PAGE, 1, NULL, &n), 0);
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);

	/* Byte granularity: the guard takes the one byte left under 2^64. */
	assert_int_equal(gtt_range_alloc_create(TOP(16), 16, 1, GTT_RANGE_COLOR_GUARD, &ra), 0);
	assert_int_equal(gtt_range_reserve(ra, TOP(16), 15, 1, NULL, &n), 0);
	r.size = 1;
	for (int pl = GTT_PLACE_BEST; pl <= GTT_PLACE_HIGH; pl++) {
		r.placement = (enum gtt_placement)pl;
		assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -ENOSPC);
	}
	r.color = 1;
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), 0);
	assert_true(gtt_range_node_start(n) == UINT64_MAX);
	gtt_range_alloc_destroy(ra);

	/* A custom rule sees 0 for 2^64 and moves the end down from it. */
	ra = make(TOP(16 * MIB), 16 * MIB, GTT_RANGE_COLOR_GUARD);
	assert_int_equal(gtt_range_alloc_set_color_adjust(ra, top_rule, &t), 0);
	assert_true(gtt_range_node_start(put(ra, PAGE, 0, 0, GTT_PLACE_HIGH)) == TOP(3 * PAGE));
	assert_true(t.top_calls > 0);
	/* Left at 0, the end stays 2^64; moved to 0 from below, the hole empties. */
	t.zero_end = true;
	t.top_calls = 0;
	assert_true(gtt_range_node_start(put(ra, PAGE, 0, 0, GTT_PLACE_HIGH)) == TOP(PAGE));
	assert_true(t.top_calls > 0);
	r = (struct gtt_range_request){ .size = PAGE, .range_end = TOP(2 * PAGE),
					.placement = GTT_PLACE_LOW };
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), -ENOSPC);
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
}

/* An avoid callback is offered the top placement with end 0, and a block
 * it names up to 2^64 (end 0) is skipped. */
struct top_avoid {
	uint64_t from;		/* reject placements starting in */
	uint64_t block_end;	/* [from, block_end) (0: 2^64), naming it */
	unsigned int calls, top_calls;
};

static bool top_avoid(void *arg, uint64_t s, uint64_t e, uint64_t *bs,
		      uint64_t *be)
{
	struct top_avoid *a = arg;

	a->calls++;
	a->top_calls += !e;
	if (s < a->from || (a->block_end && s >= a->block_end))
		return false;
	*bs = a->from;
	*be = a->block_end;
	return true;
}

static void test_top_avoid(void **state)
{
	struct gtt_range_alloc *ra = make(TOP(16 * MIB), 16 * MIB, 0);
	struct top_avoid a = { .from = TOP(4 * MIB), .block_end = 0 };
	struct gtt_range_avoid av = { .fn = top_avoid, .arg = &a };
	struct gtt_range_request r = { .size = MIB, .avoid = &av,
				       .placement = GTT_PLACE_HIGH };
	struct gtt_range_node *n;

	(void)state;
	/* HIGH: the top placement (end 0) is rejected with the block
	 * [2^64 - 4 MiB, 2^64): the next is just below the block. */
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), 0);
	assert_true(gtt_range_node_start(n) == TOP(5 * MIB));
	assert_int_equal(a.calls, 2);
	assert_int_equal(a.top_calls, 1);
	assert_int_equal(gtt_range_remove(ra, n), 0);
	/* LOW into [2^64 - 4 MiB, 2^64): everything up to 2^64 is blocked,
	 * so after one call the node goes where it would without one. */
	a.calls = 0;
	r.placement = GTT_PLACE_LOW;
	r.range_start = TOP(4 * MIB);
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), 0);
	assert_true(gtt_range_node_start(n) == TOP(4 * MIB));
	assert_int_equal(a.calls, 1);
	assert_int_equal(gtt_range_remove(ra, n), 0);
	/* A block that stops short of 2^64 is skipped upward to the top. */
	a.calls = a.top_calls = 0;
	a.block_end = TOP(MIB);
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &n), 0);
	assert_true(gtt_range_node_start(n) == TOP(MIB));
	assert_int_equal(a.calls, 2);
	assert_int_equal(a.top_calls, 1);
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
}

/* Is [@first, @first + @np) a legal placement of colour @c in the model? */
static bool top_legal(const unsigned char *owner, unsigned int pages,
		      uint64_t first, uint64_t np, uint32_t c)
{
	for (uint64_t p = first; p < first + np; p++)
		if (owner[p])
			return false;
	if (first > 0 && owner[first - 1] && owner[first - 1] != c + 1)
		return false;
	return first + np >= pages || !owner[first + np] || owner[first + np] == c + 1;
}

/*
 * Random inserts (every placement, colour guards, alignments, range limits
 * reaching 2^64 or not) and removals in [2^64 - 256 pages, 2^64), against a
 * page model: LOW and HIGH get the lowest and highest legal placement, BEST
 * a legal one, and every request fails only when none is legal.
 */
static void test_top_random_against_model(void **state)
{
	enum { PAGES = 256, MAXN = 128 };
	const uint64_t base = TOP(PAGES * PAGE);
	struct gtt_range_alloc *ra = make(base, PAGES * PAGE, GTT_RANGE_COLOR_GUARD);
	struct gtt_range_node *live[MAXN], *n;
	unsigned char owner[PAGES] = { 0 };
	unsigned int nlive = 0, at_top = 0;
	uint64_t rng = 64;

	(void)state;
	for (int op = 0; op < 6000; op++) {
		if (nlive && (nlive == MAXN || rng_below(&rng, 100) < 40)) {
			unsigned int i = (unsigned int)rng_below(&rng, nlive);
			uint64_t first = (gtt_range_node_start(live[i]) - base) / PAGE;

			memset(owner + first, 0, gtt_range_node_size(live[i]) / PAGE);
			assert_int_equal(gtt_range_remove(ra, live[i]), 0);
			live[i] = live[--nlive];
			continue;
		}
		struct gtt_range_request r = {
			.size = (1 + rng_below(&rng, 8)) * PAGE,
			.alignment = PAGE << rng_below(&rng, 4),
			.color = (uint32_t)rng_below(&rng, 3),
			.placement = (enum gtt_placement)rng_below(&rng, 3),
		};
		uint64_t lo = 0, end = PAGES, found = UINT64_MAX, low = UINT64_MAX, high = 0;
		uint64_t np = r.size / PAGE, step = r.alignment / PAGE;
		int err;

		if (rng_below(&rng, 3) == 0) {
			lo = rng_below(&rng, PAGES);
			r.range_start = base + lo * PAGE;
			if (rng_below(&rng, 2)) {	/* else up to 2^64 */
				end = lo + 1 + rng_below(&rng, PAGES - lo);
				r.range_end = end == PAGES ? 0 : base + end * PAGE;
			}
		}
		for (uint64_t f = (lo + step - 1) / step * step; f + np <= end; f += step) {
			if (!top_legal(owner, PAGES, f, np, r.color))
				continue;
			low = low < f ? low : f;
			high = f;
		}
		err = gtt_range_insert(ra, &r, NULL, &n);
		if (low == UINT64_MAX) {
			assert_int_equal(err, -ENOSPC);
			continue;
		}
		assert_int_equal(err, 0);
		found = (gtt_range_node_start(n) - base) / PAGE;
		assert_true(top_legal(owner, PAGES, found, np, r.color));
		assert_true(found >= lo && found + np <= end);
		if (r.placement == GTT_PLACE_LOW)
			assert_int_equal(found, low);
		if (r.placement == GTT_PLACE_HIGH)
			assert_int_equal(found, high);
		at_top += found + np == PAGES;
		memset(owner + found, (int)r.color + 1, np);
		live[nlive++] = n;
		if (op % 100 == 0)
			assert_int_equal(range_alloc_check(ra), 0);
	}
	assert_true(at_top > 0);	/* the top was placed at, often */
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
}

/*
 * The ordered scans' helpers (range_fit_req(), range_fits(),
 * range_span_fits(), range_scan_run(): the vm's LRU and roster orders)
 * against FEWEST (gtt_range_evict_scan()) where they must agree: with every
 * unpinned node a candidate, a maximal run of them opens a hole exactly
 * when its span fits, and the best of range_scan_run() over those runs
 * (fewest; ties: the lowest, the highest for GTT_PLACE_HIGH) is FEWEST's
 * pick.  Spaces low, in the middle and ending at 2^64, with and without
 * the guard page, nospan blocks, range limits (range_end 0 included, and
 * ranges at the top).  Evicting the pick must let the request in.
 */
static void test_ordered_helpers_against_fewest(void **state)
{
	enum { MAXN = 40, PAGES = 32 };
	int pinned_tag;
	uint64_t rng = 0x0dde5ca7;
	unsigned long agree = 0, opened = 0, top = 0;

	(void)state;
	for (int world = 0; world < 600; world++) {
		unsigned int where = (unsigned int)rng_below(&rng, 3);
		uint64_t base = where == 0 ? rng_below(&rng, 2) * PAGE :
				where == 1 ? (1ull << 40) : TOP(PAGES * PAGE);
		bool guard = rng_below(&rng, 3) != 0;
		struct gtt_range_alloc *ra = make(base, PAGES * PAGE,
						  guard ? GTT_RANGE_COLOR_GUARD : 0);
		struct snap s[MAXN];
		size_t n;

		if (rng_below(&rng, 3) == 0)
			assert_int_equal(gtt_range_alloc_set_nospan(ra, 14 + (unsigned int)rng_below(&rng, 3)), 0);
		for (uint64_t at = base; at - base < PAGES * PAGE;) {
			uint64_t size = (1 + rng_below(&rng, 3)) * PAGE;
			struct gtt_range_node *x;

			at += rng_below(&rng, 4) == 0 ? PAGE : 0;
			if (at - base >= PAGES * PAGE || size > PAGES * PAGE - (at - base))
				break;
			if (gtt_range_reserve(ra, at, size, (uint32_t)rng_below(&rng, 3),
					      rng_below(&rng, 7) == 0 ? &pinned_tag : NULL,
					      &x) == 0)
				at += size;
			else
				at += PAGE;
		}
		for (int q = 0; q < 20; q++) {
			struct gtt_range_request r = {
				.size = (1 + rng_below(&rng, 5)) * PAGE,
				.alignment = PAGE << rng_below(&rng, 3),
				.color = (uint32_t)rng_below(&rng, 3),
				.placement = (enum gtt_placement)rng_below(&rng, 3),
			};
			struct gtt_range_node *victims[MAXN], *best_v = NULL, *v;
			size_t count = 0, best = 0, k;
			struct fit_req fr;
			int err;

			if (rng_below(&rng, 2)) {
				uint64_t lo = rng_below(&rng, PAGES), end;

				r.range_start = base + lo * PAGE;
				end = lo + 1 + rng_below(&rng, PAGES - lo);
				r.range_end = base + end * PAGE;	/* 0 at 2^64 */
			}
			n = snapshot(ra, s, MAXN, &pinned_tag);
			err = gtt_range_evict_scan(ra, &r, all_but_pinned, &pinned_tag,
						   victims, MAXN, &count);
			if (err == -EINVAL)	/* nospan: larger than a block */
				continue;
			assert_int_equal(range_fit_req(ra, &r, &fr), 0);
			assert_int_equal(range_fits(ra, &fr), err == 0 && count == 0);
			if (err == 0 && count == 0)
				continue;
			/* The maximal runs of unpinned nodes. */
			for (size_t i = 0; i < n; i = k) {
				struct gtt_range_node *before, *after;
				size_t got;

				if (!s[i].evictable) {
					k = i + 1;
					continue;
				}
				for (k = i; k < n && s[k].evictable; k++)
					;
				before = s[i].node->prev;
				after = s[k - 1].node->next;
				got = range_scan_run(ra, &fr, s[i].node, s[k - 1].node, &v);
				assert_int_equal(got != 0, range_span_fits(ra, &fr, before, after));
				if (got && (!best || got < best ||
					    (got == best && r.placement == GTT_PLACE_HIGH))) {
					best = got;
					best_v = v;
				}
			}
			if (err) {
				assert_int_equal(err, -ENOSPC);
				assert_int_equal(best, 0);
				agree++;
				continue;
			}
			assert_int_equal(best, count);
			assert_ptr_equal(best_v, victims[0]);
			agree++;
			opened++;
			top += gtt_range_node_start(victims[count - 1]) +
			       gtt_range_node_size(victims[count - 1]) == 0;
			evict_insert_restore(ra, &r, victims, count, s, n);
		}
		gtt_range_alloc_destroy(ra);
	}
	assert_true(opened > 1000);
	assert_true(agree > opened);
	assert_true(top > 0);
}

/* Nodes in caller storage: no allocation, reusable after removal. */
static void test_embedded_nodes(void **state)
{
	struct gtt_range_alloc *ra = make(0, 16 * PAGE, 0);
	struct gtt_range_node_storage mem[3];
	struct gtt_range_request r = { .size = 2 * PAGE };
	struct gtt_range_node *a, *b, *c;
	int tag;

	(void)state;
	memset(mem, 0, sizeof(mem));
	mem_fail_after(1);	/* any allocation would fail */
	assert_int_equal(gtt_range_insert_in(ra, &r, &tag, &mem[0], &a), 0);
	assert_int_equal(gtt_range_reserve_in(ra, 8 * PAGE, PAGE, 1, NULL, &mem[1], &b), 0);
	assert_false(mem_fail_fired());
	mem_fail_after(0);
	assert_ptr_equal(a, (void *)&mem[0]);
	assert_ptr_equal(gtt_range_node_owner(a), &tag);
	assert_int_equal(gtt_range_node_start(b), 8 * PAGE);
	assert_ptr_equal(gtt_range_lookup(ra, 8 * PAGE), b);
	/* In use: refused; so are the usual bad arguments. */
	assert_int_equal(gtt_range_insert_in(ra, &r, NULL, &mem[0], &c), -EINVAL);
	assert_int_equal(gtt_range_reserve_in(ra, 12 * PAGE, PAGE, 1, NULL, &mem[1], &c), -EINVAL);
	assert_int_equal(gtt_range_insert_in(ra, &r, NULL, NULL, &c), -EINVAL);
	assert_int_equal(gtt_range_insert_in(NULL, &r, NULL, &mem[2], &c), -EINVAL);
	assert_int_equal(gtt_range_insert_in(ra, &r, NULL, &mem[2], NULL), -EINVAL);
	assert_int_equal(gtt_range_reserve_in(ra, 12 * PAGE, PAGE, 1, NULL, NULL, &c), -EINVAL);
	assert_int_equal(gtt_range_reserve_in(NULL, 12 * PAGE, PAGE, 1, NULL, &mem[2], &c), -EINVAL);
	assert_int_equal(gtt_range_reserve_in(ra, 8 * PAGE, PAGE, 1, NULL, &mem[2], &c), -ENOSPC);
	assert_int_equal(gtt_range_reserve_in(ra, 8 * PAGE + 1, PAGE, 1, NULL, &mem[2], &c), -EINVAL);
	r.size = 32 * PAGE;
	assert_int_equal(gtt_range_insert_in(ra, &r, NULL, &mem[2], &c), -ENOSPC);
	assert_true(strstr(gtt_last_error(), "gtt_range_insert_in") != NULL);
	r.size = 0;
	assert_int_equal(gtt_range_insert_in(ra, &r, NULL, &mem[2], &c), -EINVAL);
	assert_int_equal(range_alloc_check(ra), 0);
	/* Removed: not freed (ASan would see it), and usable again. */
	assert_int_equal(gtt_range_remove(ra, a), 0);
	assert_int_equal(gtt_range_remove(ra, a), -EINVAL);
	r.size = PAGE;
	assert_int_equal(gtt_range_insert_in(ra, &r, NULL, &mem[0], &a), 0);
	/* Mixed with allocated nodes; destroy frees only those. */
	c = put(ra, PAGE, 0, 0, GTT_PLACE_HIGH);
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
	assert_true(sizeof(struct gtt_range_node) <= 168);
}

/* ---- everything mixed, against a page model (review) ---- */

/*
 * The model of test_mixed_against_model(): every page free (0), not added
 * yet (-1) or a node's slot (> 0); each slot's node, colour and whether
 * it lives in caller storage.
 */
enum { MX_PAGES = 384, MX_SLOTS = 160 };

/* What the steps did, so that the test can tell it covered each. */
static struct {
	unsigned int placed, nospace, reserved, added, ooms, scans, landed, at_zero;
} mx_seen;

struct mx {
	struct gtt_range_alloc *ra;
	uint64_t base;
	int rule;		/* 0 none, 1 guard pages, 2 wide_guard() */
	unsigned int nospan;	/* 0 or log2 of the block */
	/* The space starts at 0 and one request in six asks an alignment of
	 * 2^19 .. 2^63 (above 2^20, only address 0 has it). */
	bool wide_align;
	int own[MX_PAGES];
	struct gtt_range_node *node[MX_SLOTS];
	uint32_t color[MX_SLOTS];
	struct gtt_range_node_storage mem[MX_SLOTS];
};

static uint64_t mx_addr(const struct mx *m, uint64_t page)
{
	return m->base + page * PAGE;
}

/* Colour of whatever owns page @p (none outside the space or unadded). */
static uint32_t mx_color_at(const struct mx *m, long p)
{
	if (p < 0 || p >= MX_PAGES || m->own[p] <= 0)
		return GTT_COLOR_NONE;
	return m->color[m->own[p]];
}

/* Could a node of @np pages and colour @c go at page @p (pages free, the
 * colour rule against the neighbours of its gap)? */
static bool mx_free_ok(const struct mx *m, uint64_t p, uint64_t np, uint32_t c)
{
	uint64_t g = m->rule == 2 ? WIDE_GUARD / PAGE : m->rule == 1 ? 1 : 0;
	long gs = (long)p, ge = (long)(p + np);
	uint32_t pc, nc;

	if (p + np > MX_PAGES)
		return false;
	for (uint64_t i = p; i < p + np; i++)
		if (m->own[i])
			return false;
	while (gs > 0 && !m->own[gs - 1])
		gs--;
	while (ge < MX_PAGES && !m->own[ge])
		ge++;
	pc = mx_color_at(m, gs - 1);
	nc = mx_color_at(m, ge);
	if (pc != GTT_COLOR_NONE && pc != c && (long)p < gs + (long)g)
		return false;
	if (nc != GTT_COLOR_NONE && nc != c && (long)(p + np + g) > ge)
		return false;
	return true;
}

/* First page of the gap holding free page @p, and its length. */
static void mx_gap(const struct mx *m, uint64_t p, uint64_t *gs, uint64_t *len)
{
	uint64_t s = p, e = p;

	while (s > 0 && !m->own[s - 1])
		s--;
	while (e < MX_PAGES && !m->own[e])
		e++;
	*gs = s;
	*len = e - s;
}

/* The brute-force placement of @r: false if none is legal. */
static bool mx_choice(const struct mx *m, const struct gtt_range_request *r,
		      uint64_t *out)
{
	uint64_t np = r->size / PAGE, align = r->alignment ? r->alignment : PAGE;
	uint64_t rlast = r->range_end ? r->range_end - 1 : UINT64_MAX;
	uint64_t best_len = 0, best_gs = 0;
	bool found = false;

	for (uint64_t p = 0; p + np <= MX_PAGES; p++) {
		uint64_t a = mx_addr(m, p), last = a + (r->size - 1), gs, len;

		if (a % align || a < r->range_start || last > rlast ||
		    (m->nospan && a >> m->nospan != last >> m->nospan) ||
		    !mx_free_ok(m, p, np, r->color))
			continue;
		mx_gap(m, p, &gs, &len);
		switch (r->placement) {
		case GTT_PLACE_LOW:
			if (!found)
				*out = a;
			break;
		case GTT_PLACE_HIGH:
			*out = a;
			break;
		case GTT_PLACE_BEST:
			if (!found || len < best_len || (len == best_len && gs < best_gs)) {
				best_len = len;
				best_gs = gs;
				*out = a;
			}
			break;
		}
		found = true;
	}
	return found;
}

/* The allocator, as the public calls show it. */
struct mx_view {
	char nodes[8192];
	char print[16384];
	struct gtt_range_stats st;
};

static void mx_view(struct gtt_range_alloc *ra, struct mx_view *v)
{
	size_t at = 0;
	FILE *fp;
	uint64_t hs, hsz, from = 0;

	memset(v, 0, sizeof(*v));
	fp = fmemopen(v->print, sizeof(v->print) - 1, "w");
	assert_non_null(fp);
	assert_int_equal(gtt_range_alloc_print(ra, fp, "> "), 0);
	fclose(fp);
	for (struct gtt_range_node *x = gtt_range_first(ra); x; x = gtt_range_next(ra, x))
		at += (size_t)snprintf(v->nodes + at, sizeof(v->nodes) - at, "%llx+%llx/%u/%p ",
				       (unsigned long long)gtt_range_node_start(x),
				       (unsigned long long)gtt_range_node_size(x),
				       gtt_range_node_color(x), gtt_range_node_owner(x));
	while (gtt_range_next_hole(ra, from, &hs, &hsz) == 0) {
		at += (size_t)snprintf(v->nodes + at, sizeof(v->nodes) - at, "h%llx+%llx ",
				       (unsigned long long)hs, (unsigned long long)hsz);
		if (hs + hsz == 0)
			break;
		from = hs + hsz;
	}
	assert_true(at < sizeof(v->nodes) - 1);
	assert_int_equal(gtt_range_alloc_stats(ra, &v->st), 0);
}

/* The allocator matches the model, every invariant holds. */
static void mx_compare(const struct mx *m)
{
	uint64_t p = 0, used = 0, nodes = 0;
	struct gtt_range_stats st;

	assert_int_equal(range_alloc_check(m->ra), 0);
	for (struct gtt_range_node *x = gtt_range_first(m->ra); x;
	     x = gtt_range_next(m->ra, x)) {
		uint64_t first = (gtt_range_node_start(x) - m->base) / PAGE;
		uint64_t np = gtt_range_node_size(x) / PAGE;
		int slot;

		for (; p < first; p++)
			assert_true(m->own[p] <= 0);
		slot = m->own[first];
		assert_true(slot > 0);
		assert_ptr_equal(m->node[slot], x);
		assert_int_equal(gtt_range_node_color(x), m->color[slot]);
		for (; p < first + np; p++)
			assert_int_equal(m->own[p], slot);
		assert_true(p == MX_PAGES || m->own[p] != slot);
		used += np * PAGE;
		nodes++;
	}
	for (; p < MX_PAGES; p++)
		assert_true(m->own[p] <= 0);
	assert_int_equal(gtt_range_alloc_stats(m->ra, &st), 0);
	assert_int_equal(st.used, used);
	assert_int_equal(st.nodes, nodes);
}

static int mx_free_slot(const struct mx *m)
{
	for (int i = 1; i < MX_SLOTS; i++)
		if (!m->node[i])
			return i;
	return -1;
}

static void mx_own(struct mx *m, int slot, struct gtt_range_node *n, uint32_t c)
{
	uint64_t first = (gtt_range_node_start(n) - m->base) / PAGE;

	m->node[slot] = n;
	m->color[slot] = c;
	for (uint64_t p = first; p < first + gtt_range_node_size(n) / PAGE; p++)
		m->own[p] = slot;
}

static void mx_remove(struct mx *m, int slot)
{
	assert_int_equal(gtt_range_remove(m->ra, m->node[slot]), 0);
	for (int p = 0; p < MX_PAGES; p++)
		if (m->own[p] == slot)
			m->own[p] = 0;
	m->node[slot] = NULL;
}

static int mx_random_slot(const struct mx *m, uint64_t *rng)
{
	int live[MX_SLOTS], n = 0;

	for (int i = 1; i < MX_SLOTS; i++)
		if (m->node[i])
			live[n++] = i;
	return n ? live[rng_below(rng, (uint64_t)n)] : -1;
}

static struct gtt_range_request mx_request(const struct mx *m, uint64_t *rng)
{
	uint64_t most = m->nospan ? (1ull << m->nospan) / PAGE : 12;
	struct gtt_range_request r = {
		.size = (1 + rng_below(rng, most)) * PAGE,
		.alignment = rng_below(rng, 3) ? 0 : PAGE << rng_below(rng, 7),
		.color = (uint32_t)rng_below(rng, 3),
		.placement = (enum gtt_placement)rng_below(rng, 3),
	};

	if (rng_below(rng, 3) == 0) {
		uint64_t lo = rng_below(rng, MX_PAGES);

		r.range_start = mx_addr(m, lo);
		r.range_end = mx_addr(m, lo + 1 + rng_below(rng, MX_PAGES - lo));
	}
	if (m->wide_align && rng_below(rng, 6) == 0)
		r.alignment = 1ull << (19 + rng_below(rng, 45));
	return r;
}

/* An insert, into caller storage or not: checked against the brute force,
 * or (@oom) failing its allocation with nothing changed. */
static void mx_insert(struct mx *m, uint64_t *rng, bool oom)
{
	struct gtt_range_request r = mx_request(m, rng);
	int slot = mx_free_slot(m);
	bool emb = !oom && rng_below(rng, 3) == 0, any;
	struct gtt_range_node *n = NULL;
	struct mx_view before, after;
	uint64_t want = 0;
	int err;

	if (slot < 0)
		return;
	any = mx_choice(m, &r, &want);
	if (oom) {
		mx_view(m->ra, &before);
		mem_fail_after(1);
	}
	if (emb) {
		memset(&m->mem[slot], 0, sizeof(m->mem[slot]));
		err = gtt_range_insert_in(m->ra, &r, &m->mem[slot], &m->mem[slot], &n);
	} else {
		err = gtt_range_insert(m->ra, &r, &m->mem[slot], &n);
	}
	if (oom) {
		mem_fail_after(0);
		assert_int_equal(err, any ? -ENOMEM : -ENOSPC);
		mx_view(m->ra, &after);
		assert_memory_equal(&before, &after, sizeof(before));
		mx_seen.ooms += any;
		return;
	}
	if (!any) {
		assert_int_equal(err, -ENOSPC);
		mx_seen.nospace++;
		return;
	}
	assert_int_equal(err, 0);
	mx_seen.placed++;
	mx_seen.at_zero += r.alignment > 1ull << 20;	/* placed at 0 */
	assert_int_equal(gtt_range_node_start(n), want);
	mx_own(m, slot, n, r.color);
}

static void mx_reserve(struct mx *m, uint64_t *rng, bool oom)
{
	uint64_t p = rng_below(rng, MX_PAGES), np = 1 + rng_below(rng, 8);
	uint32_t c = (uint32_t)rng_below(rng, 3);
	int slot = mx_free_slot(m), err;
	bool emb = !oom && rng_below(rng, 3) == 0, ok;
	struct gtt_range_node *n = NULL;
	struct mx_view before, after;

	if (slot < 0)
		return;
	if (p + np > MX_PAGES)
		np = MX_PAGES - p;
	ok = mx_free_ok(m, p, np, c);
	if (oom) {
		mx_view(m->ra, &before);
		mem_fail_after(1);
	}
	if (emb) {
		memset(&m->mem[slot], 0, sizeof(m->mem[slot]));
		err = gtt_range_reserve_in(m->ra, mx_addr(m, p), np * PAGE, c, NULL,
					   &m->mem[slot], &n);
	} else {
		err = gtt_range_reserve(m->ra, mx_addr(m, p), np * PAGE, c, NULL, &n);
	}
	if (oom) {
		mem_fail_after(0);
		assert_int_equal(err, ok ? -ENOMEM : -ENOSPC);
		mx_view(m->ra, &after);
		assert_memory_equal(&before, &after, sizeof(before));
		mx_seen.ooms += ok;
		return;
	}
	assert_int_equal(err, ok ? 0 : -ENOSPC);
	if (ok)
		mx_own(m, slot, n, c);
	mx_seen.reserved += ok;
}

/* Add a range that is not added yet, or refused as overlapping; a split
 * filler needs a node (@oom: -ENOMEM, nothing changed), others none. */
static void mx_add_free(struct mx *m, uint64_t *rng, bool oom)
{
	uint64_t p = rng_below(rng, MX_PAGES), np = 1 + rng_below(rng, 64), i;
	struct mx_view before, after;
	bool ok = true, split;
	int err;

	if (p + np > MX_PAGES)
		np = MX_PAGES - p;
	for (i = p; i < p + np; i++)
		ok &= m->own[i] == -1;
	split = ok && p > 0 && m->own[p - 1] == -1 && p + np < MX_PAGES &&
		m->own[p + np] == -1;
	if (oom) {
		mx_view(m->ra, &before);
		mem_fail_after(1);
	}
	err = gtt_range_add_free(m->ra, mx_addr(m, p), np * PAGE);
	if (oom) {
		mem_fail_after(0);
		if (split) {
			assert_int_equal(err, -ENOMEM);
			mx_view(m->ra, &after);
			assert_memory_equal(&before, &after, sizeof(before));
			mx_seen.ooms++;
			return;
		}
	}
	assert_int_equal(err, ok ? 0 : -EINVAL);
	if (ok)
		for (i = p; i < p + np; i++)
			m->own[i] = 0;
	mx_seen.added += ok;
}

/* Was @x one of the first @n slots in @order (offered to the scan)? */
static bool mx_added(const struct mx *m, const int *order, int n,
		     const struct gtt_range_node *x)
{
	for (int i = 0; i < n; i++)
		if (m->node[order[i]] == x)
			return true;
	return false;
}

/* The node before @x (NULL if none), from the model. */
static struct gtt_range_node *mx_prev_node(const struct mx *m,
					   const struct gtt_range_node *x)
{
	long p = (long)((gtt_range_node_start(x) - m->base) / PAGE) - 1;

	while (p >= 0 && m->own[p] == 0)
		p--;
	return p >= 0 && m->own[p] > 0 ? m->node[m->own[p]] : NULL;
}

/* Is @n between run[0] and run[1] (the run around the scan's opener)? */
static bool mx_in_run(void *arg, struct gtt_range_node *n)
{
	struct gtt_range_node **run = arg;

	return gtt_range_node_start(n) >= gtt_range_node_start(run[0]) &&
	       gtt_range_node_start(n) <= gtt_range_node_start(run[1]);
}

/*
 * An ordered scan in a random order of the nodes: once a hole opens, its
 * victims are what gtt_range_evict_scan() picks with only the run around
 * the opener evictable; then (sometimes) they go and the request, limited
 * to the span they leave, fits there.
 */
static void mx_scan(struct mx *m, uint64_t *rng)
{
	struct gtt_range_request r = mx_request(m, rng);
	struct gtt_range_node *v[MX_SLOTS], *fv[MX_SLOTS], *run[2], *x;
	int order[MX_SLOTS], n = 0, added, err = 0, slot;
	struct gtt_range_scan scan;
	size_t count, fcount;
	uint64_t want;

	if (mx_choice(m, &r, &want))
		return;		/* it fits already */
	for (int i = 1; i < MX_SLOTS; i++)
		if (m->node[i])
			order[n++] = i;
	for (int i = n - 1; i > 0; i--) {
		int j = (int)rng_below(rng, (uint64_t)i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	assert_int_equal(gtt_range_scan_init(&scan, m->ra, &r), 0);
	for (added = 0; added < n && err != 1; added++)
		err = gtt_range_scan_add(&scan, m->node[order[added]]);
	assert_true(err == 0 || err == 1);
	if (err != 1) {
		assert_int_equal(gtt_range_scan_victims(&scan, v, MX_SLOTS, &count), -ENOSPC);
		gtt_range_scan_finish(&scan);
		return;
	}
	assert_int_equal(gtt_range_scan_victims(&scan, v, MX_SLOTS, &count), 0);
	assert_true(count > 0);
	for (size_t k = 1; k < count; k++)
		assert_ptr_equal(gtt_range_next(m->ra, v[k - 1]), v[k]);
	/* The run the scan had: the added nodes adjacent to the victims
	 * (all were added); only those evictable, the fewest are the same. */
	run[0] = v[0];
	run[1] = v[count - 1];
	while ((x = mx_prev_node(m, run[0])) && mx_added(m, order, added, x))
		run[0] = x;
	while ((x = gtt_range_next(m->ra, run[1])) && mx_added(m, order, added, x))
		run[1] = x;
	gtt_range_scan_finish(&scan);
	assert_int_equal(gtt_range_evict_scan(m->ra, &r, mx_in_run, run, fv, MX_SLOTS,
					      &fcount), 0);
	assert_int_equal(fcount, count);
	assert_ptr_equal(fv[0], v[0]);
	mx_seen.scans++;
	if (rng_below(rng, 2))
		return;
	/* The victims go: the request, limited to the span they leave, fits
	 * there, where the brute force puts it. */
	{
		uint64_t lo = (gtt_range_node_start(v[0]) - m->base) / PAGE;
		uint64_t hi = (gtt_range_node_start(v[count - 1]) - m->base) / PAGE +
			      gtt_range_node_size(v[count - 1]) / PAGE;
		uint64_t rlast = r.range_end ? r.range_end - 1 : UINT64_MAX, last;
		struct gtt_range_request in = r;
		struct gtt_range_node *put_n;

		for (size_t k = 0; k < count; k++)
			mx_remove(m, m->own[(gtt_range_node_start(v[k]) - m->base) / PAGE]);
		while (lo > 0 && !m->own[lo - 1])
			lo--;
		while (hi < MX_PAGES && !m->own[hi])
			hi++;
		last = u64_min(rlast, mx_addr(m, hi) - 1);
		in.range_start = u64_max(r.range_start, mx_addr(m, lo));
		in.range_end = last + 1;	/* 0: up to 2^64 */
		assert_true(mx_choice(m, &in, &want));
		slot = mx_free_slot(m);
		assert_int_equal(gtt_range_insert(m->ra, &in, NULL, &put_n), 0);
		assert_int_equal(gtt_range_node_start(put_n), want);
		mx_own(m, slot, put_n, in.color);
		mx_seen.landed++;
	}
}

/*
 * Thousands of random steps mixing every change the allocator has
 * (inserts in every placement with alignments, range limits, colours;
 * reserves; nodes in caller storage; removes, the head's neighbour
 * included; space added piece by piece to a GTT_RANGE_ALLOC_EMPTY
 * allocator; ordered eviction scans whose victims go) over spaces that
 * start low, at 0 (with alignments up to 2^63 as well: the hole at 0,
 * aligned to anything, is the only one for most) or end at 2^64, with no
 * colour rule, guard pages or a custom rule, with or without nospan.
 * After every step the allocator equals a
 * page model and range_alloc_check() holds (every tree's links, colours,
 * order, membership and augmented maximum); every placement is the brute
 * force's; and one step in ten has its allocation fail: -ENOMEM (or the
 * expected -ENOSPC / success when nothing is allocated) and every node,
 * hole, figure and line of print output as before.
 */
static void test_mixed_against_model(void **state)
{
	static struct mx model;
	struct mx *m = &model;
	uint64_t rng = 20261201;
	int64_t baseline = mem_live();

	(void)state;
	for (int trial = 0; trial < 36; trial++) {
		bool empty = trial % 3 == 0;
		unsigned int flags = empty ? GTT_RANGE_ALLOC_EMPTY : 0;
		struct mx_view before, after;

		memset(m, 0, sizeof(*m));
		m->base = trial % 2 ? TOP(MX_PAGES * PAGE) : 16 * PAGE;
		m->wide_align = trial >= 24;
		if (m->wide_align)
			m->base = 0;
		m->rule = (trial / 2) % 3;
		m->nospan = (trial / 6) % 2 ? 15 : 0;
		if (m->rule)
			flags |= GTT_RANGE_COLOR_GUARD;
		/* Creation: each of its allocations failing leaves nothing. */
		for (uint64_t k = 1; k <= 2; k++) {
			struct gtt_range_alloc *bad = NULL;

			mem_fail_after(k);
			if (gtt_range_alloc_create(m->base, MX_PAGES * PAGE, 0, flags, &bad) == 0) {
				assert_false(mem_fail_fired());
				gtt_range_alloc_destroy(bad);
			} else {
				assert_true(mem_fail_fired());
				assert_null(bad);
			}
			mem_fail_after(0);
			assert_int_equal(mem_live(), baseline);
		}
		m->ra = make(m->base, MX_PAGES * PAGE, flags);
		if (m->rule == 2)
			assert_int_equal(gtt_range_alloc_set_color_adjust(m->ra, wide_guard, NULL), 0);
		if (m->nospan)
			assert_int_equal(gtt_range_alloc_set_nospan(m->ra, m->nospan), 0);
		for (int p = 0; p < MX_PAGES; p++)
			m->own[p] = empty ? -1 : 0;
		mx_view(m->ra, &before);
		for (int op = 0; op < 1500; op++) {
			uint64_t dice = rng_below(&rng, 100);
			bool oom = rng_below(&rng, 10) == 0;
			int slot;

			if (dice < 40)
				mx_insert(m, &rng, oom);
			else if (dice < 70 && (slot = mx_random_slot(m, &rng)) > 0)
				mx_remove(m, slot);
			else if (dice < 80)
				mx_reserve(m, &rng, oom);
			else if (dice < 92 && empty)
				mx_add_free(m, &rng, oom);
			else if (dice >= 95)
				mx_scan(m, &rng);
			mx_compare(m);
		}
		for (int i = 1; i < MX_SLOTS; i++)
			if (m->node[i])
				mx_remove(m, i);
		mx_compare(m);
		if (!empty) {
			mx_view(m->ra, &after);
			assert_memory_equal(&before, &after, sizeof(before));
		}
		gtt_range_alloc_destroy(m->ra);
		assert_int_equal(mem_live(), baseline);
	}
	print_message("mixed: %u placed (%u aligned above 2^20, at 0), %u no space, %u reserved, %u added, %u allocations failed, %u scans (%u landed)\n",
		      mx_seen.placed, mx_seen.at_zero, mx_seen.nospace, mx_seen.reserved,
		      mx_seen.added, mx_seen.ooms, mx_seen.scans, mx_seen.landed);
	assert_true(mx_seen.placed > 5000 && mx_seen.nospace > 500 && mx_seen.reserved > 500);
	assert_true(mx_seen.added > 100 && mx_seen.ooms > 500 && mx_seen.scans > 200);
	assert_true(mx_seen.at_zero > 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placements),
		cmocka_unit_test(test_alignment_and_limits),
		cmocka_unit_test(test_color_guard),
		cmocka_unit_test(test_custom_color_rule),
		cmocka_unit_test(test_color_rule_widening),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_evict_scan),
		cmocka_unit_test(test_evict_scan_color_neighbours),
		cmocka_unit_test(test_evict_scan_random_against_brute_force),
		cmocka_unit_test(test_evict_scan_count_only_no_cap),
		cmocka_unit_test(test_evict_scan_large),
		cmocka_unit_test(test_node_forms_never_allocate),
		cmocka_unit_test(test_node_forms_failure_leaves_node),
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_avoid_against_brute_force),
		cmocka_unit_test(test_search_against_brute_force),
		cmocka_unit_test(test_best_alignment_adversarial),
		cmocka_unit_test(test_avoid_preset_block),
		cmocka_unit_test(test_avoid_bounded_and_fallback),
		cmocka_unit_test(test_sub_page_granularity),
		cmocka_unit_test(test_nospan),
		cmocka_unit_test(test_added_ranges),
		cmocka_unit_test(test_hole_listing_and_print),
		cmocka_unit_test(test_embedded_nodes),
		cmocka_unit_test(test_top_fill_free_reserve),
		cmocka_unit_test(test_top_limits_added_nospan),
		cmocka_unit_test(test_top_holes_print),
		cmocka_unit_test(test_top_evict_scan),
		cmocka_unit_test(test_top_color_rules),
		cmocka_unit_test(test_top_avoid),
		cmocka_unit_test(test_top_random_against_model),
		cmocka_unit_test(test_ordered_helpers_against_fewest),
		cmocka_unit_test(test_mixed_against_model),
	};

	return cmocka_run_group_tests_name("range_alloc", tests, NULL, NULL);
}
