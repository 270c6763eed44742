/* SPDX-License-Identifier: MIT */
/*
 * Internals of the vm layer: the binding, vma and vm structures, and the
 * functions each file of lib/vm offers the others (grouped by file below):
 *
 *   vm.c          vm lifetime: create, close, wait_idle, destroy, the
 *                 in-flight count, retirement at the start of each call
 *   vma_table.c   vma handles and the vma operations that only look one up
 *   bind.c        gtt_vma_bind() in named steps
 *   unbind.c      unbind: prepare (may fail), commit (cannot), the wait loop
 *   evict.c       choosing and unbinding victims for a bind
 *   vm_lookup.c   address lookups: lock-free readers, and vm_query.h
 *   vm_dump.c     stats and the dump
 *   binding.c     one placement's life (bind job, unbind job, holds)
 *   range_fence.c pending unbinds (range_fence.h)
 *   quarantine.c  bindings whose clear failed
 *   journal.c     the binding journal and the fault explainer (journal.h)
 */
#ifndef GTT_LIB_VM_INTERNAL_H
#define GTT_LIB_VM_INTERNAL_H

#include <pthread.h>

#include <gtt/vm.h>

#include "sync/await_internal.h"
#include "backend/backend_internal.h"
#include "sync/fence_internal.h"
#include "alloc/range_alloc_internal.h"
#include "base/lfstack.h"
#include "base/rcu.h"
#include "range_fence.h"
#include "trace/trace_hooks.h"
#include "journal.h"

struct map_batch;
struct gtt_binding;

/*
 * What only an unbind that waits needs: its await set, its place in the
 * pending tree, the callback of a queue backend's batch.  unbind_prepare()
 * allocates it when the unbind has something to wait for (an unbind with
 * nothing pending runs right there and needs none); the pieces of sparse
 * vmas and the bindings of a queue backend, whose unbinds always wait,
 * carry it inline.  Freed with the binding.
 */
struct unbind_state {
	struct await aw;
	struct range_fence pending;	/* in vm->pending while unbinding */
	struct gtt_fence_cb cb;		/* a queue backend: its batch's end */
	struct gtt_binding *b;
	char *why;			/* the backend's message when it refused
					 * the unbind's batch (set before the
					 * unbind fence signals), or NULL */
};

/*
 * What only a bind that waits needs: its await set and the callback of a
 * queue backend's batch.  bind_deps() allocates it when the bind has
 * something to wait for (a bind with nothing pending writes right there
 * and needs none); bindings of a queue backend, whose binds always
 * complete later, carry it inline.  Freed when the bind job ends.
 */
struct bind_job {
	struct await aw;
	struct gtt_fence_cb cb;		/* a queue backend: its batch's end */
	struct gtt_binding *b;
};

/*
 * What only the bindings of sparse vmas have (map.c): a sparse vma's
 * placement (a region) holds the pieces mapped inside it once it unbinds;
 * a piece is one mapping inside it.  Carried inline by those bindings.
 */
struct binding_sparse {
	struct gtt_binding *b;
	struct itree pieces;		/* a region that unbinds: its pieces */
	struct itree_node piece;	/* a piece: in its sparse vma's tree */
	struct map_batch *batch;	/* a cut: the batch that clears it */
	/* A live piece: its sparse vma, and its place in vm->by_pages. */
	gtt_vma_t sparse_vma;
	struct avl_node obj;
	bool indexed;
};

struct gtt_binding {
	/* The unbind fence; its refcount is the binding's refcount. */
	struct gtt_fence unbind_fence;
	struct gtt_vm *vm;
	struct gtt_pages *pages;	/* dropped when the unbind completes */
	uint64_t start;
	uint64_t size;
	uint64_t pages_offset;		/* where in @pages the mapping starts */
	uint32_t pte_flags;
	int bind_error;			/* valid once the bind job ran */
	int clear_error;
	_Atomic int32_t holds;		/* 1 for the unbind itself + holders */
	/* The bind job ran and its range now holds its own entries, or the
	 * scratch its clean-up wrote after a failed write. */
	_Atomic bool replaced;
	bool backend_failed;		/* bind_error came from the backend */
	/* A clear failed: PTEs may still map the pages, which the binding
	 * keeps until the range is known to be clear (quarantine). */
	bool stale;
	bool un_inline;			/* un is part of the binding */
	bool job_inline;		/* and job */
	/* A sparse vma's placement maps nothing itself (map.c). */
	bool region;
	/* Whether the bind / unbind was counted in vm->inflight (it was not
	 * when it was certain to finish inline, under the vm lock). */
	bool bind_counted;
	bool unbind_counted;
	bool rcu_free;			/* was reachable by RCU readers */
	/* Its unbind goes without a resv slot (unbind_prepare()). */
	bool no_resv_slot;
	/* A queue backend: the bind's batch was handed over (its end runs
	 * from job->cb; the unbind's, ordered after it, from un->cb). */
	bool submitted;
	struct gtt_range_node *qnode;	/* its range, kept from the allocator */
	uint64_t jid;			/* the journal's seq of its bind, or 0 */
	bool jfailed;			/* failed before it had a jid (journal lock) */
	/* A stale binding is on one list, then the other (quarantine.c). */
	union {
		struct lfstack_node failed;	/* on vm->failed (a worker saw it) */
		struct gtt_binding *q_next;	/* in vm->quarantine */
	};
	struct gtt_fence *bind_fence;	/* only when the bind could be deferred */
	struct bind_job *job;		/* while a bind waits (see above) */
	struct unbind_state *un;	/* once unbinding (see above) */
	struct binding_sparse *sp;	/* a sparse vma's (see above) */
	/* A vma's placement: its range node, in storage carried inline
	 * (gtt_range_insert_in()); NULL for a piece.  binding_node(). */
	struct gtt_range_node_storage *node_mem;
	struct rcu_head rcu;
};

