/* SPDX-License-Identifier: MIT */
/*
 * Backend wrapper: see gtt/backend.h.
 */
#include <inttypes.h>

#include <gtt/backend.h>

#include "backend_internal.h"
#include "base/util.h"
#include <gtt/fence.h>

GTT_API int gtt_backend_create(const struct gtt_backend_ops *ops, void *priv,
			       struct gtt_backend **out)
{
	struct gtt_backend *be;

	if (!ops || !out)
		return set_error(-EINVAL, "gtt_backend_create: ops or out is NULL");
	if (!ops->submit && (!ops->bind || !ops->clear || !ops->invalidate))
		return set_error(-EINVAL, "gtt_backend_create: ops has neither submit nor all of bind, clear and invalidate");
	if (!reserved_zero(ops->reserved, sizeof(ops->reserved)))
		return set_error(-EINVAL, "gtt_backend_create: ops has non-zero reserved fields (built against a newer libgtt?)");
	be = mem_alloc(sizeof(*be));
	if (!be)
		return set_error(-ENOMEM, "gtt_backend_create: out of memory");
	be->ops = ops;
	be->priv = priv;
	be->granule = NULL;
	*out = be;
	return 0;
}

int backend_map(struct gtt_backend *be, uint64_t start, uint64_t size,
		struct gtt_pages *pages, uint64_t pages_offset, uint32_t pte_flags)
{
	size_t nsegs = 0;

	/* Entries point at DMA addresses: a GEM object or user memory has
	 * none we know (the vm refuses them earlier; this keeps backends safe). */
	if (!(pte_flags & GTT_PTE_NULL) && (gtt_pages_segments(pages, &nsegs), !nsegs))
		return set_error(-EOPNOTSUPP, "backend '%s' writes PTEs: it maps DMA pages, not a GEM object or user memory",
				 gtt_backend_name(be));
	return be->ops->bind(be->priv, start, size, pages, pages_offset, pte_flags);
}

int backend_unmap(struct gtt_backend *be, uint64_t start, uint64_t size)
{
	return be->ops->clear(be->priv, start, size);
}

int backend_invalidate(struct gtt_backend *be)
{
	return be->ops->invalidate(be->priv);
}

int backend_submit(struct gtt_backend *be, const struct gtt_backend_op *ops,
		   size_t count, struct gtt_fence *const *deps, size_t num_deps,
		   struct gtt_fence **done)
{
	int err;

	*done = NULL;
	err = be->ops->submit(be->priv, ops, count, deps, num_deps, done);
	if (err >= 0 && !*done)
		err = set_error(-EIO, "backend '%s': submit gave no fence", gtt_backend_name(be));
	else if (err > 0)
		err = set_error(-EIO, "backend '%s': submit returned %d, not 0 or a negative errno",
				gtt_backend_name(be), err);
	if (err && *done) {
		gtt_fence_put(*done);	/* a backend breaking its contract */
		*done = NULL;
	}
	return err;
}

uint64_t backend_granule(const struct gtt_backend *be, const struct gtt_pages *pages,
			 uint32_t pte_flags)
{
	return be->granule ? be->granule(be->priv, pages, pte_flags) : 0;
}

bool backend_granule_kept(uint64_t g, const struct gtt_pages *pages, uint64_t addr,
			  uint64_t size, uint64_t pages_offset)
{
	struct gtt_pages_memory m = { 0 };

	if (!g)
		return true;
	(void)gtt_pages_memory(pages, &m);	/* offset 0 unless a GEM object */
	return !((addr | size | (m.offset + pages_offset)) & (g - 1));
}

bool backend_can_wait(struct gtt_backend *be, struct gtt_fence *k)
{
	return be->ops->can_wait && be->ops->can_wait(be->priv, k);
}

/* One op on a queue backend, waited for. */
static int submit_wait(struct gtt_backend *be, const struct gtt_backend_op *op)
{
	struct gtt_fence *done;
	int err = backend_submit(be, op, 1, NULL, 0, &done);

	if (err)
		return err;
	gtt_fence_wait(done, -1);
	err = gtt_fence_status(done);
	gtt_fence_put(done);
	return err < 0 ? set_error(err, "backend '%s': the batch failed (%s)",
				   gtt_backend_name(be), gtt_strerror(err)) : 0;
}

int backend_write(struct gtt_backend *be, uint64_t start, uint64_t size,
		  struct gtt_pages *pages, uint64_t pages_offset,
		  uint32_t pte_flags)
{
	int err = backend_map(be, start, size, pages, pages_offset, pte_flags);

	return err ? err : backend_invalidate(be);
}

