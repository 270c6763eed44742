/* SPDX-License-Identifier: MIT */
/*
 * Executors across vms: a blocking library call helps the manual
 * executors of the calling thread, whichever vm they serve, and never
 * steps a manual executor another thread created.  A regression hangs, so
 * every test runs under an alarm that ends the program with a message.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "sync/executor_internal.h"

#define WATCHDOG_S 20

static const char *current_test = "?";

static void watchdog_fired(int sig)
{
	static const char msg[] = "watchdog: a blocking call hung in ";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0 ||
	    write(2, current_test, strlen(current_test)) < 0 ||
	    write(2, "\n", 1) < 0)
		_exit(2);
	_exit(1);
}

static void watchdog_start(const char *name)
{
	current_test = name;
	signal(SIGALRM, watchdog_fired);
	alarm(WATCHDOG_S);
}

static void watchdog_stop(void)
{
	alarm(0);
}

/* A vm with its own mock over [start, start + 16 pages), on @ex (may be NULL). */
static struct gtt_vm *vm_on(struct gtt_backend **be, struct gtt_executor *ex,
			    const char *name)
{
	struct gtt_mock_config mc = { .start = 0x10000, .size = 16 * PAGE,
				      .scratch_addr = 0xdead000 };
	struct gtt_vm_config vc = { .name = name, .start = 0x10000, .size = 16 * PAGE,
				    .executor = ex };
	struct gtt_vm *vm;

	assert_int_equal(gtt_mock_create(&mc, be), 0);
	vc.backend = *be;
	assert_int_equal(gtt_vm_create(&vc, &vm), 0);
	return vm;
}

static gtt_vma_t vma_on(struct gtt_vm *vm, uint64_t dma)
{
	struct gtt_pages *p = make_pages(dma, 1, 0);
	gtt_vma_t h;

	assert_int_equal(gtt_vma_create(vm, p, NULL, &h), 0);
	gtt_pages_put(p);
	return h;
}

/*
 * On @vm (manual executor @ex): bind a vma, make it busy, unbind it
 * asynchronously and let the busy fence signal, so the PTE clear is queued
 * on @ex and nothing else will run it.  Returns the unbind fence.
 */
static struct gtt_fence *queued_unbind(struct gtt_vm *vm, struct gtt_executor *ex,
				       gtt_vma_t *out)
{
	struct gtt_fence *busy, *unbind = NULL;
	gtt_vma_t h = vma_on(vm, 0xa0000000);

	assert_int_equal(gtt_vma_bind(vm, h, NULL, NULL), 0);
	assert_int_equal(gtt_fence_create(0, 0, &busy), 0);
	assert_int_equal(gtt_vma_add_active(vm, h, busy), 0);
	assert_int_equal(gtt_vma_unbind(vm, h, GTT_UNBIND_ASYNC, &unbind), 0);
	assert_int_equal(gtt_executor_pending(ex), 0);
	gtt_fence_signal(busy, 0);
	gtt_fence_put(busy);
	assert_int_equal(gtt_executor_pending(ex), 1);
	assert_false(gtt_fence_is_signaled(unbind));
	*out = h;
	return unbind;
}

/*
 * One thread, vm A on a manual executor with an unbind queued, vm B on
 * @ex_b (none or a pool): a synchronous bind on B that depends on A's
 * unbind must run A's queued work instead of waiting for ever.
 */
static void sync_bind_waits_on_other_vm(struct gtt_executor *ex_b)
{
	struct gtt_backend *be_a, *be_b;
	struct gtt_executor *ex_a;
	struct gtt_vm *a, *b;
	struct gtt_fence *unbind;
	gtt_vma_t va, vb;

	assert_int_equal(gtt_executor_create_manual(&ex_a), 0);
	a = vm_on(&be_a, ex_a, "A");
	b = vm_on(&be_b, ex_b, "B");
	unbind = queued_unbind(a, ex_a, &va);
	vb = vma_on(b, 0xb0000000);

	struct gtt_bind_info info = { .deps = &unbind, .num_deps = 1 };

	assert_int_equal(gtt_vma_bind(b, vb, &info, NULL), 0);
	assert_true(gtt_fence_is_signaled(unbind));
	assert_int_equal(gtt_fence_status(unbind), 1);
	assert_int_equal(gtt_executor_pending(ex_a), 0);

	/* And a synchronous unbind of B's vma, which now waits on nothing. */
	assert_int_equal(gtt_vma_unbind(b, vb, 0, NULL), 0);
	gtt_fence_put(unbind);
	gtt_vm_destroy(b);
	gtt_vm_destroy(a);
	gtt_executor_destroy(ex_a);
	gtt_backend_destroy(be_b);
	gtt_backend_destroy(be_a);
}

static void test_sync_bind_no_executor_runs_other_vms_manual_work(void **state)
{
	(void)state;
	watchdog_start(__func__);
	sync_bind_waits_on_other_vm(NULL);
	watchdog_stop();
}

