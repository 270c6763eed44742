/* SPDX-License-Identifier: MIT */
/**
 * DOC: mock backend
 *
 * A page table in host memory, for tests and policy work without a GPU.
 * It records, for every GTT page, whether it maps a page (and which, with
 * which flags) or holds the scratch entry; counts PTE writes, clears and
 * invalidations; and can make its Nth call fail on request.
 *
 * The table is sparse (allocated in 2 MiB-of-VA leaves on first write), so
 * a 48-bit vm costs memory only where it is used.
 *
 * Intel modes: with @intel_family set, the mock keeps a real Intel GGTT
 * (%GTT_MOCK_INTEL_GGTT) or PPGTT (%GTT_MOCK_INTEL_PPGTT) for that
 * platform in host memory, written by the same page-table code the VFIO
 * backend uses; reads walk those tables the way the device would.  Page
 * tables get fake DMA addresses the walker resolves.  A GGTT covers
 * [0, size); keep page 0 and the last page out of the vm (i915 reserves
 * them), e.g. vm start = 4096 and size = GGTT size - 8192.  A PPGTT covers
 * [0, 2^ppgtt_bits).  A gen6/7 PPGTT (SNB, IVB, HSW, VLV) covers 2 GiB; its
 * page directory lives in the entries of a 2 GiB GGTT the mock keeps for it
 * (not a backend of its own), and its page tables stay once made.
 *
 * Thread safety: the ops follow the backend contract (concurrent calls on
 * disjoint ranges).  gtt_mock_read() is safe against concurrent writes to
 * other entries.
 */
#ifndef GTT_MOCK_H
#define GTT_MOCK_H

#include <gtt/backend.h>
#include <gtt/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** enum gtt_mock_mode - What the mock's table is. */
enum gtt_mock_mode {
	GTT_MOCK_GENERIC = 0,	/* decoded entries, any page size */
	GTT_MOCK_INTEL_GGTT,	/* a real Intel GGTT of @intel_family */
	GTT_MOCK_INTEL_PPGTT,	/* a real Intel PPGTT of @intel_family */
};

/**
 * struct gtt_mock_config - Mock page table shape.
 * @start: first address covered (0 in the Intel modes).
 * @size: bytes covered (non-zero multiple of @page_size); in PPGTT mode,
 *	at most the platform's address space.
 * @page_size: power of two >= 4096 (0 means 4096; 4096 in Intel modes).
 * @scratch_addr: DMA address of the scratch page (multiple of 4096).
 * @mode: &enum gtt_mock_mode.
 * @intel_family: the platform for the Intel modes (&enum gtt_intel_family).
 * @reserved: zero (see common.h).
 */
struct gtt_mock_config {
	uint64_t start;
	uint64_t size;
	uint64_t page_size;
	uint64_t scratch_addr;
	unsigned int mode;
	unsigned int intel_family;
	uint64_t reserved[4];
};

/** gtt_mock_create() - New mock backend.  Return: 0, -EINVAL, -ENOMEM. */
GTT_API int gtt_mock_create(const struct gtt_mock_config *cfg,
			    struct gtt_backend **out);

/**
 * struct gtt_mock_entry - One decoded PTE.
 * @valid: maps a page (false: scratch, not present, or NULL).
 * @null: a NULL entry (%GTT_PTE_NULL, also in @flags): present, no page;
 *	@addr is 0.  On Intel platforms without null PTEs a NULL bind
 *	writes scratch, which reads back as scratch.
 * @addr: the page's DMA address (scratch address when !valid).
 * @flags: the GTT_PTE_* flags it was written with.
 * @writes: how many times this entry was written (generic mode only).
 * @pte: the raw entry (Intel modes only).
 * @reserved: zero.
 */
struct gtt_mock_entry {
	bool valid;
	bool null;
	uint64_t addr;
	uint32_t flags;
	uint32_t writes;
	uint64_t pte;
	uint64_t reserved[2];
};

/** gtt_mock_read() - Decode the entry for @addr.  Return: 0, -EINVAL, -ERANGE. */
GTT_API int gtt_mock_read(struct gtt_backend *be, uint64_t addr,
			  struct gtt_mock_entry *entry);

/**
 * struct gtt_mock_stats - Counters.
 * @bind_calls: bind ops.
 * @clear_calls: clear ops.
 * @invalidations: invalidate ops.
 * @entries_written: PTEs written by binds.
 * @entries_cleared: PTEs written with scratch.
 * @valid_entries: PTEs currently present: mapping a page or NULL
 *	(generic mode only).
 * @failures_injected: calls failed on request.
 * @tables: PPGTT tables allocated, scratch tables excluded (PPGTT mode).
 * @flushes: cache-line flush calls after table writes (PPGTT mode).
 * @reserved: zero.
 */
struct gtt_mock_stats {
	uint64_t bind_calls;
	uint64_t clear_calls;
	uint64_t invalidations;
	uint64_t entries_written;
	uint64_t entries_cleared;
	uint64_t valid_entries;
	uint64_t failures_injected;
	uint64_t tables;
	uint64_t flushes;
	uint64_t reserved[8];
};

/** gtt_mock_stats() - Fill @st.  Return: 0, -EINVAL. */
GTT_API int gtt_mock_stats(struct gtt_backend *be, struct gtt_mock_stats *st);

/**
 * gtt_mock_fail_call() - Make the @nth backend call from now fail.
 * @nth: 1 for the very next call; 0 cancels.
 * @error: negative errno to return (e.g. -EIO).
 *
 * A failing bind or clear writes nothing.  Return: 0, -EINVAL.
 */
GTT_API int gtt_mock_fail_call(struct gtt_backend *be, uint64_t nth, int error);

/**
 * gtt_mock_fail_calls() - Make @count backend calls fail, from the @nth on.
 * @nth: 1 for the very next call; 0 cancels.
 * @count: how many consecutive calls fail (UINT64_MAX: every one from then).
 * @error: negative errno to return.
 *
 * As gtt_mock_fail_call(), which is this with @count 1.  Return: 0, -EINVAL.
 */
GTT_API int gtt_mock_fail_calls(struct gtt_backend *be, uint64_t nth,
				uint64_t count, int error);

/**
 * gtt_mock_ppgtt_root() - DMA address of the root table (PML4, or the
 * 4-entry PDP of a 3-level PPGTT) in %GTT_MOCK_INTEL_PPGTT mode.
 *
 * gen6/7: the GGTT offset of the page directory's entries instead (also
 * the RING_PP_DIR_BASE value), which gtt_mock_table_read() accepts.
 *
 * Return: 0, -EINVAL (NULL, or not a PPGTT mock).
 */
GTT_API int gtt_mock_ppgtt_root(struct gtt_backend *be, uint64_t *dma);

/**
 * gtt_mock_table_read() - Raw entry @index (0-511) of the page table at @dma.
 *
 * For tools and tests that walk the tables themselves.  gen6/7: @index
 * 0-1023 of a page table (4-byte PTEs), or 0-511 of the page directory
 * when @dma is what gtt_mock_ppgtt_root() gave.
 * Return: 0, -EINVAL (not a PPGTT mock, no table there, index too big).
 */
GTT_API int gtt_mock_table_read(struct gtt_backend *be, uint64_t dma,
				unsigned int index, uint64_t *entry);

/**
 * gtt_mock_set_delay() - Sleep @ns inside every bind and clear, to model a
 * slow page-table write.  Return: 0, -EINVAL.
 */
GTT_API int gtt_mock_set_delay(struct gtt_backend *be, uint64_t ns);

#ifdef __cplusplus
}
#endif
#endif
