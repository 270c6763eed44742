/* SPDX-License-Identifier: MIT */
/*
 * Placement of allocating binds around pending unbinds: a bind prefers a
 * range no unsignalled pending unbind overlaps (so its PTE write need not
 * wait), falls back to one only when nothing else fits, and with
 * GTT_BIND_ANYWHERE places as if there were none.  Mock backend, manual
 * executor, so every deferred step is visible.
 */
#include <errno.h>
#include <string.h>

#include "helpers.h"

#define VA 0x100000ull
#define VM_PAGES 16

static void bind_fixed(struct fixture *f, gtt_vma_t h, uint64_t page)
{
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED,
				    .offset = VA + page * PAGE };

	assert_int_equal(gtt_vma_bind(f->vm, h, &at, NULL), 0);
}

static uint64_t bind_waits(struct fixture *f)
{
	struct gtt_vm_stats st;

	assert_int_equal(gtt_vm_stats(f->vm, &st), 0);
	return st.bind_waits_on_unbind;
}

static uint64_t offset_of(struct fixture *f, gtt_vma_t h)
{
	struct gtt_vma_info vi;

	assert_int_equal(gtt_vma_query(f->vm, h, &vi), 0);
	assert_true(vi.bound);
	return vi.offset;
}

/*
 * Pages: X [0,1), P [1,3) (unbound while its batch @gpu runs: pending),
 * Y [3,4), then [4,16) free, or filled by Z with @fill.  The best fit for
 * two pages is P's range.  @flags: the vm's.
 */
static void pending_in_best_fit(struct fixture *f, unsigned int flags,
				bool fill, struct gtt_fence *gpu,
				struct gtt_fence **unbind)
{
	gtt_vma_t x, p, y, z;

	fixture_init(f, VA, VM_PAGES * PAGE, flags);
	x = make_vma(f, 0xa0000000, 1, NULL);
	p = make_vma(f, 0xa1000000, 2, NULL);
	y = make_vma(f, 0xa2000000, 1, NULL);
	bind_fixed(f, x, 0);
	bind_fixed(f, p, 1);
	bind_fixed(f, y, 3);
	if (fill) {
		z = make_vma(f, 0xa3000000, VM_PAGES - 4, NULL);
		bind_fixed(f, z, 4);
	}
	assert_int_equal(gtt_vma_add_active(f->vm, p, gpu), 0);
	assert_int_equal(gtt_vma_unbind(f->vm, p, GTT_UNBIND_ASYNC, unbind), 0);
	assert_false(gtt_fence_is_signaled(*unbind));
}

/* Bind a new two-page vma B with @flags; *@waits: the wait count before. */
static gtt_vma_t bind_b(struct fixture *f, unsigned int flags,
			struct gtt_fence **bf, uint64_t *waits)
{
	struct gtt_bind_info bi = { .flags = flags };
	gtt_vma_t b = make_vma(f, 0xb0000000, 2, NULL);

	*waits = bind_waits(f);
	assert_int_equal(gtt_vma_bind(f->vm, b, &bi, bf), 0);
	return b;
}

/* Let the batch end and everything deferred run, then tear down. */
static void finish(struct fixture *f, struct gtt_fence *gpu,
		   struct gtt_fence *unbind, struct gtt_fence *bf)
{
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(f->ex);
	assert_int_equal(gtt_fence_status(unbind), 1);
	gtt_fence_put(bf);
	gtt_fence_put(unbind);
	gtt_fence_put(gpu);
	fixture_fini(f);
}

/* Another hole fits: the bind goes there and does not wait. */
static void test_avoids_pending_best_fit(void **state)
{
	struct gtt_fence *gpu = new_fence(), *unbind = NULL, *bf = NULL;
	struct fixture f;
	uint64_t waits;
	gtt_vma_t b;

	(void)state;
	pending_in_best_fit(&f, 0, false, gpu, &unbind);
	b = bind_b(&f, GTT_BIND_ASYNC, &bf, &waits);
	assert_true(gtt_fence_is_signaled(bf));
	assert_int_equal(bind_waits(&f), waits);
	assert_int_equal(offset_of(&f, b), VA + 4 * PAGE);
	assert_int_equal(mock_entry(&f, VA + 4 * PAGE).addr, 0xb0000000);
	/* P's range still maps P's pages until its batch ends. */
	assert_int_equal(mock_entry(&f, VA + PAGE).addr, 0xa1000000);
	finish(&f, gpu, unbind, bf);
}

/*
 * The bind takes P's range: with @fill nothing else fits, with
 * GTT_BIND_ANYWHERE in @flags it is the best fit.  Its write is ordered
 * after P's clear, which waits for P's batch.
 */
