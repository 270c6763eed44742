/* SPDX-License-Identifier: MIT */
/*
 * The binding journal and the fault explainer (gtt/journal.h): the ring
 * and its lost count, every event kind, explanations in the past and now,
 * a failed clear (quarantine), a queue backend's failed batch, allocation
 * failure, bad input, and binds on one thread with clears on an executor's
 * workers (run it under TSan).
 */
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "support/queue_kernel.h"

#define START 0x100000ull
#define SIZE (256 * PAGE)

static struct gtt_explain explain(struct gtt_vm *vm, uint64_t addr, uint64_t t)
{
	struct gtt_explain ex;

	assert_int_equal(gtt_vm_explain(vm, addr, t, &ex), 0);
	return ex;
}

/* gtt_explain_print() into a string. */
static char *printed(const struct gtt_explain *ex)
{
	static char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	assert_int_equal(gtt_explain_print(f, ex), 0);
	fclose(f);
	return buf;
}

static size_t read_all(struct gtt_vm *vm, struct gtt_journal_event *ev, size_t max,
		       uint64_t *lost)
{
	size_t n = 0;

	assert_int_equal(gtt_vm_journal_read(vm, ev, max, &n, lost), 0);
	return n;
}

/* Sleep a little, so that the events before and after have other times. */
static void tick(void)
{
	usleep(2000);
}

static void test_wrap_and_lost(void **state)
{
	struct gtt_journal_event ev[8];
	struct fixture f;
	uint64_t lost = 0;
	gtt_vma_t h;
	size_t n;

	(void)state;
	fixture_init(&f, START, SIZE, 0);
	assert_int_equal(gtt_vm_journal_enable(f.vm, 4), 0);
	h = make_vma(&f, 0x1000000, 4, NULL);
	/* Three sync binds and unbinds: bind, unbind, clear each: 9 events. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(gtt_vma_bind(f.vm, h, NULL, NULL), 0);
		assert_int_equal(gtt_vma_unbind(f.vm, h, 0, NULL), 0);
	}
	n = read_all(f.vm, ev, 8, &lost);
	assert_int_equal(n, 4);
	assert_int_equal(lost, 5);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ev[i].seq, 6 + i);
	/* 6: clear of the 2nd, 7: bind, 8: unbind, 9: clear of the 3rd. */
	assert_int_equal(ev[0].kind, GTT_JOURNAL_CLEAR);
	assert_int_equal(ev[1].kind, GTT_JOURNAL_BIND);
	assert_int_equal(ev[2].kind, GTT_JOURNAL_UNBIND);
	assert_int_equal(ev[3].kind, GTT_JOURNAL_CLEAR);
	assert_int_equal(ev[2].binding, ev[1].seq);
	assert_int_equal(ev[3].binding, ev[1].seq);
	/* Fewer than it holds: the newest. */
	n = read_all(f.vm, ev, 2, NULL);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0].seq, 8);
	assert_int_equal(ev[1].seq, 9);
	/* The explanation says what was lost. */
	struct gtt_explain ex = explain(f.vm, START, 0);

	assert_int_equal(ex.lost, 5);
	assert_int_equal(ex.count, 1);
	assert_int_equal(ex.m[0].state, GTT_EXPLAIN_CLEARED);
	assert_non_null(strstr(printed(&ex), "the journal lost 5 older events"));
	fixture_fini(&f);
}

static void test_every_kind(void **state)
{
	struct gtt_journal_event ev[32];
	struct gtt_fence *gpu = new_fence(), *uf = NULL;
	struct gtt_pages *p = make_pages(0x2000000, 4, 0);
	struct gtt_bind_info at = fixed_at(START, 0);
	struct gtt_bind_info ev_at = fixed_at(START, GTT_BIND_EVICT);
	struct fixture f;
	gtt_vma_t a, b, s;
	size_t n;

	(void)state;
	fixture_init(&f, START, 4 * PAGE, 0);
	assert_int_equal(gtt_vm_journal_enable(f.vm, 64), 0);
	assert_int_equal(gtt_vma_create(f.vm, p, NULL, &a), 0);
	b = make_vma(&f, 0x3000000, 4, NULL);
	/* bind; unbind with GPU work pending; the clear after it. */
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), 0);
	assert_int_equal(gtt_vma_add_active(f.vm, a, gpu), 0);
	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, &uf), 0);
	n = read_all(f.vm, ev, 32, NULL);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0].kind, GTT_JOURNAL_BIND);
	assert_int_equal(ev[0].vma, a);
	assert_int_equal(ev[0].start, START);
	assert_int_equal(ev[0].size, 4 * PAGE);
	assert_ptr_equal(ev[0].pages, p);
	assert_int_equal(ev[0].binding, ev[0].seq);
	assert_int_equal(ev[1].kind, GTT_JOURNAL_UNBIND);
	assert_int_equal(ev[1].vma, a);
	assert_int_equal(ev[1].binding, ev[0].seq);
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(f.ex);
	assert_true(gtt_fence_is_signaled(uf));
	n = read_all(f.vm, ev, 32, NULL);
	assert_int_equal(n, 3);
	assert_int_equal(ev[2].kind, GTT_JOURNAL_CLEAR);
	assert_int_equal(ev[2].err, 0);
	assert_int_equal(ev[2].flags, 0);
	assert_int_equal(ev[2].binding, ev[0].seq);
	/* An eviction: b takes a's range from it. */
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), 0);
	assert_int_equal(gtt_vma_bind(f.vm, b, &ev_at, NULL), 0);
	gtt_executor_run_all(f.ex);
	n = read_all(f.vm, ev, 32, NULL);
	assert_int_equal(ev[3].kind, GTT_JOURNAL_BIND);
	assert_int_equal(ev[4].kind, GTT_JOURNAL_EVICT);
	assert_int_equal(ev[4].vma, a);
	assert_int_equal(ev[4].binding, ev[3].seq);
	assert_int_equal(ev[5].kind, GTT_JOURNAL_CLEAR);
	assert_int_equal(ev[5].binding, ev[3].seq);
	assert_int_equal(ev[6].kind, GTT_JOURNAL_BIND);
	assert_int_equal(ev[6].vma, b);
	assert_int_equal(n, 7);
	struct gtt_explain ex = explain(f.vm, START, 0);

	assert_int_equal(ex.count, 3);
	assert_true(ex.m[1].evicted);
	assert_int_equal(ex.m[2].vma, b);
	assert_int_equal(ex.now_vma, b);
	assert_non_null(strstr(printed(&ex), "evicted at t="));
	assert_int_equal(gtt_vma_unbind(f.vm, b, 0, NULL), 0);

	/* Sparse: a map, an unmap and the clear of the cut piece. */
	assert_int_equal(gtt_vma_create_sparse(f.vm, 4 * PAGE, NULL, &s), 0);
	assert_int_equal(gtt_vma_bind(f.vm, s, &at, NULL), 0);
	assert_int_equal(gtt_vma_map(f.vm, s, PAGE, 2 * PAGE,
				     &(struct gtt_map_info){ .pages = p }, NULL), 0);
	assert_int_equal(gtt_vma_unmap(f.vm, s, PAGE, PAGE, NULL, NULL), 0);
	gtt_executor_run_all(f.ex);
	n = read_all(f.vm, ev, 32, NULL);
	assert_int_equal(ev[n - 4].kind, GTT_JOURNAL_BIND);	/* the region */
	assert_int_equal(ev[n - 3].kind, GTT_JOURNAL_MAP);
	assert_int_equal(ev[n - 3].vma, s);
	assert_int_equal(ev[n - 3].start, START + PAGE);
	assert_int_equal(ev[n - 3].size, 2 * PAGE);
	assert_ptr_equal(ev[n - 3].pages, p);
	assert_int_equal(ev[n - 2].kind, GTT_JOURNAL_UNMAP);
	assert_int_equal(ev[n - 2].start, START + PAGE);
	assert_int_equal(ev[n - 2].size, PAGE);
	assert_int_equal(ev[n - 1].kind, GTT_JOURNAL_CLEAR);
	assert_int_equal(ev[n - 1].vma, 0);
	assert_int_equal(ev[n - 1].start, START + PAGE);
	ex = explain(f.vm, START + PAGE, 0);
	assert_int_equal(ex.m[ex.count - 1].state, GTT_EXPLAIN_CLEARED);
	assert_true(ex.m[ex.count - 1].sparse);
	ex = explain(f.vm, START + 2 * PAGE, 0);
	assert_int_equal(ex.m[ex.count - 1].state, GTT_EXPLAIN_BOUND);
	assert_true(ex.m[ex.count - 1].sparse);

	gtt_fence_put(uf);
	gtt_fence_put(gpu);
	gtt_pages_put(p);
	fixture_fini(&f);
}

