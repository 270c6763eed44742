/* SPDX-License-Identifier: MIT */
/*
 * The model.  For every GPU page P of the vm, the page tables may hold:
 *
 *  - exactly the page of the vma bound at P, once that vma's bind fence has
 *    signalled without error;
 *  - inside a bound sparse vma, exactly what the last gtt_vma_map() over P
 *    maps there (a page of its buffer, or a NULL entry), once that call's
 *    fence has signalled without error; while it is pending, that or what
 *    the next rule allows (the write may be done before the call's fence);
 *  - otherwise scratch, or the page of a binding or of a mapping at P whose
 *    unbind or unmap has not completed (its fence is unsignalled).
 *
 * Nothing else: not a page of a binding whose unbind completed, not a
 * page of a vma bound elsewhere, not a NULL entry nobody asked for.  Every
 * unbind's fence is known: returned by gtt_vma_unbind(), or, for a vma
 * evicted by another bind or destroyed while bound, taken from the vma's
 * resv, where every unbind fence is added.  A part of a mapping that a map
 * or an unmap covers is pending until that call's fence signals (its clear
 * may finish earlier; the model allows it until then).
 *
 * A PTE write that ran before an overlapping clear would be wiped by that
 * clear: once its call's fence signals, the page would not hold what the
 * model expects, and the check fails.
 *
 * Batches (gtt_vm_map_batch()) of 2-6 operations on the bound sparse vmas
 * apply in order, each as a call of its own whose fence is the batch's;
 * one with a bad operation must change nothing.  An object's unmap
 * (gtt_vm_unmap_pages()) and move (gtt_vm_move_pages(), after a GPU fence
 * standing for the copy) are batches over every page that maps it: the
 * pages a move leaves stay allowed until its fence signals, then only the
 * new ones.
 *
 * Ordering the tables cannot show is checked on fences ("not before"
 * pairs): a clear's call, unmap or unbind must not signal before the
 * active fences recorded on its vma (gtt_vma_add_active(),
 * gtt_vma_add_active_many()) or on the vm (gtt_vm_add_active()) before
 * it, nor a move before its copy.
 *
 * The huge configurations (MODEL_PPGTT_HUGE, _XE2) use a 2 GiB vm, sparse
 * vmas of up to 1 GiB and buffers whose DMA addresses are 1 GiB- or
 * 2 MiB-aligned and contiguous, or 64 KiB chunks; ranges are whole 2 MiB
 * or 64 KiB runs, the whole vma, or a few pages (demotions).  Their
 * checks sample large ranges (check_span()).
 *
 * A batch (gtt_vm_map_batch(), an object's unmap or move) has one fence
 * for all of its operations: when one of its PTE writes fails, the others
 * stay written and the fence carries the error, so a page mapped by a
 * failed batch may hold its page or scratch.
 *
 * The model owns its buffers for its whole life; a page state points at
 * them without a reference.  Single-threaded: the manual executor runs
 * deferred work only when an operation says so.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#ifdef GTT_MODEL_XE
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <gtt/xe.h>

#include "backends/xe/xe_internal.h"
#include "support/fake_xe.h"
#endif

#define PAGE 4096ull
#define VM_PAGES 128
#define NVMA 20			/* vmas of their own pages */
#define NSPARSE 4		/* slots for sparse vmas */
#define NSLOT (NVMA + NSPARSE)
#define NBIG 2			/* buffers only sparse vmas map */
#define NBIG_HUGE 4		/* ... in the huge configuration */
#define BIG_PAGES 24
#define NBUF (NVMA + NBIG_HUGE)
#define SPARSE_MAX 32		/* pages of a sparse vma, at most */
#define NGPU 16
#define MAXPEND 2048
#define NJOB 4			/* simulated GPU jobs in flight */
#define JOB_PAGES 4
#define NACT 4			/* active fences the model remembers per vma */
#define NVMACT 8		/* ... for the whole vm */
#define NORDER 256		/* fences that must not signal before others */
#define BATCH_MAX 6
/* Moves of one object signal in their timeline's order
 * (test_map_edges.c: test_move_timeline_order); 0 stops checking it. */
#ifndef MODEL_CHECK_MOVE_TIMELINE
#define MODEL_CHECK_MOVE_TIMELINE 1
#endif

/* The huge configurations: a vm of [1 GiB, 3 GiB) on a TGL or LNL PPGTT. */
#define SZ_2M_PAGES 512ull
#define SZ_1G_PAGES 262144ull
#define HUGE_VA0 (1ull << 30)
#define HUGE_VM_PAGES (2 * SZ_1G_PAGES)
#ifndef MODEL_HUGE_1G
#define MODEL_HUGE_1G 1		/* a 1 GiB sparse vma and 1 GiB buffers */
#endif

/* One page of a sparse vma: what the last map over it asked for. */
struct mpage {
	bool mapped, null;
	bool shared;			/* the fence is a batch's of several ops */
	struct gtt_pages *pages;	/* the model's buffer, unreferenced */
	uint64_t idx;			/* page of @pages */
	struct gtt_fence *fence;	/* the map call's */
};

struct mvma {
	bool exists;			/* sparse slots may be empty */
	bool sparse;
	gtt_vma_t h;
	struct gtt_pages *pages;	/* not for a sparse vma */
	struct gtt_resv *resv;
	uint64_t npages;
	bool bound;
	uint64_t offset;
	struct gtt_fence *bind_fence;	/* of the current binding */
	unsigned int pins;
	struct gtt_binding *held;
	struct mpage *pg;		/* sparse: npages of them */
	struct gtt_fence *act[NACT];	/* some of its active fences */
};

/* @after must not signal while @before has not. */
struct order {
	struct gtt_fence *after, *before;
	const char *what;
};

/* Pages being unbound or unmapped: a run of a buffer, or NULL entries. */
struct pending {
	uint64_t start, npages;
	struct gtt_pages *pages;	/* referenced; NULL for NULL entries */
	uint64_t idx;			/* first page of @pages */
	struct gtt_fence *fence;	/* the unbind's or the call's */
};

struct model {
	unsigned int backend;
	bool huge;			/* MODEL_PPGTT_HUGE(_XE2) */
	bool trace;			/* this step to stderr */
	int64_t trace_from;		/* GTT_MODEL_TRACE: from this step on; -1 never */
	uint64_t steps;
	uint64_t vm_pages;
	unsigned int nbig;
	bool null_entries;		/* NULL maps to a NULL entry, not scratch */
	bool null_fails;		/* the backend refuses NULL (GGTT) */
	uint32_t pte_flags;		/* of every bind and map (xe: a PAT index) */
	struct model_xe *xe;		/* MODEL_XE*: the fake kernel; else NULL */
	struct gtt_backend *be;
	struct gtt_executor *ex;
	struct gtt_vm *vm;
	uint64_t va0;
	struct mvma v[NSLOT];
	struct gtt_pages *big[NBIG_HUGE];
	struct gtt_fence *gpu[NGPU];
	struct gtt_fence *vm_act[NVMACT];	/* gtt_vm_add_active()'s */
	struct gtt_fence *last_move[NBUF];	/* each buffer's latest move */
	struct order ord[NORDER];
	unsigned int nord;
	struct gtt_sim *sim;
	struct gtt_sim_job *job[NJOB];
	struct pending pend[MAXPEND];
	unsigned int npend;
	uint64_t rng;
	uint64_t ops[MODEL_COUNTERS];
	char err[256];
};

