/* SPDX-License-Identifier: MIT */
/*
 * Eviction orders (gtt/vm.h, enum gtt_evict_order) on hand-built layouts:
 * which vmas FEWEST, LRU and ROSTER pick; pinned vmas never go; colour
 * guards are kept next to a neighbour of another colour; -ENOSPC and every
 * failed allocation of an ordered eviction change nothing; a roster that
 * returns garbage gets an error or is ignored.
 */
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "alloc/range_alloc_internal.h"

#define VA 0x100000ull

struct roster {
	gtt_vma_t list[32];
	unsigned int n;
	int mode;		/* 0 list, 1 too many, 2 error, 3 repeat forever */
	unsigned int calls;
	unsigned int per_call;	/* 0: as many as fit */
};

static int roster_fn(void *arg, const struct gtt_range_request *req,
		     uint64_t *cursor, gtt_vma_t *vmas, unsigned int max)
{
	struct roster *r = arg;
	unsigned int k = 0, cap = r->per_call && r->per_call < max ? r->per_call : max;

	assert_non_null(req);
	r->calls++;
	if (r->mode == 1)
		return (int)max + 1;
	if (r->mode == 2)
		return -EIO;
	if (r->mode == 3) {
		for (k = 0; k < max; k++)
			vmas[k] = r->list[0];
		return (int)max;
	}
	while (k < cap && *cursor < r->n)
		vmas[k++] = r->list[(*cursor)++];
	return (int)k;
}

struct world {
	struct fixture f;
	struct roster roster;
	gtt_vma_t v[32];
	int freed[32];
	unsigned int n;
};

static void world_init(struct world *w, uint64_t npages, unsigned int flags,
		       enum gtt_evict_order order)
{
	struct gtt_mock_config mc = { .start = VA, .size = npages * PAGE,
				      .scratch_addr = 0xdead000 };
	struct gtt_vm_config vc = { .name = "evict", .start = VA,
				    .size = npages * PAGE, .flags = flags,
				    .evict_order = order };

	memset(w, 0, sizeof(*w));
	assert_int_equal(gtt_mock_create(&mc, &w->f.be), 0);
	assert_int_equal(gtt_executor_create_manual(&w->f.ex), 0);
	vc.backend = w->f.be;
	vc.executor = w->f.ex;
	if (order == GTT_EVICT_ROSTER) {
		vc.evict_roster = roster_fn;
		vc.evict_roster_arg = &w->roster;
	}
	assert_int_equal(gtt_vm_create(&vc, &w->f.vm), 0);
}

/* vma number w->n, @npages pages bound at page @page with @color. */
static gtt_vma_t place(struct world *w, uint64_t page, uint64_t npages,
		       uint32_t color)
{
	struct gtt_bind_info at = fixed_at(VA + page * PAGE, 0);
	gtt_vma_t h;

	at.color = color;
	h = counted_vma(w->f.vm, 0xa0000000 + w->n * 0x100000, npages, 0,
			&w->freed[w->n]);
	assert_int_equal(gtt_vma_bind(w->f.vm, h, &at, NULL), 0);
	w->v[w->n++] = h;
	return h;
}

/* A: 0-1, B: 2-3, C: 4-5, D: 6-7 (an 8-page vm, full). */
static void four(struct world *w, enum gtt_evict_order order)
{
	world_init(w, 8, 0, order);
	for (int i = 0; i < 4; i++)
		place(w, 2 * (uint64_t)i, 2, 0);
}

static bool bound(struct world *w, int i)
{
	struct gtt_vma_info info;

	assert_int_equal(gtt_vma_query(w->f.vm, w->v[i], &info), 0);
	return info.bound;
}

static uint64_t offset_of(struct world *w, gtt_vma_t h)
{
	struct gtt_vma_info info;

	assert_int_equal(gtt_vma_query(w->f.vm, h, &info), 0);
	assert_true(info.bound);
	return (info.offset - VA) / PAGE;
}

/* Bind a new @npages-page vma of @color with GTT_BIND_EVICT: its result. */
static int evict_bind(struct world *w, uint64_t npages, uint32_t color,
		      gtt_vma_t *out)
{
	struct gtt_bind_info bi = { .flags = GTT_BIND_EVICT | GTT_BIND_ASYNC,
				    .color = color };
	gtt_vma_t h = make_vma(&w->f, 0xb0000000, npages, NULL);

	*out = h;
	return gtt_vma_bind(w->f.vm, h, &bi, NULL);
}

static struct gtt_fence *use(struct world *w, int i)
{
	struct gtt_fence *f = new_fence();

	assert_int_equal(gtt_vma_add_active(w->f.vm, w->v[i], f), 0);
	return f;
}

static void world_fini(struct world *w, struct gtt_fence **f, int nf)
{
	for (int i = 0; i < nf; i++) {
		gtt_fence_signal(f[i], 0);
		gtt_fence_put(f[i]);
	}
	gtt_executor_run_all(w->f.ex);
	fixture_fini(&w->f);
}

static uint64_t evictions(struct world *w)
{
	struct gtt_vm_stats st;

	assert_int_equal(gtt_vm_stats(w->f.vm, &st), 0);
	return st.evictions;
}

/* LRU takes the vma whose last active fence is oldest (C: A, B and D were
 * used after it), where FEWEST takes the lowest single vma (A).  Fails if
 * the LRU order is not kept on gtt_vma_add_active(). */
static void test_lru_oldest_first(void **state)
{
	struct gtt_fence *f[3];
	struct world w;
	gtt_vma_t n;

	(void)state;
	four(&w, GTT_EVICT_FEWEST);
	f[0] = use(&w, 0), f[1] = use(&w, 1), f[2] = use(&w, 3);
	assert_int_equal(evict_bind(&w, 2, 0, &n), 0);
	assert_false(bound(&w, 0));
	assert_true(bound(&w, 1) && bound(&w, 2) && bound(&w, 3));
	world_fini(&w, f, 3);

	four(&w, GTT_EVICT_LRU);
	f[0] = use(&w, 0), f[1] = use(&w, 1), f[2] = use(&w, 3);
	assert_int_equal(evict_bind(&w, 2, 0, &n), 0);
	assert_false(bound(&w, 2));
	assert_true(bound(&w, 0) && bound(&w, 1) && bound(&w, 3));
	assert_int_equal(offset_of(&w, n), 4);
	assert_int_equal(evictions(&w), 1);
	world_fini(&w, f, 3);
}

