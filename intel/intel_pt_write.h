/* SPDX-License-Identifier: MIT */
/*
 * DOC: the entry writer shared by the GGTT and the gen8+ PPGTT: runs of
 * 8-byte 4 KiB entries (bits | DMA address) taken from a segment list, or
 * from a page array (gtt_pages_create_array()) when that is the denser
 * input: one 8-byte address read per entry, two entries per 16-byte store
 * for page tables in memory.
 *
 * The hot loops of a bind.  Per segment, not per entry: an entry is the
 * precomputed flag bits ORed with the segment's address, plus 4 KiB per
 * page, with no branch inside a segment.  Runs of one-page segments (as
 * fragmented system memory comes) go four at a time; a longer segment is
 * written by an unrolled loop, with 16-byte stores of two entries for page
 * tables in memory, one 8-byte store per entry for the GGTT (its window
 * drops wider writes).  Each 16-byte store is 16-byte aligned, so neither
 * of its entries straddles a cache line.  On x86 CPUs with AVX2 a run of
 * at least INTEL_RUN256_MIN entries into a page table is written with
 * 32-byte stores instead (intel_write_run256(), intel/intel_pt_wide.c).
 *
 * Locking: none; the caller holds whatever guards the table.
 */
#ifndef GTT_INTEL_PT_WRITE_H
#define GTT_INTEL_PT_WRITE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <gtt/pages.h>

typedef uint64_t intel_u64x2 __attribute__((vector_size(16)));

#define INTEL_PAGE 4096ull

/* @n copies of @value at @e (16-byte aligned, @n a multiple of 4): a table of one
 * entry, as a new table's scratch fill is. */
static inline void intel_fill_entries(uint64_t *e, uint64_t n, uint64_t value)
{
	const intel_u64x2 v = { value, value };

	for (uint64_t k = 0; k < n; k += 4) {
		memcpy(e + k, &v, sizeof(v));
		memcpy(e + k + 2, &v, sizeof(v));
	}
}

/*
 * The 32-byte run loop (intel/intel_pt_wide.c), built on x86 with GCC or
 * Clang; intel_write_run() calls it only where the CPU has AVX2.
 */
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define INTEL_PT_RUN256 1
#else
#define INTEL_PT_RUN256 0
#endif

/* Runs shorter than this stay inline: the call would cost what it saves. */
#define INTEL_RUN256_MIN 16

#if INTEL_PT_RUN256
/* @n entries @first, @first + 4 KiB, ... at @e, 32 bytes a store: only
 * where __builtin_cpu_supports("avx2"). */
void intel_write_run256(uint64_t *e, uint64_t n, uint64_t first);
#endif

/* @n entries @first, @first + 4 KiB, ... at @e, with 16-byte stores if
 * @wide, else 8-byte ones. */
static inline __attribute__((always_inline)) void
intel_write_run128(uint64_t *e, uint64_t n, uint64_t first, bool wide)
{
	uint64_t k = 0;

	if (wide) {
		const intel_u64x2 step = { 4 * INTEL_PAGE, 4 * INTEL_PAGE };
		intel_u64x2 lo, hi;

		if (((uintptr_t)e & 8) && n) {	/* to a 16-byte boundary */
			__atomic_store_n(e, first, __ATOMIC_RELAXED);
			k = 1;
		}
		lo = (intel_u64x2){ first + k * INTEL_PAGE, first + (k + 1) * INTEL_PAGE };
		hi = lo + 2 * INTEL_PAGE;
		for (; k + 4 <= n; k += 4) {
			memcpy(e + k, &lo, sizeof(lo));
			memcpy(e + k + 2, &hi, sizeof(hi));
			lo += step;
			hi += step;
		}
	} else {
		for (; k + 4 <= n; k += 4) {
			uint64_t v = first + k * INTEL_PAGE;

			__atomic_store_n(e + k, v, __ATOMIC_RELAXED);
			__atomic_store_n(e + k + 1, v + INTEL_PAGE, __ATOMIC_RELAXED);
			__atomic_store_n(e + k + 2, v + 2 * INTEL_PAGE, __ATOMIC_RELAXED);
			__atomic_store_n(e + k + 3, v + 3 * INTEL_PAGE, __ATOMIC_RELAXED);
		}
	}
	for (; k < n; k++)
		__atomic_store_n(e + k, first + k * INTEL_PAGE, __ATOMIC_RELAXED);
}

/* @n entries @first, @first + 4 KiB, ... at @e.  @wide: see the DOC comment. */
static inline __attribute__((always_inline)) void
intel_write_run(uint64_t *e, uint64_t n, uint64_t first, bool wide)
{
#if INTEL_PT_RUN256
	if (wide && n >= INTEL_RUN256_MIN && __builtin_cpu_supports("avx2")) {
		intel_write_run256(e, n, first);
		return;
	}
#endif
	intel_write_run128(e, n, first, wide);
}