/* Active fences (active.c): GPU work that may still use mappings. */
struct active_list {
	struct gtt_fence **f;
	unsigned int n;
	unsigned int cap;
};

/* Room for @fence once what it supersedes goes (0), or -ENOMEM; either
 * way the list is left as it is. */
int active_make_room(struct active_list *l, const struct gtt_fence *fence);
/* After active_make_room(): drop what is done or superseded by @fence, then
 * add it; cannot fail. */
void active_push(struct active_list *l, struct gtt_fence *fence);
void active_clear(struct active_list *l);
void active_fini(struct active_list *l);
unsigned int active_unsignalled(const struct active_list *l);
/* A reference to the first fence not yet signalled, or NULL. */
struct gtt_fence *active_first_unsignalled(const struct active_list *l);
/* Add every fence to @aw (records reserved by the caller); _order: for
 * ordering only (a failed GPU job does not fail what waits for it). */
void active_await(const struct active_list *l, struct await *aw);
void active_await_order(const struct active_list *l, struct await *aw);

struct vma {
	gtt_vma_t handle;
	struct gtt_pages *pages;
	struct gtt_resv *resv;
	struct gtt_binding *binding;	/* current placement, NULL if unbound */
	unsigned int pin_count;
	struct active_list active;	/* GPU work using the mapping */
	struct gtt_fence *last_unbind;	/* the latest unbind's fence */
	bool evicted;			/* that unbind was an eviction */
	bool sparse;			/* a struct sparse_vma */
	/* evict.c: bound vmas in vm->lru, least recently used first. */
	struct vma *lru_prev, *lru_next;
	struct rcu_head rcu;
};

/* A sparse vma (map.c): no pages; while bound, its mappings. */
struct sparse_vma {
	struct vma v;
	uint64_t size;
	struct itree pieces;
};

static inline struct sparse_vma *vma_sparse(const struct vma *v)
{
	return container_of(v, struct sparse_vma, v);
}

struct gtt_vm {
	pthread_mutex_t lock;		/* everything below unless noted */
	char name[32];
	uint64_t start;
	uint64_t end;
	uint64_t page_size;
	unsigned int flags;
	struct gtt_backend *be;
	struct gtt_executor *ex;
	/* A queue backend: the dependencies it waits for itself (binding.c). */
	bool queue;
	struct await_passer passer;
	struct gtt_range_alloc *ra;
	/* Bindings whose unbind is pending (range_fence.h): a bind there
	 * orders its PTE write after their clears. */
	struct range_fence_tree pending;

	/* Lock-free: bindings whose clear failed, waiting for the quarantine. */
	lfstack_t failed;
	struct gtt_binding *quarantine;	/* stale bindings (see quarantine.c) */
	_Atomic uint32_t closed;
	/* RCU readers: odd while the trees change (writers hold the lock). */
	bool rcu;
	_Atomic uint32_t seq;
	unsigned int write_depth;	/* nested tree_write_begin() (eviction) */

	/* Work in flight (deferred binds, unbinds not completed). */
	pthread_mutex_t idle_lock;
	pthread_cond_t idle_cond;
	uint64_t inflight;		/* under idle_lock */

	/* vma handle table */
	uint16_t tag;
	struct vma **slots;
	uint32_t *gens;
	uint32_t nslots;
	uint32_t *free_idx;
	uint32_t nfree;