static uint64_t u64_min_(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t u64_max_(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t next(struct model *m)
{
	uint64_t x = m->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	m->rng = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* The next field of an operation word: a value below @n. */
static uint32_t take(uint32_t *r, uint32_t n)
{
	uint32_t x = *r % n;

	*r /= n;
	return x;
}

static int fail(struct model *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
	return -1;
}

const char *model_error(const struct model *m)
{
	return m->err;
}

uint64_t model_ops(const struct model *m, unsigned int kind)
{
	return kind < MODEL_COUNTERS ? m->ops[kind] : 0;
}

/* ---- the xe backend (MODEL_XE, MODEL_XE_USERPTR) ---- */

/*
 * What page @idx of @pages is, in the tables' terms: its DMA address; for
 * a GEM object, BO_ID(handle, offset in the object); for user memory, its
 * address.  The model compares these and nothing else (shows()).
 */
#define BO_ID(h, off) (1ull << 63 | (uint64_t)(h) << 40 | (off))
#define BO_ID_HANDLE(id) ((unsigned int)(((id) >> 40) & 0x7fffff))
#define BO_ID_OFFSET(id) ((id) & ((1ull << 40) - 1))

static uint64_t page_id(const struct gtt_pages *pages, uint64_t idx)
{
	struct gtt_pages_memory mem = { .kind = GTT_PAGES_DMA };
	uint64_t addr = ~0ull;

	gtt_pages_memory(pages, &mem);
	if (mem.kind == GTT_PAGES_BO)
		return BO_ID(mem.handle, mem.offset + idx * PAGE);
	if (mem.kind == GTT_PAGES_USERPTR)
		return mem.addr + idx * PAGE;
	gtt_pages_addr(pages, idx * PAGE, &addr);
	return addr;
}

static bool is_xe(const struct model *m)
{
	return m->backend == MODEL_XE || m->backend == MODEL_XE_USERPTR;
}

#ifdef GTT_MODEL_XE
/*
 * A vm over the xe backend over the fake xe kernel.  The buffers are GEM
 * objects the fake created, not at their objects' starts (MODEL_XE_USERPTR:
 * the vmas' own are user memory), and the tables are the fake's page table
 * (xe_translate()): an object and an offset, an address, NULL, or nothing;
 * every page the kernel maps must carry the model's PAT index.
 *
 * Deterministic stepping: the bind queue is held (fake_xe_pause()); the
 * model's worker steps run its jobs one at a time (xe_kernel_step()), and
 * quiesce() releases it for the synchronous call that follows, which needs
 * its own job to run, with nothing left queued anywhere (xe_drain()); the
 * next check or step holds it again.  The kernel's out-fences reach the vm
 * on the watcher's thread, so whenever jobs ran, xe_settle() waits until
 * that thread has delivered each of them and finished the callbacks (the
 * vm's completions) it ran for them.  A seed replays exactly.
 *
 * Every step the fake must have refused no call and seen no timeline
 * point out of order (its counters), so a backend that breaks a rule of
 * the kernel's fails the model.
 *
 * Not run here: the huge configurations (DMA layouts and leaf sizes of
 * Intel page tables; the kernel picks its own) and the simulated GPU (it
 * reads the backend's translations; the kernel has no PTE read-back).
 */
struct model_xe {
	struct fake_xe f;
	struct xe_sys sys;
	struct gtt_watcher *w;
	uint32_t vm_id;
	bool running;		/* the bind queue is released */
	bool dirty;		/* jobs may have run since the last settle */
	void *mem;		/* MODEL_XE_USERPTR: the vmas' buffers */
};

#define XE_SLOT_PAGES 10	/* user memory per vma buffer (<= 7 + 2 pages) */
#define XE_WAIT_NS 10000000000ll

static int xe_create(struct model *m)
{
	struct gtt_xe_config cfg = { 0 };
	struct gtt_xe_info info;
	struct model_xe *x = calloc(1, sizeof(*x));

	if (!x)
		return fail(m, "out of memory");
	m->xe = x;
	/* LNL's PAT index 0 is not coherent, which a write-back object
	 * refuses; TGL's 0 is, which user memory needs. */
	fake_xe_init(&x->f, m->backend == MODEL_XE ? &fake_xe_lnl : &fake_xe_tgl);
	m->pte_flags = m->backend == MODEL_XE ? GTT_PTE_PAT(1) : 0;
	if (m->backend == MODEL_XE_USERPTR) {
		cfg.vm_flags = GTT_XE_VM_SCRATCH_PAGE;
		x->mem = aligned_alloc(PAGE, NVMA * XE_SLOT_PAGES * PAGE);
		if (!x->mem)
			return fail(m, "out of memory");
	}
	fake_xe_pause(&x->f, true);
	x->sys = fake_xe_sys(&x->f);
	if (gtt_watcher_create(&x->w) ||
	    xe_backend_create(FAKE_XE_FD, &cfg, x->w, &x->sys, &m->be) ||
	    gtt_xe_info(m->be, &info))
		return fail(m, "xe backend: %s", gtt_last_error());
	x->vm_id = info.vm_id;
	return 0;
}

/* Buffer @k (< NVMA: vma @k's) of @size bytes. */
static int xe_buffer(struct model *m, unsigned int k, uint64_t size, struct gtt_pages **out)
{
	struct model_xe *x = m->xe;
	uint64_t lead = (k % 3) * PAGE;		/* obj_offset counts */
	uint32_t h;

	if (x->mem && k < NVMA)
		return gtt_pages_create_userptr((uintptr_t)x->mem + k * XE_SLOT_PAGES * PAGE + lead,
						size, 0, out);
	h = fake_xe_bo(&x->f, size + lead, false);
	return h ? gtt_pages_create_bo(h, lead, size, 0, out) : -1;
}

static int xe_translate(struct model *m, uint64_t va, struct gtt_translation *t)
{
	unsigned int pat = (m->pte_flags & GTT_PTE_PAT_MASK) >> GTT_PTE_PAT_SHIFT;
	struct fake_xe_pte p;

	memset(t, 0, sizeof(*t));
	if (fake_xe_lookup(&m->xe->f, m->xe->vm_id, va, &p))
		return fail(m, "the fake kernel has no VM %u", m->xe->vm_id);
	t->present = p.kind != FAKE_PTE_NONE;
	t->null = p.kind == FAKE_PTE_NULL;
	t->addr = p.kind == FAKE_PTE_BO ? BO_ID(p.obj, p.offset) : p.offset;
	t->page_size = PAGE;
	if (t->present && (p.pat_index != pat || p.read_only))
		return fail(m, "0x%llx: the kernel maps it with PAT index %u%s, the model asked for %u",
			    (unsigned long long)va, p.pat_index, p.read_only ? ", read-only" : "", pat);
	return 0;
}

/* The watcher has gone round its loop since now: a descriptor readable at
 * once, imported, is seen signalled after everything it saw before. */
static int xe_barrier(struct model *m)
{
	struct gtt_fence *f = NULL;
	int fd = eventfd(1, EFD_CLOEXEC);
	int err = fd < 0 ? -errno : gtt_fence_import_fd(m->xe->w, fd, &f);

	if (fd >= 0)
		close(fd);
	if (!err)
		err = gtt_fence_wait(f, XE_WAIT_NS);
	gtt_fence_put(f);
	return err ? fail(m, "xe: the watcher did not report a signalled descriptor: %d", err) : 0;
}

/* Batches submitted plus jobs run: changes whenever either happens. */
static uint64_t xe_progress(struct model *m)
{
	struct gtt_xe_info info = { 0 };
	uint64_t n;

	gtt_xe_info(m->be, &info);
	pthread_mutex_lock(&m->xe->f.lock);
	n = info.point + m->xe->f.jobs_run;
	pthread_mutex_unlock(&m->xe->f.lock);
	return n;
}

/* Every job that ran is delivered: each job waiting in the fake has its
 * sync_file watched, and no other is. */
static bool xe_delivered(struct model *m)
{
	return gtt_watcher_count(m->xe->w) == fake_xe_pending(&m->xe->f);
}

/*
 * Wait until the kernel (released: everything it can run) and the watcher
 * are done, by rounds that end with a barrier, until one saw no batch
 * submitted and no job run.  Then hold the queue again unless @keep.
 */
static int xe_settle(struct model *m, bool keep)
{
	struct model_xe *x = m->xe;

	for (int round = 0; x->dirty && round < 1000; round++) {
		uint64_t before = xe_progress(m);
		struct timespec t0, t;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (x->running)
			fake_xe_poll(&x->f);
		for (unsigned int spin = 0; !xe_delivered(m); spin++) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if ((t.tv_sec - t0.tv_sec) * 1000000000ll + t.tv_nsec - t0.tv_nsec > XE_WAIT_NS)
				return fail(m, "xe: %zu sync_files watched, %u jobs waiting in the kernel",
					    gtt_watcher_count(x->w), fake_xe_pending(&x->f));
			if (spin < 64)
				sched_yield();
			else
				nanosleep(&(struct timespec){ .tv_nsec = 20000 }, NULL);
		}
		if (xe_barrier(m))
			return -1;
		if (xe_progress(m) == before && xe_delivered(m))
			x->dirty = false;
	}
	if (x->dirty)
		return fail(m, "xe: the kernel and the vm never settled");
	if (x->running && !keep) {
		fake_xe_pause(&x->f, true);
		x->running = false;
	}
	x->dirty = x->running;
	return 0;
}

/*
 * Released, everything settles: the kernel's jobs, the watcher's
 * deliveries and the executor's work.  A synchronous call that waits for
 * the kernel's fence runs the executor's queued work meanwhile (as long as
 * the watcher has not delivered it): nothing is queued before one, and
 * what was when it returned runs before the model goes on.
 */
static int xe_drain(struct model *m, bool keep)
{
	do {
		gtt_executor_run_all(m->ex);
		m->xe->dirty = true;
		if (xe_settle(m, true))
			return -1;
	} while (gtt_executor_pending(m->ex));
	return keep ? 0 : xe_settle(m, false);
}

/* Before a synchronous call: all done, and the queue stays released. */
static int xe_release(struct model *m)
{
	m->xe->running = true;
	fake_xe_pause(&m->xe->f, false);
	return xe_drain(m, true);
}

/* After a synchronous call (before a check or the next step): all done
 * and the queue held again. */
static int xe_hold(struct model *m)
{
	return m->xe->running ? xe_drain(m, false) : 0;
}

/* A worker step of the kernel: at most @n jobs of the held queue. */
static int xe_kernel_step(struct model *m, unsigned int n)
{
	unsigned int ran = fake_xe_run(&m->xe->f, n);

	m->ops[MODEL_XE_STEPPED] += ran;
	m->xe->dirty |= ran > 0;
	return xe_settle(m, false);
}

/* The kernel's counters; whether it refused anything or saw points out of order. */
static int xe_counters(struct model *m)
{
	struct fake_xe *f = &m->xe->f;
	unsigned int refusals, unordered;
	enum fake_xe_rule rule;

	pthread_mutex_lock(&f->lock);
	m->ops[MODEL_XE_BINDS] = f->binds_ok;
	m->ops[MODEL_XE_OPS] = f->ops_run;
	refusals = f->refusals;
	unordered = f->unordered_points;
	rule = f->last_rule;
	pthread_mutex_unlock(&f->lock);
	if (refusals)
		return fail(m, "the fake kernel refused %u calls, the last by %s (%s); libgtt's last "
			    "error: %s", refusals,
			    fake_xe_rule_name(rule), fake_xe_rule_source(rule), gtt_last_error());
	if (unordered)
		return fail(m, "the fake kernel saw %u timeline points out of order", unordered);
	return 0;
}

/* After gtt_vm_destroy(): the backend, the watcher, the kernel. */
static int xe_destroy(struct model *m)
{
	struct model_xe *x = m->xe;
	int ret;

	gtt_backend_destroy(m->be);
	ret = xe_counters(m);
	gtt_watcher_destroy(x->w);
	fake_xe_fini(&x->f);
	free(x->mem);
	free(x);
	m->xe = NULL;
	return ret;
}
#else
/* Built without the xe backend (no <drm/xe_drm.h>): MODEL_XE* cannot be
 * made, m->xe stays NULL and nothing below is called. */
static int xe_create(struct model *m)
{
	return fail(m, "the model was built without the xe backend (GTT_MODEL_XE)");
}

#define xe_buffer(m, k, size, out) xe_create(m)
#define xe_translate(m, va, t) xe_create(m)
#define xe_release(m) xe_create(m)
#define xe_hold(m) xe_create(m)
#define xe_kernel_step(m, n) xe_create(m)
#define xe_counters(m) xe_create(m)
#define xe_destroy(m) xe_create(m)
#endif

/* The huge configuration's buffers: two of 1 GiB (4 MiB without
 * MODEL_HUGE_1G), 1 GiB-aligned and contiguous; one of 4 MiB in 64 KiB
 * chunks, 64 KiB-aligned and scattered; one of 4 MiB contiguous. */
static int create_huge_buffers(struct model *m)
{
	struct gtt_pages_segment segs[64];
	uint64_t big = MODEL_HUGE_1G ? SZ_1G_PAGES * PAGE : 4 * SZ_2M_PAGES * PAGE;

	for (int k = 0; k < 2; k++) {
		segs[0] = (struct gtt_pages_segment){ (0x40ull + 0x40ull * k) << 30, big };
		if (gtt_pages_create(segs, 1, 0, &m->big[k]))
			return -1;
	}
	for (int i = 0; i < 64; i++)
		segs[i] = (struct gtt_pages_segment){
			0x1000000000ull + (uint64_t)((i * 37) % 64) * 0x20000, 0x10000 };
	if (gtt_pages_create(segs, 64, 0, &m->big[2]))
		return -1;
	segs[0] = (struct gtt_pages_segment){ 0x2000200000ull, 2 * SZ_2M_PAGES * PAGE };
	return gtt_pages_create(segs, 1, 0, &m->big[3]) ? -1 : 0;
}

struct model *model_create(unsigned int backend)
{
	struct gtt_mock_config mc = { .scratch_addr = 0xdead000 };
	struct gtt_vm_config vc = { .flags = GTT_VM_COLOR_GUARD };
	struct model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->backend = backend % MODEL_BACKENDS;
	m->huge = m->backend == MODEL_PPGTT_HUGE || m->backend == MODEL_PPGTT_HUGE_XE2;
	m->trace_from = getenv("GTT_MODEL_TRACE") ? strtoll(getenv("GTT_MODEL_TRACE"), NULL, 0) : -1;
	m->vm_pages = m->huge ? HUGE_VM_PAGES : VM_PAGES;
	m->nbig = m->huge ? NBIG_HUGE : NBIG;
	m->rng = 0x9e3779b97f4a7c15ull;
	m->va0 = m->backend == MODEL_GENERIC || is_xe(m) ? 0x100000 : m->huge ? HUGE_VA0 : PAGE;
	m->null_entries = m->backend != MODEL_GGTT && m->backend != MODEL_PPGTT_SCRATCH &&
			  m->backend != MODEL_PPGTT_GEN6;
	m->null_fails = m->backend == MODEL_GGTT;
	mc.start = m->backend == MODEL_GENERIC ? m->va0 : 0;
	mc.size = m->backend == MODEL_GENERIC ? VM_PAGES * PAGE :
		  m->va0 + (m->vm_pages + 1) * PAGE;
	mc.mode = m->backend == MODEL_GGTT ? GTT_MOCK_INTEL_GGTT :
		  m->backend == MODEL_GENERIC ? GTT_MOCK_GENERIC : GTT_MOCK_INTEL_PPGTT;
	mc.intel_family = m->backend == MODEL_PPGTT_SCRATCH ? GTT_INTEL_SKL :
			  m->backend == MODEL_PPGTT_HUGE_XE2 ? GTT_INTEL_LNL : GTT_INTEL_TGL;
	if (m->backend == MODEL_PPGTT_GEN6) {
		/* Across the first page-table boundary (a PDE maps 4 MiB). */
		mc.intel_family = GTT_INTEL_HSW;
		m->va0 = (4ull << 20) - VM_PAGES / 2 * PAGE;
		mc.size = m->va0 + (m->vm_pages + 1) * PAGE;
	}
	vc.start = m->va0;
	vc.size = m->vm_pages * PAGE;
	if ((is_xe(m) ? xe_create(m) : gtt_mock_create(&mc, &m->be)) ||
	    gtt_executor_create_manual(&m->ex))
		goto fail;
	vc.backend = m->be;
	vc.executor = m->ex;
	if (gtt_vm_create(&vc, &m->vm))
		goto fail;
	/* Built with -Dsim=disabled: the page-table checks only.  Not on xe:
	 * the simulated GPU reads the backend's translations. */
	if (!m->xe && gtt_sim_create(m->vm, m->be, &m->sim) && gtt_last_error() &&
	    !strstr(gtt_last_error(), "-Dsim=disabled"))
		goto fail;
	for (int i = 0; i < NSLOT; i++) {
		struct mvma *v = &m->v[i];
		/* one or two segments, 1..6 pages, distinct DMA ranges */
		struct gtt_pages_segment segs[2] = {
			{ 0x100000000ull + (uint64_t)i * 0x100000, PAGE * (1 + i % 3) },
			{ 0x200000000ull + (uint64_t)i * 0x100000, PAGE * (1 + i % 4) },
		};

		if (gtt_resv_create(&v->resv))
			goto fail;
		if (i >= NVMA)
			continue;	/* a sparse slot, empty for now */
		if ((m->xe ? xe_buffer(m, (unsigned int)i, segs[0].length + (i % 2 ? segs[1].length : 0),
				       &v->pages) :
			     gtt_pages_create(segs, i % 2 ? 2 : 1, 0, &v->pages)) ||
		    gtt_vma_create(m->vm, v->pages, v->resv, &v->h))
			goto fail;
		v->exists = true;
		v->npages = gtt_pages_size(v->pages) / PAGE;
	}
	if (m->huge) {
		if (create_huge_buffers(m))
			goto fail;
		return m;
	}
	for (unsigned int k = 0; k < m->nbig; k++) {
		struct gtt_pages_segment segs[3] = {
			{ 0x300000000ull + (uint64_t)k * 0x100000, PAGE * 10 },
			{ 0x400000000ull + (uint64_t)k * 0x100000, PAGE * 6 },
			{ 0x500000000ull + (uint64_t)k * 0x100000, PAGE * (BIG_PAGES - 16) },
		};

		if (m->xe ? xe_buffer(m, NVMA + k, BIG_PAGES * PAGE, &m->big[k]) :
			    gtt_pages_create(segs, 3, 0, &m->big[k]))
			goto fail;
	}
	return m;
fail:
	free(m);
	return NULL;
}

/* ---- checking ---- */

static const char *describe(const struct gtt_translation *t, char *buf, size_t n)
{
	if (!t->present)
		return "not-present";
	if (t->scratch)
		return "scratch";
	if (t->null)
		return "a NULL entry";
	if (t->addr >> 63)
		snprintf(buf, n, "object %u + 0x%llx", BO_ID_HANDLE(t->addr),
			 (unsigned long long)BO_ID_OFFSET(t->addr));
	else
		snprintf(buf, n, "0x%llx", (unsigned long long)t->addr);
	return buf;
}

/* @t is what page @idx of @pages (NULL: a NULL entry) looks like here. */
static bool shows(const struct model *m, const struct gtt_translation *t,
		  struct gtt_pages *pages, uint64_t idx)
{
	if (!t->present)
		return false;
	if (!pages)
		return m->null_entries ? t->null && !t->scratch : t->scratch && !t->null;
	return !t->scratch && !t->null && t->addr == page_id(pages, idx);
}

/* What the tables give for @va (xe: the fake kernel's). */
static int translate(struct model *m, uint64_t va, struct gtt_translation *t)
{
	int err;

	if (m->xe)
		return xe_translate(m, va, t);
	err = gtt_backend_translate(m->be, va, t);
	return err ? fail(m, "translate 0x%llx failed: %d", (unsigned long long)va, err) : 0;
}

static int check_page(struct model *m, uint64_t va)
{
	struct gtt_translation t;
	char buf[40];

	if (translate(m, va, &t))
		return -1;
	if (t.present && !t.scratch && t.page_size > PAGE)
		m->ops[t.page_size >= (1ull << 30) ? MODEL_LEAF_1G :
		       t.page_size >= (1ull << 21) ? MODEL_LEAF_2M : MODEL_LEAF_64K]++;
	for (int i = 0; i < NSLOT; i++) {
		struct mvma *v = &m->v[i];
		const struct mpage *pg = NULL;
		int st;

		if (!v->exists || !v->bound || va < v->offset ||
		    va >= v->offset + v->npages * PAGE)
			continue;
		if (!v->sparse) {
			if (v->bind_fence && gtt_fence_status(v->bind_fence) != 1)
				break;	/* bind not written (yet, or failed) */
			if (!shows(m, &t, v->pages, (va - v->offset) / PAGE))
				goto wrong;
			return 0;
		}
		pg = &v->pg[(va - v->offset) / PAGE];
		if (!pg->mapped)
			break;
		st = gtt_fence_status(pg->fence);
		if (st == 1 && !shows(m, &t, pg->null ? NULL : pg->pages, pg->idx))
			goto wrong;
		/* Pending, or failed in a batch whose other writes failed: the
		 * write may be there (or not yet, or not at all). */
		if (st == 1 || ((st == 0 || (st < 0 && pg->shared)) &&
				shows(m, &t, pg->null ? NULL : pg->pages, pg->idx)))
			return 0;
		break;		/* not written (yet, or failed) */
wrong:
		return fail(m, "0x%llx: %s vma %d page %llu %s, tables give %s",
			    (unsigned long long)va, v->sparse ? "sparse" : "", i,
			    (unsigned long long)(va - v->offset) / PAGE,
			    pg && pg->null ? "mapped NULL" : "mapped",
			    describe(&t, buf, sizeof(buf)));
	}
	if (!t.present || t.scratch)
		return 0;
	for (unsigned int k = 0; k < m->npend; k++) {
		struct pending *p = &m->pend[k];

		if (va < p->start || va >= p->start + p->npages * PAGE ||
		    gtt_fence_is_signaled(p->fence))
			continue;
		if (shows(m, &t, p->pages, p->idx + (va - p->start) / PAGE))
			return 0;	/* still being unbound */
	}
	return fail(m, "0x%llx: nothing may be mapped, tables give %s",
		    (unsigned long long)va, describe(&t, buf, sizeof(buf)));
}

static int check_range(struct model *m, uint64_t start, uint64_t npages)
{
	if (m->xe && xe_hold(m))
		return -1;
	for (uint64_t p = 0; p < npages; p++)
		if (check_page(m, start + p * PAGE))
			return -1;
	return 0;
}

/*
 * [start, +n pages): all of it when small; else its ends, the ends of at
 * most 64 of the 2 MiB in it, and 64 pages inside it.
 */
static int check_span(struct model *m, uint64_t start, uint64_t n)
{
	uint64_t first = start / PAGE, step;

	if (n <= 1024)
		return check_range(m, start, n);
	if (check_page(m, start) || check_page(m, start + (n - 1) * PAGE))
		return -1;
	step = u64_max_(SZ_2M_PAGES, ((n / 64) + SZ_2M_PAGES - 1) & ~(SZ_2M_PAGES - 1));
	for (uint64_t k = (first + SZ_2M_PAGES) & ~(SZ_2M_PAGES - 1); k < first + n; k += step)
		if (check_page(m, (k - 1) * PAGE) || check_page(m, k * PAGE))
			return -1;
	for (int k = 0; k < 64; k++)
		if (check_page(m, start + (next(m) % n) * PAGE))
			return -1;
	return 0;
}

/* Pages [off, +n) of sparse vma @v with the pages next to them, and some
 * anywhere in the vma (all of them in a small vma). */
static int check_vma(struct model *m, const struct mvma *v, uint64_t off, uint64_t n)
{
	uint64_t lo = off ? off - 1 : 0, hi = u64_min_(off + n + 1, v->npages);

	if (!v->bound)
		return 0;
	if (v->npages <= 1024)
		return check_range(m, v->offset, v->npages);
	if (check_span(m, v->offset + lo * PAGE, hi - lo))
		return -1;
	for (int k = 0; k < 16; k++)
		if (check_page(m, v->offset + (next(m) % v->npages) * PAGE))
			return -1;
	return 0;
}

int model_check_all(struct model *m)
{
	if (!m->huge)
		return check_range(m, m->va0, m->vm_pages);
	/* Every small vma, the large ones by samples, and pages anywhere. */
	for (int i = 0; i < NSLOT; i++) {
		struct mvma *v = &m->v[i];

		if (v->exists && v->bound && check_span(m, v->offset, v->npages))
			return -1;
		for (uint64_t k = 0; v->exists && v->bound && v->npages > 1024 && k < 2048; k++)
			if (check_page(m, v->offset + (next(m) % v->npages) * PAGE))
				return -1;
	}
	for (int k = 0; k < 1024; k++)
		if (check_page(m, m->va0 + (next(m) % m->vm_pages) * PAGE))
			return -1;
	return 0;
}

/* ---- bookkeeping ---- */

static void prune(struct model *m)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < m->npend; i++) {
		if (gtt_fence_is_signaled(m->pend[i].fence)) {
			gtt_fence_put(m->pend[i].fence);
			gtt_pages_put(m->pend[i].pages);
		} else {
			m->pend[k++] = m->pend[i];
		}
	}
	m->npend = k;
}

