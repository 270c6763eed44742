/* SPDX-License-Identifier: MIT */
/*
 * Fences: see gtt/fence.h.
 *
 * Locking: each fence has a mutex that guards its callback list and the
 * transition to signalled.  Callbacks run under it, in the signalling
 * thread, which gives remove_callback its guarantee (once it returns, the
 * callback is gone or finished).  Waiters never take the mutex: they sleep
 * on the 32-bit state word with a futex, after announcing themselves in
 * `waiters`, so a signaller with no waiters makes no system call.
 *
 * Re-entry from a callback: the state word is set before the callbacks
 * run and never goes back, so signal and add_callback see a signalled fence
 * without taking the mutex and return -EALREADY / -ENOENT.  Only
 * remove_callback must touch the list: the signaller publishes its thread
 * token in `signaller` while it runs callbacks, and remove_callback called
 * from that thread unlinks without locking (the thread already holds the
 * mutex; the signal loop re-reads the list head after every callback).
 */
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "fence_internal.h"

static _Atomic uint64_t next_context = 1;

/*
 * A per-thread address: equal to a fence's `signaller` only in its thread.
 * initial-exec: one fs-relative load, no __tls_get_addr() call per signal.
 */
static __thread char self_token __attribute__((tls_model("initial-exec")));

static const void *fence_self(void)
{
	return &self_token;
}

GTT_API uint64_t gtt_fence_context_alloc(unsigned int count)
{
	return atomic_fetch_add(&next_context, count ? count : 1);
}

void fence_init(struct gtt_fence *f, const struct gtt_fence_ops *ops,
		void *priv, uint64_t context, uint64_t seqno,
		void (*free_fn)(struct gtt_fence *))
{
	atomic_init(&f->state, 0);
	atomic_init(&f->waiters, 0);
	atomic_init(&f->refcount, 1);
	atomic_init(&f->signaling_enabled, 0);
	atomic_init(&f->signaller, NULL);
	f->error = 0;
	pthread_mutex_init(&f->lock, NULL);
	f->cbs.next = f->cbs.prev = &f->cbs;
	f->context = context;
	f->seqno = seqno;
	f->timestamp = 0;
	f->ops = ops;
	f->priv = priv;
	f->free_fn = free_fn;
	f->sync_fd = -1;
	atomic_init(&f->kernel, NULL);
}

void fence_own_sync_fd(struct gtt_fence *f, int fd)
{
	f->sync_fd = fd;
}

void fence_set_kernel(struct gtt_fence *f, struct gtt_fence *k)
{
	struct gtt_fence *none = NULL;

	if (!k || k == f || f->sync_fd >= 0)
		return;
	gtt_fence_get(k);
	if (!atomic_compare_exchange_strong_explicit(&f->kernel, &none, k,
						     memory_order_acq_rel,
						     memory_order_acquire))
		gtt_fence_put(k);
}

struct gtt_fence *fence_kernel(struct gtt_fence *f)
{
	struct gtt_fence *k = atomic_load_explicit(&f->kernel, memory_order_acquire);

	return k ? k : f;
}

/* The state is read first: a callback of @k (its lock held by this very
 * thread) sees it signalled and does not lock. */
int fence_dup_sync_fd(struct gtt_fence *f)
{
	struct gtt_fence *k = fence_kernel(f);
	int fd = -1;

	if (atomic_load_explicit(&k->state, memory_order_seq_cst))
		return -1;
	pthread_mutex_lock(&k->lock);
	if (k->sync_fd >= 0)
		fd = fcntl(k->sync_fd, F_DUPFD_CLOEXEC, 3);
	pthread_mutex_unlock(&k->lock);
	return fd;
}

bool fence_has_sync_fd(struct gtt_fence *f)
{
	struct gtt_fence *k = fence_kernel(f);
	bool has;

	if (atomic_load_explicit(&k->state, memory_order_seq_cst))
		return false;
	pthread_mutex_lock(&k->lock);
	has = k->sync_fd >= 0;
	pthread_mutex_unlock(&k->lock);
	return has;
}

static int fence_create(const struct gtt_fence_ops *ops, void *priv,
			uint64_t context, uint64_t seqno, struct gtt_fence **out)
{
	struct gtt_fence *f;

	if (!out)
		return set_error(-EINVAL, "gtt_fence_create: out is NULL");
	f = mem_alloc(sizeof(*f));
	if (!f)
		return set_error(-ENOMEM, "gtt_fence_create: out of memory");
	fence_init(f, ops, priv, context, seqno, NULL);
	*out = f;
	return 0;
}

