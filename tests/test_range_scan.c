/* SPDX-License-Identifier: MIT */
/*
 * The ordered eviction scan (struct gtt_range_scan, lib/alloc/range_scan.c):
 * hand-built layouts with known victims, the colour guard, alignment,
 * range limits, nospan, spaces ending at 2^64, bad input, allocation
 * failures while it grows, an allocator changed or destroyed while a scan
 * is open, the marking scan's slot bases (a scan used again unfinished,
 * the wrap past the top, a failed move), and a randomized differential
 * test against a
 * brute force that knows nothing of the scan's runs or tables.
 */
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "alloc/range_alloc_internal.h"

#define TOP(x) (0 - (uint64_t)(x))
#define MAXN 320

static struct gtt_range_alloc *make(uint64_t start, uint64_t size, unsigned int flags)
{
	struct gtt_range_alloc *ra = NULL;

	assert_int_equal(gtt_range_alloc_create(start, size, 0, flags, &ra), 0);
	return ra;
}

static struct gtt_range_node *at(struct gtt_range_alloc *ra, uint64_t start,
				 uint64_t pages, uint32_t color)
{
	struct gtt_range_node *n = NULL;

	assert_int_equal(gtt_range_reserve(ra, start, pages * PAGE, color, NULL, &n), 0);
	return n;
}

/* The nodes of @ra by address into @v (at most @max); how many. */
static size_t nodes_of(struct gtt_range_alloc *ra, struct gtt_range_node **v, size_t max)
{
	size_t n = 0;

	for (struct gtt_range_node *x = gtt_range_first(ra); x && n < max;
	     x = gtt_range_next(ra, x))
		v[n++] = x;
	return n;
}

/*
 * Add @order (indices into @v) until a hole opens: the position in @order
 * of the add that returned 1, or -1; every earlier add must return 0.
 */
static int feed(struct gtt_range_scan *s, struct gtt_range_node **v,
		const int *order, int n)
{
	for (int i = 0; i < n; i++) {
		int ret = gtt_range_scan_add(s, v[order[i]]);

		assert_true(ret == 0 || ret == 1);
		if (ret)
			return i;
	}
	return -1;
}

/* The victims: their count, and the first in *@first. */
static size_t victims_of(struct gtt_range_scan *s, struct gtt_range_node **first)
{
	struct gtt_range_node *v[MAXN];
	size_t count = 0;

	assert_int_equal(gtt_range_scan_victims(s, v, MAXN, &count), 0);
	for (size_t i = 1; i < count; i++)	/* adjacent, lowest first */
		assert_ptr_equal(v[i], v[i - 1]->next);
	*first = count ? v[0] : NULL;
	return count;
}

/*
 * Eight pages: v0 page 0, v1 page 1, v2 pages 2-5, v3 page 6, v4 page 7.
 * Four pages, offered v4, v1, v2: v4 alone opens page 7, v1 alone page 1,
 * then v2 joins v1 and the run opens pages 1-5, five pages, of which v2
 * alone opens four: one victim, not the run's two.  Then two pages (v4,
 * v3: both), HIGH over the run v1 .. v3 (v2 alone again) and one page
 * (the first add).  Fails if the scan named the whole run, or stopped
 * before the runs joined.
 */
static void test_known_victims(void **state)
{
	struct gtt_range_request r = { .size = 4 * PAGE };
	struct gtt_range_alloc *ra = make(0, 8 * PAGE, 0);
	struct gtt_range_node *v[8], *first;
	struct gtt_range_scan s;
	static const int order[] = { 4, 1, 2, 0, 3 };

	(void)state;
	at(ra, 0, 1, 0);
	at(ra, PAGE, 1, 0);
	at(ra, 2 * PAGE, 4, 0);
	at(ra, 6 * PAGE, 1, 0);
	at(ra, 7 * PAGE, 1, 0);
	assert_int_equal(nodes_of(ra, v, 8), 5);
	assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
	assert_int_equal(feed(&s, v, order, 5), 2);
	assert_int_equal(victims_of(&s, &first), 1);
	assert_ptr_equal(first, v[2]);
	/* Ended: no more adds, the answer stays. */
	assert_int_equal(gtt_range_scan_add(&s, v[0]), -EINVAL);
	assert_int_equal(victims_of(&s, &first), 1);
	gtt_range_scan_finish(&s);

	/* Two pages: 7 then 6 (pages 6-7 open, both go), in that order. */
	r.size = 2 * PAGE;
	assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[4]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[3]), 1);
	assert_int_equal(victims_of(&s, &first), 2);
	assert_ptr_equal(first, v[3]);
	gtt_range_scan_finish(&s);

	/* HIGH and two one-page nodes either side of a four-page one: the
	 * fewest is the big one; the ties rule does not change that. */
	r.size = 4 * PAGE;
	r.placement = GTT_PLACE_HIGH;
	assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[1]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[3]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[2]), 1);
	assert_int_equal(victims_of(&s, &first), 1);
	assert_ptr_equal(first, v[2]);
	gtt_range_scan_finish(&s);

	/* One page, HIGH, nodes 0 and 1 added: the first add opens it. */
	r.size = PAGE;
	assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[0]), 1);
	assert_int_equal(victims_of(&s, &first), 1);
	assert_ptr_equal(first, v[0]);
	gtt_range_scan_finish(&s);
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
}

/*
 * The guard page, 7 pages: A(1) page 0, B(0) pages 2-3, C(0) page 4,
 * D(1) page 6 (pages 1 and 5 free).  Colour 0, three pages: B alone opens
 * [1, 4), less A's guard two pages; with C, [1, 6) less A's and D's
 * guards, three: B and C (C alone: [4, 6) less D's guard, one).  Colour 1,
 * three pages: B alone [1, 4) less C's guard, two; B and C [1, 6), no
 * guard: both.  Colour 1, two pages: B alone.  Colour 2, two pages, C
 * first: C alone opens nothing once both guards are off; then B: B and C,
 * B alone leaving one page.  Fails if the span test left out the colour
 * rule (B alone would do every time) or applied it to a neighbour of the
 * same colour.
 */
static void test_colour_guard(void **state)
{
	struct gtt_range_alloc *ra = make(0, 7 * PAGE, GTT_RANGE_COLOR_GUARD);
	struct gtt_range_request r = { .size = 2 * PAGE };
	struct gtt_range_node *v[5], *first;
	struct gtt_range_scan s;

	(void)state;
	at(ra, 0, 1, 1);
	at(ra, 2 * PAGE, 2, 0);
	at(ra, 4 * PAGE, 1, 0);
	at(ra, 6 * PAGE, 1, 1);
	assert_int_equal(nodes_of(ra, v, 5), 4);
	r.size = 3 * PAGE;
	assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[1]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[2]), 1);
	assert_int_equal(victims_of(&s, &first), 2);
	assert_ptr_equal(first, v[1]);
	gtt_range_scan_finish(&s);
	r.color = 1;
	assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[1]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[2]), 1);
	assert_int_equal(victims_of(&s, &first), 2);
	gtt_range_scan_finish(&s);
	r.size = 2 * PAGE;
	assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[1]), 1);
	gtt_range_scan_finish(&s);
	r.color = 2;
	assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[2]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[1]), 1);
	assert_int_equal(victims_of(&s, &first), 2);
	assert_ptr_equal(first, v[1]);
	gtt_range_scan_finish(&s);
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
}