/* A 4-page hole: LRU order C, D, A, B (gtt_vma_add_active_many() uses A
 * then B) opens one at C+D with the first two candidates; FEWEST takes
 * the lowest pair, A+B.  A bind counts as a use: binding order is the
 * order before any active fence. */
static void test_lru_run_of_two(void **state)
{
	struct gtt_fence *f[3];
	struct world w;
	gtt_vma_t n, ab[2];

	(void)state;
	four(&w, GTT_EVICT_LRU);
	f[0] = use(&w, 2);
	f[1] = use(&w, 3);
	ab[0] = w.v[0];
	ab[1] = w.v[1];
	f[2] = new_fence();
	assert_int_equal(gtt_vma_add_active_many(w.f.vm, ab, 2, f[2]), 0);
	/* Order now: C, D, A, B. */
	assert_int_equal(evict_bind(&w, 4, 0, &n), 0);
	assert_true(bound(&w, 0) && bound(&w, 1));
	assert_false(bound(&w, 2) || bound(&w, 3));
	assert_int_equal(offset_of(&w, n), 4);
	world_fini(&w, f, 3);

	/* No fence at all: the binding order, A first: A+B. */
	four(&w, GTT_EVICT_LRU);
	assert_int_equal(evict_bind(&w, 4, 0, &n), 0);
	assert_false(bound(&w, 0) || bound(&w, 1));
	assert_true(bound(&w, 2) && bound(&w, 3));
	world_fini(&w, NULL, 0);
}

/* A fixed evicting bind has one set of victims, whatever the order: those
 * it overlaps (B and C for pages 3-4), under LRU and ROSTER alike; a
 * roster that does not list one of them leaves no room.  Fails if the
 * roster's fixed bind evicted a vma it does not list (B). */
static void test_fixed_bind(void **state)
{
	struct gtt_bind_info at = fixed_at(VA + 3 * PAGE, GTT_BIND_EVICT | GTT_BIND_ASYNC);
	struct gtt_fence *f[2];
	struct world w;
	gtt_vma_t n;

	(void)state;
	for (int o = GTT_EVICT_LRU; o <= GTT_EVICT_ROSTER; o++) {
		four(&w, (enum gtt_evict_order)o);
		f[0] = use(&w, 1);
		f[1] = use(&w, 2);	/* LRU order A, D, B, C */
		w.roster.list[0] = w.v[0];
		w.roster.list[1] = w.v[2];
		w.roster.n = 2;
		n = make_vma(&w.f, 0xb0000000, 2, NULL);
		if (o == GTT_EVICT_ROSTER) {
			assert_int_equal(gtt_vma_bind(w.f.vm, n, &at, NULL), -ENOSPC);
			w.roster.list[2] = w.v[1];
			w.roster.n = 3;
		}
		assert_int_equal(gtt_vma_bind(w.f.vm, n, &at, NULL), 0);
		assert_true(bound(&w, 0) && bound(&w, 3));
		assert_false(bound(&w, 1) || bound(&w, 2));
		assert_int_equal(offset_of(&w, n), 3);
		world_fini(&w, f, 2);
	}
}

/*
 * A fixed evicting bind next to a neighbour of another colour: with
 * colour guards, A (colour 1, pages 0-1) touches the fixed range (pages
 * 2-3, colour 0) that B (colour 1) fills, so the guard page would fall
 * inside it: A goes too, under every order, and C (colour 1, pages 5-6,
 * page 4 its guard) stays.  A
 * roster that lists B alone leaves no room, with nothing evicted.  Fails
 * if FEWEST's scan stops looking at the neighbours outside the range whose
 * guard reaches into it (rule_reaches_in(); FEWEST and LRU then get
 * -ENOSPC), or if the roster's -ENOSPC left B evicted.
 */
static void test_fixed_bind_colour_neighbour(void **state)
{
	static const enum gtt_evict_order orders[] = { GTT_EVICT_FEWEST, GTT_EVICT_LRU,
						       GTT_EVICT_ROSTER };
	struct gtt_bind_info at = fixed_at(VA + 2 * PAGE, GTT_BIND_EVICT | GTT_BIND_ASYNC);
	struct world w;
	gtt_vma_t n;

	(void)state;
	for (int o = 0; o < 3; o++) {
		world_init(&w, 8, GTT_VM_COLOR_GUARD, orders[o]);
		place(&w, 0, 2, 1);
		place(&w, 2, 2, 1);
		place(&w, 5, 2, 1);
		n = make_vma(&w.f, 0xb0000000, 2, NULL);
		w.roster.list[0] = w.v[1];
		w.roster.n = 1;
		if (orders[o] == GTT_EVICT_ROSTER) {
			assert_int_equal(gtt_vma_bind(w.f.vm, n, &at, NULL), -ENOSPC);
			assert_int_equal(evictions(&w), 0);
			assert_true(bound(&w, 0) && bound(&w, 1) && bound(&w, 2));
			w.roster.list[1] = w.v[0];
			w.roster.n = 2;
		}
		assert_int_equal(gtt_vma_bind(w.f.vm, n, &at, NULL), 0);
		assert_false(bound(&w, 0) || bound(&w, 1));
		assert_true(bound(&w, 2));
		assert_int_equal(evictions(&w), 2);
		assert_int_equal(offset_of(&w, n), 2);
		assert_int_equal(range_alloc_check(gtt_vm_range_alloc(w.f.vm)), 0);
		world_fini(&w, NULL, 0);
	}
}

/* gtt_vm_add_active() uses every vma at once: the order stays. */
static void test_lru_vm_wide_keeps_order(void **state)
{
	struct gtt_fence *f[2];
	struct world w;
	gtt_vma_t n;

	(void)state;
	four(&w, GTT_EVICT_LRU);
	f[0] = use(&w, 0);		/* order B, C, D, A */
	f[1] = new_fence();
	assert_int_equal(gtt_vm_add_active(w.f.vm, f[1]), 0);
	assert_int_equal(evict_bind(&w, 2, 0, &n), 0);
	assert_false(bound(&w, 1));
	assert_true(bound(&w, 0) && bound(&w, 2) && bound(&w, 3));
	world_fini(&w, f, 2);
}