GTT_API int gtt_fence_create_custom(const struct gtt_fence_ops *ops,
				    void *priv, uint64_t context,
				    uint64_t seqno, struct gtt_fence **out)
{
	if (!ops)
		return set_error(-EINVAL, "gtt_fence_create_custom: ops is NULL (use gtt_fence_create for a plain fence)");
	if (!reserved_zero(ops->reserved, sizeof(ops->reserved)))
		return set_error(-EINVAL, "gtt_fence_create_custom: ops has non-zero reserved fields (built against a newer libgtt?)");
	return fence_create(ops, priv, context, seqno, out);
}

GTT_API int gtt_fence_create(uint64_t context, uint64_t seqno,
			     struct gtt_fence **out)
{
	return fence_create(NULL, NULL, context, seqno, out);
}

GTT_API void *gtt_fence_priv(const struct gtt_fence *f)
{
	return f ? f->priv : NULL;
}

GTT_API const char *gtt_fence_name(const struct gtt_fence *f)
{
	return f && f->ops && f->ops->name ? f->ops->name : "fence";
}

GTT_API struct gtt_fence *gtt_fence_get(struct gtt_fence *f)
{
	if (f)
		atomic_fetch_add_explicit(&f->refcount, 1, memory_order_relaxed);
	return f;
}

GTT_API void gtt_fence_put(struct gtt_fence *f)
{
	if (!f || atomic_fetch_sub_explicit(&f->refcount, 1,
					    memory_order_acq_rel) != 1)
		return;
	if (f->ops && f->ops->release)
		f->ops->release(f, f->priv);
	if (f->sync_fd >= 0)
		close(f->sync_fd);
	gtt_fence_put(atomic_load_explicit(&f->kernel, memory_order_relaxed));
	pthread_mutex_destroy(&f->lock);
	if (f->free_fn)
		f->free_fn(f);
	else
		mem_free(f);
}

static void enable_signaling(struct gtt_fence *f)
{
	if (!f->ops || !f->ops->enable_signaling)
		return;
	if (atomic_exchange(&f->signaling_enabled, 1))
		return;
	f->ops->enable_signaling(f, f->priv);
}

static int already_signalled(void)
{
	return set_error(-EALREADY, "gtt_fence_signal: fence already signalled");
}

GTT_API int gtt_fence_signal(struct gtt_fence *f, int error)
{
	struct gtt_fence_cb *cb;

	if (!f)
		return set_error(-EINVAL, "gtt_fence_signal: fence is NULL");
	if (error > 0)
		return set_error(-EINVAL, "gtt_fence_signal: error %d must be 0 or a negative errno", error);
	/* Without the lock: a callback of @f may be signalling it again. */
	if (atomic_load_explicit(&f->state, memory_order_acquire))
		return already_signalled();
	/* Our own reference: a callback may drop the caller's last one. */
	gtt_fence_get(f);
	pthread_mutex_lock(&f->lock);
	if (atomic_load_explicit(&f->state, memory_order_relaxed)) {
		pthread_mutex_unlock(&f->lock);
		gtt_fence_put(f);
		return already_signalled();
	}
	f->error = error;
	f->timestamp = now_ns();
	atomic_store_explicit(&f->state, 1, memory_order_seq_cst);
	/* Nothing is left to wait for: the sync_file goes (one descriptor
	 * less for every signalled fence that lives on). */
	if (f->sync_fd >= 0) {
		close(f->sync_fd);
		f->sync_fd = -1;
	}
	if (f->cbs.next != &f->cbs) {
		atomic_store_explicit(&f->signaller, fence_self(), memory_order_relaxed);
		while ((cb = f->cbs.next) != &f->cbs) {
			f->cbs.next = cb->next;
			cb->next->prev = &f->cbs;
			cb->next = cb->prev = NULL;
			cb->func(f, cb);
		}
		atomic_store_explicit(&f->signaller, NULL, memory_order_relaxed);
	}
	pthread_mutex_unlock(&f->lock);
	if (atomic_load_explicit(&f->waiters, memory_order_seq_cst))
		futex_wake_all(&f->state);
	gtt_fence_put(f);
	return 0;
}