/*
 * Eight one-page nodes: alignment (four pages: page 1 opens no aligned
 * page, page 4 does), range limits ([4, 8): page 1 opens nothing inside,
 * page 5 does) and nospan (four-page blocks, two pages: pages 3-4 cross
 * a block, 3-5 holds 4-5, and the fewest is 4-5).  Fails if any of the
 * three were left out of the span's test.
 */
static void test_alignment_range_nospan(void **state)
{
	struct gtt_range_alloc *ra = make(0, 8 * PAGE, 0);
	struct gtt_range_request r = { .size = PAGE, .alignment = 4 * PAGE };
	struct gtt_range_node *v[8], *first;
	struct gtt_range_scan s;

	(void)state;
	for (int i = 0; i < 8; i++)
		at(ra, (uint64_t)i * PAGE, 1, 0);
	assert_int_equal(nodes_of(ra, v, 8), 8);
	assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[1]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[2]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[4]), 1);
	assert_int_equal(victims_of(&s, &first), 1);
	assert_ptr_equal(first, v[4]);
	gtt_range_scan_finish(&s);

	r = (struct gtt_range_request){ .size = PAGE, .range_start = 4 * PAGE,
					.range_end = 8 * PAGE };
	assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[1]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[3]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[5]), 1);
	assert_int_equal(victims_of(&s, &first), 1);
	assert_ptr_equal(first, v[5]);
	gtt_range_scan_finish(&s);
	/* Two pages in [3, 8): the run 1-3 opens one page in the range, 1-4
	 * two, and only 3-4 of it need go. */
	r.size = 2 * PAGE;
	r.range_start = 3 * PAGE;
	assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[1]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[2]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[3]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[4]), 1);
	assert_int_equal(victims_of(&s, &first), 2);
	assert_ptr_equal(first, v[3]);
	gtt_range_scan_finish(&s);

	assert_int_equal(gtt_range_alloc_set_nospan(ra, 14), 0);	/* 16 KiB */
	r = (struct gtt_range_request){ .size = 2 * PAGE };
	assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[3]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[4]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[5]), 1);
	assert_int_equal(victims_of(&s, &first), 2);
	assert_ptr_equal(first, v[4]);
	gtt_range_scan_finish(&s);
	/* Larger than a block: the request is refused at init. */
	r.size = 8 * PAGE;
	assert_int_equal(gtt_range_scan_init(&s, ra, &r), -EINVAL);
	gtt_range_scan_finish(&s);
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
}

/*
 * A space [2^64 - 8 pages, 2^64), full of one-page nodes: the two top
 * nodes open the top two pages (the span's end is the allocator's last
 * byte, not a wrapped 0), and after evicting them the request lands
 * there.  HIGH picks the higher of two equal windows.  Fails if the
 * span's end at 2^64 were computed as 0 (nothing would ever fit).
 */
static void test_top_of_space(void **state)
{
	struct gtt_range_alloc *ra = make(TOP(8 * PAGE), 8 * PAGE, GTT_RANGE_COLOR_GUARD);
	struct gtt_range_request r = { .size = 2 * PAGE };
	struct gtt_range_node *v[8], *first, *got = NULL;
	struct gtt_range_scan s;

	(void)state;
	for (int i = 0; i < 8; i++)
		at(ra, TOP(8 * PAGE) + (uint64_t)i * PAGE, 1, 0);
	assert_int_equal(nodes_of(ra, v, 8), 8);
	assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[7]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[6]), 1);
	assert_int_equal(victims_of(&s, &first), 2);
	assert_ptr_equal(first, v[6]);
	gtt_range_scan_finish(&s);
	/* HIGH, three top nodes: the windows 5-6 and 6-7 tie; 6-7 wins. */
	r.placement = GTT_PLACE_HIGH;
	assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[5]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[7]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[6]), 1);
	assert_int_equal(victims_of(&s, &first), 2);
	assert_ptr_equal(first, v[6]);
	gtt_range_scan_finish(&s);
	/* LOW: 5-6 wins the tie. */
	r.placement = GTT_PLACE_LOW;
	assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[5]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[7]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[6]), 1);
	assert_int_equal(victims_of(&s, &first), 2);
	assert_ptr_equal(first, v[5]);
	gtt_range_scan_finish(&s);
	/* Evict 6-7 and insert at the top. */
	assert_int_equal(gtt_range_remove(ra, v[6]), 0);
	assert_int_equal(gtt_range_remove(ra, v[7]), 0);
	r.placement = GTT_PLACE_HIGH;
	assert_int_equal(gtt_range_insert(ra, &r, NULL, &got), 0);
	assert_int_equal(gtt_range_node_start(got), TOP(2 * PAGE));
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
}

/*
 * Bad input: each refusal changes nothing (the scan goes on to the answer
 * it would have had), and the errors say so.  Fails if a repeated node
 * joined a run twice (the run 1-2 would count three nodes) or if a node of
 * another allocator, the head or space not added were taken.
 */
