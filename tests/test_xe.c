/* SPDX-License-Identifier: MIT */
/*
 * The xe backend over the fake xe kernel of tests/support/fake_xe.c: what
 * each op becomes, dependencies handed to the kernel (own points, imported
 * sync_files) and never awaited on the CPU, the queue's order, errors named
 * by ioctl and op, faults after submission, memory running out, teardown
 * with work in flight, the dry run — and, rule by rule, that the fake
 * refuses what xe refuses while the backend never trips a rule.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "helpers.h"
#include "base/util.h"
#include "backends/xe/xe_internal.h"
#include "sync/fence_internal.h"
#include "support/fake_xe.h"

#define S 1000000000ll		/* a second, in ns */

struct xt {
	struct fake_xe f;
	struct xe_sys sys;
	struct gtt_watcher *w;
	struct gtt_backend *be;
	struct gtt_xe_info info;
};

static void xt_init(struct xt *t, const struct fake_xe_platform *plat)
{
	fake_xe_init(&t->f, plat);
	t->sys = fake_xe_sys(&t->f);
	assert_int_equal(gtt_watcher_create(&t->w), 0);
	assert_int_equal(xe_backend_create(FAKE_XE_FD, NULL, t->w, &t->sys, &t->be), 0);
	assert_int_equal(gtt_xe_info(t->be, &t->info), 0);
}

/* Destroys the backend: everything it made is gone, nothing was refused. */
static void xt_fini(struct xt *t)
{
	gtt_backend_destroy(t->be);
	assert_int_equal(t->f.syncobjs_live, 0);
	assert_int_equal(t->f.vms_live, 0);
	assert_int_equal(t->f.queues_live, 0);
	gtt_watcher_destroy(t->w);
	fake_xe_fini(&t->f);
}

static void no_refusals(struct xt *t)
{
	if (t->f.refusals)
		fail_msg("the fake refused a call: %s (%s)", fake_xe_rule_name(t->f.last_rule),
			 fake_xe_rule_source(t->f.last_rule));
	assert_int_equal(t->f.unordered_points, 0);
}

static struct gtt_pages *bo_pages(uint32_t h, uint64_t off, uint64_t size)
{
	struct gtt_pages *p = NULL;

	assert_int_equal(gtt_pages_create_bo(h, off, size, 0, &p), 0);
	return p;
}

static struct gtt_pages *user_pages(uint64_t addr, uint64_t size)
{
	struct gtt_pages *p = NULL;

	assert_int_equal(gtt_pages_create_userptr(addr, size, 0, &p), 0);
	return p;
}

static struct gtt_backend_op map_op(uint64_t start, uint64_t size, const struct gtt_pages *p,
				    uint64_t off, uint32_t flags)
{
	return (struct gtt_backend_op){ .kind = GTT_BACKEND_OP_MAP, .pte_flags = flags,
					.start = start, .size = size, .pages = p,
					.pages_offset = off };
}

static struct gtt_backend_op unmap_op(uint64_t start, uint64_t size)
{
	return (struct gtt_backend_op){ .kind = GTT_BACKEND_OP_UNMAP, .start = start, .size = size };
}

static int submit(struct xt *t, const struct gtt_backend_op *ops, size_t n,
		  struct gtt_fence *const *deps, size_t nd, struct gtt_fence **done)
{
	*done = NULL;
	return xe_submit(gtt_backend_priv(t->be), ops, n, deps, nd, done);
}

/* Submit, wait for the done fence, check it succeeded. */
static void submit_ok(struct xt *t, const struct gtt_backend_op *ops, size_t n)
{
	struct gtt_fence *done;

	assert_int_equal(submit(t, ops, n, NULL, 0, &done), 0);
	assert_int_equal(gtt_fence_wait(done, 5 * S), 0);
	assert_int_equal(gtt_fence_status(done), 1);
	gtt_fence_put(done);
}

static struct fake_xe_pte pte_at(struct xt *t, uint64_t addr)
{
	struct fake_xe_pte p;

	assert_int_equal(fake_xe_lookup(&t->f, t->info.vm_id, addr, &p), 0);
	return p;
}

/* A fence only the kernel signals: an eventfd it owns as its "sync_file". */
struct ext {
	int fd;
	struct gtt_fence *fence;
};

static struct ext ext_fence(void)
{
	struct ext e = { .fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) };

	assert_true(e.fd >= 0);
	e.fence = new_fence();
	fence_own_sync_fd(e.fence, fcntl(e.fd, F_DUPFD_CLOEXEC, 3));
	return e;
}

static void ext_signal(struct ext *e)
{
	uint64_t one = 1;

	assert_int_equal(write(e->fd, &one, sizeof(one)), sizeof(one));
	gtt_fence_signal(e->fence, 0);
}

static void ext_fini(struct ext *e)
{
	gtt_fence_put(e->fence);
	close(e->fd);
}

static void has(const char *needle)
{
	if (!strstr(gtt_last_error(), needle))
		fail_msg("'%s' is not in the message '%s'", needle, gtt_last_error());
}

/* ---- creation ---- */

static void test_create_objects(void **state)
{
	struct xt t;

	(void)state;
	xt_init(&t, &fake_xe_tgl);
	assert_int_equal(t.f.vms_live, 1);
	assert_int_equal(t.f.queues_live, 1);
	assert_int_equal(t.f.syncobjs_live, 2);		/* timeline + export */
	assert_true(t.info.vm_id && t.info.exec_queue_id && t.info.syncobj);
	assert_int_equal(t.info.point, 0);
	assert_true(gtt_backend_is_queue(t.be));
	assert_string_equal(gtt_backend_name(t.be), "xe");
	no_refusals(&t);
	xt_fini(&t);
}

static void test_create_config(void **state)
{
	struct fake_xe f;
	struct xe_sys sys;
	struct gtt_watcher *w;
	struct gtt_backend *be = (void *)1;
	struct gtt_xe_config cfg = { 0 };

	(void)state;
	fake_xe_init(&f, &fake_xe_tgl);
	sys = fake_xe_sys(&f);
	assert_int_equal(gtt_watcher_create(&w), 0);
	cfg.reserved[3] = 1;
	assert_int_equal(xe_backend_create(FAKE_XE_FD, &cfg, w, &sys, &be), -EINVAL);
	assert_null(be);
	cfg.reserved[3] = 0;
	cfg.vm_flags = 1u << 1;			/* LR mode: refused by us */
	assert_int_equal(xe_backend_create(FAKE_XE_FD, &cfg, w, &sys, &be), -EINVAL);
	has("vm_flags");
	cfg.vm_flags = 0;
	assert_int_equal(xe_backend_create(FAKE_XE_FD, &cfg, NULL, &sys, &be), -EINVAL);
	has("watcher");
	assert_int_equal(xe_backend_create(-1, &cfg, w, &sys, &be), -EINVAL);
	assert_int_equal(xe_backend_create(FAKE_XE_FD, &cfg, w, &sys, NULL), -EINVAL);
	assert_int_equal(f.calls, 0);		/* nothing reached the kernel */
	/* A GT the device does not have: the kernel refuses the queue, and
	 * the VM made before it goes again. */
	cfg.gt_id = 3;
	assert_int_equal(xe_backend_create(FAKE_XE_FD, &cfg, w, &sys, &be), -EINVAL);
	has("DRM_IOCTL_XE_EXEC_QUEUE_CREATE");
	assert_int_equal(f.last_rule, FR_QC_GT);
	assert_int_equal(f.vms_live, 0);
	/* The scratch flag reaches the VM. */
	cfg.gt_id = 0;
	cfg.vm_flags = GTT_XE_VM_SCRATCH_PAGE;
	assert_int_equal(xe_backend_create(FAKE_XE_FD, &cfg, w, &sys, &be), 0);
	assert_int_equal(f.last_vm_flags, DRM_XE_VM_CREATE_FLAG_SCRATCH_PAGE);
	gtt_backend_destroy(be);
	assert_int_equal(f.vms_live + f.queues_live + f.syncobjs_live, 0);
	/* Not an xe backend. */
	struct gtt_mock_config mc = { .start = 0, .size = 1 << 20 };
	struct gtt_xe_info info;
	struct gtt_fence *done;

	assert_int_equal(gtt_mock_create(&mc, &be), 0);
	assert_int_equal(gtt_xe_info(be, &info), -EINVAL);
	assert_int_equal(gtt_xe_unmap_all(be, 1, 0, NULL, 0, &done), -EINVAL);
	gtt_backend_destroy(be);
	gtt_watcher_destroy(w);
	fake_xe_fini(&f);
}

/* Each creation ioctl failing in turn leaves nothing behind. */
static void test_create_failures(void **state)
{
	static const unsigned long reqs[] = { DRM_IOCTL_XE_VM_CREATE, DRM_IOCTL_XE_EXEC_QUEUE_CREATE,
					      DRM_IOCTL_SYNCOBJ_CREATE, DRM_IOCTL_SYNCOBJ_CREATE };
	static const int errs[] = { ENOMEM, EINVAL, ENOSPC, ENOMEM };
	static const char *names[] = { "DRM_IOCTL_XE_VM_CREATE", "DRM_IOCTL_XE_EXEC_QUEUE_CREATE",
				       "DRM_IOCTL_SYNCOBJ_CREATE", "DRM_IOCTL_SYNCOBJ_CREATE" };

	(void)state;
	for (unsigned int i = 0; i < 4; i++) {
		struct fake_xe f;
		struct xe_sys sys;
		struct gtt_watcher *w;
		struct gtt_backend *be;
		int64_t live;

		fake_xe_init(&f, &fake_xe_tgl);
		sys = fake_xe_sys(&f);
		assert_int_equal(gtt_watcher_create(&w), 0);
		live = mem_live();
		fake_xe_fail(&f, reqs[i], i == 3 ? 2 : 1, errs[i]);
		assert_int_equal(xe_backend_create(FAKE_XE_FD, NULL, w, &sys, &be), -errs[i]);
		has(names[i]);
		assert_int_equal(f.vms_live + f.queues_live + f.syncobjs_live, 0);
		assert_true(mem_live() <= live);	/* the watcher may still be freeing */
		gtt_watcher_destroy(w);
		fake_xe_fini(&f);
	}
}

