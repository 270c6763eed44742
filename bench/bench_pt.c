/* SPDX-License-Identifier: MIT */
/*
 * bench-pt: how fast the Intel page-table code writes entries.  Binds
 * 1 GiB (synchronously, through a vm on the mock's Intel modes) on a TGL
 * PPGTT and GGTT as
 *   - 4 KiB pages from 262,144 scattered one-page segments (fragmented
 *     system memory: nothing merges);
 *   - 512 segments of 2 MiB written as 4 KiB entries: each segment starts
 *     4 KiB past a 2 MiB boundary in DMA space (the GPU addresses are
 *     2 MiB aligned), so neither a 2 MiB leaf nor a 64 KiB (IPS) table
 *     fits and the kernel's own path (i915's huge-page insert checks the
 *     DMA address's alignment) writes 4 KiB entries too;
 *   - 2 MiB pages from 512 aligned segments (PPGTT only).
 * The first two as segments (gtt_pages_create()) and as one DMA address
 * per 4 KiB page (gtt_pages_create_array(): what TTM and drivers with a
 * per-page array pass).
 * Two baselines, measured in the same run:
 *   - memset() of the same number of entry bytes: the reference,
 *     the reported ratio (hot in cache: the buffer is reused);
 *   - "loop": a loop writing addr | flags for every 4 KiB page of the same
 *     segment array into a flat array of entries (loop_write()): what any
 *     PTE writer that reads that input costs at least (16 bytes of segment
 *     read per scattered page), without a page table's bookkeeping; and
 *     the same from a page array (loop_write_array(): 8 bytes read per
 *     entry).  A page array of 2 MiB runs is written from its runs (the
 *     writers read the array only where runs are short), so its floor is
 *     the segments'.
 */
#include <inttypes.h>

#include <gtt/gtt.h>

#include "bench_util.h"

#define PAGE 4096ull
#define SZ_2M (2ull << 20)

static __attribute__((noreturn)) void die(const char *what)
{
	fprintf(stderr, "bench-pt: %s: %s\n", what, gtt_last_error());
	exit(1);
}

/* Median ns of @rounds binds of @pages into a fresh vm over @mode;
 * *@unbind_ns: the median of the unbinds after them (the clears). */
static double bind_ns(unsigned int mode, uint64_t bytes, struct gtt_pages *pages,
		      int rounds, double *unbind_ns)
{
	struct gtt_mock_config mc = { .mode = mode, .intel_family = GTT_INTEL_TGL,
				      .scratch_addr = 0x1000 };
	struct gtt_vm_config vc = { .start = SZ_2M };
	uint64_t *t = calloc((size_t)rounds, sizeof(*t)), *u = calloc((size_t)rounds, sizeof(*u));
	struct gtt_backend *be;
	struct gtt_vm *vm;
	gtt_vma_t v;
	double ns;

	mc.size = mode == GTT_MOCK_INTEL_GGTT ? bytes + 2 * SZ_2M : 1ull << 40;
	vc.size = bytes;
	if (gtt_mock_create(&mc, &be))
		die("mock");
	vc.backend = be;
	if (gtt_vm_create(&vc, &vm) || gtt_vma_create(vm, pages, NULL, &v))
		die("vm");
	for (int r = 0; r < rounds; r++) {
		uint64_t t0 = bench_now();

		if (gtt_vma_bind(vm, v, NULL, NULL))
			die("bind");
		t[r] = bench_now() - t0;
		t0 = bench_now();
		if (gtt_vma_unbind(vm, v, 0, NULL))
			die("unbind");
		u[r] = bench_now() - t0;
	}
	ns = (double)percentile(t, (size_t)rounds, 50);
	*unbind_ns = (double)percentile(u, (size_t)rounds, 50);
	free(t);
	free(u);
	gtt_vm_destroy(vm);
	gtt_backend_destroy(be);
	return ns;
}

static double memset_ns(size_t bytes, int rounds)
{
	unsigned char *buf = malloc(bytes);
	uint64_t *t = calloc((size_t)rounds, sizeof(*t));
	double ns;

	for (int r = 0; r < rounds + 1; r++) {
		uint64_t t0 = bench_now();

		memset(buf, r, bytes);
		__asm__ __volatile__("" : : "r"(buf) : "memory");
		if (r)
			t[r - 1] = bench_now() - t0;
	}
	ns = (double)percentile(t, (size_t)rounds, 50);
	free(buf);
	free(t);
	return ns;
}

typedef uint64_t u64x2 __attribute__((vector_size(16)));

/*
 * Entries of every 4 KiB page of @segs into @out: the floor of a writer
 * that reads this input.  Tuned as far as plain C goes, so that it is a
 * floor: one-page segments four at a time (their loads independent), a
 * longer segment with two 16-byte stores of two entries each per step.
 */
