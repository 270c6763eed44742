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

/* Queue @job on @ex; with @ex NULL, run it now in this thread. */
void executor_queue(struct gtt_executor *ex, struct exec_job *job);

#endif