GTT_API bool gtt_fence_is_signaled(const struct gtt_fence *f)
{
	return f && atomic_load_explicit(&f->state, memory_order_acquire);
}

GTT_API int gtt_fence_status(const struct gtt_fence *f)
{
	if (!f)
		return set_error(-EINVAL, "gtt_fence_status: fence is NULL");
	if (!atomic_load_explicit(&f->state, memory_order_acquire))
		return 0;
	return f->error ? f->error : 1;
}

GTT_API int gtt_fence_wait(struct gtt_fence *f, int64_t timeout_ns)
{
	uint64_t deadline;
	int ret = 0;

	if (!f)
		return set_error(-EINVAL, "gtt_fence_wait: fence is NULL");
	if (atomic_load_explicit(&f->state, memory_order_acquire))
		return 0;
	if (timeout_ns == 0)
		return set_error_static(-ETIME, "gtt_fence_wait: the fence is still pending (timed out)");
	enable_signaling(f);
	deadline = deadline_from_timeout(timeout_ns);
	atomic_fetch_add_explicit(&f->waiters, 1, memory_order_seq_cst);
	while (!atomic_load_explicit(&f->state, memory_order_seq_cst)) {
		if (futex_wait_until(&f->state, 0, deadline) == -ETIME &&
		    !atomic_load_explicit(&f->state, memory_order_acquire)) {
			ret = set_error_static(-ETIME, "gtt_fence_wait: the fence did not signal before the timeout (timed out)");
			break;
		}
	}
	atomic_fetch_sub_explicit(&f->waiters, 1, memory_order_relaxed);
	return ret;
}

GTT_API int gtt_fence_add_callback(struct gtt_fence *f, struct gtt_fence_cb *cb,
				   gtt_fence_func_t func)
{
	if (!f || !cb || !func)
		return set_error(-EINVAL, "gtt_fence_add_callback: NULL argument");
	/* Without the lock: a callback of @f may be adding to it. */
	if (atomic_load_explicit(&f->state, memory_order_acquire)) {
		cb->next = cb->prev = NULL;
		return -ENOENT;
	}
	pthread_mutex_lock(&f->lock);
	if (atomic_load_explicit(&f->state, memory_order_relaxed)) {
		pthread_mutex_unlock(&f->lock);
		cb->next = cb->prev = NULL;
		return -ENOENT;
	}
	cb->func = func;
	cb->prev = f->cbs.prev;
	cb->next = &f->cbs;
	f->cbs.prev->next = cb;
	f->cbs.prev = cb;
	pthread_mutex_unlock(&f->lock);
	enable_signaling(f);
	return 0;
}

GTT_API bool gtt_fence_remove_callback(struct gtt_fence *f,
				       struct gtt_fence_cb *cb)
{
	/* Called from one of @f's callbacks: this thread holds the lock. */
	bool reentered;
	bool removed = false;

	if (!f || !cb)
		return false;
	reentered = atomic_load_explicit(&f->signaller, memory_order_relaxed) ==
		    fence_self();
	if (!reentered)
		pthread_mutex_lock(&f->lock);
	if (cb->next) {
		cb->prev->next = cb->next;
		cb->next->prev = cb->prev;
		cb->next = cb->prev = NULL;
		removed = true;
	}
	if (!reentered)
		pthread_mutex_unlock(&f->lock);
	return removed;
}

GTT_API uint64_t gtt_fence_context(const struct gtt_fence *f)
{
	return f ? f->context : 0;
}

GTT_API uint64_t gtt_fence_seqno(const struct gtt_fence *f)
{
	return f ? f->seqno : 0;
}

GTT_API uint64_t gtt_fence_timestamp(const struct gtt_fence *f)
{
	return gtt_fence_is_signaled(f) ? f->timestamp : 0;
}

GTT_API bool gtt_fence_is_later(const struct gtt_fence *a,
				const struct gtt_fence *b)
{
	return a && b && a->context && a->context == b->context &&
	       a->seqno > b->seqno;
}

/* ---- merge ---- */

/*
 * One per pending input.  Only the latest fence of each context is
 * `counted` (the merge waits for it); the older ones signal before it, and
 * their callbacks only record an error, so that the merge still carries the
 * first error in signalling order.
 */
struct merge_cb {
	struct gtt_fence_cb cb;
	struct merge *m;
	struct gtt_fence *in;
	bool counted;
};

