/* SPDX-License-Identifier: MIT */
/*
 * Fences: signal, status, wait with timeouts, cross-thread wake-up,
 * callbacks (once, at signal, removal), custom ops, merge semantics.
 */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "helpers.h"

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

	/* Same context: only the latest is kept, so the merge IS a2. */
	struct gtt_fence *same[] = { a1, a2, NULL };
	assert_int_equal(gtt_fence_merge(same, 3, &single), 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_status_wait),
		cmocka_unit_test(test_cross_thread_wait),
		cmocka_unit_test(test_callbacks),
		cmocka_unit_test(test_custom_ops),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_contexts_unique),
	};

	return cmocka_run_group_tests_name("fence", tests, NULL, NULL);
}
