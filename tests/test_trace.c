/* SPDX-License-Identifier: MIT */
/*
 * Traces (gtt/trace.h): what a recording holds, that replays of it are
 * identical and reproduce the recorded placements, that a policy override
 * changes them, and that malformed, truncated or mutated traces are
 * refused with the right line and never crash.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "helpers.h"
#include "trace/trace_fmt.h"

struct membuf {
	char *data;
	size_t len, cap;
	int fail_after;		/* fail the Nth write (0: never) */
	int writes;
};

static int mem_sink(void *arg, const char *data, size_t len)
{
	struct membuf *m = arg;

	if (m->fail_after && ++m->writes >= m->fail_after)
		return -ENOSPC;
	if (m->len + len + 1 > m->cap) {
		m->cap = (m->len + len + 1) * 2;
		m->data = realloc(m->data, m->cap);
		assert_non_null(m->data);
	}
	memcpy(m->data + m->len, data, len);
	m->len += len;
	m->data[m->len] = 0;
	return 0;
}

static struct gtt_pages *pages_of(uint64_t addr, uint64_t npages)
{
	struct gtt_pages_segment seg = { addr, npages * PAGE };
	struct gtt_pages *p;

	assert_int_equal(gtt_pages_create(&seg, 1, 0, &p), 0);
	return p;
}

/* A vm over a new mock with a manual executor, recording into @tc. */
static struct gtt_vm *traced_vm(const struct gtt_mock_config *mc, struct gtt_vm_config *vc,
				const struct gtt_trace_config *tc, struct gtt_backend **be,
				struct gtt_executor **ex)
{
	struct gtt_vm *vm;

	assert_int_equal(gtt_mock_create(mc, be), 0);
	assert_int_equal(gtt_executor_create_manual(ex), 0);
	vc->backend = *be;
	vc->executor = *ex;
	assert_int_equal(gtt_vm_create(vc, &vm), 0);
	assert_int_equal(gtt_vm_trace_start(vm, tc), 0);
	return vm;
}

/*
 * A recording of a small workload on a 64-page vm: binds, GPU work on
 * them, async unbinds still pending when the range is wanted again, an
 * eviction, pins, a sparse vma with a batch, and destroys.
 */
static void record(struct membuf *m)
{
	struct gtt_mock_config mc = { .start = 0x10000, .size = 64 * PAGE };
	struct gtt_vm_config vc = { .name = "t", .start = 0x10000, .size = 64 * PAGE };
	struct gtt_trace_config tc = { .write = mem_sink, .arg = m, .flags = GTT_TRACE_NO_TIME };
	struct gtt_backend *be;
	struct gtt_executor *ex;
	struct gtt_vm *vm;
	struct gtt_fence *gpu, *gpu2, *uf;
	gtt_vma_t v[6], sp;
	struct gtt_bind_info evict = { .flags = GTT_BIND_EVICT | GTT_BIND_ASYNC };
	struct gtt_map_op ops[2];
	struct gtt_pages *p;

	vm = traced_vm(&mc, &vc, &tc, &be, &ex);
	assert_int_equal(gtt_vm_trace_start(vm, &tc), -EBUSY);

	for (int i = 0; i < 6; i++) {
		p = pages_of(0x100000000ull + (uint64_t)i * 0x100000, 16);
		assert_int_equal(gtt_vma_create(vm, p, NULL, &v[i]), 0);
		gtt_pages_put(p);
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(gtt_vma_bind(vm, v[i], NULL, NULL), 0);
	assert_int_equal(gtt_fence_create(gtt_fence_context_alloc(1), 1, &gpu), 0);
	assert_int_equal(gtt_vma_add_active(vm, v[0], gpu), 0);
	assert_int_equal(gtt_vma_add_active(vm, v[1], gpu), 0);
	assert_int_equal(gtt_vma_unbind(vm, v[0], GTT_UNBIND_ASYNC, &uf), 0);
	/* The vm is full: v[4] takes v[0]'s pending range (it waits). */
	assert_int_equal(gtt_vma_bind(vm, v[4], &(struct gtt_bind_info){ .flags = GTT_BIND_ASYNC }, NULL), 0);
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(ex);
	gtt_fence_put(uf);
	assert_int_equal(gtt_vma_pin(vm, v[2]), 0);
	/* v[5] does not fit: evicts (not v[2], pinned). */
	assert_int_equal(gtt_vma_bind(vm, v[5], &evict, NULL), 0);
	gtt_executor_run_all(ex);
	assert_int_equal(gtt_vma_unpin(vm, v[2]), 0);
	assert_int_equal(gtt_vma_unbind(vm, v[2], 0, NULL), 0);
	assert_int_equal(gtt_fence_create(0, 0, &gpu2), 0);
	assert_int_equal(gtt_vm_add_active(vm, gpu2), 0);

	assert_int_equal(gtt_vma_create_sparse(vm, 8 * PAGE, NULL, &sp), 0);
	assert_int_equal(gtt_vma_bind(vm, sp, &(struct gtt_bind_info){ .placement = GTT_PLACE_HIGH }, NULL), 0);
	p = pages_of(0x200000000ull, 4);
	ops[0] = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = sp, .offset = 0, .size = 4 * PAGE, .pages = p };
	ops[1] = (struct gtt_map_op){ .kind = GTT_OP_UNMAP, .vma = sp, .offset = 2 * PAGE, .size = PAGE };
	assert_int_equal(gtt_vm_map_batch(vm, ops, 2, &(struct gtt_map_info){ .flags = GTT_MAP_ASYNC }, NULL), 0);
	gtt_pages_put(p);
	gtt_executor_run_all(ex);
	gtt_fence_signal(gpu2, 0);
	gtt_executor_run_all(ex);
	assert_int_equal(gtt_vma_destroy(vm, v[3]), 0);
	assert_int_equal(gtt_vma_bind(vm, v[3], NULL, NULL), -ENOENT);
	assert_int_equal(gtt_vm_trace_stop(vm), 0);
	assert_int_equal(gtt_vm_trace_stop(vm), -EINVAL);
	gtt_fence_put(gpu);
	gtt_fence_put(gpu2);
	gtt_vm_destroy(vm);
	gtt_executor_destroy(ex);
	gtt_backend_destroy(be);
}

/*
 * A recording that takes every path of the recorder's formatting, for the
 * byte-for-byte comparison with tests/trace-seeds/recorder-golden.trace
 * (written by the first recorder, which formatted every field of every
 * record one by one): every kind, hex from 0x0 to 64 bits, decimals to 20
 * digits, negative results, lists of one and several fences and vmas,
 * a bind like the one before (every field the same) and binds that differ
 * from the one before in one field each, failed calls, batches of every
 * call.  Fence contexts are constants (gtt_fence_context_alloc() counts per
 * process); vma handles carry the vm's tag, so this runs first.
 */
