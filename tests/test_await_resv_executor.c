/* SPDX-License-Identifier: MIT */
/*
 * Await sets, reservation objects and executors.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "sync/resv_internal.h"
#include "base/util.h"

struct job_record { int runs; int error; pthread_t thread; };

static void record_job(void *arg, int error)
{
	struct job_record *r = arg;

	r->runs++;
	r->error = error;
	r->thread = pthread_self();
}

static void test_await_immediate(void **state)
{
	struct job_record r = { 0 };
	struct gtt_await *aw;
	struct gtt_fence *done;

	(void)state;
	assert_int_equal(gtt_fence_create(0, 0, &done), 0);
	gtt_fence_signal(done, 0);
	assert_int_equal(gtt_await_create(NULL, record_job, &r, &aw), 0);
	assert_int_equal(gtt_await_add_fence(aw, done), 0);
	assert_int_equal(gtt_await_pending(aw), 0);
	/* Nothing pending: the job runs in the committing thread at once. */
	assert_int_equal(gtt_await_commit(aw), 1);
	assert_int_equal(r.runs, 1);
	assert_true(pthread_equal(r.thread, pthread_self()));
	gtt_await_destroy(aw);
	gtt_fence_put(done);
}

static void test_await_deferred_to_executor(void **state)
{
	struct job_record r = { 0 };
	struct gtt_executor *ex;
	struct gtt_fence *f[5];
	struct gtt_await *aw;

	(void)state;
	assert_int_equal(gtt_executor_create_manual(&ex), 0);
	assert_int_equal(gtt_await_create(ex, record_job, &r, &aw), 0);
	/* More than the inline slots, to exercise allocated ones. */
	for (int i = 0; i < 5; i++) {
		assert_int_equal(gtt_fence_create(0, 0, &f[i]), 0);
		assert_int_equal(gtt_await_add_fence(aw, f[i]), 0);
	}
	assert_int_equal(gtt_await_pending(aw), 5);
	assert_int_equal(gtt_await_commit(aw), 0);
	assert_int_equal(gtt_await_add_fence(aw, f[0]), -EINVAL);
	for (int i = 0; i < 4; i++)
		gtt_fence_signal(f[i], i == 2 ? -EIO : 0);
	assert_int_equal(gtt_executor_pending(ex), 0);
	gtt_fence_signal(f[4], -ENODEV);
	/* Queued, not run: the manual executor decides when. */
	assert_int_equal(r.runs, 0);
	assert_int_equal(gtt_executor_pending(ex), 1);
	assert_int_equal(gtt_executor_run_one(ex), 1);
	assert_int_equal(r.runs, 1);
	assert_int_equal(r.error, -EIO);	/* the first error */
	assert_int_equal(gtt_executor_run_one(ex), 0);
	gtt_await_destroy(aw);
	for (int i = 0; i < 5; i++)
		gtt_fence_put(f[i]);
	gtt_executor_destroy(ex);
}

