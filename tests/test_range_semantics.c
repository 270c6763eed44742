/* SPDX-License-Identifier: MIT */
/**
 * DOC: range allocator semantics against drm_mm and util_vma_heap
 *
 * The properties the test suites of the two allocators libgtt's range
 * allocator replaces check (drm_mm's KUnit/selftests: holes, alignment,
 * topdown/bottomup, insert in range, reserve, eviction scan with colour
 * and range limits, fragmentation; Mesa's vma tests: random alloc/free
 * against a model, alloc_high/alloc_low, nospan, heaps ending at 2^64,
 * alloc_addr), under the guard page and under a driver's own wider
 * colour rule, each checked here against a page map of our own that knows
 * nothing of the allocator's trees: a brute force over every page says
 * where a request may go, which hole is the lowest, the highest or the
 * smallest, and what is free.  The places where libgtt means to differ
 * are checked too, with the difference they have (docs/driver-guide.md,
 * "Differences from drm_mm and util_vma_heap").
 *
 * Locking: none; single-threaded.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "alloc/range_alloc_internal.h"

#define NP 128			/* pages in a world */

/*
 * The allocator's page size, the model's page: 4096 (GPU pages), or 64 and
 * 1 (Mesa's sub-allocators, drm_mm's byte-granular sizes).
 */
static uint64_t U = PAGE;
#define TOP_BASE (0 - (uint64_t)NP * U)	/* a world ending at 2^64 */
#define FREE (-1)
#define UNADDED (-2)		/* GTT_RANGE_ALLOC_EMPTY: not added yet */

/* A world: the allocator and our own page map of what is in it. */
struct world {
	struct gtt_range_alloc *ra;
	uint64_t base;
	bool guard;
	unsigned int gk;		/* guard pages against another colour */
	uint64_t rule_bytes;		/* wide_rule()'s width, when it is set */
	unsigned int nospan;		/* shift, 0 for none */
	int owner[NP];			/* slot of the node on the page, FREE or UNADDED */
	struct slot {
		struct gtt_range_node *n;	/* NULL: slot free */
		unsigned int first, pages;
		uint32_t color;
	} slot[NP];
};

static uint64_t addr(const struct world *w, unsigned int page)
{
	return w->base + (uint64_t)page * U;	/* wraps to 0 at 2^64 */
}

static unsigned int page_of(const struct world *w, uint64_t a)
{
	return (unsigned int)((a - w->base) / U);
}

static void world_init_flags(struct world *w, uint64_t base, bool guard, unsigned int flags)
{
	memset(w, 0, sizeof(*w));
	w->base = base;
	w->guard = guard;
	w->gk = guard ? 1 : 0;
	for (int i = 0; i < NP; i++)
		w->owner[i] = flags & GTT_RANGE_ALLOC_EMPTY ? UNADDED : FREE;
	assert_int_equal(gtt_range_alloc_create(base, NP * U, U,
						flags | (guard ? GTT_RANGE_COLOR_GUARD : 0),
						&w->ra), 0);
}

static void world_init(struct world *w, uint64_t base, bool guard)
{
	world_init_flags(w, base, guard, 0);
}

/*
 * A custom colour rule (gtt_range_alloc_set_color_adjust()) of the kind
 * drm_mm drivers write: *@arg bytes kept free against a neighbour of
 * another colour (not GTT_COLOR_NONE), the hole emptied when they take it
 * all.  At 2^64 *end is 0 and plain unsigned arithmetic works.
 */
static void wide_rule(void *arg, uint32_t color, uint32_t pc, uint32_t nc,
		      uint64_t *start, uint64_t *end)
{
	uint64_t k = *(const uint64_t *)arg, room = *end - *start;

	if (pc != GTT_COLOR_NONE && pc != color) {
		if (room <= k) {
			*end = *start;
			return;
		}
		*start += k;
		room -= k;
	}
	if (nc != GTT_COLOR_NONE && nc != color)
		*end = room <= k ? *start : *end - k;
}

/* Replace @w's guard page by wide_rule() with @k pages. */
static void use_wide_rule(struct world *w, unsigned int k)
{
	assert_true(w->guard);
	w->gk = k;
	w->rule_bytes = (uint64_t)k * U;
	assert_int_equal(gtt_range_alloc_set_color_adjust(w->ra, wide_rule, &w->rule_bytes), 0);
}

/*
 * The free pages between page @p and the nearest node on side @dir (-1
 * below, +1 above) if that node's colour differs from @color; NP if there
 * is none (the space's edge, space not added, or the same colour).
 */
static unsigned int room_to_other_colour(const struct world *w, int p, int dir, uint32_t color)
{
	unsigned int room = 0;

	for (int q = p; q >= 0 && q < NP; q += dir, room++)
		if (w->owner[q] != FREE)
			return w->owner[q] >= 0 && w->slot[w->owner[q]].color != color ? room : NP;
	return NP;
}

static void world_fini(struct world *w)
{
	gtt_range_alloc_destroy(w->ra);
}

static int free_slot(const struct world *w)
{
	for (int i = 0; i < NP; i++)
		if (!w->slot[i].n)
			return i;
	fail_msg("no free slot");
	return -1;
}

/* Record node @n in the page map; it must lie on free pages. */
static void own(struct world *w, struct gtt_range_node *n)
{
	int s = free_slot(w);
	unsigned int first = page_of(w, gtt_range_node_start(n));
	unsigned int pages = (unsigned int)(gtt_range_node_size(n) / U);

	assert_true(first + pages <= NP);
	w->slot[s] = (struct slot){ n, first, pages, gtt_range_node_color(n) };
	for (unsigned int p = first; p < first + pages; p++) {
		assert_int_equal(w->owner[p], FREE);
		w->owner[p] = s;
	}
}

static void drop(struct world *w, int s)
{
	assert_int_equal(gtt_range_remove(w->ra, w->slot[s].n), 0);
	for (unsigned int p = w->slot[s].first; p < w->slot[s].first + w->slot[s].pages; p++)
		w->owner[p] = FREE;
	w->slot[s].n = NULL;
}

static int slot_of(const struct world *w, const struct gtt_range_node *n)
{
	for (int i = 0; i < NP; i++)
		if (w->slot[i].n == n)
			return i;
	fail_msg("node not in the page map");
	return -1;
}

/* What a request asks, in pages of the world. */
struct ask {
	unsigned int pages;
	uint64_t align;			/* bytes, power of two >= U */
	uint32_t color;
	unsigned int lo, hi;		/* allowed pages [lo, hi) */
	enum gtt_placement pl;
};

static struct gtt_range_request req_of(const struct world *w, const struct ask *a)
{
	return (struct gtt_range_request){
		.size = (uint64_t)a->pages * U, .alignment = a->align,
		.color = a->color, .placement = a->pl,
		.range_start = addr(w, a->lo),
		/* addr(NP) is 0 for a world at the top: "no limit" there */
		.range_end = a->hi == NP ? 0 : addr(w, a->hi),
	};
}