static void record_formats(struct membuf *m)
{
	struct gtt_mock_config mc = { .start = 0x10000, .size = 0x10000000000ull };
	struct gtt_vm_config vc = { .name = "fmt", .start = 0x10000, .size = 0x10000000000ull,
				    .flags = GTT_VM_COLOR_GUARD };
	struct gtt_trace_config tc = { .write = mem_sink, .arg = m, .flags = GTT_TRACE_NO_TIME };
	struct gtt_backend *be;
	struct gtt_executor *ex;
	struct gtt_vm *vm;
	struct gtt_fence *f[12], *done, *out;
	struct gtt_pages *p[16], *borrowed;
	gtt_vma_t v[16], sp, tiny, with_resv, sp2;
	struct gtt_resv *resv;
	struct gtt_bind_info a = {
		.flags = GTT_BIND_ASYNC | GTT_BIND_ANYWHERE, .offset = 0x5000, .size = 0x2000,
		.alignment = 0x10000, .color = 0xfffffffeu, .range_start = 0x100000,
		.range_end = 0xff00000000ull, .placement = GTT_PLACE_LOW, .pte_flags = 0x103,
		.pages_offset = 0x1000,
	};
	struct gtt_bind_info b;
	struct gtt_fence *deps[4];
	struct gtt_map_op ops[3];
	struct gtt_map_info mi = { .flags = GTT_MAP_ASYNC };
	gtt_vma_t many[3];

	vm = traced_vm(&mc, &vc, &tc, &be, &ex);

	for (int i = 0; i < 12; i++)
		assert_int_equal(gtt_fence_create(i ? 0xabc0000000000000ull + (uint64_t)i : 0,
						  i == 3 ? UINT64_MAX : (uint64_t)i * 1000003, &f[i]), 0);
	assert_int_equal(gtt_fence_create(7, 7, &done), 0);
	gtt_fence_signal(done, 0);
	for (int i = 0; i < 16; i++) {
		p[i] = pages_of(0x100000000ull + (uint64_t)i * 0x1000000, 4 + (uint64_t)i);
		assert_int_equal(gtt_vma_create(vm, p[i], NULL, &v[i]), 0);
	}
	{
		struct gtt_pages_segment seg = { 0xfff000000000ull, 0x100000 };

		assert_int_equal(gtt_pages_create(&seg, 1, GTT_PAGES_BORROWED, &borrowed), 0);
	}
	assert_int_equal(gtt_vma_create(vm, borrowed, NULL, &tiny), 0);
	assert_int_equal(gtt_resv_create(&resv), 0);
	assert_int_equal(gtt_vma_create(vm, p[3], resv, &with_resv), 0);
	assert_int_equal(gtt_vma_create_sparse(vm, 0x2000, resv, &sp2), 0);
	assert_int_equal(gtt_vma_destroy(vm, with_resv), 0);
	assert_int_equal(gtt_vma_destroy(vm, sp2), 0);

	/* Every field set; then the same again; then one field off each. */
	deps[0] = f[1];
	deps[1] = done;
	deps[2] = f[2];
	deps[3] = f[11];
	a.deps = deps;
	a.num_deps = 4;
	assert_int_equal(gtt_vma_bind(vm, v[0], &a, NULL), 0);
	assert_int_equal(gtt_vma_bind(vm, v[1], &a, NULL), 0);
	for (int k = 0; k < 11; k++) {
		b = a;
		switch (k) {
		case 0: b.flags = GTT_BIND_ASYNC; break;
		case 1: b.offset = 0x7000; break;
		case 2: b.size = 0x3000; break;
		case 3: b.alignment = 0x20000; break;
		case 4: b.color = 5; break;
		case 5: b.range_start = 0x200000; break;
		case 6: b.range_end = 0; break;
		case 7: b.placement = GTT_PLACE_HIGH; break;
		case 8: b.pte_flags = 0; break;
		case 9: b.pages_offset = 0x2000; break;
		case 10: b.num_deps = 1; break;
		}
		assert_int_equal(gtt_vma_bind(vm, v[2 + k], &b, NULL), 0);
	}
	/* Failed in the vm: already bound; unknown handle. */
	assert_int_equal(gtt_vma_bind(vm, v[0], &a, NULL), -EBUSY);
	assert_int_equal(gtt_vma_bind(vm, v[0] + 0x100, NULL, NULL), -ENOENT);
	/* Synchronous, everything default, twice (alike). */
	assert_int_equal(gtt_vma_bind(vm, v[13], NULL, NULL), 0);
	assert_int_equal(gtt_vma_bind(vm, tiny, NULL, NULL), 0);
	assert_int_equal(gtt_vma_unbind(vm, tiny, 0, NULL), 0);

	assert_int_equal(gtt_vma_add_active(vm, v[13], f[3]), 0);
	assert_int_equal(gtt_vma_add_active(vm, v[13], done), 0);
	assert_int_equal(gtt_vm_add_active(vm, f[4]), 0);
	many[0] = v[0];
	many[1] = v[13];
	many[2] = v[1];
	assert_int_equal(gtt_vma_add_active_many(vm, many, 3, f[5]), 0);
	assert_int_equal(gtt_vma_add_active_many(vm, many, 1, f[5]), 0);
	many[1] = v[15];
	assert_true(gtt_vma_add_active_many(vm, many, 2, f[6]) < 0);

	assert_int_equal(gtt_vma_pin(vm, v[13]), 0);
	assert_int_equal(gtt_vma_unbind(vm, v[13], GTT_UNBIND_ASYNC, NULL), -EAGAIN);
	assert_int_equal(gtt_vma_unpin(vm, v[13]), 0);
	assert_int_equal(gtt_vma_unpin(vm, v[13]), -EINVAL);
	assert_int_equal(gtt_vma_unbind(vm, v[13], GTT_UNBIND_ASYNC, &out), 0);
	gtt_fence_put(out);
	assert_int_equal(gtt_vma_unbind(vm, v[15], 0, NULL), -ENOENT);

	/* An eviction: a window that only v[14]'s bind fills. */
	b = (struct gtt_bind_info){ .flags = GTT_BIND_FIXED, .offset = 0x8000000000ull };
	assert_int_equal(gtt_vma_bind(vm, v[14], &b, NULL), 0);
	b = (struct gtt_bind_info){ .flags = GTT_BIND_EVICT | GTT_BIND_ASYNC,
				    .range_start = 0x8000000000ull, .range_end = 0x8000000000ull + 19 * PAGE };
	assert_int_equal(gtt_vma_bind(vm, v[15], &b, NULL), 0);

	/* Sparse: every batch call, with and without dependencies. */
	assert_int_equal(gtt_vma_create_sparse(vm, 0x100000, NULL, &sp), 0);
	assert_int_equal(gtt_vma_bind(vm, sp, &(struct gtt_bind_info){ .placement = GTT_PLACE_HIGH }, NULL), 0);
	ops[0] = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = sp, .offset = 0, .size = 4 * PAGE, .pages = p[0],
				      .pte_flags = GTT_PTE_READ_ONLY };
	ops[1] = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = sp, .offset = 0x20000, .size = 2 * PAGE,
				      .pages = p[15], .pages_offset = 3 * PAGE };
	ops[2] = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = sp, .offset = 0x40000, .size = 8 * PAGE,
				      .pte_flags = GTT_PTE_NULL };
	mi.deps = deps;
	mi.num_deps = 3;
	assert_int_equal(gtt_vm_map_batch(vm, ops, 3, &mi, NULL), 0);
	assert_int_equal(gtt_vma_map(vm, sp, 0x80000, PAGE,
				     &(struct gtt_map_info){ .flags = GTT_MAP_ASYNC, .pages = p[1], .pages_offset = PAGE }, NULL), 0);
	assert_int_equal(gtt_vma_unmap(vm, sp, PAGE, PAGE, &(struct gtt_map_info){ .flags = GTT_MAP_ASYNC }, NULL), 0);
	mi.num_deps = 1;
	assert_int_equal(gtt_vm_move_pages(vm, p[0], p[12], &mi, NULL), 0);
	mi.num_deps = 0;
	assert_int_equal(gtt_vm_unmap_pages(vm, p[15], &mi, NULL), 0);
	gtt_executor_run_all(ex);

	/* Signals, with and without an error; destroys that work and fail. */
	gtt_fence_signal(f[1], 0);
	gtt_fence_signal(f[2], -EIO);
	gtt_fence_signal(f[11], -ECANCELED);
	gtt_executor_run_all(ex);
	assert_int_equal(gtt_vma_pin(vm, v[14] + 0x10), -ENOENT);
	assert_int_equal(gtt_vma_destroy(vm, v[13]), 0);
	assert_int_equal(gtt_vma_destroy(vm, v[13]), -ENOENT);
	assert_int_equal(gtt_vm_trace_stop(vm), 0);

	for (int i = 0; i < 12; i++) {
		gtt_fence_signal(f[i], 0);
		gtt_fence_put(f[i]);
	}
	gtt_fence_put(done);
	gtt_vm_destroy(vm);
	gtt_executor_destroy(ex);
	gtt_backend_destroy(be);
	for (int i = 0; i < 16; i++)
		gtt_pages_put(p[i]);
	gtt_pages_put(borrowed);
	gtt_resv_destroy(resv);
}

static int replay_str(const char *text, const struct gtt_replay_config *cfg,
		      struct gtt_replay_stats *st, uint64_t *line)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int err;

	assert_non_null(f);
	err = gtt_trace_replay(f, cfg, st, line);
	fclose(f);
	return err;
}

/* The recording of record_formats() is byte-identical to the golden one
 * (GTT_TEST_WRITE_GOLDEN=1 writes the file instead). */
