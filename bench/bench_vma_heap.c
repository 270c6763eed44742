/* SPDX-License-Identifier: MIT */
/*
 * bench-vma-heap: the range allocator against Mesa's util_vma_heap, on the
 * same random sequences in one process (issue #14).
 *
 *   bench-vma-heap [--quick] DIR
 *
 * DIR holds util_vma_heap's source (vma.c, util/vma.h: CI passes
 * ../shared/baselines/mesa-util-vma).  It is compiled here with $CC (or
 * cc) -O2 -DNDEBUG, as Mesa's release builds are, into a temporary shared
 * library and loaded with dlopen(); nothing of it is linked into libgtt.
 * Without DIR, or when it cannot be built, the bench says so and exits 0.
 *
 * Three parts:
 *  - differential: random allocations and frees, every address from
 *    util_vma_heap (alloc_high, and low) compared with libgtt's
 *    GTT_PLACE_HIGH (GTT_PLACE_LOW) on the same sequence, at 4 KiB pages
 *    and at byte granularity, in heaps low in the space and in heaps that
 *    end at 2^64; any difference is an error (exit 1).
 *  - churn at 1k live: free a random allocation and allocate again.
 *  - filling an empty heap: allocations only; and the floor of any design
 *    with a node per allocation on the same sequence: a node of libgtt's
 *    size linked into an address-ordered red-black tree alone (lib/base/
 *    rbtree.h, header only: no search, no checks, no hole), and malloc()
 *    of one alone.
 * The ratio is util_vma_heap's time / libgtt's (above 1: libgtt is faster).
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdbool.h>
#include <unistd.h>

#include <gtt/range_alloc.h>

#include "base/rbtree.h"	/* fill_floor(): the tree link alone */
#include "bench_util.h"

#define PAGE 4096ull

/* util/vma.h's struct util_vma_heap, laid out as Mesa 23.3 declares it. */
struct vma_heap {
	struct { void *prev, *next; } holes;
	uint64_t free_size;
	bool alloc_high;
	unsigned int nospan_shift;
	char spare[64];		/* room, should a newer vma.h grow it */
};

static struct {
	void (*init)(struct vma_heap *h, uint64_t start, uint64_t size);
	void (*finish)(struct vma_heap *h);
	uint64_t (*alloc)(struct vma_heap *h, uint64_t size, uint64_t align);
	void (*free)(struct vma_heap *h, uint64_t offset, uint64_t size);
} mesa;

static __attribute__((noreturn)) void die(const char *what)
{
	fprintf(stderr, "bench-vma-heap: %s: %s\n", what, gtt_last_error());
	exit(1);
}

/* Build DIR/vma.c and load it: 0, or -1 after saying why. */
static int load_mesa(const char *dir)
{
	char tmp[] = "/tmp/bench-vma-heap-XXXXXX", cmd[4096], lib[64];
	const char *cc = getenv("CC");
	void *h;

	if (!mkdtemp(tmp)) {
		printf("util_vma_heap: no temporary directory: skipped\n");
		return -1;
	}
	snprintf(lib, sizeof(lib), "%s/libvma.so", tmp);
	snprintf(cmd, sizeof(cmd), "%s -O2 -DNDEBUG -fPIC -shared -I'%s' -o '%s' '%s/vma.c' 2>&1",
		 cc && *cc ? cc : "cc", dir, lib, dir);
	if (system(cmd) != 0) {
		printf("util_vma_heap: could not build %s/vma.c: skipped\n", dir);
		return -1;
	}
	h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	unlink(lib);
	rmdir(tmp);
	if (!h) {
		printf("util_vma_heap: %s: skipped\n", dlerror());
		return -1;
	}
	*(void **)&mesa.init = dlsym(h, "util_vma_heap_init");
	*(void **)&mesa.finish = dlsym(h, "util_vma_heap_finish");
	*(void **)&mesa.alloc = dlsym(h, "util_vma_heap_alloc");
	*(void **)&mesa.free = dlsym(h, "util_vma_heap_free");
	if (!mesa.init || !mesa.finish || !mesa.alloc || !mesa.free) {
		printf("util_vma_heap: symbols missing: skipped\n");
		return -1;
	}
	return 0;
}

/* Placements compared that end exactly at 2^64. */
static uint64_t ended_at_top;

struct live {
	uint64_t addr, size;
	struct gtt_range_node *node;
};

