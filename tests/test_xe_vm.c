/* SPDX-License-Identifier: MIT */
/*
 * A gtt_vm over the xe backend over the fake xe kernel
 * (tests/support/fake_xe.c): binds of GEM-object and user-memory pages,
 * unbinds, sparse vmas with maps, NULL maps, unmaps and batches — each
 * checked in the fake's page table, which is what the GPU would see — and
 * dependencies the kernel waits for itself reaching it as in-syncs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
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

static void xv_init_order(struct xv *t, const struct fake_xe_platform *plat,
			  enum gtt_evict_order order)
{
	struct gtt_vm_config vc = { .name = "xe", .start = VA0, .size = VA_SIZE,
				    .evict_order = order };
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

static void xv_init(struct xv *t, const struct fake_xe_platform *plat)
{
	xv_init_order(t, plat, GTT_EVICT_FEWEST);
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

/* gtt_vm_dump()'s text: what the vm's bookkeeping holds (malloc'd). */
static char *dump(struct xv *t)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	assert_non_null(mem);
	assert_int_equal(gtt_vm_dump(t->vm, mem), 0);
	fclose(mem);
	return text;
}

#define K64 0x10000ull

/* Run the executor and wait for the vm to be idle. */
static void settle(struct xv *t)
{
	gtt_executor_run_all(t->ex);
	assert_int_equal(gtt_vm_wait_idle(t->vm, 5 * S), 0);
}

/* A bound sparse vma of @size bytes at @at. */
static gtt_vma_t sparse_at(struct xv *t, uint64_t size, uint64_t at)
{
	struct gtt_bind_info bi = fixed_at(at, 0);
	gtt_vma_t sv;

	assert_int_equal(gtt_vma_create_sparse(t->vm, size, NULL, &sv), 0);
	assert_int_equal(gtt_vma_bind(t->vm, sv, &bi, NULL), 0);
	return sv;
}

/* Unbind and destroy @sv: the kernel maps nothing any more. */
static void sparse_drop(struct xv *t, gtt_vma_t sv)
{
	assert_int_equal(gtt_vma_unbind(t->vm, sv, 0, NULL), 0);
	settle(t);
	assert_int_equal(fake_xe_extents(&t->f, t->vm_id), 0);
	gtt_vma_destroy(t->vm, sv);
}

/*
 * DG2 binds VRAM objects in 64 KiB pages and cannot split such a mapping
 * inside one (Linux 6.12: the REMAP's rebind of the kept part fails in
 * xe_pt_stage_bind_entry()).  A mapping marked GTT_PTE_LOCAL_MEM is held to
 * that before anything changes: a 4 KiB unmap, or a map, cutting it inside
 * a 64 KiB page, or a batch whose later op would, is -EINVAL with a
 * message, and neither the vm's bookkeeping nor the kernel changed; cuts at
 * 64 KiB boundaries go through and the kernel splits.  Fails without the
 * vm's granule check (the kernel refuses: FR_REMAP_64K, and the cut part's
 * pages end up quarantined) or without the backend's config query.
 */
