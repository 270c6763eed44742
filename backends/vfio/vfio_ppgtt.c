/* SPDX-License-Identifier: MIT */
/*
 * DOC: PPGTTs over VFIO (gtt_vfio_ppgtt_create(), whose checks are in
 * vfio.c): the Intel PPGTT code (intel_ppgtt.c) with its tables in memory
 * the device reaches through the IOMMU.  Tables come from the shared pool
 * (intel_pt_pool.c) in DMA-mapped chunks of 64 tables, so a big address
 * space costs one mapping per 256 KiB of tables, not one per table (type1
 * limits a container to 65535 mappings by default).  The PPGTT holds a
 * reference on its device (vfio_internal.h) and never calls the GGTT
 * backend.
 *
 * gen6/7 (SNB, IVB, HSW, VLV): intel_gen6_ppgtt.c instead.  Its page
 * directory is 512 entries of the device's GGTT, written through BAR0 with
 * the GGTT's own stores (one 32-bit store each, a fence, a posting read,
 * GFX_FLSH_CNTL); the page tables are pool tables as above.  The directory
 * takes the highest free 64 KiB-aligned 2 MiB of GGTT below the last page;
 * the GGTT backend refuses binds and clears there (-EBUSY) until the PPGTT
 * is destroyed, which puts scratch back.  Loading it into the rings
 * (RING_PP_DIR_DCLV/BASE, gtt_intel_gen6_pp_dir_load()) is the submitter's
 * job, like PPGTT TLB invalidation.
 *
 * Locking: the pool's lock covers the tables; intel_ppgtt.lock (or
 * intel_gen6_ppgtt.lock) the shape.  Creating or destroying a gen6/7 PPGTT
 * must not race with binds and clears of its GGTT.
 */
#include <errno.h>

#include <gtt/vfio.h>

#include "backend/backend_internal.h"
#include "base/util.h"
#include "intel/intel_pt_pool.h"
#include "vfio_internal.h"

#define CHUNK_TABLES 64u
#define SCRATCH_SIZE 65536u	/* 64 KiB pages may point at scratch too */

struct vfio_ppgtt {
	struct vfio_be *dev;
	struct intel_ppgtt pp;
	struct intel_gen6_ppgtt gen6;	/* SNB, IVB, HSW, VLV */
	bool is_gen6;
	void *scratch;
	uint64_t scratch_iova;
	struct intel_pt_pool pool;	/* tables in DMA-mapped chunks */
	bool clflush;			/* the GPU does not snoop the CPU caches */
};

static const struct gtt_backend_ops ppgtt_ops;

struct vfio_be *vfio_ppgtt_of(struct gtt_backend *be)
{
	return be && be->ops == &ppgtt_ops ? ((struct vfio_ppgtt *)be->priv)->dev : NULL;
}

/* The pool's chunks: DMA memory from the mem_* allocator, mapped at an IOVA. */
static int chunk_get(void *ctx, size_t size, void **cpu, uint64_t *dma)
{
	struct vfio_ppgtt *p = ctx;
	void *mem = mem_alloc_aligned(4096, size);
	int err;

	if (!mem)
		return -ENOMEM;
	err = vfio_dma_map(&p->dev->io, mem, size, dma);
	if (err)
		mem_free(mem);
	else
		*cpu = mem;
	return err;
}

static void chunk_put(void *ctx, void *cpu, uint64_t dma, size_t size)
{
	struct vfio_ppgtt *p = ctx;

	vfio_dma_free(&p->dev->io, cpu, dma, size);
}

/*
 * Make table writes visible to the GPU.  Platforms with an LLC snoop the
 * CPU caches; the others need the lines written back (clflush), as i915
 * does (clflush needs SSE2, which every x86-64 has).  Elsewhere: the fence.
 */
static void table_flush(void *ctx, const void *cpu, size_t len)
{
	struct vfio_ppgtt *p = container_of(ctx, struct vfio_ppgtt, pool);

#if defined(__SSE2__)
	if (p->clflush) {
		uintptr_t line = (uintptr_t)cpu & ~(uintptr_t)63;

		__builtin_ia32_mfence();
		for (; line < (uintptr_t)cpu + len; line += 64)
			__builtin_ia32_clflush((const void *)line);
	}
#else
	(void)p, (void)cpu, (void)len;
#endif
	full_fence();
}

