/* SPDX-License-Identifier: MIT */
/*
 * Eviction: the victims a bind with GTT_BIND_EVICT unbinds to open a hole,
 * in the vm's order (gtt/vm.h, enum gtt_evict_order), with everything the
 * bind needs afterwards taken before anything is evicted.  Pinned vmas,
 * sparse vmas and vmas over borrowed pages are never victims.
 *
 * FEWEST asks the allocator's scan (gtt_range_evict_scan()).  LRU and
 * ROSTER feed candidates in their order to the allocator's ordered scan
 * (struct gtt_range_scan, lib/alloc/range_scan.c): the first run of
 * adjacent candidates whose removal opens a hole stops it, and only the
 * fewest of that run that open it are evicted.  The LRU order is
 * a list of the bound vmas, a vma moved to its end when it is bound and
 * when an active fence is added to it (kept by LRU vms only).
 *
 * Locking: vm->lock held, inside the bind's bracket for lock-free readers.
 * The roster callback is called under it.
 */
#include <inttypes.h>

#include "vm_internal.h"

#include "alloc/range_scan.h"

#define ROSTER_BATCH 64

static bool vma_evictable(const struct vma *v)
{
	/* Borrowed pages cannot outlive the call that unbinds them (rule 5),
	 * and an eviction is asynchronous: such vmas are never victims. */
	return v && v->binding && !v->pin_count && !v->sparse &&
	       !(gtt_pages_flags(v->pages) & GTT_PAGES_BORROWED);
}

static bool node_evictable(void *arg, struct gtt_range_node *node)
{
	(void)arg;
	return vma_evictable(node->owner);
}

static uint64_t node_end(const struct gtt_range_alloc *ra,
			 const struct gtt_range_node *n, bool after)
{
	if (n == &ra->head)	/* a vm ends below 2^64 (gtt_vm_create()) */
		return after ? ra->last + 1 : ra->start;
	return after ? n->start : n->start + n->size;
}

/* ---- the LRU list ---- */

static void lru_unlink(struct gtt_vm *vm, struct vma *v)
{
	if (v->lru_prev)
		v->lru_prev->lru_next = v->lru_next;
	else if (vm->lru_first == v)
		vm->lru_first = v->lru_next;
	else
		return;		/* not in the list */
	if (v->lru_next)
		v->lru_next->lru_prev = v->lru_prev;
	else
		vm->lru_last = v->lru_prev;
	v->lru_prev = v->lru_next = NULL;
}

/* Kept only by vms that evict in LRU order: the others' binds and active
 * fences do not pay for it (moving a vma touches its two neighbours in
 * the list, cache misses in a large vm). */
void evict_lru_touch(struct gtt_vm *vm, struct vma *v)
{
	if (vm->evict_order != GTT_EVICT_LRU || vm->lru_last == v)
		return;
	lru_unlink(vm, v);
	v->lru_prev = vm->lru_last;
	if (vm->lru_last)
		vm->lru_last->lru_next = v;
	else
		vm->lru_first = v;
	vm->lru_last = v;
}

void evict_lru_remove(struct gtt_vm *vm, struct vma *v)
{
	if (vm->evict_order == GTT_EVICT_LRU)
		lru_unlink(vm, v);
}

/* ---- ordered scans ---- */

struct scan {
	struct gtt_vm *vm;
	const struct gtt_range_request *req;
	/* LRU: the next in the list; roster: the batch and the cursor. */
	struct vma *lru;
	gtt_vma_t batch[ROSTER_BATCH];
	unsigned int nbatch, pos;
	uint64_t cursor, listed;
	bool roster_done;
};

/*
 * The next candidate into *@v (NULL: a handle that names no vma, to be
 * skipped).  False when there are none left, or on the roster's error
 * (*@err).
 */
static bool next_candidate(struct scan *s, struct vma **v, int *err)
{
	struct gtt_vm *vm = s->vm;
	int n;

	if (vm->evict_order == GTT_EVICT_LRU) {
		*v = s->lru;
		if (*v)
			s->lru = (*v)->lru_next;
		return *v;
	}
	while (s->pos == s->nbatch) {
		if (s->roster_done)
			return false;
		n = vm->roster(vm->roster_arg, s->req, &s->cursor, s->batch, ROSTER_BATCH);
		if (n < 0) {
			*err = set_error(n, "gtt_vma_bind: the eviction roster failed (%d)", n);
			return false;
		}
		if (n > ROSTER_BATCH) {
			*err = set_error(-EINVAL, "gtt_vma_bind: the eviction roster returned %d handles, more than the %d asked for",
					 n, ROSTER_BATCH);
			return false;
		}
		/* A roster lists each live vma once at most: one that goes on
		 * far longer repeats itself, and would never end. */
		s->listed += (unsigned int)n;
		if (s->listed > 4 * vm->st.vmas + ROSTER_BATCH) {
			*err = set_error(-EINVAL, "gtt_vma_bind: the eviction roster listed %" PRIu64 " handles for %" PRIu64 " vmas (does it repeat itself?)",
					 s->listed, vm->st.vmas);
			return false;
		}
		s->roster_done = !n;
		s->nbatch = (unsigned int)n;
		s->pos = 0;
	}
	*v = vma_lookup(vm, s->batch[s->pos++]);
	return true;
}

