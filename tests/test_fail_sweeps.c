/* SPDX-License-Identifier: MIT */
/*
 * Failure sweeps over scripts of asynchronous binds, unbinds, evictions
 * and holds.  Each script runs once for every allocation it makes (the
 * Nth allocation of the whole script fails, wherever it falls: in a call,
 * in an executor job, in a fence callback), once for every backend call
 * (the Nth fails) and once for every backend call from which on all fail.
 * After every step of it:
 *
 * - every valid entry of the mock maps what a bound vma says, or pages of
 *   a placement whose unbind the vm has not reported done (its fence is
 *   pending or carries an error) — never pages whose unbind fence said
 *   "cleared", nor pages whose destructor ran;
 * - every bound vma whose bind fence signalled without an error maps its
 *   pages, all of them;
 * - the allocator's trees and hole lists are sound (range_alloc_check()).
 *
 * At the end, with the backend healthy and the GPU done, everything
 * unbinds: the quarantine empties, nothing stays mapped or placed, every
 * fence a call gave has signalled exactly once, every page object is
 * released once and nothing stays allocated.  The "doomed" variant
 * destroys the vm instead, with every backend call failing: the same, but
 * for the entries left behind (gtt/vm.h).
 *
 * test_stress_with_failures (and _queue) is the same rules with threads,
 * on a pool executor: binders, late GPU work and holds, cross-thread
 * destroys, and a thread making backend calls and allocations fail at
 * random.
 *
 * Every test arms alarm().
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "support/queue_kernel.h"
#include "alloc/range_alloc_internal.h"
#include "base/util.h"

#define VA 0x100000ull
#define NV 4		/* vmas, one object each */
#define NGOT 48		/* fences the calls of a script give */
#define NGPU 4		/* GPU work and dependencies, made beforehand */

/* A placement whose unbind was started: its entries may map the object's
 * pages until @f signals without an error (@f NULL: gtt_vma_destroy()
 * gave @err for it). */
struct claim {
	uint64_t start, size;
	unsigned int obj;
	struct gtt_fence *f;
	int err;
};

struct got {
	struct gtt_fence *f;
	struct gtt_fence_cb cb;
	int runs;
};

struct sw {
	struct fixture f;
	struct gtt_backend *table;	/* the page table (the queue's, or f.be) */
	bool queue;			/* f.be is the pretend kernel's queue */
	uint64_t pages;			/* of the vm */
	gtt_vma_t v[NV];
	struct gtt_pages *obj[NV];	/* no reference: the identity only */
	uint64_t npages[NV];
	int freed[NV];
	struct gtt_fence *gpu[NGPU];
	struct got got[NGOT];
	unsigned int ngot;
	struct claim claims[NGOT];
	unsigned int nclaims;
	struct gtt_fence *bound_by[NV];	/* the fence of the last bind */
	struct gtt_binding *holds[NV];
	unsigned int step;
	const char *how;		/* the failure injected, for messages */
};

static uint64_t obj_dma(unsigned int i)
{
	return (uint64_t)(i + 1) << 24;
}

static void counted(struct gtt_fence *f, struct gtt_fence_cb *cb)
{
	(void)f;
	container_of(cb, struct got, cb)->runs++;
}

/* Keep a fence a call gave, and count its signals. */
static struct gtt_fence *keep(struct sw *w, struct gtt_fence *f)
{
	struct got *g;

	if (!f)
		return NULL;
	assert_true(w->ngot < NGOT);
	g = &w->got[w->ngot++];
	g->f = f;
	g->runs = 0;
	if (gtt_fence_add_callback(f, &g->cb, counted) == -ENOENT)
		g->runs = 1;
	return f;
}

static void claim(struct sw *w, unsigned int obj, const struct gtt_vma_info *was,
		  struct gtt_fence *f, int err)
{
	assert_true(w->nclaims < NGOT);
	w->claims[w->nclaims++] = (struct claim){ .start = was->offset,
		.size = was->size, .obj = obj, .f = f, .err = err };
}

static struct gtt_vma_info query(struct sw *w, unsigned int i)
{
	struct gtt_vma_info vi = { 0 };

	if (gtt_vma_query(w->f.vm, w->v[i], &vi))
		vi.bound = false;
	return vi;
}

/* Whether a valid entry at @va mapping @addr is accounted for. */
static bool entry_claimed(struct sw *w, uint64_t va, uint64_t addr)
{
	unsigned int obj = (unsigned int)(addr >> 24) - 1;
	uint64_t at = addr & 0xffffff;
	struct gtt_vma_info vi;

	if (obj >= NV || w->freed[obj])
		return false;
	vi = query(w, obj);
	if (vi.bound && va >= vi.offset && va - vi.offset < vi.size &&
	    va - vi.offset + vi.pages_offset == at)
		return true;
	for (unsigned int c = 0; c < w->nclaims; c++) {
		const struct claim *cl = &w->claims[c];
		bool done = cl->f ? gtt_fence_status(cl->f) == 1 : !cl->err;

		if (cl->obj != obj || done)
			continue;
		/* A failed bind placed anywhere: size 0. */
		if (!cl->size || (va >= cl->start && va - cl->start < cl->size &&
				  va - cl->start == at))
			return true;
	}
	return false;
}

