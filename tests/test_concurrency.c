/* SPDX-License-Identifier: MIT */
/*
 * Multi-threaded stress: binder threads bind, use, and unbind their own
 * vmas in one shared vm (so ranges are constantly reused while unbinds are
 * pending), a simulated GPU thread signals their work fences late, a pool
 * executor runs the deferred halves, and a reader looks addresses up.
 *
 * The ordering check: after a vma's bind has completed and while it is
 * still bound, every one of its PTEs must map its own pages.  A clear from
 * an earlier, overlapping unbind that ran after our write would break it.
 *
 * Iterations: GTT_STRESS_ITERS (default 3000 per binder).  Run under TSan
 * in CI.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

#define VA 0x1000000ull
#define VM_PAGES 96
#define BINDERS 4
#define VMAS_PER_BINDER 8

/* ---- simulated GPU: signals queued fences a little later ---- */

struct gpu {
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct gtt_fence *queue[4096];
	unsigned int head, tail;
	bool stop;
	uint64_t seed;
};

static void gpu_submit(struct gpu *g, struct gtt_fence *f)
{
	pthread_mutex_lock(&g->lock);
	while (g->tail - g->head == 4096) {
		pthread_mutex_unlock(&g->lock);
		usleep(50);
		pthread_mutex_lock(&g->lock);
	}
	g->queue[g->tail++ % 4096] = gtt_fence_get(f);
	pthread_cond_signal(&g->more);
	pthread_mutex_unlock(&g->lock);
}

