/* SPDX-License-Identifier: MIT */
/*
 * Seeded random operations against the reference model (tests/model.c),
 * checked after every step by walking the page tables: a million
 * operations — binds and unbinds of whole vmas, sparse vmas and their
 * maps, NULL maps and unmaps — over the generic mock, an Intel GGTT and
 * Intel PPGTTs with and without NULL entries.
 *
 * GTT_MODEL_OPS sets the total (default 1000000; raise it for a soak),
 * GTT_MODEL_SEED the seed (default 1).  A failure prints the seed, the
 * backend and the step, which reproduce it exactly.
 */
#include <stdlib.h>

#include "helpers.h"
#include "model.h"

static const char *const backend_name[MODEL_BACKENDS] = {
	[MODEL_GENERIC] = "generic mock",
	[MODEL_GGTT] = "Intel GGTT (TGL)",
	[MODEL_PPGTT] = "Intel PPGTT (TGL)",
	[MODEL_PPGTT_SCRATCH] = "Intel PPGTT (SKL)",
};

#define N(k) (unsigned long long)model_ops(m, k)

static void run(unsigned int backend, uint64_t ops, uint64_t seed)
{
	struct model *m = model_create(backend);
	uint64_t rng = seed * 0x9E3779B97F4A7C15ull + backend + 1;

	assert_non_null(m);
	for (uint64_t i = 0; i < ops; i++) {
		if (model_step(m, (uint32_t)(rng_next(&rng) >> 16))) {
			print_error("%s, seed %llu, step %llu: %s\n",
				    backend_name[backend], (unsigned long long)seed,
				    (unsigned long long)i, model_error(m));
			fail();
		}
		if (i % 4096 == 0 && model_check_all(m)) {
			print_error("%s, seed %llu, step %llu (full check): %s\n",
				    backend_name[backend], (unsigned long long)seed,
				    (unsigned long long)i, model_error(m));
			fail();
		}
	}
	print_message("%s: %llu ops: binds %llu, unbinds %llu, pins %llu, holds %llu, GPU work %llu "
		      "(on sparse vmas %llu), GPU signals %llu, worker steps %llu\n",
		      backend_name[backend], (unsigned long long)ops,
		      N(MODEL_BIND) + N(MODEL_BIND2), N(MODEL_UNBIND), N(MODEL_PIN),
		      N(MODEL_HOLD), N(MODEL_GPU_WORK), N(MODEL_GPU_WORK_SPARSE),
		      N(MODEL_GPU_DONE) + N(MODEL_GPU_DONE2),
		      N(MODEL_WORKER) + N(MODEL_WORKERS));
	print_message("  sparse: create/destroy %llu (created %llu, bound %llu), map %llu, "
		      "map NULL %llu, unmap %llu; on a bound sparse vma: maps %llu, unmaps %llu, "
		      "not done on return %llu, over nothing %llu, over one mapping %llu, over several %llu; "
		      "pages covered %llu, mapped pages unmapped %llu; simulated GPU jobs %llu (completed %llu)\n",
		      N(MODEL_SPARSE_LIFE), N(MODEL_SPARSE_CREATED), N(MODEL_SPARSE_BOUND),
		      N(MODEL_MAP) + N(MODEL_MAP2), N(MODEL_MAP_NULL), N(MODEL_UNMAP),
		      N(MODEL_MAP_OK), N(MODEL_UNMAP_OK), N(MODEL_DEFERRED), N(MODEL_OVER_NOTHING),
		      N(MODEL_OVER_ONE), N(MODEL_OVER_SEVERAL), N(MODEL_PAGES_COVERED),
		      N(MODEL_PAGES_CUT), N(MODEL_JOBS), N(MODEL_JOBS_DONE));
	if (model_destroy(m))
		fail_msg("%s: at teardown", backend_name[backend]);
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);

	return s ? strtoull(s, NULL, 0) : dflt;
}

static void test_model(void **state)
{
	uint64_t total = env_u64("GTT_MODEL_OPS", 1000000);
	uint64_t seed = env_u64("GTT_MODEL_SEED", 1);
	uint64_t quarter = total / 4;

	(void)state;
	run(MODEL_GGTT, quarter, seed);
	run(MODEL_PPGTT, quarter, seed);
	run(MODEL_PPGTT_SCRATCH, quarter, seed);
	run(MODEL_GENERIC, total - 3 * quarter, seed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
	};

	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