static struct gtt_mock_entry table_entry(struct sw *w, uint64_t va)
{
	struct gtt_mock_entry e;

	assert_int_equal(gtt_mock_read(w->table, va, &e), 0);
	return e;
}

static void check(struct sw *w)
{
	for (uint64_t p = 0; p < w->pages; p++) {
		uint64_t va = VA + p * PAGE;
		struct gtt_mock_entry e = table_entry(w, va);

		if (!e.valid || e.null)
			continue;
		if (!entry_claimed(w, va, e.addr))
			fail_msg("%s, step %u: 0x%llx maps 0x%llx, which no bound vma, pending or failed unbind accounts for",
				 w->how, w->step, (unsigned long long)va, (unsigned long long)e.addr);
		if (!journal_explains(w->f.vm, va, w->obj[(e.addr >> 24) - 1], e.addr & 0xffffff))
			fail_msg("%s, step %u: 0x%llx maps 0x%llx, which the journal explains as scratch",
				 w->how, w->step, (unsigned long long)va, (unsigned long long)e.addr);
	}
	/* A bind that reported success maps its pages while bound, the
	 * lookup finds it there, and the journal's latest mapping there is
	 * it, bound. */
	for (unsigned int i = 0; i < NV; i++) {
		struct gtt_vma_info vi = query(w, i);

		if (!vi.bound || gtt_fence_status(w->bound_by[i]) != 1)
			continue;
		for (uint64_t p = 0; p < vi.size; p += PAGE) {
			struct gtt_mock_entry e = table_entry(w, vi.offset + p);
			gtt_vma_t found = 0;
			struct gtt_explain ex;
			const struct gtt_explain_mapping *m;

			if (!e.valid || e.addr != obj_dma(i) + vi.pages_offset + p)
				fail_msg("%s, step %u: vma %u, bound at 0x%llx, does not map its page at +0x%llx",
					 w->how, w->step, i, (unsigned long long)vi.offset,
					 (unsigned long long)p);
			if (gtt_vm_lookup(w->f.vm, vi.offset + p, &found, NULL) || found != w->v[i])
				fail_msg("%s, step %u: the lookup at 0x%llx misses vma %u", w->how,
					 w->step, (unsigned long long)(vi.offset + p), i);
			assert_int_equal(gtt_vm_explain(w->f.vm, vi.offset + p, UINT64_MAX, &ex), 0);
			m = ex.count ? &ex.m[ex.count - 1] : NULL;
			if (!m || m->vma != w->v[i] || m->state != GTT_EXPLAIN_BOUND)
				fail_msg("%s, step %u: the journal's latest mapping at 0x%llx is not vma %u, bound (%s)",
					 w->how, w->step, (unsigned long long)(vi.offset + p), i,
					 m ? gtt_explain_state_name(m->state) : "none");
		}
	}
	if (range_alloc_check(gtt_vm_range_alloc(w->f.vm)))
		fail_msg("%s, step %u: the allocator is broken", w->how, w->step);
	w->step++;
}

/* ---- the calls of a script, each followed by the checks ---- */

static int bind(struct sw *w, unsigned int i, struct gtt_bind_info bi, bool fence)
{
	struct gtt_vma_info was[NV];
	struct gtt_fence *f = NULL;
	int err;

	for (unsigned int k = 0; k < NV; k++)
		was[k] = query(w, k);
	err = gtt_vma_bind(w->f.vm, w->v[i], &bi, &f);
	keep(w, f);
	w->bound_by[i] = f;
	(void)fence;
	/* A failed bind whose clean-up failed too leaves entries to the
	 * quarantine: where it was placed, which a fixed bind knows. */
	if (err) {
		struct gtt_vma_info fixed = { .offset = bi.offset,
			.size = w->npages[i] * PAGE };

		if (!(bi.flags & GTT_BIND_FIXED))
			fixed = (struct gtt_vma_info){ .offset = 0, .size = 0 };
		claim(w, i, &fixed, NULL, err);
	}
	/* Victims: their eviction's fence says when their pages are out. */
	for (unsigned int k = 0; k < NV; k++) {
		struct gtt_vma_info now = query(w, k);
		struct gtt_fence *lu = NULL;

		if (!was[k].bound || now.bound || !now.evicted)
			continue;
		assert_int_equal(gtt_vma_last_unbind(w->f.vm, w->v[k], &lu), 0);
		assert_non_null(lu);
		claim(w, k, &was[k], keep(w, lu), 0);
	}
	check(w);
	return err;
}

