/* SPDX-License-Identifier: MIT */
/*
 * Bad input leaves state intact, stale handles are rejected, and a
 * realistic scenario survives an allocation failure at every point:
 * clean error, nothing leaked, the vm still usable.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "base/util.h"

#define VA 0x200000ull

struct snapshot {
	struct gtt_vm_stats vm;
	struct gtt_mock_stats mock;
	struct gtt_range_stats ra;
};

static void snap(struct fixture *f, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	gtt_vm_stats(f->vm, &s->vm);
	gtt_mock_stats(f->be, &s->mock);
	gtt_range_alloc_stats(gtt_vm_range_alloc(f->vm), &s->ra);
}

static void assert_unchanged(struct fixture *f, const struct snapshot *before)
{
	struct snapshot now;

	snap(f, &now);
	assert_memory_equal(&now, before, sizeof(now));
}

static void expect(int got, int want)
{
	assert_int_equal(got, want);
	assert_true(gtt_last_error()[0] != '\0');
}

static void test_bad_input_leaves_state(void **state)
{
	struct gtt_bind_info bi = { 0 };
	struct gtt_fence *nul = NULL, *fence = NULL;
	struct gtt_vma_info info;
	struct gtt_binding *held;
	struct snapshot before;
	struct fixture f;
	gtt_vma_t a, bound, out;

	(void)state;
	fixture_init(&f, VA, 64 * PAGE, 0);
	a = make_vma(&f, 0xa0000000, 4, NULL);
	bound = make_vma(&f, 0xb0000000, 1, NULL);
	assert_int_equal(gtt_vma_bind(f.vm, bound, NULL, NULL), 0);
	snap(&f, &before);

	/* NULLs */
	expect(gtt_vma_bind(NULL, a, NULL, NULL), -EINVAL);
	expect(gtt_vma_unbind(NULL, bound, 0, NULL), -EINVAL);
	expect(gtt_vma_create(f.vm, NULL, NULL, &out), -EINVAL);
	expect(gtt_vma_create(NULL, NULL, NULL, &out), -EINVAL);
	expect(gtt_vma_query(f.vm, a, NULL), -EINVAL);
	expect(gtt_vm_lookup(f.vm, VA, NULL, NULL), -EINVAL);
	expect(gtt_vma_hold(f.vm, bound, NULL), -EINVAL);
	expect(gtt_vma_add_active(f.vm, bound, NULL), -EINVAL);
	expect(gtt_vm_stats(NULL, &before.vm), -EINVAL);
	expect(gtt_vm_dump(f.vm, NULL), -EINVAL);
	expect(gtt_vm_create(NULL, NULL), -EINVAL);
	/* Unknown handles */
	expect(gtt_vma_bind(f.vm, 0, NULL, NULL), -ENOENT);
	expect(gtt_vma_bind(f.vm, a + 12345, NULL, NULL), -ENOENT);
	expect(gtt_vma_unbind(f.vm, ~0ull, 0, NULL), -ENOENT);
	expect(gtt_vma_pin(f.vm, 77), -ENOENT);
	/* Misaligned, zero, wrapping and out-of-range placements */
	bi.flags = GTT_BIND_FIXED;
	bi.offset = VA + 1;
	expect(gtt_vma_bind(f.vm, a, &bi, NULL), -EINVAL);
	bi.offset = VA - PAGE;
	expect(gtt_vma_bind(f.vm, a, &bi, NULL), -EINVAL);
	bi.offset = VA + 63 * PAGE;			/* runs past the end */
	expect(gtt_vma_bind(f.vm, a, &bi, NULL), -EINVAL);
	bi.offset = UINT64_MAX - PAGE + 1;		/* wraps */
	expect(gtt_vma_bind(f.vm, a, &bi, NULL), -EINVAL);
	bi.offset = VA;					/* overlaps `bound` */
	expect(gtt_vma_bind(f.vm, a, &bi, NULL), -ENOSPC);
	bi = (struct gtt_bind_info){ .size = 5 * PAGE };	/* more than the pages */
	expect(gtt_vma_bind(f.vm, a, &bi, NULL), -EINVAL);
	bi.size = PAGE + 512;
	expect(gtt_vma_bind(f.vm, a, &bi, NULL), -EINVAL);
	bi = (struct gtt_bind_info){ .alignment = 3 * PAGE };
	expect(gtt_vma_bind(f.vm, a, &bi, NULL), -EINVAL);
	bi = (struct gtt_bind_info){ .range_start = 40 * PAGE + VA, .range_end = 10 * PAGE + VA };
	expect(gtt_vma_bind(f.vm, a, &bi, NULL), -EINVAL);
	bi = (struct gtt_bind_info){ .range_start = VA + 100 * PAGE };
	expect(gtt_vma_bind(f.vm, a, &bi, NULL), -EINVAL);
	bi = (struct gtt_bind_info){ .flags = 1u << 20 };
	expect(gtt_vma_bind(f.vm, a, &bi, NULL), -EINVAL);
	bi = (struct gtt_bind_info){ .num_deps = 1 };
	expect(gtt_vma_bind(f.vm, a, &bi, NULL), -EINVAL);
	bi = (struct gtt_bind_info){ .deps = &nul, .num_deps = 1 };
	expect(gtt_vma_bind(f.vm, a, &bi, NULL), -EINVAL);
	bi = (struct gtt_bind_info){ .color = GTT_COLOR_NONE };
	expect(gtt_vma_bind(f.vm, a, &bi, NULL), -EINVAL);
	/* Double bind, double unbind, unpin of an unpinned vma */
	expect(gtt_vma_bind(f.vm, bound, NULL, NULL), -EBUSY);
	expect(gtt_vma_unbind(f.vm, a, 0, NULL), -ENOENT);
	expect(gtt_vma_unbind(f.vm, bound, 1u << 9, NULL), -EINVAL);
	expect(gtt_vma_unpin(f.vm, bound), -EINVAL);
	expect(gtt_vma_hold(f.vm, a, &held), -ENOENT);
	assert_unchanged(&f, &before);
	assert_int_equal(gtt_vma_query(f.vm, bound, &info), 0);
	assert_true(info.bound);
	assert_true(mock_entry(&f, info.offset).valid);

	/* Use after destroy: the handle is dead, a new vma does not revive it. */
	assert_int_equal(gtt_vma_destroy(f.vm, a), 0);
	expect(gtt_vma_destroy(f.vm, a), -ENOENT);
	expect(gtt_vma_bind(f.vm, a, NULL, NULL), -ENOENT);
	expect(gtt_vma_query(f.vm, a, &info), -ENOENT);
	out = make_vma(&f, 0xc0000000, 1, NULL);
	assert_true(out != a);
	expect(gtt_vma_bind(f.vm, a, NULL, NULL), -ENOENT);
	/* A handle of another vm is unknown here. */
	struct fixture g;

	fixture_init(&g, VA, 64 * PAGE, 0);
	expect(gtt_vma_unbind(g.vm, bound, 0, &fence), -ENOENT);
	assert_null(fence);
	fixture_fini(&g);
	fixture_fini(&f);

	/* Creation-time validation */
	struct gtt_mock_config mc = { .size = 0 };
	struct gtt_backend *be;

	expect(gtt_mock_create(&mc, &be), -EINVAL);
	mc = (struct gtt_mock_config){ .start = UINT64_MAX - PAGE + 1, .size = 2 * PAGE };
	expect(gtt_mock_create(&mc, &be), -EINVAL);
	expect(gtt_backend_create(NULL, NULL, &be), -EINVAL);
	struct gtt_pages_segment seg = { .addr = 0x1000, .length = 0 };
	struct gtt_pages *p;

	expect(gtt_pages_create(&seg, 1, 0, &p), -EINVAL);
	seg = (struct gtt_pages_segment){ .addr = 0x1001, .length = PAGE };
	expect(gtt_pages_create(&seg, 1, 0, &p), -EINVAL);
	seg = (struct gtt_pages_segment){ .addr = UINT64_MAX - PAGE + 1, .length = 2 * PAGE };
	expect(gtt_pages_create(&seg, 1, 0, &p), -EINVAL);
	expect(gtt_pages_create(NULL, 1, 0, &p), -EINVAL);
	seg = (struct gtt_pages_segment){ .addr = 0x1000, .length = PAGE };
	expect(gtt_pages_create(&seg, 1, 0x80, &p), -EINVAL);
}

