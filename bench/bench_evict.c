/* SPDX-License-Identifier: MIT */
/*
 * bench-evict: the eviction orders (gtt/vm.h, enum gtt_evict_order) on a
 * full vm of N one-page vmas (mock backend, manual executor, one thread).
 *
 * Each step binds a vma of H pages with GTT_BIND_EVICT, the only thing
 * timed (the scan, the victims' unbinds, the bind); then, untimed, the vma
 * is unbound and the victims are bound again where they were, which makes
 * them the most recently used.  H = 1 and 32 pages; N = 4k, 16k, 64k.
 *
 * Orders: fewest (the allocator's scan); lru with the vmas used in
 * address order (the first H candidates open the hole) and in a random
 * order (a run of H adjacent ones forms only after most of the vmas were
 * considered: the worst case for an ordered scan, as for drm_mm's); and
 * roster listing every vma from the caller's array, in address order and
 * in a random one.  The figure is CPU time per evicting bind
 * (CLOCK_THREAD_CPUTIME_ID), the mean over the steps; for the roster, also
 * the handles it handed out per eviction (the candidates considered,
 * rounded up to its batches of 64) and the time per handle, to show that
 * the scan is linear in what it considers.
 */
#include <inttypes.h>

#include <gtt/gtt.h>

#include "bench_util.h"

#define PAGE 4096ull

struct order_case {
	const char *name;
	enum gtt_evict_order order;
	int random_use;
};

struct world {
	struct gtt_backend *be;
	struct gtt_executor *ex;
	struct gtt_vm *vm;
	gtt_vma_t *v;
	size_t *perm;		/* the order of use (lru) or of the roster */
	size_t n;
	uint64_t handed;	/* handles the roster returned */
};

static __attribute__((noreturn)) void die(const char *what)
{
	fprintf(stderr, "bench-evict: %s: %s\n", what, gtt_last_error());
	exit(1);
}

/* Every vma in w->perm's order, under the vm lock: reads the world only. */
static int roster_all(void *arg, const struct gtt_range_request *req,
		      uint64_t *cursor, gtt_vma_t *vmas, unsigned int max)
{
	struct world *w = arg;
	unsigned int k = 0;

	(void)req;
	while (k < max && *cursor < w->n)
		vmas[k++] = w->v[w->perm[(*cursor)++]];
	w->handed += k;
	return (int)k;
}

static void world_init(struct world *w, size_t n, const struct order_case *c,
		       uint64_t *rng)
{
	struct gtt_mock_config mc = { .size = n * PAGE };
	struct gtt_vm_config vc = { .name = "bench-evict", .size = n * PAGE,
				    .evict_order = c->order };
	struct gtt_pages_segment seg = { 1ull << 32, PAGE };
	struct gtt_pages *p;
	struct gtt_fence *f;
	size_t *perm;

	w->n = n;
	w->handed = 0;
	w->v = malloc(n * sizeof(*w->v));
	perm = w->perm = malloc(n * sizeof(*perm));
	if (!w->v || !perm)
		die("malloc");
	if (gtt_mock_create(&mc, &w->be) || gtt_executor_create_manual(&w->ex))
		die("mock or executor");
	vc.backend = w->be;
	vc.executor = w->ex;
	if (c->order == GTT_EVICT_ROSTER) {
		vc.evict_roster = roster_all;
		vc.evict_roster_arg = w;
	}
	if (gtt_vm_create(&vc, &w->vm) || gtt_pages_create(&seg, 1, 0, &p))
		die("vm or pages");
	for (size_t i = 0; i < n; i++) {
		struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = i * PAGE };

		if (gtt_vma_create(w->vm, p, NULL, &w->v[i]) ||
		    gtt_vma_bind(w->vm, w->v[i], &at, NULL))
			die("fill");
		perm[i] = i;
	}
	gtt_pages_put(p);
	if (!c->random_use)
		return;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = bench_rng(rng) % (i + 1), t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	if (c->order != GTT_EVICT_LRU)
		return;
	if (gtt_fence_create(0, 0, &f))
		die("fence");
	gtt_fence_signal(f, 0);
	for (size_t i = 0; i < n; i++)
		if (gtt_vma_add_active(w->vm, w->v[perm[i]], f))
			die("add_active");
	gtt_fence_put(f);
}

