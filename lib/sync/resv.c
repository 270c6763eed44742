/* SPDX-License-Identifier: MIT */
/*
 * Reservation objects: see gtt/resv.h.
 *
 * A small array of (fence, usage) slots under a mutex.  Adding reuses the
 * slot of a signalled fence or of an older fence of the same context whose
 * usage is not stronger, so the array tracks live work, not history.
 *
 * Reservations are counted in two pools, and count + both <= capacity,
 * always: `reserved` for callers of gtt_resv_reserve(), whose next
 * gtt_resv_add() calls use them, and `reserved_lib` for the library's own
 * resv_reserve() + resv_add_reserved() pairs, which an application's add can
 * never take.  Each add consumes one reservation of its pool, if any, also
 * when its fence replaces another in place.
 */
#include <pthread.h>

#include <gtt/resv.h>

#include "fence_internal.h"
#include "resv_internal.h"
#include "base/util.h"

struct resv_slot {
	struct gtt_fence *fence;
	enum gtt_resv_usage usage;
};

struct gtt_resv {
	pthread_mutex_t lock;
	struct resv_slot *slots;
	size_t count;		/* slots in use */
	size_t capacity;	/* slots allocated, <= GTT_RESV_MAX_FENCES */
	size_t reserved;	/* promised to gtt_resv_reserve() callers */
	size_t reserved_lib;	/* promised to resv_reserve() (the library) */
};

GTT_API int gtt_resv_create(struct gtt_resv **out)
{
	struct gtt_resv *r;

	if (!out)
		return set_error(-EINVAL, "gtt_resv_create: out is NULL");
	r = mem_zalloc(sizeof(*r));
	if (!r)
		return set_error(-ENOMEM, "gtt_resv_create: out of memory");
	pthread_mutex_init(&r->lock, NULL);
	*out = r;
	return 0;
}

GTT_API void gtt_resv_destroy(struct gtt_resv *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->count; i++)
		gtt_fence_put(r->slots[i].fence);
	mem_free(r->slots);
	pthread_mutex_destroy(&r->lock);
	mem_free(r);
}

/*
 * Make sure @n slots are free beyond the reserved ones.  Return: 0,
 * -ENOSPC (the limit), -ENOMEM.
 */
static int make_room_locked(struct gtt_resv *r, size_t n)
{
	size_t need = r->count + r->reserved + r->reserved_lib + n;
	struct resv_slot *s;
	size_t want;

	if (need <= r->capacity)
		return 0;
	if (need > GTT_RESV_MAX_FENCES)
		return -ENOSPC;
	want = r->capacity ? r->capacity * 2 : 4;
	while (want < need)
		want *= 2;
	if (want > GTT_RESV_MAX_FENCES)
		want = GTT_RESV_MAX_FENCES;
	s = mem_realloc(r->slots, want * sizeof(*s));
	if (!s)
		return -ENOMEM;
	r->slots = s;
	r->capacity = want;
	return 0;
}

GTT_API int gtt_resv_reserve(struct gtt_resv *r, unsigned int n)
{
	int err;

	if (!r)
		return set_error(-EINVAL, "gtt_resv_reserve: resv is NULL");
	if (n > GTT_RESV_MAX_FENCES)
		return set_error(-EINVAL, "gtt_resv_reserve: %u slots is more than a resv holds (%u)",
				 n, GTT_RESV_MAX_FENCES);
	pthread_mutex_lock(&r->lock);
	err = make_room_locked(r, n);
	if (!err)
		r->reserved += n;
	pthread_mutex_unlock(&r->lock);
	if (err == -ENOSPC)
		return set_error(-ENOMEM, "gtt_resv_reserve: %u more slots would exceed the limit of %u fences",
				 n, GTT_RESV_MAX_FENCES);
	return err ? set_error(err, "gtt_resv_reserve: out of memory") : 0;
}