static int unbind(struct sw *w, unsigned int i, unsigned int flags)
{
	struct gtt_vma_info was = query(w, i);
	struct gtt_fence *f = NULL;
	int err = gtt_vma_unbind(w->f.vm, w->v[i], flags, &f);

	if (f)
		claim(w, i, &was, keep(w, f), 0);
	check(w);
	return err;
}

static void destroy_vma(struct sw *w, unsigned int i)
{
	struct gtt_vma_info was = query(w, i), now;
	int err = gtt_vma_destroy(w->f.vm, w->v[i]);

	/* Gone, also when it reports a failed clear. */
	if (was.bound && gtt_vma_query(w->f.vm, w->v[i], &now) == -ENOENT)
		claim(w, i, &was, NULL, err);
	check(w);
}

/* The owner lets an unbound vma go (a bound one would wait for its GPU
 * work): what its old placements still map is then theirs alone. */
static void forget(struct sw *w, unsigned int i)
{
	if (!query(w, i).bound)
		destroy_vma(w, i);
}

static void run(struct sw *w)
{
	gtt_executor_run_all(w->f.ex);
	check(w);
}

static void gpu_done(struct sw *w, unsigned int g, int error)
{
	gtt_fence_signal(w->gpu[g], error);
	check(w);
}

static void hold(struct sw *w, unsigned int i)
{
	if (!w->holds[i] && gtt_vma_hold(w->f.vm, w->v[i], &w->holds[i]))
		w->holds[i] = NULL;
	check(w);
}

static void unhold(struct sw *w, unsigned int i)
{
	gtt_binding_unhold(w->holds[i]);
	w->holds[i] = NULL;
	check(w);
}

static void retry(struct sw *w)
{
	struct gtt_vm_stats st;

	assert_int_equal(gtt_vm_stats(w->f.vm, &st), 0);
	check(w);
}

static void add_active(struct sw *w, unsigned int i, unsigned int g)
{
	(void)gtt_vma_add_active(w->f.vm, w->v[i], w->gpu[g]);
	check(w);
}

static struct gtt_bind_info at(uint64_t page, unsigned int flags, uint32_t color)
{
	return (struct gtt_bind_info){ .flags = GTT_BIND_FIXED | flags,
				       .offset = VA + page * PAGE, .color = color };
}

/* ---- scripts ---- */

/*
 * Binds that wait for a dependency, unbinds that wait for the GPU, a bind
 * ordered after a pending unbind of its range, a held binding unbound, an
 * eviction, GPU work that fails, a destroy.  12 pages.
 */
static const uint64_t pipeline_pages[NV] = { 3, 3, 2, 10 };

static void pipeline(struct sw *w)
{
	struct gtt_fence *dep = w->gpu[0];
	struct gtt_bind_info bi = at(0, GTT_BIND_ASYNC, 0);

	bi.deps = &dep;
	bi.num_deps = 1;
	(void)bind(w, 0, bi, true);
	add_active(w, 0, 1);
	gpu_done(w, 0, 0);
	run(w);
	(void)unbind(w, 0, GTT_UNBIND_ASYNC);	/* waits for gpu 1 */
	(void)bind(w, 1, at(0, GTT_BIND_ASYNC, 0), true);	/* after that clear */
	forget(w, 0);	/* its pages: the unbind's only */
	hold(w, 1);
	gpu_done(w, 1, 0);
	run(w);
	(void)unbind(w, 1, GTT_UNBIND_ASYNC);	/* cleared here, signals at unhold */
	/* (A queue backend's bind there waits for that unhold.) */
	(void)bind(w, 2, at(1, GTT_BIND_ASYNC, 0), false);
	forget(w, 1);
	unhold(w, 1);
	run(w);
	(void)bind(w, 3, (struct gtt_bind_info){ .flags = GTT_BIND_ASYNC | GTT_BIND_EVICT }, true);
	add_active(w, 3, 2);
	(void)unbind(w, 3, GTT_UNBIND_ASYNC);
	retry(w);
	gpu_done(w, 2, -EIO);
	run(w);
	retry(w);
	forget(w, 3);
	run(w);
	retry(w);
	(void)bind(w, 2, (struct gtt_bind_info){ 0 }, false);
	forget(w, 2);
	retry(w);
}

/*
 * Evictions beside colour guards: a hole that opens only once a vma of
 * the other colour goes (its eviction waits for the GPU, the bind waits
 * for its clear), then one whose candidates are held or busy.  10 pages.
 */
static const uint64_t guard_pages[NV] = { 3, 2, 2, 4 };

