/* SPDX-License-Identifier: MIT */
/*
 * A pretend kernel with one in-order bind queue, for testing the vm over a
 * queue backend (gtt/backend.h) without a real one: its backend's submit
 * records a batch and returns a fence; the batch runs — its ops applied to
 * a mock page table (gtt/mock.h) — once every dependency has signalled and
 * every earlier batch ran, in the thread that made that true.  "Kernel
 * fences" (qk_fence()) and the batches' own fences are the ones it waits
 * for itself (can_wait); any other fence the vm must wait for on the CPU.
 */
#ifndef GTT_TESTS_QUEUE_KERNEL_H
#define GTT_TESTS_QUEUE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>

#include <gtt/gtt.h>

struct qk;

/* A kernel over a mock table for [start, start + size); *@be is its queue
 * backend (gtt_backend_destroy() frees the kernel too). */
int qk_create(uint64_t start, uint64_t size, struct qk **out, struct gtt_backend **be);
/* The mock page table the batches write (for gtt_mock_read()). */
struct gtt_backend *qk_table(struct qk *k);
/* A fence the kernel knows; the test signals it. */
struct gtt_fence *qk_fence(struct qk *k);
/* While held, no batch runs. */
void qk_hold(struct qk *k, bool hold);
/* The next submit returns @err (nothing done); the next batch to run does
 * nothing and signals @err. */
void qk_fail_submit(struct qk *k, int err);
void qk_fail_run(struct qk *k, int err);

/* What was submitted: batches, and of batch @i (0 = first) its op count,
 * op @j, its dependency count and dependency @d (no reference). */
size_t qk_batches(struct qk *k);
size_t qk_batch_ops(struct qk *k, size_t i);
struct gtt_backend_op qk_batch_op(struct qk *k, size_t i, size_t j);
size_t qk_batch_deps(struct qk *k, size_t i);
struct gtt_fence *qk_batch_dep(struct qk *k, size_t i, size_t d);
/* Batch @i's fence (no reference), and whether it ran. */
struct gtt_fence *qk_batch_fence(struct qk *k, size_t i);
bool qk_batch_ran(struct qk *k, size_t i);

#endif
