/* SPDX-License-Identifier: MIT */
/*
 * The library's use of liburcu, bulletproof flavour (urcu-bp: no thread
 * registration, which a library cannot ask of its callers).  liburcu is
 * LGPL-2.1 and linked dynamically; _LGPL_SOURCE is not defined, so none of
 * its inline code is compiled into libgtt.
 *
 * ThreadSanitizer cannot see liburcu's grace periods (the system library is
 * not instrumented), so TSan builds annotate them: a reader's unlock
 * releases, and a deferred free acquires, one token.
 *
 * Built without liburcu (-Drcu=disabled, or auto without it), rcu.c is not
 * compiled and this header holds stubs: gtt_vm_create() refuses
 * GTT_VM_RCU_READERS (rcu_available() is false), so no reader ever runs and
 * a deferred free may happen at once.
 */
#ifndef GTT_LIB_RCU_H
#define GTT_LIB_RCU_H

#include <stdbool.h>

#include "seqcount.h"	/* LOAD_ACQ, and what validates a read section */

#ifdef GTT_HAVE_URCU

#include <urcu/urcu-bp.h>
#include <urcu/call-rcu.h>

#if defined(__SANITIZE_THREAD__)
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
extern char rcu_tsan_token;
#define RCU_TSAN_RELEASE() __tsan_release(&rcu_tsan_token)
/* At the start of a call_rcu callback: after every reader and the enqueue. */
#define RCU_CALLBACK_BEGIN(head) \
	do { __tsan_acquire(&rcu_tsan_token); __tsan_acquire(head); } while (0)
#else
#define RCU_TSAN_RELEASE() do { } while (0)
#define RCU_CALLBACK_BEGIN(head) do { (void)(head); } while (0)
#endif

static inline bool rcu_available(void)
{
	return true;
}

static inline void rcu_read_begin(void)
{
	urcu_bp_read_lock();
}

static inline void rcu_read_end(void)
{
	RCU_TSAN_RELEASE();
	urcu_bp_read_unlock();
}

/* Run @fn(@head) once no reader can still see the object (call_rcu);
 * @fn starts with RCU_CALLBACK_BEGIN(head). */
void rcu_defer(struct rcu_head *head, void (*fn)(struct rcu_head *head));

#else /* !GTT_HAVE_URCU */

struct rcu_head {
	char unused;
};

#define RCU_CALLBACK_BEGIN(head) do { (void)(head); } while (0)

static inline bool rcu_available(void)
{
	return false;
}

static inline void rcu_read_begin(void)
{
}

static inline void rcu_read_end(void)
{
}

/* No reader exists: the object can go now. */
static inline void rcu_defer(struct rcu_head *head, void (*fn)(struct rcu_head *head))
{
	fn(head);
}

/* liburcu's wait for every deferred free: they all ran already. */
static inline void urcu_bp_barrier(void)
{
}

#endif /* GTT_HAVE_URCU */

#endif