static void test_sync_bind_pool_runs_other_vms_manual_work(void **state)
{
	struct gtt_executor *pool;

	(void)state;
	watchdog_start(__func__);
	assert_int_equal(gtt_executor_create_pool(1, &pool), 0);
	sync_bind_waits_on_other_vm(pool);
	gtt_executor_destroy(pool);
	watchdog_stop();
}

/*
 * The same with an asynchronous bind on B whose fence a synchronous unbind
 * of that vma then waits for: the unbind waits for the bind fence, which
 * waits for A's queued work.
 */
static void test_sync_unbind_no_executor_runs_other_vms_manual_work(void **state)
{
	struct gtt_backend *be_a, *be_b;
	struct gtt_executor *ex_a;
	struct gtt_vm *a, *b;
	struct gtt_fence *unbind, *bound = NULL;
	gtt_vma_t va, vb;

	(void)state;
	watchdog_start(__func__);
	assert_int_equal(gtt_executor_create_manual(&ex_a), 0);
	a = vm_on(&be_a, ex_a, "A");
	b = vm_on(&be_b, NULL, "B");
	unbind = queued_unbind(a, ex_a, &va);
	vb = vma_on(b, 0xb0000000);

	struct gtt_bind_info info = { .flags = GTT_BIND_ASYNC, .deps = &unbind,
				      .num_deps = 1 };

	assert_int_equal(gtt_vma_bind(b, vb, &info, &bound), 0);
	assert_false(gtt_fence_is_signaled(bound));
	assert_int_equal(gtt_vma_unbind(b, vb, 0, NULL), 0);
	assert_true(gtt_fence_is_signaled(bound));
	assert_true(gtt_fence_is_signaled(unbind));
	assert_int_equal(gtt_executor_pending(ex_a), 0);
	gtt_fence_put(bound);
	gtt_fence_put(unbind);
	gtt_vm_destroy(b);
	gtt_vm_destroy(a);
	gtt_executor_destroy(ex_a);
	gtt_backend_destroy(be_b);
	gtt_backend_destroy(be_a);	watchdog_stop();
}

/* A thread that owns vm A and its manual executor. */
struct owner {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct gtt_fence *unbind;	/* published by the owner */
	bool main_waiting;		/* set by main just before it blocks */
	bool main_done;
	size_t pending_seen;		/* queue length after main blocked a while */
	long ran;
};

static void owner_wait(struct owner *o, bool *flag)
{
	pthread_mutex_lock(&o->lock);
	while (!*flag)
		pthread_cond_wait(&o->cond, &o->lock);
	pthread_mutex_unlock(&o->lock);
}

static void owner_set(struct owner *o, bool *flag)
{
	pthread_mutex_lock(&o->lock);
	*flag = true;
	pthread_cond_broadcast(&o->cond);
	pthread_mutex_unlock(&o->lock);
}

static void *owner_thread(void *arg)
{
	struct owner *o = arg;
	struct gtt_backend *be;
	struct gtt_executor *ex;
	struct gtt_vm *vm;
	struct gtt_fence *unbind;
	gtt_vma_t h;

	assert_int_equal(gtt_executor_create_manual(&ex), 0);
	vm = vm_on(&be, ex, "owned");
	unbind = queued_unbind(vm, ex, &h);
	pthread_mutex_lock(&o->lock);
	o->unbind = gtt_fence_get(unbind);
	pthread_cond_broadcast(&o->cond);
	pthread_mutex_unlock(&o->lock);

	owner_wait(o, &o->main_waiting);
	usleep(200 * 1000);	/* main is blocked in its bind by now */
	o->pending_seen = gtt_executor_pending(ex);
	o->ran = gtt_executor_run_all(ex);
	owner_wait(o, &o->main_done);

	gtt_fence_put(unbind);
	gtt_vm_destroy(vm);
	gtt_executor_destroy(ex);
	gtt_backend_destroy(be);
	return NULL;
}

/*
 * Main waits (no executor of its own) on work queued on a manual executor
 * that another thread created: it must not step that executor; the owner
 * does, and then main's call returns.
 */
static void test_other_threads_manual_executor_is_not_stepped(void **state)
{
	struct owner o = { .pending_seen = 99 };
	struct gtt_backend *be;
	struct gtt_vm *b;
	struct gtt_fence *unbind;
	pthread_t t;
	gtt_vma_t vb;

	(void)state;
	watchdog_start(__func__);
	pthread_mutex_init(&o.lock, NULL);
	pthread_cond_init(&o.cond, NULL);
	b = vm_on(&be, NULL, "B");
	vb = vma_on(b, 0xb0000000);
	assert_int_equal(pthread_create(&t, NULL, owner_thread, &o), 0);
	pthread_mutex_lock(&o.lock);
	while (!o.unbind)
		pthread_cond_wait(&o.cond, &o.lock);
	unbind = o.unbind;
	pthread_mutex_unlock(&o.lock);

	struct gtt_bind_info info = { .deps = &unbind, .num_deps = 1 };

	owner_set(&o, &o.main_waiting);
	assert_int_equal(gtt_vma_bind(b, vb, &info, NULL), 0);
	assert_int_equal(o.pending_seen, 1);	/* main did not run it */
	assert_true(gtt_fence_is_signaled(unbind));
	owner_set(&o, &o.main_done);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(o.ran, 1);		/* its owner did */
	gtt_fence_put(unbind);
	gtt_vm_destroy(b);
	gtt_backend_destroy(be);
	pthread_cond_destroy(&o.cond);
	pthread_mutex_destroy(&o.lock);
	watchdog_stop();
}