static void test_past_and_now(void **state)
{
	struct gtt_journal_event ev[16];
	struct gtt_fence *gpu = new_fence();
	struct gtt_bind_info at = fixed_at(START, GTT_BIND_ASYNC);
	struct fixture f;
	gtt_vma_t a, b;
	uint64_t t_bound, t_unbinding, t_cleared;
	struct gtt_explain ex;
	char *text;
	size_t n;

	(void)state;
	fixture_init(&f, START, SIZE, 0);
	assert_int_equal(gtt_vm_journal_enable(f.vm, 16), 0);
	a = make_vma(&f, 0x1000000, 16, NULL);
	b = make_vma(&f, 0x2000000, 1, NULL);
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), 0);
	assert_int_equal(gtt_vma_add_active(f.vm, a, gpu), 0);
	tick();
	t_bound = now_ns();
	tick();
	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, NULL), 0);
	/* b takes the range while a's clear waits for the GPU. */
	assert_int_equal(gtt_vma_bind(f.vm, b, &at, NULL), 0);
	tick();
	t_unbinding = now_ns();
	tick();
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(f.ex);
	tick();
	t_cleared = now_ns();
	tick();
	assert_int_equal(gtt_vma_unbind(f.vm, b, 0, NULL), 0);
	n = read_all(f.vm, ev, 16, NULL);
	assert_int_equal(n, 6);

	/* Before anything. */
	ex = explain(f.vm, START + 5 * PAGE, ev[0].time - 1);
	assert_int_equal(ex.count, 0);
	assert_non_null(strstr(printed(&ex), "nothing was bound here"));
	/* a bound. */
	ex = explain(f.vm, START + 5 * PAGE, t_bound);
	assert_int_equal(ex.count, 1);
	assert_int_equal(ex.m[0].vma, a);
	assert_int_equal(ex.m[0].state, GTT_EXPLAIN_BOUND);
	assert_int_equal(ex.m[0].unbound_at, 0);
	/* a unbound, its clear not run: the PTEs still map a's pages. */
	ex = explain(f.vm, START + 5 * PAGE, t_unbinding);
	assert_int_equal(ex.count, 1);	/* b is one page at START */
	assert_int_equal(ex.m[0].state, GTT_EXPLAIN_UNBINDING);
	assert_int_equal(ex.m[0].cleared_at, 0);
	text = printed(&ex);
	assert_non_null(strstr(text, "POTENTIAL USE AFTER FREE"));
	assert_non_null(strstr(text, "clear not yet run"));
	/* At START, b's bind came after a's unbind: b is bound, waiting. */
	ex = explain(f.vm, START, t_unbinding);
	assert_int_equal(ex.count, 2);
	assert_int_equal(ex.m[0].vma, a);
	assert_int_equal(ex.m[0].state, GTT_EXPLAIN_UNBINDING);
	assert_int_equal(ex.m[1].vma, b);
	assert_int_equal(ex.m[1].state, GTT_EXPLAIN_BOUND);
	/* After the clear. */
	ex = explain(f.vm, START + 5 * PAGE, t_cleared);
	assert_int_equal(ex.m[0].state, GTT_EXPLAIN_CLEARED);
	assert_true(ex.m[0].cleared_at > t_unbinding && ex.m[0].cleared_at < t_cleared);
	/* Now: b unbound too, nothing there. */
	ex = explain(f.vm, START, 0);
	assert_int_equal(ex.count, 2);
	assert_int_equal(ex.m[1].state, GTT_EXPLAIN_CLEARED);
	assert_int_equal(ex.now_vma, 0);
	assert_false(ex.now_held);
	text = printed(&ex);
	assert_non_null(strstr(text, "an access hits scratch"));
	assert_non_null(strstr(text, "now: free"));
	/* Bound now. */
	assert_int_equal(gtt_vma_bind(f.vm, b, &at, NULL), 0);
	ex = explain(f.vm, START, 0);
	assert_int_equal(ex.now_vma, b);
	assert_int_equal(ex.m[ex.count - 1].state, GTT_EXPLAIN_BOUND);
	assert_non_null(strstr(printed(&ex), "now: vma 0x"));
	gtt_fence_put(gpu);
	fixture_fini(&f);
}

/* A fixture with a journal of 8 and a two-page vma at START whose
 * synchronous unbind's clear fails (every backend call fails from now). */
