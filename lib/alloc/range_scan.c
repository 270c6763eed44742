/* SPDX-License-Identifier: MIT */
/*
 * The ordered eviction scan (struct gtt_range_scan in gtt/range_alloc.h):
 * candidates offered in the caller's order, drm_mm-scan style, each one
 * joining the run of adjacent candidates around it in O(1); the first run
 * whose removal opens a hole ends the scan, and only the fewest of that
 * run are named (pick()).  The vm's LRU and roster orders
 * (lib/vm/evict.c) are built on it.
 *
 * State.  The scan keeps, in its own memory, the nodes added in order
 * (e[]), and finds a node's index in e[] in one of two ways.  The first
 * scan open on an allocator (the marking scan, ra->marking_scan) writes
 * base + q into the node (scan_slot), q being the entry's place in e[]
 * (Q times its index) and base a number no earlier scan gave a slot at
 * or above (ra->scan_base, mark_from()): a node is in the scan iff
 * slot - base < nq, one subtraction and no load of e[], so slots are
 * never cleared, and a slot left by an earlier scan,
 * or by one abandoned, is harmless.  A scan opened while the marking one
 * is open cannot use the nodes' one slot, and keeps an open-addressing
 * table from node to index instead (linear probing, Fibonacci hashing, at
 * most half full).  The allocator only notes which scan marks, and
 * compares that pointer without following it: a scan abandoned
 * unfinished leaves the later ones on tables, still correct.
 *
 * An entry at either end of a run holds the place (q) of the other end
 * and the raw bounds of the span the run's removal would open: the
 * lowest end keeps the first free address after the node below the run
 * (hs), the highest the last before the node above it (hl).  No length:
 * keeping one cost each add a tenth of its time, and the picks count
 * the run's nodes as they walk it.
 * Joining a run is then two look-ups (the new node's neighbours in the
 * address list) and a few writes, and the span is tested without
 * visiting the run's ends or its neighbours unless it is long enough
 * (then range_span_fits(): colour rule, alignment, range, nospan; not
 * even that when none of them applies, raw_decides).  A node whose
 * neighbour is not in the scan reads that neighbour, as drm_mm's scan
 * does.
 *
 * The first SCAN_INLINE nodes live inside struct gtt_range_scan; past
 * that, e[] (and the table) move to one allocation, eight times larger at
 * each step.  Places in e[] never change, so a move only copies e[]
 * (and refills the table).
 *
 * Locking: none; the allocator's owner serialises calls on it, and the
 * allocator must not change while a scan is open: one that did (its
 * change count moved since init) makes adds and victims refuse before
 * they read a node.  Nor may the allocator be destroyed before the scan
 * is finished: finishing the marking scan clears the allocator's note.
 */
#include <string.h>

#include "range_alloc_internal.h"
#include "range_scan.h"

#include "base/util.h"

#define SCAN_INLINE 32u
#define SCAN_GROW 8u				/* each allocation: 8 times the room */
#define SCAN_MAX (1u << 30)			/* most nodes added */
#define ROOM_TOP (SCAN_MAX / 2)		/* the most room grow() makes: 32 * 8^8 */
#define NONE UINT32_MAX
/* An entry's place in e[] is kept as its offset in 8-byte words, Q times
 * its index (a q), so that e + q is one addressing mode with no shift:
 * the runs' ends, the table's values, the marking scan's slots and the
 * count of nodes added (nq) are all in these units. */
#define Q 4u
/* The marking scan's slots are base + q, base in [1, BASE_TOP]: a slot of
 * 0 (the head's, zeroed) or UINT32_MAX (a node just linked) is never one
 * (base + Q * ROOM_TOP fits at or below UINT32_MAX). */
#define BASE_TOP (UINT32_MAX - Q * ROOM_TOP)

/* The state, which also tells an initialised scan from other memory
 * (the whole word compared; values below 2^31, so that the add's test
 * is one compare with an immediate). */
#define SCAN_OPEN 0x6e65706full		/* nodes may be added (table) */
#define SCAN_MARKING 0x6b72616dull	/* nodes may be added (marks) */
#define SCAN_FOUND 0x646e756full	/* a hole opened */

