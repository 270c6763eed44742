/* SPDX-License-Identifier: MIT */
/*
 * Executors: see gtt/executor.h.
 *
 * One FIFO of intrusive jobs under a mutex.  Pool workers sleep on a
 * condition variable; a manual executor has no threads and is drained by
 * run_one/run_all.  Destruction lets the workers empty the queue (jobs may
 * queue more jobs meanwhile) before they exit and are joined.
 *
 * Every manual executor is on one process-wide list with the thread that
 * created it, so that a blocking wait can run the queued work of the
 * waiting thread's own manual executors, whichever vm that work serves.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <gtt/fence.h>

#include "executor_internal.h"
#include "base/util.h"

struct gtt_executor {
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct exec_job *head, *tail;
	size_t queued;
	bool manual;
	bool stopping;
	unsigned int nthreads;
	pthread_t *threads;
	uint64_t owner;			/* manual: the thread that created it */
	struct gtt_executor *next_manual;	/* on manual_list */
};

/* Every live manual executor; manual_lock is taken before an executor's lock. */
static pthread_mutex_t manual_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gtt_executor *manual_list;
static _Atomic unsigned int manual_count;	/* lets waits skip the list */

/*
 * This thread's number, never given to another thread: pthread_t values and
 * TLS addresses are reused once a thread is joined, and a manual executor
 * must never be taken for one that a new thread created.
 */
static uint64_t thread_id(void)
{
	static _Atomic uint64_t next_id = 1;
	static __thread uint64_t id;

	if (!id)
		id = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed);
	return id;
}

static struct exec_job *pop_locked(struct gtt_executor *ex)
{
	struct exec_job *job = ex->head;

	if (job) {
		ex->head = job->next;
		if (!ex->head)
			ex->tail = NULL;
		ex->queued--;
	}
	return job;
}

void executor_queue(struct gtt_executor *ex, struct exec_job *job)
{
	if (!ex) {
		job->run(job);
		return;
	}
	job->next = NULL;
	pthread_mutex_lock(&ex->lock);
	if (ex->tail)
		ex->tail->next = job;
	else
		ex->head = job;
	ex->tail = job;
	ex->queued++;
	if (!ex->manual)
		pthread_cond_signal(&ex->more);
	pthread_mutex_unlock(&ex->lock);
}

static void *worker(void *arg)
{
	struct gtt_executor *ex = arg;

	pthread_mutex_lock(&ex->lock);
	for (;;) {
		struct exec_job *job = pop_locked(ex);

		if (job) {
			pthread_mutex_unlock(&ex->lock);
			job->run(job);
			pthread_mutex_lock(&ex->lock);
		} else if (ex->stopping) {
			break;
		} else {
			pthread_cond_wait(&ex->more, &ex->lock);
		}
	}
	pthread_mutex_unlock(&ex->lock);
	return NULL;
}

static struct gtt_executor *executor_alloc(void)
{
	struct gtt_executor *ex = mem_zalloc(sizeof(*ex));

	if (!ex)
		return NULL;
	pthread_mutex_init(&ex->lock, NULL);
	pthread_cond_init(&ex->more, NULL);
	return ex;
}

static void executor_free(struct gtt_executor *ex)
{
	pthread_cond_destroy(&ex->more);
	pthread_mutex_destroy(&ex->lock);
	mem_free(ex->threads);
	mem_free(ex);
}

static void stop_workers(struct gtt_executor *ex, unsigned int started)
{
	pthread_mutex_lock(&ex->lock);
	ex->stopping = true;
	pthread_cond_broadcast(&ex->more);
	pthread_mutex_unlock(&ex->lock);
	for (unsigned int i = 0; i < started; i++)
		pthread_join(ex->threads[i], NULL);
}

GTT_API int gtt_executor_create_pool(unsigned int threads,
				     struct gtt_executor **out)
{
	struct gtt_executor *ex;

	if (!out || threads == 0 || threads > 1024)
		return set_error(-EINVAL, "gtt_executor_create_pool: need 1..1024 threads and an out pointer");
	ex = executor_alloc();
	if (!ex)
		return set_error(-ENOMEM, "gtt_executor_create_pool: out of memory");
	ex->threads = mem_zalloc(threads * sizeof(*ex->threads));
	if (!ex->threads) {
		executor_free(ex);
		return set_error(-ENOMEM, "gtt_executor_create_pool: out of memory");
	}
	for (unsigned int i = 0; i < threads; i++) {
		int err = pthread_create(&ex->threads[i], NULL, worker, ex);

		if (err) {
			stop_workers(ex, i);
			executor_free(ex);
			return set_error(-err, "gtt_executor_create_pool: pthread_create failed");
		}
	}
	ex->nthreads = threads;
	*out = ex;
	return 0;
}