static void test_pages_addr(void **state)
{
	struct gtt_pages_segment segs[] = {
		{ 0x10000, 2 * PAGE }, { 0x80000, PAGE }, { 0x5000, 3 * PAGE },
	};
	struct gtt_pages *p;
	uint64_t a;

	(void)state;
	assert_int_equal(gtt_pages_create(segs, 3, 0, &p), 0);
	assert_int_equal(gtt_pages_size(p), 6 * PAGE);
	assert_int_equal(gtt_pages_addr(p, 0, &a), 0);
	assert_int_equal(a, 0x10000);
	assert_int_equal(gtt_pages_addr(p, PAGE + 8, &a), 0);
	assert_int_equal(a, 0x11008);
	assert_int_equal(gtt_pages_addr(p, 2 * PAGE, &a), 0);
	assert_int_equal(a, 0x80000);
	assert_int_equal(gtt_pages_addr(p, 5 * PAGE, &a), 0);
	assert_int_equal(a, 0x7000);
	assert_int_equal(gtt_pages_addr(p, 6 * PAGE, &a), -ERANGE);
	gtt_pages_put(p);
}

/* ---- out-of-memory sweep ---- */

struct world {
	struct gtt_backend *be;
	struct gtt_executor *ex;
	struct gtt_vm *vm;
	struct gtt_resv *resv;
	struct gtt_pages *pages[4];
	gtt_vma_t vma[4];
	struct gtt_fence *fences[16];
	unsigned int nfences;
	struct gtt_binding *held;
};

