/* SPDX-License-Identifier: MIT */
/*
 * Fences: signal, status, wait with timeouts, cross-thread wake-up,
 * callbacks (once, at signal, removal), custom ops, merge semantics.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "base/util.h"

static void test_signal_status_wait(void **state)
{
	struct gtt_fence *f;

	(void)state;
	assert_int_equal(gtt_fence_create(7, 3, &f), 0);
	assert_false(gtt_fence_is_signaled(f));
	assert_int_equal(gtt_fence_status(f), 0);
	assert_int_equal(gtt_fence_timestamp(f), 0);
	assert_int_equal(gtt_fence_wait(f, 0), -ETIME);
	assert_int_equal(gtt_fence_wait(f, 1000000), -ETIME);	/* 1 ms */
	assert_int_equal(gtt_fence_signal(f, -EIO), 0);
	assert_true(gtt_fence_is_signaled(f));
	assert_int_equal(gtt_fence_status(f), -EIO);
	assert_true(gtt_fence_timestamp(f) > 0);
	assert_int_equal(gtt_fence_wait(f, -1), 0);
	/* One-shot: a second signal changes nothing. */
	assert_int_equal(gtt_fence_signal(f, 0), -EALREADY);
	assert_int_equal(gtt_fence_status(f), -EIO);
	assert_int_equal(gtt_fence_context(f), 7);
	assert_int_equal(gtt_fence_seqno(f), 3);
	assert_int_equal(gtt_fence_signal(f, 5), -EINVAL);
	gtt_fence_put(f);

	assert_int_equal(gtt_fence_create(0, 0, &f), 0);
	assert_int_equal(gtt_fence_signal(f, 0), 0);
	assert_int_equal(gtt_fence_status(f), 1);
	gtt_fence_put(f);
	assert_int_equal(gtt_fence_create(0, 0, NULL), -EINVAL);
	assert_int_equal(gtt_fence_wait(NULL, 0), -EINVAL);
	assert_int_equal(gtt_fence_signal(NULL, 0), -EINVAL);
}

static void test_cross_thread_wait(void **state)
{
	struct delayed d = { .us = 20000 };
	pthread_t t;

	(void)state;
	assert_int_equal(gtt_fence_create(0, 0, &d.f), 0);
	pthread_create(&t, NULL, signal_later, &d);
	assert_int_equal(gtt_fence_wait(d.f, 5000000000ll), 0);
	assert_true(gtt_fence_is_signaled(d.f));
	pthread_join(t, NULL);
	gtt_fence_put(d.f);
}

struct counter_cb { struct gtt_fence_cb cb; int calls; int seen_status; };

static void count_cb(struct gtt_fence *f, struct gtt_fence_cb *cb)
{
	struct counter_cb *c = (struct counter_cb *)cb;

	c->calls++;
	c->seen_status = gtt_fence_status(f);
}

static void test_callbacks(void **state)
{
	struct counter_cb a = { 0 }, b = { 0 }, late = { 0 };
	struct gtt_fence *f;

	(void)state;
	assert_int_equal(gtt_fence_create(0, 0, &f), 0);
	assert_int_equal(gtt_fence_add_callback(f, &a.cb, count_cb), 0);
	assert_int_equal(gtt_fence_add_callback(f, &b.cb, count_cb), 0);
	assert_true(gtt_fence_remove_callback(f, &b.cb));
	assert_false(gtt_fence_remove_callback(f, &b.cb));
	assert_int_equal(a.calls, 0);
	gtt_fence_signal(f, -ECANCELED);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.seen_status, -ECANCELED);	/* status visible in cb */
	assert_int_equal(b.calls, 0);
	gtt_fence_signal(f, 0);
	assert_int_equal(a.calls, 1);			/* exactly once */
	assert_int_equal(gtt_fence_add_callback(f, &late.cb, count_cb), -ENOENT);
	assert_int_equal(late.calls, 0);
	assert_false(gtt_fence_remove_callback(f, &a.cb));
	gtt_fence_put(f);
}

struct custom_state { int enabled; int released; };

static void custom_enable(struct gtt_fence *f, void *priv)
{
	(void)f;
	((struct custom_state *)priv)->enabled++;
}

static void custom_release(struct gtt_fence *f, void *priv)
{
	(void)f;
	((struct custom_state *)priv)->released++;
}

static const struct gtt_fence_ops custom_ops = {
	.name = "custom",
	.enable_signaling = custom_enable,
	.release = custom_release,
};