static void test_bad_input(void **state)
{
	struct gtt_range_alloc *ra = make(0, 8 * PAGE, 0), *other = make(0, 8 * PAGE, 0);
	struct gtt_range_alloc *empty = make(0, 8 * PAGE, GTT_RANGE_ALLOC_EMPTY);
	struct gtt_range_request r = { .size = 2 * PAGE }, bad;
	struct gtt_range_node *v[8], *o, *first, *vv[1];
	struct gtt_range_scan s;
	size_t count = 7;

	(void)state;
	for (int i = 0; i < 8; i++)
		at(ra, (uint64_t)i * PAGE, 1, 0);
	assert_int_equal(nodes_of(ra, v, 8), 8);
	o = at(other, 0, 1, 0);

	assert_int_equal(gtt_range_scan_init(NULL, ra, &r), -EINVAL);
	assert_int_equal(gtt_range_scan_init(&s, NULL, &r), -EINVAL);
	assert_int_equal(gtt_range_scan_init(&s, ra, NULL), -EINVAL);
	bad = r;
	bad.size = 0;
	assert_int_equal(gtt_range_scan_init(&s, ra, &bad), -EINVAL);
	bad = r;
	bad.size = PAGE + 1;
	assert_int_equal(gtt_range_scan_init(&s, ra, &bad), -EINVAL);
	bad = r;
	bad.alignment = 3 * PAGE;
	assert_int_equal(gtt_range_scan_init(&s, ra, &bad), -EINVAL);
	bad = r;
	bad.color = GTT_COLOR_NONE;
	assert_int_equal(gtt_range_scan_init(&s, ra, &bad), -EINVAL);
	bad = r;
	bad.reserved[0] = 1;
	assert_int_equal(gtt_range_scan_init(&s, ra, &bad), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "gtt_range_scan_init"));
	bad = r;
	bad.range_start = 4 * PAGE;
	bad.range_end = 4 * PAGE;
	assert_int_equal(gtt_range_scan_init(&s, ra, &bad), -EINVAL);
	/* A failed init leaves nothing open. */
	assert_int_equal(gtt_range_scan_add(&s, v[0]), -EINVAL);
	assert_int_equal(gtt_range_scan_victims(&s, NULL, 0, &count), -EINVAL);
	gtt_range_scan_finish(&s);
	gtt_range_scan_finish(NULL);

	assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(NULL, v[0]), -EINVAL);
	assert_int_equal(gtt_range_scan_add(&s, NULL), -EINVAL);
	assert_int_equal(gtt_range_scan_add(&s, o), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "not from the scan's allocator"));
	assert_int_equal(gtt_range_scan_add(&s, &ra->head), -EINVAL);
	assert_int_equal(gtt_range_scan_add(&s, empty->head.next), -EINVAL);	/* space not added */
	assert_true(empty->head.next->filler);
	/* Nothing opened yet. */
	assert_int_equal(gtt_range_scan_victims(&s, vv, 1, &count), -ENOSPC);
	assert_int_equal(count, 0);
	assert_int_equal(gtt_range_scan_add(&s, v[1]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[1]), -EEXIST);
	assert_non_null(strstr(gtt_last_error(), "added already"));
	assert_int_equal(gtt_range_scan_add(&s, v[4]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[4]), -EEXIST);
	assert_int_equal(gtt_range_scan_add(&s, v[1]), -EEXIST);
	assert_int_equal(gtt_range_scan_add(&s, v[2]), 1);
	assert_int_equal(gtt_range_scan_add(&s, v[2]), -EINVAL);	/* ended */
	assert_non_null(strstr(gtt_last_error(), "ended"));
	assert_int_equal(gtt_range_scan_add(&s, v[6]), -EINVAL);
	/* Bad arguments to victims; too small an array. */
	assert_int_equal(gtt_range_scan_victims(NULL, NULL, 0, &count), -EINVAL);
	assert_int_equal(gtt_range_scan_victims(&s, NULL, 0, NULL), -EINVAL);
	assert_int_equal(gtt_range_scan_victims(&s, NULL, 1, &count), -EINVAL);
	assert_int_equal(gtt_range_scan_victims(&s, vv, 1, &count), -ERANGE);
	assert_int_equal(count, 2);
	assert_int_equal(gtt_range_scan_victims(&s, NULL, 0, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(victims_of(&s, &first), 2);
	assert_ptr_equal(first, v[1]);
	gtt_range_scan_finish(&s);
	/* Finished: refused, and finishing again is harmless. */
	assert_int_equal(gtt_range_scan_add(&s, v[7]), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "finished"));
	assert_int_equal(gtt_range_scan_victims(&s, NULL, 0, &count), -EINVAL);
	gtt_range_scan_finish(&s);
	/* Two scans of one allocator at once. */
	{
		struct gtt_range_scan a, b;
		struct gtt_range_request big = { .size = 3 * PAGE };

		assert_int_equal(gtt_range_scan_init(&a, ra, &r), 0);
		assert_int_equal(gtt_range_scan_init(&b, ra, &big), 0);
		assert_int_equal(gtt_range_scan_add(&a, v[5]), 0);
		assert_int_equal(gtt_range_scan_add(&b, v[5]), 0);
		assert_int_equal(gtt_range_scan_add(&b, v[6]), 0);
		assert_int_equal(gtt_range_scan_add(&a, v[6]), 1);
		assert_int_equal(gtt_range_scan_add(&b, v[7]), 1);
		assert_int_equal(victims_of(&a, &first), 2);
		assert_ptr_equal(first, v[5]);
		assert_int_equal(victims_of(&b, &first), 3);
		assert_ptr_equal(first, v[5]);
		gtt_range_scan_finish(&a);
		gtt_range_scan_finish(&b);
	}
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
	gtt_range_alloc_destroy(other);
	gtt_range_alloc_destroy(empty);
}

/*
 * 600 one-page nodes, two pages asked for, the even nodes offered first
 * (300 isolated runs, past the inline room and the first allocation),
 * then node 1: the hole opens at the 301st add.  Every allocation the
 * scan makes is failed in turn: the add that meets it returns -ENOMEM,
 * the scan is as it was (the same add succeeds once memory is back, and
 * a repeated node is still refused), the answer is the one without the
 * failure, and nothing is left allocated after finishing.  Fails if a
 * failed move lost the table or the runs (the answer changes), or leaked.
 * With @table, another scan marks the nodes all along, so the one tested
 * keeps its table, which each move refills.
 */
static void oom_while_growing(bool table)
{
	enum { N = 600 };
	struct gtt_range_alloc *ra = make(0, N * PAGE, 0);
	struct gtt_range_request r = { .size = 2 * PAGE };
	static struct gtt_range_node *v[N];
	static int order[N / 2 + 1];
	struct gtt_range_node *first;
	struct gtt_range_scan marking;
	int64_t live;
	unsigned int failures = 0;

	if (table)
		assert_int_equal(gtt_range_scan_init(&marking, ra, &r), 0);
	for (int i = 0; i < N; i++)
		at(ra, (uint64_t)i * PAGE, 1, 0);
	for (int i = 0; i < N / 2; i++)
		order[i] = 2 * i;
	order[N / 2] = 1;
	{
		struct gtt_range_node *x = gtt_range_first(ra);

		for (int i = 0; i < N; i++, x = gtt_range_next(ra, x))
			v[i] = x;
	}
	live = mem_live();
	for (uint64_t k = 1;; k++) {
		struct gtt_range_scan s;
		int opened = -1;
		bool fired = false;

		assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
		mem_fail_after(k);
		for (int i = 0; i <= N / 2; i++) {
			int ret = gtt_range_scan_add(&s, v[order[i]]);

			if (ret == -ENOMEM) {
				assert_false(fired);
				assert_true(mem_fail_fired());
				fired = true;
				failures++;
				mem_fail_after(0);
				/* As it was: the earlier nodes are still in, this one
				 * is not. */
				if (i)
					assert_int_equal(gtt_range_scan_add(&s, v[order[i - 1]]), -EEXIST);
				ret = gtt_range_scan_add(&s, v[order[i]]);
			}
			assert_true(ret == (i == N / 2));
			if (ret)
				opened = i;
		}
		mem_fail_after(0);
		assert_int_equal(opened, N / 2);
		assert_int_equal(victims_of(&s, &first), 2);
		assert_ptr_equal(first, v[0]);
		gtt_range_scan_finish(&s);
		assert_int_equal(mem_live(), live);
		if (!fired)
			break;
	}
	assert_int_equal(failures, 2);	/* at the 33rd node and the 257th */
	if (table)
		gtt_range_scan_finish(&marking);
	gtt_range_alloc_destroy(ra);
}

