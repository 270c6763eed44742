/* SPDX-License-Identifier: MIT */
/*
 * Range allocator: see gtt/range_alloc.h for the contract.
 *
 * Representation.  Nodes form a circular list in address order through a
 * zero-sized head sentinel placed at the allocator's start.  Each node owns
 * the hole that follows it, up to the next node (or the end).  Three trees
 * index them:
 *
 * - by_addr: every node and the head, by start: lookups and reservations.
 * - hole_addr: only nodes that own a non-empty hole, by start, augmented
 *   with the largest hole in each subtree.  The lowest/highest placements
 *   walk it, skipping subtrees whose largest hole is too small.  Keeping it
 *   to hole owners (as drm_mm does) keeps it small in a packed space, so
 *   resizing a hole touches few nodes.
 * - by_size: the same hole owners by (hole, start), for best fit,
 *   augmented with the largest alignment (log2) of an address inside each
 *   subtree's holes, so a best-fit walk skips subtrees where no hole
 *   contains an address of the request's alignment.
 *
 * All three are red-black trees (rbtree.h): a hole is resized, re-sorted
 * or handed over, and a node linked or unlinked by address, on every
 * insert and remove, and a red-black tree rebalances with less work than
 * an AVL tree (no height to recompute at every level it climbs).  A node
 * placed inside a hole takes the hole's places in both hole trees
 * whenever the part after it is the larger; the part before re-enters
 * next to it.
 *
 * Removing a node merges its hole into the previous node's hole, so holes
 * never need coalescing.
 *
 * Ends.  The space may end at 2^64, which a u64 cannot hold, so every
 * upper bound here is inclusive: the allocator's ra->last, a request's
 * r->last, a span's last address (hole_last(), span_last()).  A span is
 * [first, last] and fits a node of size bytes when last - first >= size -
 * 1.  Sizes and differences stay exact in u64 arithmetic (none reaches
 * 2^64: a space ending at 2^64 starts above 0), so only comparisons need
 * the inclusive form.  hole_start() of a node that ends at 2^64 wraps to
 * 0; such a node owns no hole and is never a candidate, and "does @n end
 * by @addr" is asked as ends_by() (addr - start >= size), which does not
 * wrap.  The public callbacks keep exclusive ends, 0 standing for 2^64
 * (adjust_span(), fit_hole_avoiding()).
 *
 * Locking: the caller's (the vm lock).  The one exception is
 * range_lookup_rcu(), which follows the by_addr links that rbtree.h
 * publishes with release stores, for a vm's lock-free readers.
 */
#include <inttypes.h>
#include <string.h>

#include "range_alloc_internal.h"
#include "base/util.h"

#define addr_node(n) container_of(n, struct gtt_range_node, by_addr)
#define hole_node(n) container_of(n, struct gtt_range_node, hole_addr)
#define size_node(n) container_of(n, struct gtt_range_node, by_size)

/* Zero summaries, read for a missing child: a select of the pointer and
 * one load, not a branch (the walks below mispredict it otherwise). */
static const struct gtt_range_node no_node;

static inline uint64_t max_hole_of(const struct rb_node *n)
{
	return hole_node(n ? n : &no_node.hole_addr)->max_hole;
}

/* The augmentations are inlined into the trees' hot paths (rbtree.h). */
static inline __attribute__((always_inline)) bool
augment_max_hole(struct rb_node *n)
{
	struct gtt_range_node *x = hole_node(n);
	uint64_t m = u64_max(x->hole, u64_max(max_hole_of(n->left),
					      max_hole_of(n->right)));

	bool changed = m != x->max_hole;

	x->max_hole = m;	/* unconditionally: no branch in a rotation */
	return changed;
}

/*
 * log2 of the largest alignment of an address in [hs, he - 1], the place
 * of the highest bit in which hs - 1 and he - 1 differ (the hole is not
 * empty; an address 0 is aligned to anything).
 */
static inline unsigned int hole_align(const struct gtt_range_node *n)
{
	uint64_t hs = n->start + n->size;

	if (!hs)
		return 64;
	return 63u - (unsigned int)__builtin_clzll((hs - 1) ^ (hs + n->hole - 1));
}

static inline unsigned int max_align_of(const struct rb_node *n)
{
	return size_node(n ? n : &no_node.by_size)->max_align;
}

static inline __attribute__((always_inline)) bool
augment_max_align(struct rb_node *n)
{
	struct gtt_range_node *x = size_node(n);
	unsigned int m = x->own_align, l = max_align_of(n->left),
		     r = max_align_of(n->right);

	bool changed;

	m = m > l ? m : l;
	m = m > r ? m : r;
	changed = m != x->max_align;
	x->max_align = (uint8_t)m;
	return changed;
}

static inline bool is_head(const struct gtt_range_alloc *ra,
			   const struct gtt_range_node *n)
{
	return n == &ra->head;
}

static inline uint64_t hole_start(const struct gtt_range_node *n)
{
	return n->start + n->size;
}

/* Last address of @n's hole (not empty), from its own fields (no visit
 * to the next node). */
static inline uint64_t hole_last(const struct gtt_range_node *n)
{
	return hole_start(n) - 1 + n->hole;
}

/* Does @n (or the head) end at or below @addr, given n->start <= @addr? */
static inline bool ends_by(const struct gtt_range_node *n, uint64_t addr)
{
	return addr - n->start >= n->size;
}

/* Does [@start, @start + @size) (@size not 0) lie in the space? */
static inline bool inside(const struct gtt_range_alloc *ra, uint64_t start,
			  uint64_t size)
{
	return start >= ra->start && start <= ra->last &&
	       size - 1 <= ra->last - start;
}

static inline uint32_t color_of(const struct gtt_range_alloc *ra,
				const struct gtt_range_node *n)
{
	return is_head(ra, n) ? GTT_COLOR_NONE : n->color;
}

/* ---- tree maintenance ---- */

/* The node linked into a start-ordered tree at @n through @member. */
static inline struct gtt_range_node *at(const struct rb_node *n, size_t member)
{
	return (struct gtt_range_node *)(void *)((char *)n - member);
}

/* Last node of a start-ordered tree (the node's link at @member) whose
 * start is <= @addr, or NULL. */