static struct gtt_fence **slot(struct world *w)
{
	assert_true(w->nfences < 16);
	return &w->fences[w->nfences++];
}

#define STEP(call) do { err = (call); if (err) return err; } while (0)

/* A realistic life: async binds with dependencies, GPU work, async unbinds
 * overlapping new binds, holds, merges, eviction, teardown of vmas. */
static int scenario(struct world *w)
{
	struct gtt_mock_config mc = { .start = VA, .size = 16 * PAGE };
	struct gtt_vm_config vc = { .start = VA, .size = 16 * PAGE,
				    .flags = GTT_VM_COLOR_GUARD };
	struct gtt_fence *gpu, *migrate, *merged;
	struct gtt_bind_info bi = { 0 };
	int err;

	STEP(gtt_mock_create(&mc, &w->be));
	STEP(gtt_executor_create_manual(&w->ex));
	vc.backend = w->be;
	vc.executor = w->ex;
	STEP(gtt_vm_create(&vc, &w->vm));
	STEP(gtt_resv_create(&w->resv));
	for (int i = 0; i < 4; i++) {
		struct gtt_pages_segment seg = { 0xa0000000 + i * 0x100000, (i + 2) * PAGE };

		STEP(gtt_pages_create(&seg, 1, 0, &w->pages[i]));
		STEP(gtt_vma_create(w->vm, w->pages[i], i == 0 ? w->resv : NULL,
				    &w->vma[i]));
	}
	STEP(gtt_fence_create(0, 0, slot(w)));
	gpu = w->fences[w->nfences - 1];
	STEP(gtt_fence_create(0, 0, slot(w)));
	migrate = w->fences[w->nfences - 1];

	STEP(gtt_vma_bind(w->vm, w->vma[0], NULL, NULL));
	bi = (struct gtt_bind_info){ .flags = GTT_BIND_ASYNC, .deps = &migrate,
				     .num_deps = 1, .color = 1 };
	STEP(gtt_vma_bind(w->vm, w->vma[1], &bi, slot(w)));
	STEP(gtt_vma_add_active(w->vm, w->vma[0], gpu));
	STEP(gtt_vma_hold(w->vm, w->vma[0], &w->held));
	STEP(gtt_vma_unbind(w->vm, w->vma[0], GTT_UNBIND_ASYNC, slot(w)));
	/* Reuses vma[0]'s range, ordered after its pending unbind. */
	bi = (struct gtt_bind_info){ .flags = GTT_BIND_ASYNC | GTT_BIND_FIXED,
				     .offset = VA, .size = 2 * PAGE };
	STEP(gtt_vma_bind(w->vm, w->vma[2], &bi, slot(w)));
	STEP(gtt_fence_merge(&w->fences[2], w->nfences - 2, slot(w)));
	merged = w->fences[w->nfences - 1];
	(void)merged;
	gtt_fence_signal(migrate, 0);
	gtt_fence_signal(gpu, 0);
	gtt_binding_unhold(w->held);
	w->held = NULL;
	gtt_executor_run_all(w->ex);
	/* Fill the space and make room by eviction. */
	bi = (struct gtt_bind_info){ .flags = GTT_BIND_EVICT, .size = 5 * PAGE };
	STEP(gtt_vma_bind(w->vm, w->vma[3], &bi, NULL));
	STEP(gtt_vma_unbind(w->vm, w->vma[3], GTT_UNBIND_ASYNC, slot(w)));
	STEP(gtt_vma_destroy(w->vm, w->vma[1]));
	w->vma[1] = 0;
	return 0;
}