static void guards(struct sw *w)
{
	(void)bind(w, 0, at(0, 0, 0), false);	/* [0, 3) colour 0 */
	(void)bind(w, 1, at(4, 0, 1), false);	/* [4, 6) colour 1 */
	(void)bind(w, 2, at(7, 0, 0), false);	/* [7, 9) colour 0 */
	add_active(w, 1, 0);
	/* 4 pages of colour 0: only [3, 7), once 1 goes. */
	(void)bind(w, 3, (struct gtt_bind_info){ .flags = GTT_BIND_ASYNC | GTT_BIND_EVICT }, true);
	forget(w, 1);	/* its pages: the eviction's only */
	gpu_done(w, 0, 0);
	run(w);
	(void)unbind(w, 0, GTT_UNBIND_ASYNC);
	add_active(w, 3, 1);
	hold(w, 2);
	/* 3 pages of colour 1: [0, 3) needs a guard at 2 beside 3's
	 * colour 0: only by evicting (busy 3, held 2). */
	(void)bind(w, 0, (struct gtt_bind_info){ .flags = GTT_BIND_ASYNC | GTT_BIND_EVICT,
						 .color = 1 }, true);
	forget(w, 2);
	forget(w, 3);
	gpu_done(w, 1, -EIO);
	unhold(w, 2);
	run(w);
	retry(w);
	(void)unbind(w, 0, 0);
	forget(w, 0);
	retry(w);
}

/* ---- the sweeps ---- */

enum inject { MEM, ONE_CALL, CALLS_FROM };

struct script {
	const char *name;
	void (*fn)(struct sw *w);
	const uint64_t *npages;
	uint64_t vm_pages;
	unsigned int vm_flags;
	bool queue;		/* over the pretend kernel's queue backend */
};

static void setup(struct sw *w, const struct script *s)
{
	memset(w, 0, sizeof(*w));
	w->pages = s->vm_pages;
	w->queue = s->queue;
	if (s->queue) {
		struct gtt_vm_config vc = { .name = "queue", .start = VA,
					    .size = s->vm_pages * PAGE, .flags = s->vm_flags };
		struct qk *k;

		assert_int_equal(qk_create(VA, s->vm_pages * PAGE, &k, &w->f.be), 0);
		w->table = qk_table(k);
		assert_int_equal(gtt_executor_create_manual(&w->f.ex), 0);
		vc.backend = w->f.be;
		vc.executor = w->f.ex;
		assert_int_equal(gtt_vm_create(&vc, &w->f.vm), 0);
	} else {
		fixture_init(&w->f, VA, s->vm_pages * PAGE, s->vm_flags);
		w->table = w->f.be;
	}
	assert_int_equal(gtt_vm_journal_enable(w->f.vm, 1024), 0);
	for (unsigned int i = 0; i < NV; i++) {
		struct gtt_pages *p = make_pages(obj_dma(i), s->npages[i], 0);

		w->npages[i] = s->npages[i];
		w->obj[i] = p;
		assert_int_equal(gtt_pages_set_destructor(p, count_release, &w->freed[i]), 0);
		assert_int_equal(gtt_vma_create(w->f.vm, p, NULL, &w->v[i]), 0);
		gtt_pages_put(p);
	}
	for (unsigned int g = 0; g < NGPU; g++)
		w->gpu[g] = new_fence();
}

/* The GPU is done and the holds go, with the backend healthy again
 * (@error 0) or failing every call from now on. */
static void settle(struct sw *w, int error)
{
	assert_int_equal(error ? gtt_mock_fail_calls(w->table, 1, UINT64_MAX, error) :
				 gtt_mock_fail_call(w->table, 0, 0), 0);
	for (unsigned int g = 0; g < NGPU; g++)
		(void)gtt_fence_signal(w->gpu[g], 0);
	for (unsigned int i = 0; i < NV; i++)
		if (w->holds[i])
			unhold(w, i);
	run(w);
}

/* The device recovers: everything unbinds and goes. */
static void recover(struct sw *w)
{
	struct gtt_vm_stats st;
	struct gtt_range_stats rs;
	struct gtt_mock_stats ms;

	settle(w, 0);
	for (unsigned int i = 0; i < NV; i++)
		(void)unbind(w, i, 0);
	run(w);
	assert_int_equal(gtt_vm_wait_idle(w->f.vm, -1), 0);
	retry(w);
	assert_int_equal(gtt_vm_stats(w->f.vm, &st), 0);
	/* A queue backend's quarantine is retried by the vm's end only. */
	if ((st.quarantined && !w->queue) || st.bound)
		fail_msg("%s: %llu quarantined, %llu bound after recovery", w->how,
			 (unsigned long long)st.quarantined, (unsigned long long)st.bound);
	assert_int_equal(gtt_range_alloc_stats(gtt_vm_range_alloc(w->f.vm), &rs), 0);
	assert_int_equal(rs.nodes, 0);
	assert_int_equal(gtt_mock_stats(w->table, &ms), 0);
	if (!w->queue)
		assert_int_equal(ms.valid_entries, 0);
	for (unsigned int i = 0; i < NV; i++)
		(void)gtt_vma_destroy(w->f.vm, w->v[i]);
}

