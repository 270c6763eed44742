/* SPDX-License-Identifier: MIT */
/*
 * Await sets: see gtt/await.h.
 *
 * `pending` counts unsignalled dependencies plus one for the committer.
 * Each dependency callback decrements it; commit drops the committer's one.
 * Whoever takes it to zero fires the job: inline for the committer (nothing
 * was pending, no executor hop), through the executor for a callback.
 */
#include "await_internal.h"

void await_init(struct await *aw, struct gtt_executor *ex,
		void (*fn)(struct await *aw, int error))
{
	atomic_init(&aw->pending, 1);
	atomic_init(&aw->error, 0);
	aw->ex = ex;
	aw->fn = fn;
	aw->inline_used = 0;
	aw->extra = NULL;
	aw->spare = NULL;
	aw->nspare = 0;
	aw->oom_waits = 0;
	aw->committed = false;
	aw->pass = NULL;
	aw->passed = NULL;
	aw->npassed = 0;
	aw->passcap = 0;
}

void await_set_passer(struct await *aw, const struct await_passer *p)
{
	aw->pass = p;
}

struct gtt_fence *const *await_passed(const struct await *aw, size_t *count)
{
	*count = aw->npassed;
	return aw->passed;
}

/* Room for @n more handed-on fences. */
static int passed_reserve(struct await *aw, unsigned int n)
{
	struct gtt_fence **grown;

	if (aw->passcap - aw->npassed >= n)
		return 0;
	grown = mem_realloc(aw->passed, ((size_t)aw->npassed + n) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	aw->passed = grown;
	aw->passcap = aw->npassed + n;
	return 0;
}

/* Hand @f on if the passer takes it and there is room (then true). */
static bool pass_on(struct await *aw, struct gtt_fence *f)
{
	struct gtt_fence *k = aw->pass ? fence_kernel(f) : NULL;

	if (!k || !aw->pass->fn(aw->pass, k) || passed_reserve(aw, 1))
		return false;
	aw->passed[aw->npassed++] = gtt_fence_get(k);
	return true;
}

static void passed_release(struct await *aw)
{
	for (unsigned int i = 0; i < aw->npassed; i++)
		gtt_fence_put(aw->passed[i]);
	mem_free(aw->passed);
	aw->passed = NULL;
	aw->npassed = aw->passcap = 0;
}

static void note_error(struct await *aw, int err)
{
	int32_t zero = 0;

	if (err < 0)
		atomic_compare_exchange_strong(&aw->error, &zero, err);
}

static void run_job(struct exec_job *job)
{
	struct await *aw = container_of(job, struct await, job);

	aw->fn(aw, atomic_load(&aw->error));
}

static void dep_signalled(struct gtt_fence *f, struct gtt_fence_cb *cb)
{
	struct await_slot *s = container_of(cb, struct await_slot, cb);
	struct await *aw = s->aw;

	if (!s->order_only)
		note_error(aw, f->error);
	if (atomic_fetch_sub(&aw->pending, 1) == 1) {
		aw->job.run = run_job;
		executor_queue(aw->ex, &aw->job);
	}
}

static void release_slot(struct await *aw, struct await_slot *s)
{
	gtt_fence_put(s->fence);
	if (s >= aw->inline_slots && s < aw->inline_slots + AWAIT_INLINE_SLOTS)
		aw->inline_used--;
	else
		mem_free(s);
}

int await_reserve(struct await *aw, unsigned int n)
{
	/* Any of them may be handed on instead of taking a slot. */
	if (aw->pass && passed_reserve(aw, n))
		return -ENOMEM;
	while (AWAIT_INLINE_SLOTS - aw->inline_used + aw->nspare < n) {
		struct await_slot *s = mem_alloc(sizeof(*s));

		if (!s)
			return -ENOMEM;
		s->next = aw->spare;
		aw->spare = s;
		aw->nspare++;
	}
	return 0;
}

static void add(struct await *aw, struct gtt_fence *f, bool order_only)
{
	struct await_slot *s;

	if (gtt_fence_is_signaled(f)) {
		if (!order_only)
			note_error(aw, f->error);
		return;
	}
	/* The backend waits for it: its error is the backend's to judge. */
	if (pass_on(aw, f))
		return;
	if (aw->inline_used < AWAIT_INLINE_SLOTS) {
		s = &aw->inline_slots[aw->inline_used++];
	} else {
		s = aw->spare;
		if (s) {
			aw->spare = s->next;
			aw->nspare--;
		} else if (!(s = mem_alloc(sizeof(*s)))) {
			/* Cannot record it: keep the ordering by waiting now. */
			aw->oom_waits++;
			executor_wait_fence(aw->ex, f);
			if (!order_only)
				note_error(aw, f->error);
			return;
		}
		s->next = aw->extra;
		aw->extra = s;
	}
	s->aw = aw;
	s->fence = gtt_fence_get(f);
	s->order_only = order_only;
	atomic_fetch_add(&aw->pending, 1);
	if (gtt_fence_add_callback(f, &s->cb, dep_signalled) == -ENOENT) {
		atomic_fetch_sub(&aw->pending, 1);
		if (!order_only)
			note_error(aw, f->error);
		if (aw->extra == s)
			aw->extra = s->next;
		release_slot(aw, s);
	}
}

void await_add(struct await *aw, struct gtt_fence *f)
{
	add(aw, f, false);
}

void await_add_order(struct await *aw, struct gtt_fence *f)
{
	add(aw, f, true);
}

bool await_commit(struct await *aw)
{
	aw->committed = true;
	if (atomic_fetch_sub(&aw->pending, 1) != 1)
		return false;
	aw->fn(aw, atomic_load(&aw->error));
	return true;
}

static void for_each_slot(struct await *aw, void (*fn)(struct await *, struct await_slot *))
{
	struct await_slot *s, *next;
	unsigned int n = aw->inline_used;

	for (s = aw->spare; s; s = next) {
		next = s->next;
		mem_free(s);
	}
	aw->spare = NULL;
	aw->nspare = 0;
	for (s = aw->extra; s; s = next) {
		next = s->next;
		fn(aw, s);
	}
	aw->extra = NULL;
	for (unsigned int i = n; i-- > 0;)
		fn(aw, &aw->inline_slots[i]);
}

static void cancel_slot(struct await *aw, struct await_slot *s)
{
	gtt_fence_remove_callback(s->fence, &s->cb);
	release_slot(aw, s);
}

void await_cancel(struct await *aw)
{
	for_each_slot(aw, cancel_slot);
	passed_release(aw);
}

void await_fini(struct await *aw)
{
	for_each_slot(aw, release_slot);
	passed_release(aw);
}

/* ---- public wrapper ---- */

/*
 * The caller's reference (dropped by gtt_await_destroy()) and, from commit
 * until the job ran, the job's: the set outlives both, so every call the
 * caller makes before destroying it is safe.
 */
struct gtt_await {
	struct await aw;
	gtt_await_fn fn;
	void *arg;
	_Atomic int32_t refs;
};

static void public_put(struct gtt_await *pub)
{
	if (atomic_fetch_sub_explicit(&pub->refs, 1, memory_order_acq_rel) == 1)
		mem_free(pub);
}

static void public_job(struct await *aw, int error)
{
	struct gtt_await *pub = container_of(aw, struct gtt_await, aw);

	pub->fn(pub->arg, error);
	await_fini(aw);
	public_put(pub);
}

GTT_API int gtt_await_create(struct gtt_executor *ex, gtt_await_fn fn,
			     void *arg, struct gtt_await **out)
{
	struct gtt_await *pub;

	if (!fn || !out)
		return set_error(-EINVAL, "gtt_await_create: fn or out is NULL");
	pub = mem_alloc(sizeof(*pub));
	if (!pub)
		return set_error(-ENOMEM, "gtt_await_create: out of memory");
	await_init(&pub->aw, ex, public_job);
	pub->fn = fn;
	pub->arg = arg;
	atomic_init(&pub->refs, 1);
	*out = pub;
	return 0;
}

GTT_API int gtt_await_add_fence(struct gtt_await *pub, struct gtt_fence *f)
{
	if (!pub || !f)
		return set_error(-EINVAL, "gtt_await_add_fence: NULL argument");
	if (pub->aw.committed)
		return set_error(-EINVAL, "gtt_await_add_fence: the set was already committed");
	await_add(&pub->aw, f);
	return 0;
}

GTT_API size_t gtt_await_pending(const struct gtt_await *pub)
{
	int32_t p;

	if (!pub)
		return 0;
	p = atomic_load(&pub->aw.pending) - (pub->aw.committed ? 0 : 1);
	return p > 0 ? (size_t)p : 0;
}

GTT_API int gtt_await_commit(struct gtt_await *pub)
{
	if (!pub)
		return set_error(-EINVAL, "gtt_await_commit: set is NULL");
	if (pub->aw.committed)
		return set_error(-EINVAL, "gtt_await_commit: committed twice");
	atomic_fetch_add_explicit(&pub->refs, 1, memory_order_relaxed);
	return await_commit(&pub->aw) ? 1 : 0;
}

GTT_API int gtt_await_cancel(struct gtt_await *pub)
{
	if (!pub)
		return set_error(-EINVAL, "gtt_await_cancel: set is NULL");
	if (pub->aw.committed)
		return set_error(-EINVAL, "gtt_await_cancel: the set was already committed; its job will run (release it with gtt_await_destroy)");
	await_cancel(&pub->aw);
	mem_free(pub);
	return 0;
}

GTT_API void gtt_await_destroy(struct gtt_await *pub)
{
	if (!pub)
		return;
	if (!pub->aw.committed)
		gtt_await_cancel(pub);
	else
		public_put(pub);
}