/* Finish the GPU work the scenario started, as a driver would. */
static void quiesce(struct world *w)
{
	if (w->held)
		gtt_binding_unhold(w->held);
	w->held = NULL;
	for (unsigned int i = 0; i < w->nfences && i < 2; i++)
		if (!gtt_fence_is_signaled(w->fences[i]))
			gtt_fence_signal(w->fences[i], -ECANCELED);
}

static void teardown(struct world *w)
{
	gtt_vm_destroy(w->vm);
	for (unsigned int i = 0; i < w->nfences; i++)
		gtt_fence_put(w->fences[i]);
	for (int i = 0; i < 4; i++)
		gtt_pages_put(w->pages[i]);
	gtt_resv_destroy(w->resv);
	gtt_executor_destroy(w->ex);
	gtt_backend_destroy(w->be);
}

static void test_oom_every_allocation(void **state)
{
	int64_t baseline = mem_live();
	uint64_t n;
	int completed = 0;

	(void)state;
	for (n = 1; n < 10000 && !completed; n++) {
		struct world w = { 0 };
		int err;

		mem_fail_after(n);
		err = scenario(&w);
		if (!mem_fail_fired()) {
			assert_int_equal(err, 0);
			completed = 1;
		} else {
			assert_int_equal(err, -ENOMEM);
		}
		mem_fail_after(0);
		quiesce(&w);
		/* The vm is still usable after the failure. */
		if (w.vm) {
			struct gtt_pages *p = make_pages(0xf0000000, 1, 0);
			gtt_vma_t h;

			assert_int_equal(gtt_vma_create(w.vm, p, NULL, &h), 0);
			gtt_pages_put(p);
			gtt_executor_run_all(w.ex);
			assert_int_equal(gtt_vma_bind(w.vm, h, NULL, NULL), 0);
			assert_int_equal(gtt_vma_unbind(w.vm, h, 0, NULL), 0);
		}
		teardown(&w);
		assert_int_equal(mem_live(), baseline);
	}
	assert_true(completed);
	print_message("OOM sweep: scenario completed after %llu injection points\n",
		      (unsigned long long)(n - 1));
	assert_true(n > 20);	/* the scenario really allocates */
}