static void teardown(struct sw *w, bool doomed)
{
	struct gtt_mock_stats ms;

	for (unsigned int i = 0; i < w->ngot; i++) {
		if (w->got[i].runs != 1)
			fail_msg("%s: fence %u (%s) signalled %d times", w->how, i,
				 gtt_fence_name(w->got[i].f), w->got[i].runs);
		gtt_fence_put(w->got[i].f);
	}
	for (unsigned int g = 0; g < NGPU; g++)
		gtt_fence_put(w->gpu[g]);
	gtt_vm_destroy(w->f.vm);
	/* Destruction cleared what the quarantine held. */
	assert_int_equal(gtt_mock_stats(w->table, &ms), 0);
	if (!doomed && ms.valid_entries)
		fail_msg("%s: %llu entries left after the vm went", w->how,
			 (unsigned long long)ms.valid_entries);
	gtt_executor_destroy(w->f.ex);
	gtt_backend_destroy(w->f.be);
	for (unsigned int i = 0; i < NV; i++)
		if (w->freed[i] != 1)
			fail_msg("%s: object %u released %d times", w->how, i, w->freed[i]);
}

/* One run with the @nth failure of kind @inj; whether it fired. */
static bool run_once(const struct script *s, enum inject inj, uint64_t nth,
		     bool doomed)
{
	static struct sw w;
	char how[96];
	int64_t live = mem_live();
	struct gtt_mock_stats ms;
	bool fired;

	snprintf(how, sizeof(how), "%s%s, %s %llu", s->name, doomed ? " (doomed)" : "",
		 inj == MEM ? "allocation" : inj == ONE_CALL ? "backend call" :
		 "backend calls from", (unsigned long long)nth);
	setup(&w, s);
	w.how = how;
	if (inj == MEM)
		mem_fail_after(nth);
	else
		assert_int_equal(gtt_mock_fail_calls(w.table, nth, inj == ONE_CALL ? 1 : UINT64_MAX,
						     -EIO), 0);
	s->fn(&w);
	assert_int_equal(gtt_mock_stats(w.table, &ms), 0);
	fired = inj == MEM ? mem_fail_fired() : ms.failures_injected > 0;
	mem_fail_after(0);
	if (doomed)
		settle(&w, -EIO);	/* then the vm goes with the device failing */
	else
		recover(&w);
	teardown(&w, doomed);
	if (mem_live() != live)
		fail_msg("%s: %lld allocations left", how, (long long)(mem_live() - live));
	return fired;
}

static void sweep(const struct script *s)
{
	static const enum inject kinds[] = { MEM, ONE_CALL, CALLS_FROM };
	unsigned int total = 0;

	for (unsigned int k = 0; k < 3; k++)
		for (int doomed = 0; doomed < 2; doomed++) {
			uint64_t nth = 1;

			while (run_once(s, kinds[k], nth, doomed)) {
				assert_true(nth < 1000);
				nth++;
				total++;
			}
		}
	print_message("%s: %u failures injected\n", s->name, total);
	assert_true(total > 0);
}

static void test_sweep_pipeline(void **state)
{
	const struct script s = { "pipeline", pipeline, pipeline_pages, 12, 0, false };

	(void)state;
	sweep(&s);
}

static void test_sweep_guards(void **state)
{
	const struct script s = { "guards", guards, guard_pages, 10, GTT_VM_COLOR_GUARD, false };

	(void)state;
	sweep(&s);
}

/* ---- the same rules with threads: failures at random while others work ---- */

#define ST_THREADS 3
#define ST_SLOTS 4
#define ST_OBJS 4096
#define ST_PAGES 24
#define ST_LATER 64	/* GPU work and holds waiting for their thread */

struct st_obj {
	_Atomic int freed;
	uint64_t npages;
};

/* GPU work to signal, or a hold to release, a little later (one thread). */
struct later_item {
	struct gtt_fence *f;
	struct gtt_binding *h;
};

struct later {
	pthread_mutex_t lock;
	struct later_item item[ST_LATER];
	unsigned int n;
	uint64_t seed;
	_Atomic int stop;
};

struct stress {
	struct gtt_vm *vm;
	struct gtt_backend *be;
	struct st_obj obj[ST_OBJS];
	_Atomic unsigned int nobj;
	_Atomic gtt_vma_t vma[ST_THREADS * ST_SLOTS];	/* for cross destroys */
	struct later later;
	_Atomic int stop;
	_Atomic unsigned long violations, checked, ops;
	unsigned long iters;
};

struct st_worker {
	struct stress *st;
	unsigned int id;
	uint64_t seed;
};

static void st_release(void *arg)
{
	atomic_fetch_add((_Atomic int *)arg, 1);
}

