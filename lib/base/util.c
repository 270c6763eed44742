/* SPDX-License-Identifier: MIT */
/*
 * Internal helpers: time, futex, checked allocation, error text.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t deadline_from_timeout(int64_t timeout_ns)
{
	uint64_t now;

	if (timeout_ns < 0)
		return UINT64_MAX;
	now = now_ns();
	if ((uint64_t)timeout_ns > UINT64_MAX - now)
		return UINT64_MAX;
	return now + (uint64_t)timeout_ns;
}

int futex_wait_until(_Atomic uint32_t *word, uint32_t expected,
		     uint64_t deadline_ns)
{
	struct timespec ts, *tsp = NULL;

	if (deadline_ns != UINT64_MAX) {
		uint64_t now = now_ns();
		uint64_t left;

		if (now >= deadline_ns)
			return -ETIME;
		left = deadline_ns - now;
		ts.tv_sec = (time_t)(left / 1000000000ull);
		ts.tv_nsec = (long)(left % 1000000000ull);
		tsp = &ts;
	}
	if (syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected,
		    tsp, NULL, 0) < 0 && errno == ETIMEDOUT)
		return -ETIME;
	return 0;
}

void futex_wake_all(_Atomic uint32_t *word)
{
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, INT32_MAX,
		NULL, NULL, 0);
}

/* ---- allocation with failure injection ---- */

#define CACHE_LINE 64

/*
 * Every allocation reads the countdown and counts itself live.  One shared
 * counter would be a cache line that every thread's allocations bounce
 * between CPUs (threads working on unrelated vms included), so the live
 * count is kept in shards, one cache line each: a thread counts into the
 * shard it was given on its first allocation (round robin), a free counts
 * into the freeing thread's shard, and mem_live() adds them all up.  The
 * countdown has a line of its own, written only by mem_fail_after(), while
 * it runs, and by a thread's first allocation (next_shard).
 */
#define LIVE_SHARDS 64

struct live_shard {
	_Atomic int64_t n;
} __attribute__((aligned(CACHE_LINE)));

/* Aligned as a type, so that nothing else is linked into the line. */
struct fail_state {
	_Atomic uint64_t countdown;
	_Atomic int fired;
	_Atomic unsigned int next_shard;
} __attribute__((aligned(CACHE_LINE)));

static struct fail_state fail;
static struct live_shard live_allocs[LIVE_SHARDS];
static __thread struct live_shard *my_shard __attribute__((tls_model("initial-exec")));

static void count_live(int64_t d)
{
	struct live_shard *s = my_shard;

	if (__builtin_expect(!s, 0)) {
		unsigned int i = atomic_fetch_add_explicit(&fail.next_shard, 1,
							   memory_order_relaxed);

		s = my_shard = &live_allocs[i % LIVE_SHARDS];
	}
	atomic_fetch_add_explicit(&s->n, d, memory_order_relaxed);
}

void mem_fail_after(uint64_t n)
{
	atomic_store(&fail.fired, 0);
	atomic_store(&fail.countdown, n);
}

int mem_fail_fired(void)
{
	return atomic_load(&fail.fired);
}

int64_t mem_live(void)
{
	int64_t n = 0;

	for (size_t i = 0; i < LIVE_SHARDS; i++)
		n += atomic_load_explicit(&live_allocs[i].n, memory_order_relaxed);
	return n;
}

static int should_fail(void)
{
	uint64_t c = atomic_load_explicit(&fail.countdown, memory_order_relaxed);

	while (c) {
		if (atomic_compare_exchange_weak(&fail.countdown, &c, c - 1)) {
			if (c == 1) {
				atomic_store(&fail.fired, 1);
				return 1;
			}
			return 0;
		}
	}
	return 0;
}

void *mem_alloc(size_t size)
{
	void *p;

	if (should_fail())
		return NULL;
	p = malloc(size ? size : 1);
	if (p)
		count_live(1);
	return p;
}

void *mem_zalloc(size_t size)
{
	void *p;

	if (should_fail())
		return NULL;
	p = calloc(1, size ? size : 1);
	if (p)
		count_live(1);
	return p;
}

void *mem_realloc(void *old, size_t size)
{
	void *p;

	if (should_fail())
		return NULL;
	p = realloc(old, size ? size : 1);
	if (p && !old)
		count_live(1);
	return p;
}

void *mem_alloc_aligned(size_t align, size_t size)
{
	void *p;

	if (should_fail() || posix_memalign(&p, align, size ? size : 1))
		return NULL;
	count_live(1);
	return p;
}

void mem_free(void *p)
{
	if (!p)
		return;
	count_live(-1);
	free(p);
}

/* ---- files ---- */

int dir_first_entry(const char *path, char *out, size_t size)
{
	struct dirent *e;
	DIR *d = opendir(path);
	int err = -ENOENT;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && strlen(e->d_name) < size) {
			memcpy(out, e->d_name, strlen(e->d_name) + 1);
			err = 0;
			break;
		}
	closedir(d);
	return err;
}

/* ---- errors ---- */

static __thread char last_error[256];
/* Set by set_error_static(): a constant message that replaces the buffer. */
static __thread const char *last_static;

int set_error(int err, const char *fmt, ...)
{
	va_list ap;
	int n;

	last_static = NULL;
	va_start(ap, fmt);
	n = vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(last_error) - 16) {
		const char *name = gtt_strerror(err);
		size_t len = strlen(name);

		/* A message that already ends in the error's name (one passed
		 * on from an earlier gtt_last_error()) does not get it twice. */
		if ((size_t)n < len + 3 || last_error[n - 1] != ')' ||
		    strncmp(last_error + n - len - 3, " (", 2) ||
		    strncmp(last_error + n - len - 1, name, len))
			snprintf(last_error + n, sizeof(last_error) - (size_t)n,
				 " (%s)", name);
	}
	return err;
}

int set_error_static(int err, const char *msg)
{
	last_static = msg;
	return err;
}

GTT_API const char *gtt_last_error(void)
{
	return last_static ? last_static : last_error;
}

char *error_copy(void)
{
	const char *msg = gtt_last_error();
	size_t len = strlen(msg) + 1;
	char *copy = mem_alloc(len);

	if (copy)
		memcpy(copy, msg, len);
	return copy;
}

GTT_API const char *gtt_strerror(int err)
{
	/* -INT_MIN is not an int; no errno value is that large anyway. */
	if (err == INT_MIN)
		return "unknown error";
	if (err < 0)
		err = -err;
	/* The errno's own meaning, whoever returned it (the library or the
	 * kernel): what it means for a given call is in gtt_last_error(). */
	switch (err) {
	case 0: return "success";
	case EINVAL: return "invalid argument";
	case ENOMEM: return "out of memory";
	case ENOSPC: return "no space left";
	case ENOENT: return "no such file, object or entry";
	case EBUSY: return "resource busy";
	case EAGAIN: return "resource temporarily unavailable";
	case ETIME: return "timed out";
	case EALREADY: return "operation already done";
	case ESHUTDOWN: return "shut down";
	case EIO: return "input/output error";
	case ENODEV: return "no such device";
	case ERANGE: return "out of range";
	case EOVERFLOW: return "value too large";
	case ECANCELED: return "cancelled";
	case EOPNOTSUPP: return "not supported";
	default: return strerror(err);
	}
}

GTT_API const char *gtt_version(void)
{
	return GTT_VERSION_STRING;
}