int backend_clear(struct gtt_backend *be, uint64_t start, uint64_t size)
{
	int err;

	if (backend_is_queue(be))
		return submit_wait(be, &(struct gtt_backend_op){
			.kind = GTT_BACKEND_OP_UNMAP, .start = start, .size = size });
	err = backend_unmap(be, start, size);
	return err ? err : backend_invalidate(be);
}

GTT_API void *gtt_backend_priv(const struct gtt_backend *be)
{
	return be ? be->priv : NULL;
}

GTT_API const char *gtt_backend_name(const struct gtt_backend *be)
{
	return be && be->ops->name ? be->ops->name : "backend";
}

GTT_API bool gtt_backend_is_queue(const struct gtt_backend *be)
{
	return be && be->ops->submit;
}

GTT_API int gtt_backend_translate(struct gtt_backend *be, uint64_t addr,
				  struct gtt_translation *out)
{
	if (!be || !out)
		return set_error(-EINVAL, "gtt_backend_translate: backend or out is NULL");
	if (!be->ops->translate)
		return set_error(-EOPNOTSUPP, "gtt_backend_translate: backend '%s' cannot walk its table",
				 gtt_backend_name(be));
	*out = (struct gtt_translation){ 0 };	/* what a backend leaves unsaid is 0 */
	return be->ops->translate(be->priv, addr, out);
}

static void print_run(FILE *out, uint64_t va, uint64_t pages,
		      const struct gtt_translation *first)
{
	uint64_t end = va + pages * 4096 - 1;

	if (!first->present) {
		fprintf(out, "0x%012" PRIx64 "-0x%012" PRIx64 "  not present      %8" PRIu64 " pages\n",
			va, end, pages);
		return;
	}
	if (first->scratch || first->null) {
		fprintf(out, "0x%012" PRIx64 "-0x%012" PRIx64 "  %-16s %8" PRIu64 " pages  pte 0x%016" PRIx64 "\n",
			va, end, first->null ? "null" : "scratch", pages, first->pte);
		return;
	}
	fprintf(out, "0x%012" PRIx64 "-0x%012" PRIx64 "  -> 0x%012" PRIx64 "  %8" PRIu64 " pages  %s%s%s pat %u  %s  pte 0x%016" PRIx64 "\n",
		va, end, first->addr, pages,
		first->page_size >= (1ull << 30) ? "1G" : first->page_size >= (1ull << 21) ? "2M" :
		first->page_size >= (1ull << 16) ? "64K" : "4K",
		first->flags & GTT_PTE_READ_ONLY ? " ro" : "",
		first->flags & GTT_PTE_LOCAL_MEM ? " lmem" : "",
		(first->flags & GTT_PTE_PAT_MASK) >> GTT_PTE_PAT_SHIFT,
		first->level ? "huge" : "    ", first->pte);
}

GTT_API int gtt_backend_runs(struct gtt_backend *be, uint64_t start, uint64_t size,
			     gtt_run_fn fn, void *arg)
{
	struct gtt_translation first = { 0 }, t;
	uint64_t run_va = start, run = 0;
	int err;

	if (!be || !fn || start % 4096 || size % 4096 || start > UINT64_MAX - size)
		return set_error(-EINVAL, "gtt_backend_runs: NULL argument, misaligned or wrapping range");
	for (uint64_t va = start, step; va < start + size; va += step) {
		err = gtt_backend_translate(be, va, &t);
		if (err)
			return err;
		/* Step over what the backend says translates alike. */
		step = t.extent > 4096 ? t.extent & ~4095ull : 4096;
		step = u64_min(step, start + size - va);
		/* Same kind as the run, and (if mapped) the next page of it. */
		if (run && t.present == first.present && t.scratch == first.scratch &&
		    t.null == first.null && (!t.present || t.scratch || t.null ||
		     (t.flags == first.flags && t.page_size == first.page_size &&
		      t.addr == first.addr + run * 4096))) {
			run += step / 4096;
			continue;
		}
		if (run && (err = fn(arg, run_va, run, &first)))
			return err;
		first = t;
		run_va = va;
		run = step / 4096;
	}
	return run ? fn(arg, run_va, run, &first) : 0;
}

static int print_run_fn(void *arg, uint64_t va, uint64_t pages,
			const struct gtt_translation *first)
{
	print_run(arg, va, pages, first);
	return 0;
}

GTT_API int gtt_backend_dump(struct gtt_backend *be, uint64_t start,
			     uint64_t size, FILE *out)
{
	if (!out)
		return set_error(-EINVAL, "gtt_backend_dump: out is NULL");
	return gtt_backend_runs(be, start, size, print_run_fn, out);
}

GTT_API void gtt_backend_destroy(struct gtt_backend *be)
{
	if (!be)
		return;
	if (be->ops->destroy)
		be->ops->destroy(be->priv);
	mem_free(be);
}