/* Every allocation of create failing in turn leaves nothing behind (the
 * config query's reply among them, once, named). */
static void test_create_oom(void **state)
{
	struct fake_xe f;
	struct xe_sys sys;
	struct gtt_watcher *w;
	struct gtt_backend *be = NULL;
	int64_t live;
	int fails = 0, queried = 0;

	(void)state;
	fake_xe_init(&f, &fake_xe_tgl);
	sys = fake_xe_sys(&f);
	assert_int_equal(gtt_watcher_create(&w), 0);
	live = mem_live();
	for (uint64_t n = 1;; n++) {
		int err;

		mem_fail_after(n);
		err = xe_backend_create(FAKE_XE_FD, NULL, w, &sys, &be);
		bool fired = mem_fail_fired();

		mem_fail_after(0);
		if (!fired) {
			assert_int_equal(err, 0);
			break;
		}
		assert_int_equal(err, -ENOMEM);
		queried += strstr(gtt_last_error(), "out of memory for the config query") != NULL;
		assert_int_equal(f.vms_live + f.queues_live + f.syncobjs_live, 0);
		assert_true(mem_live() <= live);	/* the watcher may still be freeing */
		fails++;
	}
	assert_true(fails >= 2);
	assert_int_equal(queried, 1);
	gtt_backend_destroy(be);
	assert_true(mem_live() <= live);	/* the watcher may still be freeing */
	gtt_watcher_destroy(w);
	fake_xe_fini(&f);
}

/*
 * The device's minimum bind alignment comes from the config query at
 * creation (64 KiB on DG2, 4 KiB on TGL and BMG), also from a later
 * kernel answering 40 parameters; the query failing, answering a size
 * too small for the parameter or an alignment that is not a power of
 * two fails creation with nothing left behind.
 * Fails without the query (DG2 would read 4 KiB), or if the reply had to
 * fit a fixed buffer (40 parameters: -EIO).
 */
static void test_create_queries_alignment(void **state)
{
	static const struct fake_xe_platform *plats[] = { &fake_xe_tgl, &fake_xe_dg2, &fake_xe_bmg };
	static const uint64_t align[] = { 0x1000, 0x10000, 0x1000 };
	struct fake_xe f;
	struct xe_sys sys;
	struct gtt_watcher *w;
	struct gtt_backend *be;

	(void)state;
	assert_int_equal(gtt_watcher_create(&w), 0);
	for (unsigned int i = 0; i < 3; i++) {
		fake_xe_init(&f, plats[i]);
		sys = fake_xe_sys(&f);
		assert_int_equal(xe_backend_create(FAKE_XE_FD, NULL, w, &sys, &be), 0);
		assert_int_equal(xe_of(be)->min_align, align[i]);
		assert_int_equal(f.refusals, 0);
		gtt_backend_destroy(be);
		fake_xe_fini(&f);
	}
	/* A later kernel answers more parameters: the backend takes them
	 * all and reads its own. */
	fake_xe_init(&f, &fake_xe_dg2);
	f.config_params = 40;
	sys = fake_xe_sys(&f);
	assert_int_equal(xe_backend_create(FAKE_XE_FD, NULL, w, &sys, &be), 0);
	assert_int_equal(xe_of(be)->min_align, 0x10000);
	assert_int_equal(f.refusals, 0);
	gtt_backend_destroy(be);
	fake_xe_fini(&f);
	for (unsigned int nth = 1; nth <= 2; nth++) {	/* the size, then the reply */
		fake_xe_init(&f, &fake_xe_dg2);
		sys = fake_xe_sys(&f);
		fake_xe_fail(&f, DRM_IOCTL_XE_DEVICE_QUERY, nth, EIO);
		assert_int_equal(xe_backend_create(FAKE_XE_FD, NULL, w, &sys, &be), -EIO);
		has("DRM_IOCTL_XE_DEVICE_QUERY");
		assert_int_equal(f.vms_live + f.queues_live + f.syncobjs_live, 0);
		fake_xe_fini(&f);
	}
	/* An answer too short to hold the parameter, or an alignment that
	 * is not a power of two: -EIO, named, nothing left behind. */
	for (unsigned int k = 0; k < 2; k++) {
		fake_xe_init(&f, &fake_xe_dg2);
		if (k)
			f.config_min_align = 0x18000;
		else
			f.config_params = DRM_XE_QUERY_CONFIG_MIN_ALIGNMENT;
		sys = fake_xe_sys(&f);
		be = NULL;
		assert_int_equal(xe_backend_create(FAKE_XE_FD, NULL, w, &sys, &be), -EIO);
		has(k ? "is not a power of two" : "the config query answers");
		assert_null(be);
		assert_int_equal(f.vms_live + f.queues_live + f.syncobjs_live, 0);
		fake_xe_fini(&f);
	}
	/* A dry run asks nothing and assumes 4 KiB. */
	{
		char *text = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&text, &len);
		struct gtt_xe_config cfg = { .dry_run = out };

		assert_int_equal(gtt_xe_backend_create(-1, &cfg, NULL, &be), 0);
		assert_int_equal(xe_of(be)->min_align, 0x1000);
		gtt_backend_destroy(be);
		fclose(out);
		assert_null(strstr(text, "DEVICE_QUERY"));
		free(text);
	}
	gtt_watcher_destroy(w);
}

/* ---- what each op becomes ---- */

static void test_map_bo(void **state)
{
	struct xt t;
	uint32_t bo;
	struct gtt_pages *p;
	struct gtt_backend_op op;
	struct fake_xe_pte e;

	(void)state;
	xt_init(&t, &fake_xe_lnl);		/* PAT 2 is coherent there */
	bo = fake_xe_bo(&t.f, 64 * PAGE, false);
	assert_true(bo != 0);
	p = bo_pages(bo, 8 * PAGE, 32 * PAGE);		/* the list starts 8 pages in */
	op = map_op(0x200000, 4 * PAGE, p, 2 * PAGE, GTT_PTE_READ_ONLY | GTT_PTE_PAT(2));
	submit_ok(&t, &op, 1);
	assert_int_equal(t.f.last_bind.num_binds, 1);
	assert_int_equal(t.f.last_ops[0].op, DRM_XE_VM_BIND_OP_MAP);
	assert_int_equal(t.f.last_ops[0].obj, bo);
	assert_int_equal(t.f.last_ops[0].obj_offset, 10 * PAGE);
	assert_int_equal(t.f.last_ops[0].flags, DRM_XE_VM_BIND_FLAG_READONLY);
	assert_int_equal(t.f.last_ops[0].pat_index, 2);
	e = pte_at(&t, 0x200000 + 3 * PAGE + 5);
	assert_int_equal(e.kind, FAKE_PTE_BO);
	assert_int_equal(e.obj, bo);
	assert_int_equal(e.offset, 13 * PAGE + 5);
	assert_true(e.read_only);
	assert_int_equal(e.pat_index, 2);
	assert_int_equal(pte_at(&t, 0x200000 + 4 * PAGE).kind, FAKE_PTE_NONE);
	assert_int_equal(gtt_xe_info(t.be, &t.info), 0);
	assert_int_equal(t.info.point, 1);
	gtt_pages_put(p);
	no_refusals(&t);
	xt_fini(&t);
}

static void test_map_userptr_null_unmap(void **state)
{
	static char mem[16 * 4096] __attribute__((aligned(4096)));
	struct xt t;
	struct gtt_pages *p;
	struct gtt_backend_op op;
	struct fake_xe_pte e;

	(void)state;
	xt_init(&t, &fake_xe_tgl);
	p = user_pages((uintptr_t)mem, sizeof(mem));
	op = map_op(0x400000, 8 * PAGE, p, PAGE, 0);
	submit_ok(&t, &op, 1);
	assert_int_equal(t.f.last_ops[0].op, DRM_XE_VM_BIND_OP_MAP_USERPTR);
	assert_int_equal(t.f.last_ops[0].obj, 0);
	assert_int_equal(t.f.last_ops[0].userptr, (uintptr_t)mem + PAGE);
	e = pte_at(&t, 0x400000 + PAGE);
	assert_int_equal(e.kind, FAKE_PTE_USERPTR);
	assert_int_equal(e.offset, (uintptr_t)mem + 2 * PAGE);
	/* NULL: MAP with the flag, no object, no offset. */
	op = map_op(0x800000, 16 * PAGE, NULL, 0, GTT_PTE_NULL);
	submit_ok(&t, &op, 1);
	assert_int_equal(t.f.last_ops[0].op, DRM_XE_VM_BIND_OP_MAP);
	assert_int_equal(t.f.last_ops[0].flags, DRM_XE_VM_BIND_FLAG_NULL);
	assert_int_equal(t.f.last_ops[0].obj, 0);
	assert_int_equal(t.f.last_ops[0].obj_offset, 0);
	assert_int_equal(pte_at(&t, 0x800000 + 15 * PAGE).kind, FAKE_PTE_NULL);
	/* Unmap the middle of the userptr mapping: the ends stay. */
	op = unmap_op(0x400000 + 2 * PAGE, 2 * PAGE);
	submit_ok(&t, &op, 1);
	assert_int_equal(t.f.last_ops[0].op, DRM_XE_VM_BIND_OP_UNMAP);
	assert_int_equal(t.f.last_ops[0].obj, 0);
	assert_int_equal(pte_at(&t, 0x400000 + 2 * PAGE).kind, FAKE_PTE_NONE);
	e = pte_at(&t, 0x400000 + 4 * PAGE);
	assert_int_equal(e.kind, FAKE_PTE_USERPTR);
	assert_int_equal(e.offset, (uintptr_t)mem + 5 * PAGE);
	assert_int_equal(fake_xe_extents(&t.f, t.info.vm_id), 3);
	gtt_pages_put(p);
	no_refusals(&t);
	xt_fini(&t);
}