static void world_fini(struct world *w)
{
	gtt_vm_destroy(w->vm);
	gtt_executor_destroy(w->ex);
	gtt_backend_destroy(w->be);
	free(w->v);
	free(w->perm);
}

/* Mean ns per evicting bind of an @h-page vma over @steps; victims in *@victims. */
static double run(struct world *w, uint64_t h, int steps, double *victims)
{
	struct gtt_pages_segment seg = { 1ull << 33, h * PAGE };
	struct gtt_vm_stats st;
	struct gtt_pages *p;
	uint64_t t = 0, ev;
	gtt_vma_t x;

	if (gtt_pages_create(&seg, 1, 0, &p) || gtt_vma_create(w->vm, p, NULL, &x))
		die("vma");
	gtt_pages_put(p);
	gtt_vm_stats(w->vm, &st);
	ev = st.evictions;
	for (int s = 0; s < steps; s++) {
		struct gtt_bind_info bi = { .flags = GTT_BIND_EVICT };
		struct gtt_vma_info vi;
		uint64_t t0 = bench_cpu_now();

		if (gtt_vma_bind(w->vm, x, &bi, NULL))
			die("evicting bind");
		t += bench_cpu_now() - t0;
		if (gtt_vma_query(w->vm, x, &vi) || gtt_vma_unbind(w->vm, x, 0, NULL))
			die("unbind");
		for (uint64_t a = vi.offset; a < vi.offset + h * PAGE; a += PAGE) {
			struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = a };

			if (gtt_vma_bind(w->vm, w->v[a / PAGE], &at, NULL))
				die("rebind");
		}
	}
	gtt_vm_stats(w->vm, &st);
	*victims = (double)(st.evictions - ev) / steps;
	gtt_vma_destroy(w->vm, x);
	return (double)t / steps;
}

int main(int argc, char **argv)
{
	static const struct order_case cases[] = {
		{ "fewest", GTT_EVICT_FEWEST, 0 },
		{ "lru, used in address order", GTT_EVICT_LRU, 0 },
		{ "lru, used in random order", GTT_EVICT_LRU, 1 },
		{ "roster, address order", GTT_EVICT_ROSTER, 0 },
		{ "roster, random order", GTT_EVICT_ROSTER, 1 },
	};
	static const size_t sizes[] = { 4096, 16384, 65536 };
	int quick = bench_parse(argc, argv,
				"Evicting binds on a full vm of one-page vmas, per eviction order.");
	uint64_t rng = 15;

	printf("%-30s %8s %5s %12s %8s %12s %10s\n", "order", "vmas", "hole", "ns/evict",
	       "victims", "handles", "ns/handle");
	for (size_t si = 0; si < (quick ? 1 : sizeof(sizes) / sizeof(sizes[0])); si++) {
		size_t n = quick ? 256 : sizes[si];

		for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
			for (uint64_t h = 1; h <= 32; h += 31) {
				const struct order_case *c = &cases[ci];
				/* The slow cases get fewer steps. */
				int steps = quick ? 3 : h == 1 ? 200 :
					    c->random_use || c->order == GTT_EVICT_FEWEST ? 5 : 50;
				struct world w;
				double ns, victims;

				world_init(&w, n, c, &rng);
				ns = run(&w, h, steps, &victims);
				if (c->order == GTT_EVICT_ROSTER) {
					double per = (double)w.handed / steps;

					printf("%-30s %8zu %5" PRIu64 " %12.0f %8.1f %12.0f %10.1f\n",
					       c->name, n, h, ns, victims, per, ns / per);
				} else {
					printf("%-30s %8zu %5" PRIu64 " %12.0f %8.1f %12s %10s\n",
					       c->name, n, h, ns, victims, "-", "-");
				}
				world_fini(&w);
			}
		}
	}
	return 0;
}