/* Is page @p a legal start for @a, by the page map alone? */
static bool legal(const struct world *w, const struct ask *a, unsigned int p)
{
	uint64_t s = addr(w, p), last = s + (uint64_t)a->pages * U - 1;

	if (p < a->lo || p + a->pages > a->hi || (s & (a->align - 1)))
		return false;
	for (unsigned int q = p; q < p + a->pages; q++)
		if (w->owner[q] != FREE)
			return false;
	if (w->nospan && (s >> w->nospan) != (last >> w->nospan))
		return false;
	/* i915: gk free pages against another colour, none at the edges. */
	return !w->gk || (room_to_other_colour(w, (int)p - 1, -1, a->color) >= w->gk &&
			  room_to_other_colour(w, (int)(p + a->pages), 1, a->color) >= w->gk);
}

/* The hole (maximal free run) holding page @p: [*hs, *he). */
static void hole_at(const struct world *w, unsigned int p, unsigned int *hs, unsigned int *he)
{
	*hs = p;
	*he = p;
	while (*hs > 0 && w->owner[*hs - 1] == FREE)
		(*hs)--;
	while (*he < NP && w->owner[*he] == FREE)
		(*he)++;
}

/*
 * Where @a should go by drm_mm's and util_vma_heap's rules: the lowest
 * legal page (bottom-up, alloc_low), the highest (top-down, alloc_high),
 * or the lowest in the smallest hole holding one (best fit; ties: the
 * lower hole).  -1 when none is legal.
 */
static int expect(const struct world *w, const struct ask *a)
{
	int best = -1;
	unsigned int best_len = NP + 1;

	for (unsigned int p = 0; p + a->pages <= NP; p++) {
		unsigned int hs, he;

		if (!legal(w, a, p))
			continue;
		if (a->pl == GTT_PLACE_LOW)
			return (int)p;
		if (a->pl == GTT_PLACE_HIGH) {
			best = (int)p;
			continue;
		}
		hole_at(w, p, &hs, &he);
		if (he - hs < best_len) {
			best_len = he - hs;
			best = (int)p;
		}
	}
	return best;
}

/* Insert @a; compare the outcome with expect() and record the node. */
static int insert_checked(struct world *w, const struct ask *a)
{
	struct gtt_range_request r = req_of(w, a);
	struct gtt_range_node *n = NULL;
	int want = expect(w, a);
	int err = gtt_range_insert(w->ra, &r, NULL, &n);

	if (want < 0) {
		assert_int_equal(err, -ENOSPC);
		return -1;
	}
	assert_int_equal(err, 0);
	assert_int_equal(gtt_range_node_start(n), addr(w, (unsigned int)want));
	assert_int_equal(gtt_range_node_size(n), (uint64_t)a->pages * U);
	assert_int_equal(gtt_range_node_color(n), a->color);
	own(w, n);
	return want;
}

/* Snapshot of the allocator's view: its nodes and holes, as listed. */
struct view {
	int nn, nh;
	uint64_t node[NP][2], hole[NP][2];
};

static void view_of(const struct world *w, struct view *v)
{
	uint64_t from = 0, s, sz;

	memset(v, 0, sizeof(*v));
	for (struct gtt_range_node *n = gtt_range_first(w->ra); n; n = gtt_range_next(w->ra, n)) {
		assert_true(v->nn < NP);
		v->node[v->nn][0] = gtt_range_node_start(n);
		v->node[v->nn++][1] = gtt_range_node_size(n);
	}
	while (gtt_range_next_hole(w->ra, from, &s, &sz) == 0) {
		assert_true(v->nh < NP);
		v->hole[v->nh][0] = s;
		v->hole[v->nh++][1] = sz;
		from = s + sz;
		if (!from)
			break;	/* the hole ending at 2^64 */
	}
}

/*
 * drm_mm's assert_no_holes / assert_continuous and Mesa's heap validate:
 * every hole listed is free and maximal (a node or the space's edge on
 * each side), every free page is in one, the nodes are those of the page
 * map, each byte's lookup finds the node holding it (or none), and the
 * stats agree.
 */
static void check_view(const struct world *w)
{
	struct view v;
	struct gtt_range_stats st;
	unsigned int covered = 0, model_holes = 0, model_free = 0, largest = 0;
	int nodes = 0;

	assert_int_equal(range_alloc_check(w->ra), 0);
	view_of(w, &v);
	for (int i = 0; i < v.nh; i++) {
		unsigned int hs = page_of(w, v.hole[i][0]);
		unsigned int len = (unsigned int)(v.hole[i][1] / U);

		assert_true(len > 0 && hs + len <= NP);
		for (unsigned int p = hs; p < hs + len; p++)
			assert_int_equal(w->owner[p], FREE);
		assert_true(hs == 0 || w->owner[hs - 1] != FREE);		/* maximal below */
		assert_true(hs + len == NP || w->owner[hs + len] != FREE);	/* and above */
		covered += len;
	}
	for (unsigned int p = 0; p < NP; p++) {
		/* Mesa frees by address: the node holding any byte of it. */
		assert_ptr_equal(gtt_range_lookup(w->ra, addr(w, p) + (U - 1)),
				 w->owner[p] >= 0 ? w->slot[w->owner[p]].n : NULL);
		if (w->owner[p] != FREE)
			continue;
		model_free++;
		if (p == 0 || w->owner[p - 1] != FREE) {
			unsigned int hs, he;

			hole_at(w, p, &hs, &he);
			model_holes++;
			if (he - hs > largest)
				largest = he - hs;
		}
	}
	assert_int_equal(covered, model_free);
	assert_int_equal(v.nh, model_holes);
	for (int i = 0; i < NP; i++)
		if (w->slot[i].n) {
			struct gtt_range_node *n = w->slot[i].n;
			int k = 0;

			nodes++;
			while (k < v.nn && v.node[k][0] != addr(w, w->slot[i].first))
				k++;
			assert_true(k < v.nn);
			assert_int_equal(v.node[k][1], (uint64_t)w->slot[i].pages * U);
			assert_ptr_equal(gtt_range_lookup(w->ra, addr(w, w->slot[i].first)), n);
		}
	assert_int_equal(v.nn, nodes);
	assert_int_equal(gtt_range_alloc_stats(w->ra, &st), 0);
	assert_int_equal(st.nodes, (uint64_t)nodes);
	assert_int_equal(st.holes, model_holes);
	assert_int_equal(st.free, (uint64_t)model_free * U);
	assert_int_equal(st.largest_hole, (uint64_t)largest * U);
}

static bool view_equal(const struct view *a, const struct view *b)
{
	return a->nn == b->nn && a->nh == b->nh &&
	       !memcmp(a->node, b->node, sizeof(a->node)) &&
	       !memcmp(a->hole, b->hole, sizeof(a->hole));
}

