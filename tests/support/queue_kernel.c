/* SPDX-License-Identifier: MIT */
/*
 * The pretend kernel of queue_kernel.h.  Batches are kept until the kernel
 * goes, for the tests to look at.  One thread at a time runs batches
 * (pump()); another that finds it busy leaves it a note to look again.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend_internal.h"
#include "queue_kernel.h"

struct dep_cb {
	struct gtt_fence_cb cb;
	struct qk *k;
};

struct batch {
	struct gtt_backend_op *ops;
	size_t nops;
	struct gtt_fence **deps;
	struct dep_cb *cbs;
	size_t ndeps;
	struct gtt_fence *done;
	bool ran;
};

struct qk {
	pthread_mutex_t lock;
	struct gtt_backend *table;
	struct batch *b;
	size_t n, cap, next;	/* next: the first batch not run */
	bool held, busy, again;
	int fail_submit, fail_run;
};

static const struct gtt_fence_ops kernel_fence_ops = { .name = "qk" };

static struct gtt_fence *kernel_fence(struct qk *k)
{
	struct gtt_fence *f = NULL;

	if (gtt_fence_create_custom(&kernel_fence_ops, k, 0, 0, &f))
		return NULL;
	return f;
}

struct gtt_fence *qk_fence(struct qk *k)
{
	return kernel_fence(k);
}

static bool ready(const struct batch *b)
{
	for (size_t i = 0; i < b->ndeps; i++)
		if (!gtt_fence_is_signaled(b->deps[i]))
			return false;
	return true;
}

static int apply(struct qk *k, const struct gtt_backend_op *op)
{
	if (op->kind == GTT_BACKEND_OP_UNMAP)
		return backend_clear(k->table, op->start, op->size);
	return backend_write(k->table, op->start, op->size,
			     (struct gtt_pages *)op->pages, op->pages_offset,
			     op->pte_flags);
}

static void pump(struct qk *k)
{
	pthread_mutex_lock(&k->lock);
	if (k->busy) {
		k->again = true;
		pthread_mutex_unlock(&k->lock);
		return;
	}
	k->busy = true;
	for (;;) {
		struct batch *b;
		struct gtt_fence *done;
		int err;

		k->again = false;
		if (k->held || k->next == k->n || !ready(&k->b[k->next])) {
			if (k->again)
				continue;
			break;
		}
		b = &k->b[k->next++];
		err = k->fail_run;
		k->fail_run = 0;
		done = b->done;
		pthread_mutex_unlock(&k->lock);
		for (size_t i = 0; i < b->nops && !err; i++)
			err = apply(k, &b->ops[i]);
		pthread_mutex_lock(&k->lock);
		b->ran = true;
		pthread_mutex_unlock(&k->lock);
		gtt_fence_signal(done, err);
		pthread_mutex_lock(&k->lock);
	}
	k->busy = false;
	pthread_mutex_unlock(&k->lock);
}

static void dep_signalled(struct gtt_fence *f, struct gtt_fence_cb *cb)
{
	(void)f;
	pump(((struct dep_cb *)cb)->k);
}

static int qk_submit(void *priv, const struct gtt_backend_op *ops, size_t count,
		     struct gtt_fence *const *deps, size_t num_deps,
		     struct gtt_fence **done)
{
	struct qk *k = priv;
	struct batch nb = { 0 };
	int err;

	pthread_mutex_lock(&k->lock);
	err = k->fail_submit;
	k->fail_submit = 0;
	pthread_mutex_unlock(&k->lock);
	if (err)
		return err;
	nb.ops = malloc((count ? count : 1) * sizeof(*ops));
	nb.deps = malloc((num_deps ? num_deps : 1) * sizeof(*deps));
	nb.cbs = calloc(num_deps ? num_deps : 1, sizeof(*nb.cbs));
	nb.done = kernel_fence(k);
	if (!nb.ops || !nb.deps || !nb.cbs || !nb.done) {
		free(nb.ops);
		free(nb.deps);
		free(nb.cbs);
		gtt_fence_put(nb.done);
		return -ENOMEM;
	}
	memcpy(nb.ops, ops, count * sizeof(*ops));
	nb.nops = count;
	for (size_t i = 0; i < num_deps; i++)
		nb.deps[i] = gtt_fence_get(deps[i]);
	nb.ndeps = num_deps;
	*done = gtt_fence_get(nb.done);
	pthread_mutex_lock(&k->lock);
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 16;
		struct batch *grown = realloc(k->b, cap * sizeof(*grown));

