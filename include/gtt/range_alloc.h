/* SPDX-License-Identifier: MIT */
/**
 * DOC: range allocator
 *
 * The allocator hands out ranges of a u64 address space [start, start+size),
 * the job drm_mm does in the kernel.  Every vm has one; it is public so
 * placement and eviction policy can be studied on its own.
 *
 * - The space may end at 2^64 (start + size == 2^64, as Mesa's
 *   util_vma_heap allows for the top of a 64-bit VA), with start above 0:
 *   the size is a u64, so [0, 2^64) cannot be asked for (the largest space
 *   at byte granularity is [1, 2^64)).  Where the interface gives an
 *   exclusive end, an end at 2^64 is 0: a node's start + size, a hole's
 *   start + size from gtt_range_next_hole(), the avoid callback's @end and
 *   the colour rule's *@end; a request's range_end is 0 already for "no
 *   limit", which is up to 2^64.
 * - Granularity: the allocator's page size, any power of two (1 and 64
 *   for a standalone byte allocator, 4096 or more for GPU pages).
 * - Alignment: any power of two, at least the allocator's page size.
 * - Boundaries: with gtt_range_alloc_set_nospan(), no node placed by
 *   gtt_range_insert() straddles a multiple of 2^n (Mesa's nospan_shift).
 * - Free space: the whole range at creation, or with
 *   %GTT_RANGE_ALLOC_EMPTY none until gtt_range_add_free() adds ranges
 *   (a heap made of whatever ranges the driver hands it).
 * - Colour: each node carries a colour (e.g. a cache level).  With
 *   %GTT_RANGE_COLOR_GUARD, a node never touches a neighbour of another
 *   colour: one page is kept free between them (the i915 GGTT rule for
 *   platforms whose prefetcher may cross memory domains).  A custom rule
 *   can replace it with gtt_range_alloc_set_color_adjust().
 * - Limits: a request may restrict the node to [range_start, range_end).
 * - Placement: best fit (smallest hole that fits), lowest address or
 *   highest address.
 * - Avoidance: a request may name placements to avoid (e.g. ranges whose
 *   previous user may still be reading them, so that a new user would have
 *   to wait).  The allocator then places the node where the placement
 *   policy would among the placements not avoided, and only if there are
 *   none where it would without the callback: with %GTT_PLACE_LOW the
 *   lowest placement not avoided, with %GTT_PLACE_HIGH the highest, with
 *   %GTT_PLACE_BEST the lowest one in the smallest hole (ties: the lower
 *   hole) that holds one.
 * - Reservation of a fixed range (gtt_range_reserve()).
 * - Eviction scan: which nodes to remove to open a hole for a request,
 *   the fewest over the request's range (gtt_range_evict_scan()), or
 *   drm_mm-style from candidates in the caller's order (&struct
 *   gtt_range_scan).
 * - Holes: listed by gtt_range_next_hole(), printed by
 *   gtt_range_alloc_print() (the format of Mesa's util_vma_heap_print()).
 * - Nodes: allocated by gtt_range_insert(), or kept in the caller's own
 *   object (&struct gtt_range_node_storage, gtt_range_insert_in()), as
 *   drm_mm's embedded nodes, with no allocation at all.
 *
 * Cost: allocation and removal are O(log n): nodes are kept in a balanced
 * tree by address, holes in one by address augmented with the largest hole
 * below each node, and in one by size augmented with the largest alignment
 * of an address inside each subtree's holes.  An allocation only visits
 * holes that are large enough and, for best fit, that contain an address
 * of the request's alignment; it may still visit several where the node
 * does not fit (too little room after the aligned address, colour guards).
 * Best fit with a range limit walks the holes of the range by address
 * alongside the walk by size and stops with whichever ends first, so holes
 * outside the range cost nothing once the range's own are seen.  The eviction scan is about linear in
 * the nodes of the request's range (see gtt_range_evict_scan()).  With an
 * avoid callback, each candidate hole (in the policy's order) is searched
 * from its preferred end: a rejected placement moves past the block the
 * callback names, so a hole costs one call plus one per block met in it;
 * after %GTT_RANGE_AVOID_PROBES calls in all, or when every candidate was
 * searched, the allocator places the node as without a callback (one more
 * search of the ordinary cost).
 *
 * Thread safety: none; a gtt_range_alloc is protected by its owner (a vm
 * holds its lock around every call).
 */
#ifndef GTT_RANGE_ALLOC_H
#define GTT_RANGE_ALLOC_H

#include <stdio.h>

