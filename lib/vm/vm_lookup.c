/* SPDX-License-Identifier: MIT */
/*
 * Address lookups: gtt_vm_lookup() (which vma is bound at an address) and
 * gtt_vm_pending() (how many unbinds are pending over a range), and the
 * simulator's query (vm_query.h).
 *
 * Locking.  With GTT_VM_RCU_READERS, the two public lookups run without
 * the vm lock: the walks belong to the modules that own the trees
 * (range_lookup_rcu(), range_fence_count_unsignalled_rcu()); here they run
 * inside one read section (read_locklessly()) that validates them with the
 * vm's sequence count and gives up after a few tries, when the lock is
 * taken instead.  vm_query_addr() takes the lock.
 */
#include "vm_internal.h"
#include "vm_query.h"

/* Lock-free tries before a reader takes the lock. */
#define RCU_TRIES 4

/*
 * The one read section of the lock-free readers: run @walk(@vm, @arg)
 * inside an RCU read section until the vm's sequence count says no writer
 * changed the trees meanwhile.  @walk returns a result >= 0, or -1 when
 * torn.  Return: the result, or -1 when writers kept winning (take the
 * lock).
 */
static long read_locklessly(struct gtt_vm *vm,
			    long (*walk)(struct gtt_vm *vm, void *arg), void *arg)
{
	long r = -1;

	rcu_read_begin();
	for (int tries = 0; tries < RCU_TRIES && r < 0; tries++) {
		uint32_t s;

		if (!seqcount_read_begin(&vm->seq, &s))
			continue;
		r = walk(vm, arg);
		if (seqcount_read_retry(&vm->seq, s))
			r = -1;
	}
	rcu_read_end();
	return r;
}

struct find {
	uint64_t addr;
	gtt_vma_t h;
	uint64_t start;
};

static long find_walk(struct gtt_vm *vm, void *arg)
{
	struct find *f = arg;
	void *owner;
	int r = range_lookup_rcu(vm->ra, f->addr, &owner, &f->start);

	if (r > 0)
		f->h = LOAD_ACQ(((struct vma *)owner)->handle);
	return r;
}

GTT_API int gtt_vm_lookup(struct gtt_vm *vm, uint64_t addr, gtt_vma_t *out,
			  uint64_t *offset)
{
	struct find f = { .addr = addr };
	struct gtt_range_node *n;
	long found = -1;

	if (!vm || !out)
		return set_error(-EINVAL, "gtt_vm_lookup: vm or out is NULL");
	if (vm->rcu)
		found = read_locklessly(vm, find_walk, &f);
	if (found < 0) {	/* no RCU readers, or writers kept winning */
		pthread_mutex_lock(&vm->lock);
		n = gtt_range_lookup(vm->ra, addr);
		found = n && n->owner;
		if (found) {
			f.h = ((struct vma *)n->owner)->handle;
			f.start = n->start;
		}
		pthread_mutex_unlock(&vm->lock);
	}
	/* An expected outcome: no sentence to format. */
	if (!found)
		return set_error_static(-ENOENT, "gtt_vm_lookup: nothing is bound at that address");
	*out = f.h;
	if (offset)
		*offset = f.start;
	return 0;
}

struct window {
	uint64_t lo, hi;
};

static long pending_walk(struct gtt_vm *vm, void *arg)
{
	const struct window *w = arg;

	return range_fence_count_unsignalled_rcu(&vm->pending, w->lo, w->hi);
}

GTT_API int gtt_vm_pending(struct gtt_vm *vm, uint64_t start, uint64_t size,
			   size_t *count)
{
	struct window w;
	long n = -1;

	if (!vm || !count || !size || start > UINT64_MAX - (size - 1))
		return set_error(-EINVAL, "gtt_vm_pending: NULL argument, zero size or wrapping range");
	vm_overlap_window(vm, start, size, &w.lo, &w.hi);
	if (vm->rcu)
		n = read_locklessly(vm, pending_walk, &w);
	if (n < 0) {
		pthread_mutex_lock(&vm->lock);
		n = range_fence_count_unsignalled(&vm->pending, w.lo, w.hi);
		pthread_mutex_unlock(&vm->lock);
	}
	*count = (size_t)n;
	return 0;
}

int vm_query_addr(struct gtt_vm *vm, uint64_t addr, struct vm_query *q)
{
	struct gtt_range_node *node;
	struct gtt_binding *b = NULL;

	pthread_mutex_lock(&vm->lock);
	node = gtt_range_lookup(vm->ra, addr);
	if (node && node->owner)
		b = ((struct vma *)node->owner)->binding;
	if (b && b->region) {
		/* A sparse vma: what is mapped there is one of its pieces. */
		struct itree_node *it = itree_first(&vma_sparse(node->owner)->pieces,
						    addr, addr);

		b = it ? binding_of_piece(it) : NULL;
	}
	if (b) {
		q->vma = ((struct vma *)node->owner)->handle;
		q->start = b->start;
		q->pages_offset = b->pages_offset;
		q->pages = gtt_pages_get(b->pages);
		q->bind_fence = gtt_fence_get(b->bind_fence);
	}
	pthread_mutex_unlock(&vm->lock);
	if (!b)
		return set_error_static(-ENOENT, "vm_query_addr: nothing is bound at that address");
	return 0;
}
