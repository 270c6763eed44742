/* SPDX-License-Identifier: MIT */
/**
 * DOC: executors
 *
 * An executor runs the deferred halves of binds and unbinds (the work that
 * had to wait for fences).  libgtt starts no thread of its own: the caller
 * picks one of
 *
 * - a thread pool with a fixed number of workers (gtt_executor_create_pool()),
 * - a manual executor that only queues; the caller runs the queue step by
 *   step with gtt_executor_run_one() / gtt_executor_run_all().  With it every
 *   run is deterministic, which is what policy tests want.
 *
 * A vm created without an executor runs deferred work inline, in the thread
 * that signals the last dependency.
 *
 * Blocking library calls (a sync bind or unbind, gtt_vma_destroy(), the
 * out-of-memory fallback of a dependency) help while they wait.  The rule:
 * a call blocked on work that has not finished runs, one at a time, the
 * queued jobs of
 *
 * - the manual executor of the vm it was called on (whichever
 *   thread created it), and
 * - every manual executor created by the calling thread, whichever vm or
 *   job its queued work belongs to,
 *
 * and sleeps at most 1 ms at a time only when none has a job queued.  A
 * single-threaded program therefore cannot deadlock on work only it would
 * run, even when a vm with a pool or no executor waits for work queued on
 * another vm's manual executor (e.g. a bind that depends on that vm's
 * unbind fence).  A manual executor that another thread created is never
 * stepped behind that thread's back (unless the call is on a vm that uses
 * it): work queued there waits until its creator runs it.  A thread that
 * creates manual executors and no longer steps them should destroy them
 * before it exits.  gtt_vm_wait_idle() and gtt_vm_destroy() help the same
 * way; gtt_fence_wait() and gtt_resv_wait() are plain waits and never help.
 *
 * Thread safety: submit may be called from any thread, including from jobs
 * and fence callbacks.  run_one/run_all may be called from any thread but
 * only for a manual executor.  destroy must not race with anything else.
 */
#ifndef GTT_EXECUTOR_H
#define GTT_EXECUTOR_H

#include <gtt/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct gtt_executor;

/** typedef gtt_job_fn - A job submitted with gtt_executor_submit(). */
typedef void (*gtt_job_fn)(void *arg);

/**
 * gtt_executor_create_pool() - Executor backed by @threads worker threads.
 * @threads: number of workers, 1 to 1024.
 * @out: receives the executor.
 *
 * Return: 0, -EINVAL, -ENOMEM, or the error of pthread_create().
 */
GTT_API int gtt_executor_create_pool(unsigned int threads,
				     struct gtt_executor **out);

/**
 * gtt_executor_create_manual() - Executor that runs jobs only when told to.
 * @out: receives the executor.
 *
 * The calling thread becomes its owner: that thread's blocking library
 * calls run its queued jobs while they wait (see the rule above).
 *
 * Return: 0, -EINVAL, -ENOMEM.
 */
GTT_API int gtt_executor_create_manual(struct gtt_executor **out);

/**
 * gtt_executor_submit() - Queue @fn(@arg) to run on @ex.
 *
 * Return: 0, -EINVAL, -ENOMEM.  Must not race with gtt_executor_destroy()
 * (jobs the executor is running may still submit more while it drains).
 */
GTT_API int gtt_executor_submit(struct gtt_executor *ex, gtt_job_fn fn,
				void *arg);

/**
 * gtt_executor_run_one() - Run the oldest queued job of a manual executor.
 *
 * Return: 1 if a job ran, 0 if the queue was empty, -EINVAL for a pool or NULL.
 */
GTT_API int gtt_executor_run_one(struct gtt_executor *ex);

/**
 * gtt_executor_run_all() - Run a manual executor until its queue is empty,
 * including jobs queued by the jobs it runs.
 *
 * Return: number of jobs run, or -EINVAL for a pool or NULL.
 */
GTT_API long gtt_executor_run_all(struct gtt_executor *ex);

/** gtt_executor_pending() - Jobs queued and not yet started. */
GTT_API size_t gtt_executor_pending(struct gtt_executor *ex);

/**
 * gtt_executor_destroy() - Finish the queue and free the executor.
 *
 * A pool finishes every queued job, then joins its threads.  A manual
 * executor runs what is still queued in the calling thread.  Every vm that
 * uses @ex must have been destroyed first.  NULL is ignored.
 */
GTT_API void gtt_executor_destroy(struct gtt_executor *ex);

#ifdef __cplusplus
}
#endif
#endif