static void test_format_golden(void **state)
{
	struct membuf m = { 0 };
	char *golden;
	long len;
	FILE *f;

	(void)state;
	record_formats(&m);
	assert_non_null(m.data);
	if (getenv("GTT_TEST_WRITE_GOLDEN")) {
		f = fopen(GTT_TRACE_GOLDEN, "w");
		assert_non_null(f);
		assert_int_equal(fwrite(m.data, 1, m.len, f), m.len);
		assert_int_equal(fclose(f), 0);
	}
	f = fopen(GTT_TRACE_GOLDEN, "r");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	golden = malloc((size_t)len + 1);
	assert_non_null(golden);
	assert_int_equal(fread(golden, 1, (size_t)len, f), (size_t)len);
	golden[len] = 0;
	fclose(f);
	if (m.len != (size_t)len || memcmp(m.data, golden, m.len)) {
		size_t i = 0, line = 1, bol = 0;

		while (i < m.len && i < (size_t)len && m.data[i] == golden[i]) {
			if (golden[i] == '\n') {
				line++;
				bol = i + 1;
			}
			i++;
		}
		fail_msg("the recording differs from %s at line %zu:\n got: %.*s\nwant: %.*s",
			 GTT_TRACE_GOLDEN, line, (int)strcspn(m.data + bol, "\n"), m.data + bol,
			 (int)strcspn(golden + bol, "\n"), golden + bol);
	}
	free(golden);
	free(m.data);
}

/* The recorder's number formatting against printf's, at every digit
 * count and edge. */
static void test_number_formats(void **state)
{
	uint64_t seed = 0xf00d;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		char want[64], got[64 + TRACE_FMT_SLACK], *end;
		uint64_t v;
		int k = i % 64;

		switch (i / 64 % 4) {
		case 0: v = k ? 1ull << k : 0; break;
		case 1: v = (1ull << k) - 1 + (k == 0); break;
		case 2: v = rng_below(&seed, UINT64_MAX); break;
		default: v = 1; for (int j = 0; j < k % 20; j++) v *= 10; v -= (uint64_t)(i & 1); break;
		}
		snprintf(want, sizeof(want), "0x%" PRIx64, v);
		end = put_hex(got, v);
		assert_int_equal((size_t)(end - got), strlen(want));
		assert_memory_equal(got, want, strlen(want));
		snprintf(want, sizeof(want), "%" PRIu64, v);
		end = put_dec(got, v);
		assert_int_equal((size_t)(end - got), strlen(want));
		assert_memory_equal(got, want, strlen(want));
		snprintf(want, sizeof(want), "%d", (int)v);
		end = put_int(got, (int)v);
		assert_int_equal((size_t)(end - got), strlen(want));
		assert_memory_equal(got, want, strlen(want));
	}
}

/*
 * Thousands of binds and unbinds, over several buffer flushes, with
 * handles, placements and bind arguments that repeat and change, compared
 * line by line with the same records formatted by snprintf() here.
 */
static void test_long_recording(void **state)
{
	struct gtt_mock_config mc = { .start = 0x10000, .size = 1024 * PAGE };
	struct gtt_vm_config vc = { .name = "long", .start = 0x10000, .size = 1024 * PAGE };
	struct membuf m = { 0 };
	struct gtt_trace_config tc = { .write = mem_sink, .arg = &m, .flags = GTT_TRACE_NO_TIME };
	struct gtt_backend *be;
	struct gtt_executor *ex;
	struct gtt_vm *vm = traced_vm(&mc, &vc, &tc, &be, &ex);
	size_t cap = 1u << 22, len = 0;
	char *want = malloc(cap);
	uint64_t seed = 77;
	gtt_vma_t v[5];
	const int n = 5000;

	(void)state;
	assert_non_null(want);
	len += (size_t)snprintf(want, cap, "gtt-trace 1\nvm t=0 name=long start=0x10000 size=0x400000 page_size=0x1000 flags=0x0\n");
	for (int i = 0; i < 5; i++) {
		struct gtt_pages *p = pages_of(0x100000000ull + (uint64_t)i * 0x100000, 1 + (uint64_t)i);

		assert_int_equal(gtt_vma_create(vm, p, NULL, &v[i]), 0);
		gtt_pages_put(p);
		len += (size_t)snprintf(want + len, cap - len,
					"pages t=0 id=%d size=0x%llx flags=0x0\nvma t=0 vma=0x%llx pages=%d resv=0\n",
					i + 1, (unsigned long long)(1 + i) * PAGE, (unsigned long long)v[i], i + 1);
	}
	for (int i = 0; i < n; i++) {
		int k = (int)rng_below(&seed, 5);
		struct gtt_bind_info bi = { .placement = (enum gtt_placement)rng_below(&seed, 3),
					    .alignment = rng_below(&seed, 4) ? 0 : 0x4000 };
		struct gtt_vma_info vi;
		int err = gtt_vma_bind(vm, v[k], &bi, NULL);

		len += (size_t)snprintf(want + len, cap - len,
			"bind t=0 vma=0x%llx flags=0x0 offset=0x0 size=0x0 align=0x%llx color=0x0 range_start=0x0 range_end=0x0 placement=%s pte=0x0 pages_offset=0x0 deps=- ",
			(unsigned long long)v[k], (unsigned long long)bi.alignment,
			bi.placement == GTT_PLACE_LOW ? "low" : bi.placement == GTT_PLACE_HIGH ? "high" : "best");
		if (!err) {
			assert_int_equal(gtt_vma_query(vm, v[k], &vi), 0);
			len += (size_t)snprintf(want + len, cap - len, "at=0x%llx mapped=0x%llx fence=0 ret=0\n",
						(unsigned long long)vi.offset, (unsigned long long)vi.size);
		} else {
			len += (size_t)snprintf(want + len, cap - len, "at=- mapped=- fence=0 ret=%d\n", err);
		}
		if (rng_below(&seed, 2)) {
			err = gtt_vma_unbind(vm, v[k], 0, NULL);
			len += (size_t)snprintf(want + len, cap - len, "unbind t=0 vma=0x%llx flags=0x0 fence=0 ret=%d\n",
						(unsigned long long)v[k], err);
		}
	}
	assert_int_equal(gtt_vm_trace_stop(vm), 0);
	/* The end record counts the records: every line but the header. */
	{
		int lines = 0;

		for (size_t i = 0; i < len; i++)
			lines += want[i] == '\n';
		len += (size_t)snprintf(want + len, cap - len, "end t=0 records=%d dropped=0\n", lines);
	}
	assert_true(m.len > 4 * (48u << 10));	/* several flushes */
	if (m.len != len || memcmp(m.data, want, len)) {
		size_t i = 0;

		while (i < m.len && i < len && m.data[i] == want[i])
			i++;
		fail_msg("differs at byte %zu of %zu/%zu:\n got: %.80s\nwant: %.80s", i, m.len, len,
			 m.data + i, want + i);
	}
	gtt_vm_destroy(vm);
	gtt_executor_destroy(ex);
	gtt_backend_destroy(be);
	free(want);
	free(m.data);
}

/* With time: t= never goes back, and stays within what the test's own
 * CLOCK_MONOTONIC saw (the TSC clock re-reads it every millisecond). */