/* Pages [start, +n) of @pages (NULL entries if NULL) until @f signals. */
static int add_pending(struct model *m, uint64_t start, uint64_t n,
		       struct gtt_pages *pages, uint64_t idx, struct gtt_fence *f)
{
	struct pending *last = m->npend ? &m->pend[m->npend - 1] : NULL;

	/* The next page of the same run, until the same fence: grow it. */
	if (last && last->fence == f && last->pages == pages &&
	    last->start + last->npages * PAGE == start &&
	    (!pages || last->idx + last->npages == idx)) {
		last->npages += n;
		return 0;
	}
	if (m->npend == MAXPEND)
		prune(m);
	if (m->npend == MAXPEND)
		return fail(m, "too many pending unbinds");
	m->pend[m->npend++] = (struct pending){
		.start = start, .npages = n, .pages = pages ? gtt_pages_get(pages) : NULL,
		.idx = idx, .fence = gtt_fence_get(f),
	};
	return 0;
}

/* Fences that must not signal before others: fail as soon as one does. */
static int check_orders(struct model *m)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < m->nord; i++) {
		struct order *o = &m->ord[i];

		if (!gtt_fence_is_signaled(o->before) && gtt_fence_is_signaled(o->after))
			return fail(m, "%s: signalled before the fence it must wait for", o->what);
		if (gtt_fence_is_signaled(o->before)) {
			gtt_fence_put(o->after);
			gtt_fence_put(o->before);
		} else {
			m->ord[k++] = *o;
		}
	}
	m->nord = k;
	return 0;
}

