/* SPDX-License-Identifier: MIT */
/*
 * Seeded random operations against the reference model (tests/model.c),
 * checked after every step by walking the page tables: a million
 * operations over the generic mock, an Intel GGTT and an Intel PPGTT.
 *
 * GTT_MODEL_OPS sets the total (default 1000000; raise it for a soak),
 * GTT_MODEL_SEED the seed (default 1).  A failure prints the seed, the
 * backend and the step, which reproduce it exactly.
 */
#include <stdlib.h>

#include "helpers.h"
#include "model.h"

static const char *const backend_name[] = { "generic mock", "Intel GGTT (TGL)",
					     "Intel PPGTT (TGL)" };

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
	print_message("%s: %llu ops (binds %llu, unbinds %llu, GPU signals %llu, worker steps %llu)\n",
		      backend_name[backend], (unsigned long long)ops,
		      (unsigned long long)(model_ops(m, 0) + model_ops(m, 1)),
		      (unsigned long long)model_ops(m, 2),
		      (unsigned long long)model_ops(m, 5),
		      (unsigned long long)model_ops(m, 6));
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

	(void)state;
	run(1, total * 2 / 5, seed);
	run(2, total * 2 / 5, seed);
	run(0, total - 2 * (total * 2 / 5), seed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
	};

	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
