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

#define PAGE 4096ull
#define VM_PAGES 128
#define NVMA 20			/* vmas of their own pages */
#define NSPARSE 4		/* slots for sparse vmas */
#define NSLOT (NVMA + NSPARSE)
#define NBIG 2			/* buffers only sparse vmas map */
#define BIG_PAGES 24
#define NBUF (NVMA + NBIG)
#define SPARSE_MAX 32		/* pages of a sparse vma, at most */
#define NGPU 16
#define MAXPEND 2048
#define NJOB 4			/* simulated GPU jobs in flight */
#define JOB_PAGES 4

/* One page of a sparse vma: what the last map over it asked for. */
struct mpage {
	bool mapped, null;
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
	struct mpage pg[SPARSE_MAX];	/* sparse: npages of them */
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
	bool null_entries;		/* NULL maps to a NULL entry, not scratch */
	bool null_fails;		/* the backend refuses NULL (GGTT) */
	struct gtt_backend *be;
	struct gtt_executor *ex;
	struct gtt_vm *vm;
	uint64_t va0;
	struct mvma v[NSLOT];
	struct gtt_pages *big[NBIG];
	struct gtt_fence *gpu[NGPU];
	struct gtt_sim *sim;
	struct gtt_sim_job *job[NJOB];
	struct pending pend[MAXPEND];
	unsigned int npend;
	uint64_t rng;
	uint64_t ops[MODEL_COUNTERS];
	char err[256];
};

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

struct model *model_create(unsigned int backend)
{
	struct gtt_mock_config mc = { .scratch_addr = 0xdead000 };
	struct gtt_vm_config vc = { .flags = GTT_VM_COLOR_GUARD };
	struct model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->backend = backend % MODEL_BACKENDS;
	m->rng = 0x9e3779b97f4a7c15ull;
	m->va0 = m->backend == 0 ? 0x100000 : PAGE;
	m->null_entries = m->backend == 0 || m->backend == 2;
	m->null_fails = m->backend == 1;
	mc.start = m->backend == 0 ? m->va0 : 0;
	mc.size = m->backend == 0 ? VM_PAGES * PAGE : (VM_PAGES + 2) * PAGE;
	mc.mode = m->backend == 1 ? GTT_MOCK_INTEL_GGTT :
		  m->backend >= 2 ? GTT_MOCK_INTEL_PPGTT : GTT_MOCK_GENERIC;
	mc.intel_family = m->backend == 3 ? GTT_INTEL_SKL : GTT_INTEL_TGL;
	vc.start = m->va0;
	vc.size = VM_PAGES * PAGE;
	if (gtt_mock_create(&mc, &m->be) || gtt_executor_create_manual(&m->ex))
		goto fail;
	vc.backend = m->be;
	vc.executor = m->ex;
	if (gtt_vm_create(&vc, &m->vm) || gtt_sim_create(m->vm, m->be, &m->sim))
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
		if (gtt_pages_create(segs, i % 2 ? 2 : 1, 0, &v->pages) ||
		    gtt_vma_create(m->vm, v->pages, v->resv, &v->h))
			goto fail;
		v->exists = true;
		v->npages = gtt_pages_size(v->pages) / PAGE;
	}
	for (int k = 0; k < NBIG; k++) {
		struct gtt_pages_segment segs[3] = {
			{ 0x300000000ull + (uint64_t)k * 0x100000, PAGE * 10 },
			{ 0x400000000ull + (uint64_t)k * 0x100000, PAGE * 6 },
			{ 0x500000000ull + (uint64_t)k * 0x100000, PAGE * (BIG_PAGES - 16) },
		};

		if (gtt_pages_create(segs, 3, 0, &m->big[k]))
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
	snprintf(buf, n, "0x%llx", (unsigned long long)t->addr);
	return buf;
}

/* @t is what page @idx of @pages (NULL: a NULL entry) looks like here. */
static bool shows(const struct model *m, const struct gtt_translation *t,
		  struct gtt_pages *pages, uint64_t idx)
{
	uint64_t want;