/* A mock with 64 KiB pages refuses pages that are not 64 KiB granular. */
static void test_mock_large_pages(void **state)
{
	struct gtt_mock_config mc = { .start = 0, .size = 1 << 30, .page_size = 1 << 16 };
	struct gtt_vm_config vc = { .start = 0, .size = 1 << 30, .page_size = 1 << 16 };
	struct gtt_pages_segment small[32], big[2] = { { 0x100000000ull, 1 << 16 },
						       { 0x200000000ull, 1 << 16 } };
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = 1 << 20 };
	struct gtt_mock_entry e;
	struct gtt_backend *be;
	struct gtt_pages *p;
	struct gtt_vm *vm;
	gtt_vma_t h;

	(void)state;
	for (int i = 0; i < 32; i++)		/* 128 KiB in scattered 4 KiB pages */
		small[i] = (struct gtt_pages_segment){ 0x100000000ull + (uint64_t)i * 0x100000, PAGE };
	assert_int_equal(gtt_mock_create(&mc, &be), 0);
	vc.backend = be;
	assert_int_equal(gtt_vm_create(&vc, &vm), 0);
	assert_int_equal(gtt_pages_create(small, 32, 0, &p), 0);
	assert_int_equal(gtt_vma_create(vm, p, NULL, &h), 0);
	gtt_pages_put(p);
	assert_int_equal(gtt_vma_bind(vm, h, &at, NULL), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "whole 0x10000-byte pages"));
	assert_int_equal(gtt_mock_read(be, 1 << 20, &e), 0);
	assert_false(e.valid);				/* nothing written */
	assert_int_equal(gtt_vma_destroy(vm, h), 0);
	/* Whole 64 KiB pages: each entry maps its own. */
	assert_int_equal(gtt_pages_create(big, 2, 0, &p), 0);
	assert_int_equal(gtt_vma_create(vm, p, NULL, &h), 0);
	gtt_pages_put(p);
	assert_int_equal(gtt_vma_bind(vm, h, &at, NULL), 0);
	assert_int_equal(gtt_mock_read(be, (1 << 20) + (1 << 16), &e), 0);
	assert_true(e.valid && e.addr == 0x200000000ull);
	gtt_vm_destroy(vm);
	gtt_backend_destroy(be);
}

/* One allocation in a new thread; with @arg, also frees what @arg points to. */
static void *alloc_in_thread(void *arg)
{
	void *p = mem_alloc(16);

	if (arg)
		mem_free(*(void **)arg);
	return p;
}

/*
 * The live count is kept per thread in shards (lib/base/util.c): more
 * threads than shards, memory freed by a thread that did not allocate it,
 * and an injected failure counted down by another thread, and mem_live()
 * still gives the process's exact count.  Fails if mem_live() leaves out
 * any shard (e.g. reads only its own thread's), or if the countdown were
 * made per thread.
 */