/* The oldest vma is pinned: never a victim, under every order; the next
 * oldest goes.  Fails if an order's scan does not ask whether a vma may go. */
static void test_pinned_never_evicted(void **state)
{
	static const enum gtt_evict_order orders[] = { GTT_EVICT_FEWEST, GTT_EVICT_LRU,
						       GTT_EVICT_ROSTER };
	struct world w;
	gtt_vma_t n;

	(void)state;
	for (int o = 0; o < 3; o++) {
		four(&w, orders[o]);
		w.roster.n = 4;
		memcpy(w.roster.list, w.v, 4 * sizeof(w.v[0]));
		assert_int_equal(gtt_vma_pin(w.f.vm, w.v[0]), 0);
		assert_int_equal(evict_bind(&w, 2, 0, &n), 0);
		assert_true(bound(&w, 0));
		assert_false(bound(&w, 1));
		/* Everything else pinned too: no room. */
		for (int i = 2; i < 4; i++)
			assert_int_equal(gtt_vma_pin(w.f.vm, w.v[i]), 0);
		assert_int_equal(gtt_vma_pin(w.f.vm, n), 0);
		assert_int_equal(evict_bind(&w, 2, 0, &n), -ENOSPC);
		assert_int_equal(evictions(&w), 1);
		for (int i = 0; i < 4; i++)
			if (i != 1)
				assert_true(bound(&w, i));
		world_fini(&w, NULL, 0);
	}
}

/*
 * Handles a roster may not use: the bound vmas of another vm at the same
 * offsets (same slots, same generations: only the vm tag differs), and
 * the vma being bound itself.  Both are skipped: the roster's one real
 * candidate (C) goes, and the other vm keeps every vma.  Fails if a
 * handle were looked up without its vm tag (the other vm's A would name
 * this vm's A, which would go first).
 */
static void test_roster_foreign_handles(void **state)
{
	struct gtt_bind_info bi = { .flags = GTT_BIND_EVICT | GTT_BIND_ASYNC };
	struct world w, other;
	gtt_vma_t n;

	(void)state;
	four(&w, GTT_EVICT_ROSTER);
	four(&other, GTT_EVICT_FEWEST);
	n = make_vma(&w.f, 0xb0000000, 2, NULL);
	w.roster.list[0] = n;
	for (int i = 0; i < 4; i++)
		w.roster.list[1 + i] = other.v[i];
	w.roster.list[5] = w.v[2];
	w.roster.n = 6;
	assert_int_equal(gtt_vma_bind(w.f.vm, n, &bi, NULL), 0);
	assert_false(bound(&w, 2));
	assert_true(bound(&w, 0) && bound(&w, 1) && bound(&w, 3));
	assert_int_equal(offset_of(&w, n), 4);
	for (int i = 0; i < 4; i++)
		assert_true(bound(&other, i));
	assert_int_equal(evictions(&other), 0);
	world_fini(&other, NULL, 0);
	world_fini(&w, NULL, 0);
}

/* The roster's order is followed, and what it does not list stays.  Fails
 * if the scan took candidates from anywhere else. */
static void test_roster_order(void **state)
{
	struct world w;
	gtt_vma_t n;

	(void)state;
	four(&w, GTT_EVICT_ROSTER);
	w.roster.list[0] = w.v[3];	/* D, B */
	w.roster.list[1] = w.v[1];
	w.roster.n = 2;
	assert_int_equal(evict_bind(&w, 2, 0, &n), 0);
	assert_false(bound(&w, 3));
	assert_true(bound(&w, 0) && bound(&w, 1) && bound(&w, 2));
	assert_int_equal(offset_of(&w, n), 6);
	world_fini(&w, NULL, 0);

	/* A 4-page hole from D and B, which are not adjacent: none. */
	four(&w, GTT_EVICT_ROSTER);
	w.roster.list[0] = w.v[3];
	w.roster.list[1] = w.v[1];
	w.roster.n = 2;
	assert_int_equal(evict_bind(&w, 4, 0, &n), -ENOSPC);
	for (int i = 0; i < 4; i++)
		assert_true(bound(&w, i));
	/* B, C: those two, listed one per call. */
	w.roster.list[0] = w.v[1];
	w.roster.list[1] = w.v[2];
	w.roster.per_call = 1;
	w.roster.calls = 0;
	assert_int_equal(gtt_vma_bind(w.f.vm, n, &(struct gtt_bind_info){
		.flags = GTT_BIND_EVICT | GTT_BIND_ASYNC }, NULL), 0);
	assert_int_equal(w.roster.calls, 2);	/* not to the end once it fits */
	assert_true(bound(&w, 0) && bound(&w, 3));
	assert_false(bound(&w, 1) || bound(&w, 2));
	assert_int_equal(offset_of(&w, n), 2);
	world_fini(&w, NULL, 0);
}

/* A roster that returns garbage: unknown, destroyed, unbound, sparse and
 * pinned vmas and repeats are skipped; too many handles, an error, or a
 * list that never ends fail the bind with nothing changed. */