struct entry {
	struct gtt_range_node *node;
	uint32_t end;		/* at either end of a run: the other end's q */
	uint32_t spare;		/* (an entry is Q words: e + q, one addressing mode) */
	uint64_t hs;		/* at the lowest end: the span's first address */
	uint64_t hl;		/* at the highest end: its last address */
};

_Static_assert(sizeof(struct entry) == 8 * Q, "an entry is Q words");
_Static_assert(SCAN_INLINE * 16777216ull == ROOM_TOP &&
	       (uint64_t)ROOM_TOP * SCAN_GROW > SCAN_MAX, "ROOM_TOP is the most room");

/* The entry at @q. */
static inline struct entry *at_q(const struct entry *e, uint32_t q)
{
	return (struct entry *)(uintptr_t)((const char *)e + (size_t)q * 8);
}

struct scan {
	/* SCAN_MARKING (the marking scan) or SCAN_OPEN (a table), then
	 * SCAN_FOUND; else not initialised.  The add's one test of the
	 * state also chooses its kind. */
	uint64_t state;
	struct gtt_range_alloc *ra;
	uint64_t changes;	/* ra->changes at init: a change voids the scan */
	const struct gtt_range_node *head;	/* ra's head */
	uint64_t ra_last;	/* ra->last */
	uint32_t base;		/* the marking scan's slot of e[0] */
	struct entry *e;	/* e[0 .. nq / Q): the nodes added, in order */
	uint32_t *slot;		/* 2 * cap slots: a q, or NONE */
	uint32_t nq;		/* Q times the nodes added */
	uint32_t cap, capq;	/* room in e[]; Q times that */
	unsigned int shift;	/* 64 - log2(2 * cap) */
	bool marks;		/* the marking scan: no table (slot unused) */
	/* The raw span's length decides whether the request fits: no
	 * colour rule, no alignment above the page, the whole space, no
	 * nospan (range_span_fits() would only say the same). */
	bool raw_decides;
	uint64_t need;		/* r.size - 1: the least hl - hs of a hole */
	/* SCAN_FOUND: the run and the node whose add opened it. */
	struct gtt_range_node *first, *last, *opener;
	struct gtt_range_node *victim, *vlast;	/* the pick, once made: first, last */
	size_t victims;				/* 0: not made yet */
	/* pick_raw() left the victims in e[]'s memory, as node pointers:
	 * the first vsplit from vat, the rest from vat2 (else they are
	 * walked from victim). */
	bool in_e;
	size_t vat, vat2, vsplit;
	struct fit_req r;
	struct entry inl_e[SCAN_INLINE];
	uint32_t inl_slot[2 * SCAN_INLINE];
};

_Static_assert(sizeof(struct scan) <= sizeof(struct gtt_range_scan),
	       "GTT_RANGE_SCAN_WORDS is too small");
_Static_assert(_Alignof(struct scan) <= _Alignof(struct gtt_range_scan),
	       "struct gtt_range_scan is aligned less than the scan");

static inline struct scan *scan_of(struct gtt_range_scan *scan)
{
	return (struct scan *)(void *)scan->opaque;
}

static inline bool is_open(const struct scan *s)
{
	return s->state == SCAN_MARKING || s->state == SCAN_OPEN ||
	       s->state == SCAN_FOUND;
}

/* The table, copied into locals for an add's probes: stores into e[] and
 * slot[] could alias the scan's own fields, which would be read again. */
struct table {
	struct entry *e;
	uint32_t *slot;
	uint32_t nq;		/* Q times the nodes added before this add */
	uint32_t mask;		/* 2 * cap - 1 */
	unsigned int shift;
	uint32_t base;		/* the marking scan's */
};

static inline struct table table_of(const struct scan *s)
{
	return (struct table){ s->e, s->slot, s->nq, 2 * s->cap - 1, s->shift, s->base };
}

/* The slot that holds @node, or the empty slot where it would go. */
static inline uint32_t probe(struct table t, const struct gtt_range_node *node)
{
	uint32_t h = (uint32_t)(((uint64_t)(uintptr_t)node * 0x9e3779b97f4a7c15ull) >> t.shift);
	uint32_t i;

	while ((i = t.slot[h]) != NONE && at_q(t.e, i)->node != node)
		h = (h + 1) & t.mask;
	return h;
}