static void test_custom_ops(void **state)
{
	struct custom_state cs = { 0 };
	struct counter_cb c = { 0 };
	struct gtt_fence *f;

	(void)state;
	assert_int_equal(gtt_fence_create_custom(&custom_ops, &cs, 1, 1, &f), 0);
	assert_string_equal(gtt_fence_name(f), "custom");
	assert_ptr_equal(gtt_fence_priv(f), &cs);
	assert_int_equal(cs.enabled, 0);
	assert_int_equal(gtt_fence_wait(f, 0), -ETIME);	/* polling does not enable */
	assert_int_equal(gtt_fence_add_callback(f, &c.cb, count_cb), 0);
	assert_int_equal(cs.enabled, 1);
	assert_int_equal(gtt_fence_wait(f, 1000), -ETIME);
	assert_int_equal(cs.enabled, 1);			/* only once */
	gtt_fence_get(f);
	gtt_fence_put(f);
	assert_int_equal(cs.released, 0);
	gtt_fence_signal(f, 0);
	gtt_fence_put(f);
	assert_int_equal(cs.released, 1);
}

static void test_merge(void **state)
{
	struct gtt_fence *a1, *a2, *b, *c0, *m, *single, *none;
	uint64_t ctx = gtt_fence_context_alloc(2);

	(void)state;
	assert_true(ctx != 0);
	assert_int_equal(gtt_fence_create(ctx, 1, &a1), 0);
	assert_int_equal(gtt_fence_create(ctx, 2, &a2), 0);
	assert_int_equal(gtt_fence_create(ctx + 1, 1, &b), 0);
	assert_int_equal(gtt_fence_create(0, 0, &c0), 0);
	assert_true(gtt_fence_is_later(a2, a1));
	assert_false(gtt_fence_is_later(a1, a2));
	assert_false(gtt_fence_is_later(a2, b));

	/*
	 * Same context: the merge waits for the latest only, but it is a
	 * fence of its own, which carries a1's error (see
	 * test_merge_keeps_error_of_older_same_context).
	 */
	struct gtt_fence *same[] = { a1, a2, NULL };
	assert_int_equal(gtt_fence_merge(same, 3, &single), 0);
	assert_ptr_not_equal(single, a2);
	assert_int_not_equal(gtt_fence_context(single), ctx);
	gtt_fence_put(single);
	/* One pending input and nothing else: the merge IS that input. */
	struct gtt_fence *one[] = { NULL, a2 };
	assert_int_equal(gtt_fence_merge(one, 2, &single), 0);
	assert_ptr_equal(single, a2);
	gtt_fence_put(single);

	struct gtt_fence *all[] = { a1, b, a2, c0 };
	assert_int_equal(gtt_fence_merge(all, 4, &m), 0);
	assert_int_not_equal(gtt_fence_context(m), ctx);
	/* a1 is dropped: signalling a2, b, c0 completes the merge. */
	gtt_fence_signal(b, -EIO);
	gtt_fence_signal(a2, -ENODEV);
	assert_false(gtt_fence_is_signaled(m));
	gtt_fence_signal(c0, 0);
	assert_true(gtt_fence_is_signaled(m));
	assert_false(gtt_fence_is_signaled(a1));
	assert_int_equal(gtt_fence_status(m), -EIO);	/* first error in signal order */
	gtt_fence_put(m);

	/* Nothing pending: a signalled fence; a signalled error is carried. */
	assert_int_equal(gtt_fence_merge(NULL, 0, &none), 0);
	assert_int_equal(gtt_fence_status(none), 1);
	gtt_fence_put(none);
	struct gtt_fence *done[] = { b, a2 };
	assert_int_equal(gtt_fence_merge(done, 2, &none), 0);
	assert_int_equal(gtt_fence_status(none), -EIO);
	gtt_fence_put(none);
	/* A signalled error plus one pending fence: still a real merge. */
	struct gtt_fence *mixed[] = { b, a1 };
	assert_int_equal(gtt_fence_merge(mixed, 2, &m), 0);
	assert_ptr_not_equal(m, a1);
	assert_false(gtt_fence_is_signaled(m));
	gtt_fence_signal(a1, 0);
	assert_int_equal(gtt_fence_status(m), -EIO);
	gtt_fence_put(m);

	assert_int_equal(gtt_fence_merge(NULL, 2, &m), -EINVAL);
	gtt_fence_put(a1);
	gtt_fence_put(a2);
	gtt_fence_put(b);
	gtt_fence_put(c0);
}

