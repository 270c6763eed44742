/* SPDX-License-Identifier: MIT */
/*
 * PPGTTs over VFIO (gtt_vfio_ppgtt_create()): the Intel PPGTT code
 * (intel_ppgtt.c) with its tables in memory the device reaches through
 * the IOMMU.  Tables come from DMA-mapped chunks of 64 tables, so a big
 * address space costs one mapping per 256 KiB of tables, not one per
 * table (type1 limits a container to 65535 mappings by default); a freed
 * table goes back on a free list, chunks stay until the PPGTT goes.
 */
#include <stdlib.h>
#include <string.h>

#include <gtt/vfio.h>

#include "backend/backend_internal.h"
#include "base/util.h"
#include "vfio_internal.h"

#define TABLE 4096u
#define CHUNK_TABLES 64u
#define SCRATCH_SIZE 65536u	/* 64 KiB pages may point at scratch too */

struct chunk {
	struct chunk *next;
	void *cpu;
	uint64_t iova;
};

/* A free table keeps its own IOVA, and the next free one, in itself. */
struct free_table {
	struct free_table *next;
	uint64_t iova;
};

struct vfio_ppgtt {
	struct vfio_be *dev;
	struct intel_ppgtt pp;
	void *scratch;
	uint64_t scratch_iova;
	pthread_mutex_t lock;		/* chunks and free list */
	struct chunk *chunks;
	struct free_table *free;
	bool clflush;			/* the GPU does not snoop the CPU caches */
};

static const struct gtt_backend_ops ppgtt_ops;

struct vfio_be *vfio_ppgtt_parent(struct gtt_backend *be)
{
	return be && be->ops == &ppgtt_ops ? ((struct vfio_ppgtt *)be->priv)->dev : NULL;
}

/* Map one more chunk and put its tables on the free list. */
static int add_chunk(struct vfio_ppgtt *p)
{
	struct chunk *c = mem_zalloc(sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->cpu = aligned_alloc(TABLE, TABLE * CHUNK_TABLES);
	if (!c->cpu || vfio_dma_map(&p->dev->io, c->cpu, TABLE * CHUNK_TABLES, &c->iova)) {
		free(c->cpu);
		mem_free(c);
		return -ENOMEM;
	}
	for (unsigned int i = CHUNK_TABLES; i-- > 0;) {
		struct free_table *t = (void *)((char *)c->cpu + i * TABLE);

		t->iova = c->iova + i * TABLE;
		t->next = p->free;
		p->free = t;
	}
	c->next = p->chunks;
	p->chunks = c;
	return 0;
}

static void *table_alloc(void *ctx, uint64_t *dma)
{
	struct vfio_ppgtt *p = ctx;
	struct free_table *t;

	pthread_mutex_lock(&p->lock);
	if (!p->free)
		add_chunk(p);
	t = p->free;
	if (t) {
		p->free = t->next;
		*dma = t->iova;
	}
	pthread_mutex_unlock(&p->lock);
	return t;
}

static void table_free(void *ctx, void *cpu, uint64_t dma)
{
	struct vfio_ppgtt *p = ctx;
	struct free_table *t = cpu;

	pthread_mutex_lock(&p->lock);
	t->iova = dma;
	t->next = p->free;
	p->free = t;
	pthread_mutex_unlock(&p->lock);
}

static void *table_cpu(void *ctx, uint64_t dma)
{
	struct vfio_ppgtt *p = ctx;

	return vfio_dma_cpu(&p->dev->io, dma);
}

/*
 * Make table writes visible to the GPU.  Platforms with an LLC snoop the
 * CPU caches; the others need the lines written back (clflush), as i915
 * does (clflush needs SSE2, which every x86-64 has).  Elsewhere: the fence.
 */
static void table_flush(void *ctx, const void *cpu, size_t len)
{
	struct vfio_ppgtt *p = ctx;

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

	return intel_ppgtt_bind(&p->pp, start, size, pages, off, flags);
}

static int ppgtt_clear(void *priv, uint64_t start, uint64_t size)
{
	struct vfio_ppgtt *p = priv;

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

	return intel_ppgtt_translate(&p->pp, addr, out);
}

static void ppgtt_free(struct vfio_ppgtt *p)
{
	if (p->pp.platform)
		intel_ppgtt_fini(&p->pp);
	while (p->chunks) {
		struct chunk *c = p->chunks;

		p->chunks = c->next;
		vfio_dma_unmap(&p->dev->io, c->iova, TABLE * CHUNK_TABLES);
		free(c->cpu);
		mem_free(c);
	}
	if (p->scratch_iova)
		vfio_dma_unmap(&p->dev->io, p->scratch_iova, SCRATCH_SIZE);
	free(p->scratch);
	pthread_mutex_destroy(&p->lock);
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

GTT_API int gtt_vfio_ppgtt_create(struct gtt_backend *ggtt, struct gtt_backend **out,
				  uint64_t *root)
{
	struct vfio_be *dev = vfio_be_of(ggtt);
	const struct gtt_intel_platform *plat;
	struct intel_pt_mem mem = { .alloc_table = table_alloc, .free_table = table_free,
				    .table_cpu = table_cpu, .flush = table_flush };
	struct vfio_ppgtt *p;
	int err;

	if (!dev || !out || !root)
		return set_error(-EINVAL, "gtt_vfio_ppgtt_create: not a VFIO backend, or out/root missing");
	if (dev->read_only)
		return set_error(-EROFS, "gtt_vfio_ppgtt_create: the VFIO backend was opened read-only");
	plat = dev->ggtt.platform;
	if (plat->ppgtt_format == GTT_PPGTT_NONE || !plat->ppgtt_levels)
		return set_error(-EOPNOTSUPP, "gtt_vfio_ppgtt_create: no %s PPGTT layout here (gen8+ only)",
				 plat->name);
	p = mem_zalloc(sizeof(*p));
	if (!p)
		return set_error(-ENOMEM, "gtt_vfio_ppgtt_create: out of memory");
	pthread_mutex_init(&p->lock, NULL);
	vfio_be_get(dev);
	p->dev = dev;
	p->clflush = !plat->has_llc && !plat->discrete;
	err = vfio_dma_alloc_zeroed(&dev->io, SCRATCH_SIZE, &p->scratch, &p->scratch_iova);
	if (!err) {
		mem.ctx = p;
		err = intel_ppgtt_init(&p->pp, plat, p->scratch_iova, &mem);
		if (err)
			p->pp.platform = NULL;	/* init cleaned up after itself */
	}
	if (!err)
		err = gtt_backend_create(&ppgtt_ops, p, out);
	if (err) {
		ppgtt_free(p);
		return set_error(err, "gtt_vfio_ppgtt_create: cannot map the scratch page or the tables");
	}
	*root = p->pp.root.dma;
	return 0;
}