/* @after must not signal before @before (when there is room to check). */
static int add_order(struct model *m, struct gtt_fence *after, struct gtt_fence *before,
		     const char *what)
{
	if (!after || !before || after == before || gtt_fence_is_signaled(before))
		return 0;
	if (gtt_fence_is_signaled(after))
		return fail(m, "%s: signalled before the fence it must wait for", what);
	if (m->nord == NORDER && check_orders(m))
		return -1;
	if (m->nord == NORDER)
		return 0;
	m->ord[m->nord++] = (struct order){ gtt_fence_get(after), gtt_fence_get(before), what };
	m->ops[MODEL_ORDERS]++;
	return 0;
}

/* Remember @f among the few active fences of @list (of @n). */
static void remember(struct model *m, struct gtt_fence **list, unsigned int n,
		     struct gtt_fence *f)
{
	unsigned int k = 0;

	while (k < n && list[k] && !gtt_fence_is_signaled(list[k]))
		k++;
	if (k == n)
		k = (unsigned int)(next(m) % n);
	gtt_fence_put(list[k]);
	list[k] = gtt_fence_get(f);
}

/* A clear of @v's PTEs, done when @f signals, waits for the GPU work
 * recorded on @v and on the vm (gtt_vma_add_active(), gtt_vm_add_active()). */
static int clear_after_active(struct model *m, const struct mvma *v, struct gtt_fence *f)
{
	for (int k = 0; k < NACT; k++)
		if (add_order(m, f, v->act[k], "a clear (vma's active fences)"))
			return -1;
	for (int k = 0; k < NVMACT; k++)
		if (add_order(m, f, m->vm_act[k], "a clear (vm's active fences)"))
			return -1;
	return 0;
}

/* Page @k of sparse vma @v no longer maps what it did once @f signals. */
static int cut_page(struct model *m, struct mvma *v, uint64_t k, struct gtt_fence *f)
{
	struct mpage *pg = &v->pg[k];
	int err = 0;

	if (!pg->mapped)
		return 0;
	if (f && !gtt_fence_is_signaled(f))
		err = add_pending(m, v->offset + k * PAGE, 1, pg->null ? NULL : pg->pages,
				  pg->idx, f);
	gtt_fence_put(pg->fence);
	*pg = (struct mpage){ 0 };
	m->ops[MODEL_PAGES_CUT]++;
	return err;
}

/* The binding is going; its pages stay until @f (referenced) signals. */
static int forget_binding(struct model *m, struct mvma *v, struct gtt_fence *f)
{
	int err = 0;

	prune(m);
	if (f && !gtt_fence_is_signaled(f)) {
		if (!v->sparse)
			err = add_pending(m, v->offset, v->npages, v->pages, 0, f);
	}
	for (uint64_t k = 0; v->sparse && k < v->npages && !err; k++)
		err = cut_page(m, v, k, f);
	gtt_fence_put(f);
	/* The unbind waits for the vma's active fences; a new placement
	 * starts with none. */
	for (int k = 0; k < NACT; k++) {
		gtt_fence_put(v->act[k]);
		v->act[k] = NULL;
	}
	v->bound = false;
	v->pins = 0;
	gtt_fence_put(v->bind_fence);
	v->bind_fence = NULL;
	return err;
}

/* vmas the vm unbound behind our back (evictions, failed sync binds). */
static int reconcile(struct model *m)
{
	if (m->xe && xe_hold(m))
		return -1;
	for (int i = 0; i < NSLOT; i++) {
		struct mvma *v = &m->v[i];
		struct gtt_vma_info info;
		struct gtt_fence *f;

		if (!v->exists)
			continue;
		if (gtt_vma_query(m->vm, v->h, &info))
			return fail(m, "query vma %d failed", i);
		if (info.bound && (!v->bound || info.offset != v->offset))
			return fail(m, "vma %d bound at 0x%llx unexpectedly", i,
				    (unsigned long long)info.offset);
		if (v->bound && !info.bound) {
			if (v->sparse)	/* never chosen for eviction */
				return fail(m, "sparse vma %d was unbound behind our back", i);
			if (gtt_resv_merged(v->resv, GTT_RESV_BOOKKEEP, &f))
				return fail(m, "resv merge failed");
			if (forget_binding(m, v, f))
				return -1;
		}
	}
	return 0;
}

static struct gtt_fence *gpu_fence(struct model *m, uint32_t r)
{
	struct gtt_fence *f = m->gpu[r % NGPU];

	return f && !gtt_fence_is_signaled(f) ? f : NULL;
}

/*
 * Before a synchronous operation: one thread is the whole world here, so
 * whatever the call waits for must be able to finish.  Let the GPU finish
 * and drop every hold, as a driver going idle would.
 */
static int job_end(struct model *m, unsigned int k, bool complete);

