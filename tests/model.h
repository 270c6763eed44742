/* SPDX-License-Identifier: MIT */
/*
 * A reference model of what every GPU page of a vm may translate to, and
 * an interpreter of random operations checked against it after each step:
 * vmas bound and unbound whole, and sparse vmas with mappings at any page
 * range (gtt/map.h), batches of them, objects' unmaps and moves, and
 * active fences per vma and per vm.  Shared by the seeded test (test_model.c) and the
 * libFuzzer harness.  The backends are page tables the model reads back,
 * or (MODEL_XE*) a queue backend over a fake kernel whose page table it
 * reads.
 */
#ifndef GTT_TESTS_MODEL_H
#define GTT_TESTS_MODEL_H

#include <stdint.h>

#include <gtt/gtt.h>

/* The backend under the vm. */
enum model_backend {
	MODEL_GENERIC,		/* generic mock */
	MODEL_GGTT,		/* Intel GGTT (TGL): no NULL entries */
	MODEL_PPGTT,		/* Intel PPGTT (TGL): NULL entries */
	MODEL_PPGTT_SCRATCH,	/* Intel PPGTT (SKL): NULL is scratch */
	MODEL_PPGTT_HUGE,	/* Intel PPGTT (TGL), a 2 GiB vm: 64K IPS, 2M */
	MODEL_PPGTT_HUGE_XE2,	/* Intel PPGTT (LNL), the same: PS64, 2M, 1G */
	MODEL_PPGTT_GEN6,	/* Intel gen6/7 PPGTT (HSW), directory in the GGTT: NULL is scratch */
	/* xe VM_BIND over the fake xe kernel (tests/support/fake_xe.c), only
	 * where model.c is built with GTT_MODEL_XE (else model_create() gives
	 * NULL): the buffers are GEM objects (LNL, PAT index 1), or ... */
	MODEL_XE,
	MODEL_XE_USERPTR,	/* ... user memory, with GEM objects for the big ones (TGL) */
	MODEL_BACKENDS
};

/* Operation kinds (an operation word modulo MODEL_OPS), then counters. */
enum model_counter {
	MODEL_BIND, MODEL_BIND2, MODEL_UNBIND, MODEL_PIN, MODEL_GPU_WORK,
	MODEL_GPU_DONE, MODEL_WORKER, MODEL_HOLD, MODEL_MAP, MODEL_MAP2,
	MODEL_MAP_NULL, MODEL_UNMAP, MODEL_GPU_WORK_SPARSE, MODEL_SPARSE_LIFE,
	MODEL_WORKERS, MODEL_GPU_DONE2, MODEL_BATCH, MODEL_UNMAP_PAGES,
	MODEL_MOVE, MODEL_VM_ACTIVE, MODEL_ACTIVE_MANY,
	MODEL_OPS,
	MODEL_MAP_OK = MODEL_OPS,	/* maps (NULL too) on a bound sparse vma */
	MODEL_UNMAP_OK,			/* unmaps on a bound sparse vma */
	MODEL_DEFERRED,			/* ... of those, not done on return */
	MODEL_OVER_NOTHING,		/* over nothing mapped */
	MODEL_OVER_ONE,			/* over what one call mapped */
	MODEL_OVER_SEVERAL,		/* over what several calls mapped */
	MODEL_PAGES_COVERED,		/* pages those calls covered */
	MODEL_PAGES_CUT,		/* mapped pages unmapped (any way) */
	MODEL_SPARSE_CREATED,
	MODEL_SPARSE_BOUND,
	MODEL_JOBS,			/* simulated GPU jobs on sparse vmas */
	MODEL_JOBS_DONE,
	MODEL_BATCH_OK,			/* batches applied (2-6 ops) */
	MODEL_BATCH_OPS,		/* ... their operations */
	MODEL_BATCH_BAD,		/* batches with a bad op: -EINVAL */
	MODEL_OBJ_PAGES,		/* mapped pages unmap_pages/move_pages covered */
	MODEL_MOVE_OK,			/* moves applied */
	MODEL_MOVE_SMALL,		/* moves to too small pages: -EINVAL */
	MODEL_UNMAP_PAGES_OK,
	MODEL_ACTIVE_MANY_OK,
	MODEL_ACTIVE_MANY_ENOENT,	/* with an unbound vma: -ENOENT */
	MODEL_ORDERS,			/* "not before" pairs checked */
	MODEL_LEAF_64K,			/* checked pages in 64K, 2M, 1G leaves */
	MODEL_LEAF_2M,
	MODEL_LEAF_1G,
	MODEL_XE_BINDS,			/* xe: VM_BIND calls the fake kernel took */
	MODEL_XE_OPS,			/* ... bind ops its jobs applied */
	MODEL_XE_STEPPED,		/* ... jobs run one by one by the model's worker steps */
	MODEL_COUNTERS
};

struct model;

/* @backend: an &enum model_backend (taken modulo MODEL_BACKENDS). */
struct model *model_create(unsigned int backend);
/* Apply one operation decoded from @word; 0, or -1 with model_error() set. */
int model_step(struct model *m, uint32_t word);
/* Check every page now. */
int model_check_all(struct model *m);
/* Finish all GPU work, unbind everything, check, free.  0 or -1. */
int model_destroy(struct model *m);
const char *model_error(const struct model *m);
/* How many operations of @kind ran, or a counter. */
uint64_t model_ops(const struct model *m, unsigned int kind);

#endif
