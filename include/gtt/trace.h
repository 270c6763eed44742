/* SPDX-License-Identifier: MIT */
/**
 * DOC: traces and replay
 *
 * Recording.  gtt_vm_trace_start() makes a vm write one text record per
 * operation — vma create and destroy, bind (every argument, the placement
 * chosen, the result), unbind, pin and unpin, active fences added, map and
 * unmap batches (gtt/map.h), evictions — and one record each time a fence
 * that appeared in the trace signals.  Every record carries a timestamp.  The format is
 * versioned and documented in docs/trace-format.md; every field is named.
 *
 * Records are written under the vm lock, in the order the operations took
 * effect, into a buffer that goes to the sink (a FILE or a callback) when
 * it fills, on gtt_vm_trace_flush() and on gtt_vm_trace_stop().  A sink
 * error stops the writing (later records are counted as dropped) and is
 * returned by gtt_vm_trace_stop().  Calls that fail their argument checks
 * before taking the vm lock change nothing and are not recorded.
 *
 * Fences are named by ids local to the trace.  A fence the vm is handed
 * (a dependency, an active fence) is declared by a "fence" record the
 * first time it appears while unsignalled; a fence the vm returns (bind,
 * unbind, batch) gets its id in the record of the call.  The recorder
 * holds a reference on each fence it watches until it signals.
 *
 * Replay.  gtt_trace_replay() reads a trace and performs it again on a new
 * vm over a mock backend (or the caller's), with a manual executor run to
 * completion after each record, so that a replay is deterministic: the
 * same trace and configuration give the same figures, every time.  Fences
 * that came from outside the vm signal where the trace says they did
 * (%GTT_REPLAY_RECORDED) or as soon as they appear (%GTT_REPLAY_ASAP).
 * Placement policy and eviction order can be overridden (&struct
 * gtt_replay_config), so two policies can be compared on one trace.
 *
 * What a replay changes: every bind, unbind and batch is issued
 * asynchronously (a synchronous call of the recording waited for a fence
 * that the trace signals only later; replayed synchronously it would wait
 * forever), a vma destroyed while bound is first unbound asynchronously,
 * pages are replayed as refcounted (%GTT_PAGES_BORROWED forces synchronous
 * unbinds), and reservation objects are not replayed (they only receive
 * unbind fences).
 *
 * Thread safety: start, flush and stop may be called from any thread; the
 * recorder has its own lock, taken under the vm lock and in the threads
 * that signal watched fences.  gtt_trace_replay() uses only its own
 * objects.
 */
#ifndef GTT_TRACE_H
#define GTT_TRACE_H

#include <stdio.h>

#include <gtt/backend.h>
#include <gtt/common.h>
#include <gtt/vm.h>