static void test_vm_64k_cut(void **state)
{
	struct xv t;
	uint32_t vram, sys;
	struct gtt_pages *pv, *ps;
	gtt_vma_t sv;
	uint64_t base = VA0 + 0x200000;
	struct gtt_map_info mi = { .pte_flags = GTT_PTE_LOCAL_MEM };
	char *before, *after;

	(void)state;
	xv_init(&t, &fake_xe_dg2);
	vram = fake_xe_bo(&t.f, 4 * K64, true);
	sys = fake_xe_bo(&t.f, 4 * K64, false);
	pv = bo_pages(vram, 0, 4 * K64);
	ps = bo_pages(sys, 0, 4 * K64);
	sv = sparse_at(&t, 8 * K64, base);
	/* Misaligned in itself: refused before the kernel (which would too). */
	mi.pages = pv;
	assert_int_equal(gtt_vma_map(t.vm, sv, PAGE, K64, &mi, NULL), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "0x10000-byte pages"));
	assert_int_equal(gtt_vma_map(t.vm, sv, 0, 2 * K64, &mi, NULL), 0);
	assert_int_equal(fake_xe_extents(&t.f, t.vm_id), 1);

	before = dump(&t);
	/* 4 KiB out of it: refused, nothing changed. */
	assert_int_equal(gtt_vma_unmap(t.vm, sv, PAGE, PAGE, NULL, NULL), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "gtt_vma_unmap: ops[0] would split a mapping at 0x301000"));
	assert_non_null(strstr(gtt_last_error(), "0x10000-byte pages"));
	/* A map of system memory over 4 KiB of it cuts it too. */
	mi = (struct gtt_map_info){ .pages = ps };
	assert_int_equal(gtt_vma_map(t.vm, sv, K64 + PAGE, PAGE, &mi, NULL), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "would split a mapping at 0x311000"));
	/* A batch whose second op cuts what its first maps. */
	{
		struct gtt_map_op ops[2] = {
			{ .kind = GTT_OP_MAP, .vma = sv, .offset = 4 * K64, .size = K64,
			  .pages = pv, .pte_flags = GTT_PTE_LOCAL_MEM },
			{ .kind = GTT_OP_UNMAP, .vma = sv, .offset = 4 * K64 + PAGE, .size = PAGE },
		};

		assert_int_equal(gtt_vm_map_batch(t.vm, ops, 2, NULL, NULL), -EINVAL);
		assert_non_null(strstr(gtt_last_error(), "ops[1] would split"));
	}
	after = dump(&t);
	assert_string_equal(before, after);
	free(before);
	free(after);
	assert_int_equal(fake_xe_extents(&t.f, t.vm_id), 1);
	assert_int_equal(pte_at(&t, base + PAGE).obj, vram);
	assert_int_equal(t.f.refusals, 0);		/* the kernel was never asked */

	/* What was mapped and unmapped whole in a batch is no cut. */
	{
		struct gtt_map_op ops[3] = {
			{ .kind = GTT_OP_MAP, .vma = sv, .offset = 4 * K64, .size = K64,
			  .pages = pv, .pte_flags = GTT_PTE_LOCAL_MEM },
			{ .kind = GTT_OP_UNMAP, .vma = sv, .offset = 4 * K64, .size = K64 },
			{ .kind = GTT_OP_MAP, .vma = sv, .offset = 4 * K64 + PAGE, .size = PAGE,
			  .pages = ps },
		};

		assert_int_equal(gtt_vm_map_batch(t.vm, ops, 3, NULL, NULL), 0);
		assert_int_equal(pte_at(&t, base + 4 * K64 + PAGE).obj, sys);
	}
	/* At a 64 KiB boundary the kernel splits. */
	assert_int_equal(gtt_vma_unmap(t.vm, sv, K64, K64, NULL, NULL), 0);
	settle(&t);
	assert_int_equal(pte_at(&t, base + PAGE).obj, vram);
	assert_int_equal(pte_at(&t, base + K64).kind, FAKE_PTE_NONE);
	/* System memory splits anywhere. */
	mi = (struct gtt_map_info){ .pages = ps };
	assert_int_equal(gtt_vma_map(t.vm, sv, 6 * K64, K64, &mi, NULL), 0);
	assert_int_equal(gtt_vma_unmap(t.vm, sv, 6 * K64 + PAGE, PAGE, NULL, NULL), 0);
	settle(&t);
	assert_int_equal(pte_at(&t, base + 6 * K64 + PAGE).kind, FAKE_PTE_NONE);
	assert_int_equal(pte_at(&t, base + 6 * K64 + 2 * PAGE).obj, sys);
	sparse_drop(&t, sv);
	gtt_pages_put(pv);
	gtt_pages_put(ps);
	xv_fini(&t);
}

/*
 * Battlemage (Xe2) has no 64 KiB rule (xe_pci.c: NEED64K is Xe_HPG's and
 * Xe_HPC's): the same 4 KiB unmap of a VRAM mapping goes through and the
 * kernel splits it.  Fails if the granule were applied on every device
 * with VRAM.
 */
static void test_vm_bmg_splits_vram(void **state)
{
	struct xv t;
	uint32_t vram;
	struct gtt_pages *pv;
	gtt_vma_t sv;
	uint64_t base = VA0 + 0x200000;
	struct gtt_map_info mi = { .pte_flags = GTT_PTE_LOCAL_MEM | GTT_PTE_PAT(1) };

	(void)state;
	xv_init(&t, &fake_xe_bmg);
	vram = fake_xe_bo(&t.f, 2 * K64, true);
	pv = bo_pages(vram, 0, 2 * K64);
	mi.pages = pv;
	sv = sparse_at(&t, 2 * K64, base);
	assert_int_equal(gtt_vma_map(t.vm, sv, PAGE, K64, &mi, NULL), 0);
	assert_int_equal(gtt_vma_unmap(t.vm, sv, 2 * PAGE, PAGE, NULL, NULL), 0);
	settle(&t);
	assert_int_equal(fake_xe_extents(&t.f, t.vm_id), 2);
	assert_int_equal(pte_at(&t, base + 2 * PAGE).kind, FAKE_PTE_NONE);
	assert_int_equal(pte_at(&t, base + 3 * PAGE).offset, 2 * PAGE);
	sparse_drop(&t, sv);
	gtt_pages_put(pv);
	xv_fini(&t);
}