static void test_contexts_unique(void **state)
{
	uint64_t a = gtt_fence_context_alloc(1), b = gtt_fence_context_alloc(10);
	uint64_t c = gtt_fence_context_alloc(1);

	(void)state;
	assert_true(b >= a + 1);
	assert_true(c >= b + 10);
}

/* ---- issue #9 items 10, 16, 17, 18, 22 ---- */

/*
 * Run @fn(@arg) in a thread and fail if it has not finished within 2 s: a
 * deadlocked callback chain fails the test instead of hanging the suite
 * (the stuck thread is left behind; process exit ends it).
 */
struct watched { void (*fn)(void *); void *arg; _Atomic int done; };

static void *watched_main(void *p)
{
	struct watched *w = p;

	w->fn(w->arg);
	atomic_store(&w->done, 1);
	return NULL;
}

static void run_watched(void (*fn)(void *), void *arg)
{
	static struct watched w;	/* outlives a stuck thread */
	pthread_t t;

	w.fn = fn;
	w.arg = arg;
	atomic_store(&w.done, 0);
	assert_int_equal(pthread_create(&t, NULL, watched_main, &w), 0);
	for (int i = 0; i < 2000 && !atomic_load(&w.done); i++)
		usleep(1000);
	if (!atomic_load(&w.done)) {
		pthread_detach(t);
		fail_msg("deadlock: the callback did not return within 2 s");
	}
	pthread_join(t, NULL);
}

/* A callback that calls back into the fence running it (or another). */
struct reentry {
	struct gtt_fence_cb cb;
	struct gtt_fence *self;		/* the fence the callback is on */
	struct gtt_fence *other;	/* signalled from the callback, if set */
	struct gtt_fence_cb extra;	/* a second node, for add/remove */
	struct gtt_fence_cb *victim;	/* removed from self, if set */
	int calls, signal_self, signal_other, add_self, status, wait0,
	    waitinf, removed_victim, removed_self, put_self;
};

static void reentry_cb(struct gtt_fence *f, struct gtt_fence_cb *cb)
{
	struct reentry *r = container_of(cb, struct reentry, cb);

	r->calls++;
	r->signal_self = gtt_fence_signal(f, -EIO);
	r->add_self = gtt_fence_add_callback(f, &r->extra, count_cb);
	r->status = gtt_fence_status(f);
	r->wait0 = gtt_fence_wait(f, 0);
	r->waitinf = gtt_fence_wait(f, -1);
	if (r->victim)
		r->removed_victim = gtt_fence_remove_callback(f, r->victim);
	r->removed_self = gtt_fence_remove_callback(f, cb);
	if (r->other)
		r->signal_other = gtt_fence_signal(r->other, -ENODEV);
	if (r->put_self)
		gtt_fence_put(f);	/* the caller's last reference */
}

static void signal_self_scenario(void *arg)
{
	struct reentry *r = arg;

	gtt_fence_signal(r->self, 0);
}

static void test_callback_reenters_own_fence(void **state)
{
	struct counter_cb victim = { 0 };
	struct reentry r = { 0 };

	(void)state;
	assert_int_equal(gtt_fence_create(0, 0, &r.self), 0);
	assert_int_equal(gtt_fence_add_callback(r.self, &r.cb, reentry_cb), 0);
	assert_int_equal(gtt_fence_add_callback(r.self, &victim.cb, count_cb), 0);
	r.victim = &victim.cb;
	run_watched(signal_self_scenario, &r);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.signal_self, -EALREADY);
	assert_int_equal(r.add_self, -ENOENT);
	assert_int_equal(r.status, 1);
	assert_int_equal(r.wait0, 0);
	assert_int_equal(r.waitinf, 0);
	assert_true(r.removed_victim);		/* removed before it ran */
	assert_false(r.removed_self);		/* already running */
	assert_int_equal(victim.calls, 0);
	assert_int_equal(gtt_fence_status(r.self), 1);	/* the -EIO was refused */
	gtt_fence_put(r.self);
}

static void test_callback_drops_last_reference(void **state)
{
	struct reentry r = { .put_self = 1 };
	int64_t live = mem_live();

	(void)state;
	assert_int_equal(gtt_fence_create(0, 0, &r.self), 0);
	assert_int_equal(gtt_fence_add_callback(r.self, &r.cb, reentry_cb), 0);
	run_watched(signal_self_scenario, &r);	/* the callback frees it */
	assert_int_equal(r.calls, 1);
	assert_int_equal(mem_live(), live);
}