/*
 * Candidates in the vm's order until a run of them opens a hole: the
 * fewest of that run that open it into *@victim (the lowest) and *@n.  A
 * candidate listed again is skipped.  Return: 0, -ENOSPC, -EINVAL,
 * -ENOMEM (the scan's room past its first 32 candidates), the roster's
 * error.
 */
static int ordered_scan(struct gtt_vm *vm, const struct gtt_range_request *req,
			struct gtt_range_node **victim, size_t *n)
{
	struct scan s = { .vm = vm, .req = req, .lru = vm->lru_first };
	struct gtt_range_scan rs;
	struct fit_req r;
	struct vma *v;
	bool found = false;
	int err = 0, ret;

	*n = 0;
	*victim = NULL;
	err = range_fit_req(vm->ra, req, &r);
	if (err || range_fits(vm->ra, &r))
		return err;
	err = gtt_range_scan_init(&rs, vm->ra, req);
	if (err)
		return err;
	while (!found && !err && next_candidate(&s, &v, &err)) {
		if (!vma_evictable(v))
			continue;
		ret = range_scan_add(&rs, binding_node(v->binding));
		found = ret > 0;
		if (ret < 0 && ret != -EEXIST)
			err = ret;
	}
	if (found)
		*n = range_scan_pick(&rs, victim);
	gtt_range_scan_finish(&rs);
	if (err)
		return err;
	if (!*n)
		return set_error_static(-ENOSPC, "evict: no run of the order's candidates opens a hole");
	return 0;
}

/* FEWEST: the allocator's scan, counting first. */
static int fewest_scan(struct gtt_vm *vm, const struct gtt_range_request *req,
		       struct gtt_range_node **victim, size_t *n)
{
	struct gtt_range_node **victims;
	int err;

	*victim = NULL;
	err = range_evict_scan(vm->ra, req, node_evictable, NULL, NULL, 0, n);
	if (err)
		return err;
	victims = mem_alloc((*n ? *n : 1) * sizeof(*victims));
	if (!victims)
		return set_error(-ENOMEM, "gtt_vma_bind: out of memory for eviction");
	err = range_evict_scan(vm->ra, req, node_evictable, NULL, victims, *n, n);
	if (!err && *n)
		*victim = victims[0];	/* the others follow it */
	mem_free(victims);
	return err;
}

/*
 * Unbind (async) the vmas the vm's order picks to open a hole for @req,
 * with everything the bind @b will need afterwards taken first: nothing is
 * evicted unless the bind can then complete.  The victims are adjacent:
 * @n nodes from the lowest.  Return: 0, -ENOSPC, -ENOMEM, a roster's error
 * (nothing changed).
 */
int evict_for(struct gtt_vm *vm, const struct gtt_range_request *req,
	      struct gtt_binding *b, size_t num_deps)
{
	struct gtt_range_node *first, *last, *x, *next;
	uint64_t lo, hi;
	size_t n, i;
	int err;

	/* A range that only the request fits (a fixed bind) leaves no
	 * choice: LRU would find the same victims, walking its whole list. */
	bool exact = req->range_end && req->range_end - req->range_start == req->size;

	err = vm->evict_order == GTT_EVICT_FEWEST || (exact && vm->evict_order == GTT_EVICT_LRU) ?
	      fewest_scan(vm, req, &first, &n) : ordered_scan(vm, req, &first, &n);
	if (err || !n)
		return err;
	for (last = first, i = 1; i < n; i++)
		last = last->next;
	/* The hole the victims open, and the unbinds a bind there may await:
	 * those pending now and the victims themselves. */
	vm_overlap_window(vm, node_end(vm->ra, first->prev, false),
			  node_end(vm->ra, last->next, true) -
			  node_end(vm->ra, first->prev, false), &lo, &hi);
	if (!b->bind_fence && gtt_fence_create(0, 0, &b->bind_fence))
		return set_error(-ENOMEM, "gtt_vma_bind: out of memory for the bind fence");
	if (binding_bind_init(b) || await_reserve(&b->job->aw, num_deps +
			   range_fence_count(&vm->pending, lo, hi) + n))
		return set_error(-ENOMEM, "gtt_vma_bind: out of memory for the dependencies of an eviction");
	for (x = first, i = 0; i < n; i++, x = x->next) {
		err = unbind_prepare(vm, x->owner, false);
		if (err) {
			/* unbind_prepare() speaks for gtt_vma_unbind(). */
			err = set_error(err, "gtt_vma_bind: out of memory to evict vma 0x%" PRIx64,
					((struct vma *)x->owner)->handle);
			while (x != first) {
				x = x->prev;
				unbind_abort(x->owner);
			}
			return err;
		}
	}
	/* An unbind takes its node out of the list: step ahead first. */
	for (x = first, i = 0; i < n; i++, x = next) {
		next = x->next;
		TRACE(vm, evict(vm, x->owner));
		unbind_commit(vm, x->owner, NULL, true);
		vm->st.evictions++;
	}
	return 0;
}