static void test_oom_while_growing(void **state)
{
	(void)state;
	oom_while_growing(false);
}

/* The same for a scan that keeps a table (no slot in the nodes): the
 * table's moves had no test.  Fails if grow() does not refill the table
 * (the earlier nodes are lost: node 1 joins no run, and no hole opens). */
static void test_oom_while_growing_table(void **state)
{
	(void)state;
	oom_while_growing(true);
}

/*
 * The victims when the raw span decides and the walk up from the run's
 * first node stops below the opener.  Nine nodes fill pages 0-15 (sizes
 * 1, 2, 2, 1, 2, 2, 3, 2, 1 pages); fourteen asked for.  v0 .. v5 and
 * v7, v8 open no hole; v6 then opens the whole run.  The fewest: v1 ..
 * v7 (seven; v0 .. v7 is eight, and from v2 up no window fits), so the
 * walk from v0 stops at v2 and v3 .. v5 lie between it and the opener.
 * Counting, too little room (-ERANGE, nothing written), the victims
 * twice, equal.  With @heap, forty isolated nodes on pages 17, 19, .. 95
 * are added first, so that e[] has moved to an allocation.  Fails if the
 * nodes between the walk's stop and the opener were left out or counted
 * twice, or the opener named twice.
 */
static void raw_pick_places(bool heap)
{
	static const uint64_t pages[] = { 1, 2, 2, 1, 2, 2, 3, 2, 1 };
	struct gtt_range_request r = { .size = 14 * PAGE };
	struct gtt_range_alloc *ra = make(0, (heap ? 96 : 16) * PAGE, 0);
	struct gtt_range_node *v[9], *extra[80], *got[9] = { NULL }, *again[9];
	struct gtt_range_scan s;
	uint64_t p = 0;
	size_t count = 0;

	for (int i = 0; i < 9; p += pages[i], i++)
		v[i] = at(ra, p * PAGE, pages[i], 0);
	for (int i = 0; heap && i < 80; i++)
		extra[i] = at(ra, (16 + (uint64_t)i) * PAGE, 1, 0);
	assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
	for (int i = 1; heap && i < 80; i += 2)
		assert_int_equal(gtt_range_scan_add(&s, extra[i]), 0);
	for (int i = 0; i < 9; i++)
		if (i != 6)
			assert_int_equal(gtt_range_scan_add(&s, v[i]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[6]), 1);
	assert_int_equal(gtt_range_scan_victims(&s, NULL, 0, &count), 0);
	assert_int_equal(count, 7);
	count = 0;
	assert_int_equal(gtt_range_scan_victims(&s, got, 6, &count), -ERANGE);
	assert_int_equal(count, 7);
	for (int i = 0; i < 9; i++)
		assert_null(got[i]);
	assert_int_equal(gtt_range_scan_victims(&s, got, 9, &count), 0);
	assert_int_equal(count, 7);
	for (int i = 0; i < 7; i++)
		assert_ptr_equal(got[i], v[1 + i]);
	assert_null(got[7]);
	assert_int_equal(gtt_range_scan_victims(&s, again, 9, &count), 0);
	assert_int_equal(count, 7);
	assert_memory_equal(again, got, 7 * sizeof(*got));
	gtt_range_scan_finish(&s);
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
}

static void test_raw_pick_places(void **state)
{
	(void)state;
	raw_pick_places(false);
}

static void test_raw_pick_places_heap(void **state)
{
	(void)state;
	raw_pick_places(true);
}

/* ---- the differential test ---- */

struct lay {
	uint64_t base, pages;	/* the space, in pages from base */
	bool guard;
	unsigned int nospan;
	size_t n;
	uint64_t st[MAXN], np[MAXN];	/* page index, pages */
	uint32_t col[MAXN];
	struct gtt_range_node *node[MAXN];
};

static void lay_read(struct gtt_range_alloc *ra, struct lay *L)
{
	L->n = 0;
	for (struct gtt_range_node *x = gtt_range_first(ra); x; x = gtt_range_next(ra, x)) {
		L->st[L->n] = (gtt_range_node_start(x) - L->base) / PAGE;
		L->np[L->n] = gtt_range_node_size(x) / PAGE;
		L->col[L->n] = gtt_range_node_color(x);
		L->node[L->n++] = x;
	}
}

/* Would @r fit once nodes i..j (by address) were removed?  Every page
 * address of the span, by hand: the guard rule, alignment, limits, nospan. */
static bool brute_fits(const struct lay *L, const struct gtt_range_request *r,
		       size_t i, size_t j)
{
	uint64_t lo = i ? L->st[i - 1] + L->np[i - 1] : 0;
	uint64_t hi = j + 1 < L->n ? L->st[j + 1] : L->pages;	/* exclusive */
	uint64_t np = r->size / PAGE, align = r->alignment ? r->alignment : PAGE;

	if (L->guard && i && L->col[i - 1] != r->color)
		lo++;
	if (L->guard && j + 1 < L->n && L->col[j + 1] != r->color) {
		if (!hi)
			return false;
		hi--;
	}
	for (uint64_t p = lo; p + np <= hi; p++) {
		uint64_t a = L->base + p * PAGE, last = a + r->size - 1;

		if (a % align || a < r->range_start ||
		    (r->range_end && last > r->range_end - 1))
			continue;
		if (L->nospan && a >> L->nospan != last >> L->nospan)
			continue;
		return true;
	}
	return false;
}

/*
 * Random layouts (low, high, ending at 2^64; guard or not; nospan or
 * not), random requests (sizes, alignments, colours, placements, limits)
 * and random orders of a random subset of the nodes, some offered twice.
 * After every add, every maximal run of added nodes is checked against
 * the brute force: none opens a hole until the add that returned 1, whose
 * run does; there the victims are the fewest nodes of any window in that
 * run that opens it (ties: lowest, HIGH highest), and evicting them lets
 * the request in.  Fails for any deliberate break tried: the colour rule
 * left out of the span test, a neighbour joined from the wrong end,
 * pick() restarting tl below rl, ties taken the other way.  Every other
 * request, another scan is open first and marks the nodes, so the one
 * checked keeps a table (probed by node) instead: fails then if a table
 * lookup misses a neighbour in the scan.
 */