#ifdef __cplusplus
extern "C" {
#endif

/** GTT_TRACE_VERSION - The version of the line format written and read. */
#define GTT_TRACE_VERSION 1

/** Flags for &struct gtt_trace_config. */
enum gtt_trace_flags {
	/** @GTT_TRACE_NO_TIME: every timestamp is 0 (byte-comparable traces). */
	GTT_TRACE_NO_TIME = 1u << 0,
};

/**
 * typedef gtt_trace_write_fn - A trace sink.
 * @arg: &struct gtt_trace_config's @arg.
 * @data: whole records (lines ending in '\n').
 * @len: bytes in @data.
 *
 * Called with the recorder's lock held, possibly under the vm lock: it
 * must not call into the vm.  Return: 0, or a negative errno that stops
 * the recording.
 */
typedef int (*gtt_trace_write_fn)(void *arg, const char *data, size_t len);

/**
 * struct gtt_trace_config - Where a trace goes.
 * @file: the sink, or NULL to use @write.
 * @write: the sink when @file is NULL.
 * @arg: for @write.
 * @flags: &enum gtt_trace_flags.
 * @reserved: zero (see common.h).
 */
struct gtt_trace_config {
	FILE *file;
	gtt_trace_write_fn write;
	void *arg;
	unsigned int flags;
	uint64_t reserved[4];
};

/**
 * gtt_vm_trace_start() - Record @vm's operations from now on.
 * @vm: the vm.
 * @cfg: the sink (exactly one of @file and @write) and flags.
 *
 * Writes the version header and a "vm" record with the vm's configuration.
 * Return: 0; -EINVAL (bad config); -EBUSY (already recording); -ENOMEM;
 * the sink's error.
 */
GTT_API int gtt_vm_trace_start(struct gtt_vm *vm,
			       const struct gtt_trace_config *cfg);

/**
 * gtt_vm_trace_flush() - Hand the buffered records to the sink.
 *
 * Return: 0; -EINVAL (NULL, or not recording); the sink's first error.
 */
GTT_API int gtt_vm_trace_flush(struct gtt_vm *vm);

/**
 * gtt_vm_trace_stop() - Write the "end" record, flush, stop recording.
 *
 * Fences still watched are let go.  gtt_vm_destroy() stops a recording
 * itself (its own unbinds are not recorded).
 *
 * Return: 0; -EINVAL (NULL, or not recording); -ENOSPC if records were
 * dropped for lack of memory; the sink's first error.
 */
GTT_API int gtt_vm_trace_stop(struct gtt_vm *vm);

/** enum gtt_replay_timing - When fences from outside the vm signal. */
enum gtt_replay_timing {
	GTT_REPLAY_RECORDED = 0,	/* where their "signal" record is */
	GTT_REPLAY_ASAP = 1,		/* as soon as they appear */
};

/** GTT_REPLAY_AS_RECORDED - A policy field that keeps the trace's choice. */
#define GTT_REPLAY_AS_RECORDED (-1)

/**
 * struct gtt_replay_stats - Figures of one interval or of the whole replay.
 * @interval: 0, 1, ... ; UINT64_MAX for the totals.
 * @first_line: first trace line of the interval.
 * @last_line: last trace line of the interval.
 * @records: records replayed.
 * @binds: successful binds and map operations (the vm's count).
 * @binds_failed: binds the replayed vm refused (-ENOSPC...).
 * @bind_waits: binds whose range overlapped a pending unbind.
 * @unbinds: unbinds accepted (evictions included).
 * @evictions: vmas evicted.
 * @batches: map/unmap batches accepted.
 * @pte_writes: PTEs written by binds (the mock's count).
 * @pte_clears: PTEs written back to scratch.
 * @invalidations: TLB invalidations.
 * @placement_diffs: binds placed elsewhere than in the recording.
 * @result_diffs: calls whose result differs from the recording's.
 * @free: free bytes at the end of the interval.
 * @largest_hole: largest hole then.
 * @holes: holes then.
 * @frag_ppm: external fragmentation then, 1 - largest hole / free, in
 *	parts per million (0 when nothing is free).
 * @backend_errors: backend calls that failed (the vm's count): PTE writes
 *	the backend refused (an asynchronous bind's failure shows here only),
 *	and failed clears or invalidations.
 * @reserved: zero.
 *
 * The counts are those of the interval (of the whole replay for the
 * totals); @free, @largest_hole, @holes and @frag_ppm are the state at its
 * end.
 */
struct gtt_replay_stats {
	uint64_t interval;
	uint64_t first_line;
	uint64_t last_line;
	uint64_t records;
	uint64_t binds;
	uint64_t binds_failed;
	uint64_t bind_waits;
	uint64_t unbinds;
	uint64_t evictions;
	uint64_t batches;
	uint64_t pte_writes;
	uint64_t pte_clears;
	uint64_t invalidations;
	uint64_t placement_diffs;
	uint64_t result_diffs;
	uint64_t free;
	uint64_t largest_hole;
	uint64_t holes;
	uint64_t frag_ppm;
	uint64_t backend_errors;
	uint64_t reserved[4];
};

/** typedef gtt_replay_interval_fn - Called at the end of each interval. */
typedef void (*gtt_replay_interval_fn)(void *arg,
				       const struct gtt_replay_stats *st);

/**
 * typedef gtt_replay_vm_fn - Called with the replayed vm.
 * @arg: &struct gtt_replay_config's @arg.
 * @vm: the vm the trace is replayed on (not the caller's to destroy),
 *	valid during the call only.
 * @st: NULL right after the vm is made, before any operation on it; the
 *	interval's figures (the same as @on_interval gets) at the end of
 *	each interval; the totals (@st->interval == UINT64_MAX) after the
 *	last record of a replay that succeeded, before the vm goes.
 *
 * When @st is NULL the caller may set the vm up: a journal enabled then
 * (gtt_vm_journal_enable(), gtt/journal.h) stamps its events with the t=
 * of the record being replayed and names vmas and pages by the trace's
 * handles and ids, so that gtt_vm_explain() speaks the trace's language
 * (what gttctl explain does).  Otherwise read the vm only
 * (gtt_vm_range_alloc(), gtt_vm_pending(), gtt_vm_lookup(),
 * gtt_vm_stats(), gtt_vm_dump(), gtt_vm_explain(); every deferred job has
 * run): a call that changes it makes the replay diverge from the trace
 * (what gttctl replay --map draws).
 */
typedef void (*gtt_replay_vm_fn)(void *arg, struct gtt_vm *vm,
				 const struct gtt_replay_stats *st);

/**
 * GTT_REPLAY_MAX_WORK - The default bound on the pages a replay maps
 * (&struct gtt_replay_config's @max_work): 2^32, 16 TiB of 4 KiB pages.
 */
#define GTT_REPLAY_MAX_WORK (1ull << 32)

/**
 * struct gtt_replay_config - How to replay.
 * @backend: the page table to replay on, or NULL for a generic mock over
 *	the trace's vm range (the figures of the PTE counts come from
 *	gtt_mock_stats(), so a backend that is not a mock reports 0).  Not
 *	destroyed.
 * @placement: &enum gtt_placement for every bind that is not fixed, or
 *	%GTT_REPLAY_AS_RECORDED.
 * @avoid_pending: 1: binds avoid ranges of pending unbinds (the library's
 *	default), 0: they do not (%GTT_BIND_ANYWHERE), or
 *	%GTT_REPLAY_AS_RECORDED.
 * @timing: &enum gtt_replay_timing.
 * @interval: records per interval; 0 for the totals only.
 * @on_interval: called after each interval (also a last, partial one),
 *	or NULL.
 * @arg: for @on_interval and @on_vm.
 * @on_vm: called with the replayed vm when it is made, after each
 *	interval (after @on_interval; not for an interval that ends before
 *	the trace's vm record) and after the last record; or NULL
 *	(&typedef gtt_replay_vm_fn).
 * @evict_order: the replayed vm's &enum gtt_evict_order: %GTT_EVICT_FEWEST
 *	(0, the library's default), %GTT_EVICT_LRU, or %GTT_EVICT_ROSTER,
 *	which replays with a roster of the replay's own: every live vma in
 *	the order the trace created it (oldest first, "fifo").
 * @max_work: the most pages the replay maps, binds and map operations
 *	(unmaps included) added up as they are replayed; 0 for
 *	%GTT_REPLAY_MAX_WORK.  A trace that asks for more, or declares one
 *	pages object or sparse vma larger than that, is refused (-EBADMSG)
 *	at that record: a replay's work is bounded whatever the trace says.
 * @reserved: zero (see common.h).
 */
struct gtt_replay_config {
	struct gtt_backend *backend;
	int placement;
	int avoid_pending;
	unsigned int timing;
	uint64_t interval;
	gtt_replay_interval_fn on_interval;
	void *arg;
	gtt_replay_vm_fn on_vm;
	int evict_order;
	uint64_t max_work;
	uint64_t reserved[1];
};

/**
 * gtt_trace_replay() - Replay a trace.
 * @in: the trace, read to its end.
 * @cfg: the policy; NULL replays as recorded.
 * @total: receives the totals (may be NULL).
 * @line: receives the line of a malformed record, or 0 (may be NULL).
 *
 * A malformed or truncated trace (no "end" record, a last line without
 * its newline, a record that names an unknown vma or fence, a field out
 * of range, a version other than %GTT_TRACE_VERSION) or one beyond the
 * reader's limits (docs/trace-format.md: line length, batch size, vm
 * size, @cfg's max_work) stops the replay with -EBADMSG, and
 * gtt_last_error() says which line and what is wrong.
 *
 * A replayed call that runs out of memory where the recording did not
 * stops the replay with -ENOMEM (its figures would differ silently).
 *
 * Return: 0; -EINVAL (bad arguments); -EBADMSG (bad trace); -ENOMEM; -EIO
 * (reading failed); the error of creating the vm or the mock.
 */
GTT_API int gtt_trace_replay(FILE *in, const struct gtt_replay_config *cfg,
			     struct gtt_replay_stats *total, uint64_t *line);

#ifdef __cplusplus
}
#endif
#endif