	if (!t->present)
		return false;
	if (!pages)
		return m->null_entries ? t->null && !t->scratch : t->scratch && !t->null;
	gtt_pages_addr(pages, idx * PAGE, &want);
	return !t->scratch && !t->null && t->addr == want;
}

static int check_page(struct model *m, uint64_t va)
{
	struct gtt_translation t;
	char buf[32];
	int err = gtt_backend_translate(m->be, va, &t);

	if (err)
		return fail(m, "translate 0x%llx failed: %d", (unsigned long long)va, err);
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
		if (st == 1 || (st == 0 && shows(m, &t, pg->null ? NULL : pg->pages, pg->idx)))
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

int model_check_all(struct model *m)
{
	for (uint64_t p = 0; p < VM_PAGES; p++)
		if (check_page(m, m->va0 + p * PAGE))
			return -1;
	return 0;
}

static int check_range(struct model *m, uint64_t start, uint64_t npages)
{
	for (uint64_t p = 0; p < npages; p++)
		if (check_page(m, start + p * PAGE))
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
	v->bound = false;
	v->pins = 0;
	gtt_fence_put(v->bind_fence);
	v->bind_fence = NULL;
	return err;
}

/* vmas the vm unbound behind our back (evictions, failed sync binds). */
static int reconcile(struct model *m)
{
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
	return 0;
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
	if (!(r & 0x1c0)) {
		bi.flags |= GTT_BIND_FIXED;
		bi.offset = m->va0 + ((r >> 9) % VM_PAGES) * PAGE;
	}
	bi.num_deps = pick_deps(m, r >> 13, deps);
	bi.deps = deps;
	err = gtt_vma_bind(m->vm, v->h, &bi, &bf);
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
	return reconcile(m) || check_range(m, v->offset, v->npages) ? -1 : 0;
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
	if (forget_binding(m, v, uf))
		return -1;
	return check_range(m, start, n);
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
	if (!v->exists || !v->bound)
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
		uint64_t n = 1 + take(&r, SPARSE_MAX);

		if (gtt_vma_create_sparse(m->vm, n * PAGE, v->resv, &v->h))
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
		if (forget_binding(m, v, f) || check_range(m, start, n))
			return -1;
	}
	v->exists = false;
	return 0;
}

static struct gtt_pages *buffer(struct model *m, uint32_t b)
{
	return b < NVMA ? m->v[b].pages : m->big[b - NVMA];
}

