/* SPDX-License-Identifier: MIT */
/*
 * bench-scale: do independent vms scale across threads?  The same
 * bind+unbind churn runs on one vm in one thread (the baseline, measured
 * in the same run), then on two vms in two threads at once, each thread
 * with its own vm, backend and executor, created in that thread.  The
 * figure is the throughput of two threads over one.
 *
 * Workloads (4 KiB mappings, @live of them bound in each vm; a pair
 * unbinds a random live vma and binds it again, as bench-bind's churn):
 *  - sync:  synchronous unbind and bind on the generic mock; nothing is
 *           pending, so every PTE write and clear runs inside the call;
 *  - async: batches of 8 consecutive vmas marked active with one "GPU"
 *           fence, unbound with GTT_UNBIND_ASYNC, the fence signalled, the
 *           vm's manual executor run (it does the 8 clears), and the 8
 *           bound again;
 *  - ppgtt: the sync churn over the mock's Intel PPGTT (TGL): the shared
 *           Intel page-table code and the table pool;
 *  - alloc: the same churn through the bare range allocator, no vm: code
 *           that shares nothing between the threads but malloc, as a
 *           reference for what the machine gives (the caches and memory
 *           the two CPUs share);
 *  - chase: no library at all: each thread follows a random cycle through
 *           a private array of 64-byte lines (--chase-kib, default 1024:
 *           about a vm's working set at 1000 live vmas), CHASE_LOADS
 *           dependent loads per "pair": what the machine gives two
 *           threads whose work is cache misses on data they do not share,
 *           the ceiling of the other rows on this machine.
 *
 * Each thread measures its wall time (CLOCK_MONOTONIC) and its CPU time
 * (CLOCK_THREAD_CPUTIME_ID) over the same loop, and its voluntary and
 * involuntary context switches (getrusage(RUSAGE_THREAD)).  Nothing in
 * these loops sleeps, so a thread's CPU/wall below 1 means it was off its
 * CPU: preempted by other work on the machine (involuntary switches), or
 * asleep on a lock (voluntary switches).  Printed per workload:
 *  - wall: (2 x pairs / the slower thread's wall time) / (pairs / the
 *    single thread's wall time): the scaling the machine gave;
 *  - cpu:  the same with CPU times: the scaling if each thread had had a
 *    whole CPU, however often they were preempted.  Below 2 it is
 *    contention: shared cache lines, memory bandwidth, cache capacity
 *    (shared with the library's other thread, or with other processes).
 * With any thread's CPU/wall under 0.9 the machine was busy and the wall
 * ratio says more about the machine than about the library: the output
 * says so.  What the rest of the machine did meanwhile is measured too:
 * the CPUs it used (/proc/stat's busy time, steal included, less this
 * process's CPU time), since work that takes no CPU from these threads
 * still shares the caches and memory with them.  Rounds alternate one and
 * two threads; medians are printed, of all rounds and of the rounds in
 * which every thread had its CPU (c/w >= 0.9): on a shared machine, run
 * many short rounds (--rounds 15 --pairs 200000) and read the latter.
 */
#include <inttypes.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gtt/gtt.h>

#include "bench_util.h"

#define PAGE 4096ull
#define SZ_2M (2ull << 20)
#define BATCH 8u
#define MAX_ROUNDS 15
#define CHASE_LOADS 10u

enum workload { W_SYNC, W_ASYNC, W_PPGTT, W_ALLOC, W_CHASE, W_COUNT };

static const char *const workload_name[W_COUNT] = { "sync", "async", "ppgtt", "alloc", "chase" };

struct world {
	struct gtt_backend *be;
	struct gtt_executor *ex;
	struct gtt_vm *vm;
	gtt_vma_t *vmas;
	struct gtt_range_alloc *ra;	/* alloc: the bare allocator */
	struct gtt_range_node **nodes;
	struct line *lines;		/* chase: the private cycle */
	size_t nlines, at;
	size_t live;
	uint64_t context, seqno;	/* the "GPU" fences of the async loop */
};

/* One cache line of the chase's cycle. */
struct line {
	size_t next;
	char pad[64 - sizeof(size_t)];
};

static size_t chase_kib = 1024;

/* What one thread measured over its loop. */
struct sample {
	uint64_t wall, cpu;		/* ns */
	long vcsw, ivcsw;		/* voluntary, involuntary switches */
};

struct job {
	enum workload w;
	size_t live;
	uint64_t pairs;
	uint64_t seed;
	pthread_barrier_t *ready;	/* every thread set up */
	struct sample s;
};

