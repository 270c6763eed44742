/* SPDX-License-Identifier: MIT */
/**
 * DOC: common definitions
 *
 * Shared by every libgtt header: the export macro, the fixed-width types and
 * the error convention.
 *
 * Errors: every function that can fail returns 0 (or a non-negative count)
 * on success and a negative errno value on failure.  gtt_strerror() names
 * the code and gtt_last_error() returns a sentence that says what was wrong
 * with the call, for the calling thread.  A failed call leaves every object
 * it was given exactly as it was.  The library never aborts or exits
 * because of a caller's mistake.
 *
 * Addresses and sizes are uint64_t everywhere; a range [start, start + size)
 * must never wrap around 2^64.
 *
 * ABI: every public struct that the caller fills (configs, requests, ops
 * tables) or that the library fills into the caller's memory (stats,
 * queries, entries) ends in a `reserved` member.  The caller zeroes it —
 * a zero-initialised struct always means "every default" — and a function
 * that takes such a struct rejects non-zero reserved words with -EINVAL.
 * Later versions turn reserved words into new fields whose zero value is
 * today's behaviour, so a program built against an older header keeps
 * working with a newer library, and one that sets a newer field gets
 * -EINVAL from an older library instead of being silently ignored.  The
 * library zeroes the reserved words of what it fills.  struct
 * gtt_pages_segment ({addr, length}) and struct gtt_intel_reg_write are
 * fixed records and do not grow.  The soname changes when anything else
 * in the ABI does.
 */
#ifndef GTT_COMMON_H
#define GTT_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(GTT_BUILDING_LIBRARY)
#define GTT_API __attribute__((visibility("default")))
#else
#define GTT_API
#endif

/**
 * gtt_strerror() - Name an error code returned by libgtt.
 * @err: a negative errno value (a positive one is accepted too).
 *
 * The name is the errno's general meaning ("no such file, object or
 * entry" for -ENOENT), the same whether libgtt or the kernel returned it;
 * what the error meant for a particular call is in gtt_last_error().  Any
 * int is accepted; INT_MIN, which is no errno value and has no positive
 * counterpart, is named "unknown error".
 *
 * Thread-safe.  Return: a static string, never NULL.
 */
GTT_API const char *gtt_strerror(int err);

/**
 * gtt_last_error() - Describe the calling thread's most recent libgtt error.
 *
 * Every failing entry point stores a sentence here ("gtt_vma_bind: offset
 * 0x1001 is not aligned to the page size 0x1000") before it returns, also
 * for expected outcomes such as a wait that timed out (-ETIME).  The text
 * is per thread and is overwritten by the next failure in that thread.
 *
 * Thread-safe.  Return: a NUL-terminated string owned by the library, empty
 * when this thread has seen no error.
 */
GTT_API const char *gtt_last_error(void);

/**
 * gtt_version() - The library version as a string, e.g. "0.1.0".
 */
GTT_API const char *gtt_version(void);

#ifdef __cplusplus
}
#endif
#endif
