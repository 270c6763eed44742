/* SPDX-License-Identifier: MIT */
/*
 * gtt-driver-heap: how a Mesa-style driver uses libgtt instead of a
 * util_vma_heap + softpin (or a hand-rolled VM_BIND) setup.  See
 * docs/driver-guide.md, which walks through this file.
 *
 * - The backend stands for the kernel: each bind is a VM_BIND "map", each
 *   clear an "unmap".  It records the stream and flags any map of a range
 *   that is still mapped — the bug async unbind is prone to.
 * - A GPU thread completes batches after a short, random delay.
 * - Each frame allocates buffers (VA from libgtt), submits a batch that
 *   uses them, and frees some of them while the GPU still runs: unbind
 *   returns at once, the VA is reused at once, and libgtt orders the
 *   kernel's unmap after the batch and the next map after that unmap.
 *
 * Exits 0 if the kernel never saw a map over a live mapping, 1 otherwise.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gtt/gtt.h>

#define PAGE 4096ull
#define MAX_BOS 256

/* ---- the "kernel": a VM_BIND-style backend ---- */

struct range { uint64_t start, end; };

struct kernel {
	pthread_mutex_t lock;
	struct range live[4096];
	unsigned int nlive;
	uint64_t maps, unmaps, violations;
};

static int k_map(void *priv, uint64_t start, uint64_t size,
		 const struct gtt_pages *pages, uint64_t off, uint32_t flags)
{
	struct kernel *k = priv;

	(void)pages, (void)off, (void)flags;
	pthread_mutex_lock(&k->lock);
	for (unsigned int i = 0; i < k->nlive; i++)
		if (start < k->live[i].end && k->live[i].start < start + size)
			k->violations++;	/* mapping over a live mapping */
	if (k->nlive < 4096)
		k->live[k->nlive++] = (struct range){ start, start + size };
	k->maps++;
	pthread_mutex_unlock(&k->lock);
	return 0;
}

static int k_unmap(void *priv, uint64_t start, uint64_t size)
{
	struct kernel *k = priv;

	pthread_mutex_lock(&k->lock);
	for (unsigned int i = 0; i < k->nlive; i++)
		if (k->live[i].start == start && k->live[i].end == start + size) {
			k->live[i] = k->live[--k->nlive];
			break;
		}
	k->unmaps++;
	pthread_mutex_unlock(&k->lock);
	return 0;
}

static int k_invalidate(void *priv)
{
	(void)priv;	/* VM_BIND: the kernel flushes TLBs itself */
	return 0;
}

static const struct gtt_backend_ops kernel_ops = {
	.name = "vm_bind", .bind = k_map, .clear = k_unmap, .invalidate = k_invalidate,
};

/* ---- the GPU: completes batches in submission order ---- */

struct gpu {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct gtt_fence *q[1024];
	unsigned int head, tail;
	bool stop;
	uint64_t timeline;
};