static void test_roster_garbage(void **state)
{
	struct gtt_bind_info bi = { .flags = GTT_BIND_EVICT | GTT_BIND_ASYNC };
	gtt_vma_t n, gone, unbound, sparse;
	struct world w;
	int64_t live;

	(void)state;
	four(&w, GTT_EVICT_ROSTER);
	gone = make_vma(&w.f, 0xc0000000, 1, NULL);
	assert_int_equal(gtt_vma_destroy(w.f.vm, gone), 0);
	unbound = make_vma(&w.f, 0xc1000000, 1, NULL);
	assert_int_equal(gtt_vma_create_sparse(w.f.vm, 4 * PAGE, NULL, &sparse), 0);
	assert_int_equal(gtt_vma_pin(w.f.vm, w.v[0]), 0);
	w.roster.list[0] = 0;
	w.roster.list[1] = 0x123456789abcdefull;
	w.roster.list[2] = gone;
	w.roster.list[3] = unbound;
	w.roster.list[4] = sparse;
	w.roster.list[5] = w.v[0];	/* pinned */
	w.roster.list[6] = w.v[2];
	w.roster.list[7] = w.v[2];	/* twice */
	w.roster.list[8] = w.v[2];
	w.roster.list[9] = w.v[1];
	w.roster.n = 10;
	n = make_vma(&w.f, 0xb0000000, 4, NULL);
	live = mem_live();
	for (int mode = 1; mode <= 3; mode++) {
		w.roster.mode = mode;
		assert_int_equal(gtt_vma_bind(w.f.vm, n, &bi, NULL),
				 mode == 2 ? -EIO : -EINVAL);
		assert_non_null(strstr(gtt_last_error(), "roster"));
		for (int i = 0; i < 4; i++)
			assert_true(bound(&w, i));
		assert_int_equal(evictions(&w), 0);
		assert_int_equal(mem_live(), live);
	}
	w.roster.mode = 0;
	assert_int_equal(gtt_vma_bind(w.f.vm, n, &bi, NULL), 0);
	assert_true(bound(&w, 0) && bound(&w, 3));
	assert_false(bound(&w, 1) || bound(&w, 2));
	assert_int_equal(offset_of(&w, n), 2);
	assert_int_equal(evictions(&w), 2);
	world_fini(&w, NULL, 0);
}

static void test_config_checks(void **state)
{
	struct gtt_vm_config vc = { .size = 16 * PAGE };
	struct gtt_mock_config mc = { .size = 16 * PAGE };
	struct gtt_vm *vm = NULL;

	(void)state;
	assert_int_equal(gtt_mock_create(&mc, &vc.backend), 0);
	vc.evict_order = GTT_EVICT_ROSTER;
	assert_int_equal(gtt_vm_create(&vc, &vm), -EINVAL);
	vc.evict_order = GTT_EVICT_LRU;
	vc.evict_roster = roster_fn;
	assert_int_equal(gtt_vm_create(&vc, &vm), -EINVAL);
	vc.evict_roster = NULL;
	vc.evict_order = (enum gtt_evict_order)3;
	assert_int_equal(gtt_vm_create(&vc, &vm), -EINVAL);
	assert_null(vm);
	gtt_backend_destroy(vc.backend);
}

/*
 * Colour guards: A(0) 0-1, guard 2, B(1) 3-4, C(1) 5-6, guard 7, D(0)
 * 8-9, LRU order B, C, A, D.  Colour 0 for 2 pages: B alone opens [2, 4)
 * (A shares the colour, C's guard is page 4).  Colour 2 for 2 pages: B
 * alone leaves [3, 4) between the guards, so C goes too and the node
 * lands at 3, its guard to A kept.  Fails if the ordered scan tested the
 * raw span without the colour rule (it would place at 2, touching A).
 */
static void test_colour_guard(void **state)
{
	struct world w;
	gtt_vma_t n;

	(void)state;
	for (int c = 0; c < 2; c++) {
		world_init(&w, 10, GTT_VM_COLOR_GUARD, GTT_EVICT_LRU);
		place(&w, 0, 2, 0);
		place(&w, 3, 2, 1);
		place(&w, 5, 2, 1);
		place(&w, 8, 2, 0);
		/* LRU order B, C, A, D */
		struct gtt_fence *f[2] = { use(&w, 0), use(&w, 3) };

		if (c == 0) {
			assert_int_equal(evict_bind(&w, 2, 0, &n), 0);
			assert_false(bound(&w, 1));
			assert_true(bound(&w, 0) && bound(&w, 2) && bound(&w, 3));
			assert_int_equal(offset_of(&w, n), 2);
		} else {
			assert_int_equal(evict_bind(&w, 2, 2, &n), 0);
			assert_false(bound(&w, 1) || bound(&w, 2));
			assert_true(bound(&w, 0) && bound(&w, 3));
			assert_int_equal(offset_of(&w, n), 3);
		}
		assert_int_equal(range_alloc_check(gtt_vm_range_alloc(w.f.vm)), 0);
		world_fini(&w, f, 2);
	}
}

struct snapshot {
	struct gtt_range_stats rs;
	uint64_t offsets[32];
	int64_t live;
};

static void snap(struct world *w, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(gtt_range_alloc_stats(gtt_vm_range_alloc(w->f.vm), &s->rs), 0);
	for (unsigned int i = 0; i < w->n; i++)
		s->offsets[i] = offset_of(w, w->v[i]);
	s->live = mem_live();
}

static void same(struct world *w, const struct snapshot *s)
{
	struct snapshot now;

	snap(w, &now);
	assert_memory_equal(&now.rs, &s->rs, sizeof(now.rs));
	assert_memory_equal(now.offsets, s->offsets, sizeof(now.offsets));
	assert_int_equal(now.live, s->live);
	assert_int_equal(evictions(w), 0);
	assert_int_equal(range_alloc_check(gtt_vm_range_alloc(w->f.vm)), 0);
	for (unsigned int i = 0; i < w->n; i++) {
		assert_int_equal(w->freed[i], 0);
		assert_true(mock_entry(&w->f, VA + now.offsets[i] * PAGE).valid);
	}
}

/* -ENOSPC under LRU and ROSTER: no vma unbound, the allocator, the memory
 * and the page table as they were. */
static void test_enospc_changes_nothing(void **state)
{
	struct snapshot s;
	struct world w;
	gtt_vma_t n;

	(void)state;
	for (int o = GTT_EVICT_LRU; o <= GTT_EVICT_ROSTER; o++) {
		four(&w, (enum gtt_evict_order)o);
		w.roster.n = 4;
		memcpy(w.roster.list, w.v, 4 * sizeof(w.v[0]));
		assert_int_equal(gtt_vma_pin(w.f.vm, w.v[1]), 0);
		assert_int_equal(gtt_vma_pin(w.f.vm, w.v[2]), 0);
		n = make_vma(&w.f, 0xb0000000, 4, NULL);
		snap(&w, &s);
		assert_int_equal(gtt_vma_bind(w.f.vm, n, &(struct gtt_bind_info){
			.flags = GTT_BIND_EVICT | GTT_BIND_ASYNC }, NULL), -ENOSPC);
		same(&w, &s);
		world_fini(&w, NULL, 0);
	}
}