/*
 * One random sequence on both: @ops steps, allocations of 1..@maxu units
 * of @unit with alignment unit << 0..@maxa, frees of a random live one.
 * Returns the placements compared; exits on a difference.
 */
static uint64_t differential(uint64_t seed, uint64_t unit, uint64_t start,
			     uint64_t units, bool high, size_t ops,
			     unsigned int maxu, unsigned int maxa)
{
	struct vma_heap mh;
	struct gtt_range_alloc *ra;
	struct live *lv = malloc(ops * sizeof(*lv));
	size_t n = 0;
	uint64_t compared = 0;

	memset(&mh, 0, sizeof(mh));
	mesa.init(&mh, start, units * unit);
	mh.alloc_high = high;
	if (gtt_range_alloc_create(start, units * unit, unit, 0, &ra))
		die("create");
	for (size_t i = 0; i < ops; i++) {
		if (n && bench_rng(&seed) % 100 < 45) {
			size_t k = bench_rng(&seed) % n;

			mesa.free(&mh, lv[k].addr, lv[k].size);
			if (gtt_range_remove(ra, lv[k].node))
				die("remove");
			lv[k] = lv[--n];
			continue;
		}
		uint64_t size = (1 + bench_rng(&seed) % maxu) * unit;
		uint64_t align = unit << (bench_rng(&seed) % (maxa + 1));
		struct gtt_range_request r = { .size = size, .alignment = align,
					       .placement = high ? GTT_PLACE_HIGH : GTT_PLACE_LOW };
		uint64_t m = mesa.alloc(&mh, size, align);
		struct gtt_range_node *node = NULL;
		int err = gtt_range_insert(ra, &r, NULL, &node);

		if ((m == 0) != (err != 0) || (!err && gtt_range_node_start(node) != m)) {
			fprintf(stderr, "bench-vma-heap: differ at step %zu (seed %" PRIu64 "): util_vma_heap 0x%" PRIx64 ", libgtt %s0x%" PRIx64 "\n",
				i, seed, m, err ? "error " : "", err ? (uint64_t)-err : gtt_range_node_start(node));
			exit(1);
		}
		compared++;
		ended_at_top += !err && m + size == 0;
		if (!err)
			lv[n++] = (struct live){ m, size, node };
	}
	mesa.finish(&mh);
	gtt_range_alloc_destroy(ra);
	free(lv);
	return compared;
}

/* Churn at @live: ns per free+alloc pair; @which 0 mesa, 1 gtt, 2 gtt embedded. */
static double churn(int which, size_t live, size_t ops)
{
	uint64_t seed = 99, heap = (uint64_t)live * 64 * PAGE * 2, t;
	struct live *lv = calloc(live, sizeof(*lv));
	struct gtt_range_node_storage *mem = calloc(live, sizeof(*mem));
	uint64_t *sizes = malloc(ops * sizeof(*sizes));
	size_t *victim = malloc(ops * sizeof(*victim));
	struct gtt_range_alloc *ra = NULL;
	struct vma_heap mh;
	struct gtt_range_request r = { .placement = GTT_PLACE_HIGH };

	for (size_t i = 0; i < ops; i++) {
		sizes[i] = (1 + bench_rng(&seed) % 64) * PAGE;
		victim[i] = bench_rng(&seed) % live;
	}
	memset(&mh, 0, sizeof(mh));
	if (which == 0) {
		mesa.init(&mh, PAGE, heap);
	} else if (gtt_range_alloc_create(PAGE, heap, PAGE, 0, &ra)) {
		die("create");
	}
	for (size_t i = 0; i < live; i++) {
		lv[i].size = sizes[i % ops];
		r.size = lv[i].size;
		if (which == 0)
			lv[i].addr = mesa.alloc(&mh, lv[i].size, PAGE);
		else if (which == 1 ? gtt_range_insert(ra, &r, NULL, &lv[i].node)
				    : gtt_range_insert_in(ra, &r, NULL, &mem[i], &lv[i].node))
			die("fill");
	}
	t = bench_now();
	for (size_t i = 0; i < ops; i++) {
		struct live *v = &lv[victim[i]];

		if (which == 0) {
			mesa.free(&mh, v->addr, v->size);
			v->size = sizes[i];
			v->addr = mesa.alloc(&mh, v->size, PAGE);
		} else {
			gtt_range_remove(ra, v->node);
			r.size = v->size = sizes[i];
			if (which == 1 ? gtt_range_insert(ra, &r, NULL, &v->node)
				       : gtt_range_insert_in(ra, &r, NULL, &mem[victim[i]], &v->node))
				die("churn");
		}
	}
	t = bench_now() - t;
	if (which == 0) {
		mesa.finish(&mh);
	} else {
		if (which == 2)
			for (size_t i = 0; i < live; i++)
				gtt_range_remove(ra, lv[i].node);
		gtt_range_alloc_destroy(ra);
	}
	free(lv);
	free(mem);
	free(sizes);
	free(victim);
	return (double)t / (double)ops;
}