static gtt_vma_t quarantined_vma(struct fixture *f)
{
	struct gtt_bind_info at = fixed_at(START, 0);
	gtt_vma_t a;

	fixture_init(f, START, SIZE, 0);
	assert_int_equal(gtt_vm_journal_enable(f->vm, 8), 0);
	a = make_vma(f, 0x1000000, 2, NULL);
	assert_int_equal(gtt_vma_bind(f->vm, a, &at, NULL), 0);
	assert_int_equal(gtt_mock_fail_calls(f->be, 1, UINT64_MAX, -EIO), 0);
	assert_int_equal(gtt_vma_unbind(f->vm, a, 0, NULL), -EIO);
	return a;
}

/* A clear that fails: quarantined, the range held, then released. */
static void test_failed_clear(void **state)
{
	struct gtt_journal_event ev[8];
	struct fixture f;
	struct gtt_explain ex;
	gtt_vma_t h;
	char *text;
	size_t n;

	(void)state;
	quarantined_vma(&f);
	n = read_all(f.vm, ev, 8, NULL);
	assert_int_equal(n, 3);
	assert_int_equal(ev[2].kind, GTT_JOURNAL_CLEAR);
	assert_int_equal(ev[2].err, -EIO);
	assert_int_equal(ev[2].flags, GTT_JOURNAL_QUARANTINED);
	ex = explain(f.vm, START + PAGE, 0);
	assert_int_equal(ex.count, 1);
	assert_int_equal(ex.m[0].state, GTT_EXPLAIN_QUARANTINED);
	assert_int_equal(ex.m[0].clear_error, -EIO);
	assert_true(ex.now_held);
	assert_int_equal(ex.now_vma, 0);
	text = printed(&ex);
	assert_non_null(strstr(text, "clear FAILED"));
	assert_non_null(strstr(text, "held in quarantine"));
	assert_non_null(strstr(text, "now: held by the quarantine (not free)"));
	assert_null(strstr(text, "now: free"));
	/* In the past, from the journal alone: the same. */
	ex = explain(f.vm, START + PAGE, ev[2].time);
	assert_int_equal(ex.m[0].state, GTT_EXPLAIN_QUARANTINED);
	/* The backend works again: the next call's retry (here the
	 * explanation's own) releases it. */
	assert_int_equal(gtt_mock_fail_call(f.be, 0, 0), 0);
	ex = explain(f.vm, START + PAGE, 0);
	n = read_all(f.vm, ev, 8, NULL);
	assert_int_equal(n, 4);
	assert_int_equal(ev[3].kind, GTT_JOURNAL_RELEASE);
	assert_int_equal(ev[3].binding, ev[0].seq);
	assert_int_equal(gtt_vm_lookup(f.vm, START, &h, NULL), -ENOENT);
	assert_int_equal(ex.m[0].state, GTT_EXPLAIN_RELEASED);
	assert_true(ex.m[0].released_at >= ex.m[0].cleared_at);
	assert_false(ex.now_held);
	assert_non_null(strstr(printed(&ex), "quarantine released at t="));
	fixture_fini(&f);
}

/* A bind accepted, then its PTE write failing: the journal says so, and
 * the explanation does not call the range mapped. */
static void test_bind_failed(void **state)
{
	struct gtt_journal_event ev[16];
	struct gtt_fence *dep = new_fence();
	struct gtt_bind_info at = fixed_at(START, GTT_BIND_ASYNC);
	struct gtt_fence *bf = NULL;
	struct fixture f;
	struct gtt_explain ex;
	gtt_vma_t a, b, c;
	char *text;
	size_t n;

	(void)state;
	fixture_init(&f, START, SIZE, 0);
	assert_int_equal(gtt_vm_journal_enable(f.vm, 16), 0);
	a = make_vma(&f, 0x1000000, 2, NULL);
	/* 1. A dependency fails: the job runs later, on the executor. */
	at.deps = &dep;
	at.num_deps = 1;
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, &bf), 0);
	ex = explain(f.vm, START, 0);
	assert_int_equal(ex.m[0].state, GTT_EXPLAIN_BOUND);
	gtt_fence_signal(dep, -EIO);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(bf), -EIO);
	n = read_all(f.vm, ev, 16, NULL);
	assert_int_equal(n, 2);
	assert_int_equal(ev[1].kind, GTT_JOURNAL_BIND_FAILED);
	assert_int_equal(ev[1].binding, ev[0].seq);
	assert_int_equal(ev[1].err, -EIO);
	assert_int_equal(ev[1].flags, 0);
	ex = explain(f.vm, START + PAGE, 0);
	assert_int_equal(ex.count, 1);
	assert_int_equal(ex.m[0].state, GTT_EXPLAIN_BIND_FAILED);
	assert_int_equal(ex.m[0].bind_error, -EIO);
	assert_false(ex.m[0].bind_partial);
	assert_int_equal(ex.now_vma, a);
	text = printed(&ex);
	assert_non_null(strstr(text, "bound, but its PTE write failed"));
	assert_non_null(strstr(text, "nothing of it mapped"));
	assert_null(strstr(text, "an access reads the mapping's pages"));
	assert_string_equal(gtt_explain_state_name(GTT_EXPLAIN_BIND_FAILED), "bind failed");
	/* Its unbind is no use after free: nothing of it was mapped. */
	assert_int_equal(gtt_vma_unbind(f.vm, a, 0, NULL), 0);
	ex = explain(f.vm, START, 0);
	assert_int_equal(ex.m[0].state, GTT_EXPLAIN_CLEARED);
	assert_int_equal(ex.m[0].bind_error, -EIO);
	assert_null(strstr(printed(&ex), "USE AFTER FREE"));
	gtt_fence_put(bf);
	bf = NULL;

	/* 2. No dependency: the job runs inside the call and the backend
	 * fails; the failure still comes after the bind's own event. */
	b = make_vma(&f, 0x2000000, 2, NULL);
	at.deps = NULL;
	at.num_deps = 0;
	assert_int_equal(gtt_mock_fail_call(f.be, 1, -EIO), 0);
	assert_int_equal(gtt_vma_bind(f.vm, b, &at, &bf), 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(bf), -EIO);
	n = read_all(f.vm, ev, 16, NULL);
	assert_int_equal(ev[n - 2].kind, GTT_JOURNAL_BIND);
	assert_int_equal(ev[n - 2].vma, b);
	assert_int_equal(ev[n - 1].kind, GTT_JOURNAL_BIND_FAILED);
	assert_int_equal(ev[n - 1].binding, ev[n - 2].seq);
	assert_int_equal(ev[n - 1].flags, 0);
	assert_int_equal(mock_entry(&f, START).addr, 0xdead000);
	assert_int_equal(explain(f.vm, START, 0).m[1].state, GTT_EXPLAIN_BIND_FAILED);
	assert_int_equal(gtt_vma_unbind(f.vm, b, 0, NULL), 0);
	gtt_fence_put(bf);
	bf = NULL;

	/* 3. The write fails and so does the clear after it: entries may
	 * remain, and the explanation says an access may read the pages. */
	c = make_vma(&f, 0x3000000, 2, NULL);
	assert_int_equal(gtt_mock_fail_calls(f.be, 1, 2, -EIO), 0);
	assert_int_equal(gtt_vma_bind(f.vm, c, &at, &bf), 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(bf), -EIO);
	n = read_all(f.vm, ev, 16, NULL);
	assert_int_equal(ev[n - 1].kind, GTT_JOURNAL_BIND_FAILED);
	assert_int_equal(ev[n - 1].flags, GTT_JOURNAL_PARTIAL);
	ex = explain(f.vm, START, 0);
	assert_int_equal(ex.m[ex.count - 1].state, GTT_EXPLAIN_BIND_FAILED);
	assert_true(ex.m[ex.count - 1].bind_partial);
	text = printed(&ex);
	assert_non_null(strstr(text, "PTE write FAILED"));
	assert_non_null(strstr(text, "entries it wrote may remain"));
	gtt_fence_put(bf);

	/* 4. A synchronous bind refused at once records nothing. */
	assert_int_equal(gtt_vma_unbind(f.vm, c, 0, NULL), 0);
	n = read_all(f.vm, ev, 16, NULL);
	assert_int_equal(gtt_mock_fail_call(f.be, 1, -EIO), 0);
	assert_int_equal(gtt_vma_bind(f.vm, a, NULL, NULL), -EIO);
	assert_int_equal(read_all(f.vm, ev, 16, NULL), n);
	gtt_fence_put(dep);
	fixture_fini(&f);
}

