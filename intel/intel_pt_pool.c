/* SPDX-License-Identifier: MIT */
/*
 * DOC: the page-table page pool shared by the mock and VFIO PPGTTs.  See
 * intel_pt_pool.h.
 *
 * Locking: pool.lock around every operation; the source runs under it.
 */
#include <errno.h>
#include <string.h>

#include "base/util.h"
#include "intel/intel_pt.h"
#include "intel/intel_pt_pool.h"

#define TABLE 4096u

/* A free table keeps its DMA address, and the next free one, in itself. */
struct free_table {
	struct free_table *next;
	uint64_t dma;
};

void intel_pt_pool_init(struct intel_pt_pool *pool, const struct intel_pt_chunk_source *src,
			unsigned int chunk_tables)
{
	memset(pool, 0, sizeof(*pool));
	pool->src = *src;
	pool->chunk_tables = chunk_tables < 1 ? 1 : chunk_tables > INTEL_PT_POOL_MAX_CHUNK_TABLES
			     ? INTEL_PT_POOL_MAX_CHUNK_TABLES : chunk_tables;
	pthread_mutex_init(&pool->lock, NULL);
}

void intel_pt_pool_fini(struct intel_pt_pool *pool)
{
	for (size_t i = 0; i < pool->nchunks; i++)
		pool->src.put(pool->src.ctx, pool->chunks[i].cpu, pool->chunks[i].dma,
			      (size_t)pool->chunk_tables * TABLE);
	mem_free(pool->chunks);
	pool->chunks = NULL;
	pool->nchunks = pool->cap = 0;
	pool->free = NULL;
	pthread_mutex_destroy(&pool->lock);
}

/* The index of the first chunk whose DMA address is above @dma. */
static size_t chunk_after(const struct intel_pt_pool *pool, uint64_t dma)
{
	size_t lo = 0, hi = pool->nchunks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pool->chunks[mid].dma <= dma)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The chunk holding the table at @dma (*@idx: which table), or NULL. */
static struct intel_pt_chunk *chunk_of(struct intel_pt_pool *pool, uint64_t dma,
				       unsigned int *idx)
{
	size_t at = chunk_after(pool, dma);
	struct intel_pt_chunk *c;

	if (!at || dma % TABLE)
		return NULL;
	c = &pool->chunks[at - 1];
	if (dma - c->dma >= (uint64_t)pool->chunk_tables * TABLE)
		return NULL;
	*idx = (unsigned int)((dma - c->dma) / TABLE);
	return c;
}

/* Take one more chunk and put its tables on the free list. */
static int add_chunk(struct intel_pt_pool *pool)
{
	size_t size = (size_t)pool->chunk_tables * TABLE, at;
	struct intel_pt_chunk c = { 0 };
	int err;

	if (pool->nchunks == pool->cap) {
		size_t cap = pool->cap ? pool->cap * 2 : 8;
		struct intel_pt_chunk *grown = mem_realloc(pool->chunks, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		pool->chunks = grown;
		pool->cap = cap;
	}
	err = pool->src.get(pool->src.ctx, size, &c.cpu, &c.dma);
	if (err)
		return err;
	at = chunk_after(pool, c.dma);
	memmove(&pool->chunks[at + 1], &pool->chunks[at],
		(pool->nchunks - at) * sizeof(pool->chunks[0]));
	pool->chunks[at] = c;
	pool->nchunks++;
	for (unsigned int i = pool->chunk_tables; i-- > 0;) {
		struct free_table *t = (void *)((char *)c.cpu + (size_t)i * TABLE);

		t->dma = c.dma + (uint64_t)i * TABLE;
		t->next = pool->free;
		pool->free = t;
	}
	return 0;
}

/* intel_pt_mem.alloc_table: a table, or NULL. */
static void *pool_alloc_table(void *ctx, uint64_t *dma)
{
	struct intel_pt_pool *pool = ctx;
	struct free_table *t;
	struct intel_pt_chunk *c;
	unsigned int idx = 0;

	pthread_mutex_lock(&pool->lock);
	if (!pool->free)
		add_chunk(pool);
	t = pool->free;
	if (t) {
		pool->free = t->next;
		*dma = t->dma;
		c = chunk_of(pool, t->dma, &idx);
		c->used |= 1ull << idx;
	}
	pthread_mutex_unlock(&pool->lock);
	return t;
}

/* intel_pt_mem.free_table: back on the free list. */
static void pool_free_table(void *ctx, void *cpu, uint64_t dma)
{
	struct intel_pt_pool *pool = ctx;
	struct free_table *t = cpu;
	struct intel_pt_chunk *c;
	unsigned int idx = 0;

	pthread_mutex_lock(&pool->lock);
	c = chunk_of(pool, dma, &idx);
	if (c)
		c->used &= ~(1ull << idx);
	t->dma = dma;
	t->next = pool->free;
	pool->free = t;
	pthread_mutex_unlock(&pool->lock);
}

void *intel_pt_pool_cpu(struct intel_pt_pool *pool, uint64_t dma)
{
	struct intel_pt_chunk *c;
	unsigned int idx = 0;
	void *cpu = NULL;

	pthread_mutex_lock(&pool->lock);
	c = chunk_of(pool, dma, &idx);
	if (c && (c->used >> idx & 1))
		cpu = (char *)c->cpu + (size_t)idx * TABLE;
	pthread_mutex_unlock(&pool->lock);
	return cpu;
}

static void *pool_table_cpu(void *ctx, uint64_t dma)
{
	return intel_pt_pool_cpu(ctx, dma);
}

void intel_pt_pool_mem(struct intel_pt_pool *pool, struct intel_pt_mem *mem)
{
	mem->ctx = pool;
	mem->alloc_table = pool_alloc_table;
	mem->free_table = pool_free_table;
	mem->table_cpu = pool_table_cpu;
}
