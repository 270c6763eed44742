/* SPDX-License-Identifier: MIT */
/*
 * The points where a vm reports to its journal (lib/vm/journal.c,
 * gtt/journal.h).  Each is one line: JOURNAL(vm, bind, ...), a load of
 * vm->journal and, only when there is one, a call.  bind, unbind, release
 * and batch run under the vm lock; clear runs wherever an unbind's clear
 * ends (an executor's worker, a releasing holder), without it.  The
 * journal's own lock orders them.
 */
#ifndef GTT_LIB_VM_JOURNAL_H
#define GTT_LIB_VM_JOURNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <gtt/map.h>
#include <gtt/vm.h>

struct gtt_binding;
struct vma;

#define JOURNAL(vm, event, ...)                                                  \
	do {                                                                     \
		struct vm_journal *j_ = atomic_load_explicit(&(vm)->journal,     \
							     memory_order_acquire); \
		if (__builtin_expect(j_ != NULL, 0))                             \
			journal_rec_##event(j_, __VA_ARGS__);                    \
	} while (0)

struct vm_journal;

/* A bind placed @b for vma @h; gives @b its journal id. */
void journal_rec_bind(struct vm_journal *j, gtt_vma_t h, struct gtt_binding *b);
/* A synchronous bind @b of @h failed inside the call, and the clear after
 * its write failed too: the vma is left unbound, the range and pages in
 * quarantine.  Bind, failure, unbind and the failed clear, at once. */
void journal_rec_bind_undone(struct vm_journal *j, gtt_vma_t h, struct gtt_binding *b);
/* @b's PTE write failed with b->bind_error (any thread, no vm lock). */
void journal_rec_bind_failed(struct vm_journal *j, struct gtt_binding *b);
/* Piece @b of a committed batch (a sparse map) was not written:
 * b->bind_error (any thread, no vm lock). */
void journal_rec_piece_failed(struct vm_journal *j, const struct gtt_binding *b);
/* The unbind of @v's binding starts (@evicted: by an eviction). */
void journal_rec_unbind(struct vm_journal *j, const struct vma *v, bool evicted);
/* @b's clear ended with @err (@ran false: skipped); @b->stale is set. */
void journal_rec_clear(struct vm_journal *j, const struct gtt_binding *b,
		       bool ran, int err);
/* The quarantine lets @b go: its range is clear, or (@closed) the vm is
 * closed or destroyed and nothing cleared it. */
void journal_rec_release(struct vm_journal *j, const struct gtt_binding *b,
			 bool closed);
/* A batch's operations, just before it is committed (which cannot fail). */
void journal_rec_batch(struct vm_journal *j, struct gtt_vm *vm,
		       const struct gtt_map_op *ops, size_t count);

/* gtt_vm_destroy(), once idle: free the journal. */
void journal_destroy(struct gtt_vm *vm);
/*
 * A replay's view (lib/trace/replay.c): events stamped with @clock instead
 * of CLOCK_MONOTONIC, vmas and pages named by @vma_name and @pages_name
 * (the trace's handles and ids).  Called under the journal's lock (and the
 * vm's, except @clock).  Return: false (and nothing happens) if @vm has
 * no journal.
 */
struct journal_source {
	uint64_t (*clock)(void *arg);
	gtt_vma_t (*vma_name)(void *arg, gtt_vma_t h);
	uint64_t (*pages_name)(void *arg, const struct gtt_pages *p);
	void *arg;
};
bool journal_set_source(struct gtt_vm *vm, const struct journal_source *src);

#endif
