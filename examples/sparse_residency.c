/* SPDX-License-Identifier: MIT */
/*
 * gtt-sparse-residency: sparse residency for one buffer, the way a Vulkan
 * driver implements vkQueueBindSparse on libgtt (docs/driver-guide.md,
 * "Sparse binding").
 *
 * - A 64-page sparse buffer is one sparse vma, placed once; its whole range
 *   starts as a NULL mapping: the GPU may read it and gets zeros
 *   (residencyNonResidentStrict).
 * - A toy texture streamer owns a pool of 8 pages of memory.  Each frame
 *   the GPU job needs a window of pages (it slides by 4 pages a frame) and
 *   one "mip tail" page; the streamer makes missing pages resident, one
 *   gtt_vma_map() each, at the pool page it picked (pages_offset), and when
 *   the pool is full evicts the least recently used page back to NULL.
 * - The GPU runs one job at a time on one timeline; each job is recorded
 *   with gtt_vma_add_active(), so an eviction made while it runs waits for
 *   it, and a pool page is reused only after its eviction completed (the
 *   eviction's fence is a dependency of the new mapping).  A job starts
 *   only when the merged fence of its frame's maps (what vkQueueBindSparse
 *   would signal) has signalled.
 *
 * Everything runs on the mock backend and a manual executor, so the
 * printed timeline is deterministic.  The program checks, while jobs run,
 * that an evicted page still maps its memory until the job reading it is
 * done, and at the end, through gtt_backend_translate(), that every page is
 * what the streamer believes (resident at its pool page, or NULL).
 *
 * Exits 0 if every check held, 1 otherwise.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <gtt/gtt.h>

#define PAGE 4096ull
#define NPAGES 64		/* pages in the sparse buffer */
#define POOL 8			/* pages of memory the streamer owns */
#define FRAMES 4
#define WINDOW 6		/* pages each job reads, plus the mip tail */
#define MIP_TAIL (NPAGES - 1)
#define VM_START 0x100000ull
#define VM_SIZE (1024 * PAGE)
#define POOL_DMA 0x80000000ull
#define MAX_OPS 128

static bool quiet;
static int failures;

static void say(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "gtt-sparse-residency: FAIL: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	failures++;
}

/* ---- the streamer's view ---- */

struct streamer {
	struct gtt_vm *vm;
	struct gtt_backend *be;
	struct gtt_executor *ex;
	gtt_vma_t buf;			/* the sparse buffer */
	uint64_t va;			/* its GPU address */
	struct gtt_pages *pool;		/* POOL pages of memory */
	int slot_of[NPAGES];		/* pool page, or -1: NULL */
	int page_in[POOL];		/* buffer page, or -1: free */
	unsigned int last_use[NPAGES];	/* frame that last needed the page */
	struct gtt_fence *slot_free[POOL];	/* eviction to wait for */
	struct gtt_fence *job;		/* the job on the GPU, or NULL */
	unsigned int job_frame;
	struct gtt_fence *job_binds;	/* what that job waited for */
	uint64_t gpu_ctx;
	/* Operations whose fence is still to be reported. */
	struct op { char what[40]; struct gtt_fence *f; } ops[MAX_OPS];
	unsigned int nops;
};

static int track(struct streamer *s, struct gtt_fence *f, const char *fmt, ...)
{
	va_list ap;
	struct op *o;

	if (s->nops == MAX_OPS) {
		fail("too many operations in flight");
		gtt_fence_put(f);
		return -1;
	}
	o = &s->ops[s->nops++];
	va_start(ap, fmt);
	vsnprintf(o->what, sizeof(o->what), fmt, ap);
	va_end(ap);
	o->f = f;
	return 0;
}

/* Run the deferred work, then print what completed since last time. */
static void progress(struct streamer *s)
{
	unsigned int k = 0;
	bool any = false;

	gtt_executor_run_all(s->ex);
	for (unsigned int i = 0; i < s->nops; i++) {
		struct op *o = &s->ops[i];

		if (!gtt_fence_is_signaled(o->f)) {
			s->ops[k++] = *o;
			continue;
		}
		if (gtt_fence_status(o->f) < 0)
			fail("%s: %s", o->what, gtt_strerror(gtt_fence_status(o->f)));
		say("%s%s", any ? ", " : "    done: ", o->what);
		any = true;
		gtt_fence_put(o->f);
	}
	if (any)
		say("\n");
	s->nops = k;
}

static bool pending(struct gtt_fence *f)
{
	return f && !gtt_fence_is_signaled(f);
}