static struct gtt_range_node *last_by_start(const struct rb_tree *t,
					    size_t member, uint64_t addr)
{
	struct rb_node *n = t->root, *best = NULL;

	while (n) {
		if (at(n, member)->start <= addr) {
			best = n;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best ? at(best, member) : NULL;
}

/* Insert hole owner @n into the address-ordered hole tree by a descent. */
static void hole_addr_insert(struct gtt_range_alloc *ra, struct gtt_range_node *n)
{
	struct rb_node **link = &ra->hole_addr.root, *parent = NULL;

	/* Each node passed gets @n's hole below it (see size_tree_insert()). */
	while (*link) {
		struct gtt_range_node *p = hole_node(parent = *link);

		p->max_hole = u64_max(p->max_hole, n->max_hole);
		link = n->start < p->start ? &parent->left : &parent->right;
	}
	rb_insert_raised(&ra->hole_addr, parent, link, &n->hole_addr, augment_max_hole);
}

/* The last hole owner whose start is <= @addr, or NULL. */
static struct gtt_range_node *last_hole_by_start(const struct gtt_range_alloc *ra,
						 uint64_t addr)
{
	return last_by_start(&ra->hole_addr, offsetof(struct gtt_range_node, hole_addr),
			     addr);
}

/*
 * The hole trees' changes, with their augmentation inlined: these run
 * several times per insert and remove.
 */
static void size_tree_remove(struct gtt_range_alloc *ra, struct gtt_range_node *n)
{
	rb_erase_with(&ra->by_size, &n->by_size, augment_max_align);
}

static void hole_addr_remove(struct gtt_range_alloc *ra, struct gtt_range_node *n)
{
	rb_erase_with(&ra->hole_addr, &n->hole_addr, augment_max_hole);
}

/* Does @a come before @b in the size tree's order (hole, start)? */
static inline bool size_before(const struct gtt_range_node *a,
			       const struct gtt_range_node *b)
{
	/* Bitwise, so that the tie is no second branch in a descent. */
	return (a->hole < b->hole) | ((a->hole == b->hole) & (a->start < b->start));
}

static void size_tree_insert(struct gtt_range_alloc *ra,
			     struct gtt_range_node *n)
{
	struct rb_node **link = &ra->by_size.root, *parent = NULL;
	uint8_t a = n->own_align;

	/* Each node passed gets @n below it: its maximum is raised here
	 * (a select and a store), so no refresh climbs back up. */
	while (*link) {
		struct gtt_range_node *p = size_node(parent = *link);

		p->max_align = p->max_align > a ? p->max_align : a;
		link = size_before(n, p) ? &parent->left : &parent->right;
	}
	rb_insert_raised(&ra->by_size, parent, link, &n->by_size, augment_max_align);
}

/*
 * @n (its hole set) enters both hole trees.  @pred or @succ, when not
 * NULL, is the hole owner right before or after it by address: the
 * address tree links it next to that one instead of descending.
 */
static void hole_trees_insert(struct gtt_range_alloc *ra,
			      struct gtt_range_node *n,
			      struct gtt_range_node *pred,
			      struct gtt_range_node *succ)
{
	n->max_align = 0;
	n->own_align = (uint8_t)hole_align(n);
	size_tree_insert(ra, n);
	n->max_hole = n->hole;
	if (pred)
		rb_insert_after_with(&ra->hole_addr, &pred->hole_addr,
				     &n->hole_addr, augment_max_hole);
	else if (succ)
		rb_insert_before_with(&ra->hole_addr, &succ->hole_addr,
				      &n->hole_addr, augment_max_hole);
	else
		hole_addr_insert(ra, n);
	n->has_hole = true;
	ra->holes++;
}

static void hole_trees_remove(struct gtt_range_alloc *ra,
			      struct gtt_range_node *n)
{
	if (!n->has_hole)
		return;
	size_tree_remove(ra, n);
	hole_addr_remove(ra, n);
	n->has_hole = false;
	ra->holes--;
}

/*
 * Is @n (in the size tree, its key just changed) still in order there?
 * Only the neighbour on the side it moved to can be out of order: the
 * next one if its key grew (@grew), else the previous one.
 */
static bool size_order_holds(struct gtt_range_node *n, bool grew)
{
	struct rb_node *x = grew ? rb_next(&n->by_size) : rb_prev(&n->by_size);

	return !x || (grew ? size_before(n, size_node(x))
			   : size_before(size_node(x), n));
}

/* @n's hole (in both trees) changed size, its size key growing if @grew:
 * re-sort it by size only if its order changed, and refresh the maxima
 * above it. */
static void hole_resized(struct gtt_range_alloc *ra, struct gtt_range_node *n,
			 bool grew)
{
	n->own_align = (uint8_t)hole_align(n);
	if (!size_order_holds(n, grew)) {
		size_tree_remove(ra, n);
		size_tree_insert(ra, n);
	} else {
		rb_propagate_with(&n->by_size, augment_max_align);
	}
	rb_propagate_with(&n->hole_addr, augment_max_hole);
}

/*
 * @n's hole becomes @hole bytes.  A hole that stays a hole keeps its place
 * in the address tree (only the maxima above it change) and, when its
 * size order is unchanged (the largest hole shrinking, say), its place in
 * the size tree too.
 */
static void set_hole(struct gtt_range_alloc *ra, struct gtt_range_node *n,
		     uint64_t hole)
{
	if (n->hole == hole)
		return;
	if (n->has_hole && hole) {
		bool grew = hole > n->hole;

		n->hole = hole;
		hole_resized(ra, n, grew);
		return;
	}
	hole_trees_remove(ra, n);
	n->hole = hole;
	if (hole)
		hole_trees_insert(ra, n, NULL, NULL);
}

/*
 * The hole owned by @from (non-empty) passes to @to, its neighbour in
 * address order (no hole owner between them), as @hole bytes: @to takes
 * @from's places in the trees instead of one leaving and one entering.
 */
static void pass_hole(struct gtt_range_alloc *ra, struct gtt_range_node *from,
		      struct gtt_range_node *to, uint64_t hole)
{
	uint64_t from_hole = from->hole;
	bool grew;

	rb_replace(&ra->hole_addr, &from->hole_addr, &to->hole_addr);
	rb_replace(&ra->by_size, &from->by_size, &to->by_size);
	to->max_hole = from->max_hole;
	to->max_align = from->max_align;
	to->has_hole = true;
	from->has_hole = false;
	from->hole = 0;
	/* Which way the size key (hole, start) moved. */
	grew = hole > from_hole || (hole == from_hole && to->start > from->start);
	to->hole = hole;
	hole_resized(ra, to, grew);
}

/* Last node (possibly the head) whose start is <= @addr. */
static struct gtt_range_node *last_at_or_below(struct gtt_range_alloc *ra,
					       uint64_t addr)
{
	struct gtt_range_node *n = last_by_start(&ra->by_addr,
						 offsetof(struct gtt_range_node, by_addr),
						 addr);

	return n ? n : &ra->head;
}

static inline struct rb_node *kid(const struct rb_node *n, int right)
{
	return right ? n->right : n->left;
}

/* In subtree @x (whose max_hole >= size), the left- or rightmost node with a hole >= size. */
static struct gtt_range_node *extreme_with_hole(struct rb_node *x,
						uint64_t size, int rightmost)
{
	for (;;) {
		struct rb_node *c = kid(x, rightmost);

		if (c && max_hole_of(c) >= size)
			x = c;
		else if (hole_node(x)->hole >= size)
			return hole_node(x);
		else
			x = kid(x, !rightmost);
	}
}

/* The next (forward) or previous hole owner after @node with a hole >= size. */
static struct gtt_range_node *step_with_hole(struct gtt_range_node *node,
					     uint64_t size, int forward)
{
	struct rb_node *n = &node->hole_addr, *x = kid(n, forward);

	if (x && max_hole_of(x) >= size)
		return extreme_with_hole(x, size, !forward);
	for (struct rb_node *p = rb_parent(n); p; n = p, p = rb_parent(p)) {
		if (kid(p, !forward) != n)
			continue;
		if (hole_node(p)->hole >= size)
			return hole_node(p);
		x = kid(p, forward);
		if (x && max_hole_of(x) >= size)
			return extreme_with_hole(x, size, !forward);
	}
	return NULL;
}

/* ---- fitting ---- */

/*
 * The guard-page rule, on a hole [*start, *end) that is not empty (*end 0
 * standing for 2^64): a page off each end next to another colour, or the
 * hole emptied (*end = *start) when the guards take all of it.
 */
static void default_adjust(void *arg, uint32_t color, uint32_t prev_color,
			   uint32_t next_color, uint64_t *start, uint64_t *end)
{
	struct gtt_range_alloc *ra = arg;
	uint64_t room = *end - 1 - *start;	/* bytes after *start */

	if (prev_color != GTT_COLOR_NONE && prev_color != color) {
		if (room < ra->page_size) {
			*end = *start;
			return;
		}
		*start += ra->page_size;
		room -= ra->page_size;
	}
	if (next_color != GTT_COLOR_NONE && next_color != color)
		*end = room < ra->page_size ? *start : *end - ra->page_size;
}

/*
 * The colour rule on the span [*hs, *hl].  The rule sees an exclusive end,
 * 0 for 2^64: one it leaves at 0 still ends there, one it moves from
 * elsewhere to 0 is emptied.  False if the rule leaves nothing.  A rule
 * that widens the span (it may only shrink it) is held to the span, which
 * is free: nothing is placed over a neighbour.
 */
static bool adjust_span(const struct gtt_range_alloc *ra, uint32_t color,
			uint32_t pc, uint32_t nc, uint64_t *hs, uint64_t *hl)
{
	uint64_t start = *hs, end = *hl + 1;
	bool top = !end;

	ra->adjust(ra->adjust_arg, color, pc, nc, &start, &end);
	if (!end && !top)
		return false;
	*hs = u64_max(start, *hs);
	*hl = u64_min(end - 1, *hl);
	return true;
}

/*
 * The part of the free span [hs, hl], between neighbours of colours @pc
 * and @nc, where @r may lie: after the colour rule and the range limits.
 * False if it cannot hold @r's size.
 */
static bool usable_span(const struct gtt_range_alloc *ra,
			const struct fit_req *r, uint64_t *hs, uint64_t *hl,
			uint32_t pc, uint32_t nc)
{
	if ((ra->flags & GTT_RANGE_COLOR_GUARD) &&
	    !adjust_span(ra, r->color, pc, nc, hs, hl))
		return false;
	*hs = u64_max(*hs, r->lo);
	*hl = u64_min(*hl, r->last);
	return *hl >= *hs && *hl - *hs >= r->size - 1;
}

/* The boundary that [@s, @s + size) crosses with r->nospan, or 0 if none. */
static inline uint64_t crossed(const struct fit_req *r, uint64_t s)
{
	uint64_t b = (s + r->size - 1) >> r->nospan << r->nospan;

	return r->nospan && b > s ? b : 0;
}

/* Lowest aligned start >= @from with the node's last byte at or below @hl. */
static bool lowest_from(const struct fit_req *r, uint64_t from, uint64_t hl,
			uint64_t *out)
{
	uint64_t rem = from & (r->align - 1), s;

	if (rem && from > UINT64_MAX - (r->align - rem))
		return false;
	s = rem ? from + (r->align - rem) : from;
	if (hl < r->size - 1 || s > hl - (r->size - 1))
		return false;
	/* Up to the boundary (aligned: the alignment is below the block's). */
	if (crossed(r, s)) {
		s = crossed(r, s);
		if (s > hl - (r->size - 1))
			return false;
	}
	*out = s;
	return true;
}

/* Highest aligned start >= @hs with the node's last byte at or below @hl. */
static bool highest_to(const struct fit_req *r, uint64_t hs, uint64_t hl,
		       uint64_t *out)
{
	uint64_t s;

	if (hl < r->size - 1)
		return false;
	s = (hl - (r->size - 1)) & ~(r->align - 1);
	if (s < hs)
		return false;
	/* Down to end at the boundary. */
	if (crossed(r, s)) {
		s = (crossed(r, s) - r->size) & ~(r->align - 1);
		if (s < hs)
			return false;
	}
	*out = s;
	return true;
}

/*
 * Where would @r go in the free span [hs, hl] between neighbours of colours
 * @pc and @nc?  Returns true and the address in *@out if it fits.
 */
static bool fit_span(const struct gtt_range_alloc *ra, const struct fit_req *r,
		     uint64_t hs, uint64_t hl, uint32_t pc, uint32_t nc,
		     uint64_t *out)
{
	if (!usable_span(ra, r, &hs, &hl, pc, nc))
		return false;
	return r->placement == GTT_PLACE_HIGH ? highest_to(r, hs, hl, out)
					       : lowest_from(r, hs, hl, out);
}

static bool fit_hole(const struct gtt_range_alloc *ra, const struct fit_req *r,
		     const struct gtt_range_node *n, uint64_t *out)
{
	uint32_t pc = GTT_COLOR_NONE, nc = GTT_COLOR_NONE;

	/* The neighbours' colours only matter to the colour rule (and the
	 * next node is one more cache miss per candidate hole). */
	if (ra->flags & GTT_RANGE_COLOR_GUARD) {
		pc = color_of(ra, n);
		nc = color_of(ra, n->next);
	}
	return fit_span(ra, r, hole_start(n), hole_last(n), pc, nc, out);
}

static int make_fit_req(struct gtt_range_alloc *ra,
			const struct gtt_range_request *req, struct fit_req *r,
			const char *who)
{
	if (!req)
		return set_error(-EINVAL, "%s: request is NULL", who);
	if (!reserved_zero(req->reserved, sizeof(req->reserved)))
		return set_error(-EINVAL, "%s: the request has non-zero reserved fields (built against a newer libgtt?)", who);
	/* The page size is a power of two: a mask, not a division, on
	 * every insert. */
	if (!req->size || (req->size & (ra->page_size - 1)))
		return set_error(-EINVAL,
				 "%s: size 0x%llx is zero or not a multiple of the page size 0x%llx",
				 who, (unsigned long long)req->size,
				 (unsigned long long)ra->page_size);
	if (req->alignment && !is_pow2(req->alignment))
		return set_error(-EINVAL, "%s: alignment 0x%llx is not a power of two",
				 who, (unsigned long long)req->alignment);
	if (req->color == GTT_COLOR_NONE)
		return set_error(-EINVAL, "%s: GTT_COLOR_NONE is not a node colour", who);
	if (req->avoid && (!req->avoid->fn ||
			   !reserved_zero(req->avoid->reserved, sizeof(req->avoid->reserved))))
		return set_error(-EINVAL, "%s: the avoid callback is NULL or its reserved fields are not zero", who);
	if ((unsigned int)req->placement > GTT_PLACE_HIGH)
		return set_error(-EINVAL, "%s: unknown placement %d", who,
				 (int)req->placement);
	if (ra->nospan_shift && req->size > 1ull << ra->nospan_shift)
		return set_error(-EINVAL, "%s: size 0x%llx is larger than the nospan block 0x%llx",
				 who, (unsigned long long)req->size,
				 1ull << ra->nospan_shift);
	r->size = req->size;
	r->nospan = ra->nospan_shift;
	r->align = u64_max(req->alignment, ra->page_size);
	r->color = req->color;
	r->placement = req->placement;
	r->avoid = req->avoid ? req->avoid->fn : NULL;
	r->avoid_arg = req->avoid ? req->avoid->arg : NULL;
	r->lo = u64_max(req->range_start, ra->start);
	r->last = req->range_end ? u64_min(req->range_end - 1, ra->last) : ra->last;
	if (req->range_end && req->range_end <= req->range_start)
		return set_error(-EINVAL, "%s: range [0x%llx, 0x%llx) is empty or inverted",
				 who, (unsigned long long)req->range_start,
				 (unsigned long long)req->range_end);
	if (r->lo > r->last)
		return set_error(-EINVAL, "%s: range [0x%llx, 0x%llx) lies outside the allocator",
				 who, (unsigned long long)req->range_start,
				 (unsigned long long)req->range_end);
	return 0;
}

/*
 * The holes a placement looks at, in the policy's order: by (size, start)
 * from the smallest that is large enough (best fit), or by address from
 * the range's low end (lowest) or its high end (highest), skipping holes
 * too small.  NULL when there are no more.
 */
/* log2 of the request's alignment. */
static inline unsigned int align_log2(const struct fit_req *r)
{
	return (unsigned int)__builtin_ctzll(r->align);
}

/* Leftmost node of by_size subtree @x (max_align >= @k) whose hole holds
 * an address aligned to 2^@k. */
static struct rb_node *leftmost_aligned(struct rb_node *x, unsigned int k)
{
	for (;;) {
		if (x->left && max_align_of(x->left) >= k)
			x = x->left;
		else if (size_node(x)->own_align >= k)
			return x;
		else
			x = x->right;
	}
}

/* The next node after @n in size order whose hole holds an address
 * aligned to 2^@k (the others cannot take the request). */
static struct gtt_range_node *size_next(struct gtt_range_node *node,
					unsigned int k)
{
	struct rb_node *n = &node->by_size, *x = n->right;

	if (x && max_align_of(x) >= k)
		return size_node(leftmost_aligned(x, k));
	for (struct rb_node *p = rb_parent(n); p; n = p, p = rb_parent(p)) {
		if (p->right == n)
			continue;
		if (size_node(p)->own_align >= k)
			return size_node(p);
		x = p->right;
		if (x && max_align_of(x) >= k)
			return size_node(leftmost_aligned(x, k));
	}
	return NULL;
}

/* The smallest hole (by size, then address) of at least @r's size that
 * holds an address of @r's alignment. */
static struct gtt_range_node *size_first(struct gtt_range_alloc *ra,
					 const struct fit_req *r)
{
	struct rb_node *x = ra->by_size.root, *best = NULL;

	while (x) {
		if (size_node(x)->hole >= r->size) {
			best = x;
			x = x->left;
		} else {
			x = x->right;
		}
	}
	if (!best)
		return NULL;
	if (size_node(best)->own_align >= align_log2(r))
		return size_node(best);
	return size_next(size_node(best), align_log2(r));
}

/* The lowest hole owner at or after r->lo with a hole >= r->size. */
static struct gtt_range_node *addr_first(struct gtt_range_alloc *ra,
					 const struct fit_req *r)
{
	struct gtt_range_node *n = last_hole_by_start(ra, r->lo);

	if (!n)
		n = ra->hole_addr.root && max_hole_of(ra->hole_addr.root) >= r->size ?
		    extreme_with_hole(ra->hole_addr.root, r->size, 0) : NULL;
	else if (n->hole < r->size)
		n = step_with_hole(n, r->size, 1);
	return n && hole_start(n) <= r->last ? n : NULL;
}

static struct gtt_range_node *addr_next(const struct fit_req *r,
					struct gtt_range_node *n)
{
	n = step_with_hole(n, r->size, 1);
	return n && hole_start(n) <= r->last ? n : NULL;
}

static struct gtt_range_node *first_candidate(struct gtt_range_alloc *ra,
					      const struct fit_req *r)
{
	struct gtt_range_node *n;

	switch (r->placement) {
	case GTT_PLACE_BEST:
		return size_first(ra, r);
	case GTT_PLACE_LOW:
		return addr_first(ra, r);
	case GTT_PLACE_HIGH:
		n = last_hole_by_start(ra, r->last);
		if (n && n->hole < r->size)
			n = step_with_hole(n, r->size, 0);
		return n && hole_last(n) >= r->lo ? n : NULL;
	}
	return NULL;
}

static struct gtt_range_node *next_candidate(const struct fit_req *r,
					     struct gtt_range_node *n)
{
	switch (r->placement) {
	case GTT_PLACE_BEST:
		return size_next(n, align_log2(r));
	case GTT_PLACE_LOW:
		return addr_next(r, n);
	case GTT_PLACE_HIGH:
		n = step_with_hole(n, r->size, 0);
		return n && hole_last(n) >= r->lo ? n : NULL;
	}
	return NULL;
}

/*
 * Search hole @n for a placement of @r that r->avoid accepts, from the
 * policy's end (the high end for HIGH, the low end otherwise); each
 * rejection moves past the block the callback names.  Counts the calls in
 * *@probes and stops at GTT_RANGE_AVOID_PROBES.
 */
static bool fit_hole_avoiding(const struct gtt_range_alloc *ra,
			      const struct fit_req *r,
			      const struct gtt_range_node *n,
			      unsigned int *probes, uint64_t *out)
{
	bool down = r->placement == GTT_PLACE_HIGH;
	uint64_t hs = hole_start(n), hl = hole_last(n), s, bs, be, bl;

	if (!usable_span(ra, r, &hs, &hl, color_of(ra, n), color_of(ra, n->next)) ||
	    !(down ? highest_to(r, hs, hl, &s) : lowest_from(r, hs, hl, &s)))
		return false;
	while (*probes < GTT_RANGE_AVOID_PROBES) {
		++*probes;
		/* The callback's ends are exclusive, 0 standing for 2^64. */
		bs = s;
		be = s + r->size;
		if (!r->avoid(r->avoid_arg, s, s + r->size, &bs, &be)) {
			*out = s;
			return true;
		}
		bl = be - 1;
		if (bl < bs || bl < s || bs > s + (r->size - 1)) {	/* not overlapping */
			bs = s;
			bl = s + (r->size - 1);
		}
		/* Past the block: below @bs, or above @bl. */
		if (down ? !bs || !highest_to(r, hs, u64_min(bs - 1, hl), &s)
			 : bl == UINT64_MAX || !lowest_from(r, u64_max(bl + 1, hs), hl, &s))
			return false;
	}
	return false;
}

/*
 * Best fit: the first hole in size order where @r fits.  The size order
 * visits, one by one, holes that are large enough but where the colour
 * rule, the alignment or the range limits leave no placement (those that
 * hold no address of the alignment are skipped a subtree at a time).  So
 * the walk in size order runs alongside a walk in address order through
 * the holes of the range that are large enough, one step each: the first
 * fit in size order is the answer, or else, once the address walk has
 * seen every hole of the range, the smallest (by size, then address) of
 * those where @r fits.  Either way the answer is the same; the cost is
 * twice the shorter walk.  Without a range limit the address walk would
 * visit every hole large enough, so the size walk runs alone.
 */
static struct gtt_range_node *best_hole(struct gtt_range_alloc *ra,
					const struct fit_req *r, uint64_t *at)
{
	struct gtt_range_node *a = size_first(ra, r), *b, *best = NULL;
	unsigned int k = align_log2(r);
	uint64_t x;

	if (!a || fit_hole(ra, r, a, at))
		return a;
	if (r->lo == ra->start && r->last == ra->last) {
		/* No range limit: the address walk would see every hole. */
		while ((a = size_next(a, k)) && !fit_hole(ra, r, a, at))
			;
		return a;
	}
	for (b = addr_first(ra, r);; b = addr_next(r, b)) {
		if (!b) {
			if (best)
				fit_hole(ra, r, best, at);
			return best;
		}
		if ((!best || size_before(b, best)) && fit_hole(ra, r, b, &x))
			best = b;
		if (!(a = size_next(a, k)))
			return NULL;
		if (fit_hole(ra, r, a, at))
			return a;
	}
}

/* Find the hole (its owning node) and address for @r, or NULL. */
static struct gtt_range_node *find_hole(struct gtt_range_alloc *ra,
					const struct fit_req *r, uint64_t *at)
{
	struct gtt_range_node *n;
	unsigned int probes = 0;

	if (r->avoid)
		for (n = first_candidate(ra, r);
		     n && probes < GTT_RANGE_AVOID_PROBES;
		     n = next_candidate(r, n))
			if (fit_hole_avoiding(ra, r, n, &probes, at))
				return n;
	if (r->placement == GTT_PLACE_BEST)
		return best_hole(ra, r, at);
	for (n = first_candidate(ra, r); n; n = next_candidate(r, n))
		if (fit_hole(ra, r, n, at))
			return n;
	return NULL;
}

/* Count @node in once it is linked. */
static void link_counts(struct gtt_range_alloc *ra, struct gtt_range_node *node)
{
	if (node->filler) {
		ra->unadded += node->size;
	} else {
		ra->nodes++;
		ra->used += node->size;
	}
}

/* Link @node at [@at, @at + size) inside the hole owned by @prev. */
static void link_node(struct gtt_range_alloc *ra, struct gtt_range_node *prev,
		      struct gtt_range_node *node, uint64_t at)
{
	uint64_t gap = at - hole_start(prev), hole = prev->hole - gap - node->size;

	node->start = at;
	node->ra = ra;
	node->scan_slot = UINT32_MAX;	/* in no scan (range_scan.c) */
	node->hole = 0;
	node->has_hole = false;
	node->prev = prev;
	node->next = prev->next;
	prev->next->prev = node;
	prev->next = node;
	rb_insert_after_with(&ra->by_addr, &prev->by_addr, &node->by_addr, NULL);
	ra->changes++;
	if (hole && hole >= gap) {
		/* The part after @node is the larger (all of it at the
		 * hole's start): it passes to @node, which takes the hole's
		 * places in the trees; the part before re-enters as @prev's,
		 * right before @node by address. */
		pass_hole(ra, prev, node, hole);
		if (gap) {
			prev->hole = gap;
			hole_trees_insert(ra, prev, NULL, node);
		}
	} else {
		if (hole) {
			node->hole = hole;
			hole_trees_insert(ra, node, prev, NULL);
		}
		set_hole(ra, prev, gap);
	}
	link_counts(ra, node);
}

/* Take @node out; its span and hole join the previous node's hole. */
static void unlink_node(struct gtt_range_alloc *ra, struct gtt_range_node *node)
{
	struct gtt_range_node *prev = node->prev;
	uint64_t merged = prev->hole + node->size + node->hole;

	rb_erase_with(&ra->by_addr, &node->by_addr, NULL);
	ra->changes++;
	prev->next = node->next;
	node->next->prev = prev;
	if (node->has_hole && !prev->has_hole) {
		/* @prev takes over @node's hole, grown by @node's span. */
		pass_hole(ra, node, prev, merged);
	} else {
		hole_trees_remove(ra, node);
		set_hole(ra, prev, merged);
	}
	if (node->filler) {
		ra->unadded -= node->size;
	} else {
		ra->nodes--;
		ra->used -= node->size;
	}
	node->ra = NULL;
}

/* ---- public API ---- */


GTT_API int gtt_range_alloc_create(uint64_t start, uint64_t size,
				   uint64_t page_size, unsigned int flags,
				   struct gtt_range_alloc **out)
{
	struct gtt_range_alloc *ra;

	if (!out)
		return set_error(-EINVAL, "gtt_range_alloc_create: out is NULL");
	if (!page_size)
		page_size = 4096;
	if (!is_pow2(page_size))
		return set_error(-EINVAL, "gtt_range_alloc_create: page size 0x%llx is not a power of two",
				 (unsigned long long)page_size);
	if (!size || size % page_size || start % page_size)
		return set_error(-EINVAL, "gtt_range_alloc_create: start 0x%llx / size 0x%llx not page-aligned or zero",
				 (unsigned long long)start, (unsigned long long)size);
	if (size - 1 > UINT64_MAX - start)
		return set_error(-EINVAL, "gtt_range_alloc_create: [0x%llx, +0x%llx) ends past 2^64",
				 (unsigned long long)start, (unsigned long long)size);
	if (flags & ~(unsigned int)(GTT_RANGE_COLOR_GUARD | GTT_RANGE_ALLOC_EMPTY))
		return set_error(-EINVAL, "gtt_range_alloc_create: unknown flags 0x%x", flags);
	ra = mem_zalloc(sizeof(*ra));
	if (!ra)
		return set_error(-ENOMEM, "gtt_range_alloc_create: out of memory");
	ra->start = start;
	ra->last = start + size - 1;
	ra->page_size = page_size;
	ra->flags = flags;
	ra->adjust = default_adjust;
	ra->adjust_arg = ra;
	rb_init(&ra->by_addr);
	rb_init(&ra->hole_addr);
	rb_init(&ra->by_size);
	ra->head.start = start;
	ra->head.color = GTT_COLOR_NONE;
	ra->head.prev = ra->head.next = &ra->head;
	ra->head.ra = ra;
	rb_insert_with(&ra->by_addr, NULL, &ra->by_addr.root, &ra->head.by_addr, NULL);
	set_hole(ra, &ra->head, size);
	if (flags & GTT_RANGE_ALLOC_EMPTY) {
		struct gtt_range_node *f = mem_zalloc(sizeof(*f));

		if (!f) {
			mem_free(ra);
			return set_error(-ENOMEM, "gtt_range_alloc_create: out of memory");
		}
		f->size = size;
		f->color = GTT_COLOR_NONE;
		f->filler = true;
		link_node(ra, &ra->head, f, start);
	}
	*out = ra;
	return 0;
}

GTT_API void gtt_range_alloc_destroy(struct gtt_range_alloc *ra)
{
	struct gtt_range_node *n, *next;

	if (!ra)
		return;
	for (n = ra->head.next; !is_head(ra, n); n = next) {
		next = n->next;
		if (!n->embedded)
			mem_free(n);
	}
	mem_free(ra);
}

GTT_API int gtt_range_alloc_set_color_adjust(struct gtt_range_alloc *ra,
					     gtt_color_adjust_fn fn, void *arg)
{
	if (!ra)
		return set_error(-EINVAL, "gtt_range_alloc_set_color_adjust: allocator is NULL");
	ra->adjust = fn ? fn : default_adjust;
	ra->adjust_arg = fn ? arg : ra;
	return 0;
}

/*
 * Place a node of @size and @color at @at after @prev: @node if given,
 * else one allocated here (the only step that can fail, with -ENOMEM,
 * before anything changed).
 */
static int place_node(struct gtt_range_alloc *ra, struct gtt_range_node *prev,
		      uint64_t at, uint64_t size, uint32_t color, void *owner,
		      struct gtt_range_node *node, struct gtt_range_node **out,
		      const char *who)
{
	if (!node) {
		if (!(node = mem_alloc(sizeof(*node))))
			return set_error(-ENOMEM, "%s: out of memory", who);
		node->embedded = false;
	}
	node->filler = false;
	node->size = size;
	node->color = color;
	node->owner = owner;
	link_node(ra, prev, node, at);
	if (out)
		*out = node;
	return 0;
}

/* gtt_range_insert() into @node, or into a new node when @node is NULL. */
static int insert(struct gtt_range_alloc *ra, const struct gtt_range_request *req,
		  void *owner, struct gtt_range_node *node,
		  struct gtt_range_node **out, const char *who)
{
	struct gtt_range_node *prev;
	struct fit_req r;
	uint64_t at;
	int err;

	err = make_fit_req(ra, req, &r, who);
	if (err)
		return err;
	prev = find_hole(ra, &r, &at);
	/* With @node, the vm's placement loop is asking: running out of
	 * space is an expected outcome there, with nothing to format. */
	if (!prev && node)
		return set_error_static(-ENOSPC, "range_insert_node: no hole fits the request");
	if (!prev)
		return set_error(-ENOSPC, "%s: no hole of 0x%llx bytes (alignment 0x%llx) in [0x%llx, 0x%llx]",
				 who, (unsigned long long)r.size, (unsigned long long)r.align,
				 (unsigned long long)r.lo, (unsigned long long)r.last);
	return place_node(ra, prev, at, r.size, r.color, owner, node, out, who);
}

/* gtt_range_reserve() into @node, or into a new node when @node is NULL. */
static int reserve(struct gtt_range_alloc *ra, uint64_t start, uint64_t size,
		   uint32_t color, void *owner, struct gtt_range_node *node,
		   struct gtt_range_node **out, const char *who)
{
	struct gtt_range_node *prev;
	struct fit_req r;
	uint64_t at;

	if (!size || ((size | start) & (ra->page_size - 1)))
		return set_error(-EINVAL, "%s: [0x%llx, +0x%llx) is empty or not page-aligned",
				 who, (unsigned long long)start, (unsigned long long)size);
	if (!inside(ra, start, size))
		return set_error(-EINVAL, "%s: [0x%llx, +0x%llx) wraps or lies outside [0x%llx, 0x%llx]",
				 who, (unsigned long long)start, (unsigned long long)size,
				 (unsigned long long)ra->start, (unsigned long long)ra->last);
	if (color == GTT_COLOR_NONE)
		return set_error(-EINVAL, "%s: GTT_COLOR_NONE is not a node colour", who);
	prev = last_at_or_below(ra, start);
	r = (struct fit_req){ .size = size, .align = ra->page_size, .color = color,
			      .lo = start, .last = start + (size - 1),
			      .placement = GTT_PLACE_LOW };
	if (!ends_by(prev, start) || !fit_hole(ra, &r, prev, &at) || at != start) {
		if (node)	/* the vm's placement: see insert() */
			return set_error_static(-ENOSPC, "range_reserve_node: the range is (partly) in use");
		return set_error(-ENOSPC, "%s: [0x%llx, +0x%llx) is (partly) in use",
				 who, (unsigned long long)start, (unsigned long long)size);
	}
	return place_node(ra, prev, start, size, color, owner, node, out, who);
}

GTT_API int gtt_range_insert(struct gtt_range_alloc *ra,
			     const struct gtt_range_request *req, void *owner,
			     struct gtt_range_node **out)
{
	if (!ra || !out)
		return set_error(-EINVAL, "gtt_range_insert: allocator or out is NULL");
	return insert(ra, req, owner, NULL, out, "gtt_range_insert");
}

GTT_API int gtt_range_reserve(struct gtt_range_alloc *ra, uint64_t start,
			      uint64_t size, uint32_t color, void *owner,
			      struct gtt_range_node **out)
{
	if (!ra || !out)
		return set_error(-EINVAL, "gtt_range_reserve: allocator or out is NULL");
	return reserve(ra, start, size, color, owner, NULL, out, "gtt_range_reserve");
}

/* Caller storage for a node: not NULL, not in an allocator. */
static struct gtt_range_node *storage_node(struct gtt_range_node_storage *mem)
{
	struct gtt_range_node *node = (struct gtt_range_node *)(void *)mem;

	if (!mem || node->ra)
		return NULL;
	node->embedded = true;
	return node;
}

_Static_assert(sizeof(struct gtt_range_node) <= sizeof(struct gtt_range_node_storage),
	       "GTT_RANGE_NODE_WORDS is too small for struct gtt_range_node");
_Static_assert(_Alignof(struct gtt_range_node) <= _Alignof(struct gtt_range_node_storage),
	       "struct gtt_range_node_storage is not aligned enough");

GTT_API int gtt_range_insert_in(struct gtt_range_alloc *ra,
				const struct gtt_range_request *req, void *owner,
				struct gtt_range_node_storage *mem,
				struct gtt_range_node **out)
{
	struct gtt_range_node *node;
	int err;

	if (!ra || !out)
		return set_error(-EINVAL, "gtt_range_insert_in: allocator or out is NULL");
	if (!(node = storage_node(mem)))
		return set_error(-EINVAL, "gtt_range_insert_in: storage is NULL or holds a node in use");
	err = insert(ra, req, owner, node, NULL, "gtt_range_insert_in");
	if (err == -ENOSPC)	/* insert() keeps a constant message for @node */
		return set_error(-ENOSPC, "gtt_range_insert_in: no hole fits the request of 0x%llx bytes",
				 (unsigned long long)req->size);
	if (!err)
		*out = node;
	return err;
}

GTT_API int gtt_range_reserve_in(struct gtt_range_alloc *ra, uint64_t start,
				 uint64_t size, uint32_t color, void *owner,
				 struct gtt_range_node_storage *mem,
				 struct gtt_range_node **out)
{
	struct gtt_range_node *node;
	int err;

	if (!ra || !out)
		return set_error(-EINVAL, "gtt_range_reserve_in: allocator or out is NULL");
	if (!(node = storage_node(mem)))
		return set_error(-EINVAL, "gtt_range_reserve_in: storage is NULL or holds a node in use");
	err = reserve(ra, start, size, color, owner, node, NULL, "gtt_range_reserve_in");
	if (err == -ENOSPC)
		return set_error(-ENOSPC, "gtt_range_reserve_in: [0x%llx, +0x%llx) is (partly) in use",
				 (unsigned long long)start, (unsigned long long)size);
	if (!err)
		*out = node;
	return err;
}

GTT_API int gtt_range_alloc_set_nospan(struct gtt_range_alloc *ra,
				       unsigned int shift)
{
	if (!ra)
		return set_error(-EINVAL, "gtt_range_alloc_set_nospan: allocator is NULL");
	if (shift && (shift >= 64 || (1ull << shift) < ra->page_size))
		return set_error(-EINVAL, "gtt_range_alloc_set_nospan: 2^%u is not a block of at least the page size 0x%llx below 2^64",
				 shift, (unsigned long long)ra->page_size);
	ra->nospan_shift = shift;
	return 0;
}

GTT_API int gtt_range_add_free(struct gtt_range_alloc *ra, uint64_t start,
			       uint64_t size)
{
	struct gtt_range_node *f, *rest = NULL, *prev;
	uint64_t fs, fl, last;

	if (!ra)
		return set_error(-EINVAL, "gtt_range_add_free: allocator is NULL");
	if (!size || size % ra->page_size || start % ra->page_size ||
	    !inside(ra, start, size))
		return set_error(-EINVAL, "gtt_range_add_free: [0x%llx, +0x%llx) is empty, not page-aligned or outside [0x%llx, 0x%llx]",
				 (unsigned long long)start, (unsigned long long)size,
				 (unsigned long long)ra->start, (unsigned long long)ra->last);
	last = start + (size - 1);
	f = last_at_or_below(ra, start);
	if (is_head(ra, f) || !f->filler || last > f->start + (f->size - 1))
		return set_error(-EINVAL, "gtt_range_add_free: [0x%llx, +0x%llx) overlaps space already added",
				 (unsigned long long)start, (unsigned long long)size);
	fs = f->start;
	fl = f->start + (f->size - 1);
	/* The filler splits in two: the one allocation, before any change. */
	if (fs < start && last < fl) {
		if (!(rest = mem_zalloc(sizeof(*rest))))
			return set_error(-ENOMEM, "gtt_range_add_free: out of memory");
		rest->filler = true;
		rest->color = GTT_COLOR_NONE;
	}
	prev = f->prev;
	unlink_node(ra, f);
	if (fs < start) {
		f->size = start - fs;
		link_node(ra, prev, f, fs);
		prev = f;
	} else if (last < fl) {
		rest = f;
	} else {
		mem_free(f);
	}
	if (last < fl) {
		rest->size = fl - last;
		link_node(ra, prev, rest, last + 1);
	}
	return 0;
}

GTT_API int gtt_range_next_hole(struct gtt_range_alloc *ra, uint64_t from,
				uint64_t *start, uint64_t *size)
{
	struct gtt_range_node *n;

	if (!ra || !start || !size)
		return set_error(-EINVAL, "gtt_range_next_hole: NULL argument");
	n = last_hole_by_start(ra, from);
	if (!n)
		n = ra->hole_addr.root ? hole_node(rb_first(&ra->hole_addr)) : NULL;
	else if (hole_start(n) < from)
		n = step_with_hole(n, 1, 1);
	if (!n)
		return set_error(-ENOENT, "gtt_range_next_hole: no hole at or above 0x%llx",
				 (unsigned long long)from);
	*start = hole_start(n);
	*size = n->hole;
	return 0;
}

GTT_API int gtt_range_alloc_print(struct gtt_range_alloc *ra, FILE *fp,
				  const char *prefix)
{
	uint64_t total, free = 0;
	struct rb_node *x;
	int bad = 0;

	if (!ra || !fp || !prefix)
		return set_error(-EINVAL, "gtt_range_alloc_print: NULL argument");
	total = ra->last - ra->start + 1 - ra->unadded;
	bad |= fprintf(fp, "%sutil_vma_heap:\n", prefix) < 0;
	/* Highest first, as util_vma_heap keeps its holes. */
	for (x = rb_last(&ra->hole_addr); x; x = rb_prev(x)) {
		struct gtt_range_node *n = hole_node(x);

		bad |= fprintf(fp, "%s    hole: offset = %" PRIu64 " (0x%" PRIx64 "), size = %" PRIu64 " (0x%" PRIx64 ")\n",
			       prefix, hole_start(n), hole_start(n), n->hole, n->hole) < 0;
		free += n->hole;
	}
	bad |= fprintf(fp, "%s%" PRIu64 "B (0x%" PRIx64 ") free (%.2f%% full)\n", prefix,
		       free, free, total ? (double)(total - free) / (double)total * 100 : 100.0) < 0;
	bad |= fflush(fp) != 0;
	if (bad || ferror(fp))
		return set_error(-EIO, "gtt_range_alloc_print: writing failed");
	return 0;
}

struct gtt_range_node *range_node_alloc(void)
{
	/* Zeroed: node->ra == NULL marks it as in no allocator. */
	struct gtt_range_node *node = mem_zalloc(sizeof(*node));

	if (!node)
		set_error(-ENOMEM, "range_node_alloc: out of memory");
	return node;
}

void range_node_free_unused(struct gtt_range_node *node)
{
	mem_free(node);
}

/* A node the caller may hand in: not NULL, in no allocator. */
static int check_free_node(struct gtt_range_alloc *ra,
			   const struct gtt_range_node *node, const char *who)
{
	if (!ra || !node || node->ra)
		return set_error(-EINVAL, "%s: allocator or node is NULL, or the node is in use", who);
	return 0;
}

int range_insert_node(struct gtt_range_alloc *ra,
		      const struct gtt_range_request *req, void *owner,
		      struct gtt_range_node *node)
{
	int err = check_free_node(ra, node, "range_insert_node");

	return err ? err : insert(ra, req, owner, node, NULL, "range_insert_node");
}

int range_reserve_node(struct gtt_range_alloc *ra, uint64_t start,
		       uint64_t size, uint32_t color, void *owner,
		       struct gtt_range_node *node)
{
	int err = check_free_node(ra, node, "range_reserve_node");

	return err ? err : reserve(ra, start, size, color, owner, node, NULL,
				   "range_reserve_node");
}

GTT_API int gtt_range_remove(struct gtt_range_alloc *ra,
			     struct gtt_range_node *node)
{
	if (!ra || !node || node->ra != ra || is_head(ra, node) || node->filler)
		return set_error(-EINVAL, "gtt_range_remove: node is NULL or not from this allocator");
	unlink_node(ra, node);
	if (!node->embedded)
		mem_free(node);
	return 0;
}

GTT_API uint64_t gtt_range_node_start(const struct gtt_range_node *node)
{
	return node ? node->start : 0;
}

GTT_API uint64_t gtt_range_node_size(const struct gtt_range_node *node)
{
	return node ? node->size : 0;
}

GTT_API uint32_t gtt_range_node_color(const struct gtt_range_node *node)
{
	return node ? node->color : GTT_COLOR_NONE;
}

GTT_API void *gtt_range_node_owner(const struct gtt_range_node *node)
{
	return node ? node->owner : NULL;
}

GTT_API struct gtt_range_node *gtt_range_lookup(struct gtt_range_alloc *ra,
						uint64_t addr)
{
	struct gtt_range_node *n;

	if (!ra)
		return NULL;
	n = last_at_or_below(ra, addr);
	if (is_head(ra, n) || n->filler || addr - n->start >= n->size)
		return NULL;
	return n;
}

/* A torn walk is given up after this many steps (a real path is at most
 * 2 log2(n + 1), 40 at a million nodes). */
#define RCU_MAX_STEPS 128

int range_lookup_rcu(struct gtt_range_alloc *ra, uint64_t addr, void **owner,
		     uint64_t *start)
{
	struct rb_node *n = LOAD_ACQ(ra->by_addr.root), *best = NULL;
	struct gtt_range_node *x;

	for (int steps = 0; n; steps++) {
		if (steps > RCU_MAX_STEPS)
			return -1;
		if (LOAD_ACQ(addr_node(n)->start) <= addr) {
			best = n;
			n = LOAD_ACQ(n->right);
		} else {
			n = LOAD_ACQ(n->left);
		}
	}
	if (!best)
		return 0;
	x = addr_node(best);
	if (is_head(ra, x) || addr - LOAD_ACQ(x->start) >= LOAD_ACQ(x->size))
		return 0;
	*owner = LOAD_ACQ(x->owner);
	if (!*owner)
		return 0;
	*start = LOAD_ACQ(x->start);
	return 1;
}

/* @n, or the first node after it that is not a filler; NULL at the end. */
static struct gtt_range_node *skip_fillers(struct gtt_range_alloc *ra,
					   struct gtt_range_node *n)
{
	while (!is_head(ra, n) && n->filler)
		n = n->next;
	return is_head(ra, n) ? NULL : n;
}

GTT_API struct gtt_range_node *gtt_range_first(struct gtt_range_alloc *ra)
{
	return ra ? skip_fillers(ra, ra->head.next) : NULL;
}

GTT_API struct gtt_range_node *gtt_range_next(struct gtt_range_alloc *ra,
					      struct gtt_range_node *node)
{
	if (!ra || !node || node->ra != ra || is_head(ra, node))
		return NULL;
	return skip_fillers(ra, node->next);
}

GTT_API int gtt_range_alloc_stats(struct gtt_range_alloc *ra,
				  struct gtt_range_stats *st)
{
	if (!ra || !st)
		return set_error(-EINVAL, "gtt_range_alloc_stats: NULL argument");
	memset(st, 0, sizeof(*st));
	st->nodes = ra->nodes;
	st->holes = ra->holes;
	st->used = ra->used;
	st->free = (ra->last - ra->start + 1) - ra->used - ra->unadded;
	st->largest_hole = max_hole_of(ra->hole_addr.root);
	return 0;
}

/*
 * Does the colour rule, applied to the hole after @x (@low: @x lies below
 * the request's range) or before @x (@x lies above it), move that hole's
 * usable part into [r->lo, r->last]?  Then removing @x can open more room
 * in the range, although @x lies outside it.
 */
static bool rule_reaches_in(const struct gtt_range_alloc *ra,
			    const struct fit_req *r,
			    const struct gtt_range_node *x, bool low)
{
	uint64_t s = low ? hole_start(x) : ra->start;
	uint64_t l = low ? ra->last : x->start - 1;

	if (!(ra->flags & GTT_RANGE_COLOR_GUARD) || is_head(ra, x))
		return false;
	/* A rule that empties the span reaches in too. */
	if (!adjust_span(ra, r->color, low ? x->color : r->color,
			 low ? r->color : x->color, &s, &l) || s > l)
		return true;
	return low ? s > r->lo : l < r->last;
}

/* May @n go?  Space not added yet never does. */
static inline bool can_evict(gtt_evictable_fn evictable, void *arg,
			     struct gtt_range_node *n)
{
	return !n->filler && evictable(arg, n);
}

/* Last address of the span that removing everything up to @after's
 * predecessor opens. */
static inline uint64_t span_last(const struct gtt_range_alloc *ra,
				 const struct gtt_range_node *after)
{
	return is_head(ra, after) ? ra->last : after->start - 1;
}

/* Is the raw span between @before and @after, inside [lo, last], long enough?
 * (Necessary for a fit: the colour rule and the alignment only shrink it.) */
static bool span_long_enough(const struct gtt_range_alloc *ra,
			     const struct fit_req *r,
			     const struct gtt_range_node *before,
			     const struct gtt_range_node *after)
{
	uint64_t hs = u64_max(hole_start(before), r->lo);
	uint64_t hl = u64_min(span_last(ra, after), r->last);

	return hl >= hs && hl - hs >= r->size - 1;
}

/*
 * Grow the run @first .. @last (@k nodes) up to @limit nodes, through
 * evictable nodes up to @hi_n, until the request fits; record it in
 * *@best / *@best_first if it beats them (ties: HIGH prefers the later).
 */
static inline __attribute__((always_inline)) void
grow_until_fit(const struct gtt_range_alloc *ra, const struct fit_req *r,
	       gtt_evictable_fn evictable, void *arg, struct gtt_range_node *first,
	       struct gtt_range_node *last, size_t k, size_t limit,
	       const struct gtt_range_node *hi_n, size_t *best,
	       struct gtt_range_node **best_first)
{
	const struct gtt_range_node *before = first->prev;
	uint64_t at;

	for (; k <= limit; k++, last = last->next) {
		struct gtt_range_node *after = last->next;

		if (fit_span(ra, r, hole_start(before), span_last(ra, after),
			     color_of(ra, before), color_of(ra, after), &at)) {
			if (k < *best || r->placement == GTT_PLACE_HIGH) {
				*best = k;
				*best_first = first;
			}
			return;
		}
		if (last == hi_n || !can_evict(evictable, arg, after))
			return;
	}
}

/*
 * The run of evictable nodes within @lo_n .. @hi_n (at most @cap) whose
 * removal opens a hole for @r with the fewest victims, into *@best and
 * *@best_first (left as they are if there is none).
 *
 * Two pointers: the run first .. last (k nodes) is the shortest from
 * first whose raw span could hold the request; it only moves forward as
 * first does.  From there the run grows until the request fits.  Inlined
 * into both callers (with grow_until_fit(), and the best run in locals),
 * so that gtt_range_evict_scan() costs what it did before the ordered
 * scans shared this loop (callgrind: 310.4M instructions for bench-alloc's
 * 400 scans against 312.6M; sharing it out of line cost 6-21% more).
 */
static inline __attribute__((always_inline)) void
scan_runs(const struct gtt_range_alloc *ra, const struct fit_req *r,
	  gtt_evictable_fn evictable, void *arg, struct gtt_range_node *lo_n,
	  const struct gtt_range_node *hi_n, size_t cap, size_t *best,
	  struct gtt_range_node **best_first)
{
	struct gtt_range_node *first, *last = NULL, *bf = *best_first;
	size_t k = 0, b = *best;	/* in registers for the loop */

	for (first = lo_n;; first = first->next) {
		if (!can_evict(evictable, arg, first)) {
			k = 0;
		} else {
			if (!k) {
				last = first;
				k = 1;
			}
			while (k < cap && k < b && last != hi_n &&
			       !span_long_enough(ra, r, first->prev, last->next) &&
			       can_evict(evictable, arg, last->next)) {
				last = last->next;
				k++;
			}
			grow_until_fit(ra, r, evictable, arg, first, last, k,
				       u64_min(cap, b), hi_n, &b, &bf);
		}
		if (first == hi_n || (b == 1 && r->placement != GTT_PLACE_HIGH))
			break;
		if (k && !--k)
			last = NULL;
	}
	*best = b;
	*best_first = bf;
}

/* @quiet: -ENOSPC is an expected outcome for the caller (no sentence). */
static int evict_scan(struct gtt_range_alloc *ra,
		      const struct gtt_range_request *req,
		      gtt_evictable_fn evictable, void *arg,
		      struct gtt_range_node **victims, size_t max_victims,
		      size_t *count, bool quiet)
{
	struct gtt_range_node *lo_n, *hi_n, *last, *best_first = NULL;
	size_t best = SIZE_MAX, cap, k;
	struct fit_req r;
	uint64_t at;
	int err;

	if (!ra || !evictable || !count || (max_victims && !victims))
		return set_error(-EINVAL, "gtt_range_evict_scan: NULL argument");
	err = make_fit_req(ra, req, &r, "gtt_range_evict_scan");
	if (err)
		return err;
	r.avoid = NULL;		/* the scan only asks whether it fits */
	*count = 0;
	if (find_hole(ra, &r, &at))
		return 0;
	cap = !victims ? SIZE_MAX : max_victims;	/* counting only: no cap */

	/*
	 * Candidates lo_n .. hi_n: the nodes that overlap [lo, last], and
	 * outward from them, the evictable neighbours through which the
	 * colour rule reaches into the range.
	 */
	lo_n = last_at_or_below(ra, r.lo);
	if (is_head(ra, lo_n) || ends_by(lo_n, r.lo))
		lo_n = lo_n->next;
	while (!is_head(ra, lo_n->prev) && rule_reaches_in(ra, &r, lo_n->prev, true) &&
	       can_evict(evictable, arg, lo_n->prev))
		lo_n = lo_n->prev;
	hi_n = last_at_or_below(ra, r.last);
	while (!is_head(ra, hi_n->next) && rule_reaches_in(ra, &r, hi_n->next, false) &&
	       can_evict(evictable, arg, hi_n->next))
		hi_n = hi_n->next;
	if (is_head(ra, lo_n) || is_head(ra, hi_n) || lo_n->start > hi_n->start)
		goto done;

	scan_runs(ra, &r, evictable, arg, lo_n, hi_n, cap, &best, &best_first);
done:
	if (!best_first && quiet)
		return set_error_static(-ENOSPC, "range_evict_scan: no run of evictable nodes opens a hole");
	if (!best_first && cap == SIZE_MAX)
		return set_error(-ENOSPC, "gtt_range_evict_scan: no run of evictable nodes opens a hole of 0x%llx bytes",
				 (unsigned long long)r.size);
	if (!best_first)
		return set_error(-ENOSPC, "gtt_range_evict_scan: no run of at most %zu evictable nodes opens a hole of 0x%llx bytes",
				 max_victims, (unsigned long long)r.size);
	*count = best;
	for (k = 0, last = best_first; victims && k < best; k++, last = last->next)
		victims[k] = last;
	return 0;
}

GTT_API int gtt_range_evict_scan(struct gtt_range_alloc *ra,
				 const struct gtt_range_request *req,
				 gtt_evictable_fn evictable, void *arg,
				 struct gtt_range_node **victims,
				 size_t max_victims, size_t *count)
{
	return evict_scan(ra, req, evictable, arg, victims, max_victims, count,
			  false);
}

int range_evict_scan(struct gtt_range_alloc *ra,
		     const struct gtt_range_request *req,
		     gtt_evictable_fn evictable, void *arg,
		     struct gtt_range_node **victims, size_t max_victims,
		     size_t *count)
{
	return evict_scan(ra, req, evictable, arg, victims, max_victims, count,
			  true);
}

/* ---- ordered eviction scans (range_scan.c) ---- */

int range_fit_req_as(struct gtt_range_alloc *ra, const struct gtt_range_request *req,
		     struct fit_req *r, const char *who)
{
	int err = make_fit_req(ra, req, r, who);

	r->avoid = NULL;	/* the scan only asks whether it fits */
	return err;
}

int range_fit_req(struct gtt_range_alloc *ra, const struct gtt_range_request *req,
		  struct fit_req *r)
{
	return range_fit_req_as(ra, req, r, "gtt_range_evict_scan");
}

bool range_fits(struct gtt_range_alloc *ra, const struct fit_req *r)
{
	uint64_t at;

	return find_hole(ra, r, &at) != NULL;
}

bool range_span_fits(const struct gtt_range_alloc *ra, const struct fit_req *r,
		     const struct gtt_range_node *before,
		     const struct gtt_range_node *after)
{
	uint64_t at;

	return fit_span(ra, r, hole_start(before), span_last(ra, after),
			color_of(ra, before), color_of(ra, after), &at);
}

static bool any_node(void *arg, struct gtt_range_node *node)
{
	(void)arg;
	(void)node;
	return true;
}

size_t range_scan_run(const struct gtt_range_alloc *ra, const struct fit_req *r,
		      struct gtt_range_node *first, struct gtt_range_node *last,
		      struct gtt_range_node **victim)
{
	size_t best = SIZE_MAX;

	*victim = NULL;
	scan_runs(ra, r, any_node, NULL, first, last, SIZE_MAX, &best, victim);
	return *victim ? best : 0;
}

/* ---- invariant check for tests ---- */

static int check_align(struct rb_node *n)
{
	unsigned int m;

	if (!n)
		return 0;
	if (check_align(n->left) || check_align(n->right))
		return -1;
	m = hole_align(size_node(n));
	if (size_node(n)->own_align != m)
		return -1;
	m = m > max_align_of(n->left) ? m : max_align_of(n->left);
	m = m > max_align_of(n->right) ? m : max_align_of(n->right);
	return m == size_node(n)->max_align ? 0 : -1;
}

static int check_holes(struct gtt_range_alloc *ra, struct rb_node *n)
{
	uint64_t m;

	if (!n)
		return 0;
	if (check_holes(ra, n->left) || check_holes(ra, n->right))
		return -1;
	if (!hole_node(n)->has_hole || !hole_node(n)->hole)
		return -1;
	m = u64_max(hole_node(n)->hole,
		    u64_max(max_hole_of(n->left), max_hole_of(n->right)));
	return m == hole_node(n)->max_hole ? 0 : -1;
}

int range_alloc_check(struct gtt_range_alloc *ra)
{
	struct gtt_range_node *n;
	struct rb_node *a, *h;
	uint64_t nodes = 0, used = 0, holes = 0, sized = 0, unadded = 0;
	uint64_t prev_end = ra->start;

	if (rb_check(ra->by_addr.root, NULL) < 0 ||
	    rb_check(ra->hole_addr.root, NULL) < 0 ||
	    rb_check(ra->by_size.root, NULL) < 0 ||
	    check_holes(ra, ra->hole_addr.root) || check_align(ra->by_size.root))
		return -1;
	/* The trees' in-order walks must match the list. */
	a = rb_first(&ra->by_addr);
	h = rb_first(&ra->hole_addr);
	n = &ra->head;
	do {
		if (!a || addr_node(a) != n || n->next->prev != n)
			return -1;
		if (!is_head(ra, n)) {
			if (n->start < prev_end || n->size == 0)
				return -1;
			if (n->filler) {
				unadded += n->size;
				/* Fillers never touch (one would have grown). */
				if (n->prev->filler && hole_start(n->prev) == n->start)
					return -1;
			} else {
				nodes++;
				used += n->size;
			}
		}
		if (n->hole != span_last(ra, n->next) - hole_start(n) + 1)
			return -1;
		if ((n->hole != 0) != n->has_hole)
			return -1;
		if (n->has_hole) {
			if (!h || hole_node(h) != n)
				return -1;
			h = rb_next(h);
			holes++;
		}
		prev_end = hole_start(n);
		a = rb_next(a);
		n = n->next;
	} while (!is_head(ra, n));
	if (a || h)
		return -1;
	/* The size tree holds the same hole owners, in (hole, start) order. */
	for (h = rb_first(&ra->by_size), n = NULL; h; h = rb_next(h), sized++) {
		if (!size_node(h)->has_hole || (n && !size_before(n, size_node(h))))
			return -1;
		n = size_node(h);
	}
	if (sized != holes)
		return -1;
	if (nodes != ra->nodes || used != ra->used || holes != ra->holes ||
	    unadded != ra->unadded)
		return -1;
	return 0;
}

/* ---- walking by address, for the vm ---- */

struct gtt_range_node *range_node_from(struct gtt_range_alloc *ra,
				       uint64_t addr)
{
	struct gtt_range_node *n = last_at_or_below(ra, addr);

	if (is_head(ra, n) || ends_by(n, addr))
		n = n->next;
	return skip_fillers(ra, n);
}
