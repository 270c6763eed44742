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
 * Wait for @f on behalf of work that runs on @ex.  On a manual executor the
 * waiter runs queued jobs while it waits, so a single-threaded caller of a
 * synchronous operation cannot deadlock on work only it would run.
 */
void executor_wait_fence(struct gtt_executor *ex, struct gtt_fence *f);

/* True for a manual executor (false for a pool or NULL). */
bool executor_is_manual(const struct gtt_executor *ex);

#endif