static void test_against_brute_force(void **state)
{
	uint64_t rng = 0x5ca77e57;
	unsigned long opened = 0, partial = 0, top = 0, repeats = 0, high_ties = 0, tables = 0;

	(void)state;
	for (int world = 0; world < 500; world++) {
		struct lay L = { .pages = 24 + rng_below(&rng, 20) };
		unsigned int where = (unsigned int)rng_below(&rng, 3);
		struct gtt_range_alloc *ra;

		L.base = where == 0 ? rng_below(&rng, 2) * PAGE :
			 where == 1 ? (1ull << 40) : TOP(L.pages * PAGE);
		L.guard = rng_below(&rng, 3) != 0;
		ra = make(L.base, L.pages * PAGE, L.guard ? GTT_RANGE_COLOR_GUARD : 0);
		if (rng_below(&rng, 3) == 0) {
			L.nospan = 14 + (unsigned int)rng_below(&rng, 3);
			assert_int_equal(gtt_range_alloc_set_nospan(ra, L.nospan), 0);
		}
		for (uint64_t p = 0; p < L.pages;) {
			uint64_t np = 1 + rng_below(&rng, 3);
			struct gtt_range_node *x;

			p += rng_below(&rng, 5) == 0;
			if (p + np > L.pages)
				break;
			if (gtt_range_reserve(ra, L.base + p * PAGE, np * PAGE,
					      (uint32_t)rng_below(&rng, 3), NULL, &x) == 0)
				p += np;
			else
				p++;	/* a guard page */
		}
		for (int q = 0; q < 12; q++) {
			struct gtt_range_request r = {
				.size = (1 + rng_below(&rng, 6)) * PAGE,
				.alignment = PAGE << rng_below(&rng, 3),
				.color = (uint32_t)rng_below(&rng, 3),
				.placement = (enum gtt_placement)rng_below(&rng, 3),
			};
			struct gtt_range_node *victims[MAXN], *got;
			struct gtt_range_scan s, hold = { { 0 } };
			bool added[MAXN] = { false };
			int order[2 * MAXN], norder = 0, found = -1, err;
			size_t count = 0, c = 0, first_of = 0;

			lay_read(ra, &L);
			if (rng_below(&rng, 2)) {
				uint64_t lo = rng_below(&rng, L.pages);

				r.range_start = L.base + lo * PAGE;
				r.range_end = L.base + (lo + 1 + rng_below(&rng, L.pages - lo)) * PAGE;
			}
			for (size_t i = 0; i < L.n; i++)
				if (rng_below(&rng, 4))
					order[norder++] = (int)i;
			for (int i = norder - 1; i > 0; i--) {
				int j = (int)rng_below(&rng, (uint64_t)i + 1), t = order[i];

				order[i] = order[j];
				order[j] = t;
			}
			for (int i = 1; i < norder && norder < 2 * MAXN - 1; i++)
				if (rng_below(&rng, 8) == 0) {
					memmove(order + i + 1, order + i, (size_t)(norder - i) * sizeof(*order));
					order[i] = order[rng_below(&rng, (uint64_t)i)];
					norder++;
				}
			/* Every other request, a scan already open marks the nodes:
			 * the one tested keeps a table. */
			if (q % 2)
				(void)gtt_range_scan_init(&hold, ra, &r);
			err = gtt_range_scan_init(&s, ra, &r);
			if (q % 2)
				tables += err == 0 && ra->marking_scan != (const void *)&s;
			if (err) {
				gtt_range_scan_finish(&hold);
				assert_int_equal(err, -EINVAL);	/* nospan: larger than a block */
				assert_true(L.nospan && r.size > 1ull << L.nospan);
				continue;
			}
			for (int k = 0; k < norder && found < 0; k++) {
				size_t x = (size_t)order[k], hi;
				int ret = gtt_range_scan_add(&s, L.node[x]);

				if (added[x]) {
					assert_int_equal(ret, -EEXIST);
					repeats++;
					continue;
				}
				added[x] = true;
				/* Every maximal run: only x's may open a hole. */
				for (size_t i = 0; i < L.n; i = hi + 1) {
					if (!added[i]) {
						hi = i;
						continue;
					}
					for (hi = i; hi + 1 < L.n && added[hi + 1]; hi++)
						;
					if (i <= x && x <= hi) {
						assert_int_equal(ret, brute_fits(&L, &r, i, hi));
						if (ret) {
							found = (int)i;
							c = hi;
						}
					} else {
						assert_false(brute_fits(&L, &r, i, hi));
					}
				}
			}
			if (found < 0) {
				assert_int_equal(gtt_range_scan_victims(&s, NULL, 0, &count), -ENOSPC);
				gtt_range_scan_finish(&s);
				gtt_range_scan_finish(&hold);
				continue;
			}
			/* The fewest of any window of the run found .. c. */
			{
				size_t best = SIZE_MAX, bi = 0;

				for (size_t i = (size_t)found; i <= c; i++)
					for (size_t j = i; j <= c; j++)
						if (brute_fits(&L, &r, i, j)) {
							size_t k = j - i + 1;

							if (k < best || (k == best && r.placement == GTT_PLACE_HIGH)) {
								high_ties += k == best;
								best = k;
								bi = i;
							}
							break;
						}
				assert_int_equal(gtt_range_scan_victims(&s, victims, MAXN, &count), 0);
				assert_int_equal(count, best);
				first_of = bi;
				assert_ptr_equal(victims[0], L.node[bi]);
				for (size_t k = 0; k < count; k++)
					assert_ptr_equal(victims[k], L.node[bi + k]);
				partial += best < c - (size_t)found + 1;
				top += L.st[bi + best - 1] + L.np[bi + best - 1] == L.pages &&
				       where == 2;
			}
			opened++;
			gtt_range_scan_finish(&s);
			gtt_range_scan_finish(&hold);
			/* Evict, insert, and put the layout back. */
			for (size_t k = 0; k < count; k++)
				assert_int_equal(gtt_range_remove(ra, victims[k]), 0);
			assert_int_equal(gtt_range_insert(ra, &r, NULL, &got), 0);
			assert_int_equal(range_alloc_check(ra), 0);
			assert_int_equal(gtt_range_remove(ra, got), 0);
			for (size_t k = 0; k < count; k++) {
				size_t i = first_of + k;

				assert_int_equal(gtt_range_reserve(ra, L.base + L.st[i] * PAGE,
								   L.np[i] * PAGE, L.col[i], NULL,
								   &got), 0);
			}
		}
		gtt_range_alloc_destroy(ra);
	}
	assert_true(opened > 2000);
	assert_true(partial > 200);
	assert_true(top > 20);
	assert_true(repeats > 500);
	assert_true(high_ties > 20);
	assert_true(tables > 2000);
}

/*
 * The victims of long runs, when the raw span decides and when it does
 * not, against the brute force: spaces of 120 to 299 pages (low, high,
 * ending at 2^64) filled with nodes of 1 to 3 pages and a few gaps,
 * requests of up to three quarters of it (page-aligned over the whole space,
 * the raw span's case, or two pages aligned, or within limits), and
 * orders that offer nearly every node, shuffled or by address from a
 * random node on, wrapping round, so that runs of up to the whole space
 * form, e[] moves to an allocation (past 32 nodes) and pick_raw()
 * walks far on both sides of the opener.  Only the opener's run may open
 * the hole, and the victims are the fewest of any window of it (ties:
 * lowest, HIGH highest), read twice, the second time into a larger
 * array.  test_against_brute_force's layouts hold at most 44 nodes;
 * fails, like it, for a victim left out, counted twice or read from the
 * wrong place.
 */