/* A sparse map whose PTE write fails in the backend: its MAP event was
 * recorded when the batch was committed, so the failure must follow it,
 * or the explanation calls the range mapped. */
static void test_map_failed(void **state)
{
	struct gtt_journal_event ev[16];
	struct gtt_pages *p = make_pages(0x2000000, 4, 0);
	struct gtt_bind_info at = fixed_at(START, 0);
	struct fixture f;
	struct gtt_explain ex;
	gtt_vma_t s;
	char *text;
	size_t n;

	(void)state;
	fixture_init(&f, START, SIZE, 0);
	assert_int_equal(gtt_vm_journal_enable(f.vm, 16), 0);
	assert_int_equal(gtt_vma_create_sparse(f.vm, 4 * PAGE, NULL, &s), 0);
	assert_int_equal(gtt_vma_bind(f.vm, s, &at, NULL), 0);
	assert_int_equal(gtt_mock_fail_call(f.be, 1, -EIO), 0);
	assert_int_equal(gtt_vma_map(f.vm, s, PAGE, 2 * PAGE,
				     &(struct gtt_map_info){ .pages = p }, NULL), -EIO);
	assert_int_equal(mock_entry(&f, START + PAGE).addr, 0xdead000);
	n = read_all(f.vm, ev, 16, NULL);
	assert_int_equal(n, 3);
	assert_int_equal(ev[1].kind, GTT_JOURNAL_MAP);
	assert_int_equal(ev[2].kind, GTT_JOURNAL_BIND_FAILED);
	assert_int_equal(ev[2].vma, s);
	assert_int_equal(ev[2].binding, 0);
	assert_int_equal(ev[2].start, START + PAGE);
	assert_int_equal(ev[2].size, 2 * PAGE);
	assert_int_equal(ev[2].err, -EIO);
	assert_int_equal(ev[2].flags, 0);
	ex = explain(f.vm, START + 2 * PAGE, 0);
	assert_int_equal(ex.count, 2);	/* the placement, the piece */
	assert_false(ex.m[0].sparse);
	assert_true(ex.m[1].sparse);
	assert_int_equal(ex.m[1].state, GTT_EXPLAIN_BIND_FAILED);
	assert_int_equal(ex.m[1].bind_error, -EIO);
	text = printed(&ex);
	assert_null(strstr(text, "an access reads the mapping's pages"));
	assert_non_null(strstr(text, "bound, but its PTE write failed"));
	/* The sparse vma's unbind: no use after free, nothing was mapped. */
	assert_int_equal(gtt_vma_unbind(f.vm, s, 0, NULL), 0);
	ex = explain(f.vm, START + 2 * PAGE, 0);
	assert_int_equal(ex.m[1].state, GTT_EXPLAIN_CLEARED);
	assert_int_equal(ex.m[1].bind_error, -EIO);
	assert_null(strstr(printed(&ex), "USE AFTER FREE"));
	gtt_pages_put(p);
	fixture_fini(&f);
}

/* A quarantined binding let go because the vm closed: nothing cleared its
 * range, so the explanation must not say that an access hits scratch. */
static void test_closed_release(void **state)
{
	struct gtt_journal_event ev[8];
	struct fixture f;
	struct gtt_explain ex;
	char *text;
	size_t n;

	(void)state;
	quarantined_vma(&f);
	gtt_vm_close(f.vm);
	ex = explain(f.vm, START, 0);	/* its retry lets the binding go */
	n = read_all(f.vm, ev, 8, NULL);
	assert_int_equal(n, 4);
	assert_int_equal(ev[3].kind, GTT_JOURNAL_RELEASE);
	assert_int_equal(ev[3].flags, GTT_JOURNAL_SKIPPED);
	assert_int_equal(ex.m[0].state, GTT_EXPLAIN_SKIPPED);
	assert_int_equal(ex.m[0].clear_error, -EIO);
	text = printed(&ex);
	assert_null(strstr(text, "an access hits scratch"));
	assert_non_null(strstr(text, "the vm was closed"));
	assert_int_equal(gtt_mock_fail_call(f.be, 0, 0), 0);
	fixture_fini(&f);
}

/* A synchronous bind whose write fails, and the clean-up after it too:
 * the call fails and the vma stays unbound, but entries may remain and the
 * range waits in quarantine; the journal must say so, not "nothing was
 * bound here". */
