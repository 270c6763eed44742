/* SPDX-License-Identifier: MIT */
/*
 * A gtt_vm over the xe backend over the fake xe kernel
 * (tests/support/fake_xe.c): binds of GEM-object and user-memory pages,
 * unbinds, sparse vmas with maps, NULL maps, unmaps and batches — each
 * checked in the fake's page table, which is what the GPU would see — and
 * dependencies the kernel waits for itself reaching it as in-syncs.
 */
#include <errno.h>
#include <string.h>

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "helpers.h"
#include "backends/xe/xe_internal.h"
#include "sync/fence_internal.h"
#include "support/fake_xe.h"

#define S 1000000000ll
#define VA0 0x100000ull
#define VA_SIZE (256ull << 20)

struct xv {
	struct fake_xe f;
	struct xe_sys sys;
	struct gtt_watcher *w;
	struct gtt_backend *be;
	struct gtt_executor *ex;
	struct gtt_vm *vm;
	uint32_t vm_id;
};

static void xv_init(struct xv *t, const struct fake_xe_platform *plat)
{
	struct gtt_vm_config vc = { .name = "xe", .start = VA0, .size = VA_SIZE };
	struct gtt_xe_info info;

	fake_xe_init(&t->f, plat);
	fake_xe_start_thread(&t->f);	/* imported dependencies are polled */
	t->sys = fake_xe_sys(&t->f);
	assert_int_equal(gtt_watcher_create(&t->w), 0);
	assert_int_equal(xe_backend_create(FAKE_XE_FD, NULL, t->w, &t->sys, &t->be), 0);
	assert_int_equal(gtt_xe_info(t->be, &info), 0);
	t->vm_id = info.vm_id;
	assert_int_equal(gtt_executor_create_manual(&t->ex), 0);
	vc.backend = t->be;
	vc.executor = t->ex;
	assert_int_equal(gtt_vm_create(&vc, &t->vm), 0);
}

static void xv_fini(struct xv *t)
{
	gtt_executor_run_all(t->ex);
	gtt_vm_destroy(t->vm);
	gtt_executor_destroy(t->ex);
	gtt_backend_destroy(t->be);
	if (t->f.refusals)
		fail_msg("the fake refused a call: %s (%s)", fake_xe_rule_name(t->f.last_rule),
			 fake_xe_rule_source(t->f.last_rule));
	assert_int_equal(t->f.unordered_points, 0);
	gtt_watcher_destroy(t->w);
	fake_xe_fini(&t->f);
}

static struct fake_xe_pte pte_at(struct xv *t, uint64_t addr)
{
	struct fake_xe_pte p;

	assert_int_equal(fake_xe_lookup(&t->f, t->vm_id, addr, &p), 0);
	return p;
}

static void wait_ok(struct gtt_fence *f)
{
	assert_int_equal(gtt_fence_wait(f, 5 * S), 0);
	assert_int_equal(gtt_fence_status(f), 1);
}

static struct gtt_pages *bo_pages(uint32_t h, uint64_t off, uint64_t size)
{
	struct gtt_pages *p = NULL;

	assert_int_equal(gtt_pages_create_bo(h, off, size, 0, &p), 0);
	return p;
}

/* A vma over a GEM object: bound, seen by the GPU, unbound, gone. */
static void test_vm_bind_bo(void **state)
{
	struct xv t;
	uint32_t bo;
	struct gtt_pages *p;
	gtt_vma_t h;
	struct gtt_bind_info bi = fixed_at(VA0 + 0x10000, GTT_BIND_ASYNC);
	struct gtt_fence *bf = NULL, *uf = NULL;
	struct fake_xe_pte e;
	int fd;

	(void)state;
	xv_init(&t, &fake_xe_tgl);
	bo = fake_xe_bo(&t.f, 16 * PAGE, false);
	p = bo_pages(bo, 4 * PAGE, 8 * PAGE);
	assert_int_equal(gtt_vma_create(t.vm, p, NULL, &h), 0);
	assert_int_equal(gtt_vma_bind(t.vm, h, &bi, &bf), 0);
	wait_ok(bf);
	e = pte_at(&t, VA0 + 0x10000 + 7 * PAGE);
	assert_int_equal(e.kind, FAKE_PTE_BO);
	assert_int_equal(e.obj, bo);
	assert_int_equal(e.offset, 11 * PAGE);
	/* Signalled: no sync_file is kept for it (nothing to wait for). */
	assert_int_equal(gtt_fence_export_sync_file(bf, &fd), -ENODATA);
	assert_int_equal(gtt_vma_unbind(t.vm, h, 0, &uf), 0);
	gtt_executor_run_all(t.ex);
	wait_ok(uf);
	assert_int_equal(pte_at(&t, VA0 + 0x10000).kind, FAKE_PTE_NONE);
	assert_int_equal(fake_xe_extents(&t.f, t.vm_id), 0);
	gtt_fence_put(bf);
	gtt_fence_put(uf);
	gtt_vma_destroy(t.vm, h);
	gtt_pages_put(p);
	xv_fini(&t);
}