static __attribute__((noreturn)) void die(const char *what)
{
	fprintf(stderr, "bench-scale: %s: %s\n", what, gtt_last_error());
	exit(1);
}

static void switches(long *v, long *iv)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	*v = ru.ru_nvcsw;
	*iv = ru.ru_nivcsw;
}

static double min_d(double a, double b)
{
	return a < b ? a : b;
}

static double max_d(double a, double b)
{
	return a > b ? a : b;
}

/* The machine's busy time (all CPUs, steal included) in seconds, from
 * /proc/stat; 0 when it cannot be read. */
static double machine_busy_s(void)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	int n = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
			   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) : 0;
	long hz = sysconf(_SC_CLK_TCK);

	if (f)
		fclose(f);
	if (n < 8 || hz <= 0)
		return 0;
	/* user nice system idle iowait irq softirq steal */
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)hz;
}

static double process_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void world_init(struct world *w, enum workload wl, size_t live)
{
	uint64_t size = (uint64_t)(live * 2 + 1024) * PAGE;
	struct gtt_mock_config mc = { .start = PAGE, .size = size };
	struct gtt_vm_config vc = { .start = PAGE, .size = size };
	const struct gtt_range_request req = { .size = PAGE };

	w->live = live;
	if (wl == W_CHASE) {
		uint64_t seed = 777;

		w->nlines = chase_kib * 1024 / sizeof(struct line);
		w->lines = aligned_alloc(64, w->nlines * sizeof(struct line));
		if (!w->lines)
			die("chase array");
		/* Sattolo's shuffle: one cycle through every line. */
		for (size_t i = 0; i < w->nlines; i++)
			w->lines[i].next = i;
		for (size_t i = w->nlines - 1; i > 0; i--) {
			size_t j = bench_rng(&seed) % i, t = w->lines[i].next;

			w->lines[i].next = w->lines[j].next;
			w->lines[j].next = t;
		}
		return;
	}
	if (wl == W_ALLOC) {
		w->nodes = calloc(live, sizeof(*w->nodes));
		if (!w->nodes || gtt_range_alloc_create(PAGE, size, PAGE, 0, &w->ra))
			die("allocator");
		for (size_t i = 0; i < live; i++)
			if (gtt_range_insert(w->ra, &req, NULL, &w->nodes[i]))
				die("allocator populate");
		return;
	}
	if (wl == W_PPGTT) {
		mc = (struct gtt_mock_config){ .mode = GTT_MOCK_INTEL_PPGTT,
					       .intel_family = GTT_INTEL_TGL,
					       .scratch_addr = 0x1000,
					       .size = 1ull << 40 };
		vc.start = SZ_2M;
	}
	if (gtt_mock_create(&mc, &w->be) || gtt_executor_create_manual(&w->ex))
		die("setup");
	vc.backend = w->be;
	vc.executor = w->ex;
	if (gtt_vm_create(&vc, &w->vm))
		die("vm");
	w->context = gtt_fence_context_alloc(1);
	w->seqno = 0;
	w->vmas = calloc(live, sizeof(*w->vmas));
	if (!w->vmas)
		die("calloc");
	for (size_t i = 0; i < live; i++) {
		struct gtt_pages_segment seg = { 0x100000000ull + i * PAGE, PAGE };
		struct gtt_pages *p;

		if (gtt_pages_create(&seg, 1, 0, &p) ||
		    gtt_vma_create(w->vm, p, NULL, &w->vmas[i]))
			die("vma");
		gtt_pages_put(p);	/* the vma holds its own */
		if (gtt_vma_bind(w->vm, w->vmas[i], NULL, NULL))
			die("populate");
	}
}

static void world_fini(struct world *w)
{
	if (w->lines) {
		free(w->lines);
		return;
	}
	if (w->ra) {
		gtt_range_alloc_destroy(w->ra);	/* frees the nodes */
		free(w->nodes);
		return;
	}
	gtt_vm_destroy(w->vm);
	gtt_executor_destroy(w->ex);
	gtt_backend_destroy(w->be);
	free(w->vmas);
}

/* Synchronous churn (sync and ppgtt). */
static void churn_sync(struct world *w, uint64_t pairs, uint64_t *seed)
{
	for (uint64_t i = 0; i < pairs; i++) {
		gtt_vma_t v = w->vmas[bench_rng(seed) % w->live];

		if (gtt_vma_unbind(w->vm, v, 0, NULL) ||
		    gtt_vma_bind(w->vm, v, NULL, NULL))
			die("churn");
	}
}

