/* SPDX-License-Identifier: MIT */
/**
 * DOC: await sets
 *
 * An await set collects dependency fences and, once committed, runs one job
 * when all of them have signalled.  It is the library's version of the
 * kernel's i915_sw_fence "chain".
 *
 * Life cycle: gtt_await_create(), any number of gtt_await_add_fence(), at
 * most one gtt_await_commit(), and always gtt_await_destroy() at the end.
 * The set stays valid until both its job has run and the caller destroyed
 * it, so a second commit, an add or a cancel after the commit are refused
 * with -EINVAL, never a use after free.  Destroying an uncommitted set
 * cancels it (the job never runs); destroying a committed one only drops
 * the caller's handle (the job still runs, and the set is freed after it).
 * gtt_await_cancel() is gtt_await_destroy() for an uncommitted set.
 *
 * If every dependency has already signalled at commit time, the job runs at
 * once in the committing thread; otherwise it is submitted to the executor
 * by the thread that signals the last dependency (or run inline there when
 * the executor is NULL).  The job receives the first error any dependency
 * signalled with (0 if none).
 *
 * Ordering is never lost: when recording a dependency fails for lack of
 * memory, gtt_await_add_fence() waits for that fence synchronously instead.
 *
 * Thread safety: one thread builds, commits and destroys a given set; the
 * fences it awaits may be signalled, and its job run, in any thread.
 */
#ifndef GTT_AWAIT_H
#define GTT_AWAIT_H

#include <gtt/common.h>
#include <gtt/executor.h>
#include <gtt/fence.h>

#ifdef __cplusplus
extern "C" {
#endif

struct gtt_await;

/** typedef gtt_await_fn - The job; @error is the first dependency error. */
typedef void (*gtt_await_fn)(void *arg, int error);

/**
 * gtt_await_create() - Start an await set.
 * @ex: executor for the job, or NULL to run it in the signalling thread.
 * @fn: the job.
 * @arg: its argument.
 * @out: receives the set.
 *
 * Return: 0, -EINVAL, -ENOMEM.
 */
GTT_API int gtt_await_create(struct gtt_executor *ex, gtt_await_fn fn,
			     void *arg, struct gtt_await **out);

/**
 * gtt_await_add_fence() - Make the job wait for @fence too.
 *
 * Return: 0 (also when memory ran out and the fence was waited for
 * synchronously); -EINVAL for NULL or a set already committed.
 */
GTT_API int gtt_await_add_fence(struct gtt_await *aw, struct gtt_fence *fence);

/**
 * gtt_await_pending() - Dependencies recorded and not yet signalled.
 */
GTT_API size_t gtt_await_pending(const struct gtt_await *aw);

/**
 * gtt_await_commit() - No more dependencies: run the job when they signal.
 *
 * The handle stays valid (for gtt_await_pending() and refused calls) until
 * gtt_await_destroy(), which the caller still owes.
 *
 * Return: 1 if the job ran immediately in this thread, 0 if it was deferred,
 * -EINVAL for NULL or a second commit.
 */
GTT_API int gtt_await_commit(struct gtt_await *aw);

/**
 * gtt_await_cancel() - Drop an uncommitted set without running the job.
 *
 * Its callbacks are removed from the dependency fences first, then the set
 * is freed: the same as gtt_await_destroy() on an uncommitted set.  After a
 * commit nothing happens (the job will run; the handle must still be
 * destroyed).
 *
 * Return: 0 when cancelled and freed; -EINVAL for NULL or a committed set.
 */
GTT_API int gtt_await_cancel(struct gtt_await *aw);

/**
 * gtt_await_destroy() - Release the caller's handle on a set.
 *
 * Uncommitted: cancels it, as gtt_await_cancel() does; the job never runs.
 * Committed: the job still runs (or already ran); the set is freed once it
 * has.  The handle must not be used afterwards.  NULL is ignored.
 */
GTT_API void gtt_await_destroy(struct gtt_await *aw);

#ifdef __cplusplus
}
#endif
#endif