static void test_sync_bind_partial(void **state)
{
	struct gtt_journal_event ev[8];
	struct gtt_bind_info at = fixed_at(START, 0);
	struct fixture f;
	struct gtt_explain ex;
	gtt_vma_t a;
	char *text;
	size_t n;

	(void)state;
	fixture_init(&f, START, SIZE, 0);
	assert_int_equal(gtt_vm_journal_enable(f.vm, 8), 0);
	a = make_vma(&f, 0x1000000, 2, NULL);
	assert_int_equal(gtt_mock_fail_calls(f.be, 1, UINT64_MAX, -EIO), 0);
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), -EIO);
	n = read_all(f.vm, ev, 8, NULL);
	assert_int_equal(n, 4);
	assert_int_equal(ev[0].kind, GTT_JOURNAL_BIND);
	assert_int_equal(ev[0].vma, a);
	assert_int_equal(ev[1].kind, GTT_JOURNAL_BIND_FAILED);
	assert_int_equal(ev[1].flags, GTT_JOURNAL_PARTIAL);
	assert_int_equal(ev[1].binding, ev[0].seq);
	assert_int_equal(ev[2].kind, GTT_JOURNAL_UNBIND);
	assert_int_equal(ev[2].binding, ev[0].seq);
	assert_int_equal(ev[3].kind, GTT_JOURNAL_CLEAR);
	assert_int_equal(ev[3].flags, GTT_JOURNAL_QUARANTINED);
	assert_int_equal(ev[3].err, -EIO);
	ex = explain(f.vm, START + PAGE, 0);
	assert_int_equal(ex.count, 1);
	assert_int_equal(ex.m[0].state, GTT_EXPLAIN_QUARANTINED);
	assert_true(ex.m[0].bind_partial);
	assert_true(ex.now_held);
	text = printed(&ex);
	assert_null(strstr(text, "nothing was bound here"));
	assert_non_null(strstr(text, "POTENTIAL USE AFTER FREE"));
	/* The backend works again: released. */
	assert_int_equal(gtt_mock_fail_call(f.be, 0, 0), 0);
	ex = explain(f.vm, START + PAGE, 0);
	assert_int_equal(ex.m[0].state, GTT_EXPLAIN_RELEASED);
	assert_false(ex.now_held);
	fixture_fini(&f);
}

/* A vm over the pretend kernel's queue backend with a journal, and the
 * mock table its batches write. */
static struct gtt_vm *queue_vm(struct gtt_backend **be, struct gtt_executor **ex,
			       struct gtt_backend **table)
{
	struct gtt_vm_config vc = { .name = "queue", .start = START, .size = SIZE };
	struct gtt_vm *vm;
	struct qk *k;

	assert_int_equal(qk_create(START, SIZE, &k, be), 0);
	*table = qk_table(k);
	assert_int_equal(gtt_executor_create_manual(ex), 0);
	vc.backend = *be;
	vc.executor = *ex;
	assert_int_equal(gtt_vm_create(&vc, &vm), 0);
	assert_int_equal(gtt_vm_journal_enable(vm, 16), 0);
	return vm;
}

/*
 * On a queue backend a batch whose fence fails "may have done anything"
 * (gtt/vm.h): here its entries were written and the invalidation after
 * them failed.  The journal must not say that nothing of it was mapped
 * (an access hits scratch): the entries map the pages until the unbind's
 * clear — for a vma's bind and for a sparse map's piece alike.
 */
static void test_queue_batch_failed_partial(void **state)
{
	struct gtt_journal_event ev[16];
	struct gtt_pages *p = make_pages(0x2000000, 4, 0);
	struct gtt_bind_info at = fixed_at(START, GTT_BIND_ASYNC);
	struct gtt_map_info mi = { .flags = GTT_MAP_ASYNC, .pages = p };
	struct gtt_backend *be, *table;
	struct gtt_executor *ex;
	struct gtt_mock_entry e;
	struct gtt_fence *f = NULL;
	struct gtt_explain x;
	gtt_vma_t a, s;
	struct gtt_vm *vm = queue_vm(&be, &ex, &table);
	size_t n;

	(void)state;
	assert_int_equal(gtt_vma_create(vm, p, NULL, &a), 0);
	/* The batch's write is the table's call 1, its invalidation 2. */
	assert_int_equal(gtt_mock_fail_call(table, 2, -EIO), 0);
	assert_int_equal(gtt_vma_bind(vm, a, &at, &f), 0);
	gtt_executor_run_all(ex);
	assert_int_equal(gtt_fence_status(f), -EIO);
	gtt_fence_put(f);
	assert_int_equal(gtt_mock_read(table, START + PAGE, &e), 0);
	assert_true(e.valid);
	assert_int_equal(e.addr, 0x2000000 + PAGE);	/* written */
	n = read_all(vm, ev, 16, NULL);
	assert_int_equal(ev[n - 1].kind, GTT_JOURNAL_BIND_FAILED);
	assert_int_equal(ev[n - 1].flags, GTT_JOURNAL_PARTIAL);
	x = explain(vm, START + PAGE, 0);
	assert_int_equal(x.m[x.count - 1].state, GTT_EXPLAIN_BIND_FAILED);
	assert_true(x.m[x.count - 1].bind_partial);
	assert_null(strstr(printed(&x), "nothing of it mapped"));
	assert_int_equal(gtt_vma_unbind(vm, a, 0, NULL), 0);
	assert_int_equal(gtt_mock_read(table, START + PAGE, &e), 0);
	assert_false(e.valid);

	/* A sparse map's piece, the same way. */
	at.flags = GTT_BIND_FIXED;
	assert_int_equal(gtt_vma_create_sparse(vm, 4 * PAGE, NULL, &s), 0);
	assert_int_equal(gtt_vma_bind(vm, s, &at, NULL), 0);
	assert_int_equal(gtt_mock_fail_call(table, 2, -EIO), 0);
	assert_int_equal(gtt_vma_map(vm, s, PAGE, 2 * PAGE, &mi, &f), 0);
	gtt_executor_run_all(ex);
	assert_int_equal(gtt_fence_status(f), -EIO);
	gtt_fence_put(f);
	assert_int_equal(gtt_mock_read(table, START + 2 * PAGE, &e), 0);
	assert_true(e.valid);
	assert_int_equal(e.addr, 0x2000000 + PAGE);
	n = read_all(vm, ev, 16, NULL);
	assert_int_equal(ev[n - 1].kind, GTT_JOURNAL_BIND_FAILED);
	assert_int_equal(ev[n - 1].vma, s);
	assert_int_equal(ev[n - 1].flags, GTT_JOURNAL_PARTIAL);
	x = explain(vm, START + 2 * PAGE, 0);
	assert_true(x.m[x.count - 1].sparse);
	assert_int_equal(x.m[x.count - 1].state, GTT_EXPLAIN_BIND_FAILED);
	assert_true(x.m[x.count - 1].bind_partial);
	assert_null(strstr(printed(&x), "nothing of it mapped"));
	assert_int_equal(gtt_vma_unbind(vm, s, 0, NULL), 0);
	assert_int_equal(gtt_mock_read(table, START + 2 * PAGE, &e), 0);
	assert_false(e.valid);
	assert_int_equal(gtt_vma_destroy(vm, a), 0);
	assert_int_equal(gtt_vma_destroy(vm, s), 0);
	gtt_pages_put(p);
	gtt_vm_destroy(vm);
	gtt_executor_destroy(ex);
	gtt_backend_destroy(be);
}

