/* SPDX-License-Identifier: MIT */
/*
 * A reference model of what every GPU page of a vm may translate to, and
 * an interpreter of random operations checked against it after each step.
 * Shared by the seeded test (test_model.c) and the libFuzzer harness.
 */
#ifndef GTT_TESTS_MODEL_H
#define GTT_TESTS_MODEL_H

#include <stdint.h>

#include <gtt/gtt.h>

struct model;

/* The backend under the vm: 0 generic mock, 1 Intel GGTT, 2 Intel PPGTT. */
struct model *model_create(unsigned int backend);
/* Apply one operation decoded from @word; 0, or -1 with model_error() set. */
int model_step(struct model *m, uint32_t word);
/* Check every page now. */
int model_check_all(struct model *m);
/* Finish all GPU work, unbind everything, check, free.  0 or -1. */
int model_destroy(struct model *m);
const char *model_error(const struct model *m);
uint64_t model_ops(const struct model *m, unsigned int kind);

#endif
