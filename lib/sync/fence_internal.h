/* SPDX-License-Identifier: MIT */
/*
 * Fence layout, for objects that embed a fence (a binding embeds its unbind
 * fence, a merge embeds its result) so the fence's refcount is theirs.
 */
#ifndef GTT_LIB_FENCE_INTERNAL_H
#define GTT_LIB_FENCE_INTERNAL_H

#include <pthread.h>

#include <gtt/fence.h>

#include "base/util.h"

struct gtt_fence {
	_Atomic uint32_t state;		/* futex word: 0 pending, 1 signalled */
	_Atomic uint32_t waiters;
	_Atomic int32_t refcount;
	_Atomic uint32_t signaling_enabled;
	int32_t error;			/* written before state is released */
	/* The kernel's view (gtt/sync.h): a sync_file this fence owns (-1:
	 * none), or a fence the kernel knows that this one signals with (a
	 * reference, set once, dropped with the fence: @kernel). */
	int sync_fd;
	pthread_mutex_t lock;		/* guards the callback list */
	/* The thread running the callbacks (its fence_self() token), or NULL. */
	_Atomic(const void *) signaller;
	struct gtt_fence_cb cbs;	/* circular list head */
	uint64_t context;
	uint64_t seqno;
	uint64_t timestamp;
	const struct gtt_fence_ops *ops;
	void *priv;
	/* Frees the memory holding the fence; NULL means mem_free(fence). */
	void (*free_fn)(struct gtt_fence *fence);
	_Atomic(struct gtt_fence *) kernel;
};

void fence_init(struct gtt_fence *f, const struct gtt_fence_ops *ops,
		void *priv, uint64_t context, uint64_t seqno,
		void (*free_fn)(struct gtt_fence *));

/*
 * The kernel's view of a fence.  fence_own_sync_fd(): @f (not yet shared)
 * owns @fd, a sync_file that signals exactly when @f does; closed when @f
 * signals (nothing is left to wait for) or goes.
 * fence_set_kernel(): @f signals exactly when @k does (takes a reference;
 * ignored if @f already has one).  fence_kernel(): the fence a kernel may
 * wait for in @f's place: the one set, or else @f itself (whether a kernel
 * knows it is for a backend to say: gtt/backend.h can_wait); valid while
 * @f is.  fence_dup_sync_fd(): a new descriptor of that fence's sync_file
 * (the caller closes it), or -1: none, signalled already, or out of
 * descriptors.  fence_has_sync_fd(): whether it has one (a hint: it may
 * signal at once).
 */
void fence_own_sync_fd(struct gtt_fence *f, int fd);
void fence_set_kernel(struct gtt_fence *f, struct gtt_fence *k);
struct gtt_fence *fence_kernel(struct gtt_fence *f);
int fence_dup_sync_fd(struct gtt_fence *f);
bool fence_has_sync_fd(struct gtt_fence *f);

/* Error of a signalled fence (0 if it succeeded or is pending). */
static inline int fence_error(const struct gtt_fence *f)
{
	return atomic_load_explicit(&f->state, memory_order_acquire) ? f->error : 0;
}

#endif