static void test_await_oom_waits_instead(void **state)
{
	struct job_record r = { 0 };
	struct gtt_await *aw;
	struct gtt_fence *f[3];
	struct delayed d;
	pthread_t t;

	(void)state;
	assert_int_equal(gtt_await_create(NULL, record_job, &r, &aw), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(gtt_fence_create(0, 0, &f[i]), 0);
	gtt_await_add_fence(aw, f[0]);
	gtt_await_add_fence(aw, f[1]);	/* the inline slots are now full */
	/* Recording the third needs memory: make that allocation fail. */
	d = (struct delayed){ .f = f[2], .us = 20000, .error = -EIO };
	pthread_create(&t, NULL, signal_later, &d);
	mem_fail_after(1);
	assert_int_equal(gtt_await_add_fence(aw, f[2]), 0);
	assert_true(mem_fail_fired());
	mem_fail_after(0);
	/* It waited instead of dropping the dependency. */
	assert_true(gtt_fence_is_signaled(f[2]));
	pthread_join(t, NULL);
	assert_int_equal(gtt_await_pending(aw), 2);
	assert_int_equal(gtt_await_commit(aw), 0);
	gtt_fence_signal(f[0], 0);
	assert_int_equal(r.runs, 0);
	gtt_fence_signal(f[1], 0);
	assert_int_equal(r.runs, 1);		/* NULL executor: inline */
	assert_int_equal(r.error, -EIO);	/* f[2]'s error was kept */
	gtt_await_destroy(aw);
	for (int i = 0; i < 3; i++)
		gtt_fence_put(f[i]);
}

static void test_await_cancel(void **state)
{
	struct job_record r = { 0 };
	struct gtt_await *aw;
	struct gtt_fence *f;

	(void)state;
	assert_int_equal(gtt_fence_create(0, 0, &f), 0);
	assert_int_equal(gtt_await_create(NULL, record_job, &r, &aw), 0);
	gtt_await_add_fence(aw, f);
	assert_int_equal(gtt_await_cancel(aw), 0);
	/* Destroying an uncommitted set cancels it the same way. */
	assert_int_equal(gtt_await_create(NULL, record_job, &r, &aw), 0);
	gtt_await_add_fence(aw, f);
	gtt_await_destroy(aw);
	gtt_fence_signal(f, 0);
	assert_int_equal(r.runs, 0);
	gtt_fence_put(f);
	gtt_await_destroy(NULL);
	assert_int_equal(gtt_await_cancel(NULL), -EINVAL);
}

/* ---- issue #9 item 7: the handle outlives the commit ---- */

/* Every call on a committed set is refused, and changes nothing. */
static void refused_after_commit(struct gtt_await *aw, struct gtt_fence *f)
{
	assert_int_equal(gtt_await_commit(aw), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "twice"));
	assert_int_equal(gtt_await_add_fence(aw, f), -EINVAL);
	assert_int_equal(gtt_await_cancel(aw), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "committed"));
}

static void test_await_use_after_commit_inline(void **state)
{
	int64_t live = mem_live();
	struct job_record r = { 0 };
	struct gtt_await *aw;
	struct gtt_fence *f;

	(void)state;
	assert_int_equal(gtt_fence_create(0, 0, &f), 0);
	assert_int_equal(gtt_await_create(NULL, record_job, &r, &aw), 0);
	assert_int_equal(gtt_await_commit(aw), 1);	/* ran inline */
	assert_int_equal(r.runs, 1);
	refused_after_commit(aw, f);
	assert_int_equal(gtt_await_pending(aw), 0);
	gtt_await_destroy(aw);
	assert_int_equal(r.runs, 1);
	gtt_fence_put(f);
	assert_int_equal(mem_live(), live);
}

/* A set on a manual executor, committed while waiting for a pending fence. */
static struct gtt_await *commit_deferred(struct job_record *r,
					 struct gtt_executor **ex,
					 struct gtt_fence **f)
{
	struct gtt_await *aw;

	assert_int_equal(gtt_executor_create_manual(ex), 0);
	assert_int_equal(gtt_fence_create(0, 0, f), 0);
	assert_int_equal(gtt_await_create(*ex, record_job, r, &aw), 0);
	assert_int_equal(gtt_await_add_fence(aw, *f), 0);
	assert_int_equal(gtt_await_commit(aw), 0);	/* deferred */
	return aw;
}

static void finish_deferred(struct gtt_fence *f, struct gtt_executor *ex,
			    int64_t live)
{
	gtt_fence_put(f);
	gtt_executor_destroy(ex);
	assert_int_equal(mem_live(), live);	/* nothing leaked */
}

static void test_await_use_after_commit_deferred(void **state)
{
	int64_t live = mem_live();
	struct job_record r = { 0 };
	struct gtt_executor *ex;
	struct gtt_await *aw;
	struct gtt_fence *f;

	(void)state;
	aw = commit_deferred(&r, &ex, &f);
	refused_after_commit(aw, f);			/* job pending */
	assert_int_equal(gtt_await_pending(aw), 1);
	gtt_fence_signal(f, -EIO);
	assert_int_equal(gtt_executor_run_all(ex), 1);
	assert_int_equal(r.runs, 1);
	assert_int_equal(r.error, -EIO);
	refused_after_commit(aw, f);			/* job ran */
	assert_int_equal(gtt_await_pending(aw), 0);
	gtt_await_destroy(aw);
	assert_int_equal(r.runs, 1);
	finish_deferred(f, ex, live);
}

/* Destroyed after commit, before the job: the job still runs, then frees. */
static void test_await_destroy_before_job_runs(void **state)
{
	int64_t live = mem_live();
	struct job_record r = { 0 };
	struct gtt_executor *ex;
	struct gtt_await *aw;
	struct gtt_fence *f;

	(void)state;
	aw = commit_deferred(&r, &ex, &f);
	gtt_await_destroy(aw);
	assert_int_equal(r.runs, 0);
	gtt_fence_signal(f, 0);
	assert_int_equal(gtt_executor_run_all(ex), 1);
	assert_int_equal(r.runs, 1);
	finish_deferred(f, ex, live);
}