/* four() in order @o, the roster naming all four, each vma with two
 * active fences (@f, eight), and an 8-page vma that only fits by evicting. */
static gtt_vma_t oom_world(struct world *w, enum gtt_evict_order o, struct gtt_fence **f)
{
	four(w, o);
	w->roster.n = 4;
	memcpy(w->roster.list, w->v, 4 * sizeof(w->v[0]));
	for (int i = 0; i < 4; i++) {
		f[2 * i] = use(w, i);
		f[2 * i + 1] = new_fence();
		assert_int_equal(gtt_vma_add_active(w->f.vm, w->v[i], f[2 * i + 1]), 0);
	}
	return make_vma(&w->f, 0xb0000000, 8, NULL);
}

/* Every allocation of an LRU or roster eviction fails in turn: -ENOMEM,
 * nothing evicted, state intact; then it succeeds.  Each victim has two
 * active fences, so the unbinds need records beyond the inline ones. */
static void test_oom_changes_nothing(void **state)
{
	struct gtt_fence *f[8];
	struct snapshot s;
	struct world w;
	gtt_vma_t n;
	int err = -ENOMEM;

	(void)state;
	for (int o = GTT_EVICT_LRU; o <= GTT_EVICT_ROSTER; o++) {
		n = oom_world(&w, (enum gtt_evict_order)o, f);
		snap(&w, &s);
		for (uint64_t k = 1; k < 256; k++) {
			mem_fail_after(k);
			err = gtt_vma_bind(w.f.vm, n, &(struct gtt_bind_info){
				.flags = GTT_BIND_EVICT | GTT_BIND_ASYNC }, NULL);
			bool fired = mem_fail_fired();

			mem_fail_after(0);
			if (!fired)
				break;
			assert_int_equal(err, -ENOMEM);
			same(&w, &s);
		}
		assert_int_equal(err, 0);
		assert_int_equal(evictions(&w), 4);
		world_fini(&w, f, 8);
	}
}

/* Every allocation of an evicting bind fails in turn, in each order: the
 * -ENOMEM's message names the call that was made (gtt_vma_bind), not an
 * inner one (gtt_fence_create, gtt_vma_unbind).  Fails without the
 * messages in evict.c (the bind fence, a victim's unbind_prepare()). */
static void test_oom_names_the_call(void **state)
{
	struct gtt_fence *f[8];
	struct world w;
	gtt_vma_t n;
	int err = -ENOMEM;

	(void)state;
	for (int o = GTT_EVICT_FEWEST; o <= GTT_EVICT_ROSTER; o++) {
		n = oom_world(&w, (enum gtt_evict_order)o, f);
		for (uint64_t k = 1; k < 256; k++) {
			/* Asynchronous: a synchronous bind would wait for the
			 * victims' GPU work, which nothing here signals. */
			mem_fail_after(k);
			err = gtt_vma_bind(w.f.vm, n, &(struct gtt_bind_info){
				.flags = GTT_BIND_EVICT | GTT_BIND_ASYNC }, NULL);
			bool fired = mem_fail_fired();

			mem_fail_after(0);
			if (!fired)
				break;
			assert_int_equal(err, -ENOMEM);
			if (strncmp(gtt_last_error(), "gtt_vma_bind", 12))
				fail_msg("order %d, allocation %llu: '%s'", o,
					 (unsigned long long)k, gtt_last_error());
		}
		assert_int_equal(err, 0);
		world_fini(&w, f, 8);
	}
}

/*
 * An LRU eviction that offers more candidates than the allocator's scan
 * holds inline: 80 one-page vmas, the even ones least recently used, so
 * the 2-page hole opens at the 41st candidate (page 1 joins pages 0 and
 * 2).  Every allocation fails in turn, the scan's own included: each is
 * -ENOMEM with every vma bound, nothing evicted and no memory held; then
 * the bind evicts the two lowest and lands at 0.  Fails if the scan's
 * -ENOMEM were taken for "no hole" (the bind would say -ENOSPC), or if the
 * vm's scan went on past it.
 */
static void test_oom_long_lru_scan(void **state)
{
	enum { N = 80 };
	struct gtt_mock_config mc = { .start = VA, .size = N * PAGE, .scratch_addr = 0xdead000 };
	struct gtt_vm_config vc = { .name = "evict", .start = VA, .size = N * PAGE,
				    .evict_order = GTT_EVICT_LRU };
	struct gtt_fence *f = new_fence();
	struct gtt_vm_stats st;
	struct fixture fx;
	gtt_vma_t v[N], n;
	int freed[N] = { 0 }, err = -ENOMEM, failures = 0;
	int64_t live;

	(void)state;
	assert_int_equal(gtt_mock_create(&mc, &fx.be), 0);
	assert_int_equal(gtt_executor_create_manual(&fx.ex), 0);
	vc.backend = fx.be;
	vc.executor = fx.ex;
	assert_int_equal(gtt_vm_create(&vc, &fx.vm), 0);
	for (int i = 0; i < N; i++) {
		struct gtt_bind_info at = fixed_at(VA + (uint64_t)i * PAGE, 0);

		v[i] = counted_vma(fx.vm, 0xa0000000 + (uint64_t)i * 0x100000, 1, 0, &freed[i]);
		assert_int_equal(gtt_vma_bind(fx.vm, v[i], &at, NULL), 0);
	}
	gtt_fence_signal(f, 0);
	for (int i = 1; i < N; i += 2)		/* the odd ones: most recent */
		assert_int_equal(gtt_vma_add_active(fx.vm, v[i], f), 0);
	n = make_vma(&fx, 0xb0000000, 2, NULL);
	live = mem_live();
	for (uint64_t k = 1; k < 256; k++) {
		mem_fail_after(k);
		err = gtt_vma_bind(fx.vm, n, &(struct gtt_bind_info){
			.flags = GTT_BIND_EVICT | GTT_BIND_ASYNC }, NULL);
		bool fired = mem_fail_fired();

		mem_fail_after(0);
		if (!fired)
			break;
		failures++;
		assert_int_equal(err, -ENOMEM);
		assert_int_equal(gtt_vm_stats(fx.vm, &st), 0);
		assert_int_equal(st.evictions, 0);
		assert_int_equal(mem_live(), live);
		for (int i = 0; i < N; i++) {
			struct gtt_vma_info info;

			assert_int_equal(gtt_vma_query(fx.vm, v[i], &info), 0);
			assert_true(info.bound);
		}
		assert_int_equal(range_alloc_check(gtt_vm_range_alloc(fx.vm)), 0);
	}
	assert_int_equal(err, 0);
	assert_true(failures >= 2);	/* the scan's room, the bind's own */
	assert_int_equal(gtt_vm_stats(fx.vm, &st), 0);
	assert_int_equal(st.evictions, 2);
	{
		struct gtt_vma_info info;

		assert_int_equal(gtt_vma_query(fx.vm, v[0], &info), 0);
		assert_false(info.bound);
		assert_int_equal(gtt_vma_query(fx.vm, v[1], &info), 0);
		assert_false(info.bound);
		assert_int_equal(gtt_vma_query(fx.vm, n, &info), 0);
		assert_int_equal(info.offset, VA);
	}
	gtt_fence_put(f);
	gtt_executor_run_all(fx.ex);
	fixture_fini(&fx);
}