/* Reserve [first, first + pages) as drm_mm_reserve_node / util_vma_heap_alloc_addr. */
static int reserve_checked(struct world *w, unsigned int first, unsigned int pages,
			   uint32_t color)
{
	struct ask a = { .pages = pages, .align = U, .color = color, .lo = first,
			 .hi = first + pages, .pl = GTT_PLACE_LOW };
	unsigned int nospan = w->nospan;
	struct gtt_range_node *n = NULL;
	struct view before, after;
	bool ok;
	int err;

	w->nospan = 0;	/* reservations ignore nospan */
	ok = legal(w, &a, first);
	w->nospan = nospan;
	view_of(w, &before);
	err = gtt_range_reserve(w->ra, addr(w, first), (uint64_t)pages * U, color, NULL, &n);
	if (!ok) {
		assert_int_equal(err, -ENOSPC);
		view_of(w, &after);
		assert_true(view_equal(&before, &after));	/* state intact */
		return -1;
	}
	assert_int_equal(err, 0);
	assert_int_equal(gtt_range_node_start(n), addr(w, first));
	own(w, n);
	return 0;
}

static int random_slot(const struct world *w, uint64_t *rng)
{
	int used[NP], k = 0;

	for (int i = 0; i < NP; i++)
		if (w->slot[i].n)
			used[k++] = i;
	return k ? used[rng_below(rng, (uint64_t)k)] : -1;
}

static const uint64_t units[] = { PAGE, 64, 1 };
#define NUNITS (sizeof(units) / sizeof(units[0]))

static uint64_t random_align(uint64_t *rng, unsigned int max_log)
{
	return U << rng_below(rng, max_log + 1);
}

/* The random inserts, reservations and removals of one step. */
static void random_step(struct world *w, uint64_t *rng)
{
	unsigned int op = (unsigned int)rng_below(rng, 10);

	if (op < 5) {
		struct ask a = {
			.pages = 1 + (unsigned int)rng_below(rng, 12),
			.align = random_align(rng, 5),
			.color = w->guard ? (uint32_t)rng_below(rng, 3) : 0,
			.pl = (enum gtt_placement)rng_below(rng, 3),
			.lo = 0, .hi = NP,
		};

		if (rng_below(rng, 3) == 0) {
			a.lo = (unsigned int)rng_below(rng, NP);
			a.hi = a.lo + 1 + (unsigned int)rng_below(rng, NP - a.lo);
		}
		insert_checked(w, &a);
	} else if (op < 7) {
		unsigned int first = (unsigned int)rng_below(rng, NP);
		unsigned int pages = 1 + (unsigned int)rng_below(rng, NP - first < 8 ? NP - first : 8);

		reserve_checked(w, first, pages, w->guard ? (uint32_t)rng_below(rng, 3) : 0);
	} else {
		int s = random_slot(w, rng);

		if (s >= 0)
			drop(w, s);
	}
	check_view(w);
}

#define NBASES 4

/* Low in the space, at odd multiples of the page, and ending at 2^64. */
static uint64_t base_at(size_t i)
{
	const uint64_t low[] = { 0, 0x10000, 0x7000 };

	return i < 3 ? low[i] : TOP_BASE;
}

/* Run @body for each base, at each page size of units[]. */
static void per_unit_and_base(void (*body)(size_t b))
{
	for (size_t u = 0; u < NUNITS; u++) {
		U = units[u];
		for (size_t b = 0; b < NBASES; b++)
			body(b);
	}
	U = PAGE;
}


/*
 * drm_mm's insert/remove checks and Mesa's vma_random_test: random
 * inserts (every placement, alignment and range), reservations and
 * removals; after each, the placement is the one the brute force names and
 * the holes are exactly the page map's; emptied, the space is one hole.
 */
static void random_against_page_map_at(size_t b)
{
	for (int guard = 0; guard < 2; guard++) {
		struct world w;
		uint64_t rng = 0x9e3779b97f4a7c15ull ^ (b * 31 + (uint64_t)guard), start, size;

		world_init(&w, base_at(b), guard);
		for (int step = 0; step < 3000; step++)
			random_step(&w, &rng);
		/* Emptied, it is one hole again (drm_mm's assert_one_hole). */
		for (int s = 0; s < NP; s++)
			if (w.slot[s].n)
				drop(&w, s);
		check_view(&w);
		assert_int_equal(gtt_range_next_hole(w.ra, 0, &start, &size), 0);
		assert_int_equal(start, w.base);
		assert_int_equal(size, NP * U);
		world_fini(&w);
	}
}

static void test_random_against_page_map(void **state)
{
	(void)state;
	per_unit_and_base(random_against_page_map_at);
}

/*
 * The same random work under a custom colour rule (drm_mm's
 * color_adjust, as drivers write them): wide_rule() with 1 page, the
 * default rule's result, then 2 and 3; the page map keeps as many pages
 * free against another colour.
 */
static void custom_rule_against_page_map_at(size_t b)
{
	for (unsigned int k = 1; k <= 3; k++) {
		struct world w;
		uint64_t rng = 0xc0102ull * k + b;

		world_init(&w, base_at(b), true);
		use_wide_rule(&w, k);
		for (int step = 0; step < 2000; step++)
			random_step(&w, &rng);
		world_fini(&w);
	}
}

static void test_custom_rule_against_page_map(void **state)
{
	(void)state;
	per_unit_and_base(custom_rule_against_page_map_at);
}

/*
 * drm_mm's igt_align / igt_align64 and Mesa's alignment cases: at every
 * power of two from the page up to 2^63, on a fragmented space, each
 * placement gives the address the brute force names (so it is aligned,
 * and the lowest / highest / best one), or -ENOSPC exactly when none is.
 */
static void every_alignment_at(size_t b)
{
	struct world w;
	uint64_t rng = 0xa11c0ull + b;

	world_init(&w, base_at(b), false);
	/* Fragment: single pages at random, a third of the space. */
	for (int i = 0; i < NP / 3; i++)
		reserve_checked(&w, (unsigned int)rng_below(&rng, NP), 1, 0);
	for (unsigned int lg = (unsigned int)__builtin_ctzll(U); lg < 64; lg++)
		for (int pl = 0; pl < 3; pl++)
			for (unsigned int pages = 1; pages <= 4; pages++) {
				struct ask a = { .pages = pages, .align = 1ull << lg,
						 .pl = (enum gtt_placement)pl,
						 .lo = 0, .hi = NP };
				int at = insert_checked(&w, &a);

				if (at >= 0) {
					assert_int_equal(addr(&w, (unsigned int)at) & (a.align - 1), 0);
					drop(&w, w.owner[at]);
				}
			}
	check_view(&w);
	world_fini(&w);
}

static void test_every_alignment(void **state)
{
	(void)state;
	per_unit_and_base(every_alignment_at);
}