struct merge {
	struct gtt_fence fence;
	_Atomic size_t pending;
	_Atomic int error;
	size_t n;
	struct merge_cb cbs[];
};

static const struct gtt_fence_ops merge_ops = { .name = "merge" };

static void merge_free(struct gtt_fence *f)
{
	struct merge *m = container_of(f, struct merge, fence);

	for (size_t i = 0; i < m->n; i++)
		gtt_fence_put(m->cbs[i].in);
	mem_free(m);
}

static void record_error(_Atomic int *slot, int err)
{
	int zero = 0;

	if (err < 0)
		atomic_compare_exchange_strong(slot, &zero, err);
}

static void merge_input_signalled(struct gtt_fence *in, struct gtt_fence_cb *cb)
{
	struct merge_cb *mc = container_of(cb, struct merge_cb, cb);
	struct merge *m = mc->m;

	record_error(&m->error, in->error);
	if (mc->counted && atomic_fetch_sub(&m->pending, 1) == 1)
		gtt_fence_signal(&m->fence, atomic_load(&m->error));
	gtt_fence_put(&m->fence);
}

static int by_context_then_latest(const void *pa, const void *pb)
{
	const struct gtt_fence *a = *(struct gtt_fence *const *)pa;
	const struct gtt_fence *b = *(struct gtt_fence *const *)pb;

	if (a->context != b->context)
		return a->context < b->context ? -1 : 1;
	if (a->seqno != b->seqno)
		return a->seqno > b->seqno ? -1 : 1;
	return 0;
}

GTT_API int gtt_fence_merge(struct gtt_fence *const *fences, size_t count,
			    struct gtt_fence **out)
{
	struct gtt_fence **keep;
	struct merge *m;
	size_t n = 0, k = 0;
	int first_error = 0;

	if (!out || (count && !fences))
		return set_error(-EINVAL, "gtt_fence_merge: NULL argument");
	keep = mem_alloc((count ? count : 1) * sizeof(*keep));
	if (!keep)
		return set_error(-ENOMEM, "gtt_fence_merge: out of memory");
	for (size_t i = 0; i < count; i++) {
		struct gtt_fence *f = fences[i];

		if (!f)
			continue;
		if (gtt_fence_is_signaled(f)) {
			if (!first_error && f->error)
				first_error = f->error;
			continue;
		}
		keep[n++] = f;
	}
	/*
	 * Wait only for the latest fence of each non-zero context: the
	 * first k of keep[] after this loop, the older ones after them.
	 */
	qsort(keep, n, sizeof(*keep), by_context_then_latest);
	for (size_t i = 0; i < n; i++) {
		if (!keep[i]->context || !k ||
		    keep[k - 1]->context != keep[i]->context) {
			struct gtt_fence *t = keep[k];

			keep[k++] = keep[i];
			keep[i] = t;
		}
	}

	if (n == 1 && !first_error) {
		*out = gtt_fence_get(keep[0]);
		mem_free(keep);
		return 0;
	}
	m = mem_alloc(sizeof(*m) + n * sizeof(m->cbs[0]));
	if (!m) {
		mem_free(keep);
		return set_error(-ENOMEM, "gtt_fence_merge: out of memory");
	}
	fence_init(&m->fence, &merge_ops, NULL, gtt_fence_context_alloc(1), 1,
		   merge_free);
	atomic_init(&m->error, first_error);
	atomic_init(&m->pending, k + 1);	/* +1 until every callback is set */
	m->n = n;
	for (size_t i = 0; i < n; i++) {
		m->cbs[i].m = m;
		m->cbs[i].in = gtt_fence_get(keep[i]);
		m->cbs[i].counted = i < k;
	}
	mem_free(keep);
	/* Older fences first, so their errors are seen before the latest's. */
	for (size_t i = n; i-- > 0;) {
		gtt_fence_get(&m->fence);	/* dropped by the callback */
		if (gtt_fence_add_callback(m->cbs[i].in, &m->cbs[i].cb,
					   merge_input_signalled) == -ENOENT)
			merge_input_signalled(m->cbs[i].in, &m->cbs[i].cb);
	}
	if (atomic_fetch_sub(&m->pending, 1) == 1)
		gtt_fence_signal(&m->fence, atomic_load(&m->error));
	*out = &m->fence;
	return 0;
}