/* Async unbinds whose clears the executor runs, BATCH pairs at a time. */
static void churn_async(struct world *w, uint64_t pairs, uint64_t *seed)
{
	gtt_vma_t batch[BATCH];

	for (uint64_t i = 0; i < pairs; i += BATCH) {
		size_t k = bench_rng(seed) % w->live;
		struct gtt_fence *gpu;

		for (unsigned int j = 0; j < BATCH; j++)
			batch[j] = w->vmas[(k + j) % w->live];
		if (gtt_fence_create(w->context, ++w->seqno, &gpu) ||
		    gtt_vma_add_active_many(w->vm, batch, BATCH, gpu))
			die("active");
		for (unsigned int j = 0; j < BATCH; j++)
			if (gtt_vma_unbind(w->vm, batch[j], GTT_UNBIND_ASYNC, NULL))
				die("async unbind");
		if (gtt_fence_signal(gpu, 0) || gtt_executor_run_all(w->ex) != BATCH)
			die("clears");
		gtt_fence_put(gpu);
		for (unsigned int j = 0; j < BATCH; j++)
			if (gtt_vma_bind(w->vm, batch[j], NULL, NULL))
				die("bind");
	}
}

/* The same churn through the bare allocator: the machine's reference. */
static void churn_alloc(struct world *w, uint64_t pairs, uint64_t *seed)
{
	const struct gtt_range_request req = { .size = PAGE };

	for (uint64_t i = 0; i < pairs; i++) {
		size_t k = bench_rng(seed) % w->live;

		if (gtt_range_remove(w->ra, w->nodes[k]) ||
		    gtt_range_insert(w->ra, &req, NULL, &w->nodes[k]))
			die("allocator churn");
	}
}

/* Dependent loads through the private cycle: the machine's ceiling. */
static void churn_chase(struct world *w, uint64_t pairs)
{
	size_t at = w->at;

	for (uint64_t i = 0; i < pairs * CHASE_LOADS; i++)
		at = w->lines[at].next;
	w->at = at;	/* read by nobody, but the loads cannot be dropped */
	__asm__ volatile("" : : "r"(at) : "memory");
}

static void churn(struct world *w, enum workload wl, uint64_t pairs, uint64_t *seed)
{
	if (wl == W_CHASE)
		churn_chase(w, pairs);
	else if (wl == W_ALLOC)
		churn_alloc(w, pairs, seed);
	else if (wl == W_ASYNC)
		churn_async(w, pairs, seed);
	else
		churn_sync(w, pairs, seed);
}

static void *thread_main(void *arg)
{
	struct job *j = arg;
	struct world w = { 0 };
	uint64_t seed = j->seed, t0, c0;
	long v0, iv0, v1, iv1;

	world_init(&w, j->w, j->live);
	churn(&w, j->w, j->pairs / 10, &seed);	/* warm up */
	pthread_barrier_wait(j->ready);
	switches(&v0, &iv0);
	t0 = bench_now();
	c0 = bench_cpu_now();
	churn(&w, j->w, j->pairs, &seed);
	j->s.cpu = bench_cpu_now() - c0;
	j->s.wall = bench_now() - t0;
	switches(&v1, &iv1);
	j->s.vcsw = v1 - v0;
	j->s.ivcsw = iv1 - iv0;
	world_fini(&w);
	return NULL;
}

/*
 * Runs @n threads (1 or 2) at once; their samples into @out.  Returns the
 * CPUs that everything else on the machine used meanwhile (its busy time
 * less this process's, over the wall time).
 */
static double run_threads(enum workload wl, size_t live, uint64_t pairs,
			  unsigned int n, struct sample *out)
{
	double busy0 = machine_busy_s(), cpu0 = process_cpu_s(), others;
	uint64_t t0 = bench_now();
	pthread_barrier_t ready;
	struct job jobs[2];
	pthread_t t[2];

	pthread_barrier_init(&ready, NULL, n);
	for (unsigned int i = 0; i < n; i++) {
		jobs[i] = (struct job){ .w = wl, .live = live, .pairs = pairs,
					.seed = 12345 + i, .ready = &ready };
		if (pthread_create(&t[i], NULL, thread_main, &jobs[i]))
			die("pthread_create");
	}
	for (unsigned int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		out[i] = jobs[i].s;
	}
	pthread_barrier_destroy(&ready);
	/* /proc/stat counts in ticks (10 ms): short runs are coarse. */
	others = machine_busy_s() - busy0 - (process_cpu_s() - cpu0);
	others = others > 0 ? others / ((double)(bench_now() - t0) / 1e9) : 0;
	return min_d(others, (double)sysconf(_SC_NPROCESSORS_ONLN));
}