/*
 * drm_mm's igt_topdown / igt_bottomup and util_vma_heap's alloc_high /
 * alloc_low: fill the space one node at a time from the top (the bottom),
 * each node right below (above) the last; then free random nodes and
 * refill: each insert takes the highest (lowest) free place.
 */
static void topdown_bottomup_at(size_t b)
{
	for (int pl = GTT_PLACE_LOW; pl <= GTT_PLACE_HIGH; pl++)
		for (unsigned int pages = 1; pages <= 3; pages++) {
			struct world w;
			uint64_t rng = 0x70dull * pages + b;
			struct ask a = { .pages = pages, .align = U,
					 .pl = (enum gtt_placement)pl, .lo = 0, .hi = NP };
			unsigned int n = NP / pages;

			world_init(&w, base_at(b), false);
			for (unsigned int i = 0; i < n; i++) {
				int at = insert_checked(&w, &a);

				assert_int_equal(at, pl == GTT_PLACE_LOW ?
						 (int)(i * pages) :
						 (int)(NP - (i + 1) * pages));
			}
			for (int round = 0; round < 50; round++) {
				for (int k = 0; k < 5; k++) {
					int s = random_slot(&w, &rng);

					if (s >= 0)
						drop(&w, s);
				}
				while (insert_checked(&w, &a) >= 0)
					;
				check_view(&w);
			}
			world_fini(&w);
		}
}

static void test_topdown_bottomup(void **state)
{
	(void)state;
	per_unit_and_base(topdown_bottomup_at);
}

/*
 * drm_mm's igt_insert_range / igt_lowest / igt_highest: a node inserted
 * within [range_start, range_end) never leaves it, goes where the brute
 * force says for the placement, and fails with -ENOSPC exactly when
 * nothing fits there, a range smaller than the node included.  A range
 * reaching past the space is clipped to it, as drm_mm clips it; one
 * wholly outside the space is -EINVAL here where drm_mm says -ENOSPC.
 */
static void insert_in_range_at(size_t b)
{
	struct world w;
	uint64_t rng = 0x4a9eull + b;

	world_init(&w, base_at(b), true);
	for (int i = 0; i < NP / 4; i++)
		reserve_checked(&w, (unsigned int)rng_below(&rng, NP), 1 + (unsigned int)rng_below(&rng, 2),
				(uint32_t)rng_below(&rng, 2));
	for (int i = 0; i < 4000; i++) {
		struct ask a = { .pages = 1 + (unsigned int)rng_below(&rng, 8),
				 .align = random_align(&rng, 3),
				 .color = (uint32_t)rng_below(&rng, 2),
				 .pl = (enum gtt_placement)rng_below(&rng, 3) };
		int at;

		a.lo = (unsigned int)rng_below(&rng, NP);
		a.hi = a.lo + 1 + (unsigned int)rng_below(&rng, NP - a.lo);
		at = insert_checked(&w, &a);
		if (at >= 0) {
			assert_true((unsigned int)at >= a.lo && at + a.pages <= a.hi);
			drop(&w, w.owner[at]);
		}
	}
	check_view(&w);
	if (base_at(b) >= 2 * U) {
		/* Starting below the space: clipped to its start. */
		struct gtt_range_request r = { .size = U, .placement = GTT_PLACE_LOW,
					       .range_start = base_at(b) - 2 * U,
					       .range_end = addr(&w, 4) };
		struct gtt_range_node *n = NULL;
		struct ask a = { .pages = 1, .align = U, .lo = 0, .hi = 4,
				 .pl = GTT_PLACE_LOW };
		int want = expect(&w, &a);

		assert_int_equal(gtt_range_insert(w.ra, &r, NULL, &n), want < 0 ? -ENOSPC : 0);
		if (want >= 0) {
			assert_int_equal(gtt_range_node_start(n), addr(&w, (unsigned int)want));
			assert_int_equal(gtt_range_remove(w.ra, n), 0);
		}
		/* Wholly below the space: -EINVAL (drm_mm: -ENOSPC). */
		r.range_end = base_at(b);
		assert_int_equal(gtt_range_insert(w.ra, &r, NULL, &n), -EINVAL);
	}
	if (base_at(b) != TOP_BASE) {
		/* Ending past the space: clipped to its end. */
		struct gtt_range_request r = { .size = U, .placement = GTT_PLACE_HIGH,
					       .range_start = addr(&w, NP - 4),
					       .range_end = addr(&w, NP + 8) };
		struct gtt_range_node *n = NULL;
		struct ask a = { .pages = 1, .align = U, .lo = NP - 4, .hi = NP,
				 .pl = GTT_PLACE_HIGH };
		int want = expect(&w, &a);

		assert_int_equal(gtt_range_insert(w.ra, &r, NULL, &n), want < 0 ? -ENOSPC : 0);
		if (want >= 0) {
			assert_int_equal(gtt_range_node_start(n), addr(&w, (unsigned int)want));
			assert_int_equal(gtt_range_remove(w.ra, n), 0);
		}
		r.range_start = addr(&w, NP);
		assert_int_equal(gtt_range_insert(w.ra, &r, NULL, &n), -EINVAL);
	}
	check_view(&w);
	world_fini(&w);
}

static void test_insert_in_range(void **state)
{
	(void)state;
	per_unit_and_base(insert_in_range_at);
}

/*
 * drm_mm's igt_reserve and util_vma_heap_alloc_addr: a reservation over a
 * node, part of one, or a colour guard fails with -ENOSPC and changes
 * nothing (the same nodes and holes); one on free pages gets exactly
 * those.  The differences: a zero size or a range past the space is
 * -EINVAL (drm_mm: -ENOSPC; Mesa asserts).
 */
static void reserve_overlap_intact_at(size_t b)
{
	struct world w;
	uint64_t rng = 0x5e5eull + b;
	struct gtt_range_node *n = NULL;
	struct view before, after;

	world_init(&w, base_at(b), true);
	/* Every size and offset of overlap with a few fixed nodes. */
	assert_int_equal(reserve_checked(&w, 10, 4, 0), 0);
	assert_int_equal(reserve_checked(&w, 20, 1, 1), 0);
	assert_int_equal(reserve_checked(&w, NP - 3, 3, 0), 0);
	assert_int_equal(reserve_checked(&w, 0, 2, 1), 0);
	for (unsigned int first = 0; first < NP; first++)
		for (unsigned int pages = 1; first + pages <= NP && pages <= 8; pages++)
			for (uint32_t c = 0; c < 2; c++)
				if (reserve_checked(&w, first, pages, c) == 0)
					drop(&w, w.owner[first]);
	/* Random ones on a random layout. */
	for (int i = 0; i < 3000; i++) {
		unsigned int first = (unsigned int)rng_below(&rng, NP);
		unsigned int pages = 1 + (unsigned int)rng_below(&rng, NP - first < 6 ? NP - first : 6);

		if (reserve_checked(&w, first, pages, (uint32_t)rng_below(&rng, 2)) == 0 &&
		    rng_below(&rng, 3) == 0)
			drop(&w, w.owner[first]);
		if (rng_below(&rng, 4) == 0) {
			int s = random_slot(&w, &rng);

			if (s >= 0)
				drop(&w, s);
		}
	}
	check_view(&w);
	/* Bad ranges: -EINVAL, nothing changed. */
	view_of(&w, &before);
	assert_int_equal(gtt_range_reserve(w.ra, addr(&w, 5), 0, 0, NULL, &n), -EINVAL);
	assert_int_equal(gtt_range_reserve(w.ra, addr(&w, NP - 1), 2 * U, 0, NULL, &n), -EINVAL);
	if (U > 1)	/* misaligned */
		assert_int_equal(gtt_range_reserve(w.ra, addr(&w, 5) + 1, U, 0, NULL, &n), -EINVAL);
	view_of(&w, &after);
	assert_true(view_equal(&before, &after));
	world_fini(&w);
}

