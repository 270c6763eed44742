/* SPDX-License-Identifier: MIT */
/*
 * The world of the sparse mapping tests: a vm over a generic mock with a
 * manual executor, a 64-page sparse vma placed at VA, two 16-page buffers
 * whose destructors count, and short forms of the calls and checks.
 */
#ifndef GTT_TESTS_SPARSE_WORLD_H
#define GTT_TESTS_SPARSE_WORLD_H

#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "base/util.h"

#define VA 0x100000ull
#define VM_SIZE (256 * PAGE)
#define A 0xa0000000ull
#define B 0xb0000000ull

struct world {
	struct fixture f;
	gtt_vma_t sv;			/* a sparse vma of 64 pages at VA */
	struct gtt_pages *a, *b;	/* 16-page buffers */
	int freed_a, freed_b;
};

static inline void world_init_flags(struct world *w, unsigned int pflags)
{
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = VA };

	memset(w, 0, sizeof(*w));
	fixture_init(&w->f, VA, VM_SIZE, 0);
	w->a = make_pages(A, 16, pflags);
	w->b = make_pages(B, 16, 0);
	gtt_pages_set_destructor(w->a, count_release, &w->freed_a);
	gtt_pages_set_destructor(w->b, count_release, &w->freed_b);
	assert_int_equal(gtt_vma_create_sparse(w->f.vm, 64 * PAGE, NULL, &w->sv), 0);
	assert_int_equal(gtt_vma_bind(w->f.vm, w->sv, &at, NULL), 0);
}

static inline void world_init(struct world *w)
{
	world_init_flags(w, 0);
}

static inline void world_fini(struct world *w)
{
	gtt_pages_put(w->a);
	gtt_pages_put(w->b);
	fixture_fini(&w->f);
	assert_int_equal(w->freed_a, 1);
	assert_int_equal(w->freed_b, 1);
}

static inline int map(struct world *w, uint64_t page, uint64_t npages,
	       struct gtt_pages *p, uint64_t from_page)
{
	struct gtt_map_info mi = { .pages = p, .pages_offset = from_page * PAGE };

	return gtt_vma_map(w->f.vm, w->sv, page * PAGE, npages * PAGE, &mi, NULL);
}

static inline int unmap(struct world *w, uint64_t page, uint64_t npages)
{
	return gtt_vma_unmap(w->f.vm, w->sv, page * PAGE, npages * PAGE, NULL, NULL);
}

/* Page @page of the sparse vma maps @dma (0: nothing mapped). */
static inline void expect(struct world *w, uint64_t page, uint64_t dma)
{
	struct gtt_mock_entry e = mock_entry(&w->f, VA + page * PAGE);

	if (!dma) {
		assert_false(e.valid);
		return;
	}
	assert_true(e.valid);
	assert_int_equal(e.addr, dma);
}

static inline struct gtt_mock_stats mstats(struct world *w)
{
	struct gtt_mock_stats st;

	assert_int_equal(gtt_mock_stats(w->f.be, &st), 0);
	return st;
}

static inline struct gtt_vm_stats vstats(struct world *w)
{
	struct gtt_vm_stats st;

	assert_int_equal(gtt_vm_stats(w->f.vm, &st), 0);
	return st;
}

#endif