/* A new object (pages whose release is counted) and a vma over it: retried
 * while allocations fail. */
static gtt_vma_t st_new_vma(struct stress *st, uint64_t *seed)
{
	unsigned int id = atomic_fetch_add(&st->nobj, 1);
	struct gtt_pages_segment seg = { .addr = obj_dma(id) };
	struct gtt_pages *p = NULL;
	gtt_vma_t h = 0;

	assert_true(id < ST_OBJS);
	st->obj[id].npages = 1 + rng_below(seed, 4);
	seg.length = st->obj[id].npages * PAGE;
	while (gtt_pages_create(&seg, 1, 0, &p))
		;
	assert_int_equal(gtt_pages_set_destructor(p, st_release, &st->obj[id].freed), 0);
	while (gtt_vma_create(st->vm, p, NULL, &h))
		;
	gtt_pages_put(p);
	return h;
}

/* Let @f signal or @h go later (at once if the queue is full). */
static void later(struct stress *st, struct gtt_fence *f, struct gtt_binding *h)
{
	struct later *l = &st->later;
	bool queued = false;

	pthread_mutex_lock(&l->lock);
	if (l->n < ST_LATER) {
		l->item[l->n++] = (struct later_item){ f, h };
		queued = true;
	}
	pthread_mutex_unlock(&l->lock);
	if (!queued) {
		if (f)
			gtt_fence_signal(f, 0);
		gtt_fence_put(f);
		gtt_binding_unhold(h);
	}
}

/* Signals GPU work (with -EIO at times) and lets holds go, oldest first. */
static void *later_thread(void *arg)
{
	struct stress *st = arg;
	struct later *l = &st->later;

	for (;;) {
		struct later_item it = { 0 };
		bool stop = atomic_load(&l->stop), got = false;

		pthread_mutex_lock(&l->lock);
		if (l->n) {
			it = l->item[0];
			memmove(&l->item[0], &l->item[1], --l->n * sizeof(l->item[0]));
			got = true;
		}
		pthread_mutex_unlock(&l->lock);
		if (!got && stop)
			return NULL;
		if (it.f)
			gtt_fence_signal(it.f, rng_below(&l->seed, 4) ? 0 : -EIO);
		gtt_fence_put(it.f);
		gtt_binding_unhold(it.h);
		usleep(20 + (unsigned int)rng_below(&l->seed, 60));
	}
}

/* Backend calls and allocations fail at random until told to stop. */
static void *failer_thread(void *arg)
{
	struct stress *st = arg;
	uint64_t seed = 77;

	while (!atomic_load(&st->stop)) {
		if (rng_below(&seed, 2))
			(void)gtt_mock_fail_calls(st->be, 1 + rng_below(&seed, 6),
						  1 + rng_below(&seed, 3), -EIO);
		else
			mem_fail_after(1 + rng_below(&seed, 30));
		usleep(100 + (unsigned int)rng_below(&seed, 200));
	}
	mem_fail_after(0);
	(void)gtt_mock_fail_call(st->be, 0, 0);
	return NULL;
}

/* No entry maps pages that were released: the release is read first, and
 * an object's pages are never mapped again once released. */
static void *checker_thread(void *arg)
{
	struct stress *st = arg;
	static _Thread_local bool gone[ST_OBJS];

	while (!atomic_load(&st->stop)) {
		unsigned int n = atomic_load(&st->nobj);

		for (unsigned int i = 0; i < n; i++)
			gone[i] = atomic_load(&st->obj[i].freed);
		for (uint64_t p = 0; p < ST_PAGES; p++) {
			struct gtt_mock_entry e;
			unsigned int id;

			if (gtt_mock_read(st->be, VA + p * PAGE, &e) || !e.valid || e.null)
				continue;
			id = (unsigned int)(e.addr >> 24) - 1;
			if (id < n && gone[id]) {
				print_message("0x%llx maps object %u, released\n",
					      (unsigned long long)(VA + p * PAGE), id);
				atomic_fetch_add(&st->violations, 1);
			}
		}
		atomic_fetch_add(&st->checked, 1);
		usleep(50);
	}
	return NULL;
}

/* A completed bind, pinned: every entry maps its pages. */
static void st_check_bound(struct stress *st, gtt_vma_t h)
{
	struct gtt_vma_info vi;
	unsigned int id;

	if (gtt_vma_pin(st->vm, h))
		return;
	if (!gtt_vma_query(st->vm, h, &vi) && vi.bound) {
		for (uint64_t p = 0; p < vi.size; p += PAGE) {
			struct gtt_mock_entry e;

			assert_int_equal(gtt_mock_read(st->be, vi.offset + p, &e), 0);
			id = e.valid ? (unsigned int)(e.addr >> 24) - 1 : UINT32_MAX;
			if (!e.valid || (e.addr & 0xffffff) != vi.pages_offset + p ||
			    id >= ST_OBJS || atomic_load(&st->obj[id].freed)) {
				print_message("vma 0x%llx bound at 0x%llx: +0x%llx does not map its page\n",
					      (unsigned long long)h, (unsigned long long)vi.offset,
					      (unsigned long long)p);
				atomic_fetch_add(&st->violations, 1);
			}
		}
	}
	(void)gtt_vma_unpin(st->vm, h);
}

