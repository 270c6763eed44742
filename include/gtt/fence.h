/* SPDX-License-Identifier: MIT */
/**
 * DOC: fences
 *
 * A gtt_fence is a reference-counted, one-shot completion: it starts
 * pending and is signalled exactly once, with an error code (0 for
 * success).  Waiters sleep on a futex; nothing spins.
 *
 * Each fence belongs to a *context* (a timeline) and carries a *seqno*
 * on it.  Fences of one context signal in seqno order, which is what lets
 * gtt_fence_merge() keep only the latest fence per context.  Context 0 means
 * "no timeline": such fences are never assumed to be ordered.
 *
 * Callbacks: gtt_fence_add_callback() registers a caller-owned
 * &struct gtt_fence_cb that runs exactly once, in the thread that signals
 * the fence, with the fence's internal lock held.  A callback must be short;
 * it may signal other fences, drop references and submit executor work.
 * After gtt_fence_remove_callback() returns, the callback is either removed
 * or has finished running.
 *
 * Re-entry: a callback may call every function here on the fence that is
 * running it, and on any fence whose callbacks are running further up in
 * the same thread (A's callback signals B, B's callback touches A), without
 * deadlock.  Such a fence is already signalled, so gtt_fence_signal()
 * returns -EALREADY, gtt_fence_add_callback() returns -ENOENT,
 * gtt_fence_status() and gtt_fence_wait() report it signalled at once, and
 * gtt_fence_remove_callback() removes a callback that has not run yet
 * (true; it will not run) or returns false for one that ran or is running.
 * Dropping the last reference from a callback is safe: the signaller holds
 * its own until the callbacks are done.  What a callback must not do is
 * wait for a fence that is still pending, or wait for another thread that
 * is itself signalling a fence whose callbacks this thread is running.
 *
 * Custom fences: gtt_fence_create_custom() takes an ops table so that other
 * completion sources (a sync_file, an eventfd, a GPU ring) can be wrapped.
 *
 * Thread safety: every function here may be called from any thread,
 * concurrently, on the same fence, as long as the caller holds a reference.
 */
#ifndef GTT_FENCE_H
#define GTT_FENCE_H

#include <gtt/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct gtt_fence;
struct gtt_fence_cb;

/** typedef gtt_fence_func_t - A fence callback; see gtt_fence_add_callback(). */
typedef void (*gtt_fence_func_t)(struct gtt_fence *fence,
				 struct gtt_fence_cb *cb);

/**
 * struct gtt_fence_cb - Caller-owned callback node.
 * @func: set by gtt_fence_add_callback().
 * @next: private.
 * @prev: private.
 * @reserved: the library's; the caller does not touch it.
 *
 * Embed it in your own structure and use container_of-style arithmetic in
 * the callback to reach it.  It must stay valid until the callback has run
 * or gtt_fence_remove_callback() returned true.
 */
struct gtt_fence_cb {
	gtt_fence_func_t func;
	struct gtt_fence_cb *next;
	struct gtt_fence_cb *prev;
	void *reserved[2];
};

/**
 * struct gtt_fence_ops - Behaviour of a custom fence.
 * @name: short name used in dumps ("sync_file", "gpu ring"); may be NULL.
 * @enable_signaling: called once, without locks held, the first time
 *	someone waits on the fence or adds a callback.  Lets a source that
 *	is expensive to watch start watching only when needed.  May be NULL.
 * @release: called when the last reference is dropped, to free the
 *	private data.  The fence memory itself is freed by the library
 *	afterwards.  May be NULL.
 * @reserved: NULL (room for later ops; see common.h).
 */
struct gtt_fence_ops {
	const char *name;
	void (*enable_signaling)(struct gtt_fence *fence, void *priv);
	void (*release)(struct gtt_fence *fence, void *priv);
	void (*reserved[4])(void);
};

/**
 * gtt_fence_context_alloc() - Reserve @count fresh, process-unique contexts.
 * @count: how many consecutive contexts to reserve (at least 1).
 *
 * Return: the first context of the block; never 0.
 */
GTT_API uint64_t gtt_fence_context_alloc(unsigned int count);

/**
 * gtt_fence_create() - Create a plain pending fence.
 * @context: its timeline, or 0 for none.
 * @seqno: its position on @context.
 * @out: receives the fence, holding one reference.
 *
 * Return: 0, -EINVAL if @out is NULL, -ENOMEM.
 */
GTT_API int gtt_fence_create(uint64_t context, uint64_t seqno,
			     struct gtt_fence **out);

/**
 * gtt_fence_create_custom() - Create a pending fence with custom behaviour.
 * @ops: behaviour; must outlive the fence.
 * @priv: caller data handed to the ops and returned by gtt_fence_priv().
 * @context: its timeline, or 0.
 * @seqno: its position on @context.
 * @out: receives the fence, holding one reference.
 *
 * A fence without custom behaviour comes from gtt_fence_create().
 *
 * Return: 0, -EINVAL if @ops or @out is NULL (*@out is not written),
 * -ENOMEM.
 */