#include <gtt/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct gtt_range_alloc;
struct gtt_range_node;

/** GTT_COLOR_NONE - Colour of the space outside the allocator's bounds. */
#define GTT_COLOR_NONE UINT32_MAX

/** Flags for gtt_range_alloc_create(). */
enum gtt_range_alloc_flags {
	/** @GTT_RANGE_COLOR_GUARD: a guard page between nodes of different colour. */
	GTT_RANGE_COLOR_GUARD = 1u << 0,
	/** @GTT_RANGE_ALLOC_EMPTY: no free space until gtt_range_add_free(). */
	GTT_RANGE_ALLOC_EMPTY = 1u << 1,
};

/**
 * GTT_RANGE_NODE_WORDS - Size of a node, in 64-bit words.
 *
 * The room &struct gtt_range_node_storage gives; the node itself takes
 * 19 (152 bytes) since the trees keep their colour in a parent pointer,
 * and the size stays for callers built against it.
 */
#define GTT_RANGE_NODE_WORDS 21

/**
 * struct gtt_range_node_storage - Room for a node inside the caller's object.
 * @opaque: the node; only the allocator reads or writes it.
 *
 * Zero it before its first use (a removed node may be inserted again).
 * While inserted, it must neither move nor be freed.
 */
struct gtt_range_node_storage {
	uint64_t opaque[GTT_RANGE_NODE_WORDS];
};

/** enum gtt_placement - Where in the address space a node goes. */
enum gtt_placement {
	GTT_PLACE_BEST = 0,	/* smallest hole that fits */
	GTT_PLACE_LOW = 1,	/* lowest possible address */
	GTT_PLACE_HIGH = 2,	/* highest possible address */
};

/** GTT_RANGE_AVOID_PROBES - Most calls of an avoid callback per placement. */
#define GTT_RANGE_AVOID_PROBES 256

/**
 * typedef gtt_range_avoid_fn - Should the placement [@start, @end) be avoided?
 * @arg: &struct gtt_range_avoid's @arg.
 * @start: first address of a legal placement (alignment, colour and range
 *	limits already honoured).
 * @end: its end (exclusive); 0 for a placement that ends at 2^64.
 * @block_start: out, when returning true: with @block_end, a range
 *	[*@block_start, *@block_end) that overlaps [@start, @end) and such that
 *	the callback rejects every placement overlapping it, e.g. the pending
 *	work that made it reject this one.  Preset to @start; a block that does
 *	not overlap [@start, @end) is taken as [@start, @end).
 * @block_end: out, see @block_start; preset to @end.  0 stands for 2^64
 *	(a block up to the top of the space), never for an empty block.
 *
 * The allocator skips past the block to the next aligned placement that
 * does not overlap it, so the callback's answers must describe a union of
 * blocks (an address range rejected at one placement is rejected at every
 * placement overlapping it).  Leaving the preset skips only the placements
 * that overlap [@start, @end), which may pass over acceptable ones.
 *
 * Return: true to reject the placement.
 */
typedef bool (*gtt_range_avoid_fn)(void *arg, uint64_t start, uint64_t end,
				   uint64_t *block_start, uint64_t *block_end);

/**
 * struct gtt_range_avoid - Placements a request would rather not get.
 * @fn: the callback, not NULL.
 * @arg: for @fn.
 * @reserved: zero (see common.h).
 */
struct gtt_range_avoid {
	gtt_range_avoid_fn fn;
	void *arg;
	uint64_t reserved[2];
};

/**
 * struct gtt_range_request - What to allocate.
 * @size: bytes, non-zero, multiple of the page size.
 * @alignment: power of two; 0 means the page size.
 * @color: colour of the new node (not %GTT_COLOR_NONE).
 * @range_start: lowest allowed address (inclusive).
 * @range_end: highest allowed end (exclusive); 0 means no upper limit (up
 *	to the allocator's end, 2^64 for one that ends there).
 * @placement: one of &enum gtt_placement.
 * @avoid: placements to avoid if possible (&struct gtt_range_avoid), or
 *	NULL: place as if every placement were as good.  Read during the call
 *	only.
 * @reserved: zero (see common.h).
 *
 * @avoid took one of the four reserved words the struct had before, so
 * its size is unchanged.
 */
struct gtt_range_request {
	uint64_t size;
	uint64_t alignment;
	uint32_t color;
	uint64_t range_start;
	uint64_t range_end;
	enum gtt_placement placement;
	const struct gtt_range_avoid *avoid;
	uint64_t reserved[3];
};