static void *st_worker_thread(void *arg)
{
	struct st_worker *wk = arg;
	struct stress *st = wk->st;
	_Atomic gtt_vma_t *mine = &st->vma[wk->id * ST_SLOTS];

	for (unsigned int s = 0; s < ST_SLOTS; s++)
		mine[s] = st_new_vma(st, &wk->seed);
	for (unsigned long it = 0; it < st->iters; it++) {
		unsigned int s = (unsigned int)rng_below(&wk->seed, ST_SLOTS);
		gtt_vma_t h = mine[s];
		struct gtt_fence *f = NULL, *dep = NULL;
		struct gtt_binding *hb;
		int err = 0;

		switch (rng_below(&wk->seed, 16)) {
		case 0: case 1: case 2: case 3: case 4: {	/* bind, evicting, of either colour */
			struct gtt_bind_info bi = { .flags = GTT_BIND_EVICT,
						    .color = (uint32_t)rng_below(&wk->seed, 2) };

			if (rng_below(&wk->seed, 2))
				bi.flags |= GTT_BIND_ASYNC;
			if (!rng_below(&wk->seed, 4) && !gtt_fence_create(0, 0, &dep)) {
				gtt_fence_signal(dep, rng_below(&wk->seed, 2) ? -ECANCELED : 0);
				bi.deps = &dep;
				bi.num_deps = 1;
			}
			err = gtt_vma_bind(st->vm, h, &bi, &f);
			gtt_fence_put(dep);
			if (!err && !(bi.flags & GTT_BIND_ASYNC) && gtt_fence_status(f) == 1)
				st_check_bound(st, h);
			break;
		}
		case 5: case 6:	/* GPU work */
			if (gtt_fence_create(0, 0, &f))
				break;
			if (gtt_vma_add_active(st->vm, h, f)) {
				gtt_fence_signal(f, 0);
				break;
			}
			later(st, f, NULL);
			f = NULL;
			break;
		case 7: case 8: case 9:	/* unbind */
			err = gtt_vma_unbind(st->vm, h, rng_below(&wk->seed, 3) ? GTT_UNBIND_ASYNC : 0,
					     &f);
			break;
		case 10:	/* a hold, let go later */
			if (!gtt_vma_hold(st->vm, h, &hb))
				later(st, NULL, hb);
			break;
		case 11: {	/* destroy one of anyone's vmas */
			unsigned int any = (unsigned int)rng_below(&wk->seed, ST_THREADS * ST_SLOTS);

			err = gtt_vma_destroy(st->vm, st->vma[any]);
			break;
		}
		default: {	/* a call: the quarantine is retried */
			struct gtt_vm_stats vs;

			(void)gtt_vm_stats(st->vm, &vs);
			break;
		}
		}
		gtt_fence_put(f);
		(void)err;
		/* Destroyed by someone: a new object in the slot. */
		if (gtt_vma_query(st->vm, h, &(struct gtt_vma_info){ 0 }) == -ENOENT)
			mine[s] = st_new_vma(st, &wk->seed);
		atomic_fetch_add(&st->ops, 1);
	}
	return NULL;
}

/*
 * Three threads bind (evicting, both colours beside guards, with failed
 * dependencies), add GPU work that a fourth signals late (with -EIO at
 * times), unbind, hold (the fourth lets go), and destroy each other's vmas
 * on a pool executor, while a fifth makes backend calls and allocations
 * fail at random: no entry ever maps released pages (a sixth looks all the
 * time), a completed synchronous bind maps its pages, and at the end
 * everything unbinds, the quarantine empties, nothing stays mapped or
 * placed, every object is released exactly once and nothing leaks.  On a
 * @queue backend (the pretend kernel, its table's calls failing) whose
 * quarantine only the vm's end retries, nothing stays mapped after that.
 */