static void test_long_runs_against_brute_force(void **state)
{
	uint64_t rng = 0x10c4a11;
	unsigned long opened = 0, heap = 0, raw = 0, long_runs = 0;

	(void)state;
	for (int world = 0; world < 150; world++) {
		struct lay L = { .pages = 120 + rng_below(&rng, 180) };
		unsigned int where = (unsigned int)rng_below(&rng, 3);
		struct gtt_range_alloc *ra;
		struct gtt_range_node *x;

		L.base = where == 0 ? 0 : where == 1 ? (1ull << 40) : TOP(L.pages * PAGE);
		ra = make(L.base, L.pages * PAGE, 0);
		for (uint64_t p = rng_below(&rng, 2); p < L.pages; p += rng_below(&rng, 8) == 0) {
			uint64_t np = world % 3 ? 1 + rng_below(&rng, 3) : 1;

			if (p + np > L.pages)
				break;
			assert_int_equal(gtt_range_reserve(ra, L.base + p * PAGE, np * PAGE, 1, NULL,
							   &x), 0);
			p += np;
		}
		lay_read(ra, &L);
		for (int q = 0; q < 8; q++) {
			struct gtt_range_request r = {
				.size = (1 + rng_below(&rng, L.pages * 3 / 4)) * PAGE,
				.placement = (enum gtt_placement)rng_below(&rng, 3),
			};
			struct gtt_range_node *victims[MAXN], *again[MAXN + 1];
			struct gtt_range_scan s;
			bool added[MAXN] = { false };
			int order[MAXN], norder = 0, ret = 0;
			size_t count = 0, best = SIZE_MAX, bi = 0, lo, hi, k;
			uint64_t from = rng_below(&rng, L.n);

			if (q % 4 == 1)
				r.alignment = 2 * PAGE;
			if (q % 4 == 2) {
				r.range_start = L.base + rng_below(&rng, L.pages / 4) * PAGE;
				r.range_end = L.base + L.pages * PAGE - rng_below(&rng, L.pages / 4) * PAGE;
				if (r.range_end - r.range_start < r.size)
					r.range_start = r.range_end - r.size;
			}
			for (size_t i = 0; i < L.n; i++)
				if (rng_below(&rng, 16))
					order[norder++] = (int)((from + i) % L.n);
			for (int i = norder - 1; q % 2 && i > 0; i--) {
				int j = (int)rng_below(&rng, (uint64_t)i + 1), t = order[i];

				order[i] = order[j];
				order[j] = t;
			}
			assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
			for (k = 0; k < (size_t)norder && ret == 0; k++) {
				ret = gtt_range_scan_add(&s, L.node[order[k]]);
				assert_true(ret == 0 || ret == 1);
				added[order[k]] = true;
			}
			heap += k > 32;
			if (!ret) {
				gtt_range_scan_finish(&s);
				continue;
			}
			/* The opener's run: lo .. hi. */
			for (lo = (size_t)order[k - 1]; lo && added[lo - 1]; lo--)
				;
			for (hi = (size_t)order[k - 1]; hi + 1 < L.n && added[hi + 1]; hi++)
				;
			assert_true(brute_fits(&L, &r, lo, hi));
			long_runs += hi - lo >= 48;
			for (size_t i = lo; i <= hi; i++)
				for (size_t j = i; j <= hi; j++)
					if (brute_fits(&L, &r, i, j)) {
						if (j - i + 1 < best ||
						    (j - i + 1 == best && r.placement == GTT_PLACE_HIGH)) {
							best = j - i + 1;
							bi = i;
						}
						break;
					}
			assert_int_equal(gtt_range_scan_victims(&s, victims, MAXN, &count), 0);
			assert_int_equal(count, best);
			assert_int_equal(gtt_range_scan_victims(&s, again, MAXN + 1, &count), 0);
			assert_int_equal(count, best);
			for (size_t i = 0; i < count; i++) {
				assert_ptr_equal(victims[i], L.node[bi + i]);
				assert_ptr_equal(again[i], L.node[bi + i]);
			}
			opened++;
			raw += q % 4 == 0 || q % 4 == 3;	/* page-aligned, the whole space */
			gtt_range_scan_finish(&s);
		}
		assert_int_equal(range_alloc_check(ra), 0);
		gtt_range_alloc_destroy(ra);
	}
	assert_true(opened > 500);
	assert_true(heap > 800);
	assert_true(raw > 200);
	assert_true(long_runs > 40);
}

/*
 * The allocator changes while a scan is open (the contract forbids it, but
 * a caller's mistake must not crash): a node removed elsewhere, a node
 * removed and put back in the same storage, the victims evicted and the
 * victims asked for again.  Each later add and victims call refuses with
 * -EINVAL and reads no node; finish still frees the scan.  A grown scan
 * finished, then its allocator destroyed (finish before destroy, the
 * marking scan's rule): nothing leaks.  The nodes live in caller storage, so that what a
 * missing check would read is still memory (no use after free in the
 * test itself).
 */
static void test_allocator_changed_while_open(void **state)
{
	static struct gtt_range_node_storage mem[16];
	struct gtt_range_alloc *ra = make(0, 16 * PAGE, 0);
	struct gtt_range_request r = { .size = 2 * PAGE }, in = r;
	struct gtt_range_node *v[16], *vv[4], *got;
	struct gtt_range_scan s;
	int64_t live;
	size_t count;

	(void)state;
	memset(mem, 0, sizeof(mem));
	for (int i = 0; i < 16; i++)
		assert_int_equal(gtt_range_reserve_in(ra, (uint64_t)i * PAGE, PAGE, 0, NULL,
						      &mem[i], &v[i]), 0);
	/* A remove elsewhere: the runs' spans are stale. */
	assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[1]), 0);
	assert_int_equal(gtt_range_remove(ra, v[8]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[2]), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "changed"));
	assert_int_equal(gtt_range_scan_victims(&s, vv, 4, &count), -EINVAL);
	gtt_range_scan_finish(&s);
	assert_int_equal(gtt_range_reserve_in(ra, 8 * PAGE, PAGE, 0, NULL, &mem[8], &v[8]), 0);
	/* A node removed and put back in its storage looks the same. */
	assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[3]), 0);
	assert_int_equal(gtt_range_remove(ra, v[3]), 0);
	assert_int_equal(gtt_range_reserve_in(ra, 3 * PAGE, PAGE, 0, NULL, &mem[3], &v[3]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[4]), -EINVAL);
	gtt_range_scan_finish(&s);
	/* Victims read, evicted, then asked for again. */
	assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[5]), 0);
	assert_int_equal(gtt_range_scan_add(&s, v[6]), 1);
	assert_int_equal(gtt_range_scan_victims(&s, NULL, 0, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(gtt_range_remove(ra, v[5]), 0);
	assert_int_equal(gtt_range_remove(ra, v[6]), 0);
	vv[0] = NULL;
	assert_int_equal(gtt_range_scan_victims(&s, vv, 4, &count), -EINVAL);
	assert_null(vv[0]);
	gtt_range_scan_finish(&s);
	/* The request lands where the victims were. */
	in.range_start = 5 * PAGE;
	in.range_end = 7 * PAGE;
	assert_int_equal(gtt_range_insert(ra, &in, NULL, &got), 0);
	assert_int_equal(gtt_range_node_start(got), 5 * PAGE);
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);

	/* A scan grown past its inline room, finished, then the allocator destroyed. */
	live = mem_live();
	ra = make(0, 128 * PAGE, 0);
	for (int i = 0; i < 128; i++)
		at(ra, (uint64_t)i * PAGE, 1, 0);
	r.size = 3 * PAGE;
	assert_int_equal(gtt_range_scan_init(&s, ra, &r), 0);
	got = gtt_range_first(ra);
	for (int i = 0; i < 128; i++, got = gtt_range_next(ra, got))
		if (i % 2 == 0)
			assert_int_equal(gtt_range_scan_add(&s, got), 0);
	gtt_range_scan_finish(&s);
	gtt_range_alloc_destroy(ra);
	assert_int_equal(mem_live(), live);
}