	struct active_list active;	/* GPU work using any mapping */
	/* Eviction (evict.c): the order, the caller's roster, and the bound
	 * vmas from least to most recently used. */
	enum gtt_evict_order evict_order;
	gtt_evict_roster_fn roster;
	void *roster_arg;
	struct vma *lru_first, *lru_last;
	/* Live pieces of sparse vmas by (pages, address): the reverse index
	 * of gtt_vm_unmap_pages() and gtt_vm_move_pages() (map.c). */
	struct avl_tree by_pages;

	struct gtt_trace *trace;	/* recording (lib/trace), or NULL */
	/* The binding journal (journal.c), or NULL; set once, freed with the vm. */
	struct vm_journal *_Atomic journal;
	struct gtt_vm_stats st;		/* counters touched under the lock */
	_Atomic uint64_t backend_errors;
};

/*
 * pages.c: make @f (not yet shared) the next point on @p's timeline of
 * moves; *@prev receives the point before it (a reference) or NULL, which
 * @f must not signal before.
 */
void pages_join_moves(struct gtt_pages *p, struct gtt_fence *f,
		      struct gtt_fence **prev);

/* binding.c */
/* What a binding carries inline (struct unbind_state, struct bind_job). */
enum {
	BINDING_INLINE_UNBIND = 1u << 0,
	BINDING_INLINE_JOB = 1u << 1,
	BINDING_INLINE_SPARSE = 1u << 2,
	BINDING_INLINE_NODE = 1u << 3,
};
struct gtt_binding *binding_create(struct gtt_vm *vm, struct gtt_pages *pages,
				   uint64_t start, uint64_t size,
				   uint32_t pte_flags, unsigned int inline_parts);
/* Set the start address once the range is placed (before it is shared). */
void binding_place(struct gtt_binding *b, uint64_t start);
void binding_get(struct gtt_binding *b);
void binding_put(struct gtt_binding *b);
/* @b as a queue backend's op: its mapping (@map), or the clear of its range. */
struct gtt_backend_op binding_op(const struct gtt_binding *b, bool map);
/* Give @aw the vm's passer when its backend is a queue (binding.c). */
void vm_await_init(struct gtt_vm *vm, struct await *aw,
		   void (*fn)(struct await *aw, int error));
/*
 * The bind job's await, ready for records (allocated unless the binding
 * carries it); the job writes PTEs, then signals bind_fence.  Return: 0,
 * -ENOMEM (nothing changed).  binding_bind_drop() undoes it, with every
 * record taken.
 */
int binding_bind_init(struct gtt_binding *b);
void binding_bind_drop(struct gtt_binding *b);
/* Run the bind job here: nothing it waits for is pending (no await);
 * @dep_error: the first error of a dependency. */
void binding_bind_now(struct gtt_binding *b, int dep_error);
/*
 * Prepare the unbind await (allocating the unbind state unless the binding
 * carries it); the job clears PTEs, then drops its hold.  Return: 0,
 * -ENOMEM (nothing changed).  binding_unbind_drop() undoes it.
 */
int binding_unbind_init(struct gtt_binding *b);
void binding_unbind_drop(struct gtt_binding *b);
/* Run the unbind job here: nothing it waits for is pending (no await). */
void binding_unbind_now(struct gtt_binding *b);
/* The backend's message if it refused the batch of the unbind whose fence
 * is @unbind_fence (signalled), else NULL. */
const char *binding_unbind_why(const struct gtt_fence *unbind_fence);
/* The node in @b's storage (gtt_range_insert_in() puts it there). */
/* @x's offset into its vm page (the page size is a power of two: the
 * allocator refuses others), without a division. */
static inline uint64_t vm_page_off(const struct gtt_vm *vm, uint64_t x)
{
	return x & (vm->page_size - 1);
}

static inline struct gtt_range_node *binding_node(const struct gtt_binding *b)
{
	return (struct gtt_range_node *)(void *)b->node_mem;
}
/* The piece whose place in its tree @it is. */
static inline struct gtt_binding *binding_of_piece(const struct itree_node *it)
{
	return container_of(it, struct binding_sparse, piece)->b;
}
/* The binding whose unbind state holds @rf (vm->pending). */
static inline struct gtt_binding *binding_of_pending(const struct range_fence *rf)
{
	return container_of(rf, struct unbind_state, pending)->b;
}
void binding_unhold(struct gtt_binding *b);
/* vm->pending's release: drops the reference the tree held. */
void binding_tree_release(struct range_fence *rf);
/* A region's pieces go, once nothing can reach their entries any more. */
void binding_release_pieces(struct gtt_binding *b);
/* Whether @v has a piece whose write is still to come, and the first such
 * write's fence (a reference) if @f is not NULL. */
unsigned int map_pending_writes(const struct vma *v, struct gtt_fence **f);
/* Whether a piece of sparse vma @v maps borrowed pages (rule 5). */
bool map_has_borrowed(const struct vma *v);
/* A sparse vma that starts unbinding hands its pieces to its binding. */
void map_hand_over(struct vma *v, struct gtt_binding *b);