/* @node's q, or NONE; @marks: through its slot (the marking
 * scan: below base, or base + n and up, is another scan's), else the
 * table. */
static inline uint32_t lookup(struct table t, const struct gtt_range_node *node,
			      bool marks)
{
	uint32_t i;

	if (!marks)
		return t.slot[probe(t, node)];
	i = node->scan_slot - t.base;
	return i < t.nq ? i : NONE;
}

/* Is @node in the scan?  If so, *@i is its index (lookup(), tested
 * directly: the add branches once per neighbour). */
static inline bool find(struct table t, const struct gtt_range_node *node, bool marks,
			uint32_t *i)
{
	if (!marks)
		return (*i = t.slot[probe(t, node)]) != NONE;
	*i = node->scan_slot - t.base;
	return *i < t.nq;
}

/* SCAN_GROW times the room, the table refilled: 0, or -ENOMEM with the
 * scan as it was. */
static __attribute__((noinline)) int grow(struct scan *s)
{
	size_t per = sizeof(*s->e) + (s->marks ? 0 : 2 * sizeof(*s->slot));
	uint64_t want = (uint64_t)SCAN_GROW * s->cap;	/* 2^32 past 2^29: not in a u32 */
	uint32_t cap, i;
	struct entry *e;

	if (want > SCAN_MAX || want * per > (uint64_t)SIZE_MAX)
		return set_error(-ENOMEM, "gtt_range_scan_add: more than %u nodes added",
				 s->cap);
	cap = (uint32_t)want;
	e = mem_alloc(cap * per);
	if (!e)
		return set_error(-ENOMEM, "gtt_range_scan_add: out of memory for %u nodes",
				 cap);
	memcpy(e, s->e, s->nq / Q * sizeof(*e));
	if (s->e != s->inl_e)
		mem_free(s->e);
	s->e = e;
	s->slot = (uint32_t *)(void *)(e + cap);
	s->cap = cap;
	s->capq = Q * cap;
	s->shift -= (unsigned int)__builtin_ctz(SCAN_GROW);
	if (s->marks) {
		s->ra->scan_base = s->base + s->capq;
		return 0;
	}
	memset(s->slot, 0xff, 2 * cap * sizeof(*s->slot));
	for (i = 0; i < s->nq; i += Q)
		s->slot[probe(table_of(s), at_q(s->e, i)->node)] = i;
	return 0;
}

/*
 * The marking scan @s takes the slots from ra->scan_base up, as many as
 * it has room for (ra->scan_base moves past them, here and in grow(), so
 * that a scan abandoned unfinished, its memory then used again, leaves
 * slots below every later base; finishing gives back the room not used).
 * Past BASE_TOP every node's slot is reset and the bases start again at 1,
 * after about half a billion nodes added (2^31 / Q).
 */
static void mark_from(struct scan *s, struct gtt_range_alloc *ra)
{
	uint32_t base = ra->scan_base;

	if (base > BASE_TOP) {
		for (struct gtt_range_node *x = ra->head.next; x != &ra->head; x = x->next)
			x->scan_slot = NONE;
		base = 0;
	}
	s->base = base ? base : 1;
	ra->scan_base = s->base + s->capq;
	ra->marking_scan = s;
}