/* User memory: MAP_USERPTR; a synchronous bind is done on return. */
static void test_vm_bind_userptr(void **state)
{
	static char mem[8 * 4096] __attribute__((aligned(4096)));
	struct xv t;
	struct gtt_pages *p = NULL;
	gtt_vma_t h;
	struct gtt_bind_info bi = fixed_at(VA0, 0);
	struct fake_xe_pte e;

	(void)state;
	xv_init(&t, &fake_xe_tgl);
	assert_int_equal(gtt_pages_create_userptr((uintptr_t)mem, sizeof(mem), 0, &p), 0);
	assert_int_equal(gtt_vma_create(t.vm, p, NULL, &h), 0);
	assert_int_equal(gtt_vma_bind(t.vm, h, &bi, NULL), 0);
	e = pte_at(&t, VA0 + 3 * PAGE);
	assert_int_equal(e.kind, FAKE_PTE_USERPTR);
	assert_int_equal(e.offset, (uintptr_t)mem + 3 * PAGE);
	assert_int_equal(t.f.last_ops[0].op, DRM_XE_VM_BIND_OP_MAP_USERPTR);
	assert_int_equal(gtt_vma_unbind(t.vm, h, 0, NULL), 0);
	gtt_executor_run_all(t.ex);
	assert_int_equal(gtt_vm_wait_idle(t.vm, 5 * S), 0);
	assert_int_equal(pte_at(&t, VA0).kind, FAKE_PTE_NONE);
	gtt_vma_destroy(t.vm, h);
	gtt_pages_put(p);
	xv_fini(&t);
}

/* A sparse vma: maps of two objects, a NULL range, an unmap in the middle,
 * then a batch — one VM_BIND with a vector of binds. */