static void test_live_count_across_threads(void **state)
{
	enum { N = 70 };	/* more than the 64 shards */
	int64_t base = mem_live();
	void *got[N], *mine;
	pthread_t t;

	(void)state;
	for (int i = 0; i < N; i++) {
		assert_int_equal(pthread_create(&t, NULL, alloc_in_thread, NULL), 0);
		assert_int_equal(pthread_join(t, &got[i]), 0);
		assert_non_null(got[i]);
		assert_int_equal(mem_live(), base + i + 1);
	}
	/* Freed here, allocated there (and the other way round). */
	for (int i = 0; i < N; i++)
		mem_free(got[i]);
	assert_int_equal(mem_live(), base);
	mine = mem_alloc(16);
	assert_non_null(mine);
	assert_int_equal(pthread_create(&t, NULL, alloc_in_thread, &mine), 0);
	assert_int_equal(pthread_join(t, &got[0]), 0);
	assert_int_equal(mem_live(), base + 1);
	mem_free(got[0]);
	assert_int_equal(mem_live(), base);
	/* A failure set here fires in the next allocation, whoever makes it. */
	mem_fail_after(1);
	assert_int_equal(pthread_create(&t, NULL, alloc_in_thread, NULL), 0);
	assert_int_equal(pthread_join(t, &got[0]), 0);
	assert_null(got[0]);
	assert_true(mem_fail_fired());
	mem_fail_after(0);
	assert_int_equal(mem_live(), base);
}

/* gtt_strerror names an errno's general meaning: an -ENOENT or -EAGAIN
 * that came from the kernel is not relabelled as a vm state. */
static void test_strerror_keeps_errno_meaning(void **state)
{
	(void)state;
	assert_null(strstr(gtt_strerror(-ENOENT), "bound"));
	assert_null(strstr(gtt_strerror(-EAGAIN), "pin"));
	assert_null(strstr(gtt_strerror(-ENOSPC), "address space"));
	assert_string_equal(gtt_strerror(-ENOENT), gtt_strerror(ENOENT));
	for (int e = 1; e < 134; e++)
		assert_non_null(gtt_strerror(-e));
}

static int noop_bind(void *priv, uint64_t start, uint64_t size,
		     const struct gtt_pages *pages, uint64_t off, uint32_t flags)
{
	(void)priv; (void)start; (void)size; (void)pages; (void)off; (void)flags;
	return 0;
}

static int noop_clear(void *priv, uint64_t start, uint64_t size)
{
	(void)priv; (void)start; (void)size;
	return 0;
}

static int noop_invalidate(void *priv)
{
	(void)priv;
	return 0;
}

static void noop_op(void)
{
}

/* The ABI rule of gtt/common.h: non-zero reserved words are refused by
 * every call that takes a caller-filled struct, and outputs come back with
 * them zeroed. */
static void test_reserved_fields_rejected(void **state)
{
	struct gtt_mock_config mc = { .start = 0, .size = 1 << 20, .scratch_addr = 0xdead000 };
	struct gtt_vm_config vc = { .start = 0, .size = 1 << 20 };
	struct gtt_backend_ops ops = { .bind = noop_bind, .clear = noop_clear,
				       .invalidate = noop_invalidate };
	struct gtt_fence_ops fops = { .name = "t" };
	struct gtt_range_request req = { .size = 4096 };
	struct gtt_range_alloc *ra;
	struct gtt_range_node *node;
	struct gtt_range_stats rs;
	struct gtt_bind_info bi = { 0 };
	struct gtt_vma_info vi;
	struct gtt_backend *be, *be2;
	struct gtt_fence *fence;
	struct gtt_vm *vm;
	struct gtt_pages *p = make_pages(0xa0000000, 1, 0);
	gtt_vma_t h;

	(void)state;
	mc.reserved[3] = 1;
	assert_int_equal(gtt_mock_create(&mc, &be), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "reserved"));
	mc.reserved[3] = 0;
	assert_int_equal(gtt_mock_create(&mc, &be), 0);
	vc.backend = be;
	vc.reserved[0] = 2;
	assert_int_equal(gtt_vm_create(&vc, &vm), -EINVAL);
	vc.reserved[0] = 0;
	assert_int_equal(gtt_vm_create(&vc, &vm), 0);
	assert_int_equal(gtt_vma_create(vm, p, NULL, &h), 0);
	bi.reserved[6] = 1;
	assert_int_equal(gtt_vma_bind(vm, h, &bi, NULL), -EINVAL);
	memset(&vi, 0xff, sizeof(vi));
	assert_int_equal(gtt_vma_query(vm, h, &vi), 0);
	assert_false(vi.bound);
	assert_true(reserved_zero(vi.reserved, sizeof(vi.reserved)));
	bi.reserved[6] = 0;
	assert_int_equal(gtt_vma_bind(vm, h, &bi, NULL), 0);

	ops.reserved[0] = noop_op;
	assert_int_equal(gtt_backend_create(&ops, NULL, &be2), -EINVAL);
	ops.reserved[0] = NULL;
	assert_int_equal(gtt_backend_create(&ops, NULL, &be2), 0);
	gtt_backend_destroy(be2);
	fops.reserved[1] = noop_op;
	assert_int_equal(gtt_fence_create_custom(&fops, NULL, 0, 0, &fence), -EINVAL);

	assert_int_equal(gtt_range_alloc_create(0, 1 << 20, 0, 0, &ra), 0);
	req.reserved[2] = 1;
	assert_int_equal(gtt_range_insert(ra, &req, NULL, &node), -EINVAL);
	memset(&rs, 0xff, sizeof(rs));
	assert_int_equal(gtt_range_alloc_stats(ra, &rs), 0);
	assert_int_equal(rs.nodes, 0);
	assert_true(reserved_zero(rs.reserved, sizeof(rs.reserved)));
	gtt_range_alloc_destroy(ra);