/*
 * DG2: a vma over a VRAM object marked GTT_PTE_LOCAL_MEM is placed at a
 * multiple of 64 KiB even where a 4 KiB hole comes first, so the kernel
 * takes it; a fixed offset or a size that is not a multiple is -EINVAL
 * before any ioctl.  Fails without the vm raising the alignment (the
 * kernel refuses the bind: FR_BO_64K).
 */
static void test_vm_64k_bind_placement(void **state)
{
	struct xv t;
	uint32_t vram, sys;
	struct gtt_pages *pv, *ps;
	gtt_vma_t hs, hv;
	struct gtt_bind_info bi = fixed_at(VA0, 0);
	struct gtt_vma_info vi;
	unsigned int binds;

	(void)state;
	xv_init(&t, &fake_xe_dg2);
	vram = fake_xe_bo(&t.f, 2 * K64, true);
	sys = fake_xe_bo(&t.f, PAGE, false);
	pv = bo_pages(vram, 0, 2 * K64);
	ps = bo_pages(sys, 0, PAGE);
	assert_int_equal(gtt_vma_create(t.vm, ps, NULL, &hs), 0);
	assert_int_equal(gtt_vma_bind(t.vm, hs, &bi, NULL), 0);	/* [VA0, +4K) */
	assert_int_equal(gtt_vma_create(t.vm, pv, NULL, &hv), 0);
	binds = t.f.vm_binds;
	bi = fixed_at(VA0 + K64 + PAGE, 0);
	bi.pte_flags = GTT_PTE_LOCAL_MEM;
	assert_int_equal(gtt_vma_bind(t.vm, hv, &bi, NULL), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "0x10000-byte pages"));
	bi = (struct gtt_bind_info){ .pte_flags = GTT_PTE_LOCAL_MEM, .size = K64 + PAGE };
	assert_int_equal(gtt_vma_bind(t.vm, hv, &bi, NULL), -EINVAL);
	assert_int_equal(t.f.vm_binds, binds);			/* no ioctl */
	bi.size = 0;
	assert_int_equal(gtt_vma_bind(t.vm, hv, &bi, NULL), 0);
	assert_int_equal(gtt_vma_query(t.vm, hv, &vi), 0);
	assert_true(vi.bound);
	assert_int_equal(vi.offset % K64, 0);
	assert_int_equal(pte_at(&t, vi.offset + PAGE).obj, vram);
	assert_int_equal(gtt_vma_unbind(t.vm, hv, 0, NULL), 0);
	assert_int_equal(gtt_vma_unbind(t.vm, hs, 0, NULL), 0);
	settle(&t);
	assert_int_equal(fake_xe_extents(&t.f, t.vm_id), 0);
	gtt_vma_destroy(t.vm, hv);
	gtt_vma_destroy(t.vm, hs);
	gtt_pages_put(pv);
	gtt_pages_put(ps);
	xv_fini(&t);
}

/* The random split test's picture of one 4 KiB page of its sparse vma. */
struct cell {
	unsigned int id;		/* the mapping (0: none) */
	enum fake_xe_pte_kind kind;
	uint32_t obj;
	uint64_t offset;		/* in the object */
	bool local;			/* marked GTT_PTE_LOCAL_MEM */
};

#define CELLS 256			/* 1 MiB: 16 pages of 64 KiB */

/*
 * Whether a batch of @n ops is refused on a 64 KiB device, applied to
 * @c (a copy) in order: a LOCAL_MEM map not 64 KiB aligned, or a cut
 * inside a 64 KiB page of a LOCAL_MEM mapping.
 */
static bool split_refused(struct cell *c, const struct gtt_map_op *ops, size_t n,
			  const uint32_t *objs, unsigned int *next_id)
{
	for (size_t j = 0; j < n; j++) {
		unsigned int s = (unsigned int)(ops[j].offset / PAGE);
		unsigned int e = s + (unsigned int)(ops[j].size / PAGE);

		if (ops[j].kind == GTT_OP_MAP && (ops[j].pte_flags & GTT_PTE_LOCAL_MEM) &&
		    ((s | e | (unsigned int)(ops[j].pages_offset / PAGE)) % 16))
			return true;
	}
	for (size_t j = 0; j < n; j++) {
		unsigned int s = (unsigned int)(ops[j].offset / PAGE);
		unsigned int e = s + (unsigned int)(ops[j].size / PAGE);

		if (s > 0 && c[s].id && c[s - 1].id == c[s].id && c[s].local && s % 16)
			return true;
		if (e < CELLS && c[e].id && c[e - 1].id == c[e].id && c[e].local && e % 16)
			return true;
		++*next_id;
		for (unsigned int k = s; k < e; k++) {
			if (ops[j].kind == GTT_OP_UNMAP) {
				c[k] = (struct cell){ 0 };
				continue;
			}
			c[k] = (struct cell){ .id = *next_id, .local = ops[j].pte_flags & GTT_PTE_LOCAL_MEM };
			if (ops[j].pte_flags & GTT_PTE_NULL) {
				c[k].kind = FAKE_PTE_NULL;
			} else {
				c[k].kind = FAKE_PTE_BO;
				c[k].obj = objs[ops[j].pages == NULL ? 0 : (ops[j].pte_flags & GTT_PTE_LOCAL_MEM) ? 1 : 0];
				c[k].offset = ops[j].pages_offset + (uint64_t)(k - s) * PAGE;
			}
		}
	}
	return false;
}