/* More than one op: xe's vector of binds, applied in order. */
static void test_batch_vector(void **state)
{
	struct xt t;
	uint32_t bo;
	struct gtt_pages *p;
	struct gtt_backend_op ops[3];

	(void)state;
	xt_init(&t, &fake_xe_lnl);
	bo = fake_xe_bo(&t.f, 16 * PAGE, false);
	p = bo_pages(bo, 0, 16 * PAGE);
	ops[0] = map_op(0x100000, 16 * PAGE, p, 0, GTT_PTE_PAT(1));
	ops[1] = unmap_op(0x100000 + 4 * PAGE, 4 * PAGE);
	ops[2] = map_op(0x100000 + 6 * PAGE, PAGE, NULL, 0, GTT_PTE_NULL);
	submit_ok(&t, ops, 3);
	assert_int_equal(t.f.last_bind.num_binds, 3);
	assert_int_equal(t.f.last_ops[1].op, DRM_XE_VM_BIND_OP_UNMAP);
	assert_int_equal(pte_at(&t, 0x100000 + 3 * PAGE).kind, FAKE_PTE_BO);
	assert_int_equal(pte_at(&t, 0x100000 + 4 * PAGE).kind, FAKE_PTE_NONE);
	assert_int_equal(pte_at(&t, 0x100000 + 6 * PAGE).kind, FAKE_PTE_NULL);
	assert_int_equal(pte_at(&t, 0x100000 + 8 * PAGE).offset, 8 * PAGE);
	gtt_pages_put(p);
	no_refusals(&t);
	xt_fini(&t);
}

/* What the backend refuses itself, before any ioctl. */
static void test_refused_before_the_kernel(void **state)
{
	struct xt t;
	struct gtt_pages *dma = make_pages(0x100000, 4, 0), *bo;
	struct gtt_backend_op op;
	struct gtt_fence *done, *cpu = new_fence();
	unsigned int calls;

	(void)state;
	xt_init(&t, &fake_xe_tgl);
	calls = t.f.calls;
	op = map_op(0x100000, 4 * PAGE, dma, 0, 0);
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &done), -EOPNOTSUPP);
	has("op 0");
	has("DMA segments");
	bo = bo_pages(1, 0, 4 * PAGE);
	op = map_op(0x100000, 4 * PAGE, bo, PAGE, 0);		/* past the end of the list */
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &done), -EINVAL);
	has("past the end");
	op = unmap_op(0x100000, PAGE);
	op.kind = 7;
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &done), -EINVAL);
	op = unmap_op(0x100000, PAGE);
	op.reserved[1] = 1;
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &done), -EINVAL);
	/* A fence only the CPU knows cannot go to the kernel. */
	op = unmap_op(0x100000, PAGE);
	assert_false(xe_can_wait(NULL, cpu));
	assert_int_equal(submit(&t, &op, 1, &cpu, 1, &done), -EINVAL);
	has("dependency 0");
	assert_int_equal(submit(&t, &op, 0, NULL, 0, &done), -EINVAL);
	assert_null(done);
	assert_int_equal(t.f.calls, calls);
	gtt_fence_put(cpu);
	gtt_pages_put(dma);
	gtt_pages_put(bo);
	xt_fini(&t);
}

/*
 * DG2: a map of a VRAM object (GTT_PTE_LOCAL_MEM) whose address, range or
 * object offset (the page list's own included) is not 64 KiB aligned is
 * refused by the backend with a message naming the rule, no ioctl made;
 * aligned, it goes through; on TGL (4 KiB minimum) the flag changes
 * nothing.  Fails without the backend's check (the kernel would refuse
 * with FR_BO_64K, and the message would not say why).
 */
static void test_vram_64k_before_the_kernel(void **state)
{
	struct xt t;
	uint32_t bo;
	struct gtt_pages *p, *shifted;
	struct gtt_backend_op op;
	struct gtt_fence *done;
	unsigned int calls;

	(void)state;
	xt_init(&t, &fake_xe_dg2);
	bo = fake_xe_bo(&t.f, 0x40000, true);
	p = bo_pages(bo, 0, 0x40000);
	shifted = bo_pages(bo, PAGE, 0x20000);
	calls = t.f.calls;
	op = map_op(0x101000, 0x10000, p, 0, GTT_PTE_LOCAL_MEM);
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &done), -EINVAL);
	has("op 0 (map at 0x101000");
	has("0x10000-byte pages");
	has("xe_vm_bind_ioctl_validate_bo");
	op = map_op(0x100000, 0x11000, p, 0, GTT_PTE_LOCAL_MEM);
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &done), -EINVAL);
	op = map_op(0x100000, 0x10000, p, PAGE, GTT_PTE_LOCAL_MEM);
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &done), -EINVAL);
	op = map_op(0x100000, 0x10000, shifted, 0, GTT_PTE_LOCAL_MEM);
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &done), -EINVAL);
	has("object offset 0x1000");
	assert_null(done);
	assert_int_equal(t.f.calls, calls);
	op = map_op(0x100000, 0x20000, p, 0x10000, GTT_PTE_LOCAL_MEM);
	submit_ok(&t, &op, 1);
	assert_int_equal(pte_at(&t, 0x110000).offset, 0x20000);
	/* NULL mappings have no object: no rule. */
	op = map_op(0x201000, PAGE, NULL, 0, GTT_PTE_NULL | GTT_PTE_LOCAL_MEM);
	submit_ok(&t, &op, 1);
	no_refusals(&t);
	gtt_pages_put(p);
	gtt_pages_put(shifted);
	xt_fini(&t);

	xt_init(&t, &fake_xe_tgl);
	bo = fake_xe_bo(&t.f, 0x10000, false);
	p = bo_pages(bo, 0, 0x10000);
	op = map_op(0x101000, PAGE, p, PAGE, GTT_PTE_LOCAL_MEM);
	submit_ok(&t, &op, 1);
	no_refusals(&t);
	gtt_pages_put(p);
	xt_fini(&t);
}

/*
 * A page array (gtt_pages_create_array()) is DMA memory too: refused the
 * same way, with no ioctl, as the message says.  Fails if xe took it for
 * a GEM object or user memory.
 */
static void test_page_array_refused(void **state)
{
	const uint64_t addrs[3] = { 0x300000, 0x100000, 0x200000 };
	struct gtt_pages *arr;
	struct gtt_backend_op op;
	struct gtt_fence *done = NULL;
	struct gtt_pages_memory m;
	unsigned int calls;
	struct xt t;

	(void)state;
	xt_init(&t, &fake_xe_tgl);
	assert_int_equal(gtt_pages_create_array(addrs, 3, PAGE, 0, &arr), 0);
	assert_int_equal(gtt_pages_memory(arr, &m), 0);
	assert_int_equal(m.kind, GTT_PAGES_DMA);
	calls = t.f.calls;
	op = map_op(0x100000, 3 * PAGE, arr, 0, 0);
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &done), -EOPNOTSUPP);
	has("page array");
	assert_null(done);
	assert_int_equal(t.f.calls, calls);
	gtt_pages_put(arr);
	xt_fini(&t);
}

/* ---- errors from the kernel ---- */

static void test_errors_name_ioctl_and_op(void **state)
{
	struct xt t;
	struct gtt_backend_op op;
	struct gtt_fence *done;
	static const int errs[] = { ENOMEM, ENOSPC, EBUSY, ENODEV };

	(void)state;
	xt_init(&t, &fake_xe_tgl);
	/* Misaligned: the kernel refuses, and nothing is done. */
	op = map_op(0x101800, PAGE, NULL, 0, GTT_PTE_NULL);
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &done), -EINVAL);
	assert_null(done);
	assert_int_equal(t.f.last_rule, FR_OP_ALIGN);
	has("DRM_IOCTL_XE_VM_BIND");
	has("op 0 of 1 (MAP NULL at 0x101800, range 0x1000)");
	assert_int_equal(gtt_xe_info(t.be, &t.info), 0);
	assert_int_equal(t.info.point, 0);		/* the point was not used */
	assert_int_equal(t.f.syncobjs_live, 2);
	/* Injected: each errno comes back as it is. */
	for (unsigned int i = 0; i < 4; i++) {
		struct gtt_backend_op two[2] = { unmap_op(0x200000, PAGE), unmap_op(0x300000, PAGE) };

		fake_xe_fail(&t.f, DRM_IOCTL_XE_VM_BIND, 1, errs[i]);
		assert_int_equal(submit(&t, two, 2, NULL, 0, &done), -errs[i]);
		has("DRM_IOCTL_XE_VM_BIND");
		has("op 0 of 2 (UNMAP at 0x200000, range 0x1000)");
	}
	/* The next batch takes the next point: no hole in the timeline. */
	op = unmap_op(0x200000, PAGE);
	submit_ok(&t, &op, 1);
	assert_int_equal(gtt_xe_info(t.be, &t.info), 0);
	assert_int_equal(t.info.point, 1);
	assert_int_equal(t.f.unordered_points, 0);
	xt_fini(&t);
}

/*
 * An interrupted call (EINTR, EAGAIN: a signal arrived, the kernel undid
 * what it began — xe_vm_bind_ioctl() unwinds its ops and signals nothing)
 * is made again with the same arguments, as libdrm's drmIoctl() does: each
 * ioctl of a submit with an imported dependency interrupted once, the
 * batch is taken once, waits for the dependency, signals, and leaves no
 * temporary syncobj behind.  Creation's ioctls too.  Fails without the
 * restart (the errno would come back).
 */