#ifdef GTT_HAVE_PCIACCESS
	{
		struct gtt_pci_match m = { .vendor_id = GTT_PCI_ANY, .reserved = { 1 } };
		size_t count;

		assert_int_equal(gtt_pci_list(&m, NULL, 0, &count), -EINVAL);
	}
#endif
	{
		struct gtt_vfio_config cfg = { .bdf = "0000:00:02.0", .reserved = { 0, 1 } };
		struct gtt_backend *vb;
		int err = gtt_vfio_create(&cfg, &vb);

		/* -EOPNOTSUPP when built without VFIO. */
		assert_true(err == -EINVAL || err == -EOPNOTSUPP);
	}
	gtt_pages_put(p);
	gtt_vm_destroy(vm);
	gtt_backend_destroy(be);
}

/* A message passed on from an earlier gtt_last_error() (as the replay and
 * the bind path do) names its error once, not once per wrapping. */
static void test_error_name_not_repeated(void **state)
{
	char why[256];
	const char *e;

	(void)state;
	assert_int_equal(set_error(-EBADMSG, "trace line %d: bad", 3), -EBADMSG);
	snprintf(why, sizeof(why), "%s", gtt_last_error());
	assert_int_equal(set_error(-EBADMSG, "%s", why), -EBADMSG);
	e = gtt_last_error();
	assert_non_null(strstr(e, gtt_strerror(-EBADMSG)));
	assert_null(strstr(strstr(e, gtt_strerror(-EBADMSG)) + 1,
			   gtt_strerror(-EBADMSG)));
	/* Another error's name is still added after the first. */
	assert_int_equal(set_error(-ENOMEM, "%s", why), -ENOMEM);
	assert_non_null(strstr(gtt_last_error(), gtt_strerror(-EBADMSG)));
	assert_non_null(strstr(gtt_last_error(), gtt_strerror(-ENOMEM)));
	/* A message shorter than the name is left alone. */
	assert_int_equal(set_error(-EINVAL, ")"), -EINVAL);
	assert_string_equal(gtt_last_error(), ") (invalid argument)");
}

/*
 * A range allocator may end at 2^64 (gtt/range_alloc.h); a vm may not: it
 * is refused with a message, as is one past 2^64, and nothing is leaked
 * (ASan).  Just below 2^64 is fine.
 */