/* What page @page of the buffer maps now, in the streamer's words. */
static void describe(struct streamer *s, unsigned int page, char *buf, size_t n)
{
	struct gtt_translation t;
	int err = gtt_backend_translate(s->be, s->va + page * PAGE, &t);

	if (err)
		snprintf(buf, n, "error %d", err);
	else if (t.null)
		snprintf(buf, n, "NULL");
	else if (t.present && !t.scratch && t.addr >= POOL_DMA && t.addr < POOL_DMA + POOL * PAGE)
		snprintf(buf, n, "slot %u", (unsigned int)((t.addr - POOL_DMA) / PAGE));
	else if (t.scratch)
		snprintf(buf, n, "scratch");
	else
		snprintf(buf, n, "0x%" PRIx64, t.addr);
}

/* Does the table say what the streamer believes about @page? */
static bool page_ok(struct streamer *s, unsigned int page, int slot)
{
	struct gtt_translation t;

	if (gtt_backend_translate(s->be, s->va + page * PAGE, &t))
		return false;
	if (slot < 0)
		return t.present && t.null && !t.addr;
	return t.present && !t.null && !t.scratch && t.addr == POOL_DMA + (uint64_t)slot * PAGE;
}

/* Evict @page back to NULL; its pool page is free once the fence signals. */
static int evict(struct streamer *s, unsigned int page)
{
	struct gtt_map_info null = { .flags = GTT_MAP_ASYNC, .pte_flags = GTT_PTE_NULL };
	int slot = s->slot_of[page];
	struct gtt_fence *f;
	int err;

	err = gtt_vma_map(s->vm, s->buf, page * PAGE, PAGE, &null, &f);
	if (err)
		return err;
	s->slot_of[page] = -1;
	s->page_in[slot] = -1;
	gtt_fence_put(s->slot_free[slot]);
	s->slot_free[slot] = gtt_fence_get(f);
	return track(s, f, "evict %u", page);
}

/* The least recently used resident page that @frame does not need. */
static int victim(const struct streamer *s, unsigned int frame)
{
	int best = -1;

	for (unsigned int i = 0; i < POOL; i++) {
		int p = s->page_in[i];

		if (p < 0 || s->last_use[p] == frame)
			continue;
		if (best < 0 || s->last_use[p] < s->last_use[best] ||
		    (s->last_use[p] == s->last_use[best] && p < best))
			best = p;
	}
	return best;
}

/* Make @page resident; its map fence goes into @binds. */
static int make_resident(struct streamer *s, unsigned int page, unsigned int frame,
			 struct gtt_fence **binds, size_t *nbinds)
{
	struct gtt_map_info mi = { .flags = GTT_MAP_ASYNC, .pages = s->pool };
	struct gtt_fence *f;
	int slot = -1, evicted = -1, err;
	char line[64];

	for (int i = 0; i < POOL && slot < 0; i++)
		if (s->page_in[i] < 0)
			slot = i;
	if (slot < 0) {
		int p = victim(s, frame);

		if (p < 0) {
			fail("frame %u needs more than %d pages", frame, POOL);
			return -1;
		}
		slot = s->slot_of[p];
		if ((err = evict(s, p)))
			return err;
		evicted = p;
	}
	/* The pool page may still be visible through its old page: the
	 * upload (and the new mapping) come after that eviction. */
	if (pending(s->slot_free[slot])) {
		mi.deps = &s->slot_free[slot];
		mi.num_deps = 1;
	}
	mi.pages_offset = (uint64_t)slot * PAGE;
	err = gtt_vma_map(s->vm, s->buf, page * PAGE, PAGE, &mi, &f);
	if (err)
		return err;
	snprintf(line, sizeof(line), "page %2u: map slot %d", page, slot);
	if (evicted >= 0)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
			 ", evict page %d to NULL", evicted);
	if (pending(s->job) && evicted >= 0)
		say("  %-44s[evict waits for job %u; map for the evict and job %u]\n", line,
		    s->job_frame, s->job_frame);
	else if (pending(s->job))
		say("  %-44s[map waits for job %u]\n", line, s->job_frame);
	else
		say("  %s\n", line);
	s->slot_of[page] = slot;
	s->page_in[slot] = (int)page;
	binds[(*nbinds)++] = gtt_fence_get(f);
	return track(s, f, "map %u", page);
}