/**
 * typedef gtt_color_adjust_fn - Shrink a hole for a node of colour @color.
 * @arg: as given to gtt_range_alloc_set_color_adjust().
 * @color: colour of the node being placed.
 * @prev_color: colour of the node before the hole (%GTT_COLOR_NONE at the start).
 * @next_color: colour of the node after the hole (%GTT_COLOR_NONE at the end).
 * @start: in/out: first usable address of the hole.
 * @end: in/out: end (exclusive) of the usable part of the hole; 0 for a
 *	hole that ends at 2^64 (the allocator ends there).
 *
 * The rule may only shrink [*start, *end) (what it moves outside the
 * hole is taken back to the hole's bounds).  At 2^64, plain unsigned
 * arithmetic does the right thing: *end -= n gives 2^64 - n.  An *end
 * that came in as 0 and is left at 0 still ends at 2^64; one that came in
 * non-zero and is set to 0 (a rule saturating at 0) empties the hole, as
 * does any other *end at or below *start.
 */
typedef void (*gtt_color_adjust_fn)(void *arg, uint32_t color,
				    uint32_t prev_color, uint32_t next_color,
				    uint64_t *start, uint64_t *end);

/**
 * gtt_range_alloc_create() - New allocator over [start, start + size).
 * @start: first address, multiple of @page_size.
 * @size: bytes, non-zero multiple of @page_size; start + size may be 2^64
 *	(the space ends at the top of the u64 range), not more.
 * @page_size: any power of two (0 means 4096): the granularity of sizes,
 *	alignments and addresses.
 * @flags: &enum gtt_range_alloc_flags.
 * @out: receives the allocator.
 *
 * Return: 0, -EINVAL (also for a range past 2^64), -ENOMEM.
 */
GTT_API int gtt_range_alloc_create(uint64_t start, uint64_t size,
				   uint64_t page_size, unsigned int flags,
				   struct gtt_range_alloc **out);

/**
 * gtt_range_alloc_destroy() - Free the allocator and every node left in it.
 *
 * Nodes in caller storage (gtt_range_insert_in()) are not freed; their
 * storage must still be valid here.  Finish every scan of @ra
 * (&struct gtt_range_scan) first: gtt_range_scan_finish() clears the
 * allocator's note of the scan that marks nodes, so it must not come
 * after.
 */
GTT_API void gtt_range_alloc_destroy(struct gtt_range_alloc *ra);

/**
 * gtt_range_alloc_set_color_adjust() - Replace the colour rule.
 * @fn: the rule, or NULL to restore the default guard-page rule.
 *
 * Takes effect only with %GTT_RANGE_COLOR_GUARD.  Return: 0, -EINVAL.
 */
GTT_API int gtt_range_alloc_set_color_adjust(struct gtt_range_alloc *ra,
					     gtt_color_adjust_fn fn, void *arg);

/**
 * gtt_range_alloc_set_nospan() - Keep placements inside 2^@shift blocks.
 * @shift: 0 for no limit (the default), or log2 of the block size, at least
 *	log2 of the page size and below 64.
 *
 * From then on gtt_range_insert() (and the eviction scan) place no node
 * across a multiple of 2^@shift; a request larger than 2^@shift is refused
 * with -EINVAL.  Nodes already placed and gtt_range_reserve() are not
 * affected.  Return: 0, -EINVAL.
 */
GTT_API int gtt_range_alloc_set_nospan(struct gtt_range_alloc *ra,
				       unsigned int shift);

/**
 * gtt_range_add_free() - Make [@start, @start + @size) available.
 *
 * For an allocator created with %GTT_RANGE_ALLOC_EMPTY: the range must
 * lie in space not yet added (neither free nor allocated); it joins the
 * free space (and any free range it touches).
 *
 * Return: 0; -EINVAL for a zero, misaligned or out-of-bounds range (one
 * past 2^64 included), or one that overlaps space already added; -ENOMEM.
 */
GTT_API int gtt_range_add_free(struct gtt_range_alloc *ra, uint64_t start,
			       uint64_t size);

/**
 * gtt_range_insert() - Allocate a node.
 * @owner: caller pointer stored in the node (see gtt_range_node_owner()).
 * @out: receives the node.
 *
 * Return: 0; -ENOSPC if no hole fits; -EINVAL for bad arguments (zero or
 * misaligned size, alignment not a power of two, empty or out-of-bounds
 * range); -ENOMEM.
 */