static void test_vm_sparse(void **state)
{
	struct xv t;
	uint32_t a, b;
	struct gtt_pages *pa, *pb;
	gtt_vma_t sv;
	struct gtt_bind_info bi = fixed_at(VA0 + 0x200000, 0);
	struct gtt_map_info mi = { .flags = GTT_MAP_ASYNC };
	struct gtt_fence *f = NULL;
	uint64_t base = VA0 + 0x200000;

	(void)state;
	xv_init(&t, &fake_xe_lnl);
	a = fake_xe_bo(&t.f, 32 * PAGE, false);
	b = fake_xe_bo(&t.f, 32 * PAGE, false);
	pa = bo_pages(a, 0, 32 * PAGE);
	pb = bo_pages(b, 0, 32 * PAGE);
	assert_int_equal(gtt_vma_create_sparse(t.vm, 64 * PAGE, NULL, &sv), 0);
	assert_int_equal(gtt_vma_bind(t.vm, sv, &bi, NULL), 0);
	mi.pages = pa;
	mi.pages_offset = 2 * PAGE;
	mi.pte_flags = GTT_PTE_PAT(1) | GTT_PTE_READ_ONLY;
	assert_int_equal(gtt_vma_map(t.vm, sv, 0, 16 * PAGE, &mi, &f), 0);
	gtt_executor_run_all(t.ex);
	wait_ok(f);
	gtt_fence_put(f);
	mi = (struct gtt_map_info){ .flags = GTT_MAP_ASYNC, .pte_flags = GTT_PTE_NULL };
	assert_int_equal(gtt_vma_map(t.vm, sv, 16 * PAGE, 8 * PAGE, &mi, &f), 0);
	gtt_executor_run_all(t.ex);
	wait_ok(f);
	gtt_fence_put(f);
	mi = (struct gtt_map_info){ .flags = GTT_MAP_ASYNC };
	assert_int_equal(gtt_vma_unmap(t.vm, sv, 4 * PAGE, 2 * PAGE, &mi, &f), 0);
	gtt_executor_run_all(t.ex);
	wait_ok(f);
	gtt_fence_put(f);
	assert_int_equal(pte_at(&t, base + 3 * PAGE).kind, FAKE_PTE_BO);
	assert_int_equal(pte_at(&t, base + 3 * PAGE).offset, 5 * PAGE);
	assert_true(pte_at(&t, base + 3 * PAGE).read_only);
	assert_int_equal(pte_at(&t, base + 4 * PAGE).kind, FAKE_PTE_NONE);
	assert_int_equal(pte_at(&t, base + 6 * PAGE).offset, 8 * PAGE);
	assert_int_equal(pte_at(&t, base + 20 * PAGE).kind, FAKE_PTE_NULL);
	assert_int_equal(pte_at(&t, base + 24 * PAGE).kind, FAKE_PTE_NONE);

	/* A batch: b over part of a, NULL over part of the NULL range, an unmap. */
	struct gtt_map_op ops[3] = {
		{ .kind = GTT_OP_MAP, .vma = sv, .offset = 8 * PAGE, .size = 4 * PAGE,
		  .pages = pb, .pages_offset = 0, .pte_flags = GTT_PTE_PAT(1) },
		{ .kind = GTT_OP_MAP, .vma = sv, .offset = 30 * PAGE, .size = 2 * PAGE,
		  .pte_flags = GTT_PTE_NULL },
		{ .kind = GTT_OP_UNMAP, .vma = sv, .offset = 0, .size = 2 * PAGE },
	};
	unsigned int binds = t.f.binds_ok;

	mi = (struct gtt_map_info){ .flags = GTT_MAP_ASYNC };
	assert_int_equal(gtt_vm_map_batch(t.vm, ops, 3, &mi, &f), 0);
	gtt_executor_run_all(t.ex);
	wait_ok(f);
	gtt_fence_put(f);
	assert_int_equal(t.f.binds_ok, binds + 1);		/* one VM_BIND */
	assert_true(t.f.last_bind.num_binds >= 3);		/* a vector */
	assert_int_equal(pte_at(&t, base + 9 * PAGE).obj, b);
	assert_int_equal(pte_at(&t, base + 9 * PAGE).offset, PAGE);
	assert_int_equal(pte_at(&t, base + 12 * PAGE).obj, a);
	assert_int_equal(pte_at(&t, base + 31 * PAGE).kind, FAKE_PTE_NULL);
	assert_int_equal(pte_at(&t, base).kind, FAKE_PTE_NONE);
	assert_int_equal(pte_at(&t, base + 2 * PAGE).obj, a);
	/* Unbinding the sparse vma clears everything inside it. */
	assert_int_equal(gtt_vma_unbind(t.vm, sv, 0, NULL), 0);
	gtt_executor_run_all(t.ex);
	assert_int_equal(gtt_vm_wait_idle(t.vm, 5 * S), 0);
	assert_int_equal(fake_xe_extents(&t.f, t.vm_id), 0);
	gtt_vma_destroy(t.vm, sv);
	gtt_pages_put(pa);
	gtt_pages_put(pb);
	xv_fini(&t);
}

/* A dependency that carries a sync_file reaches the kernel as an in-sync:
 * the bind fence signals only after it, and the CPU never waited. */