static double median(double *v, size_t n)
{
	uint64_t u[MAX_ROUNDS];

	/* percentile() sorts integers: keep three decimals. */
	for (size_t i = 0; i < n; i++)
		u[i] = (uint64_t)(v[i] * 1000.0 + 0.5);
	return (double)percentile(u, n, 50) / 1000.0;
}

static void loadavg(char *buf, size_t size)
{
	FILE *f = fopen("/proc/loadavg", "r");

	if (!f || !fgets(buf, (int)size, f))
		snprintf(buf, size, "unknown\n");
	if (f)
		fclose(f);
}

static double ratio_cpu_wall(const struct sample *s)
{
	return s->wall ? (double)s->cpu / (double)s->wall : 0.0;
}

/* Medians of one workload's rounds. */
struct summary {
	double one_rate, two_rate;	/* M pairs/s */
	double wall_ratio, cpu_ratio;
	double one_cpu_ns, two_cpu_ns;	/* CPU per pair: one thread, mean of two */
	double one_cw, two_cw;		/* CPU/wall; the lower thread of two */
	long vcsw, ivcsw;		/* two-thread runs, all rounds */
	double others, max_others;	/* CPUs other processes used (the
					 * larger of a round's two runs) */
	double overlap, min_overlap;	/* part of the two-thread run that
					 * both threads surely ran at once */
	double worst_cw;		/* lowest CPU/wall of any thread */
	int quiet;			/* rounds with every c/w >= 0.9 */
	double quiet_wall, quiet_cpu;	/* their median ratios */
};

/* Figures a round gives, in the order of bench()'s @out. */
#define FIGS 10

/* One workload: @rounds of one thread then two, a line per round.  With
 * @profile 1 or 2, only that many threads, and no figures. */
static struct summary bench(enum workload wl, size_t live, uint64_t pairs, int rounds,
			    int profile)
{
	double v[FIGS][MAX_ROUNDS], qw[MAX_ROUNDS], qc[MAX_ROUNDS];
	struct summary m = { .worst_cw = 1e9, .min_overlap = 1e9 };
	double *out[FIGS] = { &m.one_rate, &m.two_rate, &m.wall_ratio, &m.cpu_ratio,
			   &m.one_cpu_ns, &m.two_cpu_ns, &m.one_cw, &m.two_cw,
			   &m.others, &m.overlap };

	for (int r = 0; r < rounds; r++) {
		struct sample one = { 0 }, two[2] = { { 0 } };
		double others1 = 0, others2 = 0;
		uint64_t wmax, cmax;

		if (profile != 2)
			others1 = run_threads(wl, live, pairs, 1, &one);
		if (profile != 1)
			others2 = run_threads(wl, live, pairs, 2, two);
		if (profile) {
			printf("  %-5s round %d: %d thread(s) only, for a profile\n",
			       workload_name[wl], r + 1, profile);
			continue;
		}
		wmax = two[0].wall > two[1].wall ? two[0].wall : two[1].wall;
		cmax = two[0].cpu > two[1].cpu ? two[0].cpu : two[1].cpu;
		v[0][r] = (double)pairs / (double)one.wall * 1e3;
		v[1][r] = 2.0 * (double)pairs / (double)wmax * 1e3;
		v[2][r] = v[1][r] / v[0][r];
		v[3][r] = 2.0 * (double)one.cpu / (double)cmax;
		v[4][r] = (double)one.cpu / (double)pairs;
		v[5][r] = (double)(two[0].cpu + two[1].cpu) / 2.0 / (double)pairs;
		v[6][r] = ratio_cpu_wall(&one);
		v[7][r] = min_d(ratio_cpu_wall(&two[0]), ratio_cpu_wall(&two[1]));
		v[8][r] = max_d(others1, others2);
		m.max_others = max_d(m.max_others, v[8][r]);
		/* Both ran at least (cpu_a + cpu_b - W) of the window W. */
		v[9][r] = max_d((double)(two[0].cpu + two[1].cpu) / (double)wmax - 1.0, 0);
		m.min_overlap = min_d(m.min_overlap, v[9][r]);
		m.worst_cw = min_d(m.worst_cw, min_d(v[6][r], v[7][r]));
		m.vcsw += two[0].vcsw + two[1].vcsw;
		m.ivcsw += two[0].ivcsw + two[1].ivcsw;
		printf("  %-5s round %d: one %6.3f M/s (%.0f ns CPU/pair, c/w %.2f, others %.2f CPU), two %6.3f M/s (%.0f %.0f ns, c/w %.2f %.2f, both ran >= %.0f%%, others %.2f CPU; switches vol %ld+%ld, invol %ld+%ld): wall %.2fx, cpu %.2fx\n",
		       workload_name[wl], r + 1, v[0][r], v[4][r], v[6][r], others1, v[1][r],
		       (double)two[0].cpu / (double)pairs, (double)two[1].cpu / (double)pairs,
		       ratio_cpu_wall(&two[0]), ratio_cpu_wall(&two[1]),
		       v[9][r] * 100.0, others2,
		       two[0].vcsw, two[1].vcsw, two[0].ivcsw, two[1].ivcsw,
		       v[2][r], v[3][r]);
		fflush(stdout);
	}
	for (int i = 0; i < FIGS; i++)
		*out[i] = median(v[i], (size_t)rounds);
	/* The rounds in which every thread had its CPU. */
	for (int r = 0; r < rounds; r++)
		if (v[6][r] >= 0.9 && v[7][r] >= 0.9) {
			qw[m.quiet] = v[2][r];
			qc[m.quiet++] = v[3][r];
		}
	if (m.quiet) {
		m.quiet_wall = median(qw, (size_t)m.quiet);
		m.quiet_cpu = median(qc, (size_t)m.quiet);
	}
	return m;
}