/*
 * Random batches of maps (VRAM marked GTT_PTE_LOCAL_MEM, system memory,
 * NULL) and unmaps at 4 KiB and 64 KiB offsets on DG2, against a picture
 * of the pages that knows the rule: the vm refuses exactly the batches the
 * picture refuses (-EINVAL, nothing changed), the kernel (the fake, which
 * checks cuts on its own view of the VM) refuses none of the others, and
 * after each batch the kernel's table is the picture.  Fails if the vm's
 * check lets a cut through (the fake refuses it) or refuses a batch the
 * kernel takes.
 */
static void test_vm_random_64k_splits(void **state)
{
	struct xv t;
	uint32_t objs[2];
	struct gtt_pages *pv, *ps;
	gtt_vma_t sv;
	uint64_t base = VA0 + 0x200000, seed = 0x64c0ffee;
	struct cell pic[CELLS] = { 0 }, copy[CELLS];
	unsigned int next_id = 0, refused = 0, taken = 0, cuts = 0;

	(void)state;
	xv_init(&t, &fake_xe_dg2);
	objs[0] = fake_xe_bo(&t.f, CELLS * PAGE + PAGE, false);
	objs[1] = fake_xe_bo(&t.f, CELLS * PAGE + K64, true);
	ps = bo_pages(objs[0], 0, CELLS * PAGE + PAGE);
	pv = bo_pages(objs[1], 0, CELLS * PAGE + K64);
	sv = sparse_at(&t, CELLS * PAGE, base);
	for (unsigned int iter = 0; iter < 1500; iter++) {
		struct gtt_map_op ops[3];
		size_t n = 1 + rng_below(&seed, 3);
		bool expect;
		int err;

		for (size_t j = 0; j < n; j++) {
			unsigned int what = (unsigned int)rng_below(&seed, 7);
			uint64_t s = rng_below(&seed, CELLS), len = 1 + rng_below(&seed, 48);

			if (rng_below(&seed, 2)) {	/* on 64 KiB pages */
				s &= ~15ull;
				len = (len + 15) & ~15ull;
			}
			if (s + len > CELLS)
				len = CELLS - s;
			ops[j] = (struct gtt_map_op){ .vma = sv, .offset = s * PAGE, .size = len * PAGE,
						      .kind = what < 2 ? GTT_OP_UNMAP : GTT_OP_MAP };
			if (what >= 2 && what < 5) {
				ops[j].pages = pv;
				ops[j].pte_flags = GTT_PTE_LOCAL_MEM;
				ops[j].pages_offset = rng_below(&seed, 10) ? 0 : PAGE;
			} else if (what == 5) {
				ops[j].pages = ps;
				ops[j].pages_offset = rng_below(&seed, 2) * PAGE;
			} else if (what == 6) {
				ops[j].pte_flags = GTT_PTE_NULL;
			}
		}
		memcpy(copy, pic, sizeof(pic));
		expect = split_refused(copy, ops, n, objs, &next_id);
		err = gtt_vm_map_batch(t.vm, ops, n, NULL, NULL);
		if (err != (expect ? -EINVAL : 0))
			fail_msg("batch %u: %d, expected %d (%s)", iter, err, expect ? -EINVAL : 0,
				 gtt_last_error());
		if (expect) {
			refused++;
			cuts += strstr(gtt_last_error(), "would split") != NULL;
			continue;
		}
		taken++;
		memcpy(pic, copy, sizeof(pic));
		settle(&t);
		for (unsigned int k = 0; k < CELLS; k++) {
			struct fake_xe_pte e = pte_at(&t, base + (uint64_t)k * PAGE);

			if (e.kind != pic[k].kind || (e.kind == FAKE_PTE_BO &&
						      (e.obj != pic[k].obj || e.offset != pic[k].offset)))
				fail_msg("batch %u: page %u maps kind %d obj %u offset 0x%" PRIx64
					 ", expected kind %d obj %u offset 0x%" PRIx64, iter, k, e.kind,
					 e.obj, e.offset, pic[k].kind, pic[k].obj, pic[k].offset);
		}
	}
	assert_true(refused > 100 && taken > 100 && cuts > 50);
	assert_int_equal(t.f.refusals, 0);
	sparse_drop(&t, sv);
	gtt_pages_put(pv);
	gtt_pages_put(ps);
	xv_fini(&t);
}