static void test_interrupted_calls_restart(void **state)
{
	static const unsigned long reqs[] = { DRM_IOCTL_XE_VM_BIND, DRM_IOCTL_SYNCOBJ_CREATE,
					      DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE,
					      DRM_IOCTL_SYNCOBJ_TRANSFER,
					      DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD };
	static const unsigned long create[] = { DRM_IOCTL_XE_DEVICE_QUERY, DRM_IOCTL_XE_VM_CREATE,
						DRM_IOCTL_XE_EXEC_QUEUE_CREATE,
						DRM_IOCTL_SYNCOBJ_CREATE };
	static const int errs[] = { EINTR, EAGAIN };

	(void)state;
	for (unsigned int i = 0; i < 5; i++) {
		for (unsigned int k = 0; k < 2; k++) {
			struct xt t;
			struct ext e = ext_fence();
			struct gtt_backend_op op = map_op(0x100000, PAGE, NULL, 0, GTT_PTE_NULL);
			struct gtt_fence *done;
			unsigned int binds;

			xt_init(&t, &fake_xe_tgl);
			binds = t.f.binds_ok;
			fake_xe_fail(&t.f, reqs[i], 1, errs[k]);
			assert_int_equal(submit(&t, &op, 1, &e.fence, 1, &done), 0);
			assert_int_equal(t.f.refused[FR_INJECTED], 1);
			assert_int_equal(t.f.binds_ok, binds + 1);
			assert_int_equal(t.f.syncobjs_live, 2);	/* the temporary one went */
			assert_int_equal(gtt_fence_wait(done, 20000000), -ETIME);
			ext_signal(&e);
			fake_xe_poll(&t.f);
			assert_int_equal(gtt_fence_wait(done, 5 * S), 0);
			assert_int_equal(gtt_fence_status(done), 1);
			assert_int_equal(pte_at(&t, 0x100000).kind, FAKE_PTE_NULL);
			gtt_fence_put(done);
			assert_int_equal(t.f.refusals, 1);	/* only the injected one */
			xt_fini(&t);
			ext_fini(&e);
		}
	}
	for (unsigned int i = 0; i < 4; i++) {
		struct fake_xe f;
		struct xe_sys sys;
		struct gtt_watcher *w;
		struct gtt_backend *be;

		fake_xe_init(&f, &fake_xe_dg2);
		sys = fake_xe_sys(&f);
		assert_int_equal(gtt_watcher_create(&w), 0);
		fake_xe_fail(&f, create[i], 1, EINTR);
		assert_int_equal(xe_backend_create(FAKE_XE_FD, NULL, w, &sys, &be), 0);
		assert_int_equal(f.refusals, 1);
		assert_int_equal(xe_of(be)->min_align, 0x10000);
		gtt_backend_destroy(be);
		assert_int_equal(f.vms_live + f.queues_live + f.syncobjs_live, 0);
		gtt_watcher_destroy(w);
		fake_xe_fini(&f);
	}
}

/* Open descriptors of this process. */
static int open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/*
 * Preparing the in-syncs fails: the temporary syncobj of dependency 0 or 1
 * cannot be made (SYNCOBJ_CREATE) or cannot take the sync_file
 * (FD_TO_HANDLE).  The submit returns that errno naming the call and the
 * dependency, makes no VM_BIND, destroys the temporary syncobjs it made,
 * closes the descriptors it duplicated and uses no timeline point.  Fails
 * if a temporary syncobj or a descriptor were left, or the point skipped.
 */
static void test_in_sync_failures(void **state)
{
	static const unsigned long reqs[] = { DRM_IOCTL_SYNCOBJ_CREATE,
					      DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE };
	static const char *names[] = { "DRM_IOCTL_SYNCOBJ_CREATE for dependency",
				       "DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE" };
	struct xt t;
	struct ext e[2] = { ext_fence(), ext_fence() };
	struct gtt_fence *deps[2] = { e[0].fence, e[1].fence }, *done;
	struct gtt_backend_op op = unmap_op(0x100000, PAGE);
	char dep[32];
	int fds;

	(void)state;
	xt_init(&t, &fake_xe_tgl);
	fds = open_fds();
	for (unsigned int r = 0; r < 2; r++) {
		for (unsigned int nth = 1; nth <= 2; nth++) {
			unsigned int binds = t.f.vm_binds;

			fake_xe_fail(&t.f, reqs[r], nth, r ? EINVAL : ENOMEM);
			assert_int_equal(submit(&t, &op, 1, deps, 2, &done), r ? -EINVAL : -ENOMEM);
			assert_null(done);
			has(names[r]);
			snprintf(dep, sizeof(dep), "dependency %u", nth - 1);
			has(dep);
			assert_int_equal(t.f.vm_binds, binds);
			assert_int_equal(t.f.syncobjs_live, 2);
			/* The fake keeps each import's descriptor (its
			 * fence's) until that signals: only those are left. */
			assert_int_equal(open_fds(), fds + (int)t.f.imports);
			assert_int_equal(gtt_xe_info(t.be, &t.info), 0);
			assert_int_equal(t.info.point, 0);
		}
	}
	t.f.refusals = 0;			/* the injected ones */
	assert_int_equal(submit(&t, &op, 1, deps, 2, &done), 0);
	assert_int_equal(t.f.last_syncs[2].timeline_value, 1);
	ext_signal(&e[0]);
	ext_signal(&e[1]);
	fake_xe_poll(&t.f);
	assert_int_equal(gtt_fence_wait(done, 5 * S), 0);
	assert_int_equal(gtt_fence_status(done), 1);
	gtt_fence_put(done);
	no_refusals(&t);
	xt_fini(&t);
	ext_fini(&e[0]);
	ext_fini(&e[1]);
}

/* A wedged GPU: batches pending fail on their fence, later ones at once. */
static void test_wedged(void **state)
{
	struct xt t;
	struct gtt_backend_op op = unmap_op(0x100000, PAGE);
	struct gtt_fence *done;
	struct ext e = ext_fence();

	(void)state;
	xt_init(&t, &fake_xe_tgl);
	assert_int_equal(submit(&t, &op, 1, &e.fence, 1, &done), 0);
	fake_xe_wedge(&t.f);
	assert_int_equal(gtt_fence_wait(done, 5 * S), 0);
	assert_true(gtt_fence_status(done) < 0);
	gtt_fence_put(done);
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &done), -ECANCELED);
	has("DRM_IOCTL_XE_VM_BIND");
	has("op 0 of 1 (UNMAP");
	/* Destroy still works: the kernel refuses the teardown calls too. */
	gtt_backend_destroy(t.be);
	gtt_watcher_destroy(t.w);
	fake_xe_fini(&t.f);
	ext_fini(&e);
}

/* A failure after the kernel took the batch is on the fence, not the call. */
static void test_export_failure_fails_the_fence(void **state)
{
	static const unsigned long reqs[] = { DRM_IOCTL_SYNCOBJ_TRANSFER,
					      DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD };
	struct xt t;
	struct gtt_backend_op op = map_op(0x100000, PAGE, NULL, 0, GTT_PTE_NULL);
	struct gtt_fence *done;

	(void)state;
	xt_init(&t, &fake_xe_tgl);
	for (unsigned int i = 0; i < 2; i++) {
		fake_xe_fail(&t.f, reqs[i], 1, ENOMEM);
		assert_int_equal(submit(&t, &op, 1, NULL, 0, &done), 0);
		assert_true(gtt_fence_is_signaled(done));
		assert_int_equal(gtt_fence_status(done), -ENOMEM);
		has("was submitted");
		gtt_fence_put(done);
	}
	assert_int_equal(t.f.binds_ok, 2);
	assert_int_equal(pte_at(&t, 0x100000).kind, FAKE_PTE_NULL);	/* it ran */
	xt_fini(&t);
}

/* ---- dependencies and order ---- */

/* A sync_file dependency goes to the kernel as an in-sync: submit returns
 * at once, and the batch runs only once the dependency signals. */
static void test_sync_file_dep_passes_through(void **state)
{
	struct xt t;
	struct gtt_backend_op op = map_op(0x100000, PAGE, NULL, 0, GTT_PTE_NULL);
	struct gtt_fence *done;
	struct ext e = ext_fence();

	(void)state;
	xt_init(&t, &fake_xe_tgl);
	assert_true(xe_can_wait(NULL, e.fence));
	assert_int_equal(submit(&t, &op, 1, &e.fence, 1, &done), 0);
	assert_false(gtt_fence_is_signaled(e.fence));		/* not awaited */
	assert_int_equal(t.f.last_bind.num_syncs, 2);
	assert_int_equal(t.f.last_syncs[0].type, DRM_XE_SYNC_TYPE_SYNCOBJ);
	assert_int_equal(t.f.last_syncs[0].flags, 0);
	assert_int_not_equal(t.f.last_syncs[0].handle, t.info.syncobj);
	assert_int_equal(t.f.last_syncs[1].type, DRM_XE_SYNC_TYPE_TIMELINE_SYNCOBJ);
	assert_int_equal(t.f.last_syncs[1].flags, DRM_XE_SYNC_FLAG_SIGNAL);
	assert_int_equal(t.f.last_syncs[1].handle, t.info.syncobj);
	assert_int_equal(t.f.last_syncs[1].timeline_value, 1);
	assert_int_equal(t.f.imports, 1);
	assert_int_equal(t.f.syncobjs_live, 2);		/* the temporary one is gone */
	fake_xe_poll(&t.f);
	assert_int_equal(gtt_fence_wait(done, 20000000), -ETIME);
	assert_int_equal(pte_at(&t, 0x100000).kind, FAKE_PTE_NONE);
	/* While pending, its sync_file goes on to whoever wants it. */
	int fd = -1;

	assert_int_equal(gtt_fence_export_sync_file(done, &fd), 0);
	close(fd);
	ext_signal(&e);
	fake_xe_poll(&t.f);
	assert_int_equal(gtt_fence_wait(done, 5 * S), 0);
	assert_int_equal(gtt_fence_status(done), 1);
	assert_int_equal(pte_at(&t, 0x100000).kind, FAKE_PTE_NULL);
	/* Signalled, it keeps no descriptor. */
	assert_int_equal(gtt_fence_export_sync_file(done, &fd), -ENODATA);
	gtt_fence_put(done);
	ext_fini(&e);
	no_refusals(&t);
	xt_fini(&t);
}

/* Our own earlier result is waited for as its timeline point. */
static void test_own_dep_is_a_point(void **state)
{
	struct xt t;
	struct gtt_backend_op op = map_op(0x100000, PAGE, NULL, 0, GTT_PTE_NULL);
	struct gtt_fence *a, *b, *proxy = new_fence();

	(void)state;
	xt_init(&t, &fake_xe_tgl);
	fake_xe_pause(&t.f, true);
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &a), 0);
	assert_int_equal(gtt_fence_seqno(a), 1);
	assert_true(xe_can_wait(NULL, a));
	/* A fence that carries ours (as the vm's bind fences do) counts too. */
	fence_set_kernel(proxy, a);
	assert_true(xe_can_wait(NULL, proxy));
	op = unmap_op(0x100000, PAGE);
	assert_int_equal(submit(&t, &op, 1, &proxy, 1, &b), 0);
	assert_int_equal(t.f.last_syncs[0].type, DRM_XE_SYNC_TYPE_TIMELINE_SYNCOBJ);
	assert_int_equal(t.f.last_syncs[0].flags, 0);
	assert_int_equal(t.f.last_syncs[0].handle, t.info.syncobj);
	assert_int_equal(t.f.last_syncs[0].timeline_value, 1);
	assert_int_equal(t.f.imports, 0);
	assert_int_equal(fake_xe_pending(&t.f), 2);
	fake_xe_pause(&t.f, false);
	assert_int_equal(gtt_fence_wait(b, 5 * S), 0);
	assert_true(gtt_fence_is_signaled(a));
	assert_int_equal(pte_at(&t, 0x100000).kind, FAKE_PTE_NONE);
	gtt_fence_put(a);
	gtt_fence_put(b);
	gtt_fence_put(proxy);
	no_refusals(&t);
	xt_fini(&t);
}

