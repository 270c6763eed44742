/* SPDX-License-Identifier: MIT */
/*
 * The simulated GPU when libgtt is built without it (-Dsim=disabled):
 * compiled instead of sim.c, it keeps every gtt/sim.h function so the
 * library's ABI does not depend on the option.  Each returns -EOPNOTSUPP
 * (NULL where the function returns a pointer) with a message naming the
 * option; no sim can exist, so destroy has nothing to free.  No state, no
 * locking.
 */
#include <errno.h>

#include <gtt/sim.h>

#include "base/util.h"

static int sim_disabled(const char *fn)
{
	return set_error(-EOPNOTSUPP, "%s: libgtt was built without the simulated GPU "
			 "(-Dsim=disabled)", fn);
}

GTT_API const char *gtt_sim_kind_name(enum gtt_sim_kind kind)
{
	(void)kind;
	return "?";	/* what sim.c says of a kind it does not know */
}

GTT_API int gtt_sim_create(struct gtt_vm *vm, struct gtt_backend *be, struct gtt_sim **out)
{
	(void)vm, (void)be, (void)out;
	return sim_disabled("gtt_sim_create");
}

GTT_API void gtt_sim_destroy(struct gtt_sim *sim)
{
	(void)sim;
}

GTT_API int gtt_sim_submit(struct gtt_sim *sim, const uint64_t *addrs, size_t count,
			   unsigned int flags, struct gtt_sim_job **job)
{
	(void)sim, (void)addrs, (void)count, (void)flags, (void)job;
	return sim_disabled("gtt_sim_submit");
}

GTT_API struct gtt_fence *gtt_sim_job_fence(const struct gtt_sim_job *job)
{
	(void)job;
	sim_disabled("gtt_sim_job_fence");
	return NULL;
}

GTT_API int gtt_sim_run(struct gtt_sim *sim, struct gtt_sim_job *job)
{
	(void)sim, (void)job;
	return sim_disabled("gtt_sim_run");
}

GTT_API int gtt_sim_complete(struct gtt_sim *sim, struct gtt_sim_job *job, int error)
{
	(void)sim, (void)job, (void)error;
	return sim_disabled("gtt_sim_complete");
}

GTT_API const struct gtt_sim_report *gtt_sim_reports(struct gtt_sim *sim, size_t *count)
{
	(void)sim;
	if (count)
		*count = 0;
	sim_disabled("gtt_sim_reports");
	return NULL;
}

GTT_API int gtt_sim_report_explain(struct gtt_sim *sim, const struct gtt_sim_report *r,
				   struct gtt_explain *out)
{
	(void)sim, (void)r, (void)out;
	return sim_disabled("gtt_sim_report_explain");
}

GTT_API int gtt_sim_report_print(FILE *f, struct gtt_sim *sim, const struct gtt_sim_report *r)
{
	(void)f, (void)sim, (void)r;
	return sim_disabled("gtt_sim_report_print");
}
