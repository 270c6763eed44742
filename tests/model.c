/* SPDX-License-Identifier: MIT */
/*
 * The model.  For every GPU page P of the vm, the page tables may hold:
 *
 *  - exactly the page of the vma bound at P, once that vma's bind fence has
 *    signalled without error;
 *  - otherwise scratch, or the page of a binding at P whose unbind has not
 *    completed (its unbind fence is unsignalled).
 *
 * Nothing else: not a page of a binding whose unbind completed, not a
 * page of a vma bound elsewhere.  Every unbind's fence is known: returned
 * by gtt_vma_unbind(), or, for a vma evicted by another bind, taken from
 * the vma's resv, where every unbind fence is added.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define PAGE 4096ull
#define VM_PAGES 128
#define NVMA 20
#define NGPU 16
#define MAXPEND 256

struct mvma {
	gtt_vma_t h;
	struct gtt_pages *pages;
	struct gtt_resv *resv;
	uint64_t npages;
	bool bound;
	uint64_t offset;
	struct gtt_fence *bind_fence;	/* of the current binding */
	unsigned int pins;
	struct gtt_binding *held;
};

struct pending {
	uint64_t start, npages;
	struct gtt_pages *pages;
	struct gtt_fence *fence;	/* unbind fence */
};

struct model {
	unsigned int backend;
	struct gtt_backend *be;
	struct gtt_executor *ex;
	struct gtt_vm *vm;
	uint64_t va0;
	struct mvma v[NVMA];
	struct gtt_fence *gpu[NGPU];
	struct pending pend[MAXPEND];
	unsigned int npend;
	uint64_t rng;
	uint64_t ops[8];
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
	return kind < 8 ? m->ops[kind] : 0;
}

struct model *model_create(unsigned int backend)
{
	struct gtt_mock_config mc = { .scratch_addr = 0xdead000 };
	struct gtt_vm_config vc = { .flags = GTT_VM_COLOR_GUARD };
	struct model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->backend = backend % 3;
	m->rng = 0x9e3779b97f4a7c15ull;
	m->va0 = m->backend == 0 ? 0x100000 : PAGE;
	mc.start = m->backend == 0 ? m->va0 : 0;
	mc.size = m->backend == 0 ? VM_PAGES * PAGE : (VM_PAGES + 2) * PAGE;
	mc.mode = m->backend == 1 ? GTT_MOCK_INTEL_GGTT :
		  m->backend == 2 ? GTT_MOCK_INTEL_PPGTT : GTT_MOCK_GENERIC;
	mc.intel_family = GTT_INTEL_TGL;
	vc.start = m->va0;
	vc.size = VM_PAGES * PAGE;
	if (gtt_mock_create(&mc, &m->be) || gtt_executor_create_manual(&m->ex))
		goto fail;
	vc.backend = m->be;
	vc.executor = m->ex;
	if (gtt_vm_create(&vc, &m->vm))
		goto fail;
	for (int i = 0; i < NVMA; i++) {
		struct mvma *v = &m->v[i];
		/* one or two segments, 1..6 pages, distinct DMA ranges */
		struct gtt_pages_segment segs[2] = {
			{ 0x100000000ull + (uint64_t)i * 0x100000, PAGE * (1 + i % 3) },
			{ 0x200000000ull + (uint64_t)i * 0x100000, PAGE * (1 + i % 4) },
		};

		if (gtt_pages_create(segs, i % 2 ? 2 : 1, 0, &v->pages) ||
		    gtt_resv_create(&v->resv) ||
		    gtt_vma_create(m->vm, v->pages, v->resv, &v->h))
			goto fail;
		v->npages = gtt_pages_size(v->pages) / PAGE;
	}
	return m;
fail:
	free(m);
	return NULL;
}

/* ---- checking ---- */