static void test_reserve_overlap_intact(void **state)
{
	(void)state;
	per_unit_and_base(reserve_overlap_intact_at);
}

/* Fill @w with nodes of 1..4 pages and random colours, 0..1 free pages apart. */
static void fill_random(struct world *w, uint64_t *rng, uint32_t colours)
{
	unsigned int p = (unsigned int)rng_below(rng, 2);

	while (p < NP) {
		unsigned int pages = 1 + (unsigned int)rng_below(rng, 4), run = 0;
		uint32_t c = (uint32_t)rng_below(rng, colours);

		/* The guard pages a neighbour of another colour needs. */
		if (w->gk) {
			unsigned int room = room_to_other_colour(w, (int)p - 1, -1, c);

			if (room < w->gk)
				p += w->gk - room;
		}
		while (p + run < NP && w->owner[p + run] == FREE)
			run++;
		if (!run) {	/* space not added */
			p++;
			continue;
		}
		if (pages > run)
			pages = run;
		assert_int_equal(reserve_checked(w, p, pages, c), 0);
		p += pages + (rng_below(rng, 4) == 0 ? 1 : 0);
	}
}

/* Add all of an empty world's space but for up to three 2-page gaps. */
static void add_all_but_gaps(struct world *w, uint64_t *rng)
{
	bool gap[NP] = { false };

	for (int i = 0; i < 3; i++) {
		unsigned int g = (unsigned int)rng_below(rng, NP - 1);

		gap[g] = gap[g + 1] = true;
	}
	for (unsigned int p = 0; p < NP;) {
		unsigned int e = p;

		if (gap[p]) {
			p++;
			continue;
		}
		while (e < NP && !gap[e])
			e++;
		assert_int_equal(gtt_range_add_free(w->ra, addr(w, p), (uint64_t)(e - p) * U), 0);
		for (; p < e; p++)
			w->owner[p] = FREE;
	}
}

/* Does @a fit once the @ngone nodes of @gone (slots) are out of the page map? */
static bool fits_without(struct world *w, const struct ask *a, const int *gone, int ngone)
{
	int saved[NP];
	bool ok;

	memcpy(saved, w->owner, sizeof(saved));
	for (int i = 0; i < ngone; i++)
		for (unsigned int p = w->slot[gone[i]].first;
		     p < w->slot[gone[i]].first + w->slot[gone[i]].pages; p++)
			w->owner[p] = FREE;
	ok = expect(w, &(struct ask){ .pages = a->pages, .align = a->align, .color = a->color,
				      .lo = a->lo, .hi = a->hi, .pl = GTT_PLACE_LOW }) >= 0;
	memcpy(w->owner, saved, sizeof(saved));
	return ok;
}

/*
 * The run of added nodes (slots marked in @added) around slot @sl: those
 * reached from it through added nodes and free space only.  Into @run;
 * how many.
 */
static int run_of(const struct world *w, const bool *added, int sl, int *run)
{
	int n = 0;

	for (int dir = -1; dir <= 1; dir += 2) {
		int p = dir < 0 ? (int)w->slot[sl].first - 1
				: (int)(w->slot[sl].first + w->slot[sl].pages);

		while (p >= 0 && p < NP && w->owner[p] != UNADDED) {
			int o = w->owner[p];

			if (o == FREE) {
				p += dir;
				continue;
			}
			if (!added[o])
				break;
			run[n++] = o;
			p = dir < 0 ? (int)w->slot[o].first - 1
				    : (int)(w->slot[o].first + w->slot[o].pages);
		}
	}
	run[n++] = sl;
	return n;
}

/*
 * What a scan's victims must be, whichever scan chose them: adjacent
 * nodes (none left between them), inside the request's range or touching
 * it with another colour under the guard (drm_mm_scan_init_with_range
 * with drm_mm_scan_color_evict), the fewest (neither run one shorter
 * opens a hole), and once evicted the request fits at once, with no
 * further eviction of colour neighbours, where the victims were.
 */
static void check_victims(struct world *w, const struct ask *a,
			  struct gtt_range_node **v, size_t nv)
{
	int gone[NP];
	unsigned int lo_page, hi_page;
	struct gtt_range_request r = req_of(w, a);
	struct gtt_range_node *n = NULL;
	int at;

	assert_true(nv > 0 && nv <= NP);
	for (size_t i = 0; i < nv; i++) {
		const struct slot *s;

		gone[i] = slot_of(w, v[i]);
		s = &w->slot[gone[i]];
		if (i)
			assert_true(s->first >= w->slot[gone[i - 1]].first);
		/* In the range, or a colour neighbour whose guard reaches in. */
		if (s->first + s->pages <= a->lo || s->first >= a->hi) {
			assert_true(w->gk);
			assert_true(s->first >= a->hi ? s->first - a->hi < w->gk
						      : a->lo - (s->first + s->pages) < w->gk);
			assert_int_not_equal(s->color, a->color);
		}
	}
	lo_page = w->slot[gone[0]].first;
	hi_page = w->slot[gone[nv - 1]].first + w->slot[gone[nv - 1]].pages;
	for (unsigned int p = lo_page; p < hi_page; p++) {	/* adjacent */
		bool victim = false;

		for (size_t i = 0; i < nv; i++)
			victim |= w->owner[p] == gone[i];
		assert_true(w->owner[p] == FREE || victim);
	}
	assert_false(fits_without(w, a, gone, 0));
	assert_true(fits_without(w, a, gone, (int)nv));
	if (nv > 1) {
		assert_false(fits_without(w, a, gone + 1, (int)nv - 1));
		assert_false(fits_without(w, a, gone, (int)nv - 1));
	}
	for (size_t i = 0; i < nv; i++)
		drop(w, gone[i]);
	at = expect(w, a);
	assert_true(at >= 0);
	assert_int_equal(gtt_range_insert(w->ra, &r, NULL, &n), 0);
	assert_int_equal(gtt_range_node_start(n), addr(w, (unsigned int)at));
	own(w, n);
	/* Where the victims were: the node or its guard pages meet their span. */
	assert_true((unsigned int)at < hi_page + w->gk &&
		    (unsigned int)at + a->pages + w->gk > lo_page);
	check_view(w);
}

