/* SPDX-License-Identifier: MIT */
/*
 * Seeded random operations against the reference model (tests/model.c),
 * checked after every step by walking the page tables: a million
 * operations — binds and unbinds of whole vmas, sparse vmas and their
 * maps, NULL maps and unmaps, batches of them, objects' unmaps and moves,
 * active fences per vma and per vm — over the generic mock, an Intel GGTT,
 * Intel PPGTTs with and without NULL entries, a gen6/7 PPGTT (HSW: its
 * page directory in a GGTT, a vm across two page tables), two large PPGTTs with
 * huge leaves (TGL: 64 KiB IPS tables and 2 MiB; LNL: PS64, 2 MiB, 1 GiB).
 *
 * GTT_MODEL_OPS sets the total (default 1000000, 100000 under TSan: see
 * tests/meson.build; raise it for a soak), GTT_MODEL_SEED the seed
 * (default 1), GTT_MODEL_TRACE=N prints every step from step N on to stderr.  A failure
 * prints the seed, the backend and the step, which reproduce it exactly.
 *
 * Built with GTT_MODEL_XE (test_model_xe, where the xe backend is): the
 * same sequences through the xe backend over the fake xe kernel, with GEM
 * objects (LNL) and with user memory (TGL), GTT_MODEL_OPS in all (default
 * 100000, a few seconds, 20000 under TSan: the kernel signals through a
 * watcher thread).
 */
#include <stdlib.h>

#include "helpers.h"
#include "model.h"

/* The default total; the TSan build sets a smaller one (tests/meson.build). */
#ifndef GTT_MODEL_DEFAULT_OPS
#ifdef GTT_MODEL_XE
#define GTT_MODEL_DEFAULT_OPS 100000
#else
#define GTT_MODEL_DEFAULT_OPS 1000000
#endif
#endif

static const char *const backend_name[MODEL_BACKENDS] = {
	[MODEL_GENERIC] = "generic mock",
	[MODEL_GGTT] = "Intel GGTT (TGL)",
	[MODEL_PPGTT] = "Intel PPGTT (TGL)",
	[MODEL_PPGTT_SCRATCH] = "Intel PPGTT (SKL)",
	[MODEL_PPGTT_HUGE] = "Intel PPGTT (TGL), huge leaves",
	[MODEL_PPGTT_HUGE_XE2] = "Intel PPGTT (LNL), huge leaves",
	[MODEL_PPGTT_GEN6] = "Intel gen6/7 PPGTT (HSW)",
	[MODEL_XE] = "xe over the fake kernel (LNL), GEM objects",
	[MODEL_XE_USERPTR] = "xe over the fake kernel (TGL), user memory and GEM objects",
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
	print_message("  batches %llu (applied %llu with %llu ops, bad %llu), unmap_pages %llu "
		      "(applied %llu), moves %llu (applied %llu, to too small pages %llu), "
		      "object pages covered %llu, vm-wide active %llu, add_active_many %llu "
		      "(applied %llu, -ENOENT %llu), not-before orders %llu; "
		      "pages checked in 64K / 2M / 1G leaves %llu / %llu / %llu\n",
		      N(MODEL_BATCH), N(MODEL_BATCH_OK), N(MODEL_BATCH_OPS), N(MODEL_BATCH_BAD),
		      N(MODEL_UNMAP_PAGES), N(MODEL_UNMAP_PAGES_OK), N(MODEL_MOVE),
		      N(MODEL_MOVE_OK), N(MODEL_MOVE_SMALL), N(MODEL_OBJ_PAGES),
		      N(MODEL_VM_ACTIVE), N(MODEL_ACTIVE_MANY), N(MODEL_ACTIVE_MANY_OK),
		      N(MODEL_ACTIVE_MANY_ENOENT), N(MODEL_ORDERS), N(MODEL_LEAF_64K),
		      N(MODEL_LEAF_2M), N(MODEL_LEAF_1G));
	if (backend == MODEL_XE || backend == MODEL_XE_USERPTR)
		print_message("  xe: VM_BINDs taken %llu, bind ops applied %llu, jobs run one by one "
			      "by worker steps %llu; no call refused, no timeline point out of order\n",
			      N(MODEL_XE_BINDS), N(MODEL_XE_OPS), N(MODEL_XE_STEPPED));
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
	uint64_t total = env_u64("GTT_MODEL_OPS", GTT_MODEL_DEFAULT_OPS);
	uint64_t seed = env_u64("GTT_MODEL_SEED", 1);
	uint64_t part = total / 6, huge = total / 40;

	(void)state;
#ifdef GTT_MODEL_XE
	run(MODEL_XE, total / 2, seed);
	run(MODEL_XE_USERPTR, total - total / 2, seed);
	return;
#endif
	run(MODEL_GGTT, part, seed);
	run(MODEL_PPGTT, part, seed);
	run(MODEL_PPGTT_SCRATCH, part, seed);
	run(MODEL_PPGTT_HUGE, huge, seed);
	run(MODEL_PPGTT_HUGE_XE2, huge, seed);
	run(MODEL_PPGTT_GEN6, part, seed);
	run(MODEL_GENERIC, total - 4 * part - 2 * huge, seed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
	};

	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