/* ---- resv ---- */

static int count_visit(void *arg, struct gtt_fence *f, enum gtt_resv_usage u)
{
	(void)f;
	(void)u;
	(*(int *)arg)++;
	return 0;
}

static void test_resv_usage_classes(void **state)
{
	struct gtt_resv *r;
	struct gtt_fence *k, *w, *rd, *bk, *merged;
	int n = 0;

	(void)state;
	assert_int_equal(gtt_resv_create(&r), 0);
	gtt_fence_create(0, 0, &k);
	gtt_fence_create(0, 0, &w);
	gtt_fence_create(0, 0, &rd);
	gtt_fence_create(0, 0, &bk);
	assert_int_equal(gtt_resv_add(r, k, GTT_RESV_KERNEL), 0);
	assert_int_equal(gtt_resv_add(r, w, GTT_RESV_WRITE), 0);
	assert_int_equal(gtt_resv_add(r, rd, GTT_RESV_READ), 0);
	assert_int_equal(gtt_resv_add(r, bk, GTT_RESV_BOOKKEEP), 0);
	assert_int_equal(gtt_resv_count(r, GTT_RESV_KERNEL), 1);
	assert_int_equal(gtt_resv_count(r, GTT_RESV_WRITE), 2);
	assert_int_equal(gtt_resv_count(r, GTT_RESV_READ), 3);
	assert_int_equal(gtt_resv_count(r, GTT_RESV_BOOKKEEP), 4);
	assert_int_equal(gtt_resv_for_each(r, GTT_RESV_READ, count_visit, &n), 0);
	assert_int_equal(n, 3);
	/* Waiting for WRITE ignores the read and bookkeeping fences. */
	gtt_fence_signal(k, 0);
	gtt_fence_signal(w, 0);
	assert_int_equal(gtt_resv_wait(r, GTT_RESV_WRITE, 0), 0);
	assert_int_equal(gtt_resv_wait(r, GTT_RESV_READ, 1000), -ETIME);
	assert_int_equal(gtt_resv_merged(r, GTT_RESV_BOOKKEEP, &merged), 0);
	assert_false(gtt_fence_is_signaled(merged));
	gtt_fence_signal(rd, 0);
	assert_false(gtt_fence_is_signaled(merged));
	gtt_fence_signal(bk, 0);
	assert_true(gtt_fence_is_signaled(merged));
	assert_int_equal(gtt_resv_prune(r), 4);
	assert_int_equal(gtt_resv_count(r, GTT_RESV_BOOKKEEP), 0);
	assert_int_equal(gtt_resv_add(r, k, (enum gtt_resv_usage)9), -EINVAL);
	gtt_fence_put(merged);
	gtt_fence_put(k);
	gtt_fence_put(w);
	gtt_fence_put(rd);
	gtt_fence_put(bk);
	gtt_resv_destroy(r);
}

static void test_resv_replaces_same_context(void **state)
{
	uint64_t ctx = gtt_fence_context_alloc(1);
	struct gtt_fence *f1, *f2, *f3;
	struct gtt_resv *r;

	(void)state;
	gtt_resv_create(&r);
	gtt_fence_create(ctx, 1, &f1);
	gtt_fence_create(ctx, 2, &f2);
	gtt_fence_create(ctx, 3, &f3);
	gtt_resv_add(r, f1, GTT_RESV_READ);
	gtt_resv_add(r, f2, GTT_RESV_READ);	/* replaces f1 */
	assert_int_equal(gtt_resv_count(r, GTT_RESV_BOOKKEEP), 1);
	gtt_resv_add(r, f3, GTT_RESV_WRITE);	/* stronger usage: replaces too */
	assert_int_equal(gtt_resv_count(r, GTT_RESV_BOOKKEEP), 1);
	assert_int_equal(gtt_resv_count(r, GTT_RESV_WRITE), 1);
	gtt_resv_add(r, f2, GTT_RESV_READ);	/* weaker usage: kept beside */
	assert_int_equal(gtt_resv_count(r, GTT_RESV_BOOKKEEP), 2);
	gtt_fence_put(f1);
	gtt_fence_put(f2);
	gtt_fence_put(f3);
	gtt_resv_destroy(r);
}