static bool all_evictable(void *arg, struct gtt_range_node *node)
{
	(void)arg;
	(void)node;
	return true;
}

/* A request that does not fit now but would in the empty range. */
static bool pick_ask(struct world *w, uint64_t *rng, bool ranged, struct ask *a)
{
	*a = (struct ask){ .pages = 1 + (unsigned int)rng_below(rng, w->nospan ? 8 : 10),
			   .align = random_align(rng, 3),
			   .color = (uint32_t)rng_below(rng, 2),
			   .pl = (enum gtt_placement)rng_below(rng, 3), .lo = 0, .hi = NP };
	if (ranged) {
		a->lo = (unsigned int)rng_below(rng, NP - 16);
		a->hi = a->lo + 12 + (unsigned int)rng_below(rng, NP - a->lo - 12);
	}
	return expect(w, a) < 0 && a->hi - a->lo >= a->pages + 2;
}

/*
 * drm_mm's igt_evict / igt_evict_range / igt_color_evict(_range), for
 * both scans: the ordered one fed every node in a random order (nodes
 * outside the range too), and the fewest-victims one, with and without
 * the guard, with nospan, in heaps with space never added.  The victims
 * obey check_victims(); a scan that never opens a hole only happens when
 * the request would not fit with every node gone either.
 */
static void scan_rounds(bool ordered, bool ranged)
{
	uint64_t rng = 0xe51c7ull + ordered * 2 + ranged;
	int opened = 0;		/* rounds whose scan opened a hole */

	for (size_t b = 0; b < NBASES; b++)
		for (int round = 0; round < 150; round++) {
			struct world w;
			struct gtt_range_node *all[NP], *v[NP];
			size_t nv = 0;
			int nall = 0, tries = 0;
			struct ask a;
			struct gtt_range_request r;

			/* Some in heaps built from ranges, with gaps never added. */
			world_init_flags(&w, base_at(b), round % 4 != 3,
					 round % 7 == 1 ? GTT_RANGE_ALLOC_EMPTY : 0);
			if (round % 7 == 1)
				add_all_but_gaps(&w, &rng);
			if (w.guard && round % 3 == 2)	/* a driver's rule: 1 to 3 pages */
				use_wide_rule(&w, 1 + (unsigned int)(round / 3 % 3));
			if (round % 5 == 0) {	/* nospan blocks of 8 pages */
				assert_int_equal(gtt_range_alloc_set_nospan(w.ra, 15), 0);
				w.nospan = 15;
			}
			fill_random(&w, &rng, 3);
			while (!pick_ask(&w, &rng, ranged, &a))
				assert_true(++tries < 1000);
			r = req_of(&w, &a);
			for (struct gtt_range_node *n = gtt_range_first(w.ra); n; n = gtt_range_next(w.ra, n))
				all[nall++] = n;
			if (ordered) {
				struct gtt_range_scan s;
				bool added[NP];
				int ret = 0;

				for (int i = nall - 1; i > 0; i--) {	/* shuffle */
					int j = (int)rng_below(&rng, (uint64_t)i + 1);
					struct gtt_range_node *t = all[i];

					all[i] = all[j];
					all[j] = t;
				}
				memset(added, 0, sizeof(added));
				assert_int_equal(gtt_range_scan_init(&s, w.ra, &r), 0);
				for (int i = 0; i < nall && ret == 0; i++) {
					int sl = slot_of(&w, all[i]), run[NP];

					ret = gtt_range_scan_add(&s, all[i]);
					assert_true(ret == 0 || ret == 1);
					/* drm_mm's scan_add_block: true at the first add
					 * whose run, all evicted, lets the request fit. */
					added[sl] = true;
					assert_int_equal(fits_without(&w, &a, run, run_of(&w, added, sl, run)),
							 ret == 1);
				}
				if (ret == 1)
					assert_int_equal(gtt_range_scan_victims(&s, v, NP, &nv), 0);
				gtt_range_scan_finish(&s);
			} else {
				int err = gtt_range_evict_scan(w.ra, &r, all_evictable, NULL, v, NP, &nv);

				assert_true(err == 0 || err == -ENOSPC);
				if (err)
					nv = 0;
			}
			if (nv) {
				check_victims(&w, &a, v, nv);
				opened++;
			}
			else {	/* then even the empty range holds no place */
				int every[NP], k = 0;

				for (int i = 0; i < NP; i++)
					if (w.slot[i].n)
						every[k++] = i;
				assert_false(fits_without(&w, &a, every, k));
			}
			world_fini(&w);
		}
	/* Nearly every request can be made to fit: the rounds check victims. */
	assert_true(opened >= NBASES * 150 * 9 / 10);
}

static void test_ordered_scan_victims(void **state)
{
	(void)state;
	scan_rounds(true, false);
}

static void test_ordered_scan_in_range(void **state)
{
	(void)state;
	scan_rounds(true, true);
}

static void test_evict_scan_victims(void **state)
{
	(void)state;
	scan_rounds(false, false);
}

static void test_evict_scan_in_range(void **state)
{
	(void)state;
	scan_rounds(false, true);
}

/*
 * drm_mm_scan_color_evict's case, by hand: a 2-page request of colour 0,
 * top-down, among nodes of colour 1 with single free pages between them.
 * drm_mm's scan, offered B then A, puts the hit at the top of the hole
 * they open, [30, 32); only B overlaps it, and once B is gone A's colour
 * still shrinks the hole, so drm_mm_scan_color_evict() names A as well.
 * libgtt's victims are those that let the request fit as evicted: A
 * alone (the node then goes at [28, 30), below B's guard page), and
 * nothing is left to evict afterwards.
 */
static void test_scan_colour_neighbour(void **state)
{
	struct world w;
	struct gtt_range_node *v[4];
	struct gtt_range_scan s;
	size_t nv = 0;
	struct ask a = { .pages = 2, .align = U, .color = 0, .lo = 0, .hi = NP,
			 .pl = GTT_PLACE_HIGH };
	struct gtt_range_request r;

	(void)state;
	world_init(&w, 0x10000, true);
	assert_int_equal(reserve_checked(&w, 0, 30, 1), 0);		/* A */
	assert_int_equal(reserve_checked(&w, 31, 1, 1), 0);		/* B */
	assert_int_equal(reserve_checked(&w, 33, NP - 33, 1), 0);	/* C */
	r = req_of(&w, &a);
	assert_int_equal(gtt_range_scan_init(&s, w.ra, &r), 0);
	assert_int_equal(gtt_range_scan_add(&s, w.slot[1].n), 0);	/* B: [31, 32) usable */
	assert_int_equal(gtt_range_scan_add(&s, w.slot[0].n), 1);	/* A: a hole opens */
	assert_int_equal(gtt_range_scan_victims(&s, v, 4, &nv), 0);
	gtt_range_scan_finish(&s);
	assert_int_equal(nv, 1);
	assert_ptr_equal(v[0], w.slot[0].n);
	check_victims(&w, &a, v, nv);
	assert_non_null(w.slot[1].n);					/* B stays */
	assert_int_equal(w.owner[28], w.owner[29]);
	assert_true(w.owner[28] >= 0 && w.slot[w.owner[28]].pages == 2);
	world_fini(&w);
}

