/* SPDX-License-Identifier: MIT */
/*
 * Shared test helpers: a deterministic PRNG, a mock-backed vm fixture,
 * page-list builders, and a check of an entry against the journal.
 */
#ifndef GTT_TESTS_HELPERS_H
#define GTT_TESTS_HELPERS_H

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <unistd.h>

#include <gtt/gtt.h>

#include "base/util.h"

#define PAGE 4096ull

/*
 * Per-test setup and teardown for cmocka_unit_test_setup_teardown(): an
 * alarm ends a hung test after TEST_ALARM_S seconds (define it before
 * including this file; default 30), and the teardown disarms it and ends
 * any allocation-failure injection the test left armed.
 */
#ifndef TEST_ALARM_S
#define TEST_ALARM_S 30
#endif

static inline int alarm_setup(void **state)
{
	(void)state;
	alarm(TEST_ALARM_S);
	return 0;
}

static inline int alarm_teardown(void **state)
{
	(void)state;
	alarm(0);
	mem_fail_after(0);
	return 0;
}

/* xorshift64*: deterministic and seedable. */
static inline uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static inline uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return n ? rng_next(s) % n : 0;
}

/* A thread that signals @f with @error after @us microseconds. */
struct delayed {
	struct gtt_fence *f;
	unsigned int us;
	int error;
};

static inline void *signal_later(void *arg)
{
	struct delayed *d = arg;

	usleep(d->us);
	gtt_fence_signal(d->f, d->error);
	return NULL;
}

struct fixture {
	struct gtt_backend *be;
	struct gtt_executor *ex;
	struct gtt_vm *vm;
};

/* A vm of @size bytes at @start over a mock, with a manual executor. */
static inline void fixture_init(struct fixture *f, uint64_t start,
				uint64_t size, unsigned int flags)
{
	struct gtt_mock_config mc = { .start = start, .size = size,
				      .scratch_addr = 0xdead000 };
	struct gtt_vm_config vc = { .name = "test", .start = start,
				    .size = size, .flags = flags };

	assert_int_equal(gtt_mock_create(&mc, &f->be), 0);
	assert_int_equal(gtt_executor_create_manual(&f->ex), 0);
	vc.backend = f->be;
	vc.executor = f->ex;
	assert_int_equal(gtt_vm_create(&vc, &f->vm), 0);
}

static inline void fixture_fini(struct fixture *f)
{
	gtt_vm_destroy(f->vm);
	gtt_executor_destroy(f->ex);
	gtt_backend_destroy(f->be);
}

/* One contiguous segment of @npages pages at DMA address @addr. */
static inline struct gtt_pages *make_pages(uint64_t addr, uint64_t npages,
					   unsigned int flags)
{
	struct gtt_pages_segment seg = { .addr = addr, .length = npages * PAGE };
	struct gtt_pages *p = NULL;

	assert_int_equal(gtt_pages_create(&seg, 1, flags, &p), 0);
	return p;
}

/* A vma over fresh pages (the vma keeps its own page reference). */
static inline gtt_vma_t make_vma(struct fixture *f, uint64_t addr,
				 uint64_t npages, struct gtt_resv *resv)
{
	struct gtt_pages *p = make_pages(addr, npages, 0);
	gtt_vma_t h = 0;

	assert_int_equal(gtt_vma_create(f->vm, p, resv, &h), 0);
	gtt_pages_put(p);
	return h;
}

static inline struct gtt_fence *new_fence(void)
{
	struct gtt_fence *f = NULL;

	assert_int_equal(gtt_fence_create(0, 0, &f), 0);
	return f;
}

static inline struct gtt_bind_info fixed_at(uint64_t off, unsigned int flags)
{
	return (struct gtt_bind_info){ .flags = GTT_BIND_FIXED | flags,
				       .offset = off };
}

/* A pages destructor that counts in *@arg. */
static inline void count_release(void *arg)
{
	(*(int *)arg)++;
}

/* A vma over @npages fresh pages at @dma whose destructor counts in @freed. */
static inline gtt_vma_t counted_vma(struct gtt_vm *vm, uint64_t dma,
				    uint64_t npages, unsigned int flags,
				    int *freed)
{
	struct gtt_pages *p = make_pages(dma, npages, flags);
	gtt_vma_t h = 0;

	assert_int_equal(gtt_pages_set_destructor(p, count_release, freed), 0);
	assert_int_equal(gtt_vma_create(vm, p, NULL, &h), 0);
	gtt_pages_put(p);
	return h;
}

/*
 * Whether @vm's journal accounts for a valid entry at @va that maps byte
 * @at of @pages: a mapping of those pages there that is bound, unbinding,
 * quarantined, or a failed bind that may have left entries.  A history
 * with events lost or mappings dropped accounts for anything.  Prints the
 * explanation when it does not.
 */
static inline bool journal_explains(struct gtt_vm *vm, uint64_t va,
				    const struct gtt_pages *pages, uint64_t at)
{
	struct gtt_explain ex;

	assert_int_equal(gtt_vm_explain(vm, va, UINT64_MAX, &ex), 0);
	if (ex.lost || ex.dropped)
		return true;
	for (uint32_t i = 0; i < ex.count; i++) {
		const struct gtt_explain_mapping *m = &ex.m[i];

		if (m->pages == pages && va >= m->start &&
		    m->pages_offset + (va - m->start) == at &&
		    (m->state == GTT_EXPLAIN_BOUND || m->state == GTT_EXPLAIN_UNBINDING ||
		     m->state == GTT_EXPLAIN_QUARANTINED ||
		     (m->state == GTT_EXPLAIN_BIND_FAILED && m->bind_partial)))
			return true;
	}
	gtt_explain_print(stdout, &ex);
	return false;
}

static inline struct gtt_mock_entry mock_entry(struct fixture *f, uint64_t va)
{
	struct gtt_mock_entry e;

	assert_int_equal(gtt_mock_read(f->be, va, &e), 0);
	return e;
}

/*
 * A chunk source for a page-table pool in direct tests of the Intel code
 * (struct intel_pt_chunk_source's get and put): host memory at fake DMA
 * addresses from 0x40000000 on; @ctx is a uint64_t, the bytes handed out.
 */
static inline int host_chunk_get(void *ctx, size_t size, void **cpu, uint64_t *dma)
{
	uint64_t *next = ctx;

	*cpu = mem_alloc_aligned(4096, size);
	if (!*cpu)
		return -ENOMEM;
	*dma = 0x40000000ull + *next;
	*next += size;
	return 0;
}

static inline void host_chunk_put(void *ctx, void *cpu, uint64_t dma, size_t size)
{
	(void)ctx, (void)dma, (void)size;
	mem_free(cpu);
}

#endif
