/* SPDX-License-Identifier: MIT */
/*
 * Deferred frees through liburcu's call_rcu (see rcu.h).
 */
#include "rcu.h"

#if defined(__SANITIZE_THREAD__)
char rcu_tsan_token;
#endif

void rcu_defer(struct rcu_head *head, void (*fn)(struct rcu_head *head))
{
#if defined(__SANITIZE_THREAD__)
	__tsan_release(head);	/* the callback runs on liburcu's thread */
#endif
	urcu_bp_call_rcu(head, fn);
}
