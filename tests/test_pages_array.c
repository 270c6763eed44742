/* SPDX-License-Identifier: MIT */
/*
 * Page lists made from one DMA address per page (gtt_pages_create_array()):
 * the input checks, allocation failures, what the accessors say, and every
 * mock backend (generic, Intel GGTT and PPGTT of several generations, gen6
 * PPGTT) mapping such a list exactly as the same memory given as segments.
 * (VFIO and xe: test_vfio.c, test_xe.c.)
 */
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "backend/backend_internal.h"
#include "intel/intel_pt_write.h"

#define MiB (1ull << 20)
#define SCRATCH 0xdead000ull

/* Every way to get the input wrong: -EINVAL, nothing made, nothing held. */
static void test_array_bad_input(void **state)
{
	const uint64_t ok[2] = { 0x10000, 0x20000 };
	const uint64_t odd[2] = { 0x10000, 0x20800 };
	const uint64_t top[1] = { UINT64_MAX - PAGE + 1 };
	const uint64_t off64k[2] = { 0x10000, 0x21000 };
	struct gtt_pages *sentinel = (struct gtt_pages *)&sentinel, *p = sentinel;
	int64_t live = mem_live();

	(void)state;
	assert_int_equal(gtt_pages_create_array(NULL, 2, PAGE, 0, &p), -EINVAL);
	assert_int_equal(gtt_pages_create_array(ok, 0, PAGE, 0, &p), -EINVAL);
	assert_int_equal(gtt_pages_create_array(ok, 2, PAGE, 0, NULL), -EINVAL);
	assert_int_equal(gtt_pages_create_array(ok, 2, PAGE, 1u << 5, &p), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "flags"));
	/* Page sizes: a power of two of 4 KiB or more. */
	assert_int_equal(gtt_pages_create_array(ok, 2, 0, 0, &p), -EINVAL);
	assert_int_equal(gtt_pages_create_array(ok, 2, 2048, 0, &p), -EINVAL);
	assert_int_equal(gtt_pages_create_array(ok, 2, 3 * PAGE, 0, &p), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "power of two"));
	/* Misaligned: to 4 KiB, and to the page size given. */
	assert_int_equal(gtt_pages_create_array(odd, 2, PAGE, 0, &p), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "page 1 at 0x20800"));
	assert_int_equal(gtt_pages_create_array(off64k, 2, 64 * 1024, 0, &p), -EINVAL);
	/* A page that wraps, a total that overflows. */
	assert_int_equal(gtt_pages_create_array(top, 1, PAGE, 0, &p), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "wraps"));
	assert_int_equal(gtt_pages_create_array(ok, 2, 1ull << 63, 0, &p), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "too many"));
	assert_ptr_equal(p, sentinel);
	assert_int_equal(mem_live(), live);
}

/* Each allocation fails in turn: -ENOMEM, nothing held; then it works. */
static void test_array_alloc_failures(void **state)
{
	const uint64_t addrs[4] = { 0x10000, 0x11000, 0x40000, 0x80000 };
	int64_t live = mem_live();
	bool completed = false;
	uint64_t n;

	(void)state;
	for (n = 1; n < 20 && !completed; n++) {
		struct gtt_pages *p = NULL;
		int err;

		mem_fail_after(n);
		err = gtt_pages_create_array(addrs, 4, PAGE, 0, &p);
		completed = !mem_fail_fired();
		mem_fail_after(0);
		if (completed) {
			assert_int_equal(err, 0);
			gtt_pages_put(p);
		} else {
			assert_int_equal(err, -ENOMEM);
			assert_null(p);
		}
		assert_int_equal(mem_live(), live);
	}
	assert_true(completed);
	assert_true(n > 3);	/* the list, the array, the runs */
}

/*
 * The accessors: the array is copied, the runs merged, size, widest page,
 * longest run and addresses (O(1), within a page of any size); a segment
 * list has no array.
 */