/* The bind queue is in order: a batch with no dependency waits behind one
 * that waits for a fence, and the fences signal in submission order. */
static void test_in_order_queue(void **state)
{
	struct xt t;
	uint32_t bo;
	struct gtt_pages *p;
	struct gtt_backend_op op;
	struct gtt_fence *a, *b, *c;
	struct ext e = ext_fence();

	(void)state;
	xt_init(&t, &fake_xe_tgl);
	bo = fake_xe_bo(&t.f, 4 * PAGE, false);
	p = bo_pages(bo, 0, 4 * PAGE);
	op = map_op(0x100000, 4 * PAGE, p, 0, 0);
	assert_int_equal(submit(&t, &op, 1, &e.fence, 1, &a), 0);
	op = unmap_op(0x100000, 2 * PAGE);
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &b), 0);
	op = map_op(0x100000, PAGE, NULL, 0, GTT_PTE_NULL);
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &c), 0);
	fake_xe_poll(&t.f);
	assert_int_equal(fake_xe_pending(&t.f), 3);
	assert_int_equal(gtt_fence_wait(c, 20000000), -ETIME);
	assert_int_equal(fake_xe_extents(&t.f, t.info.vm_id), 0);
	ext_signal(&e);
	fake_xe_poll(&t.f);
	assert_int_equal(gtt_fence_wait(c, 5 * S), 0);
	assert_int_equal(gtt_fence_wait(a, 5 * S), 0);
	assert_int_equal(gtt_fence_wait(b, 5 * S), 0);
	assert_true(gtt_fence_timestamp(a) <= gtt_fence_timestamp(b));
	assert_true(gtt_fence_timestamp(b) <= gtt_fence_timestamp(c));
	/* The table is the three in order: NULL, nothing, BO. */
	assert_int_equal(pte_at(&t, 0x100000).kind, FAKE_PTE_NULL);
	assert_int_equal(pte_at(&t, 0x100000 + PAGE).kind, FAKE_PTE_NONE);
	assert_int_equal(pte_at(&t, 0x100000 + 2 * PAGE).kind, FAKE_PTE_BO);
	gtt_fence_put(a);
	gtt_fence_put(b);
	gtt_fence_put(c);
	gtt_pages_put(p);
	ext_fini(&e);
	no_refusals(&t);
	xt_fini(&t);
}

/* Destroying the backend with batches in flight: the kernel kills the
 * queue, the fences we handed out fail, nothing refers to the backend. */
static void test_destroy_in_flight(void **state)
{
	struct xt t;
	struct gtt_backend_op op = map_op(0x100000, PAGE, NULL, 0, GTT_PTE_NULL);
	struct gtt_fence *a, *b;
	struct ext e = ext_fence();

	(void)state;
	xt_init(&t, &fake_xe_tgl);
	assert_int_equal(submit(&t, &op, 1, &e.fence, 1, &a), 0);
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &b), 0);
	gtt_backend_destroy(t.be);
	assert_int_equal(gtt_fence_wait(a, 5 * S), 0);
	assert_int_equal(gtt_fence_wait(b, 5 * S), 0);
	assert_int_equal(gtt_fence_status(a), -EPIPE);
	assert_int_equal(gtt_fence_status(b), -EPIPE);
	assert_int_equal(t.f.jobs_failed, 2);
	assert_int_equal(t.f.syncobjs_live + t.f.vms_live + t.f.queues_live, 0);
	gtt_fence_put(a);
	gtt_fence_put(b);
	gtt_watcher_destroy(t.w);
	fake_xe_fini(&t.f);
	ext_fini(&e);
}

/* Every allocation of a submit failing in turn: before the ioctl nothing
 * is done; after it (the watcher's import) the fence carries the error. */
static void test_submit_oom(void **state)
{
	struct xt t;
	struct gtt_backend_op ops[2] = { map_op(0x100000, PAGE, NULL, 0, GTT_PTE_NULL),
					 unmap_op(0x200000, PAGE) };
	struct gtt_fence *done, *own;
	int64_t live;
	int before = 0, after = 0;

	(void)state;
	xt_init(&t, &fake_xe_tgl);
	assert_int_equal(submit(&t, ops, 1, NULL, 0, &own), 0);
	assert_int_equal(gtt_fence_wait(own, 5 * S), 0);
	for (uint64_t n = 1;; n++) {
		struct ext e = ext_fence();
		struct gtt_fence *deps[2] = { e.fence, own };
		unsigned int binds = t.f.binds_ok;
		int err;
		bool fired;

		live = mem_live();
		mem_fail_after(n);
		err = submit(&t, ops, 2, deps, 2, &done);
		fired = mem_fail_fired();
		mem_fail_after(0);
		assert_int_equal(t.f.syncobjs_live, 2);
		if (err) {
			assert_int_equal(err, -ENOMEM);
			assert_null(done);
			assert_int_equal(t.f.binds_ok, binds);
			assert_true(mem_live() <= live);	/* the watcher may still be freeing */
			before++;
			ext_fini(&e);
			continue;
		}
		ext_signal(&e);
		fake_xe_poll(&t.f);
		assert_int_equal(gtt_fence_wait(done, 5 * S), 0);
		gtt_fence_put(done);
		ext_fini(&e);
		if (!fired)
			break;
		assert_int_equal(t.f.binds_ok, binds + 1);
		after++;
	}
	assert_true(before >= 3);
	assert_true(after >= 1);
	gtt_fence_put(own);
	xt_fini(&t);
}

/* Batches from several threads: points are handed out in queue order. */
struct race {
	struct xt *t;
	int n;
};

static void *race_main(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < r->n; i++) {
		struct gtt_backend_op op = map_op(0x100000 + (uint64_t)i * PAGE, PAGE, NULL, 0,
						  GTT_PTE_NULL);
		struct gtt_fence *done;

		if (submit(r->t, &op, 1, NULL, 0, &done) == 0) {
			gtt_fence_wait(done, 5 * S);
			gtt_fence_put(done);
		}
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct xt t;
	struct race r;
	pthread_t th[3];

	(void)state;
	xt_init(&t, &fake_xe_tgl);
	fake_xe_start_thread(&t.f);
	r = (struct race){ &t, 100 };
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&th[i], NULL, race_main, &r), 0);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(gtt_xe_info(t.be, &t.info), 0);
	assert_int_equal(t.info.point, 300);
	assert_int_equal(t.f.jobs_run, 300);
	no_refusals(&t);
	xt_fini(&t);
}

/* ---- UNMAP_ALL ---- */

static void test_unmap_all(void **state)
{
	struct xt t;
	uint32_t bo1, bo2;
	struct gtt_pages *p1, *p2;
	struct gtt_backend_op ops[3];
	struct gtt_fence *done;
	struct ext e = ext_fence();

	(void)state;
	xt_init(&t, &fake_xe_lnl);
	bo1 = fake_xe_bo(&t.f, 4 * PAGE, false);
	bo2 = fake_xe_bo(&t.f, 4 * PAGE, false);
	p1 = bo_pages(bo1, 0, 4 * PAGE);
	p2 = bo_pages(bo2, 0, 4 * PAGE);
	ops[0] = map_op(0x100000, 4 * PAGE, p1, 0, GTT_PTE_PAT(1));
	ops[1] = map_op(0x200000, 4 * PAGE, p1, 0, GTT_PTE_PAT(1));
	ops[2] = map_op(0x300000, 4 * PAGE, p2, 0, GTT_PTE_PAT(1));
	submit_ok(&t, ops, 3);
	/* Xe2's PAT index 0 is not coherent: refused for a write-back BO. */
	assert_int_equal(gtt_xe_unmap_all(t.be, bo1, 0, NULL, 0, &done), -EINVAL);
	assert_int_equal(t.f.last_rule, FR_BO_COH_WB);
	has("UNMAP_ALL of object");
	t.f.refusals = 0;
	assert_int_equal(gtt_xe_unmap_all(t.be, bo1, 1, &e.fence, 1, &done), 0);
	assert_int_equal(t.f.last_ops[0].op, DRM_XE_VM_BIND_OP_UNMAP_ALL);
	assert_int_equal(t.f.last_ops[0].addr, 0);
	assert_int_equal(t.f.last_ops[0].range, 0);
	ext_signal(&e);
	fake_xe_poll(&t.f);
	assert_int_equal(gtt_fence_wait(done, 5 * S), 0);
	assert_int_equal(gtt_fence_status(done), 1);
	assert_int_equal(pte_at(&t, 0x100000).kind, FAKE_PTE_NONE);
	assert_int_equal(pte_at(&t, 0x200000).kind, FAKE_PTE_NONE);
	assert_int_equal(pte_at(&t, 0x300000).obj, bo2);
	assert_int_equal(gtt_xe_unmap_all(t.be, 0, 1, NULL, 0, &done), -EINVAL);
	gtt_fence_put(done);
	gtt_pages_put(p1);
	gtt_pages_put(p2);
	ext_fini(&e);
	no_refusals(&t);
	xt_fini(&t);
}

/* ---- platform rules the backend passes on as the caller asked ---- */

