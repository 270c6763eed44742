/* SPDX-License-Identifier: MIT */
/*
 * bench-fence: latency from gtt_fence_signal() in one thread to the return
 * of gtt_fence_wait() in another, which was asleep on the fence.
 * Baseline in the same run: the same hand-off through a pthread mutex +
 * condition variable.  Target: median at most 20 us.
 *
 * Measured twice: with signaller and waiter pinned to the same CPU, and to
 * two different CPUs.  The cross-CPU figure includes waking an idle CPU,
 * which on a virtual machine is dominated by the hypervisor; the baseline
 * pays the same cost.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

#include <gtt/gtt.h>

#include "bench_util.h"

struct shared {
	struct gtt_fence *f;
	_Atomic uint64_t t_signal;
	_Atomic int ready;
	/* baseline */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int flag;
	uint64_t wake;
};

static int waiter_cpu = -1;

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *fence_waiter(void *arg)
{
	struct shared *s = arg;

	pin(waiter_cpu);
	s->ready = 1;
	gtt_fence_wait(s->f, -1);
	s->wake = bench_now();
	return NULL;
}

static void *cond_waiter(void *arg)
{
	struct shared *s = arg;

	pin(waiter_cpu);
	pthread_mutex_lock(&s->lock);
	s->ready = 1;
	while (!s->flag)
		pthread_cond_wait(&s->cond, &s->lock);
	s->wake = bench_now();
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Let the waiter get to sleep before signalling. */
static void settle(struct shared *s)
{
	while (!s->ready)
		;
	usleep(50);
}

static void measure(const char *label, size_t rounds)
{
	uint64_t *lat_f = calloc(rounds, sizeof(uint64_t));
	uint64_t *lat_c = calloc(rounds, sizeof(uint64_t));
	struct shared s;

	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.cond, NULL);
	for (size_t i = 0; i < rounds; i++) {
		pthread_t t;
		uint64_t t0;

		/* fence */
		gtt_fence_create(0, 0, &s.f);
		s.ready = 0;
		pthread_create(&t, NULL, fence_waiter, &s);
		settle(&s);
		t0 = bench_now();
		gtt_fence_signal(s.f, 0);
		pthread_join(t, NULL);
		lat_f[i] = s.wake - t0;
		gtt_fence_put(s.f);

		/* condition variable */
		s.ready = 0;
		s.flag = 0;
		pthread_create(&t, NULL, cond_waiter, &s);
		settle(&s);
		t0 = bench_now();
		pthread_mutex_lock(&s.lock);
		s.flag = 1;
		pthread_cond_signal(&s.cond);
		pthread_mutex_unlock(&s.lock);
		pthread_join(t, NULL);
		lat_c[i] = s.wake - t0;
	}
	double fm = (double)percentile(lat_f, rounds, 50) / 1e3;
	double f99 = (double)percentile(lat_f, rounds, 99) / 1e3;
	double cm = (double)percentile(lat_c, rounds, 50) / 1e3;
	double c99 = (double)percentile(lat_c, rounds, 99) / 1e3;

	printf("%s:\n", label);
	printf("  %-26s median %7.1f us   p99 %7.1f us\n", "gtt_fence signal->wake", fm, f99);
	printf("  %-26s median %7.1f us   p99 %7.1f us   (baseline)\n", "pthread cond signal->wake", cm, c99);
	printf("  median ratio fence/cond: %.2fx\n", fm / cm);
	pthread_cond_destroy(&s.cond);
	pthread_mutex_destroy(&s.lock);
	free(lat_f);
	free(lat_c);
}

int main(int argc, char **argv)
{
	int quick = bench_parse(argc, argv,
		"Signal-to-wake-up latency of a sleeping fence waiter, against a\n"
		"pthread condition variable hand-off in the same run, with both\n"
		"threads on one CPU and on two CPUs.");
	size_t rounds = quick ? 50 : 5000;

	printf("%zu rounds each, waiter asleep before each signal\n", rounds);
	pin(0);
	waiter_cpu = 0;
	measure("same CPU", rounds);
	if (sysconf(_SC_NPROCESSORS_ONLN) > 1) {
		waiter_cpu = 1;
		measure("different CPUs", rounds);
	}
	return 0;
}
