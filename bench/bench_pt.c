/* SPDX-License-Identifier: MIT */
/*
 * bench-pt: how fast the Intel page-table code writes entries.  Binds
 * 1 GiB (synchronously, through a vm on the mock's Intel modes) as
 * 4 KiB pages — scattered segments, as system memory is — and as 2 MiB
 * pages, on a TGL PPGTT and GGTT.  The baseline, measured in the same run,
 * is memset() of the same number of entry bytes: the physical limit.
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

/* Median ns of @rounds binds of @pages into a fresh vm over @mode. */
static double bind_ns(unsigned int mode, uint64_t bytes, struct gtt_pages *pages,
		      int rounds)
{
	struct gtt_mock_config mc = { .mode = mode, .intel_family = GTT_INTEL_TGL,
				      .scratch_addr = 0x1000 };
	struct gtt_vm_config vc = { .start = SZ_2M };
	uint64_t *t = calloc((size_t)rounds, sizeof(*t));
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
		if (gtt_vma_unbind(vm, v, 0, NULL))
			die("unbind");
	}
	ns = (double)percentile(t, (size_t)rounds, 50);
	free(t);
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

static struct gtt_pages *make_pages(uint64_t bytes, uint64_t chunk)
{
	size_t n = (size_t)(bytes / chunk);
	struct gtt_pages_segment *segs = calloc(n, sizeof(*segs));
	struct gtt_pages *p;

	/* Chunks of @chunk bytes, every other chunk-sized slot: nothing merges. */
	for (size_t i = 0; i < n; i++)
		segs[i] = (struct gtt_pages_segment){ 0x100000000ull + 2 * i * chunk, chunk };
	if (gtt_pages_create(segs, n, 0, &p))
		die("pages");
	free(segs);
	return p;
}

static void row(const char *what, uint64_t entries, double ns, double base_ns)
{
	printf("%-32s %9" PRIu64 " entries %10.2f ms %8.1f M entries/s   %5.2fx memset\n",
	       what, entries, ns / 1e6, (double)entries / ns * 1e3, base_ns / ns);
}

int main(int argc, char **argv)
{
	int quick = bench_parse(argc, argv,
		"Bind 1 GiB as 4 KiB and as 2 MiB pages on a TGL PPGTT and GGTT\n"
		"(mock host memory); entries written per second, against memset()\n"
		"of the same entry bytes in the same run.");
	uint64_t bytes = quick ? 8 * SZ_2M : 1ull << 30;
	int rounds = quick ? 2 : 9;
	struct gtt_pages *p4k = make_pages(bytes, PAGE);
	struct gtt_pages *p2m = make_pages(bytes, SZ_2M);
	uint64_t n4k = bytes / PAGE, n2m = bytes / SZ_2M;
	double base4k = memset_ns(n4k * 8, rounds), base2m = memset_ns(n2m * 8, rounds);

	printf("binding %" PRIu64 " MiB; memset baseline: %.1f us for %" PRIu64 " KiB, %.2f us for %" PRIu64 " KiB\n",
	       bytes >> 20, base4k / 1e3, n4k * 8 / 1024, base2m / 1e3, n2m * 8 / 1024);
	row("PPGTT, 4 KiB pages", n4k, bind_ns(GTT_MOCK_INTEL_PPGTT, bytes, p4k, rounds), base4k);
	row("PPGTT, 2 MiB pages", n2m, bind_ns(GTT_MOCK_INTEL_PPGTT, bytes, p2m, rounds), base2m);
	row("GGTT, 4 KiB pages", n4k, bind_ns(GTT_MOCK_INTEL_GGTT, bytes, p4k, rounds), base4k);
	gtt_pages_put(p4k);
	gtt_pages_put(p2m);
	return 0;
}