static void *gpu_main(void *arg)
{
	struct gpu *g = arg;

	pthread_mutex_lock(&g->lock);
	while (!g->stop || g->head != g->tail) {
		if (g->head == g->tail) {
			pthread_cond_wait(&g->cond, &g->lock);
			continue;
		}
		struct gtt_fence *f = g->q[g->head++ % 1024];

		pthread_mutex_unlock(&g->lock);
		usleep(100 + rand() % 400);		/* the batch runs */
		gtt_fence_signal(f, 0);
		gtt_fence_put(f);
		pthread_mutex_lock(&g->lock);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

/* ---- the driver ---- */

struct bo {
	gtt_vma_t vma;
	uint64_t size;
	bool live;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

#define TRY(call) do { int _e = (call); if (_e) { \
	fprintf(stderr, "gtt-driver-heap: %s: %s\n", #call, gtt_last_error()); \
	exit(2); } } while (0)

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "frames", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kernel k = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct gpu g = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	struct gtt_vm_config vc = { .name = "ppgtt", .start = 1ull << 20,
				    .size = 64ull << 20 };	/* small: forces reuse */
	struct gtt_backend *be;
	struct gtt_executor *pool;
	struct gtt_vm *vm;
	struct gtt_vm_stats st;
	struct bo bos[MAX_BOS] = { 0 };
	uint64_t worst_unbind_us = 0, timeline = gtt_fence_context_alloc(1);
	unsigned int frames = 200;
	bool quiet = false;
	pthread_t gpu_tid;
	int c;

	while ((c = getopt_long(argc, argv, "f:qh", opts, NULL)) != -1) {
		if (c == 'f') {
			frames = (unsigned int)strtoul(optarg, NULL, 10);
		} else if (c == 'q') {
			quiet = true;
		} else {
			printf("usage: gtt-driver-heap [--frames N] [--quiet]\n\n"
			       "A toy driver on libgtt: buffers freed while the GPU uses them,\n"
			       "their VA reused at once, the kernel's map/unmap stream checked.\n");
			return c == 'h' ? 0 : 2;
		}
	}
	srand(1);
	TRY(gtt_backend_create(&kernel_ops, &k, &be));
	TRY(gtt_executor_create_pool(2, &pool));
	vc.backend = be;
	vc.executor = pool;
	TRY(gtt_vm_create(&vc, &vm));
	pthread_create(&gpu_tid, NULL, gpu_main, &g);

	for (unsigned int frame = 0; frame < frames; frame++) {
		struct gtt_fence *batch;
		unsigned int used[16], n = 0;

		/* Allocate a few buffers: the driver's BO create + VA alloc. */
		for (unsigned int i = 0; i < 16; i++) {
			unsigned int b = (unsigned int)rand() % MAX_BOS;
			struct gtt_bind_info bi = { .alignment = rand() % 4 ? 0 : 64 * 1024,
						    .flags = GTT_BIND_EVICT };
			struct gtt_pages_segment seg;
			struct gtt_pages *pages;

			if (bos[b].live)
				continue;
			bos[b].size = PAGE * (1 + (uint64_t)(rand() % 64));
			seg = (struct gtt_pages_segment){ 0x100000000ull + b * 0x1000000ull, bos[b].size };
			if (!bos[b].vma) {
				TRY(gtt_pages_create(&seg, 1, 0, &pages));
				TRY(gtt_vma_create(vm, pages, NULL, &bos[b].vma));
				gtt_pages_put(pages);
			}
			if (gtt_vma_bind(vm, bos[b].vma, &bi, NULL))
				continue;		/* full even after eviction */
			bos[b].live = true;
			used[n++] = b;
		}
		/* Submit a batch that uses them; tell libgtt what it touches. */
		TRY(gtt_fence_create(timeline, frame + 1, &batch));
		for (unsigned int i = 0; i < n; i++)
			if (gtt_vma_add_active(vm, bos[used[i]].vma, batch))
				bos[used[i]].live = false;	/* evicted meanwhile */
		pthread_mutex_lock(&g.lock);
		g.q[g.tail++ % 1024] = gtt_fence_get(batch);
		pthread_cond_signal(&g.cond);
		pthread_mutex_unlock(&g.lock);
		gtt_fence_put(batch);

		/* Free some buffers while the GPU may still use them. */
		for (unsigned int i = 0; i < n; i++) {
			struct bo *bo = &bos[used[i]];
			uint64_t t0;
			int err;

			if (!bo->live || rand() % 2)
				continue;
			t0 = now_us();
			err = gtt_vma_unbind(vm, bo->vma, GTT_UNBIND_ASYNC, NULL);
			if (now_us() - t0 > worst_unbind_us)
				worst_unbind_us = now_us() - t0;
			if (err && err != -ENOENT)	/* -ENOENT: evicted already */
				TRY(err);
			bo->live = false;
		}
	}
	/* Tear down: everything unbinds, the GPU drains. */
	pthread_mutex_lock(&g.lock);
	g.stop = true;
	pthread_cond_signal(&g.cond);
	pthread_mutex_unlock(&g.lock);
	pthread_join(gpu_tid, NULL);
	gtt_vm_stats(vm, &st);
	gtt_vm_destroy(vm);
	gtt_executor_destroy(pool);
	gtt_backend_destroy(be);

	if (!quiet) {
		printf("%u frames: %" PRIu64 " binds (%" PRIu64 " ordered behind a pending unbind), "
		       "%" PRIu64 " unbinds (%" PRIu64 " waited for the GPU), %" PRIu64 " evictions\n",
		       frames, st.binds, st.bind_waits_on_unbind, st.unbinds,
		       st.unbinds_deferred, st.evictions);
		printf("kernel saw %" PRIu64 " maps and %" PRIu64 " unmaps; maps over a live mapping: %" PRIu64 "\n",
		       k.maps, k.unmaps, k.violations);
		printf("longest unbind call: %" PRIu64 " us (the GPU batches take 100-500 us)\n",
		       worst_unbind_us);
	}
	return k.violations ? 1 : 0;
}