static void test_time_stamps(void **state)
{
	struct gtt_mock_config mc = { .start = 0x10000, .size = 64 * PAGE };
	struct gtt_vm_config vc = { .start = 0x10000, .size = 64 * PAGE };
	struct membuf m = { 0 };
	struct gtt_trace_config tc = { .write = mem_sink, .arg = &m };
	struct gtt_backend *be;
	struct gtt_executor *ex;
	struct timespec a, b;
	struct gtt_vm *vm;
	struct gtt_pages *p = pages_of(0x100000000ull, 1);
	uint64_t last = 0, t, span, slept_at = 0;
	gtt_vma_t v;
	char *s;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	vm = traced_vm(&mc, &vc, &tc, &be, &ex);
	assert_int_equal(gtt_vma_create(vm, p, NULL, &v), 0);
	for (int i = 0; i < 20000; i++) {
		assert_int_equal(gtt_vma_bind(vm, v, NULL, NULL), 0);
		assert_int_equal(gtt_vma_unbind(vm, v, 0, NULL), 0);
		if (i == 10000) {
			/* 3 ms asleep: the t= after it are 3 ms later. */
			struct timespec ts = { 0, 3000000 };

			assert_int_equal(gtt_vm_trace_flush(vm), 0);
			slept_at = m.len;
			nanosleep(&ts, NULL);
		}
	}
	assert_int_equal(gtt_vm_trace_stop(vm), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	span = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000ull + (uint64_t)b.tv_nsec - (uint64_t)a.tv_nsec;
	for (s = strstr(m.data, " t="); s; s = strstr(s + 1, " t=")) {
		t = strtoull(s + 3, NULL, 10);
		assert_true(t >= last);
		if (slept_at && (size_t)(s - m.data) >= slept_at) {
			assert_true(t >= last + 3000000);
			slept_at = 0;
		}
		last = t;
	}
	assert_true(last > 0 && last <= span);
	gtt_vm_destroy(vm);
	gtt_executor_destroy(ex);
	gtt_backend_destroy(be);
	gtt_pages_put(p);
	free(m.data);
}

struct signaller {
	struct gtt_fence *f[2000];
	_Atomic int published;
};

static void *signal_all(void *arg)
{
	struct signaller *sg = arg;

	for (int i = 0; i < 2000; i++) {
		while (atomic_load(&sg->published) <= i)
			sched_yield();
		gtt_fence_signal(sg->f[i], 0);
	}
	return NULL;
}

/*
 * Fences the recorder watches signal in another thread while this one
 * keeps recording: the hooks take the recorder's lock while a callback is
 * armed and skip it otherwise (TSan checks the two never write at once);
 * the trace has every signal record and replays.
 */
static void test_signals_from_another_thread(void **state)
{
	struct gtt_mock_config mc = { .start = 0x10000, .size = 64 * PAGE };
	struct gtt_vm_config vc = { .start = 0x10000, .size = 64 * PAGE };
	struct membuf m = { 0 };
	struct gtt_trace_config tc = { .write = mem_sink, .arg = &m, .flags = GTT_TRACE_NO_TIME };
	static struct signaller sg;
	struct gtt_backend *be;
	struct gtt_executor *ex;
	struct gtt_vm *vm = traced_vm(&mc, &vc, &tc, &be, &ex);
	struct gtt_pages *p = pages_of(0x100000000ull, 1);
	struct gtt_replay_stats st;
	pthread_t t;
	gtt_vma_t v;
	int signals = 0;

	(void)state;
	atomic_store(&sg.published, 0);
	assert_int_equal(gtt_vma_create(vm, p, NULL, &v), 0);
	assert_int_equal(gtt_vma_bind(vm, v, NULL, NULL), 0);
	assert_int_equal(pthread_create(&t, NULL, signal_all, &sg), 0);
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(gtt_fence_create(0, (uint64_t)i, &sg.f[i]), 0);
		assert_int_equal(gtt_vm_add_active(vm, sg.f[i]), 0);
		atomic_store(&sg.published, i + 1);
		for (int k = 0; k < 3; k++) {
			assert_int_equal(gtt_vma_pin(vm, v), 0);
			assert_int_equal(gtt_vma_unpin(vm, v), 0);
		}
	}
	pthread_join(t, NULL);
	assert_int_equal(gtt_vm_trace_stop(vm), 0);
	for (char *q = strstr(m.data, "\nsignal "); q; q = strstr(q + 1, "\nsignal "))
		signals++;
	/* A fence that had signalled when it was added is not watched. */
	assert_true(signals > 0 && signals <= 2000);
	assert_int_equal(replay_str(m.data, NULL, &st, NULL), 0);
	for (int i = 0; i < 2000; i++)
		gtt_fence_put(sg.f[i]);
	gtt_vm_destroy(vm);
	gtt_executor_destroy(ex);
	gtt_backend_destroy(be);
	gtt_pages_put(p);
	free(m.data);
}

static void test_record_contents(void **state)
{
	struct membuf m = { 0 };

	(void)state;
	record(&m);
	assert_non_null(m.data);
	if (getenv("GTT_TEST_PRINT_TRACE"))
		fputs(m.data, stdout);
	{
		static const char head[] = "gtt-trace 1\nvm t=0 name=t start=0x10000 size=0x40000 page_size=0x1000 flags=0x0\n";

		assert_memory_equal(m.data, head, sizeof(head) - 1);
	}
	/* The placement chosen, and every argument. */
	assert_non_null(strstr(m.data, "\nbind t=0 vma=0x"));
	assert_non_null(strstr(m.data, " placement=best pte=0x0 pages_offset=0x0 deps=- at=0x10000 mapped=0x10000 fence=0 ret=0\n"));
	/* The GPU fence, declared once, and its signal. */
	assert_non_null(strstr(m.data, "\nfence t=0 id=1 ctx=0x"));
	assert_non_null(strstr(m.data, " fence=1 ret=0\nactive t=0 vma=0x"));
	assert_non_null(strstr(m.data, "\nsignal t=0 fence=1 err=0\n"));
	assert_non_null(strstr(m.data, "\nevict t=0 vma=0x"));
	assert_non_null(strstr(m.data, "\npin t=0 vma=0x"));
	assert_non_null(strstr(m.data, "\nsparse t=0 vma=0x"));
	assert_non_null(strstr(m.data, "\nmapop t=0 kind=map vma=0x"));
	assert_non_null(strstr(m.data, "\nmapop t=0 kind=unmap vma=0x"));
	assert_non_null(strstr(m.data, "\nbatch t=0 n=2 flags=0x1 deps=- call=vm_map_batch fence="));
	assert_non_null(strstr(m.data, "\nactive t=0 vma=vm fence=5 ret=0\n"));
	assert_non_null(strstr(m.data, "\ndestroy t=0 vma=0x"));
	/* A failed call is recorded with its result. */
	assert_non_null(strstr(m.data, " fence=0 ret=-2\n"));
	assert_non_null(strstr(m.data, "\nend t=0 records="));
	assert_int_equal(m.data[m.len - 1], '\n');
	free(m.data);
}