/* A vm with a journal and a 4-page sparse vma placed at START. */
static gtt_vma_t sparse_at_start(struct fixture *f)
{
	gtt_vma_t s;

	fixture_init(f, START, SIZE, 0);
	assert_int_equal(gtt_vm_journal_enable(f->vm, 16), 0);
	assert_int_equal(gtt_vma_create_sparse(f->vm, 4 * PAGE, NULL, &s), 0);
	assert_int_equal(gtt_vma_bind(f->vm, s, &(struct gtt_bind_info){ .flags = GTT_BIND_FIXED,
								.offset = START }, NULL), 0);
	return s;
}

/* At START + PAGE, mapping @old is cleared and the one after it bound. */
static void expect_mapped_over(struct fixture *f, uint32_t old)
{
	struct gtt_explain ex = explain(f->vm, START + PAGE, 0);

	assert_true(ex.count > old + 1);
	assert_int_equal(ex.m[old].state, GTT_EXPLAIN_CLEARED);
	assert_int_equal(ex.m[old + 1].state, GTT_EXPLAIN_BOUND);
}

/*
 * A map over a mapping in use: the old piece becomes a cut that the new
 * batch's job clears once the GPU work is done, before it writes.  Until
 * then the entries still map the old pages, so the explanation must call
 * the old mapping unbinding (an access reads it), not cleared; once the
 * job ran, cleared, and the new one bound.
 */
static void test_map_replaced_until_cleared(void **state)
{
	struct gtt_pages *p = make_pages(0x2000000, 4, 0), *q = make_pages(0x3000000, 4, 0);
	struct gtt_map_info old = { .pages = p };
	struct gtt_map_info now = { .flags = GTT_MAP_ASYNC, .pages = q };
	struct gtt_fence *gpu = new_fence(), *mf = NULL;
	struct fixture f;
	struct gtt_explain ex;
	gtt_vma_t s;

	(void)state;
	s = sparse_at_start(&f);
	assert_int_equal(gtt_vma_map(f.vm, s, 0, 2 * PAGE, &old, NULL), 0);
	assert_int_equal(gtt_vma_add_active(f.vm, s, gpu), 0);
	assert_int_equal(gtt_vma_map(f.vm, s, 0, 2 * PAGE, &now, &mf), 0);
	gtt_executor_run_all(f.ex);
	assert_false(gtt_fence_is_signaled(mf));
	assert_int_equal(mock_entry(&f, START + PAGE).addr, 0x2000000 + PAGE);
	ex = explain(f.vm, START + PAGE, 0);
	assert_int_equal(ex.count, 3);		/* the placement, p, q */
	assert_ptr_equal(ex.m[1].pages, p);
	assert_int_equal(ex.m[1].state, GTT_EXPLAIN_UNBINDING);
	assert_int_equal(ex.m[1].cleared_at, 0);
	assert_ptr_equal(ex.m[2].pages, q);
	assert_int_equal(ex.m[2].state, GTT_EXPLAIN_BOUND);
	assert_null(strstr(printed(&ex), "PTEs cleared"));
	/* The GPU is done: the job clears p's entries and writes q's. */
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(mf), 1);
	assert_int_equal(mock_entry(&f, START + PAGE).addr, 0x3000000 + PAGE);
	expect_mapped_over(&f, 1);
	gtt_fence_put(mf);
	gtt_fence_put(gpu);
	gtt_pages_put(p);
	gtt_pages_put(q);
	fixture_fini(&f);
}

/*
 * A clear ends the mappings it clears, and no others: here a plain vma's
 * deferred clear runs under a sparse vma placed over its range later,
 * whose first mapping has been mapped over by a batch still waiting for
 * the GPU.  That first mapping's entries are written and stay until the
 * waiting batch clears its cut (GTT_JOURNAL_CUT names what it mapped), so
 * the vma's clear must not make it "cleared"; the cut's clear does.
 */
static void test_clear_ends_its_own_mappings(void **state)
{
	struct gtt_pages *p = make_pages(0x2000000, 4, 0), *q = make_pages(0x3000000, 4, 0);
	struct gtt_bind_info at = fixed_at(START, GTT_BIND_ASYNC);
	struct gtt_map_info first = { .flags = GTT_MAP_ASYNC, .pages = p };
	struct gtt_map_info second = { .flags = GTT_MAP_ASYNC, .pages = q };
	struct gtt_fence *g1 = new_fence(), *g2 = new_fence(), *f1 = NULL, *f2 = NULL;
	struct gtt_journal_event ev[16];
	struct fixture f;
	struct gtt_explain ex;
	gtt_vma_t a, s;
	size_t n;

	(void)state;
	fixture_init(&f, START, SIZE, 0);
	assert_int_equal(gtt_vm_journal_enable(f.vm, 16), 0);
	a = make_vma(&f, 0x1000000, 4, NULL);
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_vma_add_active(f.vm, a, g1), 0);
	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, NULL), 0);
	/* The sparse vma over a's range, after a's clear (rule 2). */
	assert_int_equal(gtt_vma_create_sparse(f.vm, 4 * PAGE, NULL, &s), 0);
	assert_int_equal(gtt_vma_bind(f.vm, s, &at, NULL), 0);
	assert_int_equal(gtt_vma_map(f.vm, s, 0, 2 * PAGE, &first, &f1), 0);
	assert_int_equal(gtt_vma_add_active(f.vm, s, g2), 0);
	assert_int_equal(gtt_vma_map(f.vm, s, 0, 2 * PAGE, &second, &f2), 0);
	/* a's clear, then p's write; q's batch waits for g2. */
	gtt_fence_signal(g1, 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(f1), 1);
	assert_false(gtt_fence_is_signaled(f2));
	assert_int_equal(mock_entry(&f, START + PAGE).addr, 0x2000000 + PAGE);
	ex = explain(f.vm, START + PAGE, 0);
	assert_int_equal(ex.count, 4);		/* a, the placement, p, q */
	assert_int_equal(ex.m[0].vma, a);
	assert_int_equal(ex.m[0].state, GTT_EXPLAIN_CLEARED);
	assert_ptr_equal(ex.m[2].pages, p);
	assert_int_equal(ex.m[2].state, GTT_EXPLAIN_UNBINDING);
	assert_ptr_equal(ex.m[3].pages, q);
	assert_int_equal(ex.m[3].state, GTT_EXPLAIN_BOUND);
	/* The GPU is done with p: its cut is cleared, q written. */
	gtt_fence_signal(g2, 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(f2), 1);
	assert_int_equal(mock_entry(&f, START + PAGE).addr, 0x3000000 + PAGE);
	n = read_all(f.vm, ev, 16, NULL);
	assert_int_equal(ev[n - 1].kind, GTT_JOURNAL_CLEAR);
	assert_int_equal(ev[n - 1].flags, GTT_JOURNAL_CUT);
	assert_ptr_equal(ev[n - 1].pages, p);
	assert_int_equal(ev[n - 1].pages_offset, 0);
	expect_mapped_over(&f, 2);
	gtt_fence_put(f1);
	gtt_fence_put(f2);
	gtt_fence_put(g1);
	gtt_fence_put(g2);
	gtt_pages_put(p);
	gtt_pages_put(q);
	fixture_fini(&f);
}