/*
 * drm_mm's igt_color_evict_range, by hand: a 6-page request of colour 0
 * limited to [10, 16), where B (colour 0, 5 pages) lies between nodes of
 * colour 1, a guard page from each.  On one side that neighbour touches
 * the range (A ending at 10, or C starting at 16): evicting B leaves 5
 * usable pages, so that neighbour goes too, although it lies outside the
 * range (what drm_mm_scan_color_evict() would add); evicting the other
 * neighbour instead would not do.  Both scans name B and the neighbour
 * touching the range, and nothing else.
 */
static void test_scan_range_colour_neighbour(void **state)
{
	(void)state;
	for (int high = 0; high < 2; high++)
		for (int ordered = 0; ordered < 2; ordered++) {
			struct world w;
			struct gtt_range_node *v[4];
			size_t nv = 0;
			struct ask a = { .pages = 6, .align = U, .color = 0, .lo = 10, .hi = 16,
					 .pl = high ? GTT_PLACE_HIGH : GTT_PLACE_LOW };
			struct gtt_range_request r;
			int nb, out;

			world_init(&w, 0x10000, true);
			if (high) {	/* A [0, 9), B [10, 15), C [16, NP) */
				assert_int_equal(reserve_checked(&w, 0, 9, 1), 0);
				assert_int_equal(reserve_checked(&w, 10, 5, 0), 0);
				assert_int_equal(reserve_checked(&w, 16, NP - 16, 1), 0);
			} else {	/* A [2, 10), B [11, 16), C [17, NP) */
				assert_int_equal(reserve_checked(&w, 2, 8, 1), 0);
				assert_int_equal(reserve_checked(&w, 11, 5, 0), 0);
				assert_int_equal(reserve_checked(&w, 17, NP - 17, 1), 0);
			}
			nb = w.owner[12];
			out = w.owner[high ? 16 : 9];
			r = req_of(&w, &a);
			if (ordered) {
				struct gtt_range_scan s;

				assert_int_equal(gtt_range_scan_init(&s, w.ra, &r), 0);
				assert_int_equal(gtt_range_scan_add(&s, w.slot[nb].n), 0);
				assert_int_equal(gtt_range_scan_add(&s, w.slot[out].n), 1);
				assert_int_equal(gtt_range_scan_victims(&s, v, 4, &nv), 0);
				gtt_range_scan_finish(&s);
			} else {
				assert_int_equal(gtt_range_evict_scan(w.ra, &r, all_evictable, NULL,
								      v, 4, &nv), 0);
			}
			assert_int_equal(nv, 2);
			assert_ptr_equal(v[high ? 0 : 1], w.slot[nb].n);
			assert_ptr_equal(v[high ? 1 : 0], w.slot[out].n);
			check_victims(&w, &a, v, nv);
			world_fini(&w);
		}
}

/*
 * drm_mm's igt_frag and Mesa's fragmentation runs: fill with equal nodes,
 * remove every other, check the holes, then refill them: each placement
 * takes a hole exactly (lowest, highest, or the lowest for best fit),
 * nothing larger fits, and a full space has no hole.
 */
static void fragmentation_at(size_t b)
{
	for (int pl = 0; pl < 3; pl++)
		for (unsigned int sz = 1; sz <= 4; sz *= 2) {
			struct world w;
			struct gtt_range_stats st;
			struct ask a = { .pages = sz, .align = U,
					 .pl = (enum gtt_placement)pl, .lo = 0, .hi = NP };
			struct ask big = a;
			unsigned int n = NP / sz;

			world_init(&w, base_at(b), false);
			for (unsigned int i = 0; i < n; i++)
				assert_true(insert_checked(&w, &(struct ask){ .pages = sz, .align = U,
					.pl = GTT_PLACE_LOW, .lo = 0, .hi = NP }) == (int)(i * sz));
			for (unsigned int i = 0; i < n; i += 2)
				drop(&w, w.owner[i * sz]);
			check_view(&w);
			assert_int_equal(gtt_range_alloc_stats(w.ra, &st), 0);
			assert_int_equal(st.holes, n / 2);
			assert_int_equal(st.largest_hole, sz * U);
			big.pages = sz + 1;
			assert_int_equal(insert_checked(&w, &big), -1);
			for (unsigned int i = 0; i < n / 2; i++) {
				int at = insert_checked(&w, &a);
				unsigned int k = pl == GTT_PLACE_HIGH ? n / 2 - 1 - i : i;

				assert_int_equal(at, (int)(2 * k * sz));
			}
			assert_int_equal(gtt_range_alloc_stats(w.ra, &st), 0);
			assert_int_equal(st.holes, 0);
			assert_int_equal(st.free, 0);
			check_view(&w);
			world_fini(&w);
		}
}

static void test_fragmentation(void **state)
{
	(void)state;
	per_unit_and_base(fragmentation_at);
}

/*
 * util_vma_heap with nospan_shift, alloc_high and alloc_low, in heaps low
 * in the space and ending at 2^64: random allocations (best fit and range
 * limits too) and frees against the page map, where a placement is the
 * highest (lowest, lowest in the smallest hole) one that does
 * not straddle a 2^shift boundary (libgtt's rule; Mesa 23.3 moves down by
 * the node's size instead, docs/driver-guide.md), and alloc_addr
 * (a reservation) is not held to nospan.
 */
static void test_nospan_heaps(void **state)
{
	(void)state;
	for (size_t b = 0; b < NBASES; b++)
		for (unsigned int shift = 13; shift <= 17; shift += 2) {
			struct world w;
			uint64_t rng = 0x05a4ull * shift + b;
			struct gtt_range_request big = { .size = (1ull << shift) + U };
			struct gtt_range_node *n = NULL;

			world_init(&w, base_at(b), false);
			assert_int_equal(gtt_range_alloc_set_nospan(w.ra, shift), 0);
			w.nospan = shift;
			assert_int_equal(gtt_range_insert(w.ra, &big, NULL, &n), -EINVAL);
			for (int step = 0; step < 2000; step++) {
				unsigned int op = (unsigned int)rng_below(&rng, 8);

				if (op < 4) {
					unsigned int maxp = (unsigned int)((1ull << shift) / U);
					struct ask a = { .pages = 1 + (unsigned int)rng_below(&rng, maxp),
							 .align = random_align(&rng, shift - 12),
							 .pl = (enum gtt_placement)rng_below(&rng, 3),
							 .lo = 0, .hi = NP };

					if (rng_below(&rng, 3) == 0) {
						a.lo = (unsigned int)rng_below(&rng, NP);
						a.hi = a.lo + 1 + (unsigned int)rng_below(&rng, NP - a.lo);
					}
					insert_checked(&w, &a);
				} else if (op < 5) {
					unsigned int first = (unsigned int)rng_below(&rng, NP - 4);

					reserve_checked(&w, first, 1 + (unsigned int)rng_below(&rng, 4), 0);
				} else {
					int s = random_slot(&w, &rng);

					if (s >= 0)
						drop(&w, s);
				}
				check_view(&w);
			}
			world_fini(&w);
		}
}