/* A's callback signals B, B's callback signals A (and re-enters A). */
static void test_callback_chain_a_b_a(void **state)
{
	struct reentry ra = { 0 }, rb = { 0 };
	struct gtt_fence *a, *b;

	(void)state;
	assert_int_equal(gtt_fence_create(0, 0, &a), 0);
	assert_int_equal(gtt_fence_create(0, 0, &b), 0);
	ra.self = a;
	ra.other = b;
	rb.self = b;
	rb.other = a;
	assert_int_equal(gtt_fence_add_callback(a, &ra.cb, reentry_cb), 0);
	assert_int_equal(gtt_fence_add_callback(b, &rb.cb, reentry_cb), 0);
	run_watched(signal_self_scenario, &ra);
	assert_int_equal(ra.calls, 1);
	assert_int_equal(rb.calls, 1);
	assert_int_equal(ra.signal_other, 0);		/* A signalled B */
	assert_int_equal(rb.signal_other, -EALREADY);	/* B found A signalled */
	assert_int_equal(gtt_fence_status(a), 1);
	assert_int_equal(gtt_fence_status(b), -ENODEV);
	gtt_fence_put(a);
	gtt_fence_put(b);
}

/* B's callback adds a callback to A and removes one of A's, from inside A's. */
struct cross { struct gtt_fence_cb cb; struct gtt_fence *a; struct gtt_fence_cb *a_pending;
	       struct counter_cb late; int add, removed; };

static void cross_cb(struct gtt_fence *f, struct gtt_fence_cb *cb)
{
	struct cross *c = container_of(cb, struct cross, cb);

	(void)f;
	c->add = gtt_fence_add_callback(c->a, &c->late.cb, count_cb);
	c->removed = gtt_fence_remove_callback(c->a, c->a_pending);
}

struct to_b { struct gtt_fence_cb cb; struct gtt_fence *b; int ret; };

static void to_b_cb(struct gtt_fence *f, struct gtt_fence_cb *cb)
{
	struct to_b *t = container_of(cb, struct to_b, cb);

	(void)f;
	t->ret = gtt_fence_signal(t->b, 0);
}

static void signal_a_scenario(void *arg)
{
	gtt_fence_signal(arg, 0);
}

static void test_callback_chain_touches_first_fence(void **state)
{
	struct counter_cb a_second = { 0 };
	struct cross c = { 0 };
	struct to_b t = { 0 };
	struct gtt_fence *a, *b;

	(void)state;
	assert_int_equal(gtt_fence_create(0, 0, &a), 0);
	assert_int_equal(gtt_fence_create(0, 0, &b), 0);
	t.b = b;
	c.a = a;
	c.a_pending = &a_second.cb;
	assert_int_equal(gtt_fence_add_callback(a, &t.cb, to_b_cb), 0);
	assert_int_equal(gtt_fence_add_callback(a, &a_second.cb, count_cb), 0);
	assert_int_equal(gtt_fence_add_callback(b, &c.cb, cross_cb), 0);
	run_watched(signal_a_scenario, a);
	assert_int_equal(t.ret, 0);
	assert_int_equal(c.add, -ENOENT);
	assert_true(c.removed);
	assert_int_equal(a_second.calls, 0);
	assert_int_equal(c.late.calls, 0);
	assert_true(gtt_fence_is_signaled(b));
	gtt_fence_put(a);
	gtt_fence_put(b);
}

/* Fences 1 and 2 of timeline @ctx. */
static void timeline_pair(uint64_t ctx, struct gtt_fence **f1, struct gtt_fence **f2)
{
	assert_int_equal(gtt_fence_create(ctx, 1, f1), 0);
	assert_int_equal(gtt_fence_create(ctx, 2, f2), 0);
}

static void put_pair(struct gtt_fence *f1, struct gtt_fence *f2)
{
	gtt_fence_put(f1);
	gtt_fence_put(f2);
}