static void test_array_accessors(void **state)
{
	uint64_t addrs[6] = { 0x10000, 0x11000, 0x5000, 0x12000, 0x13000, 0x14000 };
	const uint64_t big[2] = { 0x30000, 0x10000 };
	struct gtt_pages_segment seg = { 0x10000, PAGE };
	const struct gtt_pages_segment *runs;
	struct gtt_pages *p, *q, *s;
	const uint64_t *a;
	uint64_t ps, addr;
	size_t n;

	(void)state;
	assert_int_equal(gtt_pages_create_array(addrs, 6, PAGE, GTT_PAGES_BORROWED, &p), 0);
	addrs[0] = 0x99000;			/* the caller's array is not kept */
	a = gtt_pages_array(p, &n, &ps);
	assert_non_null(a);
	assert_ptr_not_equal(a, addrs);
	assert_int_equal(n, 6);
	assert_int_equal(ps, PAGE);
	assert_int_equal(a[0], 0x10000);
	assert_int_equal(a[5], 0x14000);
	assert_int_equal(gtt_pages_size(p), 6 * PAGE);
	assert_int_equal(gtt_pages_flags(p), GTT_PAGES_BORROWED);
	runs = gtt_pages_segments(p, &n);
	assert_int_equal(n, 3);
	assert_int_equal(runs[0].addr, 0x10000);
	assert_int_equal(runs[0].length, 2 * PAGE);
	assert_int_equal(runs[1].addr, 0x5000);
	assert_int_equal(runs[1].length, PAGE);
	assert_int_equal(runs[2].addr, 0x12000);
	assert_int_equal(runs[2].length, 3 * PAGE);
	assert_int_equal(gtt_pages_longest_run(p), 3 * PAGE);
	assert_int_equal(gtt_pages_last_page(p), 0x14000);
	assert_int_equal(gtt_pages_first_page(p), 0x5000);	/* the second run */
	assert_int_equal(gtt_pages_addr(p, 2 * PAGE + 0x10, &addr), 0);
	assert_int_equal(addr, 0x5010);
	assert_int_equal(gtt_pages_addr(p, 6 * PAGE - 1, &addr), 0);
	assert_int_equal(addr, 0x14fff);
	assert_int_equal(gtt_pages_addr(p, 6 * PAGE, &addr), -ERANGE);
	/* 64 KiB pages: 16 of 4 KiB each, the widest 4 KiB page inside. */
	assert_int_equal(gtt_pages_create_array(big, 2, 64 * 1024, 0, &q), 0);
	assert_int_equal(gtt_pages_size(q), 128 * 1024);
	assert_int_equal(gtt_pages_last_page(q), 0x3f000);
	assert_int_equal(gtt_pages_longest_run(q), 64 * 1024);
	assert_int_equal(gtt_pages_addr(q, 64 * 1024 + 0x1234, &addr), 0);
	assert_int_equal(addr, 0x11234);
	assert_null(intel_write_array(q, &n));	/* not 4 KiB pages: segments */
	/* No array behind a segment list, or nothing. */
	assert_int_equal(gtt_pages_create(&seg, 1, 0, &s), 0);
	assert_null(gtt_pages_array(s, &n, &ps));
	assert_int_equal(n, 0);
	assert_int_equal(ps, 0);
	assert_null(gtt_pages_array(NULL, NULL, NULL));
	gtt_pages_put(p);
	gtt_pages_put(q);
	gtt_pages_put(s);
}

/*
 * The memory the backends map: a 2 MiB-aligned contiguous 2 MiB (a huge
 * page where the platform has one), a 64 KiB-aligned 64 KiB run (PS64 on
 * XeHP+), then 600 scattered pages in shuffled order, nothing adjacent:
 * runs under two pages on average, so the Intel writers read the array.
 */
#define NPAGES (512 + 16 + 600)

static void memory(uint64_t *addrs)
{
	uint64_t seed = 14;
	size_t k = 0;

	for (unsigned int i = 0; i < 512; i++)
		addrs[k++] = 0x200000000ull + i * PAGE;
	for (unsigned int i = 0; i < 16; i++)
		addrs[k++] = 0x300010000ull + i * PAGE;
	for (unsigned int i = 0; i < 600; i++)
		addrs[k++] = 0x400000000ull + 2 * i * PAGE;	/* every other page */
	for (size_t i = 600; i > 1; i--) {			/* Fisher-Yates */
		size_t j = (size_t)(rng_next(&seed) % i);
		uint64_t t = addrs[528 + i - 1];

		addrs[528 + i - 1] = addrs[528 + j];
		addrs[528 + j] = t;
	}
}