static __attribute__((noinline)) void loop_write(uint64_t *restrict out,
						 const struct gtt_pages_segment *restrict segs,
						 size_t nsegs, uint64_t bits)
{
	size_t s = 0;

	while (s < nsegs) {
		for (; s + 4 <= nsegs && (segs[s].length | segs[s + 1].length |
					  segs[s + 2].length | segs[s + 3].length) == PAGE; s += 4) {
			out[0] = bits | segs[s].addr;
			out[1] = bits | segs[s + 1].addr;
			out[2] = bits | segs[s + 2].addr;
			out[3] = bits | segs[s + 3].addr;
			out += 4;
		}
		if (s == nsegs)
			break;

		uint64_t e = bits | segs[s].addr, n = segs[s].length / PAGE, k = 0;
		u64x2 lo = { e, e + PAGE }, hi = { e + 2 * PAGE, e + 3 * PAGE };
		const u64x2 step = { 4 * PAGE, 4 * PAGE };

		for (; k + 4 <= n; k += 4) {	/* @out is 8-byte aligned: memcpy */
			memcpy(out + k, &lo, sizeof(lo));
			memcpy(out + k + 2, &hi, sizeof(hi));
			lo += step;
			hi += step;
		}
		for (; k < n; k++)
			out[k] = e + k * PAGE;
		out += n;
		s++;
	}
}

/* The same from @n page addresses: two 16-byte loads, ORs and stores per
 * four entries. */
static __attribute__((noinline)) void loop_write_array(uint64_t *restrict out,
						       const uint64_t *restrict pa, size_t n,
						       uint64_t bits)
{
	const u64x2 b = { bits, bits };
	size_t k = 0;

	for (; k + 4 <= n; k += 4) {
		u64x2 lo, hi;

		memcpy(&lo, pa + k, sizeof(lo));
		memcpy(&hi, pa + k + 2, sizeof(hi));
		lo |= b;
		hi |= b;
		memcpy(out + k, &lo, sizeof(lo));
		memcpy(out + k + 2, &hi, sizeof(hi));
	}
	for (; k < n; k++)
		out[k] = bits | pa[k];
}

/* Median ns of loop_write() over @pages' segments, or of loop_write_array()
 * over its page array with @array (a warm-up round first). */
static double loop_ns(const struct gtt_pages *pages, bool array, int rounds)
{
	size_t nsegs, npages;
	const struct gtt_pages_segment *segs = gtt_pages_segments(pages, &nsegs);
	const uint64_t *pa = gtt_pages_array(pages, &npages, NULL);
	uint64_t *out = malloc(gtt_pages_size(pages) / PAGE * sizeof(*out));
	uint64_t *t = calloc((size_t)rounds, sizeof(*t));
	double ns;

	for (int r = 0; r < rounds + 1; r++) {
		uint64_t t0 = bench_now();

		if (array)
			loop_write_array(out, pa, npages, 0x3 | (uint64_t)r << 52);
		else
			loop_write(out, segs, nsegs, 0x3 | (uint64_t)r << 52);
		__asm__ __volatile__("" : : "r"(out) : "memory");
		if (r)
			t[r - 1] = bench_now() - t0;
	}
	ns = (double)percentile(t, (size_t)rounds, 50);
	free(out);
	free(t);
	return ns;
}

/*
 * Chunks of @chunk bytes in every other chunk-sized slot (nothing merges),
 * each @skew bytes past the slot's start: as segments, or with @array as
 * one address per 4 KiB page.  *@create_ns: how long the list took to make.
 */
static struct gtt_pages *make_pages(uint64_t bytes, uint64_t chunk, uint64_t skew,
				    bool array, double *create_ns)
{
	size_t n = (size_t)(bytes / chunk), per = (size_t)(chunk / PAGE);
	struct gtt_pages_segment *segs = array ? NULL : calloc(n, sizeof(*segs));
	uint64_t *pa = array ? calloc(n * per, sizeof(*pa)) : NULL, t0;
	struct gtt_pages *p;
	int err;

	for (size_t i = 0; i < n; i++) {
		uint64_t addr = 0x100000000ull + 2 * i * chunk + skew;

		if (!array)
			segs[i] = (struct gtt_pages_segment){ addr, chunk };
		for (size_t k = 0; array && k < per; k++)
			pa[i * per + k] = addr + k * PAGE;
	}
	t0 = bench_now();
	err = array ? gtt_pages_create_array(pa, n * per, PAGE, 0, &p)
		    : gtt_pages_create(segs, n, 0, &p);
	if (create_ns)
		*create_ns = (double)(bench_now() - t0);
	if (err)
		die("pages");
	free(segs);
	free(pa);
	return p;
}