static void test_vm_dep_passes_through(void **state)
{
	struct xv t;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct gtt_fence *dep = new_fence(), *bf = NULL;
	uint32_t bo;
	struct gtt_pages *p;
	gtt_vma_t h;
	struct gtt_bind_info bi = fixed_at(VA0, GTT_BIND_ASYNC);
	uint64_t one = 1;

	(void)state;
	xv_init(&t, &fake_xe_tgl);
	fence_own_sync_fd(dep, fcntl(efd, F_DUPFD_CLOEXEC, 3));
	bo = fake_xe_bo(&t.f, 4 * PAGE, false);
	p = bo_pages(bo, 0, 4 * PAGE);
	assert_int_equal(gtt_vma_create(t.vm, p, NULL, &h), 0);
	bi.deps = &dep;
	bi.num_deps = 1;
	if (gtt_vma_bind(t.vm, h, &bi, &bf))
		fail_msg("bind: %s", gtt_last_error());
	gtt_executor_run_all(t.ex);
	assert_int_equal(t.f.imports, 1);
	assert_int_equal(t.f.last_syncs[0].type, DRM_XE_SYNC_TYPE_SYNCOBJ);
	assert_int_equal(gtt_fence_wait(bf, 20000000), -ETIME);
	assert_int_equal(pte_at(&t, VA0).kind, FAKE_PTE_NONE);
	/* The pending bind fence carries the kernel's: it is a sync_file. */
	{
		int fd = -1;

		assert_int_equal(gtt_fence_export_sync_file(bf, &fd), 0);
		assert_true(fd >= 0);
		close(fd);
	}
	assert_int_equal(write(efd, &one, sizeof(one)), sizeof(one));
	wait_ok(bf);
	assert_int_equal(pte_at(&t, VA0).kind, FAKE_PTE_BO);
	gtt_fence_signal(dep, 0);
	gtt_fence_put(dep);
	gtt_fence_put(bf);
	assert_int_equal(gtt_vma_unbind(t.vm, h, 0, NULL), 0);
	gtt_executor_run_all(t.ex);
	assert_int_equal(gtt_vm_wait_idle(t.vm, 5 * S), 0);
	gtt_vma_destroy(t.vm, h);
	gtt_pages_put(p);
	close(efd);
	xv_fini(&t);
}

/* A bind the kernel refuses (DG2: VRAM needs 64 KiB alignment) fails with
 * the kernel's error, named by ioctl and op, and maps nothing. */
static void test_vm_kernel_refuses(void **state)
{
	struct xv t;
	uint32_t bo;
	struct gtt_pages *p;
	gtt_vma_t h;
	struct gtt_bind_info bi = fixed_at(VA0 + PAGE, 0);
	int err;

	(void)state;
	xv_init(&t, &fake_xe_dg2);
	bo = fake_xe_bo(&t.f, 16 * PAGE, true);
	p = bo_pages(bo, 0, 16 * PAGE);
	assert_int_equal(gtt_vma_create(t.vm, p, NULL, &h), 0);
	err = gtt_vma_bind(t.vm, h, &bi, NULL);
	assert_int_equal(err, -EINVAL);
	assert_int_equal(t.f.last_rule, FR_BO_64K);
	assert_non_null(strstr(gtt_last_error(), "DRM_IOCTL_XE_VM_BIND"));
	assert_non_null(strstr(gtt_last_error(), "op 0 of 1 (MAP at 0x101000"));
	assert_int_equal(fake_xe_extents(&t.f, t.vm_id), 0);
	/* 64 KiB aligned, it goes through. */
	bi = fixed_at(VA0 + 0x10000, 0);
	assert_int_equal(gtt_vma_bind(t.vm, h, &bi, NULL), 0);
	assert_int_equal(pte_at(&t, VA0 + 0x10000).kind, FAKE_PTE_BO);
	assert_int_equal(gtt_vma_unbind(t.vm, h, 0, NULL), 0);
	gtt_executor_run_all(t.ex);
	assert_int_equal(gtt_vm_wait_idle(t.vm, 5 * S), 0);
	gtt_vma_destroy(t.vm, h);
	gtt_pages_put(p);
	t.f.refusals = 0;		/* the one refusal was the point */
	xv_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vm_bind_bo),
		cmocka_unit_test(test_vm_bind_userptr),
		cmocka_unit_test(test_vm_sparse),
		cmocka_unit_test(test_vm_dep_passes_through),
		cmocka_unit_test(test_vm_kernel_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