/*
 * The marking scan's slots in the nodes (range_scan.c) are never cleared.
 * Ten one-page nodes, two pages asked for.  Scan A adds v4 and v6 (slots
 * 0 and 1) and is finished with no hole; B, in the same memory (e[1]
 * still names v6), adds v5: v4's stale slot 0 is below B's count but
 * e[0] is v5, v6's slot 1 names v6 but lies past B's count, so neither
 * joins and no hole opens; then v4 is no repeat and opens v4 + v5.
 * Fails if membership trusted the slot without either check.  Then a
 * node added to A and, once A finished, to C (other memory): no -EEXIST.
 */
static void test_stale_slots(void **state)
{
	struct gtt_range_request r = { .size = 2 * PAGE };
	struct gtt_range_alloc *ra = make(0, 10 * PAGE, 0);
	struct gtt_range_node *v[10], *first;
	struct gtt_range_scan a, c;

	(void)state;
	for (int i = 0; i < 10; i++)
		v[i] = at(ra, (uint64_t)i * PAGE, 1, 0);
	assert_int_equal(gtt_range_scan_init(&a, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[4]), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[6]), 0);
	gtt_range_scan_finish(&a);
	assert_int_equal(gtt_range_scan_init(&a, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[5]), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[4]), 1);
	assert_int_equal(victims_of(&a, &first), 2);
	assert_ptr_equal(first, v[4]);
	gtt_range_scan_finish(&a);
	/* v1 in A, A finished unended; then v1 and v2 in C. */
	assert_int_equal(gtt_range_scan_init(&a, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[1]), 0);
	gtt_range_scan_finish(&a);
	assert_int_equal(gtt_range_scan_init(&c, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&c, v[1]), 0);
	assert_int_equal(gtt_range_scan_add(&c, v[1]), -EEXIST);
	assert_int_equal(gtt_range_scan_add(&c, v[2]), 1);
	assert_int_equal(victims_of(&c, &first), 2);
	assert_ptr_equal(first, v[1]);
	gtt_range_scan_finish(&c);
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
}

/*
 * One scan at a time marks the nodes; one opened while it is open keeps a
 * table.  A (marking) and B open; A finishes; C opens and marks while B
 * is still open.  B adds v8 (its index 0), C adds v9 and v8 (index 1),
 * then B adds v7: v8 must still be in B (the run v7 + v8 opens two
 * pages) and a repeat of v8 in B -EEXIST.  Fails if B or C marked while
 * the other was open (C's slot 1 for v8 would hide it from B).  Then a
 * scan abandoned unfinished (its memory wiped) leaves the later ones
 * correct, on tables, and its memory can mark again.
 */
static void test_marking_scan_is_one(void **state)
{
	struct gtt_range_request r = { .size = 2 * PAGE };
	struct gtt_range_alloc *ra = make(0, 10 * PAGE, 0);
	struct gtt_range_node *v[10], *first;
	struct gtt_range_scan a, b, c;

	(void)state;
	for (int i = 0; i < 10; i++)
		v[i] = at(ra, (uint64_t)i * PAGE, 1, 0);
	assert_int_equal(gtt_range_scan_init(&a, ra, &r), 0);
	assert_int_equal(gtt_range_scan_init(&b, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[5]), 0);
	gtt_range_scan_finish(&a);
	assert_int_equal(gtt_range_scan_init(&c, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&b, v[8]), 0);
	assert_int_equal(gtt_range_scan_add(&c, v[1]), 0);
	assert_int_equal(gtt_range_scan_add(&c, v[8]), 0);
	assert_int_equal(gtt_range_scan_add(&b, v[8]), -EEXIST);
	assert_int_equal(gtt_range_scan_add(&b, v[7]), 1);
	assert_int_equal(victims_of(&b, &first), 2);
	assert_ptr_equal(first, v[7]);
	assert_int_equal(gtt_range_scan_add(&c, v[9]), 1);
	assert_int_equal(victims_of(&c, &first), 2);
	assert_ptr_equal(first, v[8]);
	gtt_range_scan_finish(&b);
	gtt_range_scan_finish(&c);
	/* Abandoned: a's memory wiped while it marks. */
	assert_int_equal(gtt_range_scan_init(&a, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[2]), 0);
	memset(&a, 0, sizeof(a));
	assert_int_equal(gtt_range_scan_init(&b, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&b, v[3]), 0);
	assert_int_equal(gtt_range_scan_add(&b, v[2]), 1);
	gtt_range_scan_finish(&b);
	assert_int_equal(gtt_range_scan_init(&a, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[2]), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[2]), -EEXIST);
	assert_int_equal(gtt_range_scan_add(&a, v[1]), 1);
	gtt_range_scan_finish(&a);
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
}

/* The marking scan's slots step by an entry's size in words (range_scan.c's Q). */
#define SLOT_STEP 4u

/*
 * The marking scan's slots are base + SLOT_STEP * index, with a base no
 * earlier scan gave a slot at or above (ra->scan_base).  Ten one-page nodes, two pages
 * asked for.  (1) A fresh allocator: the head's slot is 0, and v1 then v0
 * (whose neighbour below is the head) open no hole; v2 opens v0 .. v2's
 * two fewest.  Fails if a base of 0 let the head join as e[0].  (2) A
 * scan used again unfinished (its memory initialised once more): A adds
 * v1 and v3, is initialised again and adds v5 then v2: no hole, since v1
 * is no longer in it.  Fails if the new base reused the old one (v1's
 * slot would name e[0]).  (3) Past the top the bases start again: A ends
 * just below it, two nodes are given slots as an earlier round of bases
 * left them (v8's 1 is the slot the next scan gives v7), and the next
 * scan resets every slot and starts at 1: v7, then v9 (no hole: v8's old
 * slot is not v7's), then v8 opens three pages.  Fails if the reset were missing (v9 would join "v8").
 */