GTT_API int gtt_range_scan_init(struct gtt_range_scan *scan,
				struct gtt_range_alloc *ra,
				const struct gtt_range_request *req)
{
	struct scan *s;
	int err;

	if (!scan)
		return set_error(-EINVAL, "gtt_range_scan_init: scan is NULL");
	s = scan_of(scan);
	s->state = 0;
	if (!ra)
		return set_error(-EINVAL, "gtt_range_scan_init: allocator is NULL");
	err = range_fit_req_as(ra, req, &s->r, "gtt_range_scan_init");
	if (err)
		return err;
	s->ra = ra;
	s->changes = ra->changes;
	s->head = &ra->head;
	s->ra_last = ra->last;
	s->base = 0;
	s->e = s->inl_e;
	s->slot = s->inl_slot;
	s->nq = 0;
	s->cap = SCAN_INLINE;
	s->capq = Q * SCAN_INLINE;
	s->shift = 64 - (unsigned int)__builtin_ctz(2 * SCAN_INLINE);
	s->first = s->last = s->opener = s->victim = s->vlast = NULL;
	s->victims = 0;
	s->in_e = false;
	s->need = s->r.size - 1;
	s->raw_decides = !(ra->flags & GTT_RANGE_COLOR_GUARD) &&
			 s->r.align == ra->page_size && !s->r.nospan &&
			 s->r.lo == ra->start && s->r.last == ra->last;
	/* Free, or left by a scan that lived in this memory. */
	s->marks = !ra->marking_scan || ra->marking_scan == s;
	if (s->marks)
		mark_from(s, ra);
	else
		memset(s->inl_slot, 0xff, sizeof(s->inl_slot));
	s->state = s->marks ? SCAN_MARKING : SCAN_OPEN;
	return 0;
}

/* First free address after @before (the head: the allocator's start; a
 * node below a run never ends at 2^64). */
static inline uint64_t span_start(const struct gtt_range_node *before)
{
	return before->start + before->size;
}

/* Last free address before @after. */
static inline uint64_t span_last(const struct scan *s, const struct gtt_range_node *after)
{
	return after == s->head ? s->ra_last : after->start - 1;
}

/* gtt_range_scan_add()'s -EINVAL, out of its way. */
static __attribute__((noinline, cold)) int refused(const struct scan *s)
{
	if (!s || (s->state != SCAN_MARKING && s->state != SCAN_OPEN))
		return set_error(-EINVAL, s && s->state == SCAN_FOUND ?
				 "gtt_range_scan_add: the scan has ended (a hole opened)" :
				 "gtt_range_scan_add: the scan is NULL, not initialised or finished");
	if (s->ra->changes != s->changes)
		return set_error(-EINVAL, "gtt_range_scan_add: the allocator changed since the scan began");
	return set_error(-EINVAL, "gtt_range_scan_add: node is NULL or not from the scan's allocator");
}

static __attribute__((noinline, cold)) int repeated(const struct gtt_range_node *node)
{
	return set_error(-EEXIST, "gtt_range_scan_add: the node at 0x%llx was added already",
			 (unsigned long long)node->start);
}

/* The hole at @lo .. @hi opens, if the request fits there: the end
 * of a scan_add_(), out of its way. */
static __attribute__((noinline)) int opens(struct scan *s, uint32_t lo, uint32_t hi,
					   uint32_t i)
{
	const struct entry *e = s->e;

	if (!s->raw_decides &&
	    !range_span_fits(s->ra, &s->r, at_q(e, lo)->node->prev, at_q(e, hi)->node->next))
		return 0;
	s->state = SCAN_FOUND;
	s->first = at_q(e, lo)->node;
	s->last = at_q(e, hi)->node;
	s->opener = at_q(e, i)->node;
	return 1;
}

static int add_grown(struct scan *s, struct gtt_range_node *node, bool quiet);

/* gtt_range_scan_add() for a scan that marks (@marks) or not; @quiet:
 * -EEXIST without a message.  The common add calls nothing: room, the
 * end and the errors are other functions' (tail calls).  An end's bound
 * is written only where a run gets a new end (hs at the low one, hl at
 * the high one): the ends it keeps hold theirs already. */
static inline __attribute__((always_inline)) int
scan_add_(struct scan *s, struct gtt_range_node *node, bool quiet, bool marks)
{
	uint32_t h = 0, i, lo, hi;
	struct entry *e;
	struct table t;
	uint64_t hs, hl;

	t = table_of(s);
	if (marks ? lookup(t, node, true) != NONE : t.slot[h = probe(t, node)] != NONE)
		return quiet ? -EEXIST : repeated(node);
	i = t.nq;
	if (i == s->capq)
		return add_grown(s, node, quiet);
	s->nq = i + Q;
	e = t.e;
	at_q(e, i)->node = node;
	if (marks)
		node->scan_slot = i + t.base;
	else
		t.slot[h] = i;
	/* A neighbour in the scan ends its run: join the runs. */
	if (!find(t, node->prev, marks, &lo)) {
		lo = i;
		at_q(e, i)->hs = hs = span_start(node->prev);
	} else {
		lo = at_q(e, lo)->end;
		hs = at_q(e, lo)->hs;
	}
	if (!find(t, node->next, marks, &hi)) {
		hi = i;
		at_q(e, i)->hl = hl = span_last(s, node->next);
	} else {
		hi = at_q(e, hi)->end;
		hl = at_q(e, hi)->hl;
	}
	at_q(e, lo)->end = hi;
	at_q(e, hi)->end = lo;
	if (hl - hs < s->need)
		return 0;
	return opens(s, lo, hi, i);
}