int resv_reserve(struct gtt_resv *r)
{
	int err;

	pthread_mutex_lock(&r->lock);
	err = make_room_locked(r, 1);
	if (!err)
		r->reserved_lib++;
	pthread_mutex_unlock(&r->lock);
	if (err == -ENOSPC)
		return set_error(-ENOMEM, "resv: the resv already holds its limit of %u fences",
				 GTT_RESV_MAX_FENCES);
	return err ? set_error(err, "resv: out of memory reserving a slot") : 0;
}

void resv_unreserve(struct gtt_resv *r, unsigned int n)
{
	pthread_mutex_lock(&r->lock);
	r->reserved_lib -= n < r->reserved_lib ? n : r->reserved_lib;
	pthread_mutex_unlock(&r->lock);
}

static bool valid_usage(enum gtt_resv_usage u)
{
	return (unsigned int)u <= GTT_RESV_BOOKKEEP;
}

/* The slot @f may take over: a signalled fence's, or an older one's of its context. */
static struct resv_slot *replaceable_locked(struct gtt_resv *r,
					    struct gtt_fence *f,
					    enum gtt_resv_usage usage)
{
	for (size_t i = 0; i < r->count; i++) {
		struct resv_slot *s = &r->slots[i];

		if (gtt_fence_is_signaled(s->fence) ||
		    (f->context && s->fence->context == f->context &&
		     s->usage >= usage && !gtt_fence_is_later(s->fence, f)))
			return s;
	}
	return NULL;
}

/* Put @f in @slot, or in a new slot when @slot is NULL (room was made). */
static void store_locked(struct gtt_resv *r, struct resv_slot *slot,
			 struct gtt_fence *f, enum gtt_resv_usage usage)
{
	if (slot)
		gtt_fence_put(slot->fence);
	else
		slot = &r->slots[r->count++];
	slot->fence = gtt_fence_get(f);
	slot->usage = usage;
}

GTT_API int gtt_resv_add(struct gtt_resv *r, struct gtt_fence *f,
			 enum gtt_resv_usage usage)
{
	struct resv_slot *slot;
	int err = 0;

	if (!r || !f || !valid_usage(usage))
		return set_error(-EINVAL, "gtt_resv_add: NULL argument or unknown usage");
	pthread_mutex_lock(&r->lock);
	slot = replaceable_locked(r, f, usage);
	if (r->reserved)
		r->reserved--;		/* the caller's reservation: room for it */
	else if (!slot)
		err = make_room_locked(r, 1);	/* never into a reserved slot */
	if (!err)
		store_locked(r, slot, f, usage);
	pthread_mutex_unlock(&r->lock);
	if (err == -ENOSPC)
		return set_error(-ENOMEM, "gtt_resv_add: the resv already holds its limit of %u fences",
				 GTT_RESV_MAX_FENCES);
	return err ? set_error(err, "gtt_resv_add: out of memory") : 0;
}

void resv_add_reserved(struct gtt_resv *r, struct gtt_fence *f,
		       enum gtt_resv_usage usage)
{
	struct resv_slot *slot;

	pthread_mutex_lock(&r->lock);
	/* The caller's slot: free again if @f replaces a fence in place. */
	if (r->reserved_lib)
		r->reserved_lib--;
	slot = replaceable_locked(r, f, usage);
	/* Without a reservation of its own the caller may find no room. */
	if (slot || r->count < r->capacity)
		store_locked(r, slot, f, usage);
	pthread_mutex_unlock(&r->lock);
}

