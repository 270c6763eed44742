/* SPDX-License-Identifier: MIT */
/*
 * Internal helpers shared by the library: container_of, time, futex waits,
 * checked allocation (with the test-only failure injection), error reporting.
 * Nothing here is exported.
 */
#ifndef GTT_LIB_UTIL_H
#define GTT_LIB_UTIL_H

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <gtt/common.h>

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline uint64_t u64_min(uint64_t a, uint64_t b) { return a < b ? a : b; }
static inline uint64_t u64_max(uint64_t a, uint64_t b) { return a > b ? a : b; }
static inline int is_pow2(uint64_t v) { return v && !(v & (v - 1)); }

/*
 * Full memory fence, for ordering page-table stores before a posting read
 * and an MMIO write.  On x86 an explicit mfence (also keeps ThreadSanitizer
 * builds compiling: gcc rejects atomic_thread_fence under -fsanitize=thread).
 */
static inline void full_fence(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("mfence" ::: "memory");
#else
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

/* CLOCK_MONOTONIC in ns. */
uint64_t now_ns(void);

/*
 * Futex wait on a 32-bit word while it still holds @expected.  @deadline_ns
 * is an absolute CLOCK_MONOTONIC time, or UINT64_MAX for none.
 * Returns 0 when woken or the value changed, -ETIME on timeout.
 */
int futex_wait_until(_Atomic uint32_t *word, uint32_t expected,
		     uint64_t deadline_ns);
void futex_wake_all(_Atomic uint32_t *word);

/* Deadline for a gtt-style timeout: negative = forever. */
uint64_t deadline_from_timeout(int64_t timeout_ns);

/*
 * Allocation.  Every allocation the library makes goes through these, so a
 * test can make the Nth one fail (mem_fail_after) and check that nothing
 * leaks (mem_live).
 */
void *mem_alloc(size_t size);
void *mem_zalloc(size_t size);
void *mem_realloc(void *p, size_t size);
/* @align-aligned memory, freed with mem_free(). */
void *mem_alloc_aligned(size_t align, size_t size);
void mem_free(void *p);
/* Test hooks: fail the @n-th allocation from now (0 disables). */
void mem_fail_after(uint64_t n);
/* Whether an injected failure fired since the last mem_fail_after(). */
int mem_fail_fired(void);
/* Allocations currently live. */
int64_t mem_live(void);

/*
 * The name of the first entry of directory @path other than . and .., into
 * @out if it fits in @size bytes.  Return: 0, -ENOENT (none that fits), or
 * the opendir() error.
 */
int dir_first_entry(const char *path, char *out, size_t size);

/*
 * Whether the @n reserved words of a caller's struct are all zero (see the
 * ABI rule in gtt/common.h); @r is the struct's `reserved` member.
 */
static inline bool reserved_zero(const void *r, size_t bytes)
{
	const unsigned char *p = r;
	uint64_t any = 0, w;
	size_t i = 0;

	/* A word at a time: every bind and map call checks its info. */
	for (; i + sizeof(w) <= bytes; i += sizeof(w)) {
		memcpy(&w, p + i, sizeof(w));
		any |= w;
	}
	for (; i < bytes; i++)
		any |= p[i];
	return !any;
}

/*
 * Record a failure for gtt_last_error() and return @err, so error paths
 * read: return set_error(-EINVAL, "bind: size is zero");
 */
int set_error(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The same for an expected outcome on a fast path (a timeout): records the
 * constant @msg without formatting or copying (gtt_last_error() returns
 * @msg itself, so it must be a string literal) and returns @err.  Write the
 * error's name into @msg, as set_error() would append it.
 */
int set_error_static(int err, const char *msg);
/* A copy (mem_alloc()) of this thread's gtt_last_error(), to give a message
 * made here to a caller in another thread; NULL without memory. */
char *error_copy(void);

#endif
