/* SPDX-License-Identifier: MIT */
/*
 * Simulated GPU and checker: see gtt/sim.h.  Expectations are taken from
 * the vm's own state at submit (the binding at each address and its
 * pages, through vm_query.h); results come only from walking the
 * backend's page tables.
 *
 * Reports carry the time of the access, so that the vm's journal can say
 * what the address held then (gtt_sim_report_explain()).
 *
 * Locking: sim->lock guards the report list and the job counter; the vm
 * is only reached through its public calls and vm_query_addr().
 */
#include <inttypes.h>
#include <pthread.h>
#include <string.h>

#include <gtt/sim.h>

#include "base/util.h"
#include "vm/vm_query.h"

struct gtt_sim {
	struct gtt_vm *vm;
	struct gtt_backend *be;
	pthread_mutex_t lock;
	struct gtt_sim_report *reports;
	size_t nreports, cap;
	uint64_t next_job;
};

/* The expected address of a NULL mapping (no memory behind it). */
#define SIM_NULL UINT64_MAX

struct gtt_sim_job {
	uint64_t seq;
	struct gtt_fence *fence;
	struct gtt_fence **waits;	/* bind fences a tracked job waits for */
	size_t nwaits;
	size_t n;
	uint64_t *addr;
	uint64_t *expected;
};

GTT_API const char *gtt_sim_kind_name(enum gtt_sim_kind kind)
{
	switch (kind) {
	case GTT_SIM_FAULT: return "fault";
	case GTT_SIM_SCRATCH: return "scratch";
	case GTT_SIM_STALE: return "stale";
	}
	return "?";
}

GTT_API int gtt_sim_create(struct gtt_vm *vm, struct gtt_backend *be,
			   struct gtt_sim **out)
{
	struct gtt_translation probe;
	struct gtt_sim *sim;

	if (!vm || !be || !out)
		return set_error(-EINVAL, "gtt_sim_create: NULL argument");
	/* Any answer but "not supported" says the backend can walk its table. */
	if (gtt_backend_translate(be, 0, &probe) == -EOPNOTSUPP)
		return set_error(-EOPNOTSUPP, "gtt_sim_create: backend '%s' cannot walk its table",
				 gtt_backend_name(be));
	sim = mem_zalloc(sizeof(*sim));
	if (!sim)
		return set_error(-ENOMEM, "gtt_sim_create: out of memory");
	sim->vm = vm;
	sim->be = be;
	pthread_mutex_init(&sim->lock, NULL);
	*out = sim;
	return 0;
}

static void job_free(struct gtt_sim_job *job)
{
	for (size_t i = 0; i < job->nwaits; i++)
		gtt_fence_put(job->waits[i]);
	gtt_fence_put(job->fence);
	mem_free(job->waits);
	mem_free(job->addr);
	mem_free(job->expected);
	mem_free(job);
}

/* A correct driver's job waits for the bind and marks the vma busy. */
static void track(struct gtt_sim_job *job, gtt_vma_t *touched,
		  size_t *ntouched, const struct vm_query *q)
{
	for (size_t k = 0; k < *ntouched; k++)
		if (touched[k] == q->vma)
			return;
	touched[(*ntouched)++] = q->vma;
	if (q->bind_fence && !gtt_fence_is_signaled(q->bind_fence))
		job->waits[job->nwaits++] = gtt_fence_get(q->bind_fence);
}

GTT_API int gtt_sim_submit(struct gtt_sim *sim, const uint64_t *addrs,
			   size_t count, unsigned int flags,
			   struct gtt_sim_job **out)
{
	struct gtt_vm *vm;
	struct gtt_sim_job *job;
	gtt_vma_t *touched;
	size_t ntouched = 0;
	int err = 0;

	if (!sim || !out || (count && !addrs) || (flags & ~GTT_SIM_TRACK))
		return set_error(-EINVAL, "gtt_sim_submit: NULL argument or unknown flags");
	vm = sim->vm;
	job = mem_zalloc(sizeof(*job));
	touched = mem_alloc((count ? count : 1) * sizeof(*touched));
	if (job) {
		job->addr = mem_alloc((count ? count : 1) * sizeof(uint64_t));
		job->expected = mem_alloc((count ? count : 1) * sizeof(uint64_t));
		job->waits = mem_alloc((count ? count : 1) * sizeof(*job->waits));
	}
	if (!job || !touched || !job->addr || !job->expected || !job->waits ||
	    gtt_fence_create(0, 0, &job->fence)) {
		if (job)
			job_free(job);
		mem_free(touched);
		return set_error(-ENOMEM, "gtt_sim_submit: out of memory");
	}
	job->n = count;
	for (size_t i = 0; i < count && !err; i++) {
		struct vm_query q;

		if (vm_query_addr(vm, addrs[i], &q)) {
			err = set_error(-ENOENT, "gtt_sim_submit: nothing is bound at 0x%llx",
					(unsigned long long)addrs[i]);
			break;
		}
		job->addr[i] = addrs[i];
		if (!q.pages)	/* a NULL mapping: reads zero, never memory */
			job->expected[i] = SIM_NULL;
		else
			err = gtt_pages_addr(q.pages, q.pages_offset + addrs[i] - q.start,
					     &job->expected[i]);
		gtt_pages_put(q.pages);
		if (!err && (flags & GTT_SIM_TRACK))
			track(job, touched, &ntouched, &q);
		gtt_fence_put(q.bind_fence);
	}
	for (size_t k = 0; k < ntouched && !err; k++)
		err = gtt_vma_add_active(vm, touched[k], job->fence);
	mem_free(touched);
	if (err) {
		/*
		 * The job will never run, but the vmas before the one that
		 * failed already hold its fence as active: signal it so that
		 * their unbinds (and the vm's teardown) do not wait for ever.
		 */
		gtt_fence_signal(job->fence, err);
		job_free(job);
		return err;
	}
	pthread_mutex_lock(&sim->lock);
	job->seq = ++sim->next_job;
	pthread_mutex_unlock(&sim->lock);
	*out = job;
	return 0;
}