static const char help[] =
	"The same bind+unbind churn on one vm in one thread (baseline), then on\n"
	"two vms in two threads at once (each its own vm, backend, executor).\n"
	"Workloads: sync (mock), async (async unbinds, the executor clears),\n"
	"ppgtt (mock Intel PPGTT), alloc (the bare range allocator: the\n"
	"machine's reference), chase (no library: dependent loads through a\n"
	"private array per thread, the machine's ceiling).  Prints pairs/s of one and two threads, the\n"
	"ratio two/one by wall time and by CPU time, ns of CPU per pair, each\n"
	"thread's CPU/wall (< 0.9: the machine was busy), the CPUs other\n"
	"processes used meanwhile (/proc/stat) and the two-thread runs'\n"
	"voluntary/involuntary context switches; medians over the rounds.\n"
	"  --live N    live vmas per vm (default 1000)\n"
	"  --pairs N   pairs per thread per round (default 1000000)\n"
	"  --rounds N  rounds of one then two threads (default 5, at most 15);\n"
	"              the medians of the rounds in which every thread had its\n"
	"              CPU (c/w >= 0.9) are printed too\n"
	"  --only W    one workload: sync, async, ppgtt, alloc or chase\n"
	"  --chase-kib N  the chase's array per thread, KiB (default 1024)\n"
	"  --threads N only the runs with N (1 or 2) threads, no figures: for\n"
	"              perf record";