		if (!grown) {
			pthread_mutex_unlock(&k->lock);
			for (size_t i = 0; i < num_deps; i++)
				gtt_fence_put(nb.deps[i]);
			free(nb.ops);
			free(nb.deps);
			free(nb.cbs);
			gtt_fence_put(*done);
			gtt_fence_put(nb.done);
			*done = NULL;
			return -ENOMEM;
		}
		k->b = grown;
		k->cap = cap;
	}
	k->b[k->n++] = nb;
	pthread_mutex_unlock(&k->lock);
	/* The batches array may move: the callbacks use their own memory. */
	for (size_t i = 0; i < nb.ndeps; i++) {
		nb.cbs[i].k = k;
		gtt_fence_add_callback(nb.deps[i], &nb.cbs[i].cb, dep_signalled);
	}
	pump(k);
	return 0;
}

static bool qk_can_wait(void *priv, struct gtt_fence *dep)
{
	return gtt_fence_priv(dep) == priv;
}

static void qk_free(void *priv)
{
	struct qk *k = priv;

	for (size_t i = 0; i < k->n; i++) {
		for (size_t d = 0; d < k->b[i].ndeps; d++) {
			gtt_fence_remove_callback(k->b[i].deps[d], &k->b[i].cbs[d].cb);
			gtt_fence_put(k->b[i].deps[d]);
		}
		free(k->b[i].deps);
		free(k->b[i].cbs);
		free(k->b[i].ops);
		gtt_fence_put(k->b[i].done);
	}
	free(k->b);
	gtt_backend_destroy(k->table);
	pthread_mutex_destroy(&k->lock);
	free(k);
}

static const struct gtt_backend_ops qk_ops = {
	.name = "queue kernel",
	.submit = qk_submit,
	.can_wait = qk_can_wait,
	.destroy = qk_free,
};

int qk_create(uint64_t start, uint64_t size, struct qk **out, struct gtt_backend **be)
{
	struct gtt_mock_config mc = { .start = start, .size = size,
				      .scratch_addr = 0xdead000 };
	struct qk *k = calloc(1, sizeof(*k));
	int err;

	if (!k)
		return -ENOMEM;
	pthread_mutex_init(&k->lock, NULL);
	err = gtt_mock_create(&mc, &k->table);
	if (!err)
		err = gtt_backend_create(&qk_ops, k, be);
	if (err) {
		gtt_backend_destroy(k->table);
		pthread_mutex_destroy(&k->lock);
		free(k);
		return err;
	}
	*out = k;
	return 0;
}

struct gtt_backend *qk_table(struct qk *k)
{
	return k->table;
}

void qk_hold(struct qk *k, bool hold)
{
	pthread_mutex_lock(&k->lock);
	k->held = hold;
	pthread_mutex_unlock(&k->lock);
	if (!hold)
		pump(k);
}

void qk_fail_submit(struct qk *k, int err)
{
	pthread_mutex_lock(&k->lock);
	k->fail_submit = err;
	pthread_mutex_unlock(&k->lock);
}

void qk_fail_run(struct qk *k, int err)
{
	pthread_mutex_lock(&k->lock);
	k->fail_run = err;
	pthread_mutex_unlock(&k->lock);
}

size_t qk_batches(struct qk *k)
{
	size_t n;

	pthread_mutex_lock(&k->lock);
	n = k->n;
	pthread_mutex_unlock(&k->lock);
	return n;
}

/* Readers of batch @i (the array may move under a concurrent submit). */
#define QK_GET(type, expr)				\
	do {						\
		type v_;				\
		pthread_mutex_lock(&k->lock);		\
		v_ = (expr);				\
		pthread_mutex_unlock(&k->lock);		\
		return v_;				\
	} while (0)

size_t qk_batch_ops(struct qk *k, size_t i)
{
	QK_GET(size_t, k->b[i].nops);
}

struct gtt_backend_op qk_batch_op(struct qk *k, size_t i, size_t j)
{
	QK_GET(struct gtt_backend_op, k->b[i].ops[j]);
}

size_t qk_batch_deps(struct qk *k, size_t i)
{
	QK_GET(size_t, k->b[i].ndeps);
}

struct gtt_fence *qk_batch_dep(struct qk *k, size_t i, size_t d)
{
	QK_GET(struct gtt_fence *, k->b[i].deps[d]);
}

struct gtt_fence *qk_batch_fence(struct qk *k, size_t i)
{
	QK_GET(struct gtt_fence *, k->b[i].done);
}

bool qk_batch_ran(struct qk *k, size_t i)
{
	QK_GET(bool, k->b[i].ran);
}
