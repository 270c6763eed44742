/* SPDX-License-Identifier: MIT */
/*
 * DOC: the 32-byte run loop of the entry writer (intel_pt_write.h): a run
 * of 4 KiB entries (@first, @first + 4 KiB, ...) into a page table in
 * memory with AVX2 stores of four entries, for x86 CPUs that have AVX2.
 * intel_write_run() picks it at run time for long runs; everything else
 * (other CPUs and architectures, short runs, the GGTT window) keeps the
 * 16- and 8-byte loops of the header.
 *
 * Why: a page table written with 16-byte stores runs at one store a cycle
 * on the machines measured (AMD Zen 4: 2 MiB of entries in about 36 us,
 * against 21 us for memset's "rep stosb"); 32-byte stores write the same
 * in about 22 us (docs/performance.md, the PTE rows).  Every 32-byte store
 * is 32-byte aligned, so no entry straddles a cache line, as with the
 * 16-byte stores.  Compiled for AVX2 by a function attribute only, so the
 * rest of the library keeps the baseline instruction set.
 *
 * Locking: none; the caller holds whatever guards the table.
 */
#include "intel/intel_pt_write.h"

#if INTEL_PT_RUN256

typedef uint64_t intel_u64x4 __attribute__((vector_size(32)));

__attribute__((target("avx2"))) void intel_write_run256(uint64_t *e, uint64_t n, uint64_t first)
{
	const intel_u64x4 step = { 8 * INTEL_PAGE, 8 * INTEL_PAGE, 8 * INTEL_PAGE, 8 * INTEL_PAGE };
	intel_u64x4 lo, hi;
	uint64_t k = 0;

	for (; k < n && ((uintptr_t)(e + k) & 31); k++)	/* to a 32-byte boundary */
		__atomic_store_n(e + k, first + k * INTEL_PAGE, __ATOMIC_RELAXED);
	lo = (intel_u64x4){ first + k * INTEL_PAGE, first + (k + 1) * INTEL_PAGE,
			    first + (k + 2) * INTEL_PAGE, first + (k + 3) * INTEL_PAGE };
	hi = lo + 4 * INTEL_PAGE;
	for (; k + 8 <= n; k += 8) {
		memcpy(e + k, &lo, sizeof(lo));
		memcpy(e + k + 4, &hi, sizeof(hi));
		lo += step;
		hi += step;
	}
	for (; k < n; k++)
		__atomic_store_n(e + k, first + k * INTEL_PAGE, __ATOMIC_RELAXED);
}

#endif