/* Note calls over nothing, and calls over the mappings of several calls. */
static void count_covered(struct model *m, const struct mvma *v, uint64_t off, uint64_t n)
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
		/* Not a sparse vma: refused. */
		struct mvma *o = &m->v[r % NVMA];

		mi.pages = o->pages;
		err = kind == MODEL_UNMAP ? gtt_vma_unmap(m->vm, o->h, 0, PAGE, &mi, NULL) :
					    gtt_vma_map(m->vm, o->h, 0, PAGE, &mi, NULL);
		if (err != -EINVAL)
			return fail(m, "map/unmap of plain vma %d gave %d, not -EINVAL",
				    (int)(r % NVMA), err);
		return 0;
	}
	off = take(&r, (uint32_t)v->npages);
	n = 1 + take(&r, (uint32_t)(v->npages - off));
	async = take(&r, 4);	/* 3 in 4 */
	want_fence = take(&r, 4);
	no_info = !take(&r, 4);
	if (kind == MODEL_MAP) {
		uint32_t b = take(&r, NBUF);
		uint64_t bp;

		pages = buffer(m, b);
		bp = gtt_pages_size(pages) / PAGE;
		if (n > bp)
			n = bp;
		poff = next(m) % (bp - n + 1);
		mi.pages = pages;
		mi.pages_offset = poff * PAGE;
	} else if (kind == MODEL_MAP_NULL) {
		mi.pte_flags = GTT_PTE_NULL;
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
	want = 0;
	if (!async && v->bind_fence && gtt_fence_status(v->bind_fence) < 0 &&
	    kind != MODEL_UNMAP)
		want = gtt_fence_status(v->bind_fence);
	else if (!async && kind == MODEL_MAP_NULL && m->null_fails)
		want = -EOPNOTSUPP;
	if (err != want)
		return fail(m, "%s [%llu, +%llu) of sparse vma %d (%s): %d, expected %d",
			    kind == MODEL_UNMAP ? "unmap" : "map", (unsigned long long)off,
			    (unsigned long long)n, i, async ? "async" : "sync", err, want);
	if (!f) {
		/* A synchronous call without its fence: done, with @err. */
		if (gtt_fence_create(0, 0, &f))
			return fail(m, "fence create failed");
		gtt_fence_signal(f, err);
	} else if (!async && gtt_fence_status(f) != (err ? err : 1)) {
		gtt_fence_put(f);
		return fail(m, "sync map/unmap of sparse vma %d returned %d, its fence says %d",
			    i, err, gtt_fence_status(f));
	}
	m->ops[kind == MODEL_UNMAP ? MODEL_UNMAP_OK : MODEL_MAP_OK]++;
	m->ops[MODEL_DEFERRED] += !gtt_fence_is_signaled(f);
	count_covered(m, v, off, n);
	err = 0;
	for (uint64_t k = off; k < off + n && !err; k++) {
		m->ops[MODEL_PAGES_COVERED]++;
		err = cut_page(m, v, k, f);
		if (kind != MODEL_UNMAP && !err)
			v->pg[k] = (struct mpage){
				.mapped = true, .null = kind == MODEL_MAP_NULL,
				.pages = pages, .idx = poff + (k - off),
				.fence = gtt_fence_get(f),
			};
	}
	gtt_fence_put(f);
	if (err)
		return -1;
	return check_range(m, v->offset, v->npages);
}

/* ---- operations ---- */

int model_step(struct model *m, uint32_t w)
{
	unsigned int op = w % MODEL_OPS;
	int i = (int)((w >> 4) % NSLOT), s = NVMA + (int)((w >> 4) % NSPARSE);
	uint32_t r = w >> 9;
	struct mvma *v = &m->v[i];
	int err = 0;

	m->ops[op]++;
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
		prune(m);
		break;
	case MODEL_WORKERS:
		for (uint32_t k = 0; k <= r % 8; k++)
			gtt_executor_run_one(m->ex);
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
	}
	if (err)
		return -1;
	/* A couple of pages anywhere, every step. */
	if (check_page(m, m->va0 + (next(m) % VM_PAGES) * PAGE) ||
	    check_page(m, m->va0 + (next(m) % VM_PAGES) * PAGE))
		return -1;
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
	for (int i = 0; i < NSLOT; i++) {
		struct mvma *v = &m->v[i];

		if (!v->exists)
			continue;
		if (v->bound && gtt_vma_unbind(m->vm, v->h, 0, NULL) && !ret)
			ret = fail(m, "final unbind of vma %d failed", i);
		forget_binding(m, v, NULL);
	}
	gtt_executor_run_all(m->ex);
	prune(m);
	if (!ret && m->npend)
		ret = fail(m, "%u unbinds still pending at the end", m->npend);
	if (!ret)
		ret = model_check_all(m);	/* everything scratch now */
	gtt_sim_destroy(m->sim);
	gtt_vm_destroy(m->vm);
	for (int i = 0; i < NSLOT; i++) {
		gtt_pages_put(m->v[i].pages);
		gtt_resv_destroy(m->v[i].resv);
	}
	for (int k = 0; k < NBIG; k++)
		gtt_pages_put(m->big[k]);
	for (int k = 0; k < NGPU; k++)
		gtt_fence_put(m->gpu[k]);
	for (unsigned int k = 0; k < m->npend; k++) {
		gtt_fence_put(m->pend[k].fence);
		gtt_pages_put(m->pend[k].pages);
	}
	gtt_executor_destroy(m->ex);
	gtt_backend_destroy(m->be);
	free(m);
	return ret;
}