/* The table-keeping scan's add: not inlined, it is the rarer one. */
static __attribute__((noinline)) int add_table(struct scan *s, struct gtt_range_node *node,
					       bool quiet)
{
	return scan_add_(s, node, quiet, false);
}

/* An add that found e[] full: more room, then the add. */
static __attribute__((noinline)) int add_grown(struct scan *s, struct gtt_range_node *node,
					       bool quiet)
{
	int err = grow(s);

	if (err)
		return err;
	return s->marks ? scan_add_(s, node, quiet, true) : add_table(s, node, quiet);
}

/* Is @node one @s may take?  (The allocator unchanged, @node its own and
 * neither the head nor a filler: the only nodes of colour
 * GTT_COLOR_NONE, which insert and reserve refuse.) */
static inline bool takes(const struct scan *s, const struct gtt_range_node *node)
{
	const struct gtt_range_alloc *ra = s->ra;

	return ra->changes == s->changes && node && node->ra == ra &&
	       node->color != GTT_COLOR_NONE;
}

/* The table-keeping scan's add, or a refusal. */
static __attribute__((noinline)) int add_other(struct scan *s, struct gtt_range_node *node,
					       bool quiet)
{
	if (!s || s->state != SCAN_OPEN || !takes(s, node))
		return refused(s);
	return add_table(s, node, quiet);
}

static inline __attribute__((always_inline)) int
scan_add(struct gtt_range_scan *scan, struct gtt_range_node *node, bool quiet)
{
	struct scan *s = scan ? scan_of(scan) : NULL;

	if (!s || s->state != SCAN_MARKING)
		return add_other(s, node, quiet);
	if (!takes(s, node))
		return refused(s);
	return scan_add_(s, node, quiet, true);
}

int range_scan_add(struct gtt_range_scan *scan, struct gtt_range_node *node)
{
	return scan_add(scan, node, true);
}

GTT_API int gtt_range_scan_add(struct gtt_range_scan *scan,
			       struct gtt_range_node *node)
{
	return scan_add(scan, node, false);
}

/* Move *@l (at *@pos, *@hi the raw span's end after it) up until the raw
 * span from @lo is long enough: false if the run ends first. */
static inline bool reach(const struct scan *s, struct gtt_range_node **l, size_t *pos,
			 uint64_t *hi, uint64_t lo)
{
	while (*hi - lo < s->need) {
		if (*l == s->last)
			return false;
		*l = (*l)->next;
		*hi = span_last(s, (*l)->next);
		++*pos;
	}
	return true;
}

/* Move *@f (at *@pos) one node up, *@lo with it, unless it is the opener
 * or no window can do better than @best: false then. */
static inline bool next_first(const struct scan *s, struct gtt_range_node **f, size_t *pos,
			      uint64_t *lo, size_t best, bool high)
{
	if (*f == s->opener || (best == 1 && !high))
		return false;
	*lo = span_start(*f);
	*f = (*f)->next;
	++*pos;
	return true;
}

/* How many nodes of the run lie below the opener (the adds keep no
 * lengths: pick_raw() needs none). */
static size_t below(const struct scan *s)
{
	size_t n = 0;

	for (const struct gtt_range_node *x = s->opener; x != s->first; x = x->prev)
		n++;
	return n;
}