/* vm.c */
/* Bracket work that may finish outside the vm lock (see design.md). */
void vm_work_begin(struct gtt_vm *vm);
void vm_work_end(struct gtt_vm *vm);
/* Count a backend failure. */
void vm_note_backend_error(struct gtt_vm *vm);
/* Whether a clear's @err may have left entries mapping the pages. */
bool vm_clear_failed(struct gtt_vm *vm, int err);
/* Remove finished bindings from vm->pending and take failed ones into the
 * quarantine, retrying their clears.  Caller holds vm->lock. */
void vm_retire_locked(struct gtt_vm *vm);
/*
 * Out of memory for a dependency record, in a call that may block: wait
 * for @f (a reference, dropped) with the vm lock released, counted in
 * oom_sync_waits.  The caller looks at everything again afterwards.
 */
void vm_wait_unlocked(struct gtt_vm *vm, struct gtt_fence *f);
/* The window a bind into [start, start + size) must order after. */
void vm_overlap_window(const struct gtt_vm *vm, uint64_t start, uint64_t size,
		       uint64_t *lo, uint64_t *hi);

/* vma_table.c (vm lock held) */
void vma_table_init(struct gtt_vm *vm);
struct vma *vma_lookup(struct gtt_vm *vm, gtt_vma_t h);
void vma_drop_active(struct vma *v);
/* At vm destruction: unbind every bound vma (pins void, resvs gone)... */
void vma_table_unbind_all(struct gtt_vm *vm);
/* ...and, once idle, free every vma and the table. */
void vma_table_fini(struct gtt_vm *vm);

/* unbind.c (vm lock held) */
/* Take what the unbind of @v needs; 0 or -ENOMEM with nothing changed. */
int unbind_prepare(struct gtt_vm *vm, struct vma *v, bool slotless);
void unbind_abort(struct vma *v);
/* Start a prepared unbind; cannot fail. */
void unbind_commit(struct gtt_vm *vm, struct vma *v, struct gtt_fence **fence,
		   bool evicted);
/* Prepare and commit, waiting for memory (lock dropped) if @may_wait. */
int unbind_locked(struct gtt_vm *vm, gtt_vma_t h, struct vma **vp,
		  bool may_wait, struct gtt_fence **fence);

/* evict.c (vm lock held) */
/* Unbind the vmas the vm's eviction order picks to open a hole for @req,
 * once everything the bind @b needs is taken.  0, -ENOSPC, -ENOMEM, a
 * roster's error (nothing changed). */
int evict_for(struct gtt_vm *vm, const struct gtt_range_request *req,
	      struct gtt_binding *b, size_t num_deps);
/* @v (bound) was used now: the most recently used of vm->lru. */
void evict_lru_touch(struct gtt_vm *vm, struct vma *v);
/* @v is no longer bound: out of vm->lru. */
void evict_lru_remove(struct gtt_vm *vm, struct vma *v);

/* quarantine.c (vm lock held unless noted) */
/* Lock-free, from any thread: a binding whose clear failed. */
void quarantine_push_failed(struct gtt_vm *vm, struct gtt_binding *b);
void quarantine_add_locked(struct gtt_vm *vm, struct gtt_binding *b);
/* Take what was pushed, then retry the clears of what is quarantined. */
void quarantine_collect_locked(struct gtt_vm *vm);
/* At vm destruction: one last try, then release whatever is left. */
void quarantine_release_all(struct gtt_vm *vm);

/*
 * Bracket changes to the allocator or pending tree for lock-free readers
 * (vm lock held).  Brackets nest — a bind's placement may evict, and each
 * eviction is an unbind with its own bracket — and only the outermost one
 * moves the count, which must stay odd for the whole change.  Readers
 * validate with vm_lookup.c's read section (base/seqcount.h).
 */
static inline void tree_write_begin(struct gtt_vm *vm)
{
	if (vm->rcu && vm->write_depth++ == 0)
		seqcount_write_begin(&vm->seq);
}

static inline void tree_write_end(struct gtt_vm *vm)
{
	if (vm->rcu && --vm->write_depth == 0)
		seqcount_write_end(&vm->seq);
}

/* Whether @vm's backend can map @pages: a PTE backend maps DMA pages only
 * (a queue backend judges for itself). */
static inline bool vm_maps_pages(const struct gtt_vm *vm, const struct gtt_pages *pages)
{
	size_t n = 0;

	return vm->queue || (gtt_pages_segments(pages, &n), n > 0);
}

static inline bool vm_is_closed(const struct gtt_vm *vm)
{
	return atomic_load_explicit(&vm->closed, memory_order_acquire);
}

#endif