GTT_API int gtt_range_insert(struct gtt_range_alloc *ra,
			     const struct gtt_range_request *req, void *owner,
			     struct gtt_range_node **out);

/**
 * gtt_range_insert_in() - Allocate a node kept in the caller's memory.
 * @mem: zeroed storage (or that of a removed node); the node lives there
 *	until gtt_range_remove(), which does not free it.
 * @out: receives the node (at @mem).
 *
 * As gtt_range_insert(), without allocating.  Return: 0, -ENOSPC, -EINVAL
 * (also for storage that holds a node still in an allocator).
 */
GTT_API int gtt_range_insert_in(struct gtt_range_alloc *ra,
				const struct gtt_range_request *req, void *owner,
				struct gtt_range_node_storage *mem,
				struct gtt_range_node **out);

/**
 * gtt_range_reserve() - Allocate exactly [start, start + size).
 *
 * The colour rule applies as for gtt_range_insert().
 *
 * Return: 0; -ENOSPC if any part is in use (or in a colour guard);
 * -EINVAL for misaligned, zero, out-of-bounds ranges or ones past 2^64
 * (a range that ends at 2^64 in an allocator that does is fine); -ENOMEM.
 */
GTT_API int gtt_range_reserve(struct gtt_range_alloc *ra, uint64_t start,
			      uint64_t size, uint32_t color, void *owner,
			      struct gtt_range_node **out);

/**
 * gtt_range_reserve_in() - gtt_range_reserve() into the caller's memory.
 *
 * See gtt_range_insert_in().  Return: 0, -ENOSPC, -EINVAL.
 */
GTT_API int gtt_range_reserve_in(struct gtt_range_alloc *ra, uint64_t start,
				 uint64_t size, uint32_t color, void *owner,
				 struct gtt_range_node_storage *mem,
				 struct gtt_range_node **out);

/**
 * gtt_range_remove() - Free a node; its range is reusable at once.
 *
 * Return: 0, -EINVAL for NULL or a node of another allocator.
 */
GTT_API int gtt_range_remove(struct gtt_range_alloc *ra,
			     struct gtt_range_node *node);

/** gtt_range_node_start() - First address of @node. */
GTT_API uint64_t gtt_range_node_start(const struct gtt_range_node *node);
/** gtt_range_node_size() - Size of @node in bytes (start + size is 0 for a
 * node that ends at 2^64). */
GTT_API uint64_t gtt_range_node_size(const struct gtt_range_node *node);
/** gtt_range_node_color() - Colour of @node. */
GTT_API uint32_t gtt_range_node_color(const struct gtt_range_node *node);
/** gtt_range_node_owner() - The owner pointer given at allocation. */
GTT_API void *gtt_range_node_owner(const struct gtt_range_node *node);

/** gtt_range_lookup() - The node containing @addr, or NULL.  O(log n). */
GTT_API struct gtt_range_node *gtt_range_lookup(struct gtt_range_alloc *ra,
						uint64_t addr);

/** gtt_range_first() - Lowest node, or NULL. */
GTT_API struct gtt_range_node *gtt_range_first(struct gtt_range_alloc *ra);
/** gtt_range_next() - Next node by address, or NULL. */
GTT_API struct gtt_range_node *gtt_range_next(struct gtt_range_alloc *ra,
					      struct gtt_range_node *node);

/**
 * struct gtt_range_stats - Occupancy figures.
 * @nodes: allocated nodes.
 * @holes: free holes.
 * @used: bytes in nodes.
 * @free: bytes in holes.
 * @largest_hole: size of the largest hole.
 * @reserved: zero.
 */
struct gtt_range_stats {
	uint64_t nodes;
	uint64_t holes;
	uint64_t used;
	uint64_t free;
	uint64_t largest_hole;
	uint64_t reserved[4];
};

/** gtt_range_alloc_stats() - Fill @st.  Return: 0, -EINVAL. */
GTT_API int gtt_range_alloc_stats(struct gtt_range_alloc *ra,
				  struct gtt_range_stats *st);

/**
 * gtt_range_next_hole() - The lowest hole that starts at or above @from.
 * @start: receives its first address.
 * @size: receives its size.
 *
 * To list every hole, start at 0 and go on from *@start + *@size; that
 * sum is 0 for a hole that ends at 2^64, the last one: stop there.
 * O(log n) per hole.
 *
 * Return: 0; -ENOENT if there is none; -EINVAL.
 */
GTT_API int gtt_range_next_hole(struct gtt_range_alloc *ra, uint64_t from,
				uint64_t *start, uint64_t *size);