/*
 * util_vma_heap as Mesa drivers build it from ranges (init empty, then
 * util_vma_heap_free() of each usable range): GTT_RANGE_ALLOC_EMPTY and
 * gtt_range_add_free() in a random order, ranges that touch merging into
 * one hole, an overlapping add refused with nothing changed; then random
 * work that never lands on space not added, which counts as neither free
 * nor a neighbour of any colour.
 */
static void heap_from_ranges_at(size_t b)
{
	for (int guard = 0; guard < 2; guard++) {
		struct world w;
		uint64_t rng = 0xadd0ull + b * 2 + (uint64_t)guard;
		unsigned int order[NP / 8];

		world_init_flags(&w, base_at(b), guard, GTT_RANGE_ALLOC_EMPTY);
		check_view(&w);
		for (unsigned int i = 0; i < NP / 8; i++)
			order[i] = i;
		for (unsigned int i = NP / 8 - 1; i > 0; i--) {
			unsigned int j = (unsigned int)rng_below(&rng, i + 1), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (unsigned int i = 0; i < NP / 8; i++) {
			/* All of the chunk, or a part of it. */
			unsigned int first = order[i] * 8, len = 8;
			struct view before, after;

			if (rng_below(&rng, 2)) {
				first += (unsigned int)rng_below(&rng, 4);
				len = 1 + (unsigned int)rng_below(&rng, 8 - (first - order[i] * 8));
			}
			if (i) {	/* over an added chunk: refused, nothing changed */
				unsigned int o = order[0] * 8;

				view_of(&w, &before);
				assert_int_equal(gtt_range_add_free(w.ra, addr(&w, o), 8 * U), -EINVAL);
				view_of(&w, &after);
				assert_true(view_equal(&before, &after));
			}
			assert_int_equal(gtt_range_add_free(w.ra, addr(&w, first), (uint64_t)len * U), 0);
			for (unsigned int p = first; p < first + len; p++)
				w.owner[p] = FREE;
			check_view(&w);
		}
		for (int step = 0; step < 2000; step++)
			random_step(&w, &rng);
		world_fini(&w);
	}
}

static void test_heap_from_ranges(void **state)
{
	(void)state;
	per_unit_and_base(heap_from_ranges_at);
}

/*
 * Where libgtt answers differently on purpose (docs/driver-guide.md,
 * "Differences from drm_mm and util_vma_heap"): an alignment that is not
 * a power of two (drm_mm and util_vma_heap take any), a zero size
 * (drm_mm: -ENOSPC, Mesa asserts) and a range wholly outside the space
 * (drm_mm: -ENOSPC) are -EINVAL, and change nothing.
 */
static void test_refused_requests(void **state)
{
	struct world w;
	struct view before, after;
	struct gtt_range_node *n = NULL;
	struct gtt_range_request r = { .size = U, .alignment = 3 * U };

	(void)state;
	world_init(&w, 0x10000, false);
	assert_int_equal(reserve_checked(&w, 4, 4, 0), 0);
	view_of(&w, &before);
	assert_int_equal(gtt_range_insert(w.ra, &r, NULL, &n), -EINVAL);
	r.alignment = 0;
	r.size = 0;
	assert_int_equal(gtt_range_insert(w.ra, &r, NULL, &n), -EINVAL);
	r.size = U;
	r.range_start = addr(&w, NP);
	r.range_end = addr(&w, NP + 4);
	assert_int_equal(gtt_range_insert(w.ra, &r, NULL, &n), -EINVAL);
	assert_int_equal(gtt_range_reserve(w.ra, addr(&w, NP), U, 0, NULL, &n), -EINVAL);
	view_of(&w, &after);
	assert_true(view_equal(&before, &after));
	/* A range inside the space but smaller than the node: -ENOSPC, as drm_mm. */
	r.size = 2 * U;
	r.range_start = addr(&w, 20);
	r.range_end = addr(&w, 21);
	assert_int_equal(gtt_range_insert(w.ra, &r, NULL, &n), -ENOSPC);
	world_fini(&w);
}

/*
 * The ends of the space: i915's guard never applies there (drm_mm's head
 * node is not an allocated node), so a node of any colour may touch the
 * space's first and last page, and a heap ending at 2^64 hands out its
 * last page.
 */
static void space_edges_at(size_t b)
{
	for (uint32_t c = 0; c < 3; c++) {
		struct world w;

		world_init(&w, base_at(b), true);
		assert_int_equal(insert_checked(&w, &(struct ask){ .pages = 1, .align = U,
			.color = c, .pl = GTT_PLACE_LOW, .lo = 0, .hi = NP }), 0);
		assert_int_equal(insert_checked(&w, &(struct ask){ .pages = 1, .align = U,
			.color = c + 1, .pl = GTT_PLACE_HIGH, .lo = 0, .hi = NP }), NP - 1);
		/* Between them: one guard page on each side. */
		assert_int_equal(insert_checked(&w, &(struct ask){ .pages = NP - 4, .align = U,
			.color = c + 2, .pl = GTT_PLACE_BEST, .lo = 0, .hi = NP }), 2);
		assert_int_equal(insert_checked(&w, &(struct ask){ .pages = 1, .align = U,
			.color = c + 2, .pl = GTT_PLACE_BEST, .lo = 0, .hi = NP }), -1);
		check_view(&w);
		world_fini(&w);
	}
}

static void test_space_edges(void **state)
{
	(void)state;
	per_unit_and_base(space_edges_at);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_random_against_page_map, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_custom_rule_against_page_map, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_every_alignment, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_topdown_bottomup, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_insert_in_range, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_reserve_overlap_intact, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_ordered_scan_victims, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_ordered_scan_in_range, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_evict_scan_victims, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_evict_scan_in_range, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_scan_colour_neighbour, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_scan_range_colour_neighbour, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_fragmentation, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_nospan_heaps, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_space_edges, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_heap_from_ranges, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_refused_requests, alarm_setup, alarm_teardown),
	};

	return cmocka_run_group_tests_name("range_semantics", tests, NULL, NULL);
}