static int ppgtt_bind(void *priv, uint64_t start, uint64_t size,
		      const struct gtt_pages *pages, uint64_t off, uint32_t flags)
{
	struct vfio_ppgtt *p = priv;

	if (p->is_gen6)
		return intel_gen6_ppgtt_bind(&p->gen6, start, size, pages, off, flags);
	return intel_ppgtt_bind(&p->pp, start, size, pages, off, flags);
}

static int ppgtt_clear(void *priv, uint64_t start, uint64_t size)
{
	struct vfio_ppgtt *p = priv;

	if (p->is_gen6)
		return intel_gen6_ppgtt_clear(&p->gen6, start, size);
	return intel_ppgtt_clear(&p->pp, start, size);
}

/* PPGTT TLBs belong to the engines running the context: whoever submits
 * work invalidates them (submission is out of this library's scope). */
static int ppgtt_invalidate(void *priv)
{
	(void)priv;
	return 0;
}

static int ppgtt_translate(void *priv, uint64_t addr, struct gtt_translation *out)
{
	struct vfio_ppgtt *p = priv;

	if (p->is_gen6)
		return intel_gen6_ppgtt_translate(&p->gen6, addr, out);
	return intel_ppgtt_translate(&p->pp, addr, out);
}

static void ppgtt_free(struct vfio_ppgtt *p)
{
	if (p->pp.platform)
		intel_ppgtt_fini(&p->pp);
	if (p->is_gen6)
		intel_gen6_ppgtt_fini(&p->gen6);
	intel_pt_pool_fini(&p->pool);
	vfio_dma_free(&p->dev->io, p->scratch, p->scratch_iova, SCRATCH_SIZE);
	vfio_be_put(p->dev);
	mem_free(p);
}

static void ppgtt_destroy(void *priv)
{
	ppgtt_free(priv);
}

static const struct gtt_backend_ops ppgtt_ops = {
	.name = "vfio-ppgtt", .bind = ppgtt_bind, .clear = ppgtt_clear,
	.invalidate = ppgtt_invalidate, .destroy = ppgtt_destroy,
	.translate = ppgtt_translate,
};

int vfio_ppgtt_create(struct vfio_be *dev, struct gtt_backend **out, uint64_t *root)
{
	const struct gtt_intel_platform *plat = dev->ggtt.platform;
	struct intel_pt_mem mem = { .flush = table_flush };
	struct intel_pt_chunk_source src = { .get = chunk_get, .put = chunk_put };
	struct vfio_ppgtt *p;
	int err;

	if (!plat->ppgtt_levels)
		return set_error(-EOPNOTSUPP, "gtt_vfio_ppgtt_create: no %s PPGTT layout here",
				 plat->name);
	p = mem_zalloc(sizeof(*p));
	if (!p)
		return set_error(-ENOMEM, "gtt_vfio_ppgtt_create: out of memory");
	src.ctx = p;
	intel_pt_pool_init(&p->pool, &src, CHUNK_TABLES);
	vfio_be_get(dev);
	p->dev = dev;
	p->clflush = !plat->has_llc && !plat->discrete;
	err = vfio_dma_alloc_zeroed(&dev->io, SCRATCH_SIZE, &p->scratch, &p->scratch_iova);
	if (!err) {
		intel_pt_pool_mem(&p->pool, &mem);
		if (plat->ppgtt_format != GTT_PPGTT_NONE) {
			err = intel_ppgtt_init(&p->pp, plat, p->scratch_iova, &mem);
			if (err)
				p->pp.platform = NULL;	/* init cleaned up after itself */
		} else {
			uint64_t pd;

			err = intel_ggtt_find_free(&dev->ggtt, GTT_INTEL_GEN6_PD_SPAN,
						   GTT_INTEL_GEN6_PD_ALIGN, &pd);
			if (!err)
				err = intel_gen6_ppgtt_init(&p->gen6, &dev->ggtt, pd,
							    p->scratch_iova, &mem);
			p->is_gen6 = !err;
		}
	}
	if (!err)
		err = gtt_backend_create(&ppgtt_ops, p, out);
	if (err) {
		ppgtt_free(p);
		return set_error(err, "gtt_vfio_ppgtt_create: cannot map the scratch page or the tables");
	}
	*root = p->is_gen6 ? p->gen6.pd_offset : p->pp.root.dma;
	return 0;
}