GTT_API int gtt_fence_create_custom(const struct gtt_fence_ops *ops,
				    void *priv, uint64_t context,
				    uint64_t seqno, struct gtt_fence **out);

/** gtt_fence_priv() - The @priv given to gtt_fence_create_custom(), or NULL. */
GTT_API void *gtt_fence_priv(const struct gtt_fence *fence);

/** gtt_fence_name() - The ops name, "fence" for plain fences, never NULL. */
GTT_API const char *gtt_fence_name(const struct gtt_fence *fence);

/** gtt_fence_get() - Take a reference.  Return: @fence (NULL stays NULL). */
GTT_API struct gtt_fence *gtt_fence_get(struct gtt_fence *fence);

/** gtt_fence_put() - Drop a reference; NULL is ignored. */
GTT_API void gtt_fence_put(struct gtt_fence *fence);

/**
 * gtt_fence_signal() - Complete a fence.
 * @fence: the fence.
 * @error: 0 for success or a negative errno describing why the work failed.
 *
 * Records @error and the signal time, wakes every waiter and runs every
 * callback, in the calling thread.
 *
 * Return: 0; -EALREADY if it was already signalled (nothing changes);
 * -EINVAL if @fence is NULL or @error is positive.
 */
GTT_API int gtt_fence_signal(struct gtt_fence *fence, int error);

/** gtt_fence_is_signaled() - True once the fence has been signalled. */
GTT_API bool gtt_fence_is_signaled(const struct gtt_fence *fence);

/**
 * gtt_fence_status() - Pending, success or error.
 *
 * Return: 0 while pending, 1 when signalled without error, the (negative)
 * error once signalled with one; -EINVAL for NULL.
 */
GTT_API int gtt_fence_status(const struct gtt_fence *fence);

/**
 * gtt_fence_wait() - Sleep until the fence signals.
 * @fence: the fence.
 * @timeout_ns: maximum time to wait; negative waits forever; 0 only polls.
 *
 * Return: 0 once signalled (whatever its error: see gtt_fence_status()),
 * -ETIME when the timeout expired first (also for a poll of a pending
 * fence; gtt_last_error() says so, at the cost of one store), -EINVAL for
 * NULL.
 */
GTT_API int gtt_fence_wait(struct gtt_fence *fence, int64_t timeout_ns);

/**
 * gtt_fence_add_callback() - Run @func once @fence signals.
 * @fence: the fence.
 * @cb: caller-owned node; see &struct gtt_fence_cb.
 * @func: the callback.
 *
 * Return: 0 if registered; -ENOENT if the fence had already signalled (the
 * callback is not called: act on the completion yourself); -EINVAL for NULL.
 */
GTT_API int gtt_fence_add_callback(struct gtt_fence *fence,
				   struct gtt_fence_cb *cb,
				   gtt_fence_func_t func);

/**
 * gtt_fence_remove_callback() - Unregister a callback.
 *
 * Return: true if it was removed before running; false if it already ran
 * (or was never registered).
 */
GTT_API bool gtt_fence_remove_callback(struct gtt_fence *fence,
				       struct gtt_fence_cb *cb);

/** gtt_fence_context() - The fence's context. */
GTT_API uint64_t gtt_fence_context(const struct gtt_fence *fence);

/** gtt_fence_seqno() - The fence's seqno on its context. */
GTT_API uint64_t gtt_fence_seqno(const struct gtt_fence *fence);

/**
 * gtt_fence_timestamp() - When the fence signalled.
 *
 * Return: CLOCK_MONOTONIC time in nanoseconds, 0 while pending.
 */
GTT_API uint64_t gtt_fence_timestamp(const struct gtt_fence *fence);

/**
 * gtt_fence_is_later() - Whether @a is after @b on the same timeline.
 *
 * Return: true only if both share a non-zero context and @a's seqno is
 * greater than @b's.
 */
GTT_API bool gtt_fence_is_later(const struct gtt_fence *a,
				const struct gtt_fence *b);

/**
 * gtt_fence_merge() - One fence that signals when all of @fences have.
 * @fences: the inputs; NULL entries are skipped.
 * @count: number of entries in @fences.
 * @out: receives the merged fence (one reference).
 *
 * Fences that share a non-zero context are coalesced: the merge waits only
 * for the one with the highest seqno, since the others signal before it,
 * but still records the errors of the older ones.  Already signalled inputs
 * are dropped unless they carry an error.  If exactly one pending input is
 * left and no signalled input carried an error, that input is returned
 * itself (with a new reference); if none is left a signalled fence is
 * returned.  The merged fence carries the first error that any input
 * signalled with, in signalling order (an older fence of a context that,
 * against the timeline rule, signals after the latest one is not waited
 * for, and its error is missed if the merge already signalled).  It gets a
 * fresh context of its own.
 *
 * Return: 0, -EINVAL, -ENOMEM (nothing is changed on failure).
 */
GTT_API int gtt_fence_merge(struct gtt_fence *const *fences, size_t count,
			    struct gtt_fence **out);

#ifdef __cplusplus
}
#endif
#endif