/*
 * The fewest adjacent nodes of the run that open the hole.  Before the
 * last add no run opened one, and removing more nodes never opens less
 * (for the guard-page rule; for a custom one, see gtt_range_evict_scan()),
 * so they include the opener: windows f .. l with f at or below it and l
 * at or above it.  Two pointers, as f moves up: rl, the lowest l whose
 * raw span is long enough, and tl, a lower bound of the lowest l that
 * fits (neither ever moves down).  The full test (range_span_fits()) is
 * made only for windows that would beat the best so far, so it runs about
 * once per improvement, and the rest costs a few loads per node of the
 * run.  The raw span's ends (lo, after the node before f; hi, before the
 * node after rl) move with the pointers, each from a node already in
 * hand, so that only the walks themselves wait on loads.  Ties: the
 * lowest window, the highest for GTT_PLACE_HIGH (as
 * gtt_range_evict_scan()).  When the raw span decides, pick_raw().
 */
static void pick(struct scan *s)
{
	struct gtt_range_node *f = s->first, *rl = s->opener, *tl = s->opener;
	size_t fpos = 0, rpos = below(s), tpos = rpos, best = SIZE_MAX;
	bool high = s->r.placement == GTT_PLACE_HIGH;
	uint64_t lo = span_start(f->prev), hi = span_last(s, rl->next);

	do {
		if (!reach(s, &rl, &rpos, &hi, lo))
			break;
		if (tpos < rpos) {
			tl = rl;
			tpos = rpos;
		}
		/* Windows from f that would still win. */
		while (tpos - fpos + 1 < best || (high && tpos - fpos + 1 == best)) {
			if (range_span_fits(s->ra, &s->r, f->prev, tl->next)) {
				best = tpos - fpos + 1;
				s->victim = f;
				s->vlast = tl;
				break;
			}
			if (tl == s->last)
				goto done;
			tl = tl->next;
			tpos++;
		}
	} while (next_first(s, &f, &fpos, &lo, best, high));
done:
	s->victims = best == SIZE_MAX ? 0 : best;
}

/*
 * The end of pick_raw(): the victims are the run's nodes bf .. the
 * opener's place + bd, and the walk wrote run[0 .. fpos] (f, from the
 * run's first node) and run[mid .. mid + bd] (l, from the opener).  The
 * nodes between f and the opener, if f stopped below it, are walked
 * from both ends at once and written up from run[fpos + 1] and down from
 * run[mid - 1]; then the victims' count and place are known.
 */
static void places(struct scan *s, struct gtt_range_node **run, size_t mid,
		   struct gtt_range_node *f, size_t fpos, size_t bf, size_t bd)
{
	struct gtt_range_node *x = f, *y = s->opener;
	size_t up = 0, down = 0;

	if (f != y) {
		while (x->next != y) {
			x = x->next;
			run[fpos + ++up] = x;
			if (x->next == y)
				break;
			y = y->prev;
			run[mid - ++down] = y;
		}
	}
	s->victim = run[bf];
	s->vlast = run[mid + bd];
	/* run[bf .. x's place], then run[y's place .. mid + bd]. */
	s->vsplit = fpos + up + (f != s->opener) - bf;
	s->vat = bf;
	s->vat2 = mid - down;
	s->in_e = true;
	s->victims = fpos + up + down + (f != s->opener) + bd + 1 - bf;
}

/*
 * pick() when the raw span decides (raw_decides): the window from f then
 * ends at the lowest l whose raw span is long enough, which never moves
 * down as f moves up, so one pointer for l does (pick()'s tl is its rl
 * there) and a window is the best so far iff it is shorter (or, for
 * GTT_PLACE_HIGH, as short).  The same choice as pick(), in a loop small
 * enough to keep everything in registers, with l's place counted from
 * the opener (d) and f's from the run's first node: the adds keep no
 * lengths, and the windows' lengths differ from d - f by the same number
 * of nodes below the opener, which the end finds (places()).  The walks
 * write each node they pass into e[]'s memory (nothing reads e[] as
 * entries once a hole opened), f's from the start and l's from mid on,
 * so that the victims are copied from there rather than walked again:
 * the run has fewer than N = nq / Q nodes, and e[] room for 4 N
 * pointers, f's part below N, l's from mid = 2 N up to 3 N.
 */