static void bind_takes_pending(bool fill, unsigned int flags)
{
	struct gtt_fence *gpu = new_fence(), *unbind = NULL, *bf = NULL;
	struct fixture f;
	uint64_t waits;
	gtt_vma_t b;

	pending_in_best_fit(&f, 0, fill, gpu, &unbind);
	b = bind_b(&f, GTT_BIND_ASYNC | flags, &bf, &waits);
	assert_int_equal(offset_of(&f, b), VA + PAGE);
	assert_false(gtt_fence_is_signaled(bf));
	assert_int_equal(bind_waits(&f), waits + 1);
	gtt_executor_run_all(f.ex);
	assert_false(gtt_fence_is_signaled(bf));	/* the clear waits for gpu */
	assert_int_equal(mock_entry(&f, VA + PAGE).addr, 0xa1000000);
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(bf), 1);
	assert_int_equal(mock_entry(&f, VA + PAGE).addr, 0xb0000000);
	assert_int_equal(mock_entry(&f, VA + 2 * PAGE).addr, 0xb0001000);
	finish(&f, gpu, unbind, bf);
}

/* Only the pending range fits: the bind falls back to it. */
static void test_falls_back_to_pending(void **state)
{
	(void)state;
	bind_takes_pending(true, 0);
}

/* GTT_BIND_ANYWHERE: the best fit, as before, and the wait that comes with it. */
static void test_anywhere_takes_best_fit(void **state)
{
	(void)state;
	bind_takes_pending(false, GTT_BIND_ANYWHERE);
}

/* Once the unbind has signalled, its range is as good as any: best fit. */
static void test_signalled_unbind_not_avoided(void **state)
{
	struct gtt_fence *gpu = new_fence(), *unbind = NULL, *bf = NULL;
	struct fixture f;
	uint64_t waits;
	gtt_vma_t b;

	(void)state;
	pending_in_best_fit(&f, 0, false, gpu, &unbind);
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(unbind), 1);
	b = bind_b(&f, GTT_BIND_ASYNC, &bf, &waits);
	assert_true(gtt_fence_is_signaled(bf));
	assert_int_equal(offset_of(&f, b), VA + PAGE);
	finish(&f, gpu, unbind, bf);
}

/*
 * Colour guards widen the window by a page each side: a range right next
 * to the pending one would still wait, so the bind goes one page further.
 * Lowest placement, P [0,2) pending, everything else free.
 */
static void test_color_guard_widens_window(void **state)
{
	for (int guard = 0; guard < 2; guard++) {
		struct gtt_fence *gpu = new_fence(), *unbind = NULL, *bf = NULL;
		struct gtt_bind_info bi = { .flags = GTT_BIND_ASYNC,
					    .placement = GTT_PLACE_LOW };
		struct fixture f;
		uint64_t waits;
		gtt_vma_t p, b;

		(void)state;
		fixture_init(&f, VA, VM_PAGES * PAGE, guard ? GTT_VM_COLOR_GUARD : 0);
		p = make_vma(&f, 0xa1000000, 2, NULL);
		bind_fixed(&f, p, 0);
		assert_int_equal(gtt_vma_add_active(f.vm, p, gpu), 0);
		assert_int_equal(gtt_vma_unbind(f.vm, p, GTT_UNBIND_ASYNC, &unbind), 0);
		b = make_vma(&f, 0xb0000000, 2, NULL);
		waits = bind_waits(&f);
		assert_int_equal(gtt_vma_bind(f.vm, b, &bi, &bf), 0);
		assert_int_equal(offset_of(&f, b), VA + (guard ? 3 : 2) * PAGE);
		assert_true(gtt_fence_is_signaled(bf));
		assert_int_equal(bind_waits(&f), waits);
		finish(&f, gpu, unbind, bf);
	}
}

/* Highest placement with the pending range at the top: just below it. */
static void test_high_placement_below_pending(void **state)
{
	struct gtt_fence *gpu = new_fence(), *unbind = NULL;
	struct gtt_bind_info bi = { .placement = GTT_PLACE_HIGH };
	struct fixture f;
	gtt_vma_t p, b;

	(void)state;
	fixture_init(&f, VA, VM_PAGES * PAGE, 0);
	p = make_vma(&f, 0xa1000000, 2, NULL);
	bind_fixed(&f, p, VM_PAGES - 2);
	assert_int_equal(gtt_vma_add_active(f.vm, p, gpu), 0);
	assert_int_equal(gtt_vma_unbind(f.vm, p, GTT_UNBIND_ASYNC, &unbind), 0);
	b = make_vma(&f, 0xb0000000, 2, NULL);
	assert_int_equal(gtt_vma_bind(f.vm, b, &bi, NULL), 0);	/* synchronous */
	assert_int_equal(offset_of(&f, b), VA + (VM_PAGES - 4) * PAGE);
	finish(&f, gpu, unbind, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_avoids_pending_best_fit),
		cmocka_unit_test(test_falls_back_to_pending),
		cmocka_unit_test(test_anywhere_takes_best_fit),
		cmocka_unit_test(test_signalled_unbind_not_avoided),
		cmocka_unit_test(test_color_guard_widens_window),
		cmocka_unit_test(test_high_placement_below_pending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