/* A wrapped ring that lost a mapping's bind event: the mapping was bound
 * under the journal (its unbind names the bind's seq), so the report must
 * not say it was bound before the journal began. */
static void test_lost_bind(void **state)
{
	struct fixture f;
	struct gtt_explain ex;
	gtt_vma_t a;
	char *text;

	(void)state;
	fixture_init(&f, START, SIZE, 0);
	assert_int_equal(gtt_vm_journal_enable(f.vm, 2), 0);
	a = make_vma(&f, 0x1000000, 2, NULL);
	assert_int_equal(gtt_vma_bind(f.vm, a, NULL, NULL), 0);
	assert_int_equal(gtt_vma_unbind(f.vm, a, 0, NULL), 0);
	ex = explain(f.vm, START, 0);
	assert_int_equal(ex.lost, 1);
	assert_int_equal(ex.count, 1);
	assert_int_equal(ex.m[0].binding, 1);
	assert_int_equal(ex.m[0].bound_at, 0);
	assert_int_equal(ex.m[0].state, GTT_EXPLAIN_CLEARED);
	text = printed(&ex);
	assert_null(strstr(text, "bound before the journal began"));
	assert_non_null(strstr(text, "its bind event was lost"));
	fixture_fini(&f);
}

/* Two batches map the same range with other pages; the first waits for a
 * dependency that fails, after the second was committed: the failure is
 * the first mapping's, and the second stays bound. */
static void test_map_failed_replaced(void **state)
{
	struct gtt_pages *p = make_pages(0x2000000, 4, 0), *q = make_pages(0x3000000, 4, 0);
	struct gtt_bind_info at = fixed_at(START, 0);
	struct gtt_fence *dep = new_fence(), *f1 = NULL, *f2 = NULL;
	struct gtt_map_info first = { .flags = GTT_MAP_ASYNC, .pages = p,
				      .deps = &dep, .num_deps = 1 };
	struct gtt_map_info second = { .flags = GTT_MAP_ASYNC, .pages = q };
	struct fixture f;
	struct gtt_explain ex;
	gtt_vma_t s;

	(void)state;
	fixture_init(&f, START, SIZE, 0);
	assert_int_equal(gtt_vm_journal_enable(f.vm, 16), 0);
	assert_int_equal(gtt_vma_create_sparse(f.vm, 4 * PAGE, NULL, &s), 0);
	assert_int_equal(gtt_vma_bind(f.vm, s, &at, NULL), 0);
	assert_int_equal(gtt_vma_map(f.vm, s, 0, 4 * PAGE, &first, &f1), 0);
	assert_int_equal(gtt_vma_map(f.vm, s, 0, 4 * PAGE, &second, &f2), 0);
	gtt_fence_signal(dep, -EIO);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(f1), -EIO);
	assert_int_equal(gtt_fence_status(f2), 1);
	assert_int_equal(mock_entry(&f, START).addr, 0x3000000);
	ex = explain(f.vm, START, 0);
	assert_int_equal(ex.count, 3);		/* the placement, p, q */
	assert_ptr_equal(ex.m[1].pages, p);
	assert_int_equal(ex.m[1].bind_error, -EIO);
	assert_ptr_equal(ex.m[2].pages, q);
	assert_int_equal(ex.m[2].state, GTT_EXPLAIN_BOUND);
	assert_int_equal(ex.m[2].bind_error, 0);
	assert_non_null(strstr(printed(&ex), "bound: an access reads the mapping's pages"));
	gtt_fence_put(f1);
	gtt_fence_put(f2);
	gtt_fence_put(dep);
	gtt_pages_put(p);
	gtt_pages_put(q);
	fixture_fini(&f);
}

static void test_enable_oom(void **state)
{
	struct fixture f;
	size_t n;
	gtt_vma_t h;

	(void)state;
	fixture_init(&f, START, SIZE, 0);
	h = make_vma(&f, 0x1000000, 2, NULL);
	for (int i = 1; i <= 2; i++) {
		mem_fail_after(i);
		assert_int_equal(gtt_vm_journal_enable(f.vm, 64), -ENOMEM);
		mem_fail_after(0);
		assert_non_null(strstr(gtt_last_error(), "out of memory"));
		/* No journal: nothing half made. */
		assert_int_equal(gtt_vm_journal_read(f.vm, NULL, 0, &n, NULL), -EINVAL);
	}
	assert_int_equal(gtt_vma_bind(f.vm, h, NULL, NULL), 0);
	assert_int_equal(gtt_vm_journal_enable(f.vm, 64), 0);
	assert_int_equal(gtt_vm_journal_enable(f.vm, 64), -EBUSY);
	/* A binding made before the journal: its unbind names no bind. */
	assert_int_equal(gtt_vma_unbind(f.vm, h, 0, NULL), 0);
	struct gtt_explain ex = explain(f.vm, START, 0);

	assert_int_equal(ex.count, 1);
	assert_int_equal(ex.m[0].binding, 0);
	assert_int_equal(ex.m[0].vma, h);
	assert_int_equal(ex.m[0].state, GTT_EXPLAIN_CLEARED);
	assert_non_null(strstr(printed(&ex), "bound before the journal began"));
	fixture_fini(&f);
}