/*
 * A synchronous evicting bind whose PTE write fails (the victims' clears
 * ran first, right there: they had nothing to wait for): the bind fails
 * with the backend's error and leaves its vma unbound, and the victims
 * stay evicted (their clears cannot be taken back): evicted set, their
 * entries clear, their range free again, the allocator sound, no memory
 * held.  Under every order.  The same with the first victim's clear made
 * to fail instead: the bind succeeds and its write replaces the stale
 * entries.  Fails if the failed write left the vma bound (bind_undo_inline()
 * keeping op->v->binding; checked by mutation).
 */
static void test_sync_write_fails_after_eviction(void **state)
{
	static const enum gtt_evict_order orders[] = { GTT_EVICT_FEWEST, GTT_EVICT_LRU,
						       GTT_EVICT_ROSTER };
	struct gtt_bind_info bi = { .flags = GTT_BIND_EVICT };
	struct gtt_mock_stats ms0, ms;
	struct gtt_range_stats rs;
	struct gtt_vma_info info;
	struct world w;
	gtt_vma_t n;

	(void)state;
	for (int o = 0; o < 6; o++) {
		bool write_fails = o < 3;

		four(&w, orders[o % 3]);
		w.roster.n = 4;
		memcpy(w.roster.list, w.v, 4 * sizeof(w.v[0]));
		n = make_vma(&w.f, 0xb0000000, 4, NULL);
		/* Two victims (A, B under FEWEST and LRU): a clear and an
		 * invalidation each, then the write, the fifth call. */
		assert_int_equal(gtt_mock_stats(w.f.be, &ms0), 0);
		assert_int_equal(gtt_mock_fail_call(w.f.be, write_fails ? 5 : 1, -EIO), 0);
		assert_int_equal(gtt_vma_bind(w.f.vm, n, &bi, NULL), write_fails ? -EIO : 0);
		gtt_mock_fail_call(w.f.be, 0, 0);
		assert_int_equal(gtt_mock_stats(w.f.be, &ms), 0);
		assert_int_equal(ms.failures_injected - ms0.failures_injected, 1);
		/* The victims' clears, and the failed write's clean-up. */
		assert_int_equal(ms.clear_calls - ms0.clear_calls, write_fails ? 3 : 2);
		assert_int_equal(ms.entries_written - ms0.entries_written, write_fails ? 0 : 4);
		assert_int_equal(evictions(&w), 2);
		assert_false(bound(&w, 0) || bound(&w, 1));
		assert_true(bound(&w, 2) && bound(&w, 3));
		for (int i = 0; i < 2; i++) {
			assert_int_equal(gtt_vma_query(w.f.vm, w.v[i], &info), 0);
			assert_true(info.evicted);
		}
		assert_int_equal(gtt_vma_query(w.f.vm, n, &info), 0);
		assert_int_equal(info.bound, !write_fails);
		gtt_executor_run_all(w.f.ex);
		for (uint64_t p = 0; p < 4; p++) {
			struct gtt_mock_entry e = mock_entry(&w.f, VA + p * PAGE);

			assert_int_equal(e.valid && e.addr != 0xdead000, !write_fails);
		}
		assert_int_equal(gtt_range_alloc_stats(gtt_vm_range_alloc(w.f.vm), &rs), 0);
		assert_int_equal(rs.used, (write_fails ? 4 : 8) * PAGE);
		assert_int_equal(range_alloc_check(gtt_vm_range_alloc(w.f.vm)), 0);
		world_fini(&w, NULL, 0);
	}
}

/*
 * Random layouts against an oracle.  A 64-page vm with colour guards holds
 * vmas of 1-3 pages and colours 0-2 with random gaps, some pinned; the
 * order is a random permutation (LRU: the order of gtt_vma_add_active();
 * ROSTER: a random subset, in random order).  The oracle is the public
 * FEWEST scan with only a prefix of the order evictable: the first prefix
 * for which it opens a hole, and its victims, are what the ordered scan
 * must evict (only the run that the last candidate joined can open one,
 * and the scan picks the fewest of it with FEWEST's ties); no prefix:
 * -ENOSPC.  Fails if the span test or the pick in the run departed from
 * the allocator's rules (colour, alignment, placement ties).
 */
struct oracle {
	struct world *w;
	uint64_t off[32];
	int pos[32];		/* place in the order, -1: not listed */
	bool pinned[32];
	int prefix;
};

static bool in_prefix(void *arg, struct gtt_range_node *node)
{
	struct oracle *o = arg;

	for (unsigned int i = 0; i < o->w->n; i++)
		if (o->off[i] == gtt_range_node_start(node))
			return !o->pinned[i] && o->pos[i] >= 0 && o->pos[i] < o->prefix;
	return false;
}