static void test_slot_bases(void **state)
{
	struct gtt_range_request r = { .size = 2 * PAGE };
	struct gtt_range_alloc *ra = make(0, 10 * PAGE, 0);
	struct gtt_range_node *v[10], *first;
	struct gtt_range_scan a;
	uint32_t top = UINT32_MAX - SLOT_STEP * (1u << 29);	/* range_scan.c's BASE_TOP */

	(void)state;
	for (int i = 0; i < 10; i++)
		v[i] = at(ra, (uint64_t)i * PAGE, 1, 0);
	assert_int_equal(ra->scan_base, 0);
	assert_int_equal(ra->head.scan_slot, 0);
	r.size = 3 * PAGE;
	assert_int_equal(gtt_range_scan_init(&a, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[1]), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[0]), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[2]), 1);
	assert_int_equal(victims_of(&a, &first), 3);
	assert_ptr_equal(first, v[0]);
	gtt_range_scan_finish(&a);
	assert_int_equal(ra->scan_base, 1 + 3 * SLOT_STEP);
	r.size = 2 * PAGE;

	assert_int_equal(gtt_range_scan_init(&a, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[1]), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[3]), 0);
	assert_int_equal(gtt_range_scan_init(&a, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[5]), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[2]), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[1]), 1);	/* no repeat */
	assert_int_equal(victims_of(&a, &first), 2);
	assert_ptr_equal(first, v[1]);
	gtt_range_scan_finish(&a);

	ra->scan_base = top - 1;
	assert_int_equal(gtt_range_scan_init(&a, ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[4]), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[6]), 0);
	gtt_range_scan_finish(&a);
	assert_int_equal(ra->scan_base, top - 1 + 2 * SLOT_STEP);
	v[8]->scan_slot = 1;
	v[9]->scan_slot = 1 + 2 * SLOT_STEP;
	assert_int_equal(gtt_range_scan_init(&a, ra, &r), 0);
	assert_int_equal(ra->scan_base, 1 + 32 * SLOT_STEP);
	for (int i = 0; i < 10; i++)
		assert_int_equal(v[i]->scan_slot, UINT32_MAX);
	assert_int_equal(gtt_range_scan_add(&a, v[7]), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[9]), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[8]), 1);
	assert_int_equal(victims_of(&a, &first), 2);
	assert_ptr_equal(first, v[7]);
	gtt_range_scan_finish(&a);
	assert_int_equal(ra->scan_base, 1 + 3 * SLOT_STEP);
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
}

/*
 * The bases when growing fails.  300 one-page nodes, the even ones added
 * (no hole), the allocation at the 33rd failed: -ENOMEM, ra->scan_base
 * still the inline room past the scan's base, and the failed node not
 * in (no -EEXIST once memory is back); the adds go on past 256 (a second
 * move), the scan is finished unended, and the next scan (other memory)
 * starts past every slot given: each node's slot is below its base, it
 * takes the same nodes again (no -EEXIST), and v1 then opens v0 .. v2,
 * of which v0 and v1 go.
 * Nothing leaks and the allocator is intact.  Fails if a failed move
 * moved the base's reservation back or forth wrongly (a later scan would
 * see the nodes of this one as its own) or left the node marked.
 */
static void test_slot_bases_oom(void **state)
{
	enum { N = 600 };
	struct gtt_range_alloc *ra = make(0, N * PAGE, 0);
	struct gtt_range_request r = { .size = 2 * PAGE };
	static struct gtt_range_node *v[N];
	struct gtt_range_scan a, c;
	struct gtt_range_node *first;
	uint32_t base;
	int64_t live;

	(void)state;
	for (int i = 0; i < N; i++)
		v[i] = at(ra, (uint64_t)i * PAGE, 1, 0);
	live = mem_live();
	base = ra->scan_base + 1;	/* a fresh allocator's first base is 1 */
	assert_int_equal(gtt_range_scan_init(&a, ra, &r), 0);
	for (int i = 0; i < 32; i++)
		assert_int_equal(gtt_range_scan_add(&a, v[2 * i]), 0);
	mem_fail_after(1);
	assert_int_equal(gtt_range_scan_add(&a, v[64]), -ENOMEM);
	mem_fail_after(0);
	assert_int_equal(ra->scan_base, base + 32 * SLOT_STEP);
	assert_int_equal(gtt_range_scan_add(&a, v[64]), 0);
	assert_int_equal(gtt_range_scan_add(&a, v[64]), -EEXIST);
	assert_int_equal(ra->scan_base, base + 256 * SLOT_STEP);
	for (int i = 33; i < N / 2; i++)
		assert_int_equal(gtt_range_scan_add(&a, v[2 * i]), 0);
	assert_int_equal(ra->scan_base, base + 2048 * SLOT_STEP);
	gtt_range_scan_finish(&a);
	assert_int_equal(ra->scan_base, base + N / 2 * SLOT_STEP);
	assert_int_equal(mem_live(), live);

	assert_int_equal(gtt_range_scan_init(&c, ra, &r), 0);
	for (int i = 0; i < N; i++)
		assert_true(v[i]->scan_slot < base + N / 2 * SLOT_STEP ||
			    v[i]->scan_slot == UINT32_MAX);
	for (int i = N / 2 - 1; i >= 0; i--)
		assert_int_equal(gtt_range_scan_add(&c, v[2 * i]), 0);
	assert_int_equal(gtt_range_scan_add(&c, v[1]), 1);
	assert_int_equal(victims_of(&c, &first), 2);
	assert_ptr_equal(first, v[0]);
	gtt_range_scan_finish(&c);
	assert_int_equal(mem_live(), live);
	assert_int_equal(range_alloc_check(ra), 0);
	gtt_range_alloc_destroy(ra);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_victims),
		cmocka_unit_test(test_colour_guard),
		cmocka_unit_test(test_alignment_range_nospan),
		cmocka_unit_test(test_top_of_space),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test_setup_teardown(test_oom_while_growing, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_oom_while_growing_table, alarm_setup,
						alarm_teardown),
		cmocka_unit_test(test_raw_pick_places),
		cmocka_unit_test(test_raw_pick_places_heap),
		cmocka_unit_test(test_against_brute_force),
		cmocka_unit_test(test_long_runs_against_brute_force),
		cmocka_unit_test(test_allocator_changed_while_open),
		cmocka_unit_test(test_stale_slots),
		cmocka_unit_test(test_marking_scan_is_one),
		cmocka_unit_test(test_slot_bases),
		cmocka_unit_test_setup_teardown(test_slot_bases_oom, alarm_setup, alarm_teardown),
	};

	return cmocka_run_group_tests_name("range_scan", tests, NULL, NULL);
}