static void count_free(void *arg)
{
	(*(int *)arg)++;
}

/*
 * DG2: the kernel holds the object offset of a VRAM mapping to 64 KiB
 * (xe_vm_bind_ioctl_validate_bo(): obj_offset), and a page list made with
 * gtt_pages_create_bo() may start anywhere 4 KiB aligned in its object.
 * The vm checks where the mapping starts in the object, not in the list:
 * a list starting 4 KiB in is refused at bind or map with the vm's
 * message, before any placement or ioctl and with nothing changed, and a
 * pages_offset that brings it back to a multiple of 64 KiB is taken.
 * Fails if the vm checks pages_offset alone (the bind and map reach the
 * backend, which refuses them at submit: "xe submit: op 0", and the
 * realigned map is refused).
 */
static void test_vm_64k_object_offset(void **state)
{
	struct xv t;
	uint32_t vram;
	struct gtt_pages *pv;
	gtt_vma_t h, sv;
	struct gtt_bind_info bi = { .pte_flags = GTT_PTE_LOCAL_MEM };
	struct gtt_map_info mi = { .pte_flags = GTT_PTE_LOCAL_MEM };
	struct gtt_vma_info vi;
	uint64_t base = VA0 + 0x200000;
	unsigned int binds;
	char *before, *after;

	(void)state;
	xv_init(&t, &fake_xe_dg2);
	vram = fake_xe_bo(&t.f, 4 * K64, true);
	pv = bo_pages(vram, PAGE, 3 * K64);		/* object offset 4 KiB */
	sv = sparse_at(&t, 4 * K64, base);
	assert_int_equal(gtt_vma_create(t.vm, pv, NULL, &h), 0);
	binds = t.f.vm_binds;
	before = dump(&t);
	assert_int_equal(gtt_vma_bind(t.vm, h, &bi, NULL), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "gtt_vma_bind: backend 'xe' maps these pages"));
	mi.pages = pv;
	assert_int_equal(gtt_vma_map(t.vm, sv, 0, K64, &mi, NULL), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "gtt_vma_map: ops[0]: backend 'xe' maps these pages"));
	assert_int_equal(t.f.vm_binds, binds);			/* no ioctl */
	after = dump(&t);
	assert_string_equal(before, after);
	free(before);
	free(after);
	assert_int_equal(gtt_vma_query(t.vm, h, &vi), 0);
	assert_false(vi.bound);
	/* From object offset 64 KiB on, the kernel takes it. */
	mi.pages_offset = K64 - PAGE;
	assert_int_equal(gtt_vma_map(t.vm, sv, 0, K64, &mi, NULL), 0);
	settle(&t);
	assert_int_equal(pte_at(&t, base + PAGE).obj, vram);
	assert_int_equal(pte_at(&t, base + PAGE).offset, K64 + PAGE);
	bi.pages_offset = K64 - PAGE;
	bi.size = 2 * K64;
	assert_int_equal(gtt_vma_bind(t.vm, h, &bi, NULL), 0);
	assert_int_equal(gtt_vma_query(t.vm, h, &vi), 0);
	assert_int_equal(vi.offset % K64, 0);
	assert_int_equal(pte_at(&t, vi.offset).offset, K64);
	assert_int_equal(gtt_vma_unbind(t.vm, h, 0, NULL), 0);
	sparse_drop(&t, sv);
	gtt_vma_destroy(t.vm, h);
	gtt_pages_put(pv);
	xv_fini(&t);
}

/*
 * DG2: GTT_BIND_EVICT for a 64 KiB VRAM vma in a window full of 4 KiB
 * vmas opens a 64 KiB-aligned hole, with either order: the fewest (the
 * allocator's scan) and LRU (the ordered scan), whose least recently used
 * run of 16 starts half-way into a 64 KiB page and does not do.  The
 * victims are the 16 vmas of one aligned 64 KiB page, the kernel takes the
 * bind there, and nothing else is unbound.  Fails if eviction were asked
 * for the caller's alignment rather than the raised one (the misaligned
 * run is evicted and the bind is -ENOSPC).
 */
