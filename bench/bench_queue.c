/* SPDX-License-Identifier: MIT */
/*
 * bench-queue: a queue backend (gtt/backend.h: submit + can_wait) whose
 * dependencies the kernel waits for itself, against the same backend with
 * every dependency awaited on the CPU first (the baseline, same run).
 *
 * The "kernel" is a thread with an in-order bind queue over an array of
 * entries; a batch runs once its in-fences have signalled.  Each bind
 * depends on a fence the kernel knows (GPU work finishing); the bench
 * signals it and measures the time until the entry is written (dependency
 * signal to PTE visible), and the process CPU time per bind+unbind.
 * Pass-through: the kernel wakes on the fence itself.  CPU await: the vm's
 * executor wakes, runs the job, and only then submits.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include <gtt/gtt.h>

#include "bench_util.h"

#define PAGE 4096ull
#define SLOTS 64

struct kbatch {
	struct gtt_backend_op op;
	struct gtt_fence *deps[4];
	size_t ndeps;
	struct gtt_fence *done;
	struct kbatch *next;
};

struct kernel {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	struct kbatch *head, **tail;
	bool stop, pass;
	uint64_t pte[SLOTS];
	_Atomic uint64_t written_at[SLOTS];	/* when pte[i] last changed */
};

static const struct gtt_fence_ops kfence_ops = { .name = "bench kernel" };

static __attribute__((noreturn)) void die(const char *what)
{
	fprintf(stderr, "bench-queue: %s: %s\n", what, gtt_last_error());
	exit(1);
}

struct waker {
	struct gtt_fence_cb cb;
	struct kernel *k;
};

static void wake(struct gtt_fence *f, struct gtt_fence_cb *cb)
{
	struct waker *w = (struct waker *)cb;

	(void)f;
	pthread_mutex_lock(&w->k->lock);
	pthread_cond_signal(&w->k->cond);
	pthread_mutex_unlock(&w->k->lock);
	free(w);
}

static bool ready(const struct kbatch *b)
{
	for (size_t i = 0; i < b->ndeps; i++)
		if (!gtt_fence_is_signaled(b->deps[i]))
			return false;
	return true;
}

static void *kernel_main(void *arg)
{
	struct kernel *k = arg;

	pthread_mutex_lock(&k->lock);
	for (;;) {
		struct kbatch *b = k->head;

		if (k->stop && !b)
			break;
		if (!b || !ready(b)) {
			pthread_cond_wait(&k->cond, &k->lock);
			continue;
		}
		k->head = b->next;
		if (!k->head)
			k->tail = &k->head;
		pthread_mutex_unlock(&k->lock);
		for (uint64_t va = b->op.start; va < b->op.start + b->op.size; va += PAGE) {
			size_t slot = (size_t)(va / PAGE) % SLOTS;

			k->pte[slot] = b->op.kind == GTT_BACKEND_OP_MAP ? va | 1 : 0;
			atomic_store(&k->written_at[slot], bench_now());
		}
		gtt_fence_signal(b->done, 0);
		gtt_fence_put(b->done);
		for (size_t i = 0; i < b->ndeps; i++)
			gtt_fence_put(b->deps[i]);
		free(b);
		pthread_mutex_lock(&k->lock);
	}
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

static int k_submit(void *priv, const struct gtt_backend_op *ops, size_t count,
		    struct gtt_fence *const *deps, size_t num_deps,
		    struct gtt_fence **done)
{
	struct kernel *k = priv;
	struct kbatch *b;

	if (count != 1 || num_deps > 4)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b || gtt_fence_create_custom(&kfence_ops, k, 0, 0, &b->done)) {
		free(b);
		return -ENOMEM;
	}
	b->op = ops[0];
	for (size_t i = 0; i < num_deps; i++) {
		struct waker *w = calloc(1, sizeof(*w));

		b->deps[b->ndeps++] = gtt_fence_get(deps[i]);
		if (!w)
			continue;	/* the thread looks again on the next wake */
		w->k = k;
		if (gtt_fence_add_callback(deps[i], &w->cb, wake) == -ENOENT)
			free(w);
	}
	*done = gtt_fence_get(b->done);
	pthread_mutex_lock(&k->lock);
	*k->tail = b;
	k->tail = &b->next;
	/* A batch still waiting wakes the thread from its in-fence. */
	if (ready(b))
		pthread_cond_signal(&k->cond);
	pthread_mutex_unlock(&k->lock);
	return 0;
}

static bool k_can_wait(void *priv, struct gtt_fence *dep)
{
	struct kernel *k = priv;

	return k->pass && gtt_fence_priv(dep) == k;
}