/* Fill an empty heap with @n allocations: ns per allocation. */
static double fill(int which, size_t n)
{
	uint64_t seed = 7, t;
	uint64_t *sizes = malloc(n * sizeof(*sizes));
	struct gtt_range_node_storage *mem = which == 2 ? calloc(n, sizeof(*mem)) : NULL;
	struct gtt_range_node **nodes = calloc(n, sizeof(*nodes));
	struct gtt_range_alloc *ra = NULL;
	struct vma_heap mh;
	struct gtt_range_request r = { .placement = GTT_PLACE_HIGH };

	for (size_t i = 0; i < n; i++)
		sizes[i] = (1 + bench_rng(&seed) % 16) * PAGE;
	memset(&mh, 0, sizeof(mh));
	if (which == 0)
		mesa.init(&mh, PAGE, 1ull << 47);
	else if (gtt_range_alloc_create(PAGE, 1ull << 47, PAGE, 0, &ra))
		die("create");
	t = bench_now();
	for (size_t i = 0; i < n; i++) {
		r.size = sizes[i];
		if (which == 0) {
			if (!mesa.alloc(&mh, sizes[i], PAGE))
				die("util_vma_heap_alloc");
		} else if (which == 1 ? gtt_range_insert(ra, &r, NULL, &nodes[i])
				      : gtt_range_insert_in(ra, &r, NULL, &mem[i], &nodes[i])) {
			die("fill");
		}
	}
	t = bench_now() - t;
	if (which == 0) {
		mesa.finish(&mh);
	} else {
		if (which == 2)
			for (size_t i = 0; i < n; i++)
				gtt_range_remove(ra, nodes[i]);
		gtt_range_alloc_destroy(ra);
	}
	free(sizes);
	free(mem);
	free(nodes);
	return (double)t / (double)n;
}

/* A node of gtt_range_node's 152 bytes, linked by address. */
struct floor_node {
	struct rb_node by_addr;
	uint64_t start;
	char rest[152 - sizeof(struct rb_node) - sizeof(uint64_t)];
};

/*
 * The floor of fill() with a node per allocation, ns per allocation:
 * @which 0 links each node (in memory touched before the clock starts)
 * into an address tree as the new successor of a head at the bottom, as
 * fill()'s HIGH placements go into libgtt's by_addr; @which 1 mallocs a
 * node of that size.
 */
static double fill_floor(int which, size_t n, size_t unused)
{
	struct floor_node *v = NULL;
	void **p = NULL;
	struct rb_tree t;
	uint64_t tm;

	(void)unused;
	rb_init(&t);
	if (which == 0) {
		v = calloc(n + 1, sizeof(*v));
		if (!v)
			die("calloc");
		memset(v, 0, (n + 1) * sizeof(*v));
		rb_insert_with(&t, NULL, &t.root, &v[n].by_addr, NULL);
	} else if (!(p = calloc(n, sizeof(*p)))) {
		die("calloc");
	}
	tm = bench_now();
	for (size_t i = 0; i < n; i++) {
		if (v) {
			v[i].start = (1ull << 47) - (i + 1) * PAGE;
			rb_insert_after_with(&t, &v[n].by_addr, &v[i].by_addr, NULL);
		} else if (!(p[i] = malloc(sizeof(struct floor_node)))) {
			die("malloc");
		}
	}
	tm = bench_now() - tm;
	if (p)
		for (size_t i = 0; i < n; i++)
			free(p[i]);
	free(p);
	free(v);
	return (double)tm / (double)n;
}