/* The GPU finishes its job; it must not have started before its maps. */
static void gpu_finish(struct streamer *s)
{
	if (!s->job)
		return;
	if (!gtt_fence_is_signaled(s->job_binds))
		fail("job %u ran before its pages were resident", s->job_frame);
	say("  GPU: job %u done\n", s->job_frame);
	gtt_fence_signal(s->job, 0);
	gtt_fence_put(s->job);
	gtt_fence_put(s->job_binds);
	s->job = s->job_binds = NULL;
}

/*
 * While the previous job runs, nothing issued this frame may have reached
 * the table: an evicted page still maps its pool page (the job may read
 * it), a page being made resident is still NULL (its NULL part's clear
 * waits for the vma's active fences too).
 */
static void check_in_flight(struct streamer *s, unsigned int frame)
{
	char kept[128] = "", still_null[128] = "", what[32];
	size_t nk = 0, nn = 0;

	if (!pending(s->job))
		return;
	for (unsigned int i = 0; i < s->nops; i++) {
		unsigned int page;
		bool is_evict = sscanf(s->ops[i].what, "evict %u", &page) == 1;

		if (!is_evict && sscanf(s->ops[i].what, "map %u", &page) != 1)
			continue;
		describe(s, page, what, sizeof(what));
		if (is_evict && !strncmp(what, "slot", 4))
			nk += (size_t)snprintf(kept + nk, sizeof(kept) - nk, " %u", page);
		else if (!is_evict && !strcmp(what, "NULL"))
			nn += (size_t)snprintf(still_null + nn, sizeof(still_null) - nn, " %u", page);
		else
			fail("frame %u: page %u is %s before job %u is done", frame, page,
			     what, s->job_frame);
		if (nk >= sizeof(kept) - 8 || nn >= sizeof(still_null) - 8)
			break;
	}
	say("  while job %u runs: evicted pages%s still map their memory; pages%s still NULL\n",
	    s->job_frame, nk ? kept : " (none)", nn ? still_null : " (none)");
}

static int frame_run(struct streamer *s, unsigned int frame)
{
	struct gtt_fence *binds[WINDOW + 1];
	unsigned int need[WINDOW + 1], nneed = 0;
	size_t nbinds = 0;
	int err = 0;

	for (unsigned int i = 0; i < WINDOW; i++)
		need[nneed++] = frame * 4 + i;
	need[nneed++] = MIP_TAIL;
	say("frame %u: job %u reads pages %u-%u and %u\n", frame, frame, need[0],
	    need[WINDOW - 1], MIP_TAIL);
	for (unsigned int i = 0; i < nneed; i++)
		s->last_use[need[i]] = frame;
	for (unsigned int i = 0; i < nneed && !err; i++)
		if (s->slot_of[need[i]] < 0)
			err = make_resident(s, need[i], frame, binds, &nbinds);
	if (!err)
		progress(s);
	if (!err)
		check_in_flight(s, frame);
	/* The GPU finishes the previous job: what waited for it can run. */
	if (!err) {
		gpu_finish(s);
		progress(s);
	}
	/* Submit this frame's job: it waits for the maps (vkQueueBindSparse's
	 * signal semaphore is their merge) and is recorded as active. */
	if (!err)
		err = gtt_fence_merge(binds, nbinds, &s->job_binds);
	if (!err)
		err = gtt_fence_create(s->gpu_ctx, frame + 1, &s->job);
	if (!err)
		err = gtt_vma_add_active(s->vm, s->buf, s->job);
	if (!err) {
		s->job_frame = frame;
		say("  job %u submitted: waits for %zu map%s\n", frame, nbinds,
		    nbinds == 1 ? "" : "s");
	}
	for (size_t i = 0; i < nbinds; i++)
		gtt_fence_put(binds[i]);
	return err;
}

static void pool_released(void *arg)
{
	*(bool *)arg = true;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: gtt-sparse-residency [--quiet]\n\n"
		"Sparse residency for one 64-page buffer on the mock backend: a toy\n"
		"texture streamer makes pages resident from an 8-page pool and evicts\n"
		"them back to NULL while a fake GPU job still reads them; prints the\n"
		"timeline and checks every page through gtt_backend_translate().\n"
		"  -q, --quiet   print only the verdict\n"
		"  -h, --help    this text\n");
}