struct target {
	const char *name;
	struct gtt_mock_config mc;
};

/* Whether @a and @b translate alike (the scratch page aside). */
static void assert_same(const struct gtt_translation *a, const struct gtt_translation *b,
			const char *name, uint64_t va)
{
	if (a->present != b->present || a->scratch != b->scratch || a->addr != b->addr ||
	    a->flags != b->flags || a->page_size != b->page_size || a->level != b->level ||
	    a->pte != b->pte)
		fail_msg("%s: page at +0x%llx: segments map 0x%llx (size 0x%llx, pte 0x%llx), "
			 "the array 0x%llx (size 0x%llx, pte 0x%llx)", name,
			 (unsigned long long)va, (unsigned long long)a->addr,
			 (unsigned long long)a->page_size, (unsigned long long)a->pte,
			 (unsigned long long)b->addr, (unsigned long long)b->page_size,
			 (unsigned long long)b->pte);
}

/*
 * Bind @segs at @va_s and @arr at @va_a (same offset from 2 MiB), from
 * page @first on, @n pages; every page must translate alike; then clear.
 */
static void compare(struct gtt_backend *be, const char *name, struct gtt_pages *segs,
		    struct gtt_pages *arr, uint64_t va_s, uint64_t va_a, uint64_t first,
		    uint64_t n)
{
	assert_int_equal(backend_map(be, va_s, n * PAGE, segs, first * PAGE, 0), 0);
	assert_int_equal(backend_map(be, va_a, n * PAGE, arr, first * PAGE, 0), 0);
	for (uint64_t k = 0; k < n; k++) {
		struct gtt_translation a, b;

		assert_int_equal(gtt_backend_translate(be, va_s + k * PAGE, &a), 0);
		assert_int_equal(gtt_backend_translate(be, va_a + k * PAGE, &b), 0);
		assert_true(a.present && !a.scratch);
		assert_same(&a, &b, name, k * PAGE);
	}
	assert_int_equal(backend_unmap(be, va_s, n * PAGE), 0);
	assert_int_equal(backend_unmap(be, va_a, n * PAGE), 0);
}

/*
 * On every mock backend, the array maps exactly what the same memory as
 * one-page segments maps (a differential check: the segments' writers are
 * tested elsewhere), whole and from an offset.  Fails if the array writer
 * (intel_write_pages()) or the PPGTT cursor over the array (cur_*()) gets
 * an address, a huge page or a PS64 hint wrong.
 */