/* Bind and print a row; @loop_ns_: the loop baseline, or 0 for none. */
static void row(const char *what, unsigned int mode, uint64_t bytes, struct gtt_pages *pages,
		int rounds, uint64_t entries, double base_ns, double loop_ns_)
{
	double un, ns = bind_ns(mode, bytes, pages, rounds, &un);

	printf("%-38s %7" PRIu64 " entries %8.3f ms %7.1f M/s  %5.2fx memset",
	       what, entries, ns / 1e6, (double)entries / ns * 1e3, base_ns / ns);
	if (loop_ns_)
		printf("  %5.2fx loop", loop_ns_ / ns);
	printf("  (unbind %.3f ms)\n", un / 1e6);
}

int main(int argc, char **argv)
{
	int quick = bench_parse(argc, argv,
		"Bind 1 GiB as scattered 4 KiB pages, as 2 MiB segments written as\n"
		"4 KiB entries (DMA addresses 4 KiB past 2 MiB alignment), and as\n"
		"2 MiB pages, on a TGL PPGTT and GGTT (mock host memory); the first\n"
		"two from segments and from a page array (one address per page).\n"
		"Entries written per second, against memset() of the same entry\n"
		"bytes and against a plain loop writing addr|flags from the same\n"
		"input into a flat array, both in the same run; each row also\n"
		"gives the median time of the unbinds between the binds.");
	uint64_t bytes = quick ? 8 * SZ_2M : 1ull << 30;
	int rounds = quick ? 2 : 9;
	double mk4k, mk4k_a, mkrun, mkrun_a;
	struct gtt_pages *p4k = make_pages(bytes, PAGE, 0, false, &mk4k);
	struct gtt_pages *a4k = make_pages(bytes, PAGE, 0, true, &mk4k_a);
	struct gtt_pages *p2m = make_pages(bytes, SZ_2M, 0, false, NULL);
	struct gtt_pages *run2m = make_pages(bytes, SZ_2M, PAGE, false, &mkrun);
	struct gtt_pages *arun2m = make_pages(bytes, SZ_2M, PAGE, true, &mkrun_a);
	uint64_t n4k = bytes / PAGE, n2m = bytes / SZ_2M;
	double base4k = memset_ns(n4k * 8, rounds), base2m = memset_ns(n2m * 8, rounds);
	double loop4k = loop_ns(p4k, false, rounds), loop4k_a = loop_ns(a4k, true, rounds);
	double looprun = loop_ns(run2m, false, rounds);
	const struct {
		const char *what;
		unsigned int mode;
		struct gtt_pages *pages;
		double loop;
	} rows[] = {
		{ "PPGTT, 4 KiB scattered, segments", GTT_MOCK_INTEL_PPGTT, p4k, loop4k },
		{ "PPGTT, 4 KiB scattered, page array", GTT_MOCK_INTEL_PPGTT, a4k, loop4k_a },
		{ "PPGTT, 2 MiB runs as 4 KiB, segments", GTT_MOCK_INTEL_PPGTT, run2m, looprun },
		{ "PPGTT, 2 MiB runs as 4 KiB, array", GTT_MOCK_INTEL_PPGTT, arun2m, looprun },
		{ "GGTT, 4 KiB scattered, segments", GTT_MOCK_INTEL_GGTT, p4k, loop4k },
		{ "GGTT, 4 KiB scattered, page array", GTT_MOCK_INTEL_GGTT, a4k, loop4k_a },
		{ "GGTT, 2 MiB runs as 4 KiB, segments", GTT_MOCK_INTEL_GGTT, run2m, looprun },
		{ "GGTT, 2 MiB runs as 4 KiB, array", GTT_MOCK_INTEL_GGTT, arun2m, looprun },
	};

	printf("binding %" PRIu64 " MiB; memset baseline: %.1f us for %" PRIu64 " KiB, %.2f us for %" PRIu64 " KiB\n",
	       bytes >> 20, base4k / 1e3, n4k * 8 / 1024, base2m / 1e3, n2m * 8 / 1024);
	printf("loop baseline: %.1f us from %" PRIu64 " one-page segments, %.1f us from a %" PRIu64
	       "-page array, %.1f us from %" PRIu64 " 2 MiB segments\n",
	       loop4k / 1e3, n4k, loop4k_a / 1e3, n4k, looprun / 1e3, n2m);
	printf("making the lists (not in the binds): scattered %.1f us as segments, %.1f us as an array; "
	       "2 MiB runs %.1f / %.1f us\n", mk4k / 1e3, mk4k_a / 1e3, mkrun / 1e3, mkrun_a / 1e3);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		row(rows[i].what, rows[i].mode, bytes, rows[i].pages, rounds, n4k, base4k,
		    rows[i].loop);
		if (i == 3)
			row("PPGTT, 2 MiB pages", GTT_MOCK_INTEL_PPGTT, bytes, p2m, rounds, n2m,
			    base2m, 0);
	}
	gtt_pages_put(p4k);
	gtt_pages_put(a4k);
	gtt_pages_put(p2m);
	gtt_pages_put(run2m);
	gtt_pages_put(arun2m);
	return 0;
}
