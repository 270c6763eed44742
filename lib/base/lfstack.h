/* SPDX-License-Identifier: MIT */
/*
 * Lock-free intrusive stack (Treiber): any thread pushes, one consumer at
 * a time takes the whole stack with one exchange.  Taking everything at
 * once leaves no ABA window: a node is never popped alone while another
 * thread holds a stale view of the top.
 *
 * This file owns no data: the top and the links live in the caller's
 * structures; the consumer's serialisation (a lock) is the caller's.
 */
#ifndef GTT_LIB_LFSTACK_H
#define GTT_LIB_LFSTACK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct lfstack_node {
	struct lfstack_node *next;
};

typedef _Atomic(struct lfstack_node *) lfstack_t;

static inline void lfstack_push(lfstack_t *top, struct lfstack_node *n)
{
	struct lfstack_node *old = atomic_load_explicit(top, memory_order_relaxed);

	do {
		n->next = old;
	} while (!atomic_compare_exchange_weak_explicit(top, &old, n,
							memory_order_release,
							memory_order_relaxed));
}

/* Whether anything was pushed (a cheap look before taking). */
static inline bool lfstack_empty(lfstack_t *top)
{
	return !atomic_load_explicit(top, memory_order_relaxed);
}

/* Everything pushed so far, newest first; the stack is left empty. */
static inline struct lfstack_node *lfstack_take_all(lfstack_t *top)
{
	return atomic_exchange_explicit(top, NULL, memory_order_acquire);
}

#endif
