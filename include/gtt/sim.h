/* SPDX-License-Identifier: MIT */
/**
 * DOC: simulated GPU and checker
 *
 * A gtt_sim plays a GPU against a vm and its backend.  A *job* is a list of
 * addresses the GPU reads while the job's fence is unsignalled.  At submit
 * the sim records, for each address, the DMA address of the page that is
 * bound there.  Whenever the job runs (gtt_sim_run(), any number of times
 * before gtt_sim_complete()), every access is translated through the
 * backend's real page tables (gtt_backend_translate()) and the checker
 * reports each one that
 *
 * - faults: the entry is not present (%GTT_SIM_FAULT),
 * - lands on the scratch page (%GTT_SIM_SCRATCH),
 * - lands on another page than the one bound at submit, i.e. a binding
 *   that was unbound and whose range was reused (%GTT_SIM_STALE).
 *
 * When the vm keeps a journal (gtt/journal.h), gtt_sim_report_explain()
 * tells a report's history: which mapping was at its address when the
 * access ran, when it was unbound and whether its clear had run;
 * gtt_sim_report_print() prints the report with it.
 *
 * With %GTT_SIM_TRACK the job behaves like the work of a correct driver:
 * it waits for the bind fence of every vma it touches and is added to
 * their active fences, so an unbind cannot clear the PTEs under it.
 * Without it, the tests can play a driver that forgets to.
 *
 * Thread safety: a sim may be used from several threads; one job at a
 * time per call.
 */
#ifndef GTT_SIM_H
#define GTT_SIM_H

#include <stdio.h>

#include <gtt/backend.h>
#include <gtt/fence.h>
#include <gtt/journal.h>
#include <gtt/vm.h>

#ifdef __cplusplus
extern "C" {
#endif

struct gtt_sim;
struct gtt_sim_job;

/** enum gtt_sim_kind - What a checked access found. */
enum gtt_sim_kind {
	GTT_SIM_FAULT = 1,
	GTT_SIM_SCRATCH = 2,
	GTT_SIM_STALE = 3,
};

/**
 * struct gtt_sim_report - One bad access.
 * @kind: &enum gtt_sim_kind.
 * @job: the job's sequence number (1, 2, ...).
 * @addr: GPU virtual address accessed.
 * @expected: DMA address that was bound there at submit.
 * @got: DMA address the page tables gave (scratch, or another page).
 * @time: when the access ran (CLOCK_MONOTONIC ns, the journal's clock).
 * @reserved: zero.
 */
struct gtt_sim_report {
	enum gtt_sim_kind kind;
	uint64_t job;
	uint64_t addr;
	uint64_t expected;
	uint64_t got;
	uint64_t time;
	uint64_t reserved[1];
};

/** Flags for gtt_sim_submit(). */
#define GTT_SIM_TRACK (1u << 0)

/**
 * gtt_sim_create() - A simulated GPU on @vm, whose page tables are @be's.
 *
 * @be must support gtt_backend_translate().  Return: 0, -EINVAL, -EOPNOTSUPP, -ENOMEM.
 */
GTT_API int gtt_sim_create(struct gtt_vm *vm, struct gtt_backend *be,
			   struct gtt_sim **out);

/** gtt_sim_destroy() - Free the sim; jobs not completed stay the caller's.  NULL is ignored. */
GTT_API void gtt_sim_destroy(struct gtt_sim *sim);

/**
 * gtt_sim_submit() - Queue a job that reads @addrs.
 * @flags: %GTT_SIM_TRACK or 0.
 * @job: receives the job; it is freed by gtt_sim_complete().
 *
 * Every address must be inside a bound vma.  A submit that fails leaves no
 * active fence behind: a tracked job whose fence some vmas already hold is
 * signalled with the error before it is freed, so their unbinds do not wait
 * for it.  Return: 0, -EINVAL, -ENOENT (an address with nothing bound),
 * -ENOMEM.
 */
GTT_API int gtt_sim_submit(struct gtt_sim *sim, const uint64_t *addrs,
			   size_t count, unsigned int flags,
			   struct gtt_sim_job **job);

/** gtt_sim_job_fence() - The job's fence (owned by the job). */
GTT_API struct gtt_fence *gtt_sim_job_fence(const struct gtt_sim_job *job);

/**
 * gtt_sim_run() - Perform the job's accesses now and check them.
 *
 * Return: the number of bad accesses this run (each also recorded as a
 * report), -EAGAIN if a tracked job still waits for a bind, -EINVAL.
 */
GTT_API int gtt_sim_run(struct gtt_sim *sim, struct gtt_sim_job *job);

/**
 * gtt_sim_complete() - Run the job once more, signal its fence, free it.
 * @error: the fence error (0 for success).
 *
 * Return: as gtt_sim_run(); on -EAGAIN nothing is signalled or freed.
 */
GTT_API int gtt_sim_complete(struct gtt_sim *sim, struct gtt_sim_job *job,
			     int error);

/**
 * gtt_sim_reports() - Every bad access so far.
 * @count: receives how many.
 *
 * Return: the array (valid until the next sim call), NULL if none.
 */
GTT_API const struct gtt_sim_report *gtt_sim_reports(struct gtt_sim *sim,
						     size_t *count);

/**
 * gtt_sim_report_explain() - The journal's history of a report's address.
 * @sim: the sim.
 * @r: one of its reports.
 * @out: receives gtt_vm_explain() of @r's address as of @r's time: the
 *	mapping the access should have met, its unbind and whether that
 *	unbind's clear had run.
 *
 * Return: 0; -EINVAL (NULL, or the sim's vm keeps no journal).
 */
GTT_API int gtt_sim_report_explain(struct gtt_sim *sim,
				   const struct gtt_sim_report *r,
				   struct gtt_explain *out);

/**
 * gtt_sim_report_print() - Print a report and, when the vm keeps a
 * journal, its explanation.
 * @f: where.
 * @sim: the sim.
 * @r: one of its reports.
 *
 * "job 3: scratch at 0x12345000 (expected 0x..., got 0x...)", then
 * gtt_explain_print()'s lines.  Return: 0; -EINVAL (NULL); -EIO.
 */
GTT_API int gtt_sim_report_print(FILE *f, struct gtt_sim *sim,
				 const struct gtt_sim_report *r);

/** gtt_sim_kind_name() - "fault", "scratch" or "stale". */
GTT_API const char *gtt_sim_kind_name(enum gtt_sim_kind kind);

#ifdef __cplusplus
}
#endif
#endif
