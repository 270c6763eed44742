/* SPDX-License-Identifier: MIT */
/*
 * DOC: a pool of 4 KiB page-table pages for the Intel PPGTT code.
 *
 * Tables are cut from chunks of memory that a pluggable source provides
 * (host memory for the mock, DMA-mapped memory for VFIO, where one mapping
 * per chunk keeps a big address space within the IOMMU's mapping limit).
 * A freed table goes on a free list; chunks stay until the pool goes.  The
 * pool resolves a table's DMA address back to its CPU address for the
 * walker, and only for tables in use.  No system calls: the source makes
 * them.
 *
 * Locking: pool.lock covers the chunks, the free list and the in-use bits;
 * the source is called with it held.
 */
#ifndef GTT_INTEL_PT_POOL_H
#define GTT_INTEL_PT_POOL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct intel_pt_mem;

/* Where chunks come from. */
struct intel_pt_chunk_source {
	void *ctx;
	/* @size bytes, 4 KiB aligned, that the device reaches at *@dma
	 * (4 KiB aligned): 0, or a negative errno. */
	int (*get)(void *ctx, size_t size, void **cpu, uint64_t *dma);
	/* Give back what get() returned. */
	void (*put)(void *ctx, void *cpu, uint64_t dma, size_t size);
};

#define INTEL_PT_POOL_MAX_CHUNK_TABLES 64

struct intel_pt_chunk {
	void *cpu;
	uint64_t dma;
	uint64_t used;			/* bit i: table i is in use */
};

struct intel_pt_pool {
	struct intel_pt_chunk_source src;
	unsigned int chunk_tables;	/* tables per chunk, 1..64 */
	pthread_mutex_t lock;
	struct intel_pt_chunk *chunks;	/* sorted by DMA address */
	size_t nchunks, cap;
	void *free;			/* free tables, linked through themselves */
};

/* A pool taking chunks of @chunk_tables tables from @src. */
void intel_pt_pool_init(struct intel_pt_pool *pool, const struct intel_pt_chunk_source *src,
			unsigned int chunk_tables);
/* Give every chunk back; the tables must all have been freed or forgotten. */
void intel_pt_pool_fini(struct intel_pt_pool *pool);
/* The CPU address of the table in use at @dma, or NULL. */
void *intel_pt_pool_cpu(struct intel_pt_pool *pool, uint64_t dma);
/* Point @mem's table callbacks (alloc_table, free_table, table_cpu) at
 * @pool.  mem->ctx becomes the pool: a backend's flush callback finds its
 * own state with container_of(). */
void intel_pt_pool_mem(struct intel_pt_pool *pool, struct intel_pt_mem *mem);

#endif