static void test_vm_64k_evict(void **state)
{
	static const enum gtt_evict_order orders[] = { GTT_EVICT_FEWEST, GTT_EVICT_LRU };

	(void)state;
	for (unsigned int o = 0; o < 2; o++) {
		struct xv t;
		uint32_t vram, sys;
		struct gtt_pages *pv, *ps;
		gtt_vma_t hs[32], hv;
		uint64_t w = VA0 + 0x400000;
		struct gtt_bind_info bi = { .flags = GTT_BIND_EVICT, .pte_flags = GTT_PTE_LOCAL_MEM,
					    .range_start = w, .range_end = w + 2 * K64 };
		struct gtt_vma_info vi;
		unsigned int bound = 0;

		xv_init_order(&t, &fake_xe_dg2, orders[o]);
		vram = fake_xe_bo(&t.f, K64, true);
		sys = fake_xe_bo(&t.f, PAGE, false);
		pv = bo_pages(vram, 0, K64);
		ps = bo_pages(sys, 0, PAGE);
		/* Bound (used) from page 8 of the window up, then pages 0..7. */
		for (unsigned int k = 0; k < 32; k++) {
			struct gtt_bind_info at = fixed_at(w + ((k + 8) % 32) * PAGE, 0);

			assert_int_equal(gtt_vma_create(t.vm, ps, NULL, &hs[k]), 0);
			assert_int_equal(gtt_vma_bind(t.vm, hs[k], &at, NULL), 0);
		}
		assert_int_equal(gtt_vma_create(t.vm, pv, NULL, &hv), 0);
		assert_int_equal(gtt_vma_bind(t.vm, hv, &bi, NULL), 0);
		settle(&t);
		assert_int_equal(gtt_vma_query(t.vm, hv, &vi), 0);
		assert_int_equal(vi.offset % K64, 0);
		assert_int_equal(pte_at(&t, vi.offset + PAGE).obj, vram);
		for (unsigned int k = 0; k < 32; k++) {
			uint64_t at = w + ((k + 8) % 32) * PAGE;
			struct gtt_vma_info si;

			assert_int_equal(gtt_vma_query(t.vm, hs[k], &si), 0);
			/* Bound iff outside the new vma's page. */
			assert_int_equal(si.bound, at < vi.offset || at >= vi.offset + K64);
			bound += si.bound;
			if (si.bound)
				(void)gtt_vma_unbind(t.vm, hs[k], 0, NULL);
		}
		assert_int_equal(bound, 16);
		assert_int_equal(gtt_vma_unbind(t.vm, hv, 0, NULL), 0);
		settle(&t);
		assert_int_equal(fake_xe_extents(&t.f, t.vm_id), 0);
		for (unsigned int k = 0; k < 32; k++)
			gtt_vma_destroy(t.vm, hs[k]);
		gtt_vma_destroy(t.vm, hv);
		gtt_pages_put(pv);
		gtt_pages_put(ps);
		xv_fini(&t);
	}
}

/*
 * The same cut without GTT_PTE_LOCAL_MEM: libgtt cannot know the object is
 * in VRAM, the kernel refuses the VM_BIND (FR_REMAP_64K) and does nothing.
 * The call fails with -EINVAL; the kernel still maps all of it, so the vm
 * keeps the cut part's pages (quarantine) past the sparse vma's unbind and
 * releases them when the vm goes.  Fails if the pages went with the
 * refused cut, or never.
 */
static void test_vm_kernel_refuses_cut(void **state)
{
	struct xv t;
	uint32_t vram;
	struct gtt_pages *pv;
	gtt_vma_t sv;
	uint64_t base = VA0 + 0x200000;
	struct gtt_map_info mi = { 0 };
	int freed = 0;

	(void)state;
	xv_init(&t, &fake_xe_dg2);
	vram = fake_xe_bo(&t.f, 2 * K64, true);
	pv = bo_pages(vram, 0, 2 * K64);
	assert_int_equal(gtt_pages_set_destructor(pv, count_free, &freed), 0);
	mi.pages = pv;
	sv = sparse_at(&t, 2 * K64, base);
	assert_int_equal(gtt_vma_map(t.vm, sv, 0, K64, &mi, NULL), 0);
	gtt_pages_put(pv);				/* the vm's now */
	assert_int_equal(gtt_vma_unmap(t.vm, sv, PAGE, PAGE, NULL, NULL), -EINVAL);
	assert_int_equal(t.f.last_rule, FR_REMAP_64K);
	assert_non_null(strstr(gtt_last_error(), "refused the batch: xe submit: DRM_IOCTL_XE_VM_BIND failed"));
	assert_int_equal(fake_xe_extents(&t.f, t.vm_id), 1);
	assert_int_equal(pte_at(&t, base + PAGE).obj, vram);	/* still mapped */
	gtt_executor_run_all(t.ex);
	assert_int_equal(freed, 0);
	sparse_drop(&t, sv);
	gtt_executor_run_all(t.ex);
	/* A queue backend's failed cut is known clear once a bind there is
	 * written, or when the vm goes (quarantine.c): still held. */
	assert_int_equal(freed, 0);
	t.f.refusals = 0;		/* the one refusal was the point */
	xv_fini(&t);
	assert_int_equal(freed, 1);
}