/*
 * Write @n entries at @e: @bits | the address of each 4 KiB page from the
 * cursor (*@si, *@off) of @segs (@nsegs of them, covering the @n pages),
 * which ends past them (*@off < that segment's length, or *@si ==
 * @nsegs).  Returns the last entry written.  @wide: see the DOC comment.
 */
static inline __attribute__((always_inline)) uint64_t
intel_write_entries(uint64_t *e, uint64_t n, uint64_t bits,
		    const struct gtt_pages_segment *segs, size_t nsegs,
		    size_t *si, uint64_t *off, bool wide)
{
	size_t s = *si;
	uint64_t o = *off, last = 0;

	while (n) {
		/* One-page segments, four at a time (lengths are non-zero
		 * multiples of 4 KiB: an OR of 4 KiB means all four are). */
		if (!o) {
			for (; n >= 4 && s + 4 <= nsegs &&
			       (segs[s].length | segs[s + 1].length | segs[s + 2].length |
				segs[s + 3].length) == INTEL_PAGE; s += 4, e += 4, n -= 4) {
				__atomic_store_n(e, bits | segs[s].addr, __ATOMIC_RELAXED);
				__atomic_store_n(e + 1, bits | segs[s + 1].addr, __ATOMIC_RELAXED);
				__atomic_store_n(e + 2, bits | segs[s + 2].addr, __ATOMIC_RELAXED);
				last = bits | segs[s + 3].addr;
				__atomic_store_n(e + 3, last, __ATOMIC_RELAXED);
			}
			if (!n)
				break;
		}

		uint64_t left = (segs[s].length - o) / INTEL_PAGE, k = n < left ? n : left;
		uint64_t first = bits | (segs[s].addr + o);

		intel_write_run(e, k, first, wide);
		last = first + (k - 1) * INTEL_PAGE;
		e += k;
		n -= k;
		if (k == left) {
			s++;
			o = 0;
		} else {
			o += k * INTEL_PAGE;
		}
	}
	*si = s;
	*off = o;
	return last;
}

/*
 * The 4 KiB page addresses of @pages (*@npages of them) if the writers
 * should read them instead of the segments: a page array of 4 KiB pages
 * whose runs are under two pages on average (a one-page segment is 16
 * bytes to read, an array entry 8).  NULL otherwise.
 */
static inline const uint64_t *intel_write_array(const struct gtt_pages *pages,
						size_t *npages)
{
	uint64_t ps = 0;
	size_t nsegs = 0;
	const uint64_t *a = gtt_pages_array(pages, npages, &ps);

	gtt_pages_segments(pages, &nsegs);
	return a && ps == INTEL_PAGE && nsegs > *npages / 2 ? a : NULL;
}

/* Write @n entries at @e: @bits | @pa[0], @bits | @pa[1], ...  Returns the
 * last one.  @wide: see the DOC comment. */
static inline __attribute__((always_inline)) uint64_t
intel_write_pages(uint64_t *e, uint64_t n, uint64_t bits, const uint64_t *pa, bool wide)
{
	uint64_t k = 0;

	if (wide) {
		const intel_u64x2 b = { bits, bits };
		intel_u64x2 lo, hi;

		if (((uintptr_t)e & 8) && n) {	/* to a 16-byte boundary */
			__atomic_store_n(e, bits | pa[0], __ATOMIC_RELAXED);
			k = 1;
		}
		for (; k + 4 <= n; k += 4) {
			memcpy(&lo, pa + k, sizeof(lo));
			memcpy(&hi, pa + k + 2, sizeof(hi));
			lo |= b;
			hi |= b;
			memcpy(e + k, &lo, sizeof(lo));
			memcpy(e + k + 2, &hi, sizeof(hi));
		}
	} else {
		for (; k + 4 <= n; k += 4) {
			__atomic_store_n(e + k, bits | pa[k], __ATOMIC_RELAXED);
			__atomic_store_n(e + k + 1, bits | pa[k + 1], __ATOMIC_RELAXED);
			__atomic_store_n(e + k + 2, bits | pa[k + 2], __ATOMIC_RELAXED);
			__atomic_store_n(e + k + 3, bits | pa[k + 3], __ATOMIC_RELAXED);
		}
	}
	for (; k < n; k++)
		__atomic_store_n(e + k, bits | pa[k], __ATOMIC_RELAXED);
	return n ? bits | pa[n - 1] : 0;
}

#endif