static void test_platform_rules(void **state)
{
	static char mem[16 * 4096] __attribute__((aligned(65536)));
	struct xt t;
	struct gtt_pages *p, *u;
	struct gtt_backend_op op;
	struct gtt_fence *done;
	uint32_t bo;

	(void)state;
	/* DG2: VRAM binds must be 64 KiB aligned in address, range, offset. */
	xt_init(&t, &fake_xe_dg2);
	bo = fake_xe_bo(&t.f, 32 * PAGE, true);
	assert_true(bo != 0);
	p = bo_pages(bo, 0, 32 * PAGE);
	op = map_op(0x101000, 16 * PAGE, p, 0, 0);
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &done), -EINVAL);
	assert_int_equal(t.f.last_rule, FR_BO_64K);
	op = map_op(0x110000, 16 * PAGE, p, PAGE, 0);
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &done), -EINVAL);
	assert_int_equal(t.f.last_rule, FR_BO_64K);
	op = map_op(0x110000, 16 * PAGE, p, 16 * PAGE, 0);
	submit_ok(&t, &op, 1);
	/* Too small, unknown, beyond the VM. */
	op = map_op(0x200000, 32 * PAGE, p, 0, 0);
	gtt_pages_put(p);
	p = bo_pages(bo, 16 * PAGE, 32 * PAGE);		/* the list runs past the object */
	op.pages = p;
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &done), -EINVAL);
	assert_int_equal(t.f.last_rule, FR_BO_TOO_SMALL);
	gtt_pages_put(p);
	p = bo_pages(99, 0, 16 * PAGE);
	op = map_op(0x200000, 16 * PAGE, p, 0, 0);
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &done), -ENOENT);
	assert_int_equal(t.f.last_rule, FR_OP_OBJ_UNKNOWN);
	op = map_op((1ull << 48) - PAGE, 2 * PAGE, NULL, 0, GTT_PTE_NULL);
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &done), -EINVAL);
	assert_int_equal(t.f.last_rule, FR_OP_VM_RANGE);
	gtt_pages_put(p);
	xt_fini(&t);
	/* LNL: userptr needs a coherent PAT index; 16..19 are reserved. */
	xt_init(&t, &fake_xe_lnl);
	u = user_pages((uintptr_t)mem, sizeof(mem));
	op = map_op(0x100000, 16 * PAGE, u, 0, GTT_PTE_PAT(0));
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &done), -EINVAL);
	assert_int_equal(t.f.last_rule, FR_OP_USERPTR_COH);
	op.pte_flags = GTT_PTE_PAT(17);
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &done), -EINVAL);
	assert_int_equal(t.f.last_rule, FR_OP_PAT_RESERVED);
	op.pte_flags = GTT_PTE_PAT(1);
	submit_ok(&t, &op, 1);
	gtt_pages_put(u);
	xt_fini(&t);
}

/*
 * An object imported from another device's dma-buf has no CPU caching mode
 * of its own; Linux 6.12's xe_vm_bind_ioctl_validate_bo() then asks for a
 * coherent PAT index, as for a write-back object: on Xe2 index 0 is
 * refused with -EINVAL, named by ioctl and op, a coherent one (1) maps.
 * The backend passes the caller's index; the fake refuses by
 * FR_BO_COH_IMPORT (fails if the fake took any index for such an object).
 */
static void test_imported_object_needs_coherent_pat(void **state)
{
	struct xt t;
	struct gtt_pages *p;
	struct gtt_backend_op op;
	struct gtt_fence *done;
	uint32_t bo;

	(void)state;
	xt_init(&t, &fake_xe_lnl);
	bo = fake_xe_bo_import(&t.f, 16 * PAGE);
	p = bo_pages(bo, 0, 16 * PAGE);
	op = map_op(0x100000, 16 * PAGE, p, 0, GTT_PTE_PAT(0));
	assert_int_equal(submit(&t, &op, 1, NULL, 0, &done), -EINVAL);
	assert_int_equal(t.f.last_rule, FR_BO_COH_IMPORT);
	has("DRM_IOCTL_XE_VM_BIND failed, op 0 of 1 (MAP at 0x100000");
	assert_null(done);
	op.pte_flags = GTT_PTE_PAT(1);
	submit_ok(&t, &op, 1);
	assert_int_equal(pte_at(&t, 0x100000).obj, bo);
	gtt_pages_put(p);
	xt_fini(&t);
}

/* ---- the dry run ---- */

static void test_dry_run(void **state)
{
	struct gtt_xe_config cfg = { 0 };
	struct gtt_backend *be;
	struct gtt_backend_op ops[2] = { map_op(0x100000, PAGE, NULL, 0, GTT_PTE_NULL),
					 unmap_op(0x200000, PAGE) };
	struct gtt_pages *p = bo_pages(5, PAGE, 4 * PAGE);
	struct gtt_fence *done;
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	cfg.dry_run = open_memstream(&buf, &len);
	assert_non_null(cfg.dry_run);
	assert_int_equal(gtt_xe_backend_create(-1, &cfg, NULL, &be), 0);
	ops[1] = map_op(0x200000, 2 * PAGE, p, PAGE, GTT_PTE_PAT(3));
	assert_int_equal(xe_submit(gtt_backend_priv(be), ops, 2, NULL, 0, &done), 0);
	assert_true(gtt_fence_is_signaled(done));
	assert_int_equal(gtt_fence_status(done), 1);
	gtt_fence_put(done);
	gtt_backend_destroy(be);
	fclose(cfg.dry_run);
	assert_non_null(strstr(buf, "DRM_IOCTL_XE_VM_CREATE flags=0x0 -> vm_id=1"));
	assert_non_null(strstr(buf, "DRM_IOCTL_XE_EXEC_QUEUE_CREATE vm_id=1 width=1 num_placements=1 "
				    "engine_class=VM_BIND"));
	assert_non_null(strstr(buf, "DRM_IOCTL_XE_VM_BIND vm_id=1 exec_queue_id=2 num_binds=2 num_syncs=1"));
	assert_non_null(strstr(buf, "  bind[0] op=MAP obj=0 obj_offset=0x0 addr=0x100000 range=0x1000 flags=0x4"));
	assert_non_null(strstr(buf, "  bind[1] op=MAP obj=5 obj_offset=0x2000 addr=0x200000 range=0x2000 "
				    "flags=0x0 pat_index=3"));
	assert_non_null(strstr(buf, "  sync[0] type=TIMELINE_SYNCOBJ flags=SIGNAL handle=3 timeline_value=1"));
	assert_non_null(strstr(buf, "DRM_IOCTL_SYNCOBJ_TRANSFER src_handle=3 src_point=1 dst_handle=4"));
	assert_non_null(strstr(buf, "DRM_IOCTL_XE_VM_DESTROY vm_id=1"));
	free(buf);
	gtt_pages_put(p);
}

/* ---- the fake's rules, one violation each ---- */

struct raw {
	struct fake_xe f;
	uint32_t vm, q, so, bo, vram_bo;
	struct drm_xe_vm_bind b;
	struct drm_xe_sync s[2];
};

/* A device with a VM, a bind queue, a timeline with point 1, a BO, and a
 * valid one-op bind that the case then spoils. */
static void raw_init(struct raw *r, const struct fake_xe_platform *plat)
{
	struct drm_xe_vm_create vc = { 0 };
	struct drm_xe_engine_class_instance eci = { .engine_class = DRM_XE_ENGINE_CLASS_VM_BIND };
	struct drm_xe_exec_queue_create qc = { .width = 1, .num_placements = 1,
					       .instances = (uintptr_t)&eci };
	struct drm_syncobj_create sc = { 0 };
	uint32_t h;
	uint64_t one = 1;
	struct drm_syncobj_timeline_array ta = { .handles = (uintptr_t)&h,
						 .points = (uintptr_t)&one, .count_handles = 1 };

	fake_xe_init(&r->f, plat);
	assert_int_equal(fake_xe_ioctl(&r->f, DRM_IOCTL_XE_VM_CREATE, &vc), 0);
	r->vm = vc.vm_id;
	assert_int_equal(fake_xe_ioctl(&r->f, DRM_IOCTL_XE_EXEC_QUEUE_CREATE, &qc), 0);
	r->q = qc.exec_queue_id;
	assert_int_equal(fake_xe_ioctl(&r->f, DRM_IOCTL_SYNCOBJ_CREATE, &sc), 0);
	r->so = h = sc.handle;
	assert_int_equal(fake_xe_ioctl(&r->f, DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, &ta), 0);
	r->bo = fake_xe_bo(&r->f, 16 * PAGE, false);
	r->vram_bo = plat->vram ? fake_xe_bo(&r->f, 16 * PAGE, true) : 0;
	r->s[0] = (struct drm_xe_sync){ .type = DRM_XE_SYNC_TYPE_TIMELINE_SYNCOBJ, .handle = r->so,
					.timeline_value = 1 };
	r->s[1] = (struct drm_xe_sync){ .type = DRM_XE_SYNC_TYPE_TIMELINE_SYNCOBJ, .handle = r->so,
					.flags = DRM_XE_SYNC_FLAG_SIGNAL, .timeline_value = 2 };
	r->b = (struct drm_xe_vm_bind){
		.vm_id = r->vm, .exec_queue_id = r->q, .num_binds = 1, .num_syncs = 2,
		.syncs = (uintptr_t)r->s,
		.bind = { .op = DRM_XE_VM_BIND_OP_MAP, .obj = r->bo, .addr = 0x100000,
			  .range = 4 * PAGE },
	};
	assert_int_equal(r->f.refusals, 0);
}

enum { MAP_BO, NULL_MAP, USERPTR, UNMAP, UNMAP_ALL, PREFETCH };

static void raw_op(struct raw *r, int kind)
{
	struct drm_xe_vm_bind_op *o = &r->b.bind;

	*o = (struct drm_xe_vm_bind_op){ .addr = 0x100000, .range = 4 * PAGE };
	switch (kind) {
	case NULL_MAP: o->op = DRM_XE_VM_BIND_OP_MAP; o->flags = DRM_XE_VM_BIND_FLAG_NULL; break;
	case USERPTR: o->op = DRM_XE_VM_BIND_OP_MAP_USERPTR; o->userptr = 0x7f0000000000ull; break;
	case UNMAP: o->op = DRM_XE_VM_BIND_OP_UNMAP; break;
	case UNMAP_ALL: o->op = DRM_XE_VM_BIND_OP_UNMAP_ALL; o->obj = r->bo; o->addr = o->range = 0; break;
	case PREFETCH: o->op = DRM_XE_VM_BIND_OP_PREFETCH; break;
	default: o->op = DRM_XE_VM_BIND_OP_MAP; o->obj = r->bo; break;
	}
}