static void test_bad_input(void **state)
{
	struct gtt_journal_event ev[1];
	struct gtt_explain ex;
	struct fixture f;
	size_t n;

	(void)state;
	fixture_init(&f, START, SIZE, 0);
	assert_int_equal(gtt_vm_journal_enable(NULL, 8), -EINVAL);
	assert_int_equal(gtt_vm_journal_enable(f.vm, 0), -EINVAL);
	assert_int_equal(gtt_vm_journal_enable(f.vm, GTT_JOURNAL_MAX_ENTRIES + 1), -EINVAL);
	/* A vm without a journal. */
	assert_int_equal(gtt_vm_explain(f.vm, START, 0, &ex), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "keeps no journal"));
	assert_int_equal(gtt_vm_journal_read(f.vm, ev, 1, &n, NULL), -EINVAL);
	assert_int_equal(gtt_vm_journal_enable(f.vm, 8), 0);
	assert_int_equal(gtt_vm_explain(NULL, START, 0, &ex), -EINVAL);
	assert_int_equal(gtt_vm_explain(f.vm, START, 0, NULL), -EINVAL);
	assert_int_equal(gtt_vm_journal_read(NULL, ev, 1, &n, NULL), -EINVAL);
	assert_int_equal(gtt_vm_journal_read(f.vm, ev, 1, NULL, NULL), -EINVAL);
	assert_int_equal(gtt_vm_journal_read(f.vm, NULL, 1, &n, NULL), -EINVAL);
	assert_int_equal(gtt_explain_print(NULL, &ex), -EINVAL);
	assert_int_equal(gtt_explain_print(stdout, NULL), -EINVAL);
	/* Outside the vm: nothing, and no harm. */
	ex = explain(f.vm, 0, 0);
	assert_int_equal(ex.count, 0);
	assert_int_equal(ex.now_vma, 0);
	assert_true(ex.now_outside);
	assert_non_null(strstr(printed(&ex), "now: outside the vm"));
	ex = explain(f.vm, UINT64_MAX, 0);
	assert_int_equal(ex.count, 0);
	assert_true(ex.now_outside);
	ex = explain(f.vm, START, 0);
	assert_false(ex.now_outside);
	assert_non_null(strstr(printed(&ex), "now: free"));
	assert_string_equal(gtt_explain_state_name(GTT_EXPLAIN_UNBINDING), "unbinding");
	assert_string_equal(gtt_explain_state_name(99), "?");
	fixture_fini(&f);
}

/* Binds and unbinds on this thread, clears on the pool's workers, readers
 * on a third: TSan checks the journal's locking. */
struct reader {
	struct gtt_vm *vm;
	_Atomic bool stop;
	unsigned int reads;
};

static void *read_loop(void *arg)
{
	struct reader *r = arg;
	struct gtt_journal_event ev[16];
	struct gtt_explain ex;
	size_t n;

	while (!atomic_load(&r->stop)) {
		assert_int_equal(gtt_vm_explain(r->vm, START + PAGE, 0, &ex), 0);
		assert_int_equal(gtt_vm_journal_read(r->vm, ev, 16, &n, NULL), 0);
		r->reads++;
	}
	return NULL;
}

static void test_threads(void **state)
{
	enum { ROUNDS = 200 };
	struct gtt_mock_config mc = { .start = START, .size = SIZE };
	struct gtt_vm_config vc = { .name = "threads", .start = START, .size = SIZE };
	struct gtt_journal_event *ev = mem_alloc(4 * ROUNDS * sizeof(*ev));
	struct reader r = { 0 };
	struct gtt_backend *be;
	struct gtt_executor *pool;
	struct gtt_vm *vm;
	pthread_t rt, st;
	gtt_vma_t h;
	size_t n, clears = 0, binds = 0;

	(void)state;
	assert_non_null(ev);
	assert_int_equal(gtt_mock_create(&mc, &be), 0);
	assert_int_equal(gtt_executor_create_pool(2, &pool), 0);
	vc.backend = be;
	vc.executor = pool;
	assert_int_equal(gtt_vm_create(&vc, &vm), 0);
	assert_int_equal(gtt_vm_journal_enable(vm, 4 * ROUNDS), 0);
	struct gtt_pages *p = make_pages(0x1000000, 4, 0);

	assert_int_equal(gtt_vma_create(vm, p, NULL, &h), 0);
	gtt_pages_put(p);
	r.vm = vm;
	assert_int_equal(pthread_create(&rt, NULL, read_loop, &r), 0);
	for (int i = 0; i < ROUNDS; i++) {
		struct gtt_fence *gpu = new_fence();
		struct delayed d = { .f = gpu, .us = 50 };

		assert_int_equal(gtt_vma_bind(vm, h, NULL, NULL), 0);
		assert_int_equal(gtt_vma_add_active(vm, h, gpu), 0);
		assert_int_equal(pthread_create(&st, NULL, signal_later, &d), 0);
		assert_int_equal(gtt_vma_unbind(vm, h, GTT_UNBIND_ASYNC, NULL), 0);
		assert_int_equal(pthread_join(st, NULL), 0);
		gtt_fence_put(gpu);
	}
	assert_int_equal(gtt_vm_wait_idle(vm, -1), 0);
	atomic_store(&r.stop, true);
	assert_int_equal(pthread_join(rt, NULL), 0);
	n = read_all(vm, ev, 4 * ROUNDS, NULL);
	for (size_t i = 0; i < n; i++) {
		clears += ev[i].kind == GTT_JOURNAL_CLEAR;
		binds += ev[i].kind == GTT_JOURNAL_BIND;
		if (i)
			assert_true(ev[i].time >= ev[i - 1].time);
	}
	assert_int_equal(binds, ROUNDS);
	assert_int_equal(clears, ROUNDS);
	assert_true(r.reads > 0);
	gtt_vma_destroy(vm, h);
	gtt_vm_destroy(vm);
	gtt_executor_destroy(pool);
	gtt_backend_destroy(be);
	mem_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_wrap_and_lost, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_every_kind, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_past_and_now, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_failed_clear, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_bind_failed, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_map_failed, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_closed_release, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_sync_bind_partial, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_queue_batch_failed_partial, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_map_replaced_until_cleared, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_clear_ends_its_own_mappings, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_lost_bind, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_map_failed_replaced, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_enable_oom, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_threads, alarm_setup, alarm_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