int main(int argc, char **argv)
{
	struct gtt_mock_config mc = { .start = VM_START, .size = VM_SIZE };
	struct gtt_vm_config vc = { .name = "sparse", .start = VM_START, .size = VM_SIZE };
	struct gtt_pages_segment seg = { .addr = POOL_DMA, .length = POOL * PAGE };
	struct gtt_map_info all_null = { .pte_flags = GTT_PTE_NULL };
	struct streamer s = { .buf = 0 };
	struct gtt_vma_info vi;
	bool pool_freed = false;
	char what[32];
	int err, mismatches = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			quiet = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "gtt-sparse-residency: unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	memset(s.slot_of, -1, sizeof(s.slot_of));
	memset(s.page_in, -1, sizeof(s.page_in));
	s.gpu_ctx = gtt_fence_context_alloc(1);

	if ((err = gtt_mock_create(&mc, &s.be)) ||
	    (err = gtt_executor_create_manual(&s.ex)))
		goto out;
	vc.backend = s.be;
	vc.executor = s.ex;
	if ((err = gtt_vm_create(&vc, &s.vm)) ||
	    (err = gtt_pages_create(&seg, 1, 0, &s.pool)) ||
	    (err = gtt_pages_set_destructor(s.pool, pool_released, &pool_freed)))
		goto out;
	/* One sparse vma per sparse buffer: its VA is fixed for its life. */
	if ((err = gtt_vma_create_sparse(s.vm, NPAGES * PAGE, NULL, &s.buf)) ||
	    (err = gtt_vma_bind(s.vm, s.buf, NULL, NULL)) ||
	    (err = gtt_vma_query(s.vm, s.buf, &vi)))
		goto out;
	s.va = vi.offset;
	/* Non-resident reads return zero: the whole range starts NULL. */
	if ((err = gtt_vma_map(s.vm, s.buf, 0, NPAGES * PAGE, &all_null, NULL)))
		goto out;
	describe(&s, 40, what, sizeof(what));
	say("sparse buffer: %d pages at 0x%" PRIx64 ", all NULL (page 40: %s); pool: %d pages at DMA 0x%llx\n",
	    NPAGES, s.va, what, POOL, (unsigned long long)POOL_DMA);

	for (unsigned int f = 0; f < FRAMES && !err; f++)
		err = frame_run(&s, f);
	if (err)
		goto out;
	say("end: the last job finishes\n");
	gpu_finish(&s);
	progress(&s);
	if (s.nops)
		fail("%u operations never completed", s.nops);

	for (unsigned int p = 0; p < NPAGES; p++) {
		if (page_ok(&s, p, s.slot_of[p]))
			continue;
		describe(&s, p, what, sizeof(what));
		fail("page %u is %s, the streamer believes %s %d", p, what,
		     s.slot_of[p] < 0 ? "NULL" : "slot", s.slot_of[p]);
		mismatches++;
	}
	say("resident:");
	for (unsigned int p = 0; p < NPAGES; p++)
		if (s.slot_of[p] >= 0)
			say(" %u->%d", p, s.slot_of[p]);
	say("; the other %d pages NULL\n", NPAGES - POOL);
out:
	if (err)
		fprintf(stderr, "gtt-sparse-residency: %s\n", gtt_last_error());
	/* Teardown: nothing may wait on a job that never ends. */
	if (s.job) {
		gtt_fence_signal(s.job, 0);
		gtt_fence_put(s.job);
		gtt_fence_put(s.job_binds);
	}
	if (s.ex)
		gtt_executor_run_all(s.ex);
	for (unsigned int i = 0; i < s.nops; i++)
		gtt_fence_put(s.ops[i].f);
	for (unsigned int i = 0; i < POOL; i++)
		gtt_fence_put(s.slot_free[i]);
	if (s.vm && s.buf && gtt_vma_unbind(s.vm, s.buf, 0, NULL) && !err)
		fail("unbinding the sparse buffer: %s", gtt_last_error());
	if (s.vm) {
		if (s.buf)
			gtt_vma_destroy(s.vm, s.buf);
		gtt_vm_destroy(s.vm);
	}
	gtt_pages_put(s.pool);
	if (s.pool && !pool_freed)
		fail("the pool's pages are still referenced after teardown");
	if (s.ex)
		gtt_executor_destroy(s.ex);
	if (s.be)
		gtt_backend_destroy(s.be);
	if (err || failures) {
		printf("gtt-sparse-residency: FAILED (%d check%s, %d page%s wrong)\n",
		       failures, failures == 1 ? "" : "s", mismatches, mismatches == 1 ? "" : "s");
		return 1;
	}
	printf("gtt-sparse-residency: ok, %d pages checked, %d resident, %d NULL\n",
	       NPAGES, POOL, NPAGES - POOL);
	return 0;
}