/* Each case spoils one thing of the valid bind (or makes its own call). */
static int raw_case(struct raw *r, enum fake_xe_rule rule)
{
	struct drm_xe_vm_bind_op *o = &r->b.bind;
	struct drm_xe_vm_create vc = { 0 };
	struct drm_xe_vm_destroy vd = { .vm_id = r->vm };
	struct drm_xe_engine_class_instance eci = { .engine_class = DRM_XE_ENGINE_CLASS_VM_BIND };
	struct drm_xe_exec_queue_create qc = { .width = 1, .num_placements = 1,
					       .instances = (uintptr_t)&eci };
	struct drm_xe_exec_queue_destroy qd = { .exec_queue_id = r->q };
	struct drm_xe_gem_create g = { .size = 16 * PAGE, .placement = 1,
				       .cpu_caching = DRM_XE_GEM_CPU_CACHING_WB };
	struct drm_syncobj_create sc = { 0 };
	struct drm_syncobj_destroy sd = { .handle = r->so };
	struct drm_syncobj_handle sh = { .handle = r->so,
					 .flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE, .fd = 0 };
	struct drm_syncobj_transfer tr = { .src_handle = r->so, .src_point = 1, .dst_handle = r->so };
	uint32_t h = r->so;
	uint64_t pt = 5;
	struct drm_syncobj_array sa = { .handles = (uintptr_t)&h, .count_handles = 1 };
	struct drm_syncobj_timeline_array ta = { .handles = (uintptr_t)&h, .points = (uintptr_t)&pt,
						 .count_handles = 1 };
	struct drm_xe_vm_bind_op two[2];
	uint64_t reply[8];
	struct drm_xe_device_query dq = { .query = DRM_XE_DEVICE_QUERY_CONFIG,
					  .data = (uintptr_t)reply };

	switch (rule) {
	case FR_VMC_EXTENSIONS: vc.extensions = 1; goto vmc;
	case FR_VMC_FAULT_NO_USM: vc.flags = DRM_XE_VM_CREATE_FLAG_LR_MODE | DRM_XE_VM_CREATE_FLAG_FAULT_MODE; goto vmc;
	case FR_VMC_RESERVED: vc.reserved[1] = 1; goto vmc;
	case FR_VMC_FLAGS: vc.flags = 1u << 5; goto vmc;
	case FR_VMC_SCRATCH_FAULT: vc.flags = DRM_XE_VM_CREATE_FLAG_SCRATCH_PAGE | DRM_XE_VM_CREATE_FLAG_LR_MODE | DRM_XE_VM_CREATE_FLAG_FAULT_MODE; goto vmc;
	case FR_VMC_FAULT_NO_LR: vc.flags = DRM_XE_VM_CREATE_FLAG_FAULT_MODE; goto vmc;
	vmc:	return fake_xe_ioctl(&r->f, DRM_IOCTL_XE_VM_CREATE, &vc);
	case FR_VMD_PAD: vd.pad = 1; goto vmd;
	case FR_VMD_UNKNOWN: vd.vm_id = 77; goto vmd;
	vmd:	return fake_xe_ioctl(&r->f, DRM_IOCTL_XE_VM_DESTROY, &vd);
	case FR_QC_FLAGS: qc.flags = 1; goto qc;
	case FR_QC_LEN: qc.width = 0; goto qc;
	case FR_QC_INSTANCES: qc.instances = 0; goto qc;
	case FR_QC_GT: eci.gt_id = 7; goto qc;
	case FR_QC_BIND_SHAPE: eci.engine_instance = 1; goto qc;
	case FR_QC_EXTENSIONS: qc.extensions = 1; goto qc;
	case FR_QC_ENGINE: eci.engine_class = 9; goto qc;
	case FR_QC_VM: eci.engine_class = DRM_XE_ENGINE_CLASS_RENDER; qc.vm_id = 77; goto qc;
	qc:	return fake_xe_ioctl(&r->f, DRM_IOCTL_XE_EXEC_QUEUE_CREATE, &qc);
	case FR_QD_PAD: qd.pad = 1; goto qd;
	case FR_QD_UNKNOWN: qd.exec_queue_id = 77; goto qd;
	qd:	return fake_xe_ioctl(&r->f, DRM_IOCTL_XE_EXEC_QUEUE_DESTROY, &qd);
	case FR_GEM_MBZ: g.pad[1] = 1; goto gem;
	case FR_GEM_PLACEMENT: g.placement = 4; goto gem;
	case FR_GEM_FLAGS: g.flags = 1u << 7; goto gem;
	case FR_GEM_HANDLE: g.handle = 3; goto gem;
	case FR_GEM_SIZE: g.size = 100; goto gem;
	case FR_GEM_SIZE_64K: g.placement = 2; g.cpu_caching = DRM_XE_GEM_CPU_CACHING_WC; g.size = PAGE; goto gem;
	case FR_GEM_VISIBLE: g.flags = DRM_XE_GEM_CREATE_FLAG_NEEDS_VISIBLE_VRAM; goto gem;
	case FR_GEM_SCANOUT_WB: g.flags = DRM_XE_GEM_CREATE_FLAG_SCANOUT; goto gem;
	case FR_GEM_CACHING: g.cpu_caching = 0; goto gem;
	case FR_GEM_VRAM_WB: g.placement = 2; goto gem;
	case FR_GEM_VM: g.vm_id = 77; goto gem;
	gem:	return fake_xe_ioctl(&r->f, DRM_IOCTL_XE_GEM_CREATE, &g);
	case FR_BIND_PAD: r->b.pad2 = 1; break;
	case FR_BIND_EXTENSIONS: r->b.extensions = 1; break;
	case FR_BIND_NUM_SYNCS: r->b.num_syncs = DRM_XE_MAX_SYNCS + 1; break;
	case FR_BIND_VECTOR: r->b.num_binds = 2; r->b.vector_of_binds = 0; break;
	case FR_OP_PAT_RANGE: o->pat_index = 32; break;
	case FR_OP_PAT_RESERVED: o->pat_index = 18; break;
	case FR_OP_OP: o->op = 9; break;
	case FR_OP_FLAGS: o->flags = 1u << 9; break;
	case FR_OP_NULL_OBJ: o->flags = DRM_XE_VM_BIND_FLAG_NULL; break;
	case FR_OP_NULL_OFFSET: raw_op(r, NULL_MAP); o->obj_offset = PAGE; break;
	case FR_OP_NULL_NOT_MAP: raw_op(r, UNMAP); o->flags = DRM_XE_VM_BIND_FLAG_NULL; break;
	case FR_OP_MAP_NO_OBJ: o->obj = 0; break;
	case FR_OP_UNMAP_ALL_NO_OBJ: raw_op(r, UNMAP_ALL); o->obj = 0; break;
	case FR_OP_UNMAP_ALL_ADDR: raw_op(r, UNMAP_ALL); o->addr = 0x100000; break;
	case FR_OP_UNMAP_ALL_RANGE: raw_op(r, UNMAP_ALL); o->range = PAGE; break;
	case FR_OP_USERPTR_OBJ: raw_op(r, USERPTR); o->obj = r->bo; break;
	case FR_OP_USERPTR_COH: raw_op(r, USERPTR); o->pat_index = 0; break;
	case FR_OP_PREFETCH_OBJ: raw_op(r, PREFETCH); o->obj = r->bo; break;
	case FR_OP_PREFETCH_REGION: raw_op(r, UNMAP); o->prefetch_mem_region_instance = 1; break;
	case FR_OP_REGION: raw_op(r, PREFETCH); o->prefetch_mem_region_instance = 5; break;
	case FR_OP_UNMAP_OBJ: raw_op(r, UNMAP); o->obj = r->bo; break;
	case FR_OP_ALIGN: o->obj_offset = 0x800; break;
	case FR_OP_RANGE_ZERO: o->range = 0; break;
	case FR_OP_MBZ: o->reserved[2] = 1; break;
	case FR_BIND_QUEUE_UNKNOWN: r->b.exec_queue_id = 77; break;
	case FR_BIND_QUEUE_NOT_BIND:
		eci.engine_class = DRM_XE_ENGINE_CLASS_RENDER;
		qc.vm_id = r->vm;
		assert_int_equal(fake_xe_ioctl(&r->f, DRM_IOCTL_XE_EXEC_QUEUE_CREATE, &qc), 0);
		r->b.exec_queue_id = qc.exec_queue_id;
		break;
	case FR_BIND_VM_UNKNOWN: r->b.vm_id = 77; break;
	case FR_OP_VM_RANGE: o->addr = (1ull << 48) - PAGE; break;
	case FR_OP_OBJ_UNKNOWN: o->obj = 77; break;
	case FR_BO_TOO_SMALL: o->obj_offset = 14 * PAGE; break;
	case FR_BO_64K: o->obj = r->vram_bo; o->addr = 0x101000; break;
	case FR_BO_COH_WB: o->pat_index = 0; break;
	case FR_BO_COH_IMPORT: o->obj = fake_xe_bo_import(&r->f, 16 * PAGE); o->pat_index = 0; break;
	case FR_SYNC_FLAGS: r->s[0].flags = 2; break;
	case FR_SYNC_RESERVED: r->s[0].reserved[0] = 1; break;
	case FR_SYNC_LR_SIGNAL:
		vc.flags = DRM_XE_VM_CREATE_FLAG_LR_MODE;
		assert_int_equal(fake_xe_ioctl(&r->f, DRM_IOCTL_XE_VM_CREATE, &vc), 0);
		r->b.vm_id = vc.vm_id;
		r->b.exec_queue_id = 0;
		break;
	case FR_SYNC_HANDLE_HIGH: r->s[0].addr |= 1ull << 40; break;
	case FR_SYNC_UNKNOWN: r->s[0].handle = 77; break;
	case FR_SYNC_NO_FENCE:
		assert_int_equal(fake_xe_ioctl(&r->f, DRM_IOCTL_SYNCOBJ_CREATE, &sc), 0);
		r->s[0].type = DRM_XE_SYNC_TYPE_SYNCOBJ;
		r->s[0].handle = sc.handle;
		break;
	case FR_SYNC_POINT_ZERO: r->s[0].timeline_value = 0; break;
	case FR_SYNC_POINT_PENDING: r->s[0].timeline_value = 9; break;
	case FR_SYNC_UFENCE: r->s[0].type = DRM_XE_SYNC_TYPE_USER_FENCE; r->s[0].flags = 1; break;
	case FR_SYNC_TYPE: r->s[0].type = 7; break;
	case FR_SO_CREATE_FLAGS: sc.flags = 4; return fake_xe_ioctl(&r->f, DRM_IOCTL_SYNCOBJ_CREATE, &sc);
	case FR_SO_PAD: sd.pad = 1; return fake_xe_ioctl(&r->f, DRM_IOCTL_SYNCOBJ_DESTROY, &sd);
	case FR_SO_UNKNOWN: sd.handle = 77; return fake_xe_ioctl(&r->f, DRM_IOCTL_SYNCOBJ_DESTROY, &sd);
	case FR_SO_FD_FLAGS: sh.flags = 2; return fake_xe_ioctl(&r->f, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &sh);
	case FR_SO_NOT_SYNC_FILE: sh.fd = 999; return fake_xe_ioctl(&r->f, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &sh);
	case FR_SO_EXPORT_NO_FENCE:
		assert_int_equal(fake_xe_ioctl(&r->f, DRM_IOCTL_SYNCOBJ_CREATE, &sc), 0);
		sh.handle = sc.handle;
		sh.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE;
		return fake_xe_ioctl(&r->f, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &sh);
	case FR_SO_SYNCOBJ_FD: sh.flags = 0; return fake_xe_ioctl(&r->f, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &sh);
	case FR_SO_TRANSFER_FLAGS: tr.flags = 8; return fake_xe_ioctl(&r->f, DRM_IOCTL_SYNCOBJ_TRANSFER, &tr);
	case FR_SO_TRANSFER_NO_FENCE: tr.src_point = 3; return fake_xe_ioctl(&r->f, DRM_IOCTL_SYNCOBJ_TRANSFER, &tr);
	case FR_SO_COUNT: sa.count_handles = 0; return fake_xe_ioctl(&r->f, DRM_IOCTL_SYNCOBJ_SIGNAL, &sa);
	case FR_SO_SIGNAL_FLAGS: ta.flags = 1; return fake_xe_ioctl(&r->f, DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, &ta);
	case FR_REMAP_64K:		/* 4 KiB out of a 64 KiB VRAM mapping */
		*o = (struct drm_xe_vm_bind_op){ .op = DRM_XE_VM_BIND_OP_MAP, .obj = r->vram_bo,
						 .addr = 0x100000, .range = 16 * PAGE };
		r->b.num_syncs = 0;
		assert_int_equal(fake_xe_ioctl(&r->f, DRM_IOCTL_XE_VM_BIND, &r->b), 0);
		raw_op(r, UNMAP);
		o->addr = 0x101000;
		o->range = PAGE;
		break;
	case FR_QUERY_MBZ: dq.reserved[0] = 1; goto dq;
	case FR_QUERY_UNKNOWN: dq.query = DRM_XE_DEVICE_QUERY_ENGINES; goto dq;
	case FR_QUERY_SIZE: dq.size = 8; goto dq;
	dq:	return fake_xe_ioctl(&r->f, DRM_IOCTL_XE_DEVICE_QUERY, &dq);
	case FR_WEDGED: fake_xe_wedge(&r->f); break;
	case FR_GONE: r->f.gone = true; break;
	case FR_INJECTED: fake_xe_fail(&r->f, DRM_IOCTL_XE_VM_BIND, 1, ENOSPC); break;
	case FR_UNKNOWN_IOCTL: return fake_xe_ioctl(&r->f, DRM_IOCTL_XE_EXEC, &r->b);
	default:
		return 1;	/* no case */
	}
	(void)two;
	return fake_xe_ioctl(&r->f, DRM_IOCTL_XE_VM_BIND, &r->b);
}