GTT_API struct gtt_fence *gtt_sim_job_fence(const struct gtt_sim_job *job)
{
	return job ? job->fence : NULL;
}

static void report(struct gtt_sim *sim, const struct gtt_sim_report *r)
{
	pthread_mutex_lock(&sim->lock);
	if (sim->nreports == sim->cap) {
		size_t cap = sim->cap ? sim->cap * 2 : 16;
		struct gtt_sim_report *n = mem_realloc(sim->reports, cap * sizeof(*n));

		if (!n) {	/* keep counting what fits; the run's return says how many */
			pthread_mutex_unlock(&sim->lock);
			return;
		}
		sim->reports = n;
		sim->cap = cap;
	}
	sim->reports[sim->nreports++] = *r;
	pthread_mutex_unlock(&sim->lock);
}

GTT_API int gtt_sim_run(struct gtt_sim *sim, struct gtt_sim_job *job)
{
	int bad = 0;

	if (!sim || !job)
		return set_error(-EINVAL, "gtt_sim_run: NULL argument");
	for (size_t i = 0; i < job->nwaits; i++)
		if (!gtt_fence_is_signaled(job->waits[i]))
			return set_error(-EAGAIN, "gtt_sim_run: job %llu still waits for a bind",
					 (unsigned long long)job->seq);
	for (size_t i = 0; i < job->n; i++) {
		struct gtt_sim_report r = { .job = job->seq, .addr = job->addr[i],
					    .expected = job->expected[i] };
		struct gtt_translation t;
		int err = gtt_backend_translate(sim->be, job->addr[i], &t);

		r.time = now_ns();

		if (err || !t.present)
			r.kind = GTT_SIM_FAULT;
		else if (job->expected[i] == SIM_NULL && (t.null || t.scratch))
			continue;	/* NULL, or scratch where there is none */
		else if (job->expected[i] == SIM_NULL)
			r.kind = GTT_SIM_STALE;
		else if (t.scratch || t.null)
			r.kind = GTT_SIM_SCRATCH;
		else if (t.addr != job->expected[i])
			r.kind = GTT_SIM_STALE;
		else
			continue;
		r.got = err ? 0 : t.addr;
		report(sim, &r);
		bad++;
	}
	return bad;
}

GTT_API int gtt_sim_complete(struct gtt_sim *sim, struct gtt_sim_job *job,
			     int error)
{
	int bad = gtt_sim_run(sim, job);

	if (bad < 0)
		return bad;
	gtt_fence_signal(job->fence, error);
	job_free(job);
	return bad;
}

GTT_API const struct gtt_sim_report *gtt_sim_reports(struct gtt_sim *sim,
						     size_t *count)
{
	if (count)
		*count = sim ? sim->nreports : 0;
	return sim && sim->nreports ? sim->reports : NULL;
}

GTT_API int gtt_sim_report_explain(struct gtt_sim *sim,
				   const struct gtt_sim_report *r,
				   struct gtt_explain *out)
{
	if (!sim || !r)
		return set_error(-EINVAL, "gtt_sim_report_explain: NULL argument");
	return gtt_vm_explain(sim->vm, r->addr, r->time, out);
}

GTT_API int gtt_sim_report_print(FILE *f, struct gtt_sim *sim,
				 const struct gtt_sim_report *r)
{
	struct gtt_explain ex;

	if (!f || !sim || !r)
		return set_error(-EINVAL, "gtt_sim_report_print: NULL argument");
	fprintf(f, "job %" PRIu64 ": %s at 0x%" PRIx64 " (expected 0x%" PRIx64 ", got 0x%" PRIx64 ")\n",
		r->job, gtt_sim_kind_name(r->kind), r->addr, r->expected, r->got);
	if (!gtt_vm_explain(sim->vm, r->addr, r->time, &ex))
		return gtt_explain_print(f, &ex);
	if (ferror(f))
		return set_error(-EIO, "gtt_sim_report_print: writing failed");
	return 0;
}

GTT_API void gtt_sim_destroy(struct gtt_sim *sim)
{
	if (!sim)
		return;
	pthread_mutex_destroy(&sim->lock);
	mem_free(sim->reports);
	mem_free(sim);
}