static const struct gtt_backend_ops k_ops = {
	.name = "bench kernel", .submit = k_submit, .can_wait = k_can_wait,
};

struct result {
	uint64_t p50, p99;
	double cpu_us;
};

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct result run(bool pass, size_t rounds)
{
	struct kernel k = { .pass = pass };
	struct gtt_vm_config vc = { .name = "bench", .start = 0, .size = SLOTS * PAGE };
	struct gtt_pages_segment seg = { 0x100000000ull, PAGE };
	struct gtt_executor *ex;
	struct gtt_backend *be;
	struct gtt_pages *pages;
	struct gtt_vm *vm;
	uint64_t *lat = calloc(rounds, sizeof(*lat)), cpu0;
	gtt_vma_t v;
	struct result r;

	pthread_mutex_init(&k.lock, NULL);
	pthread_cond_init(&k.cond, NULL);
	k.tail = &k.head;
	if (!lat || pthread_create(&k.thread, NULL, kernel_main, &k))
		die("kernel thread");
	if (gtt_backend_create(&k_ops, &k, &be) || gtt_executor_create_pool(1, &ex))
		die("setup");
	vc.backend = be;
	vc.executor = ex;
	if (gtt_vm_create(&vc, &vm) || gtt_pages_create(&seg, 1, 0, &pages) ||
	    gtt_vma_create(vm, pages, NULL, &v))
		die("vm");
	cpu0 = cpu_ns();
	for (size_t i = 0; i < rounds; i++) {
		uint64_t slot = i % SLOTS, t0;
		struct gtt_bind_info bi = { .flags = GTT_BIND_ASYNC | GTT_BIND_FIXED,
					    .offset = slot * PAGE, .num_deps = 1 };
		struct gtt_fence *gpu, *bf, *uf;

		if (gtt_fence_create_custom(&kfence_ops, &k, 0, 0, &gpu))
			die("fence");
		bi.deps = &gpu;
		atomic_store(&k.written_at[slot], 0);
		if (gtt_vma_bind(vm, v, &bi, &bf))
			die("bind");
		t0 = bench_now();
		gtt_fence_signal(gpu, 0);
		/* The kernel stamps the entry's write: sleep until it is done. */
		if (gtt_fence_wait(bf, -1) < 0)
			die("bind fence");
		lat[i] = atomic_load(&k.written_at[slot]) - t0;
		if (gtt_vma_unbind(vm, v, GTT_UNBIND_ASYNC, &uf) ||
		    gtt_fence_wait(uf, -1) < 0)
			die("unbind");
		gtt_fence_put(gpu);
		gtt_fence_put(bf);
		gtt_fence_put(uf);
	}
	r.cpu_us = (double)(cpu_ns() - cpu0) / 1000.0 / (double)rounds;
	r.p50 = percentile(lat, rounds, 50);
	r.p99 = percentile(lat, rounds, 99);
	gtt_vma_destroy(vm, v);
	gtt_vm_destroy(vm);
	gtt_pages_put(pages);
	pthread_mutex_lock(&k.lock);
	k.stop = true;
	pthread_cond_signal(&k.cond);
	pthread_mutex_unlock(&k.lock);
	pthread_join(k.thread, NULL);
	gtt_backend_destroy(be);
	gtt_executor_destroy(ex);
	free(lat);
	return r;
}

int main(int argc, char **argv)
{
	int quick = bench_parse(argc, argv,
		"Dependency-signal to PTE-visible latency, and CPU time per bind,\n"
		"of a queue backend that waits for the kernel's fences itself\n"
		"(pass-through) against one whose fences the vm awaits on the CPU.");
	size_t rounds = quick ? 50 : 20000;
	struct result cpu = run(false, rounds), pass = run(true, rounds);

	printf("bench-queue: %zu binds, each after a kernel fence signalled by the bench\n", rounds);
	printf("  %-34s p50 %7.1f us  p99 %7.1f us  cpu %6.2f us/bind\n",
	       "CPU await (baseline)", cpu.p50 / 1e3, cpu.p99 / 1e3, cpu.cpu_us);
	printf("  %-34s p50 %7.1f us  p99 %7.1f us  cpu %6.2f us/bind\n",
	       "pass-through (kernel waits)", pass.p50 / 1e3, pass.p99 / 1e3, pass.cpu_us);
	printf("  ratio pass-through / CPU await: latency p50 %.2f, p99 %.2f, cpu %.2f\n",
	       (double)pass.p50 / (double)(cpu.p50 ? cpu.p50 : 1),
	       (double)pass.p99 / (double)(cpu.p99 ? cpu.p99 : 1),
	       pass.cpu_us / (cpu.cpu_us > 0 ? cpu.cpu_us : 1));
	return 0;
}