static int check_page(struct model *m, uint64_t va)
{
	struct gtt_translation t;
	uint64_t want;
	int err = gtt_backend_translate(m->be, va, &t);

	if (err)
		return fail(m, "translate 0x%llx failed: %d", (unsigned long long)va, err);
	for (int i = 0; i < NVMA; i++) {
		struct mvma *v = &m->v[i];

		if (!v->bound || va < v->offset || va >= v->offset + v->npages * PAGE)
			continue;
		if (v->bind_fence && gtt_fence_status(v->bind_fence) != 1)
			break;		/* bind not written (yet, or failed) */
		gtt_pages_addr(v->pages, va - v->offset, &want);
		if (!t.present || t.scratch || t.addr != want)
			return fail(m, "0x%llx: vma %d bound, expected 0x%llx, tables give %s0x%llx",
				    (unsigned long long)va, i, (unsigned long long)want,
				    t.scratch ? "scratch " : t.present ? "" : "not-present ",
				    (unsigned long long)t.addr);
		return 0;
	}
	if (!t.present || t.scratch)
		return 0;
	for (unsigned int k = 0; k < m->npend; k++) {
		struct pending *p = &m->pend[k];

		if (va < p->start || va >= p->start + p->npages * PAGE ||
		    gtt_fence_is_signaled(p->fence))
			continue;
		gtt_pages_addr(p->pages, va - p->start, &want);
		if (t.addr == want)
			return 0;	/* still being unbound */
	}
	return fail(m, "0x%llx: nothing may be mapped, tables give 0x%llx",
		    (unsigned long long)va, (unsigned long long)t.addr);
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

static int add_pending(struct model *m, struct mvma *v, struct gtt_fence *f)
{
	prune(m);
	if (m->npend == MAXPEND)
		return fail(m, "too many pending unbinds");
	m->pend[m->npend++] = (struct pending){
		.start = v->offset, .npages = v->npages,
		.pages = gtt_pages_get(v->pages), .fence = f,
	};
	return 0;
}

static void forget_binding(struct mvma *v)
{
	v->bound = false;
	v->pins = 0;
	gtt_fence_put(v->bind_fence);
	v->bind_fence = NULL;
}

/* vmas the vm unbound behind our back (evictions, failed sync binds). */
static int reconcile(struct model *m)
{
	for (int i = 0; i < NVMA; i++) {
		struct mvma *v = &m->v[i];
		struct gtt_vma_info info;
		struct gtt_fence *f;

		if (gtt_vma_query(m->vm, v->h, &info))
			return fail(m, "query vma %d failed", i);
		if (info.bound && (!v->bound || info.offset != v->offset))
			return fail(m, "vma %d bound at 0x%llx unexpectedly", i,
				    (unsigned long long)info.offset);
		if (v->bound && !info.bound) {
			if (gtt_resv_merged(v->resv, GTT_RESV_BOOKKEEP, &f))
				return fail(m, "resv merge failed");
			if (add_pending(m, v, f))
				return -1;
			forget_binding(v);
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
static void quiesce(struct model *m)
{
	for (int k = 0; k < NGPU; k++)
		if (m->gpu[k] && !gtt_fence_is_signaled(m->gpu[k]))
			gtt_fence_signal(m->gpu[k], 0);
	for (int i = 0; i < NVMA; i++)
		if (m->v[i].held) {
			gtt_binding_unhold(m->v[i].held);
			m->v[i].held = NULL;
		}
}

/* ---- operations ---- */

int model_step(struct model *m, uint32_t w)
{
	unsigned int op = w % 8, i = (w >> 3) % NVMA;
	uint32_t r = w >> 8;
	struct mvma *v = &m->v[i];
	int err;

	m->ops[op]++;
	switch (op) {
	case 0:
	case 1: {	/* bind */
		struct gtt_fence *deps[2];
		struct gtt_bind_info bi = {
			.placement = (enum gtt_placement)(r % 3),
			.color = (r >> 2) % 2,
		};
		struct gtt_fence *bf = NULL;

		if (v->bound)
			break;
		if (r & 0x10)
			bi.flags |= GTT_BIND_ASYNC;
		else
			quiesce(m);
		if (r & 0x20)
			bi.flags |= GTT_BIND_EVICT;
		if (!(r & 0x1c0)) {
			bi.flags |= GTT_BIND_FIXED;
			bi.offset = m->va0 + ((r >> 9) % VM_PAGES) * PAGE;
		}
		for (unsigned int k = 0; k < ((r >> 13) & 3) && k < 2; k++)
			if ((deps[bi.num_deps] = gpu_fence(m, r >> (15 + 4 * k))))
				bi.num_deps++;
		bi.deps = deps;
		err = gtt_vma_bind(m->vm, v->h, &bi, &bf);
		if (err == -ENOSPC || err == -EINVAL || err == -EIO ||
		    err == -ECANCELED) {
			if (reconcile(m))	/* eviction may have run */
				return -1;
			break;
		}
		if (err)
			return fail(m, "bind vma %d: unexpected %d", i, err);
		{
			struct gtt_vma_info info;

			gtt_vma_query(m->vm, v->h, &info);
			v->bound = true;
			v->offset = info.offset;
			v->bind_fence = bf;
		}
		if (reconcile(m) || check_range(m, v->offset, v->npages))
			return -1;
		break;
	}
	case 2: {	/* unbind */
		struct gtt_fence *uf = NULL;
		unsigned int fl = (r & 1 ? GTT_UNBIND_ASYNC : 0);

		if (!v->bound) {
			if (gtt_vma_unbind(m->vm, v->h, fl, NULL) != -ENOENT)
				return fail(m, "unbind of unbound vma %d did not say -ENOENT", i);
			break;
		}
		if (!(fl & GTT_UNBIND_ASYNC))
			quiesce(m);
		err = gtt_vma_unbind(m->vm, v->h, fl, &uf);
		if (v->pins) {
			if (err != -EAGAIN)
				return fail(m, "unbind of pinned vma %d gave %d", i, err);
			break;
		}
		if (err)
			return fail(m, "unbind vma %d: %d", i, err);
		if (!(fl & GTT_UNBIND_ASYNC) && !v->held &&
		    !gtt_fence_is_signaled(uf))
			return fail(m, "sync unbind of vma %d returned before its fence", i);
		if (add_pending(m, v, uf))
			return -1;
		uint64_t start = v->offset, n = v->npages;

		forget_binding(v);
		if (check_range(m, start, n))
			return -1;
		break;
	}
	case 3:		/* pin / unpin */
		if (!v->bound)
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
	case 4: {	/* GPU work on a bound vma */
		struct gtt_fence **slot = &m->gpu[r % NGPU];

		if (!v->bound)
			break;
		if (*slot && !gtt_fence_is_signaled(*slot))
			break;
		gtt_fence_put(*slot);
		*slot = NULL;
		if (gtt_fence_create(0, 0, slot))
			return fail(m, "fence create failed");
		if (gtt_vma_add_active(m->vm, v->h, *slot))
			return fail(m, "add_active vma %d failed", i);
		break;
	}
	case 5: {	/* the GPU finishes something */
		struct gtt_fence *f = gpu_fence(m, r);

		if (f)
			gtt_fence_signal(f, (r >> 8) % 16 ? 0 : -EIO);
		break;
	}
	case 6:		/* a worker runs one deferred job */
		gtt_executor_run_one(m->ex);
		prune(m);
		break;
	case 7:		/* hold / unhold (error capture) */
		if (v->held) {
			gtt_binding_unhold(v->held);
			v->held = NULL;
		} else if (v->bound && gtt_vma_hold(m->vm, v->h, &v->held)) {
			return fail(m, "hold vma %d failed", i);
		}
		break;
	}
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
	for (int k = 0; k < NGPU; k++)
		if (m->gpu[k] && !gtt_fence_is_signaled(m->gpu[k]))
			gtt_fence_signal(m->gpu[k], 0);
	for (int i = 0; i < NVMA; i++) {
		struct mvma *v = &m->v[i];

		if (v->held)
			gtt_binding_unhold(v->held);
		v->held = NULL;
		while (v->pins && !gtt_vma_unpin(m->vm, v->h))
			v->pins--;
	}
	gtt_executor_run_all(m->ex);
	for (int i = 0; i < NVMA && !ret; i++) {
		struct mvma *v = &m->v[i];

		if (v->bound && gtt_vma_unbind(m->vm, v->h, 0, NULL))
			ret = fail(m, "final unbind of vma %d failed", i);
		forget_binding(v);
	}
	gtt_executor_run_all(m->ex);
	prune(m);
	if (!ret && m->npend)
		ret = fail(m, "%u unbinds still pending at the end", m->npend);
	if (!ret)
		ret = model_check_all(m);	/* everything scratch now */
	gtt_vm_destroy(m->vm);
	for (int i = 0; i < NVMA; i++) {
		gtt_pages_put(m->v[i].pages);
		gtt_resv_destroy(m->v[i].resv);
	}
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