static void test_replay_identical(void **state)
{
	struct membuf m = { 0 };
	struct gtt_replay_stats a, b;
	uint64_t line = 99;

	(void)state;
	record(&m);
	assert_int_equal(replay_str(m.data, NULL, &a, &line), 0);
	assert_int_equal(line, 0);
	assert_int_equal(replay_str(m.data, NULL, &b, NULL), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	/* As recorded: same placements, same results. */
	assert_int_equal(a.placement_diffs, 0);
	assert_int_equal(a.result_diffs, 0);
	assert_int_equal(a.binds, 8);	/* 7 binds and 1 map (the vm counts both) */
	assert_int_equal(a.binds_failed, 0);
	assert_int_equal(a.evictions, 1);
	assert_true(a.bind_waits >= 1);
	assert_int_equal(a.batches, 1);
	assert_true(a.pte_writes >= 7 * 8);
	assert_true(a.invalidations > 0);
	assert_true(a.free > 0 && a.largest_hole <= a.free && a.holes >= 1);
	assert_int_equal(a.frag_ppm, a.free ? 1000000 - (uint64_t)((double)a.largest_hole * 1e6 / (double)a.free + 0.5) : 0);
	assert_int_equal(a.interval, UINT64_MAX);
	free(m.data);
}

struct intervals {
	struct gtt_replay_stats s[64];
	int n;
};

static void on_interval(void *arg, const struct gtt_replay_stats *st)
{
	struct intervals *iv = arg;

	assert_true(iv->n < 64);
	iv->s[iv->n++] = *st;
}

static void test_intervals_sum_to_total(void **state)
{
	struct membuf m = { 0 };
	struct intervals iv = { .n = 0 };
	struct gtt_replay_config cfg = { .placement = GTT_REPLAY_AS_RECORDED,
					 .avoid_pending = GTT_REPLAY_AS_RECORDED,
					 .interval = 5, .on_interval = on_interval, .arg = &iv };
	struct gtt_replay_stats t;
	uint64_t binds = 0, records = 0, writes = 0;

	(void)state;
	record(&m);
	assert_int_equal(replay_str(m.data, &cfg, &t, NULL), 0);
	assert_true(iv.n >= 2);
	for (int i = 0; i < iv.n; i++) {
		assert_int_equal(iv.s[i].interval, (uint64_t)i);
		binds += iv.s[i].binds;
		records += iv.s[i].records;
		writes += iv.s[i].pte_writes;
		if (i + 1 < iv.n)
			assert_int_equal(iv.s[i].records, 5);
	}
	assert_int_equal(binds, t.binds);
	assert_int_equal(records, t.records);
	assert_int_equal(writes, t.pte_writes);
	assert_int_equal(iv.s[iv.n - 1].free, t.free);
	free(m.data);
}

struct vm_calls {
	struct intervals iv;
	int calls, made, totals;
	bool order_ok, state_ok;
};

static void on_interval_first(void *arg, const struct gtt_replay_stats *st)
{
	on_interval(&((struct vm_calls *)arg)->iv, st);
}

/* Called after on_interval for the same interval, with the vm in the state
 * the figures describe. */
static void on_interval_vm(void *arg, struct gtt_vm *vm,
			   const struct gtt_replay_stats *st)
{
	struct vm_calls *c = arg;
	struct gtt_range_stats rs;

	if (!st) {
		c->made++;
		return;
	}
	if (st->interval == UINT64_MAX) {
		c->totals++;
		return;
	}
	c->order_ok &= c->iv.n == c->calls + 1 && st->interval == (uint64_t)c->calls &&
		       c->iv.s[c->calls].records == st->records;
	c->state_ok &= gtt_range_alloc_stats(gtt_vm_range_alloc(vm), &rs) == 0 &&
		       rs.free == st->free && rs.holes == st->holes;
	c->calls++;
}

#if UINTPTR_MAX == UINT64_MAX
/* on_vm and evict_order took reserved slots: the config keeps its size. */
_Static_assert(sizeof(struct gtt_replay_config) == 80, "gtt_replay_config changed size");
#endif

static void test_interval_vm_callback(void **state)
{
	struct membuf m = { 0 };
	struct vm_calls c = { .order_ok = true, .state_ok = true };
	struct gtt_replay_config cfg = { .placement = GTT_REPLAY_AS_RECORDED,
					 .avoid_pending = GTT_REPLAY_AS_RECORDED,
					 .interval = 3, .on_interval = on_interval_first,
					 .on_vm = on_interval_vm, .arg = &c };
	int n;

	(void)state;
	record(&m);
	assert_int_equal(replay_str(m.data, &cfg, NULL, NULL), 0);
	assert_true(c.calls >= 3);
	assert_int_equal(c.calls, c.iv.n);
	/* Also once when the vm is made and once with the totals. */
	assert_int_equal(c.made, 1);
	assert_int_equal(c.totals, 1);
	assert_true(c.order_ok);
	assert_true(c.state_ok);
	/* Alone, without on_interval, it is called as often. */
	n = c.calls;
	cfg.on_interval = NULL;
	c = (struct vm_calls){ .state_ok = true };
	assert_int_equal(replay_str(m.data, &cfg, NULL, NULL), 0);
	assert_int_equal(c.iv.n, 0);
	assert_int_equal(c.calls, n);
	assert_true(c.state_ok);
	free(m.data);
}

static void test_policy_override(void **state)
{
	struct membuf m = { 0 };
	struct gtt_replay_config high = { .placement = GTT_PLACE_HIGH,
					  .avoid_pending = GTT_REPLAY_AS_RECORDED };
	struct gtt_replay_config anywhere = { .placement = GTT_REPLAY_AS_RECORDED,
					      .avoid_pending = 0 };
	struct gtt_replay_config asap = { .placement = GTT_REPLAY_AS_RECORDED,
					  .avoid_pending = GTT_REPLAY_AS_RECORDED,
					  .timing = GTT_REPLAY_ASAP };
	struct gtt_replay_config badp = { .placement = 7 };
	struct gtt_replay_stats st;

	(void)state;
	record(&m);
	assert_int_equal(replay_str(m.data, &high, &st, NULL), 0);
	assert_true(st.placement_diffs > 0);
	assert_int_equal(replay_str(m.data, &anywhere, &st, NULL), 0);
	assert_int_equal(replay_str(m.data, &asap, &st, NULL), 0);
	/* The GPU is done at once: nothing waits on a pending unbind. */
	assert_int_equal(st.bind_waits, 0);
	assert_int_equal(replay_str(m.data, &badp, &st, NULL), -EINVAL);
	free(m.data);
}

/*
 * An 8-page vm: D, C, E (2 pages) are created before A, B (1 page); A, B,
 * C, D, E are bound in that order (at 0, 1, 2, 4, 6), then C, D, E used by
 * one job, and a 2-page X binds with GTT_BIND_EVICT.  FEWEST evicts C
 * alone (the lowest); LRU (order A, B, C...) evicts A and B; the fifo
 * roster (creation order D, C, E, A, B) evicts D.  Then A and C are
 * unbound: refused where they were evicted.
 */
static char *eviction_trace(void)
{
	static const char *const body[] = {
		"vm t=0 name=e start=0x0 size=0x8000 page_size=0x1000 flags=0x0",
		"pages t=0 id=1 size=0x2000 flags=0x0", "vma t=0 vma=0x4 pages=1 resv=0",
		"pages t=0 id=2 size=0x2000 flags=0x0", "vma t=0 vma=0x3 pages=2 resv=0",
		"pages t=0 id=3 size=0x2000 flags=0x0", "vma t=0 vma=0x5 pages=3 resv=0",
		"pages t=0 id=4 size=0x1000 flags=0x0", "vma t=0 vma=0x1 pages=4 resv=0",
		"pages t=0 id=5 size=0x1000 flags=0x0", "vma t=0 vma=0x2 pages=5 resv=0",
		"pages t=0 id=6 size=0x2000 flags=0x0", "vma t=0 vma=0x6 pages=6 resv=0",
		"BIND 0x1 0x1", "BIND 0x2 0x1", "BIND 0x3 0x1", "BIND 0x4 0x1", "BIND 0x5 0x1",
		"fence t=0 id=1 ctx=0x1 seqno=1",
		"active_many t=0 vmas=0x3,0x4,0x5 fence=1 ret=0",
		"BIND 0x6 0x5",
		"unbind t=0 vma=0x1 flags=0x1 fence=0 ret=0",
		"unbind t=0 vma=0x3 flags=0x1 fence=0 ret=0",
		"signal t=0 fence=1 err=0",
	};
	size_t cap = 8192, len = 0;
	char *t = malloc(cap);
	unsigned int v, f, n = 0;

	assert_non_null(t);
	len += (size_t)snprintf(t + len, cap - len, "gtt-trace 1\n");
	for (size_t i = 0; i < sizeof(body) / sizeof(body[0]); i++, n++) {
		if (sscanf(body[i], "BIND %x %x", &v, &f) == 2)
			len += (size_t)snprintf(t + len, cap - len,
				"bind t=0 vma=0x%x flags=0x%x offset=0x0 size=0x0 align=0x0 color=0x0 range_start=0x0 range_end=0x0 placement=best pte=0x0 pages_offset=0x0 deps=- at=- mapped=- fence=0 ret=0\n",
				v, f);
		else
			len += (size_t)snprintf(t + len, cap - len, "%s\n", body[i]);
	}
	snprintf(t + len, cap - len, "end t=0 records=%u dropped=0\n", n + 1);
	return t;
}

/* Two eviction orders on one trace give other figures, each the same
 * every time; the fifo roster exercises the roster path.  Fails if the
 * replay does not pass the order on to the vm. */
/* A replay on a platform's mock: the made-up DMA addresses of the trace's
 * pages fit the platform (39 bits on TGL), so every PTE write succeeds;
 * and a backend that refuses writes shows in backend_errors. */
static void test_replay_on_platform_mocks(void **state)
{
	static const unsigned int modes[] = { GTT_MOCK_INTEL_PPGTT, GTT_MOCK_INTEL_GGTT };
	struct gtt_replay_config cfg = { .placement = GTT_REPLAY_AS_RECORDED,
					 .avoid_pending = GTT_REPLAY_AS_RECORDED };
	struct gtt_mock_config gc = { .start = 0x10000, .size = 64 * PAGE };
	struct gtt_replay_stats st;
	struct membuf m = { 0 };
	struct gtt_backend *be;

	(void)state;
	record(&m);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct gtt_mock_config mc = { .mode = modes[i], .intel_family = GTT_INTEL_TGL,
					      .scratch_addr = 0x1000 };

		mc.size = modes[i] == GTT_MOCK_INTEL_PPGTT ? 1ull << 48 : 4ull << 30;
		assert_int_equal(gtt_mock_create(&mc, &be), 0);
		cfg.backend = be;
		assert_int_equal(replay_str(m.data, &cfg, &st, NULL), 0);
		assert_int_equal(st.backend_errors, 0);
		assert_int_equal(st.result_diffs, 0);
		assert_true(st.pte_writes > 0);
		gtt_backend_destroy(be);
	}
	/* Every backend call fails: the asynchronous binds fail on their
	 * fences, counted in backend_errors, and the replay still ends. */
	assert_int_equal(gtt_mock_create(&gc, &be), 0);
	assert_int_equal(gtt_mock_fail_calls(be, 1, UINT64_MAX, -EIO), 0);
	cfg.backend = be;
	assert_int_equal(replay_str(m.data, &cfg, &st, NULL), 0);
	assert_true(st.backend_errors > 0);
	assert_int_equal(st.pte_writes, 0);
	/* Out of memory at every allocation of that replay (the failed
	 * calls' stand-in fences included): an error or success, and nothing
	 * left allocated either way; a replay that succeeds despite a failed
	 * allocation (one the library absorbed) has the figures of one without. */
	struct gtt_replay_stats st0 = st;
	int err = -ENOMEM;

	for (uint64_t n = 1; n < 2000 && err; n++) {
		int64_t live = mem_live();

		mem_fail_after(n);
		err = replay_str(m.data, &cfg, &st, NULL);
		mem_fail_after(0);
		assert_true(err == 0 || err == -ENOMEM);
		assert_int_equal(mem_live(), live);
		if (!err) {
			assert_int_equal(st.result_diffs, st0.result_diffs);
			assert_int_equal(st.binds, st0.binds);
			assert_int_equal(st.binds_failed, st0.binds_failed);
			assert_int_equal(st.unbinds, st0.unbinds);
		}
	}
	assert_int_equal(err, 0);	/* the sweep went past the last allocation */
	gtt_backend_destroy(be);
	free(m.data);
}

