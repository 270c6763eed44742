/* SPDX-License-Identifier: MIT */
/*
 * gtt-dump: build a mock GGTT or PPGTT of a chosen Intel platform, place a
 * few objects in it the way a driver would (some unbound again, one still
 * being unbound behind GPU work), and print the vm and its page table
 * decoded, run by run, the way IGT's intel_gtt prints a GGTT.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gtt/gtt.h>

#define PAGE 4096ull

static void usage(FILE *out)
{
	fprintf(out,
		"usage: gtt-dump [--platform NAME|0xDEVID] [--ppgtt] [--objects N] [--seed S]\n"
		"\n"
		"Place N objects (default 6) in a mock Intel GGTT (16 MiB) or PPGTT and\n"
		"print the vm and the page table decoded by walking it.\n"
		"\n"
		"  --platform  family name (snb ivb hsw vlv bdw chv skl bxt icl ehl tgl\n"
		"              rkl adl dg1 dg2 mtl arl lnl bmg) or a PCI device ID;\n"
		"              default tgl\n"
		"  --ppgtt     a PPGTT instead of the GGTT (gen8 and later)\n"
		"  --objects   how many objects to place (1..64)\n"
		"  --seed      placement and size seed (default 1)\n"
		"  --help      this text\n");
}

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

#define TRY(call) do { int _e = (call); if (_e) { \
	fprintf(stderr, "gtt-dump: %s\n", gtt_last_error()); return 1; } } while (0)

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "platform", required_argument, NULL, 'p' },
		{ "ppgtt", no_argument, NULL, 'P' },
		{ "objects", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct gtt_intel_platform *p = gtt_intel_platform(GTT_INTEL_TGL);
	struct gtt_mock_config mc = { .scratch_addr = 0xfee00000 };
	struct gtt_vm_config vc = { .name = "dump" };
	struct gtt_backend *be;
	struct gtt_vm *vm;
	struct gtt_fence *gpu;
	uint64_t seed = 1, lo = UINT64_MAX, hi = 0;
	unsigned int objects = 6;
	gtt_vma_t v[64];
	bool ppgtt = false;
	int c;

	while ((c = getopt_long(argc, argv, "p:Pn:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			p = gtt_intel_find(optarg);
			if (!p) {
				fprintf(stderr, "gtt-dump: unknown platform '%s' (try --help)\n", optarg);
				return 2;
			}
			break;
		case 'P':
			ppgtt = true;
			break;
		case 'n':
			objects = (unsigned int)strtoul(optarg, NULL, 10);
			if (objects < 1 || objects > 64) {
				fprintf(stderr, "gtt-dump: --objects must be 1..64\n");
				return 2;
			}
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0) | 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (ppgtt && p->ppgtt_format == GTT_PPGTT_NONE) {
		fprintf(stderr, "gtt-dump: %s has no gen8-style PPGTT\n", p->name);
		return 2;
	}
	mc.mode = ppgtt ? GTT_MOCK_INTEL_PPGTT : GTT_MOCK_INTEL_GGTT;
	mc.intel_family = p->family;
	mc.size = ppgtt ? 1ull << p->ppgtt_bits : 16ull << 20;
	/* Page 0 and the last GGTT page stay reserved, as in i915. */
	vc.start = PAGE;
	vc.size = ppgtt ? (1ull << 30) : mc.size - 2 * PAGE;
	TRY(gtt_mock_create(&mc, &be));
	vc.backend = be;
	TRY(gtt_vm_create(&vc, &vm));

	char what[32] = "GGTT";

	if (ppgtt)	/* 3 (32-bit), 4, or 5 on Xe2 */
		snprintf(what, sizeof(what), "%u-level PPGTT", p->ppgtt_levels);
	printf("%s (graphics %u.%02u): %s, %u-byte GGTT entries, %s%s\n\n", p->name,
	       p->graphics_ver / 100, p->graphics_ver % 100, what, p->ggtt_pte_size, p->has_llc ? "LLC" : "no LLC",
	       p->unconfirmed ? ", some facts UNCONFIRMED (docs/intel.md)" : "");
	for (unsigned int i = 0; i < objects; i++) {
		uint64_t n = 1 + rng(&seed) % 8;
		struct gtt_pages_segment segs[2] = {
			{ 0x100000000ull + i * 0x1000000ull, n * PAGE },
			{ 0x180000000ull + i * 0x1000000ull, PAGE * (1 + rng(&seed) % 3) },
		};
		struct gtt_bind_info bi = { .placement = (enum gtt_placement)(rng(&seed) % 3) };
		struct gtt_pages *pg;

		TRY(gtt_pages_create(segs, 1 + rng(&seed) % 2, 0, &pg));
		TRY(gtt_vma_create(vm, pg, NULL, &v[i]));
		gtt_pages_put(pg);
		TRY(gtt_vma_bind(vm, v[i], &bi, NULL));
	}
	/* Unbind one for good, and one asynchronously behind GPU work. */
	TRY(gtt_vma_unbind(vm, v[0], 0, NULL));
	TRY(gtt_fence_create(0, 0, &gpu));
	if (objects > 1) {
		TRY(gtt_vma_add_active(vm, v[1], gpu));
		TRY(gtt_vma_unbind(vm, v[1], GTT_UNBIND_ASYNC, NULL));
	}
	gtt_vm_dump(vm, stdout);
	for (struct gtt_range_node *n = gtt_range_first(gtt_vm_range_alloc(vm)); n;
	     n = gtt_range_next(gtt_vm_range_alloc(vm), n)) {
		lo = lo < gtt_range_node_start(n) ? lo : gtt_range_node_start(n);
		hi = hi > gtt_range_node_start(n) + gtt_range_node_size(n) ?
		     hi : gtt_range_node_start(n) + gtt_range_node_size(n);
	}
	if (ppgtt) {	/* the whole space is too big to walk: show the used part */
		lo = lo > 16 * PAGE ? lo - 16 * PAGE : 0;
		hi += 16 * PAGE;
	} else {
		lo = 0;
		hi = mc.size;
	}
	printf("\n%s entries 0x%" PRIx64 "-0x%" PRIx64 " (walked as the GPU would):\n",
	       ppgtt ? "PPGTT" : "GGTT", lo, hi - 1);
	TRY(gtt_backend_dump(be, lo, hi - lo, stdout));
	gtt_fence_signal(gpu, 0);
	gtt_fence_put(gpu);
	gtt_vm_destroy(vm);
	gtt_backend_destroy(be);
	return 0;
}
