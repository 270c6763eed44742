/* SPDX-License-Identifier: MIT */
/*
 * Await-set internals.  Bindings embed a struct await for their bind and
 * their unbind, with a few inline callback slots so the common case (zero
 * to a few dependencies) allocates nothing.
 */
#ifndef GTT_LIB_AWAIT_INTERNAL_H
#define GTT_LIB_AWAIT_INTERNAL_H

#include <gtt/await.h>

#include "executor_internal.h"
#include "fence_internal.h"

#define AWAIT_INLINE_SLOTS 2

struct await;

struct await_slot {
	struct gtt_fence_cb cb;
	struct await *aw;
	struct gtt_fence *fence;	/* referenced until await_fini() */
	struct await_slot *next;	/* allocated slots only */
	bool order_only;		/* the fence's error is not the job's */
};

/*
 * Which dependencies a set hands on instead of waiting for them: a set
 * whose job submits to a queue backend (gtt/backend.h) passes the fences
 * its backend can wait for itself.  @fn is given the fence the kernel knows
 * in a dependency's place (fence_kernel()); it runs under the caller's
 * locks and must not block.
 */
struct await_passer {
	bool (*fn)(const struct await_passer *p, struct gtt_fence *kernel);
};

struct await {
	_Atomic int32_t pending;	/* unsignalled deps + 1 until commit */
	_Atomic int32_t error;		/* first dependency error */
	struct gtt_executor *ex;
	void (*fn)(struct await *aw, int error);
	struct exec_job job;
	struct await_slot inline_slots[AWAIT_INLINE_SLOTS];
	unsigned int inline_used;
	struct await_slot *extra;
	struct await_slot *spare;	/* preallocated by await_reserve() */
	unsigned int nspare;
	uint32_t oom_waits;		/* deps waited for for lack of memory */
	bool committed;
	/* Handed on, not waited for (await_passed()): references. */
	const struct await_passer *pass;
	struct gtt_fence **passed;
	unsigned int npassed, passcap;
};

void await_init(struct await *aw, struct gtt_executor *ex,
		void (*fn)(struct await *aw, int error));
/* Hand on what @p accepts from here on (before any await_reserve()). */
void await_set_passer(struct await *aw, const struct await_passer *p);
/* The dependencies handed on that had not signalled when added (valid
 * until await_fini()), in the order they were added. */
struct gtt_fence *const *await_passed(const struct await *aw, size_t *count);
/*
 * Make sure the next @n await_add() / await_add_order() calls find a slot
 * without allocating.  Return: 0, -ENOMEM (what was allocated is kept and
 * freed by await_fini() or await_cancel()).
 */
int await_reserve(struct await *aw, unsigned int n);
/*
 * Record @f.  Never fails: without a reserved slot and without memory it
 * waits for @f instead (only the public await set relies on that).
 */
void await_add(struct await *aw, struct gtt_fence *f);
/* Record @f for ordering only: the job runs after it, but its error is not
 * passed to the job (a pending unbind that failed does not fail a bind). */
void await_add_order(struct await *aw, struct gtt_fence *f);
/* True if everything had signalled and @fn already ran in this thread. */
bool await_commit(struct await *aw);
/* Unregister and drop everything, reserved slots too; @fn never runs.
 * Uncommitted sets only.  The set may be initialised again afterwards. */
void await_cancel(struct await *aw);
/* Release dependency references after @fn ran. */
void await_fini(struct await *aw);

#endif