static void test_vm_ending_at_2_64_refused(void **state)
{
	struct gtt_mock_config mc = { .start = 0, .size = 1 << 20, .scratch_addr = 0xdead000 };
	struct gtt_vm_config vc = { .start = 0 - (1ull << 24), .size = 1 << 24 };
	struct gtt_backend *be;
	struct gtt_vm *vm = NULL;

	(void)state;
	assert_int_equal(gtt_mock_create(&mc, &be), 0);
	vc.backend = be;
	assert_int_equal(gtt_vm_create(&vc, &vm), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "below 2^64"));
	vc.size += 4096;
	assert_int_equal(gtt_vm_create(&vc, &vm), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "below 2^64"));
	assert_null(vm);
	vc.size -= 2 * 4096;
	assert_int_equal(gtt_vm_create(&vc, &vm), 0);
	gtt_vm_destroy(vm);
	gtt_backend_destroy(be);
}

/*
 * The generic mock's own failures say what failed: a bind or clear outside
 * its table (a vm larger than the table it was given) and a page-table leaf
 * it could not allocate.  Each leaves the vma unbound and the table as it was.
 */
static void test_mock_errors_have_messages(void **state)
{
	struct gtt_mock_config mc = { .start = VA, .size = 16 * PAGE,
				      .scratch_addr = 0xdead000 };
	struct gtt_vm_config vc = { .name = "wide", .start = VA, .size = 64 * PAGE };
	struct gtt_bind_info far = { .flags = GTT_BIND_FIXED, .offset = VA + 32 * PAGE };
	struct gtt_bind_info near = { .flags = GTT_BIND_FIXED, .offset = VA + 2 * PAGE };
	struct gtt_vma_info info;
	struct gtt_mock_stats ms;
	struct fixture f;
	bool seen = false;
	gtt_vma_t v;
	int err = 0;

	(void)state;
	assert_int_equal(gtt_mock_create(&mc, &f.be), 0);
	assert_int_equal(gtt_executor_create_manual(&f.ex), 0);
	vc.backend = f.be;
	vc.executor = f.ex;
	assert_int_equal(gtt_vm_create(&vc, &f.vm), 0);
	v = make_vma(&f, 0xa0000000, 1, NULL);
	assert_int_equal(gtt_vma_bind(f.vm, v, &far, NULL), -ERANGE);
	assert_non_null(strstr(gtt_last_error(), "outside the table"));
	assert_int_equal(gtt_vma_query(f.vm, v, &info), 0);
	assert_false(info.bound);
	gtt_mock_stats(f.be, &ms);
	assert_int_equal(ms.valid_entries, 0);
	/* A leaf that cannot be allocated: some allocation index is the mock's. */
	for (uint64_t k = 1; k < 64; k++) {
		mem_fail_after(k);
		err = gtt_vma_bind(f.vm, v, &near, NULL);
		mem_fail_after(0);
		if (!err)
			break;
		assert_int_equal(err, -ENOMEM);
		assert_true(gtt_last_error()[0] != '\0');
		seen |= strstr(gtt_last_error(), "page-table leaf") != NULL;
		assert_int_equal(gtt_vma_query(f.vm, v, &info), 0);
		assert_false(info.bound);
		gtt_mock_stats(f.be, &ms);
		assert_int_equal(ms.valid_entries, 0);
	}
	assert_int_equal(err, 0);
	assert_true(seen);		/* the leaf's own message was among them */
	fixture_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_input_leaves_state),
		cmocka_unit_test(test_pages_addr),
		cmocka_unit_test(test_mock_large_pages),
		cmocka_unit_test(test_oom_every_allocation),
		cmocka_unit_test(test_strerror_keeps_errno_meaning),
		cmocka_unit_test(test_error_name_not_repeated),
		cmocka_unit_test(test_live_count_across_threads),
		cmocka_unit_test(test_reserved_fields_rejected),
		cmocka_unit_test(test_vm_ending_at_2_64_refused),
		cmocka_unit_test(test_mock_errors_have_messages),
	};

	return cmocka_run_group_tests_name("robustness", tests, NULL, NULL);
}