static int quiesce(struct model *m)
{
	if (check_orders(m))
		return -1;
	for (unsigned int k = 0; k < NJOB; k++)
		if (m->job[k] && job_end(m, k, true))
			return -1;
	for (int k = 0; k < NGPU; k++)
		if (m->gpu[k] && !gtt_fence_is_signaled(m->gpu[k]))
			gtt_fence_signal(m->gpu[k], 0);
	for (int i = 0; i < NSLOT; i++)
		if (m->v[i].held) {
			gtt_binding_unhold(m->v[i].held);
			m->v[i].held = NULL;
		}
	return m->xe ? xe_release(m) : 0;
}

/* Up to two unsignalled GPU fences as dependencies, from @r. */
static size_t pick_deps(struct model *m, uint32_t r, struct gtt_fence **deps)
{
	size_t n = 0;

	for (unsigned int k = 0; k < (r & 3) && k < 2; k++)
		if ((deps[n] = gpu_fence(m, r >> (2 + 4 * k))))
			n++;
	return n;
}

/* ---- operations on every vma ---- */

static int op_bind(struct model *m, int i, uint32_t r)
{
	struct mvma *v = &m->v[i];
	struct gtt_fence *deps[2];
	struct gtt_bind_info bi = {
		.placement = (enum gtt_placement)(r % 3),
		.color = (r >> 2) % 2,
		.pte_flags = m->pte_flags,
	};
	struct gtt_fence *bf = NULL;
	struct gtt_vma_info info;
	int err;

	if (!v->exists || v->bound)
		return 0;
	if (r & 0x10)
		bi.flags |= GTT_BIND_ASYNC;
	else if (quiesce(m))
		return -1;
	if (r & 0x20)
		bi.flags |= GTT_BIND_EVICT;
	/* Huge: the first GiB is the 1 GiB sparse vma's, the others go in
	 * the second; sparse vmas 2 MiB-aligned, for huge leaves. */
	if (m->huge && v->sparse)
		bi.alignment = SZ_2M_PAGES * PAGE;
	if (m->huge && v->npages < SZ_1G_PAGES)
		bi.range_start = m->va0 + SZ_1G_PAGES * PAGE;
	if (!(r & 0x1c0) || (m->huge && v->npages >= SZ_1G_PAGES)) {
		bi.flags |= GTT_BIND_FIXED;
		bi.offset = bi.range_start ? bi.range_start : m->va0;
		if (v->npages < SZ_1G_PAGES)
			bi.offset += ((r >> 9) % (m->huge ? SZ_1G_PAGES : m->vm_pages)) * PAGE;
		if (bi.alignment)
			bi.offset &= ~(bi.alignment - 1);
	}
	bi.num_deps = pick_deps(m, r >> 13, deps);
	bi.deps = deps;
	err = gtt_vma_bind(m->vm, v->h, &bi, &bf);
	if (m->trace && v->sparse)
		fprintf(stderr, "model:   bind sparse %d (%llu pages): %d\n", i,
			(unsigned long long)v->npages, err);
	if (err == -ENOSPC || err == -EINVAL || err == -EIO || err == -ECANCELED)
		return reconcile(m);	/* eviction may have run */
	if (err)
		return fail(m, "bind vma %d: unexpected %d", i, err);
	gtt_vma_query(m->vm, v->h, &info);
	v->bound = true;
	v->offset = info.offset;
	v->bind_fence = bf;
	if (v->sparse)
		m->ops[MODEL_SPARSE_BOUND]++;
	return reconcile(m) || check_span(m, v->offset, v->npages) ? -1 : 0;
}

static int op_unbind(struct model *m, int i, uint32_t r)
{
	struct mvma *v = &m->v[i];
	struct gtt_fence *uf = NULL;
	unsigned int fl = (r & 1 ? GTT_UNBIND_ASYNC : 0);
	uint64_t start = v->offset, n = v->npages;
	int err;

	if (!v->exists)
		return 0;
	if (!v->bound) {
		if (gtt_vma_unbind(m->vm, v->h, fl, NULL) != -ENOENT)
			return fail(m, "unbind of unbound vma %d did not say -ENOENT", i);
		return 0;
	}
	if (!(fl & GTT_UNBIND_ASYNC) && quiesce(m))
		return -1;
	err = gtt_vma_unbind(m->vm, v->h, fl, &uf);
	if (v->pins) {
		if (err != -EAGAIN)
			return fail(m, "unbind of pinned vma %d gave %d", i, err);
		return 0;
	}
	if (err)
		return fail(m, "unbind vma %d: %d", i, err);
	if (!(fl & GTT_UNBIND_ASYNC) && !v->held && !gtt_fence_is_signaled(uf))
		return fail(m, "sync unbind of vma %d returned before its fence", i);
	if (clear_after_active(m, v, uf) || forget_binding(m, v, uf))
		return -1;
	return check_span(m, start, n);
}

static int op_gpu_work(struct model *m, int i, uint32_t r)
{
	struct mvma *v = &m->v[i];
	struct gtt_fence **slot = &m->gpu[r % NGPU];

	if (!v->exists || !v->bound)
		return 0;
	if (*slot && !gtt_fence_is_signaled(*slot))
		return 0;
	gtt_fence_put(*slot);
	*slot = NULL;
	if (gtt_fence_create(0, 0, slot))
		return fail(m, "fence create failed");
	if (gtt_vma_add_active(m->vm, v->h, *slot))
		return fail(m, "add_active vma %d failed", i);
	remember(m, v->act, NACT, *slot);
	return 0;
}

/* ---- the simulated GPU ---- */

/* Run job @k, or complete it; any bad access it made fails the model. */
static int job_end(struct model *m, unsigned int k, bool complete)
{
	const struct gtt_sim_report *rep;
	size_t n;
	int bad = complete ? gtt_sim_complete(m->sim, m->job[k], 0) :
			     gtt_sim_run(m->sim, m->job[k]);

	if (complete) {
		m->job[k] = NULL;
		m->ops[MODEL_JOBS_DONE]++;
	}
	if (bad == 0)
		return 0;
	rep = gtt_sim_reports(m->sim, &n);
	if (bad < 0 || !rep)
		return fail(m, "simulated GPU job: %d", bad);
	return fail(m, "simulated GPU: job %llu at 0x%llx: %s (bound 0x%llx at submit, got 0x%llx)",
		    (unsigned long long)rep[n - 1].job, (unsigned long long)rep[n - 1].addr,
		    gtt_sim_kind_name(rep[n - 1].kind), (unsigned long long)rep[n - 1].expected,
		    (unsigned long long)rep[n - 1].got);
}

/*
 * A simulated GPU job in slot @r % NJOB: run or complete the one there, or
 * submit one that reads written pages of sparse vma @i and holds them
 * (GTT_SIM_TRACK: the vma's active fences) until it completes.
 */
static int op_job(struct model *m, int i, uint32_t r)
{
	struct mvma *v = &m->v[i];
	unsigned int k = take(&r, NJOB);
	uint64_t addrs[JOB_PAGES];
	size_t n = 0;

	if (m->job[k])
		return job_end(m, k, take(&r, 2));
	if (!m->sim || !v->exists || !v->bound)
		return 0;
	for (uint64_t t = 0; t < JOB_PAGES * 2 && n < JOB_PAGES; t++) {
		const struct mpage *pg = &v->pg[next(m) % v->npages];

		if (pg->mapped && gtt_fence_status(pg->fence) == 1 &&
		    (!pg->null || m->null_entries))
			addrs[n++] = v->offset + (uint64_t)(pg - v->pg) * PAGE +
				     (next(m) % PAGE & ~7ull);
	}
	if (!n)
		return 0;
	if (gtt_sim_submit(m->sim, addrs, n, GTT_SIM_TRACK, &m->job[k]))
		return fail(m, "simulated GPU: submit on sparse vma %d failed", i);
	m->ops[MODEL_JOBS]++;
	return job_end(m, k, false);
}

/* ---- sparse vmas ---- */

/*
 * A sparse slot's life: created, bound (3 times in 4), then, once bound,
 * now and then unbound or destroyed as it is.
 */
static int op_sparse_life(struct model *m, int i, uint32_t r)
{
	struct mvma *v = &m->v[i];
	uint32_t what = take(&r, 8);
	struct gtt_fence *f;
	int err;

	if (!v->exists) {
		/* Huge: 1 GiB (8 MiB without MODEL_HUGE_1G), 4 MiB, 2 MiB + 64 KiB, 48 pages. */
		static const uint64_t huge_pages[NSPARSE] = {
			MODEL_HUGE_1G ? SZ_1G_PAGES : 4 * SZ_2M_PAGES, 2 * SZ_2M_PAGES,
			SZ_2M_PAGES + 16, 48,
		};
		uint64_t n = 1 + take(&r, SPARSE_MAX);

		if (m->huge)
			n = huge_pages[i - NVMA];
		v->pg = calloc(n, sizeof(*v->pg));
		if (!v->pg || gtt_vma_create_sparse(m->vm, n * PAGE, v->resv, &v->h))
			return fail(m, "create sparse vma %d failed", i);
		v->exists = v->sparse = true;
		v->npages = n;
		m->ops[MODEL_SPARSE_CREATED]++;
		return 0;
	}
	if (!v->bound && what >= 2)
		return op_bind(m, i, r);
	if (v->bound && what == 1)
		return op_unbind(m, i, r);
	if (v->bound && what > 1)
		return 0;
	/* Destroy: a bound one is unbound synchronously first. */
	if (v->bound && quiesce(m))
		return -1;
	err = gtt_vma_destroy(m->vm, v->h);
	if (v->pins) {
		if (err != -EAGAIN)
			return fail(m, "destroy of pinned sparse vma %d gave %d", i, err);
		return 0;
	}
	if (err)
		return fail(m, "destroy sparse vma %d: %d", i, err);
	if (v->bound) {
		uint64_t start = v->offset, n = v->npages;

		if (gtt_resv_merged(v->resv, GTT_RESV_BOOKKEEP, &f))
			return fail(m, "resv merge failed");
		if (forget_binding(m, v, f) || check_span(m, start, n))
			return -1;
	}
	v->exists = false;
	free(v->pg);
	v->pg = NULL;
	return 0;
}