static void test_merge_keeps_error_of_older_same_context(void **state)
{
	uint64_t ctx = gtt_fence_context_alloc(2);
	struct gtt_fence *a1, *a2, *b, *m;

	(void)state;
	/* Only two fences of one timeline, both pending: a1's error counts. */
	timeline_pair(ctx, &a1, &a2);
	struct gtt_fence *same[] = { a1, a2 };
	assert_int_equal(gtt_fence_merge(same, 2, &m), 0);
	gtt_fence_signal(a1, -EIO);
	assert_false(gtt_fence_is_signaled(m));	/* a2 still orders it */
	gtt_fence_signal(a2, 0);
	assert_true(gtt_fence_is_signaled(m));
	assert_int_equal(gtt_fence_status(m), -EIO);
	gtt_fence_put(m);
	put_pair(a1, a2);

	/* With another context: the first error in signalling order wins. */
	timeline_pair(ctx, &a1, &a2);
	assert_int_equal(gtt_fence_create(ctx + 1, 1, &b), 0);
	struct gtt_fence *all[] = { a2, b, a1 };
	assert_int_equal(gtt_fence_merge(all, 3, &m), 0);
	gtt_fence_signal(a1, -EIO);
	gtt_fence_signal(b, -ENODEV);
	gtt_fence_signal(a2, 0);
	assert_int_equal(gtt_fence_status(m), -EIO);
	gtt_fence_put(m);
	/* An older fence that already succeeded is simply dropped. */
	put_pair(a1, a2);
	timeline_pair(ctx, &a1, &a2);
	gtt_fence_signal(a1, 0);
	struct gtt_fence *done_first[] = { a1, a2 };
	assert_int_equal(gtt_fence_merge(done_first, 2, &m), 0);
	assert_ptr_equal(m, a2);
	gtt_fence_put(m);
	gtt_fence_signal(a2, 0);
	put_pair(a1, a2);
	gtt_fence_put(b);
}

static void test_create_custom_null_ops_rejected(void **state)
{
	struct gtt_fence *f = (struct gtt_fence *)&f;
	int64_t live = mem_live();

	(void)state;
	assert_int_equal(gtt_fence_create_custom(NULL, NULL, 1, 1, &f), -EINVAL);
	assert_ptr_equal(f, (struct gtt_fence *)&f);	/* untouched */
	assert_non_null(strstr(gtt_last_error(), "ops"));
	assert_int_equal(mem_live(), live);
	/* The plain constructor still works (it has no ops). */
	assert_int_equal(gtt_fence_create(1, 1, &f), 0);
	assert_string_equal(gtt_fence_name(f), "fence");
	assert_int_equal(gtt_fence_signal(f, 0), 0);
	gtt_fence_put(f);
}

static void test_strerror_int_min(void **state)
{
	(void)state;
	/* -INT_MIN does not exist: it must not be computed (UBSan). */
	assert_string_equal(gtt_strerror(INT_MIN), "unknown error");
	assert_string_equal(gtt_strerror(-EINVAL), "invalid argument");
	assert_string_equal(gtt_strerror(EINVAL), "invalid argument");
	assert_non_null(gtt_strerror(INT_MAX));
}

static void test_wait_timeout_sets_message(void **state)
{
	struct gtt_fence *f;

	(void)state;
	assert_int_equal(gtt_fence_create(0, 0, &f), 0);
	assert_int_equal(gtt_fence_signal(NULL, 0), -EINVAL);	/* another message */
	assert_int_equal(gtt_fence_wait(f, 0), -ETIME);
	assert_non_null(strstr(gtt_last_error(), "gtt_fence_wait"));
	assert_int_equal(gtt_fence_signal(NULL, 0), -EINVAL);
	assert_null(strstr(gtt_last_error(), "gtt_fence_wait"));
	assert_int_equal(gtt_fence_wait(f, 1000), -ETIME);
	assert_non_null(strstr(gtt_last_error(), "gtt_fence_wait"));
	/* A formatted error after a constant one replaces it. */
	assert_int_equal(gtt_fence_signal(f, 5), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "error 5"));
	gtt_fence_put(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_status_wait),
		cmocka_unit_test(test_cross_thread_wait),
		cmocka_unit_test(test_callbacks),
		cmocka_unit_test(test_custom_ops),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_contexts_unique),
		cmocka_unit_test(test_callback_reenters_own_fence),
		cmocka_unit_test(test_callback_drops_last_reference),
		cmocka_unit_test(test_callback_chain_a_b_a),
		cmocka_unit_test(test_callback_chain_touches_first_fence),
		cmocka_unit_test(test_merge_keeps_error_of_older_same_context),
		cmocka_unit_test(test_create_custom_null_ops_rejected),
		cmocka_unit_test(test_strerror_int_min),
		cmocka_unit_test(test_wait_timeout_sets_message),
	};

	return cmocka_run_group_tests_name("fence", tests, NULL, NULL);
}