/* ---- issue #9 items 20, 21: bounded, counted reservations ---- */

static void test_resv_reserve_bounded(void **state)
{
	int64_t live = mem_live();
	struct gtt_resv *r;
	struct gtt_fence *f;

	(void)state;
	assert_int_equal(gtt_resv_create(&r), 0);
	assert_int_equal(gtt_fence_create(0, 0, &f), 0);
	assert_int_equal(gtt_resv_reserve(r, UINT_MAX), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "gtt_resv_reserve"));
	assert_int_equal(gtt_resv_reserve(r, GTT_RESV_MAX_FENCES + 1), -EINVAL);
	/* Nothing changed: the resv still works. */
	assert_int_equal(gtt_resv_add(r, f, GTT_RESV_READ), 0);
	assert_int_equal(gtt_resv_count(r, GTT_RESV_BOOKKEEP), 1);
	/* Within the bound per call, but not in total. */
	assert_int_equal(gtt_resv_reserve(r, GTT_RESV_MAX_FENCES), -ENOMEM);
	assert_non_null(strstr(gtt_last_error(), "gtt_resv_reserve"));
	assert_int_equal(gtt_resv_reserve(r, GTT_RESV_MAX_FENCES - 1), 0);
	assert_int_equal(gtt_resv_reserve(r, 1), -ENOMEM);
	gtt_fence_signal(f, 0);
	gtt_fence_put(f);
	gtt_resv_destroy(r);
	assert_int_equal(mem_live(), live);
}

#define OWNER_FENCES 64

/*
 * Owner B adds pending fences with every allocation failing until the resv
 * is full (-ENOMEM, resv intact).  Return: how many it added.
 */
static size_t fill_without_memory(struct gtt_resv *r, struct gtt_fence **fb)
{
	size_t before = gtt_resv_count(r, GTT_RESV_BOOKKEEP), n;
	int rc = 0;

	for (n = 0; n < OWNER_FENCES; n++) {
		mem_fail_after(1);
		rc = gtt_resv_add(r, fb[n], GTT_RESV_READ);
		if (rc)
			break;
	}
	mem_fail_after(0);
	assert_int_equal(rc, -ENOMEM);
	assert_int_equal(gtt_resv_count(r, GTT_RESV_BOOKKEEP), before + n);
	return n;
}

static void owner_fences(struct gtt_fence **f, size_t n, uint64_t ctx)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(gtt_fence_create(ctx, 1, &f[i]), 0);
}

static void drop_owner_fences(struct gtt_fence **f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		gtt_fence_signal(f[i], 0);
		gtt_fence_put(f[i]);
	}
}

static void test_resv_reservation_not_taken_by_other_owner(void **state)
{
	uint64_t ctx = gtt_fence_context_alloc(1);
	struct gtt_fence *fb[OWNER_FENCES], *fa[2];
	int64_t live = mem_live();
	struct gtt_resv *r;
	size_t n;

	(void)state;
	owner_fences(fb, OWNER_FENCES, 0);
	assert_int_equal(gtt_fence_create(ctx, 1, &fa[0]), 0);
	assert_int_equal(gtt_fence_create(ctx, 2, &fa[1]), 0);
	assert_int_equal(gtt_resv_create(&r), 0);
	/* Owner A reserves one slot; owner B then fills everything else. */
	assert_int_equal(resv_reserve(r), 0);
	n = fill_without_memory(r, fb);
	/* A's add needs no memory: its slot is still there. */
	mem_fail_after(1);
	resv_add_reserved(r, fa[0], GTT_RESV_BOOKKEEP);
	assert_false(mem_fail_fired());
	assert_int_equal(gtt_resv_count(r, GTT_RESV_BOOKKEEP), n + 1);
	/* A later fence of A's context replaces it in place. */
	assert_int_equal(resv_reserve(r), -ENOMEM);	/* full, no memory */
	mem_fail_after(0);
	assert_int_equal(resv_reserve(r), 0);
	mem_fail_after(1);
	resv_add_reserved(r, fa[1], GTT_RESV_BOOKKEEP);
	assert_false(mem_fail_fired());
	mem_fail_after(0);
	assert_int_equal(gtt_resv_count(r, GTT_RESV_BOOKKEEP), n + 1);
	gtt_resv_destroy(r);
	drop_owner_fences(fb, OWNER_FENCES);
	drop_owner_fences(fa, 2);
	assert_int_equal(mem_live(), live);
}