static struct gtt_pages *buffer(struct model *m, uint32_t b)
{
	return b < NVMA ? m->v[b].pages : m->big[b - NVMA];
}

static unsigned int nbuf(const struct model *m)
{
	return NVMA + m->nbig;
}

/* Note calls over nothing, and calls over the mappings of several calls;
 * whether anything mapped is covered. */
static bool count_covered(struct model *m, const struct mvma *v, uint64_t off, uint64_t n)
{
	const struct gtt_fence *first = NULL;
	bool several = false;

	for (uint64_t k = off; k < off + n; k++) {
		if (!v->pg[k].mapped)
			continue;
		if (first && v->pg[k].fence != first)
			several = true;
		first = first ? first : v->pg[k].fence;
	}
	m->ops[!first ? MODEL_OVER_NOTHING : several ? MODEL_OVER_SEVERAL : MODEL_OVER_ONE]++;
	return first;
}

/*
 * A range of sparse vma @v: any, from @r; in the huge configuration, from
 * the model's generator: whole 2 MiB or 64 KiB runs (huge leaves, IPS
 * tables), now and then the whole vma (a 1 GiB leaf), else a few pages
 * anywhere (demotions).
 */
static void pick_range(struct model *m, const struct mvma *v, uint32_t *r,
		       uint64_t *off, uint64_t *n)
{
	uint64_t np = v->npages;

	if (!m->huge) {
		*off = take(r, (uint32_t)np);
		*n = 1 + take(r, (uint32_t)(np - *off));
		return;
	}
	switch (next(m) % 8) {
	case 0:
	case 1:
		if (np >= SZ_2M_PAGES) {
			*off = next(m) % (np / SZ_2M_PAGES) * SZ_2M_PAGES;
			*n = SZ_2M_PAGES * (1 + next(m) % 2);
			break;
		}
		/* fall through */
	case 2:
		if (np <= 4096 || next(m) % 8 == 0) {
			*off = 0;
			*n = np;
			break;
		}
		/* fall through */
	case 3:
	case 4:
		*off = next(m) % (np / 16) * 16;
		*n = 16 * (1 + next(m) % 8);
		break;
	default:
		*off = next(m) % np;
		*n = 1 + next(m) % 32;
		break;
	}
	*n = u64_min_(*n, np - *off);
}

/*
 * Buffer @b and a page of it to map [off, +*n) from (*n shrinks to fit).
 * Huge configuration: mostly the large buffers, at the range's offset
 * modulo 2 MiB, so that huge leaves and 64 KiB runs can be used.
 */
static struct gtt_pages *pick_pages(struct model *m, uint32_t b, uint64_t off,
				    uint64_t *n, uint64_t *poff)
{
	struct gtt_pages *pages;
	uint64_t bp, base = off % SZ_2M_PAGES;

	if (m->huge && next(m) % 4)
		b = NVMA + (uint32_t)(next(m) % m->nbig);
	pages = buffer(m, b);
	bp = gtt_pages_size(pages) / PAGE;
	*n = u64_min_(*n, bp);
	if (m->huge && base + *n <= bp && next(m) % 4)
		*poff = base + SZ_2M_PAGES * (next(m) % ((bp - *n - base) / SZ_2M_PAGES + 1));
	else
		*poff = next(m) % (bp - *n + 1);
	return pages;
}

/*
 * The model's side of a map (@pages, or NULL entries with @null) or, with
 * @unmap, of an unmap of [off, +n) of sparse vma @v by the call whose
 * fence is @f: the covered pages are pending until @f, and the clears wait
 * for the vma's and the vm's active fences.
 */
static int apply_pages(struct model *m, struct mvma *v, uint64_t off, uint64_t n,
		       bool unmap, bool null, struct gtt_pages *pages, uint64_t poff,
		       struct gtt_fence *f, bool shared)
{
	int err = 0;

	if (count_covered(m, v, off, n) && clear_after_active(m, v, f))
		return -1;
	for (uint64_t k = off; k < off + n && !err; k++) {
		m->ops[MODEL_PAGES_COVERED]++;
		err = cut_page(m, v, k, f);
		if (!unmap && !err)
			v->pg[k] = (struct mpage){
				.mapped = true, .null = null, .shared = shared,
				.pages = pages, .idx = poff + (k - off),
				.fence = gtt_fence_get(f),
			};
	}
	return err;
}

/*
 * A call's fence: checked against what a synchronous call returned, or
 * made signalled with @err when the call gave none back.
 */
static int settle_fence(struct model *m, bool async, int err, struct gtt_fence **f,
			const char *what)
{
	if (!*f) {
		if (gtt_fence_create(0, 0, f))
			return fail(m, "fence create failed");
		gtt_fence_signal(*f, err);
	} else if (!async && gtt_fence_status(*f) != (err ? err : 1)) {
		int st = gtt_fence_status(*f);

		gtt_fence_put(*f);
		*f = NULL;
		return fail(m, "sync %s returned %d, its fence says %d", what, err, st);
	}
	m->ops[MODEL_DEFERRED] += !gtt_fence_is_signaled(*f);
	return 0;
}

/* The error a synchronous map of bound sparse vma @v may return, 0 if none. */
static int map_error(const struct model *m, const struct mvma *v, bool null)
{
	if (v->bind_fence && gtt_fence_status(v->bind_fence) < 0)
		return gtt_fence_status(v->bind_fence);
	return null && m->null_fails ? -EOPNOTSUPP : 0;
}

/* map (@kind MODEL_MAP), map NULL (MODEL_MAP_NULL) or unmap (MODEL_UNMAP). */
static int op_sparse(struct model *m, int i, uint32_t r, unsigned int kind)
{
	struct mvma *v = &m->v[i];
	struct gtt_fence *deps[2], *f = NULL;
	struct gtt_map_info mi = { 0 };
	struct gtt_pages *pages = NULL;
	bool async, want_fence, no_info;
	uint64_t off, n, poff = 0;
	int err, want;

	if (!v->exists) {
		/* Not a sparse vma: refused (an unmap's info names no pages:
		 * it would be refused for them instead). */
		struct mvma *o = &m->v[r % NVMA];

		if (kind != MODEL_UNMAP)
			mi.pages = o->pages;
		err = kind == MODEL_UNMAP ? gtt_vma_unmap(m->vm, o->h, 0, PAGE, &mi, NULL) :
					    gtt_vma_map(m->vm, o->h, 0, PAGE, &mi, NULL);
		if (err != -EINVAL)
			return fail(m, "map/unmap of plain vma %d gave %d, not -EINVAL",
				    (int)(r % NVMA), err);
		return 0;
	}
	pick_range(m, v, &r, &off, &n);
	async = take(&r, 4);	/* 3 in 4 */
	want_fence = take(&r, 4);
	no_info = !take(&r, 4);
	if (kind == MODEL_MAP) {
		pages = pick_pages(m, take(&r, nbuf(m)), off, &n, &poff);
		mi.pages = pages;
		mi.pages_offset = poff * PAGE;
		mi.pte_flags = m->pte_flags;
	} else if (kind == MODEL_MAP_NULL) {
		mi.pte_flags = GTT_PTE_NULL | m->pte_flags;
	}
	if (async) {
		mi.flags = GTT_MAP_ASYNC | (take(&r, 2) ? GTT_MAP_TRYLOCK : 0);
		mi.num_deps = pick_deps(m, r, deps);
		mi.deps = deps;
		want_fence = true;	/* the model needs it */
	} else if (quiesce(m)) {
		return -1;
	}
	if (kind == MODEL_UNMAP)
		err = gtt_vma_unmap(m->vm, v->h, off * PAGE, n * PAGE,
				    no_info && !async ? NULL : &mi, want_fence ? &f : NULL);
	else
		err = gtt_vma_map(m->vm, v->h, off * PAGE, n * PAGE, &mi,
				  want_fence ? &f : NULL);
	if (!v->bound) {
		if (err != -ENOENT)
			return fail(m, "map/unmap of unbound sparse vma %d gave %d", i, err);
		return 0;
	}
	/* What a synchronous call may return: the placement's error, or the
	 * GGTT's refusal of NULL entries. */
	want = async || kind == MODEL_UNMAP ? 0 : map_error(m, v, kind == MODEL_MAP_NULL);
	if (err != want)
		return fail(m, "%s [%llu, +%llu) of sparse vma %d (%s): %d, expected %d",
			    kind == MODEL_UNMAP ? "unmap" : "map", (unsigned long long)off,
			    (unsigned long long)n, i, async ? "async" : "sync", err, want);
	if (settle_fence(m, async, err, &f, "map/unmap"))
		return -1;
	m->ops[kind == MODEL_UNMAP ? MODEL_UNMAP_OK : MODEL_MAP_OK]++;
	err = apply_pages(m, v, off, n, kind == MODEL_UNMAP, kind == MODEL_MAP_NULL,
			  pages, poff, f, false);
	gtt_fence_put(f);
	return err ? -1 : check_vma(m, v, off, n);
}

/* ---- batches, objects, active fences ---- */

/* Bound sparse slots (indices into m->v); how many. */
static unsigned int bound_sparse(const struct model *m, int *out)
{
	unsigned int n = 0;

	for (int i = NVMA; i < NSLOT; i++)
		if (m->v[i].exists && m->v[i].bound)
			out[n++] = i;
	return n;
}

/* Make @op, on @v, bad in one of seven ways (each is -EINVAL). */
static void spoil(struct model *m, struct gtt_map_op *op, const struct mvma *v)
{
	switch (next(m) % 7) {
	case 0:
		op->size = 0;
		break;
	case 1:
		op->offset = v->npages * PAGE;
		op->size = PAGE;
		break;
	case 2:
		op->offset += 8;
		break;
	case 3:
		op->kind = GTT_OP_MAP;
		op->pages = m->v[0].pages;
		op->pages_offset = gtt_pages_size(op->pages);
		op->pte_flags = 0;
		break;
	case 4:
		op->kind = GTT_OP_UNMAP;
		op->pages = m->v[0].pages;
		op->pages_offset = 0;
		break;
	case 5:
		op->kind = (enum gtt_map_op_kind)7;
		break;
	default:
		op->kind = GTT_OP_MAP;
		op->pages = m->v[0].pages;
		op->pte_flags = GTT_PTE_NULL;
		break;
	}
}