static void test_array_on_every_mock(void **state)
{
	const struct target targets[] = {
		{ "generic", { .size = 256 * MiB, .page_size = 4096 } },
		{ "TGL GGTT", { .size = 256 * MiB, .scratch_addr = SCRATCH,
				.mode = GTT_MOCK_INTEL_GGTT, .intel_family = GTT_INTEL_TGL } },
		{ "SNB GGTT", { .size = 256 * MiB, .scratch_addr = SCRATCH,
				.mode = GTT_MOCK_INTEL_GGTT, .intel_family = GTT_INTEL_SNB } },
		{ "CHV PPGTT", { .size = 1ull << 32, .scratch_addr = SCRATCH,
				 .mode = GTT_MOCK_INTEL_PPGTT, .intel_family = GTT_INTEL_CHV } },
		{ "TGL PPGTT", { .size = 1ull << 48, .scratch_addr = SCRATCH,
				 .mode = GTT_MOCK_INTEL_PPGTT, .intel_family = GTT_INTEL_TGL } },
		{ "DG2 PPGTT", { .size = 1ull << 48, .scratch_addr = 0x10000,
				 .mode = GTT_MOCK_INTEL_PPGTT, .intel_family = GTT_INTEL_DG2 } },
		{ "LNL PPGTT", { .size = 1ull << 48, .scratch_addr = 0x10000,
				 .mode = GTT_MOCK_INTEL_PPGTT, .intel_family = GTT_INTEL_LNL } },
		{ "SNB PPGTT", { .size = 2048 * MiB, .scratch_addr = SCRATCH,
				 .mode = GTT_MOCK_INTEL_PPGTT, .intel_family = GTT_INTEL_SNB } },
	};
	static uint64_t addrs[NPAGES];
	struct gtt_pages_segment segv[NPAGES];
	struct gtt_pages *segs, *arr;
	int64_t live = mem_live();
	size_t n;

	(void)state;
	memory(addrs);
	for (size_t i = 0; i < NPAGES; i++)
		segv[i] = (struct gtt_pages_segment){ addrs[i], PAGE };
	assert_int_equal(gtt_pages_create(segv, NPAGES, 0, &segs), 0);
	assert_int_equal(gtt_pages_create_array(addrs, NPAGES, PAGE, 0, &arr), 0);
	assert_non_null(intel_write_array(arr, &n));	/* the writers take the array */
	assert_int_equal(n, NPAGES);
	assert_null(intel_write_array(segs, &n));
	assert_int_equal(gtt_pages_segments(arr, &n)[0].length, 2 * MiB);
	assert_int_equal(n, 602);
	for (size_t t = 0; t < ARRAY_SIZE(targets); t++) {
		struct gtt_backend *be;

		assert_int_equal(gtt_mock_create(&targets[t].mc, &be), 0);
		compare(be, targets[t].name, segs, arr, 8 * MiB, 16 * MiB, 0, NPAGES);
		compare(be, targets[t].name, segs, arr, 32 * MiB + 3 * PAGE, 48 * MiB + 3 * PAGE,
			3, NPAGES - 10);
		compare(be, targets[t].name, segs, arr, 64 * MiB, 80 * MiB, 520, 300);
		gtt_backend_destroy(be);
	}
	gtt_pages_put(segs);
	gtt_pages_put(arr);
	assert_int_equal(mem_live(), live);
}

/* Through a vm too: bind, walk, unbind, the destructor (helpers.h's
 * count_release) when the last reference goes. */
static void test_array_through_a_vm(void **state)
{
	const uint64_t addrs[3] = { 0x7000, 0x3000, 0x9000 };
	struct gtt_mock_config mc = { .size = 1ull << 48, .scratch_addr = SCRATCH,
				      .mode = GTT_MOCK_INTEL_PPGTT,
				      .intel_family = GTT_INTEL_TGL };
	struct gtt_vm_config vc = { .start = 2 * MiB, .size = 64 * MiB };
	struct gtt_bind_info bi = { .flags = GTT_BIND_FIXED, .offset = 4 * MiB };
	struct gtt_translation t;
	struct gtt_backend *be;
	struct gtt_pages *p;
	struct gtt_vm *vm;
	int freed = 0;
	gtt_vma_t v;

	(void)state;
	assert_int_equal(gtt_mock_create(&mc, &be), 0);
	vc.backend = be;
	assert_int_equal(gtt_vm_create(&vc, &vm), 0);
	assert_int_equal(gtt_pages_create_array(addrs, 3, PAGE, 0, &p), 0);
	assert_int_equal(gtt_pages_set_destructor(p, count_release, &freed), 0);
	assert_int_equal(gtt_vma_create(vm, p, NULL, &v), 0);
	gtt_pages_put(p);
	assert_int_equal(gtt_vma_bind(vm, v, &bi, NULL), 0);
	for (unsigned int k = 0; k < 3; k++) {
		assert_int_equal(gtt_backend_translate(be, 4 * MiB + k * PAGE + 5, &t), 0);
		assert_int_equal(t.addr, addrs[k] + 5);
	}
	assert_int_equal(gtt_vma_unbind(vm, v, 0, NULL), 0);
	assert_int_equal(gtt_backend_translate(be, 4 * MiB, &t), 0);
	assert_true(t.scratch);
	assert_int_equal(freed, 0);
	assert_int_equal(gtt_vma_destroy(vm, v), 0);
	assert_int_equal(freed, 1);
	gtt_vm_destroy(vm);
	gtt_backend_destroy(be);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_array_bad_input, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_array_alloc_failures, alarm_setup,
						alarm_teardown),
		cmocka_unit_test_setup_teardown(test_array_accessors, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_array_on_every_mock, alarm_setup,
						alarm_teardown),
		cmocka_unit_test_setup_teardown(test_array_through_a_vm, alarm_setup,
						alarm_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