static double best3(double (*f)(int, size_t, size_t), int which, size_t a, size_t b)
{
	double m = 1e30;

	for (int i = 0; i < 3; i++) {
		double v = f(which, a, b);

		m = v < m ? v : m;
	}
	return m;
}

static double fill2(int which, size_t n, size_t unused)
{
	(void)unused;
	return fill(which, n);
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	int quick = 0;
	uint64_t compared = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			quick = 1;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: %s [--quick] DIR\n\n"
			       "The range allocator against Mesa's util_vma_heap on the same sequences.\n"
			       "  DIR      util_vma_heap's source (vma.c, util/vma.h), built here with $CC\n"
			       "  --quick  tiny sizes, for a smoke test (figures are not meaningful)\n",
			       argv[0]);
			return 0;
		} else if (argv[i][0] == '-' || dir) {
			fprintf(stderr, "%s: unexpected argument %s (try --help)\n", argv[0], argv[i]);
			return 2;
		} else {
			dir = argv[i];
		}
	}
	if (!dir) {
		printf("util_vma_heap: no source directory given: skipped\n");
		return 0;
	}
	if (load_mesa(dir))
		return 0;

	/* Differential: the same addresses, or exit 1. */
	for (int high = 1; high >= 0; high--) {
		uint64_t c = 0, top = 0;
		size_t ops = quick ? 2000 : 40000;

		for (uint64_t seed = 1; seed <= (quick ? 2 : 4); seed++) {
			c += differential(seed, PAGE, PAGE, 4096, high, ops, 64, 6);
			c += differential(seed + 100, PAGE, 1ull << 32, 1u << 20, high, ops, 256, 9);
			c += differential(seed + 200, 1, 1, 100000, high, ops, 300, 7);
			c += differential(seed + 300, 64, 64, 20000, high, ops, 40, 4);
			/* Heaps that end at 2^64 (the top of a 64-bit VA). */
			top += differential(seed + 400, PAGE, 0 - 4096 * PAGE, 4096, high, ops, 64, 6);
			top += differential(seed + 500, 1, 0 - 100000ull, 100000, high, ops, 300, 7);
		}
		printf("differential, %s: %" PRIu64 " placements compared (%" PRIu64 " in heaps ending at 2^64), all equal\n",
		       high ? "util_vma_heap alloc_high vs GTT_PLACE_HIGH"
			    : "util_vma_heap low vs GTT_PLACE_LOW", c + top, top);
		compared += c + top;
	}
	printf("total: %" PRIu64 " placements, identical addresses (%" PRIu64 " ending at 2^64)\n\n",
	       compared, ended_at_top);

	printf("%-34s %12s %12s %12s   %s\n", "", "mesa ns", "gtt ns", "gtt-emb ns",
	       "ratio (mesa/gtt, alloc / embedded)");
	{
		size_t ops = quick ? 10000 : 2000000;
		double m = best3(churn, 0, 1000, ops), g = best3(churn, 1, 1000, ops),
		       e = best3(churn, 2, 1000, ops);

		printf("%-34s %12.1f %12.1f %12.1f   %5.2fx %5.2fx\n",
		       "churn, 1k live (free+alloc, HIGH)", m, g, e, m / g, m / e);
	}
	for (size_t n = 1000; n <= (quick ? 1000u : 1000000u); n *= 1000) {
		double m = best3(fill2, 0, n, 0), g = best3(fill2, 1, n, 0),
		       e = best3(fill2, 2, n, 0);
		char what[64];

		snprintf(what, sizeof(what), "fill an empty heap, %zu allocs", n);
		printf("%-34s %12.1f %12.1f %12.1f   %5.2fx %5.2fx\n", what, m, g, e,
		       m / g, m / e);
	}
	printf("\nfloor of a node per allocation, the same fills (ns per alloc):\n"
	       "%-34s %12s %12s   %s\n", "", "tree link", "malloc", "best ratio (mesa/floor, allocated / caller node)");
	for (size_t n = 1000; n <= (quick ? 1000u : 1000000u); n *= 1000) {
		double m = best3(fill2, 0, n, 0), l = best3(fill_floor, 0, n, 0),
		       a = best3(fill_floor, 1, n, 0);
		char what[64];

		snprintf(what, sizeof(what), "fill floor, %zu allocs", n);
		printf("%-34s %12.1f %12.1f   %5.2fx %5.2fx\n", what, l, a, m / (l + a), m / l);
	}
	return 0;
}