static struct gtt_vm_stats vm_stats(struct model *m)
{
	struct gtt_vm_stats st = { 0 };

	gtt_vm_stats(m->vm, &st);
	return st;
}

/*
 * A batch of 2-6 maps, NULL maps and unmaps on the bound sparse vmas, in
 * order, with one fence; one in eight has a bad op somewhere: -EINVAL, no
 * fence, nothing changed.
 */
static int op_batch(struct model *m, uint32_t r)
{
	struct gtt_map_op ops[BATCH_MAX];
	int slot[BATCH_MAX], bound[NSPARSE];
	uint64_t off[BATCH_MAX], n[BATCH_MAX], poff[BATCH_MAX];
	unsigned int nb = bound_sparse(m, bound), count = 2 + take(&r, BATCH_MAX - 1);
	bool async = take(&r, 4), bad = !take(&r, 8);
	struct gtt_fence *deps[2], *f = NULL;
	struct gtt_map_info mi = { 0 };
	struct gtt_vm_stats before;
	int err, want = 0;

	if (!nb)
		return 0;
	for (unsigned int k = 0; k < count; k++) {
		struct mvma *v = &m->v[slot[k] = bound[next(m) % nb]];
		unsigned int what = (unsigned int)(next(m) % 4);

		pick_range(m, v, &r, &off[k], &n[k]);
		poff[k] = 0;
		ops[k] = (struct gtt_map_op){ .kind = what == 3 ? GTT_OP_UNMAP : GTT_OP_MAP,
					      .vma = v->h };
		if (what < 2) {
			ops[k].pages = pick_pages(m, (uint32_t)(next(m) % nbuf(m)), off[k],
						  &n[k], &poff[k]);
			ops[k].pages_offset = poff[k] * PAGE;
		} else if (what == 2) {
			ops[k].pte_flags = GTT_PTE_NULL;
		}
		if (ops[k].kind == GTT_OP_MAP)
			ops[k].pte_flags |= m->pte_flags;
		ops[k].offset = off[k] * PAGE;
		ops[k].size = n[k] * PAGE;
	}
	if (bad) {
		unsigned int k = (unsigned int)(next(m) % count);

		spoil(m, &ops[k], &m->v[slot[k]]);
	}
	if (async) {
		mi.flags = GTT_MAP_ASYNC;
		mi.num_deps = pick_deps(m, r, deps);
		mi.deps = deps;
	} else if (quiesce(m)) {
		return -1;
	}
	before = vm_stats(m);
	err = gtt_vm_map_batch(m->vm, ops, count, &mi, &f);
	for (unsigned int k = 0; k < count && m->trace; k++)
		fprintf(stderr, "model:   batch op %u: kind %d slot %d [%llu, +%llu) pages %p +%llu flags 0x%x: %d\n",
			k, (int)ops[k].kind, slot[k], (unsigned long long)(ops[k].offset / PAGE),
			(unsigned long long)(ops[k].size / PAGE), (void *)ops[k].pages,
			(unsigned long long)(ops[k].pages_offset / PAGE), ops[k].pte_flags, err);
	if (bad) {
		struct gtt_vm_stats after = vm_stats(m);

		if (err != -EINVAL || f)
			return fail(m, "batch with a bad op gave %d (fence %p), not -EINVAL", err,
				    (void *)f);
		if (after.binds != before.binds || after.unbinds != before.unbinds)
			return fail(m, "batch with a bad op changed something");
		m->ops[MODEL_BATCH_BAD]++;
		return model_check_all(m);
	}
	/* A synchronous batch fails if one of its maps does. */
	for (unsigned int k = 0; k < count && !async; k++)
		if (ops[k].kind == GTT_OP_MAP && !want)
			want = map_error(m, &m->v[slot[k]], ops[k].pte_flags & GTT_PTE_NULL);
	if (async ? err != 0 : (err != 0) != (want != 0))
		return fail(m, "batch of %u (%s): %d, expected %d", count,
			    async ? "async" : "sync", err, want);
	if (settle_fence(m, async, err, &f, "batch"))
		return -1;
	m->ops[MODEL_BATCH_OK]++;
	m->ops[MODEL_BATCH_OPS] += count;
	err = 0;
	for (unsigned int k = 0; k < count && !err; k++)
		err = apply_pages(m, &m->v[slot[k]], off[k], n[k], ops[k].kind == GTT_OP_UNMAP,
				  ops[k].pte_flags & GTT_PTE_NULL, ops[k].pages, poff[k], f, true);
	gtt_fence_put(f);
	for (unsigned int k = 0; k < count && !err; k++)
		err = check_vma(m, &m->v[slot[k]], off[k], n[k]);
	return err;
}

/*
 * gtt_vm_unmap_pages() of a random buffer, or gtt_vm_move_pages() of one
 * to another at least as large (one in eight: smaller, -EINVAL if a
 * mapping does not fit) after a GPU fence standing for the copy.  The
 * move's fences of one buffer are points of one timeline: a later one
 * must not signal before an earlier one.
 */
static int op_objects(struct model *m, uint32_t r, bool move)
{
	uint32_t from_b = take(&r, nbuf(m)), to_b = take(&r, nbuf(m));
	bool async = take(&r, 4), small = !take(&r, 8);
	struct gtt_pages *from = buffer(m, from_b), *to = buffer(m, to_b);
	struct gtt_fence *copy = NULL, *f = NULL;
	struct gtt_map_info mi = { 0 };
	uint64_t too_far = 0, covered = 0;
	int err, want = 0, bound[NSPARSE];
	unsigned int nb = bound_sparse(m, bound);

	if (move && (from == to || (!small && gtt_pages_size(to) < gtt_pages_size(from))))
		return 0;
	if (move) {
		struct gtt_fence **slot = &m->gpu[r % NGPU];

		/* The copy: a fresh GPU fence, or one running already. */
		if (!*slot || gtt_fence_is_signaled(*slot)) {
			gtt_fence_put(*slot);
			*slot = NULL;
			if (gtt_fence_create(0, 0, slot))
				return fail(m, "fence create failed");
		}
		copy = *slot;
	}
	/* What the call covers, and what a move cannot map to @to. */
	for (unsigned int s = 0; s < nb; s++) {
		const struct mvma *v = &m->v[bound[s]];

		for (uint64_t k = 0; k < v->npages; k++)
			if (v->pg[k].mapped && v->pg[k].pages == from) {
				covered++;
				too_far += v->pg[k].idx >= gtt_pages_size(to) / PAGE;
			}
	}
	if (async) {
		mi.flags = GTT_MAP_ASYNC;
	} else if (quiesce(m)) {
		return -1;
	}
	mi.deps = &copy;
	mi.num_deps = copy != NULL;
	err = move ? gtt_vm_move_pages(m->vm, from, to, &mi, &f) :
		     gtt_vm_unmap_pages(m->vm, from, &mi, &f);
	if (move && too_far) {
		if (err != -EINVAL || f)
			return fail(m, "move of buffer %u to smaller buffer %u: %d, not -EINVAL",
				    from_b, to_b, err);
		m->ops[MODEL_MOVE_SMALL]++;
		return 0;
	}
	for (unsigned int s = 0; s < nb && !async && move; s++) {
		const struct mvma *v = &m->v[bound[s]];

		for (uint64_t k = 0; k < v->npages && !want; k++)
			if (v->pg[k].mapped && v->pg[k].pages == from)
				want = map_error(m, v, false);
	}
	if (async ? err != 0 : (err != 0) != (want != 0))
		return fail(m, "%s of buffer %u (%s): %d, expected %d",
			    move ? "move" : "unmap_pages", from_b, async ? "async" : "sync", err, want);
	if (settle_fence(m, async, err, &f, move ? "move" : "unmap_pages"))
		return -1;
	m->ops[move ? MODEL_MOVE_OK : MODEL_UNMAP_PAGES_OK]++;
	m->ops[MODEL_OBJ_PAGES] += covered;
	err = 0;
	for (unsigned int s = 0; s < nb && !err; s++) {
		struct mvma *v = &m->v[bound[s]];

		for (uint64_t k = 0; k < v->npages && !err; k++) {
			uint64_t e = k;

			if (!v->pg[k].mapped || v->pg[k].pages != from)
				continue;
			/* One run of pages of @from, mapped in order. */
			while (e + 1 < v->npages && v->pg[e + 1].mapped &&
			       v->pg[e + 1].pages == from && v->pg[e + 1].idx == v->pg[e].idx + 1)
				e++;
			err = apply_pages(m, v, k, e - k + 1, !move, false, to, v->pg[k].idx, f, true);
			k = e;
		}
		if (!err)
			err = check_vma(m, v, 0, v->npages);
	}
	if (!err && move && covered)
		err = add_order(m, f, copy, "a move (its copy)");
	if (m->trace && move)
		fprintf(stderr, "model:   move %u -> %u: %llu pages, fence %s, last move's %s\n",
			from_b, to_b, (unsigned long long)covered,
			gtt_fence_is_signaled(f) ? "signalled" : "pending",
			!m->last_move[from_b] ? "none" :
			gtt_fence_is_signaled(m->last_move[from_b]) ? "signalled" : "pending");
	if (!err && move) {
		if (MODEL_CHECK_MOVE_TIMELINE)
			err = add_order(m, f, m->last_move[from_b],
					"a move (the timeline of its pages)");
		gtt_fence_put(m->last_move[from_b]);
		m->last_move[from_b] = gtt_fence_get(f);
	}
	gtt_fence_put(f);
	return err;
}

