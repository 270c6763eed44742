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
	uint32_t oom_waits;		/* deps waited for for lack of memory */
	bool committed;
};

void await_init(struct await *aw, struct gtt_executor *ex,
		void (*fn)(struct await *aw, int error));
/* Record @f.  Never fails: without memory it waits for @f instead. */
void await_add(struct await *aw, struct gtt_fence *f);
/* True if everything had signalled and @fn already ran in this thread. */
bool await_commit(struct await *aw);
/* Unregister and drop everything; @fn never runs.  Uncommitted sets only. */
void await_cancel(struct await *aw);
/* Release dependency references after @fn ran. */
void await_fini(struct await *aw);

#endif