static void test_evict_orders(void **state)
{
	static const int orders[] = { GTT_EVICT_FEWEST, GTT_EVICT_LRU, GTT_EVICT_ROSTER };
	static const uint64_t want_evictions[] = { 1, 2, 1 }, want_diffs[] = { 1, 1, 0 };
	struct gtt_replay_config bad = { .evict_order = 3 };
	struct gtt_replay_stats a, b;
	char *t = eviction_trace();

	(void)state;
	for (int i = 0; i < 3; i++) {
		struct gtt_replay_config cfg = { .placement = GTT_REPLAY_AS_RECORDED,
						 .avoid_pending = GTT_REPLAY_AS_RECORDED,
						 .evict_order = orders[i] };

		assert_int_equal(replay_str(t, &cfg, &a, NULL), 0);
		assert_int_equal(replay_str(t, &cfg, &b, NULL), 0);
		assert_memory_equal(&a, &b, sizeof(a));
		assert_int_equal(a.evictions, want_evictions[i]);
		/* The unbinds of A and C: refused where evicted. */
		assert_int_equal(a.result_diffs, want_diffs[i]);
		assert_int_equal(a.binds_failed, 0);
	}
	assert_int_equal(replay_str(t, &bad, &a, NULL), -EINVAL);
	bad.evict_order = -1;
	assert_int_equal(replay_str(t, &bad, &a, NULL), -EINVAL);
	free(t);
}

static const char good_head[] = "gtt-trace 1\nvm t=0 name=x start=0x0 size=0x100000 page_size=0x1000 flags=0x0\n";

static void expect_bad(const char *body, uint64_t want_line, const char *want_msg)
{
	char text[2048];
	uint64_t line = 0;
	int err;

	snprintf(text, sizeof(text), "%s%s", good_head, body);
	err = replay_str(text, NULL, NULL, &line);
	if (err != -EBADMSG || line != want_line || !strstr(gtt_last_error(), want_msg))
		fail_msg("trace body:\n%s\ngot %d at line %llu: %s", body, err,
			 (unsigned long long)line, gtt_last_error());
}

static void test_malformed(void **state)
{
	uint64_t line;

	(void)state;
	assert_int_equal(replay_str("", NULL, NULL, &line), -EBADMSG);
	assert_non_null(strstr(gtt_last_error(), "empty trace"));
	assert_int_equal(replay_str("gtt-trace 2\n", NULL, NULL, &line), -EBADMSG);
	assert_int_equal(line, 1);
	assert_non_null(strstr(gtt_last_error(), "version 2"));
	assert_int_equal(replay_str("hello\n", NULL, NULL, &line), -EBADMSG);
	assert_int_equal(replay_str("gtt-trace 1\nbind t=0 vma=1\n", NULL, NULL, &line), -EBADMSG);
	assert_int_equal(line, 2);
	assert_non_null(strstr(gtt_last_error(), "before the vm record"));

	expect_bad("", 2, "without its end record");
	expect_bad("end t=0 records=1 dropped=0", 3, "no newline");
	expect_bad("end t=0 records=5 dropped=0\n", 3, "counts 5 records");
	expect_bad("end t=0 records=2 dropped=1\n", 3, "dropped 1");
	expect_bad("end t=0 records=2 dropped=0\nvma t=0 vma=1 pages=1 resv=0\n", 4, "after the end");
	expect_bad("bogus t=0\n", 3, "unknown record kind");
	expect_bad("vma t=0 vma=1 pages=1 resv=0\n", 3, "pages 1 is not declared");
	expect_bad("pages t=0 id=1 size=0x1001 flags=0\n", 3, "not a multiple");
	expect_bad("pages t=0 id=1 size=0x1000 flags=0\nvma t=0 vma=1 pages=1\nvma t=0 vma=1 pages=1\n",
		   5, "already live");
	expect_bad("unbind t=0 vma=7 flags=0 fence=0 ret=0\n", 3, "names no live vma");
	expect_bad("pages t=0 id=1 size=0x1000 flags=0\nvma t=0 vma=1 pages=1\n"
		   "bind t=0 vma=1 flags=0 offset=0 size=0 align=0 color=0 range_start=0 range_end=0 placement=sideways pte=0 pages_offset=0 deps=- at=- fence=0 ret=0\n",
		   5, "not best, low or high");
	expect_bad("pages t=0 id=1 size=0x1000 flags=0\nvma t=0 vma=1 pages=1\n"
		   "bind t=0 vma=1 flags=0 offset=0 size=0 align=0 color=0 range_start=0 range_end=0 placement=best pte=0 pages_offset=0 deps=9 at=- fence=0 ret=0\n",
		   5, "fence 9 is not declared");
	expect_bad("pages t=0 id=1 size=0x1000 flags=0\nvma t=0 vma=1 pages=1\n"
		   "bind t=0 vma=1 flags=0 offset=0 size=0 align=0 color=0 placement=best\n",
		   5, "without its range_start");
	expect_bad("signal t=0 fence=3 err=0\n", 3, "fence 3 is not declared");
	expect_bad("fence t=0 id=1 ctx=0 seqno=0\nsignal t=0 fence=1 err=5\n", 4, "negative errno");
	expect_bad("fence t=0 id=1 ctx=0 seqno=0\nfence t=0 id=1 ctx=0 seqno=0\n", 4, "declared twice");
	expect_bad("pages t=0 id=1 size=0x99999999999999999999 flags=0\n", 3, "not a number");
	expect_bad("pages t=0 id=1 size=-1 flags=0\n", 3, "not a number");
	expect_bad("pages t=0 id=1 size=0x1000 flags=0 junk\n", 3, "not key=value");
	expect_bad("sparse t=0 vma=1 size=0x2000\nmapop t=0 kind=map vma=1 offset=0 size=0x1000 pages=0 pages_offset=0 pte=0x4\n",
		   4, "ends inside a batch");
	expect_bad("sparse t=0 vma=1 size=0x2000\nmapop t=0 kind=map vma=1 offset=0 size=0x1000 pages=0 pages_offset=0 pte=0x4\n"
		   "batch t=0 n=2 flags=0 deps=- call=vm_map_batch fence=0 ret=0\n", 5, "n=2 follows 1");
	expect_bad("sparse t=0 vma=1 size=0x2000\nmapop t=0 kind=map vma=1 offset=0 size=0x1000 pages=0 pages_offset=0 pte=0x4\n"
		   "unbind t=0 vma=1 flags=0 fence=0 ret=0\n", 5, "inside a batch");
	assert_int_equal(replay_str("gtt-trace 1\nvm t=0 name=x start=0x0 size=0 page_size=0x1000 flags=0\n",
				    NULL, NULL, &line), -EBADMSG);
	assert_int_equal(line, 2);
}