static const struct fake_xe_platform *raw_platform(enum fake_xe_rule rule)
{
	switch (rule) {
	case FR_GEM_SIZE_64K: case FR_BO_64K: case FR_GEM_VRAM_WB: case FR_REMAP_64K:
		return &fake_xe_dg2;
	case FR_OP_PAT_RESERVED: case FR_OP_USERPTR_COH: case FR_BO_COH_WB: case FR_BO_COH_IMPORT:
	case FR_VMC_SCRATCH_FAULT: case FR_VMC_FAULT_NO_LR: return &fake_xe_lnl;
	default: return &fake_xe_tgl;
	}
}

/* Every rule: a call that breaks it is refused by that rule, with the
 * kernel's errno; the same call unspoiled is accepted. */
static void test_fake_rules(void **state)
{
	unsigned int covered = 0;

	(void)state;
	for (int rule = FR_WEDGED; rule < FR_RULES; rule++) {
		struct raw r;
		int err;

		if (rule == FR_BAD_FD)
			continue;		/* the seam's fd check: test_fake_bad_fd */
		raw_init(&r, raw_platform(rule));
		err = raw_case(&r, rule);
		if (err == 1)
			fail_msg("no case for rule %s", fake_xe_rule_name(rule));
		if (err >= 0 || r.f.last_rule != (enum fake_xe_rule)rule)
			fail_msg("rule %s (%s): call returned %d, refused by %s", fake_xe_rule_name(rule),
				 fake_xe_rule_source(rule), err, fake_xe_rule_name(r.f.last_rule));
		assert_int_equal(r.f.refusals, 1);
		covered++;
		fake_xe_fini(&r.f);
	}
	assert_int_equal(covered, FR_RULES - 2);
	/* The baseline itself goes through, and so does each op kind. */
	for (int kind = MAP_BO; kind <= PREFETCH; kind++) {
		struct raw r;

		raw_init(&r, &fake_xe_tgl);
		if (kind != MAP_BO)
			raw_op(&r, kind);
		assert_int_equal(fake_xe_ioctl(&r.f, DRM_IOCTL_XE_VM_BIND, &r.b), 0);
		assert_int_equal(r.f.refusals, 0);
		assert_int_equal(r.f.jobs_run, 1);
		fake_xe_fini(&r.f);
	}
}

static void test_fake_bad_fd(void **state)
{
	struct fake_xe f;
	struct xe_sys sys;
	struct drm_syncobj_create sc = { 0 };

	(void)state;
	fake_xe_init(&f, &fake_xe_tgl);
	sys = fake_xe_sys(&f);
	assert_int_equal(xe_sys_ioctl(&sys, 3, DRM_IOCTL_SYNCOBJ_CREATE, &sc), -EBADF);
	assert_int_equal(f.last_rule, FR_BAD_FD);
	fake_xe_fini(&f);
}

/* The fake's own semantics: a sync-only bind (no ops) signals after its
 * in-sync; a timeline wait waits for every earlier point. */
static void test_fake_semantics(void **state)
{
	struct raw r;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct drm_syncobj_create sc = { 0 };
	struct drm_syncobj_handle sh = { .flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE,
					 .fd = efd };
	uint64_t one = 1;

	(void)state;
	raw_init(&r, &fake_xe_tgl);
	assert_int_equal(fake_xe_ioctl(&r.f, DRM_IOCTL_SYNCOBJ_CREATE, &sc), 0);
	sh.handle = sc.handle;
	assert_int_equal(fake_xe_ioctl(&r.f, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &sh), 0);
	r.s[0] = (struct drm_xe_sync){ .type = DRM_XE_SYNC_TYPE_SYNCOBJ, .handle = sc.handle };
	r.b.num_binds = 0;
	assert_int_equal(fake_xe_ioctl(&r.f, DRM_IOCTL_XE_VM_BIND, &r.b), 0);
	/* Point 3 is signalled by the CPU, but waiting for it waits for 2. */
	uint32_t h = r.so;
	uint64_t three = 3;
	struct drm_syncobj_timeline_array ta = { .handles = (uintptr_t)&h,
						 .points = (uintptr_t)&three, .count_handles = 1 };

	assert_int_equal(fake_xe_ioctl(&r.f, DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, &ta), 0);
	r.s[0] = (struct drm_xe_sync){ .type = DRM_XE_SYNC_TYPE_TIMELINE_SYNCOBJ, .handle = r.so,
				       .timeline_value = 3 };
	r.s[1].timeline_value = 4;
	r.b.num_binds = 1;
	r.b.exec_queue_id = 0;				/* the VM's own queue */
	assert_int_equal(fake_xe_ioctl(&r.f, DRM_IOCTL_XE_VM_BIND, &r.b), 0);
	fake_xe_poll(&r.f);
	assert_int_equal(fake_xe_pending(&r.f), 2);
	assert_int_equal(write(efd, &one, sizeof(one)), sizeof(one));
	fake_xe_poll(&r.f);
	assert_int_equal(fake_xe_pending(&r.f), 0);
	assert_int_equal(r.f.jobs_run, 2);
	assert_int_equal(r.f.ops_run, 1);
	assert_int_equal(r.f.refusals, 0);
	fake_xe_fini(&r.f);
	close(efd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_objects),
		cmocka_unit_test(test_create_config),
		cmocka_unit_test(test_create_failures),
		cmocka_unit_test(test_create_oom),
		cmocka_unit_test(test_create_queries_alignment),
		cmocka_unit_test(test_map_bo),
		cmocka_unit_test(test_map_userptr_null_unmap),
		cmocka_unit_test(test_batch_vector),
		cmocka_unit_test(test_refused_before_the_kernel),
		cmocka_unit_test(test_vram_64k_before_the_kernel),
		cmocka_unit_test(test_page_array_refused),
		cmocka_unit_test(test_errors_name_ioctl_and_op),
		cmocka_unit_test(test_interrupted_calls_restart),
		cmocka_unit_test(test_in_sync_failures),
		cmocka_unit_test(test_wedged),
		cmocka_unit_test(test_export_failure_fails_the_fence),
		cmocka_unit_test(test_sync_file_dep_passes_through),
		cmocka_unit_test(test_own_dep_is_a_point),
		cmocka_unit_test(test_in_order_queue),
		cmocka_unit_test(test_destroy_in_flight),
		cmocka_unit_test(test_submit_oom),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_unmap_all),
		cmocka_unit_test(test_platform_rules),
		cmocka_unit_test(test_imported_object_needs_coherent_pat),
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_fake_rules),
		cmocka_unit_test(test_fake_bad_fd),
		cmocka_unit_test(test_fake_semantics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