static void stress_with_failures(bool queue)
{
	struct gtt_mock_config mc = { .start = VA, .size = ST_PAGES * PAGE,
				      .scratch_addr = 0xdead000 };
	struct gtt_backend *be;		/* the vm's: the table, or the queue */
	struct gtt_vm_config vc = { .name = "stress", .start = VA, .size = ST_PAGES * PAGE,
				    .flags = GTT_VM_COLOR_GUARD };
	const char *env = getenv("GTT_STRESS_ITERS");
	struct stress *st = calloc(1, sizeof(*st));
	struct st_worker wk[ST_THREADS];
	pthread_t t[ST_THREADS], lt, ft, ct;
	struct gtt_executor *pool;
	int64_t live = mem_live();
	struct gtt_vm_stats vs;
	struct gtt_mock_stats ms;
	struct gtt_range_stats rs;

	assert_non_null(st);
	st->iters = env ? strtoul(env, NULL, 10) / 2 : 1500;
	pthread_mutex_init(&st->later.lock, NULL);
	st->later.seed = 5;
	if (queue) {
		struct qk *k;

		assert_int_equal(qk_create(VA, ST_PAGES * PAGE, &k, &be), 0);
		st->be = qk_table(k);
	} else {
		assert_int_equal(gtt_mock_create(&mc, &be), 0);
		st->be = be;
	}
	assert_int_equal(gtt_executor_create_pool(2, &pool), 0);
	vc.backend = be;
	vc.executor = pool;
	assert_int_equal(gtt_vm_create(&vc, &st->vm), 0);
	assert_int_equal(pthread_create(&lt, NULL, later_thread, st), 0);
	assert_int_equal(pthread_create(&ct, NULL, checker_thread, st), 0);
	for (unsigned int i = 0; i < ST_THREADS; i++) {
		wk[i] = (struct st_worker){ .st = st, .id = i, .seed = 100 + i };
		assert_int_equal(pthread_create(&t[i], NULL, st_worker_thread, &wk[i]), 0);
	}
	assert_int_equal(pthread_create(&ft, NULL, failer_thread, st), 0);
	for (unsigned int i = 0; i < ST_THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	atomic_store(&st->stop, 1);
	assert_int_equal(pthread_join(ft, NULL), 0);
	assert_int_equal(pthread_join(ct, NULL), 0);
	atomic_store(&st->later.stop, 1);
	assert_int_equal(pthread_join(lt, NULL), 0);

	/* Healthy again, the GPU done, no holds: everything goes. */
	for (unsigned int i = 0; i < ST_THREADS * ST_SLOTS; i++) {
		(void)gtt_vma_unbind(st->vm, st->vma[i], 0, NULL);
		(void)gtt_vma_destroy(st->vm, st->vma[i]);
	}
	assert_int_equal(gtt_vm_wait_idle(st->vm, -1), 0);
	assert_int_equal(gtt_vm_stats(st->vm, &vs), 0);
	assert_int_equal(gtt_vm_stats(st->vm, &vs), 0);
	assert_int_equal(gtt_mock_stats(st->be, &ms), 0);
	assert_int_equal(gtt_range_alloc_stats(gtt_vm_range_alloc(st->vm), &rs), 0);
	print_message("stress: %lu calls, %u objects, %llu evictions, %llu backend errors, %llu failures injected, %lu scans\n",
		      (unsigned long)st->ops, (unsigned int)st->nobj,
		      (unsigned long long)vs.evictions, (unsigned long long)vs.backend_errors,
		      (unsigned long long)ms.failures_injected, (unsigned long)st->checked);
	assert_int_equal(st->violations, 0);
	assert_int_equal(vs.vmas, 0);
	assert_int_equal(rs.nodes, 0);
	assert_true(vs.evictions > 0 && vs.backend_errors > 0);
	if (!queue)
		assert_int_equal(vs.quarantined, 0);
	gtt_vm_destroy(st->vm);
	assert_int_equal(gtt_mock_stats(st->be, &ms), 0);
	assert_int_equal(ms.valid_entries, 0);
	gtt_executor_destroy(pool);
	gtt_backend_destroy(be);
	for (unsigned int i = 0; i < st->nobj; i++)
		if (st->obj[i].freed != 1)
			fail_msg("object %u released %d times", i, (int)st->obj[i].freed);
	assert_int_equal(mem_live(), live);
	pthread_mutex_destroy(&st->later.lock);
	free(st);
}

static void test_stress_with_failures(void **state)
{
	(void)state;
	stress_with_failures(false);
}

static void test_stress_with_failures_queue(void **state)
{
	(void)state;
	stress_with_failures(true);
}

/* The same two over a queue backend (the pretend kernel writing the mock
 * table): every bind and unbind completes later, from the batch's fence. */
static void test_sweep_pipeline_queue(void **state)
{
	const struct script s = { "pipeline (queue)", pipeline, pipeline_pages, 12, 0, true };

	(void)state;
	sweep(&s);
}

static void test_sweep_guards_queue(void **state)
{
	const struct script s = { "guards (queue)", guards, guard_pages, 10,
				  GTT_VM_COLOR_GUARD, true };

	(void)state;
	sweep(&s);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, alarm_setup, alarm_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_sweep_pipeline),
		T(test_sweep_guards),
		T(test_sweep_pipeline_queue),
		T(test_sweep_guards_queue),
		T(test_stress_with_failures),
		T(test_stress_with_failures_queue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