/* Comments are whole lines, whatever they hold; blank lines are empty. */
static void test_comments(void **state)
{
	static const char text[] =
		"# a trace, with words and key=value and = signs\n"
		"   \t\n"
		"gtt-trace 1\n"
		"# vm t=0 name=x start=0x0 size=0x1000 page_size=0x1000 flags=0\n"
		"vm t=0 name=x start=0x0 size=0x100000 page_size=0x1000 flags=0x0\n"
		"  # indented, two words\n"
		"\n"
		"end t=0 records=2 dropped=0\n"
		"# after the end\n";
	uint64_t line = 99;

	(void)state;
	assert_int_equal(replay_str(text, NULL, NULL, &line), 0);
	assert_int_equal(line, 0);
}

/* A NUL byte is an error of its line (the lines after it keep their
 * numbers), and a line too long is its own line's error. */
static void test_nul_and_long_lines(void **state)
{
	static const char nul[] = "gtt-trace 1\nvm t=0 name=x start=0x0 size=0x100000 page_size=0x1000 flags=0x0\n"
				  "pages t=0 id=1\0 size=0x1000 flags=0\nend t=0 records=2 dropped=0\n";
	size_t head = strlen(good_head), n = head + (16u << 20) + 1;
	char *big = malloc(n + 1);
	uint64_t line = 0;
	FILE *f;

	(void)state;
	f = fmemopen((void *)nul, sizeof(nul) - 1, "r");
	assert_non_null(f);
	assert_int_equal(gtt_trace_replay(f, NULL, NULL, &line), -EBADMSG);
	fclose(f);
	assert_int_equal(line, 3);
	assert_non_null(strstr(gtt_last_error(), "trace line 3: a NUL byte at column 15"));

	assert_non_null(big);
	memcpy(big, good_head, head);
	memset(big + head, 'x', n - head - 1);
	big[n - 1] = '\n';
	big[n] = 0;
	assert_int_equal(replay_str(big, NULL, NULL, &line), -EBADMSG);
	assert_int_equal(line, 3);
	assert_non_null(strstr(gtt_last_error(), "trace line 3: line longer than 16777215 bytes"));
	/* 16 MiB - 1 bytes is a line (of an unknown kind). */
	big[n - 2] = '\n';
	big[n - 1] = 0;
	assert_int_equal(replay_str(big, NULL, NULL, &line), -EBADMSG);
	assert_int_equal(line, 3);
	assert_non_null(strstr(gtt_last_error(), "trace line 3: unknown record kind"));
	free(big);
}