/* A GPU fence in slot @r % NGPU: the running one, or a fresh one. */
static struct gtt_fence *gpu_slot(struct model *m, uint32_t r)
{
	struct gtt_fence **slot = &m->gpu[r % NGPU];

	if (*slot && !gtt_fence_is_signaled(*slot))
		return *slot;
	gtt_fence_put(*slot);
	*slot = NULL;
	if (gtt_fence_create(0, 0, slot)) {
		fail(m, "fence create failed");
		return NULL;
	}
	return *slot;
}

/* GPU work that may use every mapping of the vm (gtt_vm_add_active()). */
static int op_vm_active(struct model *m, uint32_t r)
{
	struct gtt_fence *f = gpu_slot(m, r);

	if (!f)
		return -1;
	if (gtt_vm_add_active(m->vm, f))
		return fail(m, "gtt_vm_add_active failed");
	remember(m, m->vm_act, NVMACT, f);
	return 0;
}

/*
 * gtt_vma_add_active_many() over 1-6 random bound vmas (one may repeat);
 * one in four lists an unbound one too: -ENOENT, and no vma has the fence.
 */
static int op_active_many(struct model *m, uint32_t r)
{
	gtt_vma_t h[BATCH_MAX + 1];
	int idx[BATCH_MAX + 1], unbound = -1;
	unsigned int active[BATCH_MAX + 1], n = 0, want = 1 + take(&r, BATCH_MAX);
	bool with_unbound = !take(&r, 4);
	struct gtt_fence *f;
	int err;

	for (unsigned int t = 0; t < 4 * want && n < want; t++) {
		int i = (int)(next(m) % NSLOT);

		if (m->v[i].exists && m->v[i].bound)
			idx[n++] = i;
		else if (m->v[i].exists && unbound < 0)
			unbound = i;
	}
	if (!n || (with_unbound && unbound < 0))
		return 0;
	if (with_unbound) {
		unsigned int at = (unsigned int)(next(m) % (n + 1));

		memmove(&idx[at + 1], &idx[at], (n - at) * sizeof(*idx));
		idx[at] = unbound;
		n++;
	}
	if (!(f = gpu_slot(m, r)))
		return -1;
	for (unsigned int k = 0; k < n; k++) {
		struct gtt_vma_info info;

		h[k] = m->v[idx[k]].h;
		gtt_vma_query(m->vm, h[k], &info);
		active[k] = info.active;
	}
	err = gtt_vma_add_active_many(m->vm, h, n, f);
	if (err != (with_unbound ? -ENOENT : 0))
		return fail(m, "add_active_many of %u vmas%s: %d", n,
			    with_unbound ? " with an unbound one" : "", err);
	for (unsigned int k = 0; k < n && with_unbound; k++) {
		struct gtt_vma_info info;

		gtt_vma_query(m->vm, h[k], &info);
		if (info.active != active[k])
			return fail(m, "add_active_many that failed changed vma %d's active fences",
				    idx[k]);
	}
	for (unsigned int k = 0; k < n && !with_unbound; k++)
		remember(m, m->v[idx[k]].act, NACT, f);
	m->ops[with_unbound ? MODEL_ACTIVE_MANY_ENOENT : MODEL_ACTIVE_MANY_OK]++;
	return 0;
}

/* ---- operations ---- */

int model_step(struct model *m, uint32_t w)
{
	unsigned int op = w % MODEL_OPS;
	int i = (int)((w >> 5) % NSLOT), s = NVMA + (int)((w >> 5) % NSPARSE);
	uint32_t r = w >> 10;
	struct mvma *v = &m->v[i];
	int err = 0;

	m->ops[op]++;
	m->rng ^= (uint64_t)w << 32 | w;	/* the words steer the generator too */
	m->rng = m->rng ? m->rng : 1;
	m->trace = m->trace_from >= 0 && m->steps >= (uint64_t)m->trace_from;
	if (m->trace)
		fprintf(stderr, "model: step %llu: op %u slot %d sparse %d r 0x%x\n",
			(unsigned long long)m->steps, op, i, s, r);
	m->steps++;
	switch (op) {
	case MODEL_BIND:
	case MODEL_BIND2:
		err = op_bind(m, i, r);
		break;
	case MODEL_UNBIND:
		err = op_unbind(m, i, r);
		break;
	case MODEL_PIN:
		if (!v->exists || !v->bound)
			break;
		if (v->pins && (r & 1)) {
			if (gtt_vma_unpin(m->vm, v->h))
				return fail(m, "unpin vma %d failed", i);
			v->pins--;
		} else if (v->pins < 2) {
			if (gtt_vma_pin(m->vm, v->h))
				return fail(m, "pin vma %d failed", i);
			v->pins++;
		}
		break;
	case MODEL_GPU_WORK:
		err = op_gpu_work(m, i, r);
		break;
	case MODEL_GPU_WORK_SPARSE:
		err = r & 1 ? op_job(m, s, r >> 1) : op_gpu_work(m, s, r >> 1);
		break;
	case MODEL_GPU_DONE:
	case MODEL_GPU_DONE2: {
		struct gtt_fence *f = gpu_fence(m, r);

		if (f)
			gtt_fence_signal(f, (r >> 8) % 16 ? 0 : -EIO);
		break;
	}
	case MODEL_WORKER:
		gtt_executor_run_one(m->ex);
		if (m->xe && xe_kernel_step(m, 1))	/* the bind queue is a worker too */
			return -1;
		prune(m);
		break;
	case MODEL_WORKERS:
		for (uint32_t k = 0; k <= r % 8; k++) {
			gtt_executor_run_one(m->ex);
			if (m->xe && xe_kernel_step(m, 1))
				return -1;
		}
		prune(m);
		break;
	case MODEL_HOLD:
		if (!v->exists) {
			break;
		} else if (v->held) {
			gtt_binding_unhold(v->held);
			v->held = NULL;
		} else if (v->bound && gtt_vma_hold(m->vm, v->h, &v->held)) {
			return fail(m, "hold vma %d failed", i);
		}
		break;
	case MODEL_MAP:
	case MODEL_MAP2:
		err = op_sparse(m, s, r, MODEL_MAP);
		break;
	case MODEL_MAP_NULL:
		err = op_sparse(m, s, r, MODEL_MAP_NULL);
		break;
	case MODEL_UNMAP:
		err = op_sparse(m, s, r, MODEL_UNMAP);
		break;
	case MODEL_SPARSE_LIFE:
		err = op_sparse_life(m, s, r);
		break;
	case MODEL_BATCH:
		err = op_batch(m, r);
		break;
	case MODEL_UNMAP_PAGES:
	case MODEL_MOVE:
		err = op_objects(m, r, op == MODEL_MOVE);
		break;
	case MODEL_VM_ACTIVE:
		err = op_vm_active(m, r);
		break;
	case MODEL_ACTIVE_MANY:
		err = op_active_many(m, r);
		break;
	}
	if (err || (m->xe && (xe_hold(m) || xe_counters(m))) || check_orders(m))
		return -1;
	/* A couple of pages anywhere (huge: in a sparse vma), every step. */
	for (int k = 0; k < 2; k++) {
		struct mvma *sv = &m->v[NVMA + next(m) % NSPARSE];
		uint64_t va = m->va0 + (next(m) % m->vm_pages) * PAGE;

		if (m->huge && sv->exists && sv->bound)
			va = sv->offset + (next(m) % sv->npages) * PAGE;
		if (check_page(m, va))
			return -1;
	}
	return 0;
}

int model_destroy(struct model *m)
{
	int ret = 0;

	/* Let all GPU work finish and all holds go, then unbind everything. */
	if (quiesce(m))
		ret = -1;
	for (int i = 0; i < NSLOT; i++) {
		struct mvma *v = &m->v[i];

		while (v->exists && v->pins && !gtt_vma_unpin(m->vm, v->h))
			v->pins--;
	}
	gtt_executor_run_all(m->ex);
	if (m->xe && xe_release(m))
		ret = -1;
	for (int i = 0; i < NSLOT; i++) {
		struct mvma *v = &m->v[i];

		if (!v->exists)
			continue;
		if (v->bound && gtt_vma_unbind(m->vm, v->h, 0, NULL) && !ret)
			ret = fail(m, "final unbind of vma %d failed", i);
		forget_binding(m, v, NULL);
	}
	gtt_executor_run_all(m->ex);
	if (m->xe && xe_hold(m))
		ret = -1;
	prune(m);
	if (!ret && check_orders(m))
		ret = -1;
	if (!ret && m->npend)
		ret = fail(m, "%u unbinds still pending at the end", m->npend);
	if (!ret)
		ret = model_check_all(m);	/* everything scratch now */
	gtt_sim_destroy(m->sim);
	gtt_vm_destroy(m->vm);
	for (int i = 0; i < NSLOT; i++) {
		gtt_pages_put(m->v[i].pages);
		gtt_resv_destroy(m->v[i].resv);
		free(m->v[i].pg);
		for (int k = 0; k < NACT; k++)
			gtt_fence_put(m->v[i].act[k]);
	}
	for (unsigned int k = 0; k < m->nbig; k++)
		gtt_pages_put(m->big[k]);
	for (int k = 0; k < NGPU; k++)
		gtt_fence_put(m->gpu[k]);
	for (int k = 0; k < NVMACT; k++)
		gtt_fence_put(m->vm_act[k]);
	for (int k = 0; k < NBUF; k++)
		gtt_fence_put(m->last_move[k]);
	for (unsigned int k = 0; k < m->nord; k++) {
		gtt_fence_put(m->ord[k].after);
		gtt_fence_put(m->ord[k].before);
	}
	for (unsigned int k = 0; k < m->npend; k++) {
		gtt_fence_put(m->pend[k].fence);
		gtt_pages_put(m->pend[k].pages);
	}
	gtt_executor_destroy(m->ex);
	if (m->xe) {
		if (xe_destroy(m) && !ret)
			ret = -1;
	} else {
		gtt_backend_destroy(m->be);
	}
	free(m);
	return ret;
}