/**
 * gtt_range_alloc_print() - Print the holes, as Mesa's util_vma_heap_print().
 * @fp: where to.
 * @prefix: put before each line ("" for none).
 *
 * One line per hole from the highest down ("    hole: offset = ..., size
 * = ..."), then the free bytes and how full the allocator is.  Space not
 * added (%GTT_RANGE_ALLOC_EMPTY) counts as neither free nor full.
 *
 * Return: 0; -EINVAL; -EIO if writing failed.
 */
GTT_API int gtt_range_alloc_print(struct gtt_range_alloc *ra, FILE *fp,
				  const char *prefix);

/** typedef gtt_evictable_fn - May @node be evicted? */
typedef bool (*gtt_evictable_fn)(void *arg, struct gtt_range_node *node);

/**
 * gtt_range_evict_scan() - Choose nodes whose removal lets @req fit.
 * @ra: the allocator.
 * @req: the request that did not fit.
 * @evictable: says which nodes may go (pinned ones may not).
 * @arg: for @evictable.
 * @victims: receives the chosen nodes, lowest address first; NULL to count
 *	only.
 * @max_victims: capacity of @victims; must be 0 when @victims is NULL, and
 *	counting only has no cap.
 * @count: receives how many were chosen, or when counting only the fewest
 *	needed (0 if @req already fits).
 *
 * Looks for the run of adjacent evictable nodes whose removal opens a
 * fitting hole with the fewest victims (ties: the placement's preferred
 * end).  Nothing is removed: the caller evicts.  The request's @avoid is
 * not consulted (a placement it rejects still fits).
 *
 * Which nodes are considered: those that overlap the request's range
 * [range_start, range_end) and, with %GTT_RANGE_COLOR_GUARD, the nodes
 * outside it whose colour shrinks a hole inside it.  A node below the range
 * is considered when the colour rule, applied for the request's colour to
 * the hole after that node (with the request's own colour on the other
 * side), moves the hole's usable start past range_start; then the node
 * below it is tested the same way, and so on outward through evictable
 * nodes (symmetrically above the range, for the usable end and range_end).
 * For the guard-page rule this is the neighbour that touches the range, as
 * in i915's eviction.  A custom rule is handled exactly if it moves a
 * hole's start only according to the node before the hole and its end only
 * according to the node after it, and removing a node never makes the
 * rule shrink a hole more; for a rule that does otherwise the scan may miss
 * a hole that removing farther nodes would open.
 *
 * Cost: about linear in the candidates.  For each candidate first victim
 * the run starts at the shortest one whose span, before the colour rule
 * and the alignment, could hold the request (found by a pointer that only
 * moves forward), and grows from there only while the rule or the
 * alignment still prevent the fit.
 *
 * To evict with no arbitrary limit, count first (@victims NULL,
 * @max_victims 0), allocate *@count entries and call again: with the
 * allocator and @evictable's answers unchanged, the second call chooses
 * that many nodes.
 *
 * Return: 0; -ENOSPC if no run of evictable nodes (of at most @max_victims
 * when @victims is given) opens a hole; -EINVAL.
 */
GTT_API int gtt_range_evict_scan(struct gtt_range_alloc *ra,
				 const struct gtt_range_request *req,
				 gtt_evictable_fn evictable, void *arg,
				 struct gtt_range_node **victims,
				 size_t max_victims, size_t *count);

/**
 * GTT_RANGE_SCAN_WORDS - Size of &struct gtt_range_scan, in 64-bit words.
 *
 * Room for the scan's state and for 32 added nodes without allocating.
 */
#define GTT_RANGE_SCAN_WORDS 192

/**
 * struct gtt_range_scan - An ordered eviction scan, in the caller's memory.
 * @opaque: the scan; only the allocator reads or writes it.
 *
 * drm_mm's scan: the caller offers candidates one at a time in its own
 * order (least recently used first, say) with gtt_range_scan_add(), until
 * the run of adjacent candidates around the one just added opens a hole
 * for the request; gtt_range_scan_victims() then names the fewest nodes of
 * that run whose removal opens it.  Nothing is removed: the caller evicts
 * them.  Where gtt_range_evict_scan() looks at every node of the range for
 * the fewest victims, this scan costs what the order offers: O(1) for each
 * node added (an allocation when the 33rd is, and when 8 times as many
 * are), then the pick, linear in the run.
 *
 * From gtt_range_scan_init() until the victims are read the allocator must
 * not change (no insert, reserve or remove); then the caller may evict
 * them, after which only gtt_range_scan_finish() may be called.  A scan
 * whose allocator changed refuses further adds and victims calls
 * (-EINVAL) without reading any node.  The scan must neither move nor be
 * copied (it may point into itself).  Its state is in itself, but for a
 * word in each node that only scans use: the first scan open on an
 * allocator writes there where it keeps the node, and the allocator notes
 * which scan that is; a scan opened while that one is open keeps a table
 * of its own instead (a little slower per node).  So several scans of one
 * allocator may be open at once, and an abandoned one needs only
 * gtt_range_scan_finish(), which must come before
 * gtt_range_alloc_destroy() (drm_mm's rule too; one never finished leaves
 * the later scans on tables).  Thread safety: as the allocator's.
 */
