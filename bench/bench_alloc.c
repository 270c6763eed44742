/* SPDX-License-Identifier: MIT */
/*
 * bench-alloc: the range allocator against Linux's drm_mm, on the same
 * request sequences in one process (issue #14's allocator rows).
 *
 * drm_mm is built in userspace from the Linux source by
 * scripts/drm-mm-baseline.sh and loaded with dlopen() from the path given
 * with --drm-mm; without it (or when it cannot be loaded) the drm_mm
 * columns are skipped and only libgtt's figures are printed.
 *
 * Workloads (every request sequence is generated before the clock starts,
 * and both allocators get the same one):
 *  - insert: N inserts of the drivers' aligned mix (below) into an empty
 *    48-bit space, best fit; N = 1k, 100k, 1M.
 *  - churn: N live nodes of the mix, then remove a random one and insert a
 *    new one (best fit), over and over.
 *  - evict: a 4 GiB space filled full with the mix (the rest with single
 *    pages), then the eviction scan for a 2 MiB or 32 MiB hole, every node
 *    evictable.  drm_mm's scan is i915's: nodes are offered in LRU order
 *    (here: the order they were inserted in) until a hole opens.  libgtt's
 *    ordered scan (struct gtt_range_scan) is offered the same order, and
 *    its victims are asked for; gtt_range_evict_scan() (FEWEST: the fewest
 *    victims over the whole range) has a line of its own.
 *  - random alignment: best-fit inserts of 1-64 pages with an alignment
 *    drawn independently of the size (4 KiB .. 16 MiB), per-insert cost
 *    as the number of nodes grows, and the holes a best-fit walk pruned
 *    by alignment alone visits for those requests (counted from the holes
 *    gtt_range_next_hole() lists, see walk_length()).
 *  - range-limited best fit: 100k small holes below 1 TiB, allocations
 *    limited to [1 TiB, 1 TiB + 1 GiB).
 *
 * The drivers' aligned mix: 50% 1-16 pages (4 KiB alignment), 25% 16-256
 * pages (64 KiB alignment), 15% 64 KiB small buffers aligned to 64 KiB
 * (compression), 10% 1-4 MiB (2 MiB alignment).
 *
 * libgtt is measured twice: with gtt_range_insert() (which allocates the
 * node) and with gtt_range_insert_in() into caller memory, like drm_mm's
 * embedded nodes (the drm_mm wrapper also allocates its nodes: see
 * scripts/drm-mm-shim/dmm_wrap.c).  The ratio is drm_mm's time / libgtt's
 * (above 1: libgtt is faster).
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <math.h>

#include <gtt/range_alloc.h>

#include "bench_util.h"

#define PAGE 4096ull
#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)
#define TiB (1024ull * GiB)

static inline double fmin_(double a, double b)
{
	return a < b ? a : b;
}

static __attribute__((noreturn)) void die(const char *what)
{
	fprintf(stderr, "bench-alloc: %s: %s\n", what, gtt_last_error());
	exit(1);
}

/* ---- drm_mm through the wrapper ---- */

struct dmm {
	void *(*create)(uint64_t start, uint64_t size, int guard);
	void (*destroy)(void *mm);
	void *(*insert)(void *mm, uint64_t size, uint64_t align,
			unsigned long color, uint64_t lo, uint64_t hi, int mode);
	int (*insert_into)(void *mm, void *node, uint64_t size, uint64_t align,
			   unsigned long color, uint64_t lo, uint64_t hi, int mode);
	void (*remove)(void *node);
	void (*remove_from)(void *node);
	size_t (*node_size)(void);
	void *(*reserve)(void *mm, uint64_t start, uint64_t size,
			 unsigned long color);
	long (*evict_scan)(void *mm, void **lru, size_t n, void **scratch,
			   uint64_t size, uint64_t align, unsigned long color,
			   uint64_t lo, uint64_t hi, int mode);
};

static int dmm_load(const char *path, struct dmm *d)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		printf("drm_mm: not loaded (%s): its columns are skipped\n", dlerror());
		return -1;
	}