/* max_work bounds what a trace can make the replay map. */
static void test_work_bound(void **state)
{
	struct gtt_replay_config cfg = { .placement = GTT_REPLAY_AS_RECORDED,
					 .avoid_pending = GTT_REPLAY_AS_RECORDED,
					 .max_work = 16 };
	static const char bind[] = "bind t=0 vma=%d flags=0 offset=0 size=0 align=0 color=0 range_start=0 range_end=0 placement=best pte=0 pages_offset=0 deps=- at=- fence=0 ret=0\n";
	char text[4096], *p;
	uint64_t line;

	(void)state;
	/* One object larger than the bound. */
	snprintf(text, sizeof(text), "%spages t=0 id=1 size=0x11000 flags=0\n", good_head);
	assert_int_equal(replay_str(text, &cfg, NULL, &line), -EBADMSG);
	assert_int_equal(line, 3);
	assert_non_null(strstr(gtt_last_error(), "max_work 16 pages"));
	snprintf(text, sizeof(text), "%ssparse t=0 vma=1 size=0x11000 resv=0\n", good_head);
	assert_int_equal(replay_str(text, &cfg, NULL, &line), -EBADMSG);
	assert_int_equal(line, 3);
	/* The default bound: 2^32 pages. */
	snprintf(text, sizeof(text), "%spages t=0 id=1 size=0x%llx flags=0\n", good_head,
		 (unsigned long long)(GTT_REPLAY_MAX_WORK + 1) * 4096);
	assert_int_equal(replay_str(text, NULL, NULL, &line), -EBADMSG);
	assert_non_null(strstr(gtt_last_error(), "max_work 4294967296 pages"));

	/* Three binds of 8 pages: the third goes over. */
	p = text + snprintf(text, sizeof(text), "%spages t=0 id=1 size=0x8000 flags=0\n", good_head);
	for (int i = 1; i <= 3; i++) {
		p += sprintf(p, "vma t=0 vma=%d pages=1 resv=0\n", i);
		p += sprintf(p, bind, i);
	}
	strcpy(p, "end t=0 records=9 dropped=0\n");
	assert_int_equal(replay_str(text, &cfg, NULL, &line), -EBADMSG);
	assert_int_equal(line, 9);
	assert_non_null(strstr(gtt_last_error(), "maps more than the replay's max_work (16 pages)"));
	cfg.max_work = 24;
	assert_int_equal(replay_str(text, &cfg, NULL, &line), 0);

	/* A batch counts its operations, unmaps too, before it runs. */
	snprintf(text, sizeof(text), "%ssparse t=0 vma=1 size=0x10000 resv=0\n"
		 "bind t=0 vma=1 flags=0 offset=0 size=0 align=0 color=0 range_start=0 range_end=0 placement=best pte=0 pages_offset=0 deps=- at=- fence=0 ret=0\n"
		 "mapop t=0 kind=map vma=1 offset=0 size=0x8000 pages=0 pages_offset=0 pte=0x4\n"
		 "mapop t=0 kind=unmap vma=1 offset=0 size=0x10000 pages=0 pages_offset=0 pte=0\n"
		 "batch t=0 n=2 flags=0 deps=- call=vm_map_batch fence=0 ret=0\n"
		 "end t=0 records=7 dropped=0\n", good_head);
	assert_int_equal(replay_str(text, &cfg, NULL, &line), -EBADMSG);
	assert_int_equal(line, 7);
	cfg.max_work = 40;
	assert_int_equal(replay_str(text, &cfg, NULL, &line), 0);
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Replaying @n vmas whose handles are @h0, @h0 + @step, ...: CPU seconds. */
static double replay_handles(uint64_t h0, uint64_t step, int n)
{
	size_t cap = 256 + (size_t)n * 64;
	char *text = malloc(cap), *p;
	double t;

	assert_non_null(text);
	p = text + sprintf(text, "%spages t=0 id=1 size=0x1000 flags=0\n", good_head);
	for (int i = 0; i < n; i++)
		p += sprintf(p, "vma t=0 vma=0x%llx pages=1 resv=0\n",
			     (unsigned long long)(h0 + (uint64_t)i * step));
	sprintf(p, "end t=0 records=%d dropped=0\n", n + 3);
	t = cpu_seconds();
	assert_int_equal(replay_str(text, NULL, NULL, NULL), 0);
	t = cpu_seconds() - t;
	free(text);
	return t;
}

/* The handle map does not degrade with handles that share their low bits
 * (a map hashed by the low bits probes n^2/2 slots for them). */
static void test_handles_alike_low_bits(void **state)
{
	const int n = 50000;
	double seq, alike;

	(void)state;
	seq = replay_handles(1, 1, n);
	alike = replay_handles(1ull << 32, 1ull << 32, n);
	if (alike > 4 * seq + 0.2)
		fail_msg("%d handles 2^32 apart took %.2f s, 1 apart %.2f s", n, alike, seq);
}

/* Every prefix of a good trace is refused (or, cut at the end, accepted),
 * and random mutations never crash: they replay or fail with an error. */
static void test_truncated_and_fuzzed(void **state)
{
	struct membuf m = { 0 };
	uint64_t seed = 0x5eed, line;
	char *copy;
	int ok = 0, refused = 0;

	(void)state;
	record(&m);
	copy = malloc(m.len + 1);
	assert_non_null(copy);
	for (size_t cut = 0; cut < m.len; cut++) {
		memcpy(copy, m.data, cut);
		copy[cut] = 0;
		assert_int_equal(replay_str(copy, NULL, NULL, &line), -EBADMSG);
		assert_true(line > 0 || cut == 0 || !strchr(copy, '\n'));
	}
	for (int round = 0; round < 2000; round++) {
		int err;

		memcpy(copy, m.data, m.len + 1);
		for (int k = 0; k < 1 + (int)rng_below(&seed, 4); k++) {
			size_t at = (size_t)rng_below(&seed, m.len);
			static const char pool[] = "0123456789abcdefx=,- \n#zq";

			copy[at] = pool[rng_below(&seed, sizeof(pool) - 1)];
		}
		err = replay_str(copy, NULL, NULL, &line);
		assert_true(err == 0 || err < 0);
		if (err)
			refused++;
		else
			ok++;
	}
	assert_true(refused > 0);
	free(copy);
	free(m.data);
}

static void test_sink_failure_and_destroy(void **state)
{
	struct fixture_like {
		struct gtt_backend *be;
		struct gtt_vm *vm;
	} w;
	struct gtt_mock_config mc = { .start = 0, .size = 64 * PAGE };
	struct gtt_vm_config vc = { .start = 0, .size = 64 * PAGE };
	struct membuf m = { .fail_after = 2 };
	struct gtt_trace_config tc = { .write = mem_sink, .arg = &m };
	struct gtt_fence *never;
	gtt_vma_t v;
	struct gtt_pages *p = pages_of(0x100000000ull, 1);

	(void)state;
	assert_int_equal(gtt_mock_create(&mc, &w.be), 0);
	vc.backend = w.be;
	assert_int_equal(gtt_vm_create(&vc, &w.vm), 0);
	assert_int_equal(gtt_vm_trace_start(w.vm, NULL), -EINVAL);
	assert_int_equal(gtt_vm_trace_start(w.vm, &(struct gtt_trace_config){ 0 }), -EINVAL);
	assert_int_equal(gtt_vm_trace_start(w.vm, &tc), 0);
	assert_int_equal(gtt_vma_create(w.vm, p, NULL, &v), 0);
	assert_int_equal(gtt_vma_bind(w.vm, v, NULL, NULL), 0);
	assert_int_equal(gtt_vm_trace_flush(w.vm), -ENOSPC);
	assert_int_equal(gtt_vm_trace_stop(w.vm), -ENOSPC);

	/* A fence that never signals, watched when the vm goes: let go. */
	free(m.data);
	m = (struct membuf){ 0 };
	assert_int_equal(gtt_vm_trace_start(w.vm, &tc), 0);
	assert_int_equal(gtt_fence_create(0, 0, &never), 0);
	assert_int_equal(gtt_vma_add_active(w.vm, v, never), 0);
	assert_int_equal(gtt_vma_unbind(w.vm, v, GTT_UNBIND_ASYNC, NULL), 0);
	gtt_fence_signal(never, 0);
	gtt_fence_put(never);
	assert_int_equal(gtt_fence_create(0, 0, &never), 0);
	assert_int_equal(gtt_vm_add_active(w.vm, never), 0);
	gtt_vm_destroy(w.vm);	/* stops the recording */
	assert_non_null(strstr(m.data, "\nend t="));
	gtt_fence_signal(never, 0);
	gtt_fence_put(never);
	gtt_pages_put(p);
	gtt_backend_destroy(w.be);
	free(m.data);
}

/* on_vm: called with the replay's vm before the first operation and after
 * the last record; a journal enabled there speaks the trace's times and
 * names. */
struct on_vm_seen {
	bool oom;		/* allocations may fail: check nothing */
	int calls;
	bool done_seen;
	struct gtt_journal_event ev[8];
	size_t n;
};

static void on_vm_journal(void *arg, struct gtt_vm *vm,
			  const struct gtt_replay_stats *st)
{
	struct on_vm_seen *s = arg;
	bool done = st && st->interval == UINT64_MAX;

	if (st && !done)
		return;		/* an interval's end: not asked for here */

	s->calls++;
	if (s->oom) {
		if (!done)
			gtt_vm_journal_enable(vm, 8);
		return;
	}
	if (!done) {
		assert_false(s->done_seen);
		assert_int_equal(gtt_vm_journal_enable(vm, 8), 0);
		return;
	}
	s->done_seen = true;
	assert_int_equal(gtt_vm_journal_read(vm, s->ev, 8, &s->n, NULL), 0);
}

static void test_replay_on_vm(void **state)
{
	static const char text[] =
	"gtt-trace 1\n"
	"vm t=0 name=t start=0x10000 size=0x40000 page_size=0x1000 flags=0x0\n"
	"pages t=1200 id=3 size=0x10000 flags=0x0\n"
	"vma t=1300 vma=0x7 pages=3 resv=0\n"
	"bind t=2100 vma=0x7 flags=0x0 offset=0x0 size=0x0 align=0x0 color=0x0 range_start=0x0 range_end=0x0 placement=best pte=0x0 pages_offset=0x0 deps=- at=0x10000 mapped=0x10000 fence=0 ret=0\n"
	"fence t=2500 id=1 ctx=0x1 seqno=1\n"
	"active t=2600 vma=0x7 fence=1 ret=0\n"
	"unbind t=2900 vma=0x7 flags=0x1 fence=2 ret=0\n"
	"signal t=9100 fence=1 err=0\n"
	"signal t=9300 fence=2 err=0\n"
	"end t=9500 records=10 dropped=0\n";
	struct on_vm_seen seen = { 0 };
	struct gtt_replay_config cfg = {
		.placement = GTT_REPLAY_AS_RECORDED,
		.avoid_pending = GTT_REPLAY_AS_RECORDED,
		.on_vm = on_vm_journal,
		.arg = &seen,
	};

	(void)state;
	assert_int_equal(replay_str(text, &cfg, NULL, NULL), 0);
	assert_int_equal(seen.calls, 2);
	assert_true(seen.done_seen);
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.ev[0].kind, GTT_JOURNAL_BIND);
	assert_int_equal(seen.ev[0].time, 2100);
	/* Named as the trace names them. */
	assert_int_equal(seen.ev[0].vma, 0x7);
	assert_int_equal(seen.ev[0].pages_id, 3);
	assert_int_equal(seen.ev[1].kind, GTT_JOURNAL_UNBIND);
	assert_int_equal(seen.ev[1].time, 2900);
	assert_int_equal(seen.ev[1].vma, 0x7);
	/* The clear ran when the GPU's fence signalled. */
	assert_int_equal(seen.ev[2].kind, GTT_JOURNAL_CLEAR);
	assert_int_equal(seen.ev[2].time, 9100);
	/* A failed replay does not call it at the end. */
	seen = (struct on_vm_seen){ 0 };
	assert_int_equal(replay_str("gtt-trace 1\nvm t=0 name=t start=0x10000 size=0x40000 page_size=0x1000 flags=0x0\n",
				    &cfg, NULL, NULL), -EBADMSG);
	assert_int_equal(seen.calls, 1);
	assert_false(seen.done_seen);
	/* Out of memory anywhere (the names of the journal's source
	 * included): an error, never a crash or a leak (ASan). */
	int err = -ENOMEM;

	for (uint64_t n = 1; n < 400; n++) {
		seen = (struct on_vm_seen){ .oom = true };
		mem_fail_after(n);
		err = replay_str(text, &cfg, NULL, NULL);
		mem_fail_after(0);
		assert_true(err == 0 || err == -ENOMEM || err == -EBADMSG);
	}
	assert_int_equal(err, 0);	/* the sweep went past the last allocation */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* First: the vma handles in the golden trace carry vm tag 1. */
		cmocka_unit_test(test_format_golden),
		cmocka_unit_test(test_record_contents),
		cmocka_unit_test(test_number_formats),
		cmocka_unit_test(test_long_recording),
		cmocka_unit_test(test_time_stamps),
		cmocka_unit_test(test_signals_from_another_thread),
		cmocka_unit_test(test_replay_identical),
		cmocka_unit_test(test_intervals_sum_to_total),
		cmocka_unit_test(test_interval_vm_callback),
		cmocka_unit_test(test_policy_override),
		cmocka_unit_test(test_evict_orders),
		cmocka_unit_test(test_replay_on_platform_mocks),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_nul_and_long_lines),
		cmocka_unit_test(test_work_bound),
		cmocka_unit_test(test_handles_alike_low_bits),
		cmocka_unit_test(test_truncated_and_fuzzed),
		cmocka_unit_test(test_sink_failure_and_destroy),
		cmocka_unit_test(test_replay_on_vm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