/* Snapshot the unsignalled fences of class <= usage, with references. */
static int snapshot(struct gtt_resv *r, enum gtt_resv_usage usage,
		    struct gtt_fence ***out, enum gtt_resv_usage **usages,
		    size_t *n)
{
	struct gtt_fence **fs;
	enum gtt_resv_usage *us = NULL;
	size_t k = 0;

	pthread_mutex_lock(&r->lock);
	fs = mem_alloc((r->count ? r->count : 1) * sizeof(*fs));
	if (fs && usages)
		us = mem_alloc((r->count ? r->count : 1) * sizeof(*us));
	if (!fs || (usages && !us)) {
		pthread_mutex_unlock(&r->lock);
		mem_free(fs);
		return -ENOMEM;
	}
	for (size_t i = 0; i < r->count; i++) {
		struct resv_slot *s = &r->slots[i];

		if (s->usage > usage || gtt_fence_is_signaled(s->fence))
			continue;
		if (us)
			us[k] = s->usage;
		fs[k++] = gtt_fence_get(s->fence);
	}
	pthread_mutex_unlock(&r->lock);
	*out = fs;
	if (usages)
		*usages = us;
	*n = k;
	return 0;
}

static void drop_snapshot(struct gtt_fence **fs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		gtt_fence_put(fs[i]);
	mem_free(fs);
}

GTT_API int gtt_resv_for_each(struct gtt_resv *r, enum gtt_resv_usage usage,
			      gtt_resv_visit_fn fn, void *arg)
{
	struct gtt_fence **fs;
	enum gtt_resv_usage *us;
	size_t n;
	int ret = 0;

	if (!r || !fn || !valid_usage(usage))
		return set_error(-EINVAL, "gtt_resv_for_each: NULL argument or unknown usage");
	if (snapshot(r, usage, &fs, &us, &n))
		return set_error(-ENOMEM, "gtt_resv_for_each: out of memory");
	for (size_t i = 0; i < n && !ret; i++)
		ret = fn(arg, fs[i], us[i]);
	drop_snapshot(fs, n);
	mem_free(us);
	return ret;
}

GTT_API size_t gtt_resv_count(struct gtt_resv *r, enum gtt_resv_usage usage)
{
	size_t n = 0;

	if (!r)
		return 0;
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->count; i++)
		n += r->slots[i].usage <= usage &&
		     !gtt_fence_is_signaled(r->slots[i].fence);
	pthread_mutex_unlock(&r->lock);
	return n;
}

GTT_API int gtt_resv_wait(struct gtt_resv *r, enum gtt_resv_usage usage,
			  int64_t timeout_ns)
{
	struct gtt_fence **fs;
	uint64_t deadline;
	size_t n;
	int ret = 0;

	if (!r || !valid_usage(usage))
		return set_error(-EINVAL, "gtt_resv_wait: NULL resv or unknown usage");
	deadline = deadline_from_timeout(timeout_ns);
	if (snapshot(r, usage, &fs, NULL, &n))
		return set_error(-ENOMEM, "gtt_resv_wait: out of memory");
	for (size_t i = 0; i < n && !ret; i++) {
		int64_t left = -1;

		if (deadline != UINT64_MAX) {
			uint64_t now = now_ns();

			left = now >= deadline ? 0 : (int64_t)(deadline - now);
		}
		ret = gtt_fence_wait(fs[i], left);
	}
	drop_snapshot(fs, n);
	return ret;
}

GTT_API int gtt_resv_merged(struct gtt_resv *r, enum gtt_resv_usage usage,
			    struct gtt_fence **out)
{
	struct gtt_fence **fs;
	size_t n;
	int ret;

	if (!r || !out || !valid_usage(usage))
		return set_error(-EINVAL, "gtt_resv_merged: NULL argument or unknown usage");
	if (snapshot(r, usage, &fs, NULL, &n))
		return set_error(-ENOMEM, "gtt_resv_merged: out of memory");
	ret = gtt_fence_merge(fs, n, out);
	drop_snapshot(fs, n);
	return ret;
}

GTT_API size_t gtt_resv_prune(struct gtt_resv *r)
{
	size_t k = 0, dropped;

	if (!r)
		return 0;
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->count; i++) {
		if (gtt_fence_is_signaled(r->slots[i].fence))
			gtt_fence_put(r->slots[i].fence);
		else
			r->slots[k++] = r->slots[i];
	}
	dropped = r->count - k;
	r->count = k;
	pthread_mutex_unlock(&r->lock);
	return dropped;
}