/* @limits: a random range limit on most binds, and fixed binds. */
static void random_against_oracle(uint64_t rng, bool limits)
{
	static const enum gtt_placement pl[] = { GTT_PLACE_BEST, GTT_PLACE_LOW, GTT_PLACE_HIGH };

	for (int round = 0; round < 400; round++) {
		enum gtt_evict_order order = round & 1 ? GTT_EVICT_ROSTER : GTT_EVICT_LRU;
		struct oracle o = { 0 };
		struct world w;
		struct gtt_fence *f = new_fence();
		struct gtt_range_node *victims[32];
		struct gtt_bind_info bi = { .flags = GTT_BIND_EVICT | GTT_BIND_ASYNC };
		struct gtt_range_request req = { 0 };
		int perm[32] = { 0 }, listed = 0, err;
		size_t count = 0;
		bool evicted[32] = { 0 };
		gtt_vma_t x;
		uint64_t page = rng_below(&rng, 2);
		uint32_t lastc = 0;

		gtt_fence_signal(f, 0);
		world_init(&w, 64, GTT_VM_COLOR_GUARD, order);
		o.w = &w;
		while (w.n < 32) {
			uint64_t np = 1 + rng_below(&rng, 3);
			uint32_t c = (uint32_t)rng_below(&rng, 3);

			/* a guard page after a node of another colour */
			page += w.n && lastc != c;
			lastc = c;
			if (page + np > 64)
				break;
			o.off[w.n] = VA + page * PAGE;
			place(&w, page, np, c);
			page += np + (rng_below(&rng, 4) == 0);
		}
		for (unsigned int i = 0; i < w.n; i++) {
			perm[i] = (int)i;
			o.pos[i] = -1;
		}
		for (unsigned int i = w.n - 1; i > 0; i--) {
			unsigned int j = (unsigned int)rng_below(&rng, i + 1);
			int t = perm[i];

			perm[i] = perm[j];
			perm[j] = t;
		}
		for (unsigned int i = 0; i < w.n; i++) {
			if (order == GTT_EVICT_ROSTER && rng_below(&rng, 4) == 0)
				continue;	/* not listed */
			o.pos[perm[i]] = listed++;
			if (order == GTT_EVICT_LRU)
				assert_int_equal(gtt_vma_add_active(w.f.vm, w.v[perm[i]], f), 0);
			else
				w.roster.list[w.roster.n++] = w.v[perm[i]];
		}
		for (unsigned int i = 0; i < w.n; i++)
			if (rng_below(&rng, 8) == 0) {
				o.pinned[i] = true;
				assert_int_equal(gtt_vma_pin(w.f.vm, w.v[i]), 0);
			}
		req.size = (1 + rng_below(&rng, 6)) * PAGE;
		req.alignment = PAGE << rng_below(&rng, 3);
		req.color = (uint32_t)rng_below(&rng, 3);
		req.placement = pl[rng_below(&rng, 3)];
		bi.alignment = req.alignment;
		bi.color = req.color;
		bi.placement = req.placement;
		if (limits && rng_below(&rng, 3) == 0) {
			/* Fixed: the request evict_for() is given. */
			uint64_t pages = 64 - req.size / PAGE;

			bi.flags |= GTT_BIND_FIXED;
			bi.offset = VA + rng_below(&rng, pages + 1) * PAGE;
			bi.offset &= ~(req.alignment - 1);
			if (bi.offset < VA)
				bi.offset += req.alignment;
			req.range_start = bi.offset;
			req.range_end = bi.offset + req.size;
			req.placement = GTT_PLACE_LOW;
		} else if (limits && rng_below(&rng, 4) != 0) {
			uint64_t lo = rng_below(&rng, 64);

			req.range_start = bi.range_start = VA + lo * PAGE;
			req.range_end = bi.range_end = VA + (lo + 1 + rng_below(&rng, 64 - lo)) * PAGE;
		}
		/* The oracle: the shortest prefix FEWEST opens a hole with. */
		for (o.prefix = 0; o.prefix <= listed; o.prefix++)
			if (!gtt_range_evict_scan(gtt_vm_range_alloc(w.f.vm), &req, in_prefix, &o,
						  NULL, 0, &count))
				break;
		if (o.prefix <= listed && count)
			assert_int_equal(gtt_range_evict_scan(gtt_vm_range_alloc(w.f.vm), &req,
							      in_prefix, &o, victims, 32, &count), 0);
		for (size_t i = 0; o.prefix <= listed && i < count; i++)
			for (unsigned int j = 0; j < w.n; j++)
				if (o.off[j] == gtt_range_node_start(victims[i]))
					evicted[j] = true;
		x = make_vma(&w.f, 0xb0000000, req.size / PAGE, NULL);
		err = gtt_vma_bind(w.f.vm, x, &bi, NULL);
		if (o.prefix > listed) {
			assert_int_equal(err, -ENOSPC);
			count = 0;
		} else {
			assert_int_equal(err, 0);
		}
		for (unsigned int j = 0; j < w.n; j++)
			if (bound(&w, (int)j) == evicted[j])
				fail_msg("round %d (%s): vma %u at page %llu %s", round,
					 order == GTT_EVICT_LRU ? "lru" : "roster", j,
					 (unsigned long long)((o.off[j] - VA) / PAGE),
					 evicted[j] ? "should have been evicted" : "was evicted");
		assert_int_equal(evictions(&w), count);
		assert_int_equal(range_alloc_check(gtt_vm_range_alloc(w.f.vm)), 0);
		world_fini(&w, &f, 1);
	}
}

static void test_random_against_oracle(void **state)
{
	(void)state;
	random_against_oracle(0x15eed, false);
}

/* The same with range limits and fixed binds (LRU's fixed binds take
 * FEWEST's scan: the oracle's set, the only one there is). */
static void test_random_against_oracle_limits(void **state)
{
	(void)state;
	random_against_oracle(0x11111, true);
}