#define SYM(f) (*(void **)&d->f = dlsym(h, "dmm_" #f))
	if (!SYM(create) || !SYM(destroy) || !SYM(insert) || !SYM(insert_into) ||
	    !SYM(remove) || !SYM(remove_from) || !SYM(node_size) || !SYM(reserve) || !SYM(evict_scan)) {
		printf("drm_mm: %s lacks the wrapper's symbols: its columns are skipped\n", path);
		return -1;
	}
#undef SYM
	return 0;
}

/* ---- request sequences ---- */

struct req {
	uint64_t size, align;
};

static struct req mix_one(uint64_t *rng)
{
	uint64_t r = bench_rng(rng) % 100, v = bench_rng(rng);

	if (r < 50)
		return (struct req){ (1 + v % 16) * PAGE, PAGE };
	if (r < 75)
		return (struct req){ (16 + v % 241) * PAGE, 64 * KiB };
	if (r < 90)
		return (struct req){ 64 * KiB, 64 * KiB };
	return (struct req){ (1 + v % 4) * MiB, 2 * MiB };
}

static struct req *mix(size_t n, uint64_t seed)
{
	struct req *v = malloc(n * sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = mix_one(&seed);
	return v;
}

/* ---- libgtt, both node forms ---- */

struct gtt_side {
	struct gtt_range_alloc *ra;
	struct gtt_range_node **nodes;	/* allocating form */
	struct gtt_range_node_storage *mem;	/* embedded form */
	int embedded;
};

static void gtt_open(struct gtt_side *g, uint64_t start, uint64_t size,
		     size_t n, int embedded)
{
	if (gtt_range_alloc_create(start, size, PAGE, 0, &g->ra))
		die("create");
	g->embedded = embedded;
	g->nodes = calloc(n, sizeof(*g->nodes));
	g->mem = embedded ? calloc(n, sizeof(*g->mem)) : NULL;
}

static void gtt_close(struct gtt_side *g, size_t n)
{
	if (g->embedded)
		for (size_t i = 0; i < n; i++)
			if (g->nodes[i])
				gtt_range_remove(g->ra, g->nodes[i]);
	gtt_range_alloc_destroy(g->ra);
	free(g->nodes);
	free(g->mem);
}

static inline int gtt_put(struct gtt_side *g, size_t slot, uint64_t size,
			  uint64_t align, uint64_t lo, uint64_t hi)
{
	struct gtt_range_request r = { .size = size, .alignment = align,
				       .range_start = lo, .range_end = hi,
				       .placement = GTT_PLACE_BEST };

	if (g->embedded) {
		memset(&g->mem[slot], 0, sizeof(g->mem[slot]));
		return gtt_range_insert_in(g->ra, &r, NULL, &g->mem[slot],
					   &g->nodes[slot]) ? -1 : 0;
	}
	return gtt_range_insert(g->ra, &r, NULL, &g->nodes[slot]) ? -1 : 0;
}

static inline void gtt_take(struct gtt_side *g, size_t slot)
{
	gtt_range_remove(g->ra, g->nodes[slot]);
	g->nodes[slot] = NULL;
}

/* ---- drm_mm, both node forms ---- */

struct dmm_side {
	const struct dmm *d;
	void *mm;
	void **nodes;
	char *mem;
	size_t node_size;
	int embedded;
};

static void dmm_open(struct dmm_side *s, const struct dmm *d, uint64_t start,
		     uint64_t size, size_t n, int embedded)
{
	s->d = d;
	s->mm = d->create(start, size, 0);
	s->nodes = calloc(n, sizeof(*s->nodes));
	s->node_size = d->node_size();
	s->embedded = embedded;
	s->mem = embedded ? calloc(n, s->node_size) : NULL;
}

static void dmm_close(struct dmm_side *s, size_t n)
{
	if (s->embedded)
		for (size_t i = 0; i < n; i++)
			if (s->nodes[i])
				s->d->remove_from(s->nodes[i]);
	s->d->destroy(s->mm);
	free(s->nodes);
	free(s->mem);
}

static inline int dmm_put(struct dmm_side *s, size_t slot, uint64_t size,
			  uint64_t align, uint64_t lo, uint64_t hi)
{
	if (s->embedded) {
		void *n = s->mem + slot * s->node_size;

		memset(n, 0, s->node_size);
		if (s->d->insert_into(s->mm, n, size, align, 0, lo, hi, 0))
			return -1;
		s->nodes[slot] = n;
		return 0;
	}
	s->nodes[slot] = s->d->insert(s->mm, size, align, 0, lo, hi, 0);
	return s->nodes[slot] ? 0 : -1;
}

static inline void dmm_take(struct dmm_side *s, size_t slot)
{
	if (s->embedded)
		s->d->remove_from(s->nodes[slot]);
	else
		s->d->remove(s->nodes[slot]);
	s->nodes[slot] = NULL;
}

/* ---- workloads ---- */

#define SPACE_START (1ull << 20)
#define SPACE_SIZE (1ull << 47)

/* ns per insert of @n mix requests into an empty space; -1 on failure. */
static double insert_gtt(const struct req *v, size_t n, int embedded)
{
	struct gtt_side g;
	uint64_t t;

	gtt_open(&g, SPACE_START, SPACE_SIZE, n, embedded);
	t = bench_now();
	for (size_t i = 0; i < n; i++)
		if (gtt_put(&g, i, v[i].size, v[i].align, 0, 0))
			die("insert");
	t = bench_now() - t;
	gtt_close(&g, n);
	return (double)t / (double)n;
}

static double insert_dmm(const struct dmm *d, const struct req *v, size_t n,
			 int embedded)
{
	struct dmm_side s;
	uint64_t t;

	dmm_open(&s, d, SPACE_START, SPACE_SIZE, n, embedded);
	t = bench_now();
	for (size_t i = 0; i < n; i++)
		if (dmm_put(&s, i, v[i].size, v[i].align, 0, UINT64_MAX))
			die("drm_mm insert");
	t = bench_now() - t;
	dmm_close(&s, n);
	return (double)t / (double)n;
}

/* The churn's victims and new requests, the same for both. */
struct churn {
	size_t live, ops;
	struct req *fill, *next;
	size_t *victim;
};

static void churn_make(struct churn *c, size_t live, size_t ops)
{
	uint64_t seed = 777;

	c->live = live;
	c->ops = ops;
	c->fill = mix(live, 99);
	c->next = mix(ops, 1234);
	c->victim = malloc(ops * sizeof(*c->victim));
	for (size_t i = 0; i < ops; i++)
		c->victim[i] = bench_rng(&seed) % live;
}

static double churn_gtt(const struct churn *c, int embedded)
{
	struct gtt_side g;
	uint64_t t;

	gtt_open(&g, SPACE_START, SPACE_SIZE, c->live, embedded);
	for (size_t i = 0; i < c->live; i++)
		if (gtt_put(&g, i, c->fill[i].size, c->fill[i].align, 0, 0))
			die("fill");
	t = bench_now();
	for (size_t i = 0; i < c->ops; i++) {
		gtt_take(&g, c->victim[i]);
		if (gtt_put(&g, c->victim[i], c->next[i].size, c->next[i].align, 0, 0))
			die("churn");
	}
	t = bench_now() - t;
	gtt_close(&g, c->live);
	return (double)t / (double)c->ops;
}

static double churn_dmm(const struct dmm *d, const struct churn *c, int embedded)
{
	struct dmm_side s;
	uint64_t t;

	dmm_open(&s, d, SPACE_START, SPACE_SIZE, c->live, embedded);
	for (size_t i = 0; i < c->live; i++)
		if (dmm_put(&s, i, c->fill[i].size, c->fill[i].align, 0, UINT64_MAX))
			die("drm_mm fill");
	t = bench_now();
	for (size_t i = 0; i < c->ops; i++) {
		dmm_take(&s, c->victim[i]);
		if (dmm_put(&s, c->victim[i], c->next[i].size, c->next[i].align, 0, UINT64_MAX))
			die("drm_mm churn");
	}
	t = bench_now() - t;
	dmm_close(&s, c->live);
	return (double)t / (double)c->ops;
}

static void print_ratio(const char *what, double gtt_ns, double gtt_emb_ns,
			double dmm_ns, double dmm_emb_ns, int have_dmm)
{
	if (have_dmm)
		printf("%-28s %10.1f %10.1f %10.1f %10.1f   %5.2fx %5.2fx\n", what,
		       gtt_ns, gtt_emb_ns, dmm_ns, dmm_emb_ns, dmm_ns / gtt_ns,
		       dmm_emb_ns / gtt_emb_ns);
	else
		printf("%-28s %10.1f %10.1f %10s %10s\n", what, gtt_ns, gtt_emb_ns,
		       "-", "-");
}

static void header(const char *title)
{
	printf("\n%s\n%-28s %10s %10s %10s %10s   %s\n", title, "",
	       "gtt ns", "gtt-emb ns", "drm_mm ns", "dmm-emb ns",
	       "ratio (drm_mm/gtt, alloc / embedded)");
}

static void bench_insert(const struct dmm *d, int quick)
{
	static const size_t sizes[] = { 1000, 100000, 1000000 };

	header("insert: drivers' aligned mix into an empty space, best fit, ns per insert");
	for (size_t k = 0; k < 3; k++) {
		size_t n = quick ? sizes[k] / 100 : sizes[k];
		int reps = n < 10000 ? 200 : n < 200000 ? 5 : 1;
		struct req *v = mix(n, 42 + k);
		double a = 1e30, b = 1e30, c = 1e30, e = 1e30;
		char what[64];

		/* Best of a few repetitions, alternating, for the small sizes. */
		for (int r = 0; r < reps; r++) {
			a = fmin_(a, insert_gtt(v, n, 0));
			b = fmin_(b, insert_gtt(v, n, 1));
			if (d) {
				c = fmin_(c, insert_dmm(d, v, n, 0));
				e = fmin_(e, insert_dmm(d, v, n, 1));
			}
		}
		snprintf(what, sizeof(what), "%zu nodes", n);
		print_ratio(what, a, b, c, e, d != NULL);
		free(v);
	}
}

static void bench_churn(const struct dmm *d, int quick)
{
	static const size_t sizes[] = { 1000, 100000, 1000000 };

	header("churn: remove a random live node, insert one of the mix (best fit), ns per pair");
	for (size_t k = 0; k < 3; k++) {
		size_t n = quick ? sizes[k] / 100 : sizes[k];
		struct churn c;
		double a = 1e30, b = 1e30, x = 1e30, e = 1e30;
		char what[64];

		churn_make(&c, n, quick ? 2000 : 1000000);
		for (int r = 0; r < (quick ? 1 : 2); r++) {
			a = fmin_(a, churn_gtt(&c, 0));
			b = fmin_(b, churn_gtt(&c, 1));
			if (d) {
				x = fmin_(x, churn_dmm(d, &c, 0));
				e = fmin_(e, churn_dmm(d, &c, 1));
			}
		}
		snprintf(what, sizeof(what), "%zu live", n);
		print_ratio(what, a, b, x, e, d != NULL);
		free(c.fill);
		free(c.next);
		free(c.victim);
	}
}

static bool all_evictable(void *arg, struct gtt_range_node *node)
{
	(void)arg;
	(void)node;
	return true;
}

#define EVICT_ROUNDS 9

/* One line of the evict table; @x < 0: no drm_mm. */
static void print_evict(const char *what, double g, size_t victims, double x, long dv)
{
	if (x >= 0)
		printf("%-34s %12.0f %8zu %12.0f %8ld   %5.2fx\n", what, g, victims, x, dv, x / g);
	else
		printf("%-34s %12.0f %8zu %12s %8s\n", what, g, victims, "-", "-");
}

static void bench_evict(const struct dmm *d, int quick)
{
	uint64_t space = quick ? 64 * MiB : 4 * GiB, seed = 5, t;
	size_t cap = 1 << 22, n = 0, fails = 0;
	struct gtt_range_node **order = malloc(cap * sizeof(*order));
	struct gtt_range_node **victims = malloc(cap * sizeof(*victims));
	void **lru = NULL, **scratch = NULL, *mm = NULL;
	struct gtt_range_alloc *ra;
	static const uint64_t holes[] = { 2 * MiB, 32 * MiB };

	if (gtt_range_alloc_create(0, space, PAGE, 0, &ra))
		die("create");
	/* Fill with the mix until it stops fitting, then single pages. */
	while (fails < 64 && n < cap) {
		struct req q = mix_one(&seed);
		struct gtt_range_request r = { .size = q.size, .alignment = q.align };

		if (gtt_range_insert(ra, &r, NULL, &order[n]))
			fails++;
		else
			n++;
	}
	for (;;) {
		struct gtt_range_request r = { .size = PAGE };

		if (n == cap || gtt_range_insert(ra, &r, NULL, &order[n]))
			break;
		n++;
	}
	if (d) {
		mm = d->create(0, space, 0);
		lru = malloc(n * sizeof(*lru));
		scratch = malloc(n * sizeof(*scratch));
		for (size_t i = 0; i < n; i++)
			if (!(lru[i] = d->reserve(mm, gtt_range_node_start(order[i]),
						  gtt_range_node_size(order[i]), 0)))
				die("drm_mm reserve");
	}
	printf("\nevict: %zu nodes fill %" PRIu64 " MiB; scan for a hole, every node evictable;\n"
	       "ordered: both offered the nodes in insertion order (i915's LRU) until a hole\n"
	       "opens, then asked for the victims; fewest: gtt_range_evict_scan(); ns per scan,\n"
	       "the fastest of %d rounds, the sides taking turns\n",
	       n, (uint64_t)(space / MiB), quick ? 1 : EVICT_ROUNDS);
	printf("%-34s %12s %8s %12s %8s   %s\n", "", "gtt ns", "victims", "drm_mm ns",
	       "victims", "ratio (drm_mm/gtt)");
	for (int h = 0; h < 2; h++) {
		uint64_t sz = quick ? holes[h] / 16 : holes[h];
		struct gtt_range_request r = { .size = sz, .alignment = PAGE };
		int reps = quick ? 10 : 200;
		size_t count = 0, ocount = 0, offered = 0;
		long dv = -1;
		double g = HUGE_VAL, o = HUGE_VAL, x = HUGE_VAL;
		char what[64];

		for (int round = 0; round < (quick ? 1 : EVICT_ROUNDS); round++) {
			t = bench_now();
			for (int i = 0; i < reps; i++) {
				struct gtt_range_scan scan;
				int ret = 0;

				offered = 0;
				if (gtt_range_scan_init(&scan, ra, &r))
					die("scan init");
				while (!ret && offered < n)
					ret = gtt_range_scan_add(&scan, order[offered++]);
				if (ret != 1 || gtt_range_scan_victims(&scan, victims, cap, &ocount))
					die("ordered scan");
				gtt_range_scan_finish(&scan);
			}
			o = fmin_(o, (double)(bench_now() - t) / reps);
			if (d) {
				t = bench_now();
				for (int i = 0; i < reps; i++)
					dv = d->evict_scan(mm, lru, n, scratch, sz, PAGE, 0, 0,
							   space, 0);
				x = fmin_(x, (double)(bench_now() - t) / reps);
			}
			if (round < 3) {	/* FEWEST is slow, and steadier */
				t = bench_now();
				for (int i = 0; i < reps; i++)
					if (gtt_range_evict_scan(ra, &r, all_evictable, NULL,
								 victims, cap, &count))
						die("evict scan");
				g = fmin_(g, (double)(bench_now() - t) / reps);
			}
		}
		snprintf(what, sizeof(what), "%" PRIu64 " KiB hole, ordered (%zu offered)",
			 (uint64_t)(sz / KiB), offered);
		print_evict(what, o, ocount, d ? x : -1, dv);
		snprintf(what, sizeof(what), "%" PRIu64 " KiB hole, fewest", (uint64_t)(sz / KiB));
		print_evict(what, g, count, d ? x : -1, dv);
	}
	if (d)
		d->destroy(mm);
	gtt_range_alloc_destroy(ra);
	free(order);
	free(victims);
	free(lru);
	free(scratch);
}

struct hole {
	uint64_t start, size;
};

static int hole_order(const void *a, const void *b)
{
	const struct hole *x = a, *y = b;

	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * How many holes a best-fit walk visits per request of @q (@nq of them)
 * in @ra as it stands, when it skips only the holes that are too small or
 * hold no address of the request's alignment (the pruning the size tree's
 * max_align gives): in (size, start) order, from the first hole of at
 * least the size, each hole holding an aligned address, up to and with
 * the first where the node fits.  Bytes after that address decide the
 * fit; an exact search would visit one.  Counted from the hole list
 * alone (the space does not reach 2^64: no sum here wraps).
 */
static double walk_length(struct gtt_range_alloc *ra, const struct req *q,
			  size_t nq)
{
	size_t n = 0, cap = 1024;
	struct hole *h = malloc(cap * sizeof(*h));
	uint64_t from = 0, start, size, visits = 0;

	if (!h)
		die("walk_length");
	while (!gtt_range_next_hole(ra, from, &start, &size)) {
		if (n == cap && !(h = realloc(h, (cap *= 2) * sizeof(*h))))
			die("walk_length");
		h[n++] = (struct hole){ start, size };
		from = start + size;
	}
	qsort(h, n, sizeof(*h), hole_order);
	for (size_t i = 0; i < nq; i++) {
		size_t lo = 0, hi = n;

		while (lo < hi) {	/* the first hole of at least the size */
			size_t mid = lo + (hi - lo) / 2;

			if (h[mid].size < q[i].size)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < n; lo++) {
			uint64_t a = q[i].align, c = (h[lo].start + a - 1) & ~(a - 1);

			if (c - h[lo].start >= h[lo].size)
				continue;	/* no aligned address: pruned */
			visits++;
			if (h[lo].size - (c - h[lo].start) >= q[i].size)
				break;
		}
	}
	free(h);
	return (double)visits / (double)nq;
}

/* Random alignment unrelated to the size: ns per insert around @n nodes. */
static void bench_random_align(const struct dmm *d, int quick)
{
	static const size_t marks[] = { 1000, 10000, 30000, 100000 };
	size_t total = quick ? 3000 : 100000, dmm_total = quick ? 3000 : 30000;
	struct req *v = malloc(total * sizeof(*v));
	uint64_t seed = 31;
	struct gtt_side g;
	struct dmm_side s;

	for (size_t i = 0; i < total; i++) {
		v[i].size = (1 + bench_rng(&seed) % 64) * PAGE;
		v[i].align = PAGE << (bench_rng(&seed) % 13);
	}
	printf("\nrandom alignment (4 KiB..16 MiB) unrelated to the size (1-64 pages), best fit:\n"
	       "ns per insert over the 1000 inserts before each count (drm_mm stops at %zu);\n"
	       "walk: holes a walk pruned by alignment alone visits per request of those 1000, at the count\n",
	       dmm_total);
	printf("%-28s %12s %12s %12s\n", "", "gtt ns", "drm_mm ns", "walk");
	gtt_open(&g, SPACE_START, SPACE_SIZE, total, 0);
	if (d)
		dmm_open(&s, d, SPACE_START, SPACE_SIZE, dmm_total, 0);
	for (size_t m = 0, i = 0; m < 4 && marks[m] <= total; m++) {
		uint64_t t = 0, td = 0;

		for (; i < marks[m]; i++) {
			uint64_t t0 = bench_now();

			if (gtt_put(&g, i, v[i].size, v[i].align, 0, 0))
				die("insert");
			if (i + 1000 >= marks[m])
				t += bench_now() - t0;
			if (d && i < dmm_total) {
				t0 = bench_now();
				if (dmm_put(&s, i, v[i].size, v[i].align, 0, UINT64_MAX))
					die("drm_mm insert");
				if (i + 1000 >= marks[m])
					td += bench_now() - t0;
			}
		}
		char what[64], dmm_ns[32] = "-";
		double walk = walk_length(g.ra, v + marks[m] - 1000, 1000);

		snprintf(what, sizeof(what), "at %zu nodes", marks[m]);
		if (d && marks[m] <= dmm_total)
			snprintf(dmm_ns, sizeof(dmm_ns), "%.1f", td / 1000.0);
		printf("%-28s %12.1f %12s %12.1f\n", what, t / 1000.0, dmm_ns, walk);
	}
	gtt_close(&g, total);
	if (d)
		dmm_close(&s, dmm_total);
	free(v);
}

/* Best fit limited to a range, with many holes outside it. */
static void bench_range_best(const struct dmm *d, int quick)
{
	size_t holes = quick ? 1000 : 100000, n = 2 * holes;
	int reps = quick ? 100 : 2000, dreps = quick ? 100 : 200;
	uint64_t lo = 1 * TiB, hi = lo + GiB, t;
	struct gtt_side g;
	struct dmm_side s;
	double a, x = 0;

	gtt_open(&g, SPACE_START, SPACE_SIZE, n + 1, 0);
	for (size_t i = 0; i < n; i++)
		if (gtt_put(&g, i, PAGE, PAGE, 0, 0))
			die("fill");
	for (size_t i = 0; i < n; i += 2)
		gtt_take(&g, i);
	t = bench_now();
	for (int i = 0; i < reps; i++) {
		if (gtt_put(&g, n, PAGE, PAGE, lo, hi))
			die("range insert");
		gtt_take(&g, n);
	}
	a = (double)(bench_now() - t) / reps;
	gtt_close(&g, n + 1);
	if (d) {
		dmm_open(&s, d, SPACE_START, SPACE_SIZE, n + 1, 0);
		for (size_t i = 0; i < n; i++)
			if (dmm_put(&s, i, PAGE, PAGE, 0, UINT64_MAX))
				die("drm_mm fill");
		for (size_t i = 0; i < n; i += 2)
			dmm_take(&s, i);
		t = bench_now();
		for (int i = 0; i < dreps; i++) {
			if (dmm_put(&s, n, PAGE, PAGE, lo, hi))
				die("drm_mm range insert");
			dmm_take(&s, n);
		}
		x = (double)(bench_now() - t) / dreps;
		dmm_close(&s, n + 1);
	}
	printf("\nbest fit limited to [1 TiB, +1 GiB), %zu one-page holes below it, ns per insert+remove\n",
	       holes);
	if (d)
		printf("%-28s %12.1f %12.1f   %5.0fx\n", "gtt / drm_mm", a, x, x / a);
	else
		printf("%-28s %12.1f %12s\n", "gtt / drm_mm", a, "-");
}

/* Is @name in the comma-separated @list (NULL: every part)? */
static int part(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, name, len) && (p[len] == ',' || !p[len]))
			return 1;
	return !list;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *only = NULL;
	struct dmm d;
	const struct dmm *dp = NULL;
	int quick = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			quick = 1;
		} else if (!strcmp(argv[i], "--drm-mm") && i + 1 < argc) {
			path = argv[++i];
		} else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
			only = argv[++i];
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: %s [--quick] [--drm-mm LIB] [--only PARTS]\n\n"
			       "The range allocator against drm_mm on the same sequences.\n"
			       "  --drm-mm LIB  libdrm_mm_baseline.so from scripts/drm-mm-baseline.sh\n"
			       "                (without it only libgtt's figures are printed)\n"
			       "  --only PARTS  comma-separated: insert, churn, evict, align, range\n"
			       "                (default: all of them)\n"
			       "  --quick       tiny sizes, for a smoke test (figures are not meaningful)\n",
			       argv[0]);
			return 0;
		} else {
			fprintf(stderr, "%s: unknown option %s (try --help)\n", argv[0], argv[i]);
			return 2;
		}
	}
	if (!path)
		printf("drm_mm: no --drm-mm given: its columns are skipped\n");
	else if (!dmm_load(path, &d))
		dp = &d;
	if (part(only, "insert"))
		bench_insert(dp, quick);
	if (part(only, "churn"))
		bench_churn(dp, quick);
	if (part(only, "evict"))
		bench_evict(dp, quick);
	if (part(only, "align"))
		bench_random_align(dp, quick);
	if (part(only, "range"))
		bench_range_best(dp, quick);
	return 0;
}