int main(int argc, char **argv)
{
	size_t live = 1000;
	uint64_t pairs = 1000000;
	int rounds = 5, only = -1, quick = 0, profile = 0;
	struct summary sum[W_COUNT] = { 0 };
	char load0[128], load1[128];
	double worst = 1e9, others = 0, overlap = 1e9;

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *val;

		if (!strcmp(o, "--quick") || !strcmp(o, "--help") || !strcmp(o, "-h")) {
			char *one[] = { argv[0], argv[i], NULL };

			quick |= bench_parse(2, one, help);
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "bench-scale: unknown option %s, or no value (try --help)\n", o);
			return 2;
		}
		val = argv[++i];
		if (!strcmp(o, "--live")) {
			live = strtoull(val, NULL, 0);
		} else if (!strcmp(o, "--pairs")) {
			pairs = strtoull(val, NULL, 0);
		} else if (!strcmp(o, "--chase-kib")) {
			chase_kib = strtoull(val, NULL, 0);
		} else if (!strcmp(o, "--rounds")) {
			rounds = atoi(val);
		} else if (!strcmp(o, "--threads")) {
			profile = atoi(val);
			if (profile != 1 && profile != 2) {
				fprintf(stderr, "bench-scale: --threads takes 1 or 2\n");
				return 2;
			}
		} else if (!strcmp(o, "--only")) {
			for (int w = 0; w < W_COUNT; w++)
				if (!strcmp(val, workload_name[w]))
					only = w;
			if (only < 0) {
				fprintf(stderr, "bench-scale: unknown workload %s\n", val);
				return 2;
			}
		} else {
			fprintf(stderr, "bench-scale: unknown option %s (try --help)\n", o);
			return 2;
		}
	}
	if (quick) {
		live = 200;
		pairs = 2000;
		rounds = 1;
	}
	if (live < BATCH || pairs < BATCH || rounds < 1 || rounds > MAX_ROUNDS ||
	    chase_kib < 1 || chase_kib > (1u << 22)) {
		fprintf(stderr, "bench-scale: need --live and --pairs >= %u, --rounds 1..%d, --chase-kib 1..%u\n",
			BATCH, MAX_ROUNDS, 1u << 22);
		return 2;
	}
	pairs -= pairs % BATCH;
	loadavg(load0, sizeof(load0));
	printf("%" PRIu64 " pairs per thread per round, %zu live vmas per vm, %d rounds\n"
	       "load average before: %s", pairs, live, rounds, load0);
	for (int w = 0; w < W_COUNT; w++)
		if (only < 0 || only == w)
			sum[w] = bench((enum workload)w, live, pairs, rounds, profile);
	if (profile)
		return 0;
	loadavg(load1, sizeof(load1));
	printf("load average after:  %smedians of %d rounds:\n", load1, rounds);
	printf("%-6s %10s %10s %7s %7s %9s %9s %6s %6s %5s %7s %6s %6s\n",
	       "work", "one M/s", "two M/s", "wall", "cpu", "ns/pair1", "ns/pair2",
	       "c/w 1", "c/w 2", "both", "others", "vcsw", "ivcsw");
	for (int w = 0; w < W_COUNT; w++) {
		const struct summary *m = &sum[w];

		if (only >= 0 && only != w)
			continue;
		printf("%-6s %10.3f %10.3f %6.2fx %6.2fx %9.1f %9.1f %6.2f %6.2f %4.0f%% %7.2f %6ld %6ld\n",
		       workload_name[w], m->one_rate, m->two_rate, m->wall_ratio,
		       m->cpu_ratio, m->one_cpu_ns, m->two_cpu_ns, m->one_cw,
		       m->two_cw, m->overlap * 100.0, m->others, m->vcsw, m->ivcsw);
		if (m->quiet)
			printf("%-6s %d of %d rounds had every thread on its CPU >= 90%% of the time: wall %.2fx, cpu %.2fx (medians)\n",
			       "", m->quiet, rounds, m->quiet_wall, m->quiet_cpu);
		else
			printf("%-6s no round had every thread on its CPU >= 90%% of the time\n", "");
		worst = min_d(worst, m->worst_cw);
		others = max_d(others, m->max_others);
		overlap = min_d(overlap, m->min_overlap);
	}
	printf("wall, cpu: two threads' pairs/s over one thread's, by wall and by CPU\n"
	       "time (target >= 1.8x); ns/pair: CPU per pair, one thread / mean of two;\n"
	       "c/w: CPU/wall (of two threads, the lower); both: the part of the\n"
	       "two-thread run that both surely ran at once (CPU a + CPU b - wall);\n"
	       "others: CPUs the rest of the machine used meanwhile (/proc/stat, steal\n"
	       "included; the busier of the round's two runs); vcsw, ivcsw: voluntary\n"
	       "and involuntary context switches of the two-thread runs, all rounds.\n");
	if (worst < 0.9)
		printf("BUSY: a thread had its CPU only %.0f%% of the time (CPU/wall %.2f < 0.9):\n"
		       "the machine was busy, so the wall ratio measures the machine; the cpu ratio\n"
		       "is the scaling with a whole CPU per thread (below 2.0: contention in the\n"
		       "library or the memory system), but only as far as the threads ran at the\n"
		       "same time (both: at least %.0f%% of the time in the worst round).\n",
		       worst * 100.0, worst, overlap * 100.0);
	else if (others >= 0.1)
		printf("SHARED: every thread had its CPU at least %.0f%% of the time, but other\n"
		       "processes used up to %.2f CPUs (caches and memory are shared with them):\n"
		       "compare rounds with the lowest \"others\".\n", worst * 100.0, others);
	else
		printf("quiet: every thread had its CPU at least %.0f%% of the time and the rest\n"
		       "of the machine used under 0.1 CPU; the wall ratio stands.\n",
		       worst * 100.0);
	return 0;
}