/*
 * The VM_BIND of each kind of vm call refused by the kernel (ENOMEM,
 * ENOSPC, EINVAL, EBUSY: the kernel did nothing) comes back from the
 * synchronous call as that errno, and the vm stays usable: a refused bind
 * leaves the range free to bind again (nothing leaked in the allocator),
 * a refused map leaves the kernel's table as it was and can be redone, a
 * refused unmap leaves the mapping in the kernel and its pages held until
 * the vm goes; no syncobj is left behind and every page list is released
 * at the end.  EINTR is restarted: the call succeeds.
 */
static void test_vm_kernel_errors(void **state)
{
	static const int errs[] = { ENOMEM, ENOSPC, EINVAL, EBUSY, EINTR };

	(void)state;
	for (unsigned int i = 0; i < 5; i++) {
		int err = errs[i] == EINTR ? 0 : -errs[i];
		struct xv t;
		uint32_t bo;
		struct gtt_pages *p;
		gtt_vma_t h, sv;
		struct gtt_bind_info bi = fixed_at(VA0, 0);
		struct gtt_map_info mi = { 0 };
		int freed = 0;

		xv_init(&t, &fake_xe_tgl);
		bo = fake_xe_bo(&t.f, 16 * PAGE, false);
		p = bo_pages(bo, 0, 16 * PAGE);
		assert_int_equal(gtt_pages_set_destructor(p, count_free, &freed), 0);
		/* A bind. */
		assert_int_equal(gtt_vma_create(t.vm, p, NULL, &h), 0);
		fake_xe_fail(&t.f, DRM_IOCTL_XE_VM_BIND, 1, errs[i]);
		assert_int_equal(gtt_vma_bind(t.vm, h, &bi, NULL), err);
		assert_int_equal(fake_xe_extents(&t.f, t.vm_id), !err);
		if (err) {
			assert_non_null(strstr(gtt_last_error(), "DRM_IOCTL_XE_VM_BIND failed, op 0 of 1 (MAP at 0x100000"));
			(void)gtt_vma_unbind(t.vm, h, 0, NULL);
			settle(&t);
			assert_int_equal(gtt_vma_bind(t.vm, h, &bi, NULL), 0);
		}
		assert_int_equal(pte_at(&t, VA0).obj, bo);
		assert_int_equal(gtt_vma_unbind(t.vm, h, 0, NULL), 0);
		settle(&t);
		assert_int_equal(fake_xe_extents(&t.f, t.vm_id), 0);
		/* A map, then an unmap, of a sparse vma at the same place. */
		sv = sparse_at(&t, 16 * PAGE, VA0);
		mi.pages = p;
		fake_xe_fail(&t.f, DRM_IOCTL_XE_VM_BIND, 1, errs[i]);
		assert_int_equal(gtt_vma_map(t.vm, sv, 0, 8 * PAGE, &mi, NULL), err);
		if (err)
			assert_non_null(strstr(gtt_last_error(), "gtt_vma_map: backend 'xe' refused the batch: xe submit: DRM_IOCTL_XE_VM_BIND failed, op 0 of 1 (MAP at 0x100000"));
		assert_int_equal(fake_xe_extents(&t.f, t.vm_id), !err);
		assert_int_equal(gtt_vma_map(t.vm, sv, 0, 8 * PAGE, &mi, NULL), 0);
		assert_int_equal(pte_at(&t, VA0 + PAGE).obj, bo);
		fake_xe_fail(&t.f, DRM_IOCTL_XE_VM_BIND, 1, errs[i]);
		assert_int_equal(gtt_vma_unmap(t.vm, sv, PAGE, PAGE, NULL, NULL), err);
		if (err)
			assert_non_null(strstr(gtt_last_error(), "refused the batch: xe submit: DRM_IOCTL_XE_VM_BIND failed, op 0 of 1 (UNMAP at 0x101000"));
		assert_int_equal(pte_at(&t, VA0 + PAGE).kind, err ? FAKE_PTE_BO : FAKE_PTE_NONE);
		sparse_drop(&t, sv);
		assert_int_equal(gtt_vma_destroy(t.vm, h), 0);
		gtt_pages_put(p);
		settle(&t);
		assert_int_equal(t.f.syncobjs_live, 2);
		t.f.refusals = 0;	/* the injected ones */
		xv_fini(&t);
		assert_int_equal(freed, 1);
	}
}

/*
 * A synchronous gtt_vma_unbind() whose VM_BIND the kernel refuses (EINVAL
 * injected: the kernel did nothing), of a vma over a GEM object and of a
 * sparse vma with a mapping: the errno comes back with the backend's
 * message ("backend 'xe' refused the unbind: xe submit: ... UNMAP at"),
 * as for a map or a batch, rather than only the errno's name; the kernel
 * still maps the range, and the pages stay held until the vm goes; with
 * no memory to keep the message, the errno's name.  Fails without the
 * kept message ("the PTE clear failed (invalid argument)").
 */