/* vm B (no executor) with an async bind that waits on A's queued unbind: destroying B must not hang. */
static void test_destroy_no_executor_runs_other_vms_manual_work(void **state)
{
	struct gtt_backend *be_a, *be_b;
	struct gtt_executor *ex_a;
	struct gtt_vm *a, *b;
	struct gtt_fence *unbind;
	gtt_vma_t va, vb;

	(void)state;
	watchdog_start(__func__);
	assert_int_equal(gtt_executor_create_manual(&ex_a), 0);
	a = vm_on(&be_a, ex_a, "A");
	b = vm_on(&be_b, NULL, "B");
	unbind = queued_unbind(a, ex_a, &va);
	vb = vma_on(b, 0xb0000000);

	struct gtt_bind_info info = { .flags = GTT_BIND_ASYNC, .deps = &unbind,
				      .num_deps = 1 };

	assert_int_equal(gtt_vma_bind(b, vb, &info, NULL), 0);
	gtt_vm_destroy(b);
	assert_true(gtt_fence_is_signaled(unbind));
	gtt_fence_put(unbind);
	gtt_vm_destroy(a);
	gtt_executor_destroy(ex_a);
	gtt_backend_destroy(be_b);
	gtt_backend_destroy(be_a);
	watchdog_stop();
}

/*
 * A manual executor is matched to the thread that created it by a number no
 * other thread gets: pthread_t values are reused once a thread is joined,
 * and a new thread's blocking wait must not run a dead thread's executor.
 */
struct exec_thread {
	struct gtt_executor *ex;
	struct gtt_fence *f;
	pthread_t id;
};

static void job_ran(void *arg)
{
	atomic_store((_Atomic int *)arg, 1);
}

static _Atomic int stolen_job;

static void *make_manual(void *arg)
{
	struct exec_thread *t = arg;

	t->id = pthread_self();
	assert_int_equal(gtt_executor_create_manual(&t->ex), 0);
	assert_int_equal(gtt_executor_submit(t->ex, job_ran, &stolen_job), 0);
	return NULL;
}

static void *wait_inside(void *arg)
{
	struct exec_thread *t = arg;

	t->id = pthread_self();
	executor_wait_fence(NULL, t->f);
	return NULL;
}

static void *signal_soon(void *arg)
{
	usleep(50000);
	gtt_fence_signal(arg, 0);
	return NULL;
}

static void test_manual_executor_owner_by_reused_thread_id(void **state)
{
	struct exec_thread a = { 0 }, b = { 0 };
	pthread_t th, sig;

	(void)state;
	atomic_store(&stolen_job, 0);
	assert_int_equal(pthread_create(&th, NULL, make_manual, &a), 0);
	pthread_join(th, NULL);
	assert_int_equal(gtt_fence_create(0, 0, &b.f), 0);
	assert_int_equal(pthread_create(&th, NULL, wait_inside, &b), 0);
	assert_int_equal(pthread_create(&sig, NULL, signal_soon, b.f), 0);
	pthread_join(th, NULL);
	pthread_join(sig, NULL);
	if (!pthread_equal(a.id, b.id)) {
		gtt_executor_destroy(a.ex);
		gtt_fence_put(b.f);
		skip();
	}
	/* b never created a manual executor: it must not run a's job. */
	assert_int_equal(atomic_load(&stolen_job), 0);
	gtt_executor_destroy(a.ex);
	gtt_fence_put(b.f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sync_bind_no_executor_runs_other_vms_manual_work),
		cmocka_unit_test(test_sync_bind_pool_runs_other_vms_manual_work),
		cmocka_unit_test(test_sync_unbind_no_executor_runs_other_vms_manual_work),
		cmocka_unit_test(test_other_threads_manual_executor_is_not_stepped),
		cmocka_unit_test(test_destroy_no_executor_runs_other_vms_manual_work),
		cmocka_unit_test(test_manual_executor_owner_by_reused_thread_id),
	};
	const char *only = getenv("GTT_TEST_FILTER");	/* e.g. one test by name */

	if (only)
		cmocka_set_test_filter(only);
	return cmocka_run_group_tests_name("executor", tests, NULL, NULL);
}
