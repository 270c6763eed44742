/* SPDX-License-Identifier: MIT */
/*
 * Sequence counts: lets lock-free readers detect that a writer changed
 * what they walked.
 *
 * The count is odd while a change is in progress.  A writer (serialised by
 * its own lock) calls seqcount_write_begin() before and seqcount_write_end()
 * after a change.  A reader takes seqcount_read_begin(), walks with acquire
 * loads, and keeps the result only if seqcount_read_retry() says no writer
 * started meanwhile; otherwise it tries again or falls back to the lock.
 * The reader's own loads are acquire loads, so none of them can move after
 * the final read of the count; the writer's changes to what readers follow
 * are release stores, so a reader that sees one also sees the odd count.
 *
 * This file owns no data: the count lives in the structure it guards.
 */
#ifndef GTT_LIB_SEQCOUNT_H
#define GTT_LIB_SEQCOUNT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* A reader's load of a field that writers publish with release stores. */
#define LOAD_ACQ(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)

/* Start a read section: false if a writer is inside (try again later). */
static inline bool seqcount_read_begin(_Atomic uint32_t *seq, uint32_t *start)
{
	*start = atomic_load_explicit(seq, memory_order_acquire);
	return !(*start & 1);
}

/* End it: true if a writer got in the way (what was read is void). */
static inline bool seqcount_read_retry(_Atomic uint32_t *seq, uint32_t start)
{
	return atomic_load_explicit(seq, memory_order_acquire) != start;
}

/* Writers hold their lock around both; the count is odd in between. */
static inline void seqcount_write_begin(_Atomic uint32_t *seq)
{
	atomic_store_explicit(seq, atomic_load_explicit(seq, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

static inline void seqcount_write_end(_Atomic uint32_t *seq)
{
	atomic_store_explicit(seq, atomic_load_explicit(seq, memory_order_relaxed) + 1,
			      memory_order_release);
}

#endif