static void test_vm_unbind_refused(void **state)
{
	struct xv t;
	uint32_t bo;
	struct gtt_pages *p;
	gtt_vma_t h, sv;
	struct gtt_bind_info bi = fixed_at(VA0, 0);
	struct gtt_map_info mi = { 0 };
	int freed = 0;

	(void)state;
	xv_init(&t, &fake_xe_tgl);
	bo = fake_xe_bo(&t.f, 16 * PAGE, false);
	p = bo_pages(bo, 0, 16 * PAGE);
	assert_int_equal(gtt_pages_set_destructor(p, count_free, &freed), 0);
	assert_int_equal(gtt_vma_create(t.vm, p, NULL, &h), 0);
	assert_int_equal(gtt_vma_bind(t.vm, h, &bi, NULL), 0);
	fake_xe_fail(&t.f, DRM_IOCTL_XE_VM_BIND, 1, EINVAL);
	assert_int_equal(gtt_vma_unbind(t.vm, h, 0, NULL), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "gtt_vma_unbind: backend 'xe' refused the unbind: xe submit: DRM_IOCTL_XE_VM_BIND failed, op 0 of 1 (UNMAP at 0x100000"));
	assert_int_equal(pte_at(&t, VA0 + PAGE).obj, bo);	/* still mapped */
	sv = sparse_at(&t, 16 * PAGE, VA0 + 0x100000);
	mi.pages = p;
	assert_int_equal(gtt_vma_map(t.vm, sv, 0, 4 * PAGE, &mi, NULL), 0);
	fake_xe_fail(&t.f, DRM_IOCTL_XE_VM_BIND, 1, EINVAL);
	assert_int_equal(gtt_vma_unbind(t.vm, sv, 0, NULL), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "gtt_vma_unbind: backend 'xe' refused the unbind: xe submit: DRM_IOCTL_XE_VM_BIND failed, op 0 of 1 (UNMAP at 0x200000"));
	assert_int_equal(pte_at(&t, VA0 + 0x100000 + PAGE).obj, bo);
	/* Without memory for the copy, the errno's name: allocations fail
	 * in turn from the first of the call on, until one is the copy's. */
	for (uint64_t n = 1;; n++) {
		gtt_vma_t hn;
		int err;

		assert_int_equal(gtt_vma_create(t.vm, p, NULL, &hn), 0);
		bi = fixed_at(VA0 + 0x200000, 0);
		assert_int_equal(gtt_vma_bind(t.vm, hn, &bi, NULL), 0);
		fake_xe_fail(&t.f, DRM_IOCTL_XE_VM_BIND, 1, EINVAL);
		mem_fail_after(n);
		err = gtt_vma_unbind(t.vm, hn, 0, NULL);
		mem_fail_after(0);
		assert_int_equal(gtt_vma_destroy(t.vm, hn), 0);
		if (err == -ENOMEM) {		/* the backend's own, before the ioctl */
			assert_non_null(strstr(gtt_last_error(), "refused the unbind: "));
			assert_int_equal(pte_at(&t, VA0 + 0x200000).obj, bo);
			t.f.fail_nth = 0;
			assert_int_equal(gtt_vma_unbind(t.vm, hn, 0, NULL), -ENOENT);
			continue;
		}
		assert_int_equal(err, -EINVAL);
		if (strstr(gtt_last_error(), "the PTE clear failed (invalid argument)"))
			break;
		assert_non_null(strstr(gtt_last_error(), "refused the unbind"));
		assert_true(n < 20);
	}
	gtt_vma_destroy(t.vm, sv);
	gtt_vma_destroy(t.vm, h);
	gtt_pages_put(p);
	settle(&t);
	assert_int_equal(freed, 0);			/* held: the kernel maps them */
	t.f.refusals = 0;	/* the injected ones */
	xv_fini(&t);
	assert_int_equal(freed, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vm_bind_bo),
		cmocka_unit_test(test_vm_bind_userptr),
		cmocka_unit_test(test_vm_sparse),
		cmocka_unit_test(test_vm_dep_passes_through),
		cmocka_unit_test(test_vm_kernel_refuses),
		cmocka_unit_test(test_vm_64k_cut),
		cmocka_unit_test(test_vm_bmg_splits_vram),
		cmocka_unit_test(test_vm_64k_bind_placement),
		cmocka_unit_test(test_vm_64k_object_offset),
		cmocka_unit_test(test_vm_64k_evict),
		cmocka_unit_test(test_vm_random_64k_splits),
		cmocka_unit_test(test_vm_kernel_refuses_cut),
		cmocka_unit_test(test_vm_kernel_errors),
		cmocka_unit_test(test_vm_unbind_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