static void *gpu_thread(void *arg)
{
	struct gpu *g = arg;

	pthread_mutex_lock(&g->lock);
	for (;;) {
		while (g->head == g->tail && !g->stop)
			pthread_cond_wait(&g->more, &g->lock);
		if (g->head == g->tail)
			break;
		struct gtt_fence *f = g->queue[g->head++ % 4096];
		unsigned int delay = (unsigned int)rng_below(&g->seed, 3);

		pthread_mutex_unlock(&g->lock);
		if (delay)
			usleep(delay * 20);
		gtt_fence_signal(f, 0);
		gtt_fence_put(f);
		pthread_mutex_lock(&g->lock);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

/* ---- binders ---- */

struct shared {
	struct gtt_vm *vm;
	/* GTT_EVICT_ROSTER: every binder's vmas, for the roster. */
	_Atomic gtt_vma_t roster[BINDERS * VMAS_PER_BINDER];
	uint64_t pages;		/* of the vm */
	struct gtt_backend *be;
	struct gpu *gpu;
	unsigned long iters;
	_Atomic int stop_readers;
	_Atomic unsigned long violations;
	_Atomic unsigned long binds, unbinds, holds, checks;
};

struct binder {
	struct shared *sh;
	unsigned int id;
	uint64_t seed;
	gtt_vma_t vma[VMAS_PER_BINDER];
	uint64_t base[VMAS_PER_BINDER];
	uint64_t npages[VMAS_PER_BINDER];
	bool bound[VMAS_PER_BINDER];
};

static void check_mapping(struct binder *b, int i)
{
	struct gtt_vma_info info;

	assert_int_equal(gtt_vma_query(b->sh->vm, b->vma[i], &info), 0);
	assert_true(info.bound);
	for (uint64_t p = 0; p < b->npages[i]; p++) {
		struct gtt_mock_entry e;

		gtt_mock_read(b->sh->be, info.offset + p * PAGE, &e);
		if (!e.valid || e.addr != b->base[i] + p * PAGE)
			b->sh->violations++;
	}
}

static void *binder_thread(void *arg)
{
	struct binder *b = arg;
	struct shared *sh = b->sh;

	for (int i = 0; i < VMAS_PER_BINDER; i++) {
		b->npages[i] = 1 + rng_below(&b->seed, 6);
		b->base[i] = ((uint64_t)(b->id + 1) << 32) + (uint64_t)i * 0x1000000;
		struct gtt_pages *p = make_pages(b->base[i], b->npages[i], 0);

		assert_int_equal(gtt_vma_create(sh->vm, p, NULL, &b->vma[i]), 0);
		gtt_pages_put(p);
		sh->roster[b->id * VMAS_PER_BINDER + (unsigned int)i] = b->vma[i];
	}
	for (unsigned long it = 0; it < sh->iters; it++) {
		int i = (int)rng_below(&b->seed, VMAS_PER_BINDER);
		int err;

		if (!b->bound[i]) {
			struct gtt_bind_info bi = {
				.placement = (enum gtt_placement)rng_below(&b->seed, 3),
				.flags = GTT_BIND_EVICT,
			};
			struct gtt_fence *bf = NULL;

			if (rng_below(&b->seed, 2))
				bi.flags |= GTT_BIND_ASYNC;
			err = gtt_vma_bind(sh->vm, b->vma[i], &bi, &bf);
			if (err == -ENOSPC)
				continue;	/* everything else pinned/busy */
			assert_int_equal(err, 0);
			b->bound[i] = true;
			sh->binds++;
			assert_int_equal(gtt_fence_wait(bf, -1), 0);
			assert_int_equal(gtt_fence_status(bf), 1);
			gtt_fence_put(bf);
			/* Other binders may have evicted us since; a pin stops that. */
			if (gtt_vma_pin(sh->vm, b->vma[i]) == 0) {
				struct gtt_binding *h;

				check_mapping(b, i);
				sh->checks++;
				if (gtt_vma_hold(sh->vm, b->vma[i], &h) == 0) {
					gtt_binding_unhold(h);
					sh->holds++;
				}
				assert_int_equal(gtt_vma_unpin(sh->vm, b->vma[i]), 0);
			}
		} else {
			struct gtt_fence *gpu, *uf = NULL;

			/* Some GPU work on it, then unbind (async or sync). */
			assert_int_equal(gtt_fence_create(0, 0, &gpu), 0);
			err = gtt_vma_add_active(sh->vm, b->vma[i], gpu);
			if (!err)
				gpu_submit(sh->gpu, gpu);
			else
				gtt_fence_signal(gpu, 0);	/* evicted meanwhile */
			gtt_fence_put(gpu);
			err = gtt_vma_unbind(sh->vm, b->vma[i],
					     rng_below(&b->seed, 4) ? GTT_UNBIND_ASYNC : 0,
					     &uf);
			assert_true(err == 0 || err == -ENOENT);
			b->bound[i] = false;
			if (!err) {
				sh->unbinds++;
				gtt_fence_put(uf);
			}
		}
	}
	for (int i = 0; i < VMAS_PER_BINDER; i++)
		assert_int_equal(gtt_vma_destroy(sh->vm, b->vma[i]), 0);
	return NULL;
}

static void *reader_thread(void *arg)
{
	struct shared *sh = arg;
	uint64_t seed = 99;

	while (!sh->stop_readers) {
		gtt_vma_t h;
		uint64_t off;

		gtt_vm_lookup(sh->vm, VA + rng_below(&seed, sh->pages) * PAGE, &h, &off);
	}
	return NULL;
}

/* The roster: every binder's vmas, from a place that moves on by 7 at
 * each eviction (unknown, destroyed and unbound handles are skipped). */
static int stress_roster(void *arg, const struct gtt_range_request *req,
			 uint64_t *cursor, gtt_vma_t *vmas, unsigned int max)
{
	struct shared *sh = arg;
	static _Atomic unsigned int from;
	unsigned int n = 0;

	(void)req;
	if (!*cursor)
		*cursor = 1 + (from += 7) % (BINDERS * VMAS_PER_BINDER);
	for (; *cursor <= BINDERS * VMAS_PER_BINDER * 2 && n < max; (*cursor)++)
		vmas[n++] = sh->roster[(*cursor - 1) % (BINDERS * VMAS_PER_BINDER)];
	return (int)n;
}

static void run_stress_in(unsigned int mock_mode, enum gtt_evict_order order,
			  uint64_t pages, bool rcu)
{
	struct gtt_mock_config mc = { .start = VA, .size = pages * PAGE };
	struct gtt_vm_config vc = { .start = VA, .size = pages * PAGE,
				    .flags = GTT_VM_COLOR_GUARD, .evict_order = order };
	struct gpu g = { .seed = 7 };
	struct shared sh = { 0 };
	struct binder b[BINDERS];
	pthread_t gt, rt, bt[BINDERS];
	struct gtt_executor *pool;
	struct gtt_mock_stats ms;
	struct gtt_vm_stats st;
	const char *env = getenv("GTT_STRESS_ITERS");

	if (mock_mode == GTT_MOCK_INTEL_PPGTT)	/* a TGL PPGTT under the same vm */
		mc = (struct gtt_mock_config){ .size = 1ull << 48, .mode = mock_mode,
					       .intel_family = GTT_INTEL_TGL };
	sh.iters = env ? strtoul(env, NULL, 10) : 3000;
	pthread_mutex_init(&g.lock, NULL);
	pthread_cond_init(&g.more, NULL);
	assert_int_equal(gtt_mock_create(&mc, &sh.be), 0);
	assert_int_equal(gtt_executor_create_pool(2, &pool), 0);
	vc.backend = sh.be;
	vc.executor = pool;
	sh.pages = pages;
	if (order == GTT_EVICT_ROSTER) {
		vc.evict_roster = stress_roster;
		vc.evict_roster_arg = &sh;
	}
	/* Lock-free readers where the library has them. */
	vc.flags |= rcu ? GTT_VM_RCU_READERS : 0;
	if (gtt_vm_create(&vc, &sh.vm) == -EOPNOTSUPP && rcu) {
		vc.flags &= ~(unsigned int)GTT_VM_RCU_READERS;
		assert_int_equal(gtt_vm_create(&vc, &sh.vm), 0);
	}
	assert_non_null(sh.vm);
	sh.gpu = &g;
	pthread_create(&gt, NULL, gpu_thread, &g);
	pthread_create(&rt, NULL, reader_thread, &sh);
	for (unsigned int i = 0; i < BINDERS; i++) {
		memset(&b[i], 0, sizeof(b[i]));
		b[i].sh = &sh;
		b[i].id = i;
		b[i].seed = 1000 + i;
		pthread_create(&bt[i], NULL, binder_thread, &b[i]);
	}
	for (unsigned int i = 0; i < BINDERS; i++)
		pthread_join(bt[i], NULL);
	sh.stop_readers = 1;
	pthread_join(rt, NULL);
	pthread_mutex_lock(&g.lock);
	g.stop = true;
	pthread_cond_signal(&g.more);
	pthread_mutex_unlock(&g.lock);
	pthread_join(gt, NULL);

	assert_int_equal(gtt_vm_wait_idle(sh.vm, -1), 0);
	gtt_vm_stats(sh.vm, &st);
	gtt_mock_stats(sh.be, &ms);
	print_message("stress: %lu binds (%llu deferred, %llu after a pending unbind), "
		      "%lu unbinds (%llu deferred), %llu evictions, %lu mappings checked\n",
		      (unsigned long)sh.binds, (unsigned long long)st.binds_deferred,
		      (unsigned long long)st.bind_waits_on_unbind,
		      (unsigned long)sh.unbinds, (unsigned long long)st.unbinds_deferred,
		      (unsigned long long)st.evictions, (unsigned long)sh.checks);
	assert_int_equal(sh.violations, 0);
	assert_int_equal(st.vmas, 0);
	assert_int_equal(st.bound, 0);
	assert_int_equal(st.pending_unbinds, 0);
	assert_int_equal(ms.valid_entries, 0);		/* everything scrubbed */
	assert_int_equal(ms.tables, 0);			/* every table freed */
	assert_true(st.bind_waits_on_unbind > 0);	/* the race was exercised */
	assert_true(st.evictions > 0);
	assert_true(sh.checks > 0);
	gtt_vm_destroy(sh.vm);
	gtt_executor_destroy(pool);
	gtt_backend_destroy(sh.be);
	pthread_cond_destroy(&g.more);
	pthread_mutex_destroy(&g.lock);
}

static void run_stress(unsigned int mock_mode)
{
	run_stress_in(mock_mode, GTT_EVICT_FEWEST, VM_PAGES, false);
}

static void test_stress(void **state)
{
	(void)state;
	run_stress(GTT_MOCK_GENERIC);
}

static void test_stress_intel_ppgtt(void **state)
{
	(void)state;
	run_stress(GTT_MOCK_INTEL_PPGTT);
}

/*
 * The same in the LRU and ROSTER orders, in a vm a third smaller (so that
 * binds evict often) with lock-free readers: the ordered scans (each on
 * its binder's stack, marking the nodes that the readers walk past), the
 * LRU list moved by other binders' active fences, and the roster called
 * under the vm lock, all while other threads bind, unbind and finish
 * work.  The same checks: every completed bind maps its own pages while
 * pinned, and everything is scrubbed and freed at the end (TSan: no
 * race).
 */
static void test_stress_ordered(void **state)
{
	(void)state;
	run_stress_in(GTT_MOCK_GENERIC, GTT_EVICT_LRU, 64, true);
	run_stress_in(GTT_MOCK_INTEL_PPGTT, GTT_EVICT_ROSTER, 64, true);
}

/*
 * gtt_backend_translate() is safe against concurrent binds and clears
 * (gtt/backend.h), also for the page-table runs long enough for the
 * 32-byte run loop (intel/intel_pt_wide.c, where the CPU has AVX2, and
 * the 16-byte loop otherwise): on a TGL PPGTT mock the main thread binds
 * and unbinds, in turn, two vmas of 600 contiguous pages (not 64 KiB
 * aligned: 4 KiB entries) at one place 37 pages below a page table's
 * end, while two readers translate random pages of that range: each
 * answer is 0 and a page is either scratch or the page of one of the two
 * vmas at that offset (a torn or half-written entry would be neither), and
 * the readers see both (400 rounds, more until they have).  No defect
 * found: the PPGTT's edits and its translate hold pp->lock.  Fails under
 * TSan if the entries were written outside it (checked: run_edit()
 * dropping pp->lock around its write pass: the readers' table walks race
 * with the bind's stores; test_stress_intel_ppgtt sees the used counts
 * race too).
 */
#define RUN_PAGES 600ull

struct run_reader {
	struct gtt_backend *be;
	uint64_t va, a, b, seed;
	_Atomic bool *stop;
	_Atomic unsigned long seen_a, seen_b;
	unsigned long wrong, errors;
};

static void *run_reader_thread(void *arg)
{
	struct run_reader *r = arg;

	while (!*r->stop) {
		uint64_t p = rng_below(&r->seed, RUN_PAGES);
		struct gtt_translation t;

		if (gtt_backend_translate(r->be, r->va + p * PAGE, &t)) {
			r->errors++;
			continue;
		}
		if (t.present && t.scratch)
			continue;
		if (t.present && t.addr == r->a + p * PAGE)
			r->seen_a++;
		else if (t.present && t.addr == r->b + p * PAGE)
			r->seen_b++;
		else
			r->wrong++;
	}
	return NULL;
}

static void test_translate_during_long_binds(void **state)
{
	struct gtt_mock_config mc = { .size = 1ull << 48, .mode = GTT_MOCK_INTEL_PPGTT,
				      .intel_family = GTT_INTEL_TGL, .scratch_addr = 0xdead000 };
	const uint64_t a = 0x100001000ull, b = 0x200003000ull, va = 0x40000000ull - 37 * PAGE;
	struct gtt_vm_config vc = { .start = va, .size = RUN_PAGES * PAGE };
	struct gtt_bind_info bi = { .flags = GTT_BIND_FIXED, .offset = va };
	struct run_reader r[2];
	_Atomic bool stop = false;
	struct gtt_backend *be;
	struct gtt_vm *vm;
	pthread_t t[2];
	gtt_vma_t v[2];

	(void)state;
	assert_int_equal(gtt_mock_create(&mc, &be), 0);
	vc.backend = be;
	assert_int_equal(gtt_vm_create(&vc, &vm), 0);
	for (int k = 0; k < 2; k++) {
		struct gtt_pages *p = make_pages(k ? b : a, RUN_PAGES, 0);

		assert_int_equal(gtt_vma_create(vm, p, NULL, &v[k]), 0);
		gtt_pages_put(p);
		r[k] = (struct run_reader){ .be = be, .va = va, .a = a, .b = b,
					    .seed = 5 + (uint64_t)k, .stop = &stop };
		assert_int_equal(pthread_create(&t[k], NULL, run_reader_thread, &r[k]), 0);
	}
	/* 400 rounds, and more until both vmas were seen (a loaded machine). */
	for (int it = 0; it < 400 || ((!(r[0].seen_a + r[1].seen_a) ||
				       !(r[0].seen_b + r[1].seen_b)) && it < 200000); it++) {
		assert_int_equal(gtt_vma_bind(vm, v[it % 2], &bi, NULL), 0);
		assert_int_equal(gtt_vma_unbind(vm, v[it % 2], 0, NULL), 0);
	}
	stop = true;
	for (int k = 0; k < 2; k++) {
		assert_int_equal(pthread_join(t[k], NULL), 0);
		assert_int_equal(r[k].errors, 0);
		assert_int_equal(r[k].wrong, 0);
	}
	print_message("translations during binds: %lu of a, %lu of b\n",
		      (unsigned long)(r[0].seen_a + r[1].seen_a),
		      (unsigned long)(r[0].seen_b + r[1].seen_b));
	assert_true(r[0].seen_a + r[1].seen_a > 0 && r[0].seen_b + r[1].seen_b > 0);
	for (int k = 0; k < 2; k++)
		assert_int_equal(gtt_vma_destroy(vm, v[k]), 0);
	gtt_vm_destroy(vm);
	gtt_backend_destroy(be);
}

/* Fences: many waiters and callbacks racing one signaller. */
struct racer { struct gtt_fence *f; struct gtt_fence_cb cb; _Atomic int *hits; };

static void hit(struct gtt_fence *f, struct gtt_fence_cb *cb)
{
	(void)f;
	(*((struct racer *)((char *)cb - offsetof(struct racer, cb)))->hits)++;
}

static void *wait_and_add(void *arg)
{
	struct racer *r = arg;

	if (gtt_fence_add_callback(r->f, &r->cb, hit) == -ENOENT)
		(*r->hits)++;
	assert_int_equal(gtt_fence_wait(r->f, -1), 0);
	return NULL;
}

static void test_fence_races(void **state)
{
	(void)state;
	for (int round = 0; round < 200; round++) {
		_Atomic int hits = 0;
		struct racer r[6];
		pthread_t t[6];
		struct gtt_fence *f;

		gtt_fence_create(0, 0, &f);
		for (int i = 0; i < 6; i++) {
			r[i] = (struct racer){ .f = f, .hits = &hits };
			pthread_create(&t[i], NULL, wait_and_add, &r[i]);
		}
		gtt_fence_signal(f, 0);
		for (int i = 0; i < 6; i++)
			pthread_join(t[i], NULL);
		assert_int_equal(hits, 6);	/* each exactly once */
		gtt_fence_put(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fence_races),
		cmocka_unit_test(test_stress),
		cmocka_unit_test(test_stress_intel_ppgtt),
		cmocka_unit_test(test_stress_ordered),
		cmocka_unit_test(test_translate_during_long_binds),
	};

	return cmocka_run_group_tests_name("concurrency", tests, NULL, NULL);
}
