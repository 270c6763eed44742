/* SPDX-License-Identifier: MIT */
/*
 * Intrusive executor jobs: the library's own deferred work embeds a job,
 * so queueing it never allocates and never fails.
 */
#ifndef GTT_LIB_EXECUTOR_INTERNAL_H
#define GTT_LIB_EXECUTOR_INTERNAL_H

#include <gtt/executor.h>

struct exec_job {
	struct exec_job *next;
	void (*run)(struct exec_job *job);
};

struct gtt_fence;

/* Queue @job on @ex; with @ex NULL, run it now in this thread. */
void executor_queue(struct gtt_executor *ex, struct exec_job *job);

/*
 * Wait for @f on behalf of work that runs on @ex (a vm's executor, or NULL).
 * While @f is unsignalled the waiter runs queued jobs of @ex when it is
 * manual and of every manual executor the calling thread created, so a
 * single-threaded caller of a synchronous operation cannot deadlock on work
 * only it would run, even when that work is queued for another vm.  Manual
 * executors created by other threads (other than @ex) are never stepped.
 */
void executor_wait_fence(struct gtt_executor *ex, struct gtt_fence *f);

/*
 * One step of such a helping wait: run one queued job of @ex (if manual) or
 * of a manual executor the calling thread created.  Returns whether a job
 * ran.  If @may_help is not NULL it receives whether this thread could run
 * any such work at all (false: a plain blocking wait is safe).  For waits
 * that are not on one fence (gtt_vm_wait_idle()).
 */
bool executor_help(struct gtt_executor *ex, bool *may_help);

/* True for a manual executor (false for a pool or NULL). */
bool executor_is_manual(const struct gtt_executor *ex);

#endif