static void pick_raw(struct scan *s)
{
	struct gtt_range_node **run = (struct gtt_range_node **)(void *)s->e;
	struct gtt_range_node *f = s->first, *l = s->opener;
	const size_t mid = 2 * (size_t)(s->nq / Q);
	const bool high = s->r.placement == GTT_PLACE_HIGH;
	size_t fpos = 0, d = 0, bf = 0, bd = 0;
	ptrdiff_t best = PTRDIFF_MAX;		/* the best d - fpos */
	uint64_t lo = span_start(f->prev), hi = span_last(s, l->next);

	run[0] = f;
	run[mid] = l;
	for (;;) {
		while (hi - lo < s->need) {
			if (l == s->last)
				goto out;
			l = l->next;
			hi = span_last(s, l->next);
			run[mid + ++d] = l;
		}
		if ((ptrdiff_t)(d - fpos) < best || (high && (ptrdiff_t)(d - fpos) == best)) {
			best = (ptrdiff_t)(d - fpos);
			bf = fpos;
			bd = d;
		}
		if (f == s->opener)
			break;
		lo = span_start(f);
		f = f->next;
		run[++fpos] = f;
	}
out:
	if (best != PTRDIFF_MAX)
		places(s, run, mid, f, fpos, bf, bd);
}

size_t range_scan_pick(struct gtt_range_scan *scan, struct gtt_range_node **first)
{
	struct scan *s = scan_of(scan);

	*first = NULL;
	if (s->state != SCAN_FOUND)
		return 0;
	if (!s->victims) {
		if (s->raw_decides)
			pick_raw(s);
		else
			pick(s);
	}
	*first = s->victim;
	return s->victims;
}

GTT_API int gtt_range_scan_victims(struct gtt_range_scan *scan,
				   struct gtt_range_node **victims,
				   size_t max_victims, size_t *count)
{
	struct gtt_range_node *x, *y;
	size_t n, k;

	if (!scan || !count || (max_victims && !victims) || !is_open(scan_of(scan)))
		return set_error(-EINVAL, "gtt_range_scan_victims: NULL argument, or a scan not initialised or finished");
	if (scan_of(scan)->ra->changes != scan_of(scan)->changes)
		return set_error(-EINVAL, "gtt_range_scan_victims: the allocator changed since the scan began (the victims were evicted?)");
	*count = n = range_scan_pick(scan, &x);
	if (!n)
		return set_error(-ENOSPC, "gtt_range_scan_victims: no run of the nodes added opens a hole");
	if (!victims)
		return 0;
	if (n > max_victims)
		return set_error(-ERANGE, "gtt_range_scan_victims: %zu victims, room for %zu",
				 n, max_victims);
	if (scan_of(scan)->in_e) {
		struct gtt_range_node **run = (struct gtt_range_node **)(void *)scan_of(scan)->e;
		size_t k = scan_of(scan)->vsplit;

		/* A victim or two (a small hole) is copied without a call. */
		if (n <= 2) {
			victims[0] = k ? run[scan_of(scan)->vat] : run[scan_of(scan)->vat2];
			if (n == 2)	/* the opener is never in the first part */
				victims[1] = run[scan_of(scan)->vat2 + 1 - k];
			return 0;
		}
		if (k)
			memcpy(victims, run + scan_of(scan)->vat, k * sizeof(*victims));
		memcpy(victims + k, run + scan_of(scan)->vat2, (n - k) * sizeof(*victims));
		return 0;
	}
	/* From both ends at once: two walks of the list, neither waiting
	 * on the other's loads. */
	y = scan_of(scan)->vlast;
	for (k = 0; k < n / 2; k++, x = x->next, y = y->prev) {
		victims[k] = x;
		victims[n - 1 - k] = y;
	}
	if (n % 2)
		victims[k] = x;
	return 0;
}

GTT_API void gtt_range_scan_finish(struct gtt_range_scan *scan)
{
	struct scan *s = scan ? scan_of(scan) : NULL;

	if (!s || !is_open(s))
		return;
	if (s->e != s->inl_e)
		mem_free(s->e);
	if (s->marks && s->ra->marking_scan == s) {
		s->ra->marking_scan = NULL;
		s->ra->scan_base = s->base + s->nq;	/* the slots given */
	}
	s->state = 0;
}