/*
 * Random operations on LRU and ROSTER vms (with and without colour
 * guards), run under the sanitizers: binds (some fixed, most evicting,
 * some with an allocation or a PTE write made to fail; all asynchronous,
 * as the unbinds are), destroys,
 * pins, active fences, executor runs.  After each step: the allocator is
 * sound, a failed evicting bind evicted nothing unless its PTE write
 * failed (the victims go before the write), every victim was unpinned and,
 * under ROSTER, listed; the LRU list never names a vma that was unbound,
 * destroyed or rebound (ASan sees it if it does).
 */
static void test_random_ops_lru_roster(void **state)
{
	enum { NV = 40, NF = 64 };
	uint64_t rng = 0x1a2b3c;
	unsigned long evicted_total = 0, failed_binds = 0;

	(void)state;
	for (int round = 0; round < 60; round++) {
		enum gtt_evict_order order = round & 1 ? GTT_EVICT_ROSTER : GTT_EVICT_LRU;
		struct gtt_fence *f[NF];
		gtt_vma_t h[NV];
		bool live[NV] = { 0 }, pinned[NV] = { 0 }, was[NV];
		unsigned int nf = 0;
		struct world w;

		world_init(&w, 48, round & 2 ? GTT_VM_COLOR_GUARD : 0, order);
		for (int i = 0; i < NV; i++) {
			h[i] = make_vma(&w.f, 0xa0000000 + (uint64_t)i * 0x100000,
					1 + rng_below(&rng, 4), NULL);
			live[i] = true;
		}
		for (int op = 0; op < 300; op++) {
			int i = (int)rng_below(&rng, NV), kind = (int)rng_below(&rng, 10);
			uint64_t before = evictions(&w);
			struct gtt_vma_info info;

			if (!live[i])
				continue;
			for (int j = 0; j < NV; j++)
				was[j] = live[j] && !gtt_vma_query(w.f.vm, h[j], &info) && info.bound;
			if (order == GTT_EVICT_ROSTER) {	/* a random roster, garbage included */
				w.roster.n = (unsigned int)rng_below(&rng, 33);
				for (unsigned int k = 0; k < w.roster.n; k++)
					w.roster.list[k] = rng_below(&rng, 8) ? h[rng_below(&rng, NV)] :
							   rng_next(&rng);
			}
			if (kind < 5) {
				struct gtt_bind_info bi = {
					.flags = GTT_BIND_ASYNC | (rng_below(&rng, 5) ? GTT_BIND_EVICT : 0),
					.color = (uint32_t)rng_below(&rng, 3),
					.placement = (enum gtt_placement)rng_below(&rng, 3),
				};
				int inject = (int)rng_below(&rng, 6), err;

				if (rng_below(&rng, 4) == 0) {
					bi.flags |= GTT_BIND_FIXED;
					bi.offset = VA + rng_below(&rng, 44) * PAGE;
				}
				if (inject == 0)
					mem_fail_after(1 + rng_below(&rng, 12));
				if (inject == 1)
					gtt_mock_fail_call(w.f.be, 1, -EIO);
				err = gtt_vma_bind(w.f.vm, h[i], &bi, NULL);
				mem_fail_after(0);
				gtt_mock_fail_call(w.f.be, 0, 0);
				if (err)
					failed_binds++;
				if (err && inject != 1)
					assert_int_equal(evictions(&w), before);
			} else if (kind == 5) {
				struct gtt_fence *uf = NULL;

				if (!gtt_vma_unbind(w.f.vm, h[i], GTT_UNBIND_ASYNC, &uf))
					gtt_fence_put(uf);
			} else if (kind == 6) {
				/* A destroy waits for the unbind: every fence
				 * signalled first. */
				while (nf) {
					gtt_fence_signal(f[nf - 1], 0);
					gtt_fence_put(f[--nf]);
				}
				if (!pinned[i] && !gtt_vma_destroy(w.f.vm, h[i]))
					live[i] = false;
			} else if (kind == 7) {
				if (pinned[i])
					pinned[i] = gtt_vma_unpin(w.f.vm, h[i]) != 0;
				else
					pinned[i] = !gtt_vma_pin(w.f.vm, h[i]);
			} else if (kind == 8 && nf < NF) {
				f[nf] = new_fence();
				if (gtt_vma_add_active(w.f.vm, h[i], f[nf]))
					gtt_fence_put(f[nf]);
				else
					nf++;
			} else {
				if (nf) {
					gtt_fence_signal(f[nf - 1], 0);
					gtt_fence_put(f[--nf]);
				}
				gtt_executor_run_all(w.f.ex);
			}
			/* Victims: bound before, unpinned, listed by the roster. */
			for (int j = 0; j < NV; j++) {
				bool listed = false;

				if (!was[j] || j == i || !live[j])
					continue;
				assert_int_equal(gtt_vma_query(w.f.vm, h[j], &info), 0);
				if (info.bound)
					continue;
				assert_true(info.evicted);
				assert_false(pinned[j]);
				for (unsigned int k = 0; k < w.roster.n; k++)
					listed |= w.roster.list[k] == h[j];
				assert_true(order != GTT_EVICT_ROSTER || listed);
			}
			evicted_total += evictions(&w) - before;
			assert_int_equal(range_alloc_check(gtt_vm_range_alloc(w.f.vm)), 0);
		}
		for (unsigned int k = 0; k < nf; k++)
			gtt_fence_signal(f[k], 0);
		world_fini(&w, f, (int)nf);
	}
	assert_true(evicted_total > 100);
	assert_true(failed_binds > 100);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, alarm_setup, alarm_teardown)
	const struct CMUnitTest tests[] = {
		T(test_lru_oldest_first),
		T(test_lru_run_of_two),
		T(test_lru_vm_wide_keeps_order),
		T(test_fixed_bind),
		T(test_fixed_bind_colour_neighbour),
		T(test_pinned_never_evicted),
		T(test_roster_order),
		T(test_roster_garbage),
		T(test_roster_foreign_handles),
		T(test_config_checks),
		T(test_colour_guard),
		T(test_enospc_changes_nothing),
		T(test_oom_changes_nothing),
		T(test_oom_names_the_call),
		T(test_oom_long_lru_scan),
		T(test_sync_write_fails_after_eviction),
		T(test_random_against_oracle),
		T(test_random_against_oracle_limits),
		T(test_random_ops_lru_roster),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