GTT_API int gtt_executor_create_manual(struct gtt_executor **out)
{
	struct gtt_executor *ex;

	if (!out)
		return set_error(-EINVAL, "gtt_executor_create_manual: out is NULL");
	ex = executor_alloc();
	if (!ex)
		return set_error(-ENOMEM, "gtt_executor_create_manual: out of memory");
	ex->manual = true;
	ex->owner = thread_id();
	pthread_mutex_lock(&manual_lock);
	ex->next_manual = manual_list;
	manual_list = ex;
	atomic_fetch_add(&manual_count, 1);
	pthread_mutex_unlock(&manual_lock);
	*out = ex;
	return 0;
}

static void manual_unregister(struct gtt_executor *ex)
{
	pthread_mutex_lock(&manual_lock);
	for (struct gtt_executor **p = &manual_list; *p; p = &(*p)->next_manual)
		if (*p == ex) {
			*p = ex->next_manual;
			atomic_fetch_sub(&manual_count, 1);
			break;
		}
	pthread_mutex_unlock(&manual_lock);
}

struct user_job {
	struct exec_job job;
	gtt_job_fn fn;
	void *arg;
};

static void run_user_job(struct exec_job *job)
{
	struct user_job *uj = container_of(job, struct user_job, job);
	gtt_job_fn fn = uj->fn;
	void *arg = uj->arg;

	mem_free(uj);
	fn(arg);
}

GTT_API int gtt_executor_submit(struct gtt_executor *ex, gtt_job_fn fn,
				void *arg)
{
	struct user_job *uj;

	if (!ex || !fn)
		return set_error(-EINVAL, "gtt_executor_submit: NULL argument");
	uj = mem_alloc(sizeof(*uj));
	if (!uj)
		return set_error(-ENOMEM, "gtt_executor_submit: out of memory");
	uj->job.run = run_user_job;
	uj->fn = fn;
	uj->arg = arg;
	executor_queue(ex, &uj->job);
	return 0;
}

static struct exec_job *pop(struct gtt_executor *ex)
{
	struct exec_job *job;

	pthread_mutex_lock(&ex->lock);
	job = pop_locked(ex);
	pthread_mutex_unlock(&ex->lock);
	return job;
}

GTT_API int gtt_executor_run_one(struct gtt_executor *ex)
{
	struct exec_job *job;

	if (!ex || !ex->manual)
		return set_error(-EINVAL, "gtt_executor_run_one: not a manual executor");
	job = pop(ex);
	if (!job)
		return 0;
	job->run(job);
	return 1;
}

GTT_API long gtt_executor_run_all(struct gtt_executor *ex)
{
	long n = 0;
	int r;

	if (!ex || !ex->manual)
		return set_error(-EINVAL, "gtt_executor_run_all: not a manual executor");
	while ((r = gtt_executor_run_one(ex)) > 0)
		n++;
	return n;
}

bool executor_is_manual(const struct gtt_executor *ex)
{
	return ex && ex->manual;
}

/*
 * Pop a job from a manual executor the calling thread created, or with
 * @any, learn only whether it created one (returns NULL either way then).
 */
static struct exec_job *pop_owned(bool *any)
{
	uint64_t self = thread_id();
	struct exec_job *job = NULL;

	*any = false;
	if (!atomic_load(&manual_count))
		return NULL;
	/* The list lock keeps the executor alive while we pop. */
	pthread_mutex_lock(&manual_lock);
	for (struct gtt_executor *e = manual_list; e && !job; e = e->next_manual)
		if (e->owner == self) {
			*any = true;
			job = pop(e);
		}
	pthread_mutex_unlock(&manual_lock);
	return job;
}

bool executor_help(struct gtt_executor *ex, bool *may_help)
{
	struct exec_job *job = NULL;
	bool owns;

	if (executor_is_manual(ex))
		job = pop(ex);
	if (!job)
		job = pop_owned(&owns);
	else
		owns = true;
	if (may_help)
		*may_help = owns || executor_is_manual(ex);
	if (!job)
		return false;
	job->run(job);
	return true;
}

void executor_wait_fence(struct gtt_executor *ex, struct gtt_fence *f)
{
	bool may_help;

	/* Help: run queued work, sleep briefly only when there is none. */
	while (!gtt_fence_is_signaled(f)) {
		if (executor_help(ex, &may_help))
			continue;
		if (!may_help) {
			/* Nothing this thread could ever run: plain wait. */
			gtt_fence_wait(f, -1);
			return;
		}
		gtt_fence_wait(f, 1000000);
	}
}

GTT_API size_t gtt_executor_pending(struct gtt_executor *ex)
{
	size_t n;

	if (!ex)
		return 0;
	pthread_mutex_lock(&ex->lock);
	n = ex->queued;
	pthread_mutex_unlock(&ex->lock);
	return n;
}

GTT_API void gtt_executor_destroy(struct gtt_executor *ex)
{
	if (!ex)
		return;
	if (ex->manual) {
		gtt_executor_run_all(ex);
		manual_unregister(ex);
	} else
		stop_workers(ex, ex->nthreads);
	executor_free(ex);
}