struct gtt_range_scan {
	uint64_t opaque[GTT_RANGE_SCAN_WORDS];
};

/**
 * gtt_range_scan_init() - Start an ordered eviction scan for @req.
 * @scan: caller memory, any content; in use until gtt_range_scan_finish().
 * @ra: the allocator.
 * @req: the request to open a hole for (read during the call only; its
 *	@avoid is not consulted: a placement it rejects still fits).
 *
 * The scan does not ask whether @req fits already: try gtt_range_insert()
 * first.  Return: 0; -EINVAL for a NULL argument or a request that
 * gtt_range_insert() would refuse as invalid (then @scan is not open and
 * needs no gtt_range_scan_finish(), which is harmless all the same).
 */
GTT_API int gtt_range_scan_init(struct gtt_range_scan *scan,
				struct gtt_range_alloc *ra,
				const struct gtt_range_request *req);

/**
 * gtt_range_scan_add() - Offer @node as a candidate for eviction.
 * @scan: an open scan (gtt_range_scan_init()).
 * @node: a node of the scan's allocator that the caller may evict.
 *
 * @node joins the run of candidates already added on either side of it.
 * If removing that run, every node of it, would let the request fit
 * (colour rule, alignment, range limits and nospan, as for
 * gtt_range_insert()), the scan ends: gtt_range_scan_victims() names the
 * fewest of the run to evict, and no more nodes can be added.
 *
 * Return: 1 if a hole opens (the scan has ended), 0 if not yet; -EINVAL
 * (NULL, a node of another allocator or none at all, a scan not open or
 * already ended, an allocator changed since gtt_range_scan_init()) and -EEXIST (@node was added already: an order that may
 * repeat itself can go on) change nothing;
 * -ENOMEM (no memory for more room: the 33rd node, the 257th, and so on
 * by factors of 8) leaves @node out and the scan open as it was: add
 * again, or finish.
 */
GTT_API int gtt_range_scan_add(struct gtt_range_scan *scan,
			       struct gtt_range_node *node);

/**
 * gtt_range_scan_victims() - The nodes to evict, once a hole opened.
 * @scan: a scan whose last gtt_range_scan_add() returned 1.
 * @victims: receives the chosen nodes, lowest address first; NULL to count
 *	only.
 * @max_victims: capacity of @victims; 0 when @victims is NULL.
 * @count: receives how many there are.
 *
 * The victims are adjacent and all in the run that opened the hole: the
 * fewest of its nodes whose removal lets the request fit (ties: the
 * lowest, the highest for %GTT_PLACE_HIGH), as gtt_range_evict_scan()
 * would choose with only that run evictable.  The other nodes of the run
 * can stay.  (Exact for the guard-page rule and for custom rules as
 * gtt_range_evict_scan() describes them; for others the victims still
 * open a hole, and include the node whose add opened it.)  Linear in the
 * run the first time, then O(1).
 *
 * Return: 0; -ENOSPC if no hole has opened (*@count 0); -ERANGE if there
 * are more than @max_victims (*@count says how many, nothing written);
 * -EINVAL (also once the allocator changed: the victims evicted, say).
 */
GTT_API int gtt_range_scan_victims(struct gtt_range_scan *scan,
				   struct gtt_range_node **victims,
				   size_t max_victims, size_t *count);

/**
 * gtt_range_scan_finish() - End the scan and free what it allocated.
 *
 * Open, ended, failed or already finished scans alike (NULL too); a
 * finished scan can be initialised again.  Reads no node, and changes
 * nothing in the allocator but its note of the scan that marks nodes
 * (the allocator must still exist): the victims may be evicted before or
 * after.
 */
GTT_API void gtt_range_scan_finish(struct gtt_range_scan *scan);

#ifdef __cplusplus
}
#endif
#endif