/* An application's reservations are used by its own adds, without memory,
 * and never pile up. */
static void test_resv_public_reservation_used_by_add(void **state)
{
	struct gtt_fence *f[3];
	struct gtt_resv *r;

	(void)state;
	owner_fences(f, 3, 0);
	assert_int_equal(gtt_resv_create(&r), 0);
	assert_int_equal(gtt_resv_reserve(r, 3), 0);
	mem_fail_after(1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(gtt_resv_add(r, f[i], GTT_RESV_READ), 0);
	assert_false(mem_fail_fired());
	mem_fail_after(0);
	assert_int_equal(gtt_resv_count(r, GTT_RESV_BOOKKEEP), 3);
	/* A replacing add consumes its reservation too: no leak over time. */
	struct gtt_fence *t;

	assert_int_equal(gtt_fence_create(gtt_fence_context_alloc(1), 1, &t), 0);
	for (int i = 0; i < 70000; i++) {
		assert_int_equal(gtt_resv_reserve(r, 1), 0);
		assert_int_equal(gtt_resv_add(r, t, GTT_RESV_READ), 0);
	}
	assert_int_equal(gtt_resv_count(r, GTT_RESV_BOOKKEEP), 4);
	gtt_resv_destroy(r);
	drop_owner_fences(f, 3);
	drop_owner_fences(&t, 1);
}

static void test_resv_unreserve_returns_slots(void **state)
{
	struct gtt_fence *fb[OWNER_FENCES];
	struct gtt_resv *r;
	size_t with, without;

	(void)state;
	owner_fences(fb, OWNER_FENCES, 0);
	assert_int_equal(gtt_resv_create(&r), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(resv_reserve(r), 0);
	with = fill_without_memory(r, fb);
	resv_unreserve(r, 3);
	without = fill_without_memory(r, fb + with);
	assert_int_equal(without, 3);		/* exactly the returned slots */
	resv_unreserve(r, 5);			/* more than reserved: ignored */
	assert_int_equal(fill_without_memory(r, fb + with + 3), 0);
	gtt_resv_destroy(r);
	drop_owner_fences(fb, OWNER_FENCES);
}

/*
 * Two threads share a resv, with allocations failing: A reserves a slot and
 * then adds into it; B adds pending fences of its own, each needing a slot.
 */
#define SHARED_ROUNDS 400

struct resv_owners {
	struct gtt_resv *r;
	uint64_t ctx_a;
	struct gtt_fence *fa[SHARED_ROUNDS], *fb[SHARED_ROUNDS];
	_Atomic int a_reserved, a_failed, b_failed;
};

static void *owner_a(void *p)
{
	struct resv_owners *o = p;

	for (int i = 0; i < SHARED_ROUNDS; i++) {
		mem_fail_after(1 + (unsigned int)i % 3);
		if (resv_reserve(o->r)) {
			atomic_fetch_add(&o->a_failed, 1);
			continue;
		}
		resv_add_reserved(o->r, o->fa[i], GTT_RESV_BOOKKEEP);
		atomic_fetch_add(&o->a_reserved, 1);
	}
	return NULL;
}

static void *owner_b(void *p)
{
	struct resv_owners *o = p;

	for (int i = 0; i < SHARED_ROUNDS; i++) {
		mem_fail_after(1);
		if (gtt_resv_add(o->r, o->fb[i], GTT_RESV_READ))
			atomic_fetch_add(&o->b_failed, 1);
	}
	return NULL;
}

static int count_owner_a(void *arg, struct gtt_fence *f, enum gtt_resv_usage u)
{
	struct resv_owners *o = arg;

	(void)u;
	if (gtt_fence_context(f) >= o->ctx_a &&
	    gtt_fence_context(f) < o->ctx_a + SHARED_ROUNDS)
		atomic_fetch_sub(&o->a_reserved, 1);
	return 0;
}

static void test_resv_shared_by_two_threads(void **state)
{
	static struct resv_owners o;
	int64_t live = mem_live();
	pthread_t ta, tb;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.ctx_a = gtt_fence_context_alloc(SHARED_ROUNDS);
	for (int i = 0; i < SHARED_ROUNDS; i++)
		assert_int_equal(gtt_fence_create(o.ctx_a + (uint64_t)i, 1, &o.fa[i]), 0);
	owner_fences(o.fb, SHARED_ROUNDS, 0);
	assert_int_equal(gtt_resv_create(&o.r), 0);
	pthread_create(&ta, NULL, owner_a, &o);
	pthread_create(&tb, NULL, owner_b, &o);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	mem_fail_after(0);
	assert_true(atomic_load(&o.a_reserved) > 0);
	/* Memory did run out on the way. */
	assert_true(atomic_load(&o.a_failed) + atomic_load(&o.b_failed) > 0);
	/* Every fence A reserved a slot for is in the resv (A's stay pending). */
	assert_int_equal(gtt_resv_for_each(o.r, GTT_RESV_BOOKKEEP, count_owner_a, &o), 0);
	assert_int_equal(atomic_load(&o.a_reserved), 0);
	gtt_resv_destroy(o.r);
	drop_owner_fences(o.fa, SHARED_ROUNDS);
	drop_owner_fences(o.fb, SHARED_ROUNDS);
	assert_int_equal(mem_live(), live);
}

/* ---- executor ---- */

struct ordered { int seq[8]; int n; pthread_mutex_t lock; };

static void append(void *arg)
{
	struct ordered *o = arg;

	pthread_mutex_lock(&o->lock);
	o->seq[o->n] = o->n;
	o->n++;
	pthread_mutex_unlock(&o->lock);
}

struct chain { struct gtt_executor *ex; int left; int ran; };

static void requeue(void *arg)
{
	struct chain *c = arg;

	c->ran++;
	if (--c->left > 0)
		gtt_executor_submit(c->ex, requeue, c);
}

static void test_executor_manual(void **state)
{
	struct gtt_executor *ex;
	struct chain c;

	(void)state;
	assert_int_equal(gtt_executor_create_manual(&ex), 0);
	c = (struct chain){ .ex = ex, .left = 5 };
	gtt_executor_submit(ex, requeue, &c);
	assert_int_equal(c.ran, 0);
	assert_int_equal(gtt_executor_run_one(ex), 1);
	assert_int_equal(c.ran, 1);
	/* run_all also runs what the jobs queue. */
	assert_int_equal(gtt_executor_run_all(ex), 4);
	assert_int_equal(c.ran, 5);
	assert_int_equal(gtt_executor_run_all(ex), 0);
	/* destroy runs leftovers */
	c = (struct chain){ .ex = ex, .left = 3 };
	gtt_executor_submit(ex, requeue, &c);
	gtt_executor_destroy(ex);
	assert_int_equal(c.ran, 3);
}

static void test_executor_pool(void **state)
{
	struct ordered o = { .n = 0 };
	struct gtt_executor *ex;

	(void)state;
	pthread_mutex_init(&o.lock, NULL);
	assert_int_equal(gtt_executor_create_pool(3, &ex), 0);
	assert_int_equal(gtt_executor_run_one(ex), -EINVAL);
	for (int i = 0; i < 8; i++)
		assert_int_equal(gtt_executor_submit(ex, append, &o), 0);
	gtt_executor_destroy(ex);	/* finishes the queue */
	assert_int_equal(o.n, 8);
	pthread_mutex_destroy(&o.lock);
	assert_int_equal(gtt_executor_create_pool(0, &ex), -EINVAL);
	assert_int_equal(gtt_executor_submit(NULL, append, &o), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_await_immediate),
		cmocka_unit_test(test_await_deferred_to_executor),
		cmocka_unit_test(test_await_oom_waits_instead),
		cmocka_unit_test(test_await_cancel),
		cmocka_unit_test(test_await_use_after_commit_inline),
		cmocka_unit_test(test_await_use_after_commit_deferred),
		cmocka_unit_test(test_await_destroy_before_job_runs),
		cmocka_unit_test(test_resv_usage_classes),
		cmocka_unit_test(test_resv_replaces_same_context),
		cmocka_unit_test(test_resv_reserve_bounded),
		cmocka_unit_test(test_resv_reservation_not_taken_by_other_owner),
		cmocka_unit_test(test_resv_public_reservation_used_by_add),
		cmocka_unit_test(test_resv_unreserve_returns_slots),
		cmocka_unit_test(test_resv_shared_by_two_threads),
		cmocka_unit_test(test_executor_manual),
		cmocka_unit_test(test_executor_pool),
	};

	return cmocka_run_group_tests_name("await_resv_executor", tests, NULL, NULL);
}
