/* SPDX-License-Identifier: MIT */
/*
 * The vm over a queue backend (gtt/backend.h: submit + can_wait), on the
 * pretend kernel of tests/support/queue_kernel.c: which dependencies are
 * handed to the kernel and which are awaited on the CPU, that the caller's
 * fences carry the kernel's, ordering against pending unbinds, batches of
 * sparse mappings, and every failure: a refused submit, a batch that fails
 * in the kernel, memory running out.
 */
#include <string.h>

#include "helpers.h"
#include "support/queue_kernel.h"

#include "base/util.h"

struct qfix {
	struct qk *k;
	struct gtt_backend *be;
	struct gtt_executor *ex;
	struct gtt_vm *vm;
};

#define VM_START 0x100000ull
#define VM_SIZE (64ull << 20)

static void qfix_init(struct qfix *f)
{
	struct gtt_vm_config vc = { .name = "queue", .start = VM_START, .size = VM_SIZE };

	assert_int_equal(qk_create(VM_START, VM_SIZE, &f->k, &f->be), 0);
	assert_true(gtt_backend_is_queue(f->be));
	assert_int_equal(gtt_executor_create_manual(&f->ex), 0);
	vc.backend = f->be;
	vc.executor = f->ex;
	assert_int_equal(gtt_vm_create(&vc, &f->vm), 0);
}

static void qfix_fini(struct qfix *f)
{
	qk_hold(f->k, false);
	gtt_executor_run_all(f->ex);
	gtt_vm_destroy(f->vm);
	gtt_executor_destroy(f->ex);
	gtt_backend_destroy(f->be);
}

static struct gtt_mock_entry entry(struct qfix *f, uint64_t va)
{
	struct gtt_mock_entry e;

	assert_int_equal(gtt_mock_read(qk_table(f->k), va, &e), 0);
	return e;
}

static gtt_vma_t vma_at(struct qfix *f, uint64_t dma, uint64_t npages, int *freed)
{
	return counted_vma(f->vm, dma, npages, 0, freed);
}

static struct gtt_fence *bind_async(struct qfix *f, gtt_vma_t h, uint64_t off,
				    struct gtt_fence *const *deps, size_t n)
{
	struct gtt_bind_info bi = fixed_at(off, GTT_BIND_ASYNC);
	struct gtt_fence *bf = NULL;

	bi.deps = deps;
	bi.num_deps = n;
	assert_int_equal(gtt_vma_bind(f->vm, h, &bi, &bf), 0);
	assert_non_null(bf);
	return bf;
}

static struct gtt_vm_stats stats(struct qfix *f)
{
	struct gtt_vm_stats st;

	assert_int_equal(gtt_vm_stats(f->vm, &st), 0);
	return st;
}

/* A kernel fence is handed over at once; the PTEs appear when it signals. */
static void test_kernel_dep_handed_over(void **state)
{
	struct qfix f;
	int freed = 0;
	gtt_vma_t h;
	struct gtt_fence *k, *bf;

	(void)state;
	qfix_init(&f);
	h = vma_at(&f, 0x40000000, 4, &freed);
	k = qk_fence(f.k);
	bf = bind_async(&f, h, VM_START, &k, 1);
	/* Submitted from the bind call itself, nothing left for the CPU. */
	assert_int_equal(qk_batches(f.k), 1);
	assert_int_equal(gtt_executor_pending(f.ex), 0);
	assert_int_equal(qk_batch_deps(f.k, 0), 1);
	assert_ptr_equal(qk_batch_dep(f.k, 0, 0), k);
	assert_int_equal(qk_batch_ops(f.k, 0), 1);
	assert_int_equal(qk_batch_op(f.k, 0, 0).kind, GTT_BACKEND_OP_MAP);
	assert_int_equal(qk_batch_op(f.k, 0, 0).start, VM_START);
	assert_int_equal(qk_batch_op(f.k, 0, 0).size, 4 * PAGE);
	assert_false(entry(&f, VM_START).valid && entry(&f, VM_START).addr == 0x40000000);
	assert_false(gtt_fence_is_signaled(bf));

	gtt_fence_signal(k, 0);
	assert_true(qk_batch_ran(f.k, 0));
	assert_int_equal(gtt_fence_status(bf), 1);
	assert_int_equal(entry(&f, VM_START + 3 * PAGE).addr, 0x40000000 + 3 * PAGE);
	gtt_fence_put(bf);
	gtt_fence_put(k);
	qfix_fini(&f);
	assert_int_equal(freed, 1);
}

/* A CPU fence is awaited first; the kernel then gets only its own. */
static void test_cpu_dep_awaited_first(void **state)
{
	struct qfix f;
	int freed = 0;
	gtt_vma_t h;
	struct gtt_fence *deps[2], *bf;

	(void)state;
	qfix_init(&f);
	h = vma_at(&f, 0x40000000, 1, &freed);
	deps[0] = new_fence();		/* the CPU's */
	deps[1] = qk_fence(f.k);	/* the kernel's */
	bf = bind_async(&f, h, VM_START, deps, 2);
	assert_int_equal(qk_batches(f.k), 0);
	gtt_fence_signal(deps[0], 0);
	assert_int_equal(qk_batches(f.k), 0);	/* the job is queued */
	assert_int_equal(gtt_executor_run_all(f.ex), 1);
	assert_int_equal(qk_batches(f.k), 1);
	assert_int_equal(qk_batch_deps(f.k, 0), 1);
	assert_ptr_equal(qk_batch_dep(f.k, 0, 0), deps[1]);
	assert_false(gtt_fence_is_signaled(bf));
	gtt_fence_signal(deps[1], 0);
	assert_int_equal(gtt_fence_status(bf), 1);
	assert_int_equal(entry(&f, VM_START).addr, 0x40000000);
	gtt_fence_put(bf);
	gtt_fence_put(deps[0]);
	gtt_fence_put(deps[1]);
	qfix_fini(&f);
}

/* A bind fence carries the kernel's: a bind after it hands that over. */
static void test_bind_fence_chains_in_kernel(void **state)
{
	struct qfix f;
	int freed = 0;
	gtt_vma_t a, b;
	struct gtt_fence *k, *fa, *fb;

	(void)state;
	qfix_init(&f);
	qk_hold(f.k, true);
	a = vma_at(&f, 0x40000000, 1, &freed);
	b = vma_at(&f, 0x50000000, 1, &freed);
	k = qk_fence(f.k);
	fa = bind_async(&f, a, VM_START, &k, 1);
	fb = bind_async(&f, b, VM_START + PAGE, &fa, 1);
	assert_int_equal(qk_batches(f.k), 2);
	assert_int_equal(qk_batch_deps(f.k, 1), 1);
	assert_ptr_equal(qk_batch_dep(f.k, 1, 0), qk_batch_fence(f.k, 0));
	gtt_fence_signal(k, 0);
	qk_hold(f.k, false);
	assert_int_equal(gtt_fence_status(fa), 1);
	assert_int_equal(gtt_fence_status(fb), 1);
	gtt_fence_put(fa);
	gtt_fence_put(fb);
	gtt_fence_put(k);
	qfix_fini(&f);
	assert_int_equal(freed, 2);
}

/*
 * Unbind: the GPU work still using the mapping is the kernel's to wait for;
 * the pages stay until the clear ran, and a bind into the range orders
 * after that clear in the kernel, not on the CPU.
 */
static void test_unbind_and_rebind_in_kernel(void **state)
{
	struct qfix f;
	int freed = 0, freed2 = 0;
	gtt_vma_t a, b;
	struct gtt_fence *gpu, *bf, *uf, *bf2;

	(void)state;
	qfix_init(&f);
	a = vma_at(&f, 0x40000000, 2, &freed);
	bf = bind_async(&f, a, VM_START, NULL, 0);
	assert_int_equal(gtt_fence_status(bf), 1);
	gpu = qk_fence(f.k);
	assert_int_equal(gtt_vma_add_active(f.vm, a, gpu), 0);
	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, &uf), 0);
	assert_int_equal(qk_batches(f.k), 2);
	assert_int_equal(qk_batch_op(f.k, 1, 0).kind, GTT_BACKEND_OP_UNMAP);
	assert_int_equal(qk_batch_deps(f.k, 1), 1);
	assert_ptr_equal(qk_batch_dep(f.k, 1, 0), gpu);
	assert_int_equal(stats(&f).pending_unbinds, 1);

	/* The range is free at once; the bind there waits in the kernel. */
	b = vma_at(&f, 0x50000000, 2, &freed2);
	bf2 = bind_async(&f, b, VM_START, NULL, 0);
	assert_int_equal(qk_batches(f.k), 3);
	assert_int_equal(qk_batch_deps(f.k, 2), 1);
	assert_ptr_equal(qk_batch_dep(f.k, 2, 0), qk_batch_fence(f.k, 1));
	assert_int_equal(gtt_executor_pending(f.ex), 0);
	assert_int_equal(entry(&f, VM_START).addr, 0x40000000);
	assert_int_equal(freed, 0);

	gtt_fence_signal(gpu, 0);
	assert_int_equal(gtt_fence_status(uf), 1);
	assert_int_equal(gtt_fence_status(bf2), 1);
	assert_int_equal(entry(&f, VM_START).addr, 0x50000000);
	assert_int_equal(gtt_vma_destroy(f.vm, a), 0);
	assert_int_equal(freed, 1);
	gtt_fence_put(bf);
	gtt_fence_put(uf);
	gtt_fence_put(bf2);
	gtt_fence_put(gpu);
	qfix_fini(&f);
	assert_int_equal(freed2, 1);
}

/*
 * A held binding's unbind fence signals only when the hold goes, after the
 * kernel's clear: it does not stand in for that clear, so a bind into the
 * range waits for it on the CPU, and the pages stay until the hold goes.
 */
static void test_held_unbind_not_handed_over(void **state)
{
	struct qfix f;
	int freed = 0, freed2 = 0;
	gtt_vma_t a, b;
	struct gtt_binding *hold = NULL;
	struct gtt_fence *bf, *uf, *bf2;

	(void)state;
	qfix_init(&f);
	a = vma_at(&f, 0x40000000, 1, &freed);
	bf = bind_async(&f, a, VM_START, NULL, 0);
	assert_int_equal(gtt_vma_hold(f.vm, a, &hold), 0);
	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, &uf), 0);
	assert_int_equal(qk_batches(f.k), 2);
	assert_true(qk_batch_ran(f.k, 1));		/* the clear ran */
	assert_false(gtt_fence_is_signaled(uf));	/* the hold keeps the fence */

	b = vma_at(&f, 0x50000000, 1, &freed2);
	bf2 = bind_async(&f, b, VM_START, NULL, 0);
	assert_int_equal(qk_batches(f.k), 2);		/* waits on the CPU */
	assert_int_equal(freed, 0);
	gtt_binding_unhold(hold);
	assert_int_equal(gtt_fence_status(uf), 1);
	gtt_executor_run_all(f.ex);
	assert_int_equal(qk_batches(f.k), 3);
	assert_int_equal(qk_batch_deps(f.k, 2), 0);
	assert_int_equal(gtt_fence_status(bf2), 1);
	assert_int_equal(entry(&f, VM_START).addr, 0x50000000);
	assert_int_equal(gtt_vma_destroy(f.vm, a), 0);
	assert_int_equal(freed, 1);
	gtt_fence_put(bf);
	gtt_fence_put(uf);
	gtt_fence_put(bf2);
	qfix_fini(&f);
	assert_int_equal(freed2, 1);
}

/* A synchronous bind and unbind wait for the kernel's batch. */
struct releaser {
	struct qk *k;
};

static void *release_later(void *arg)
{
	struct releaser *r = arg;

	usleep(20000);
	qk_hold(r->k, false);
	return NULL;
}

static void test_sync_calls_wait_for_the_batch(void **state)
{
	struct qfix f;
	int freed = 0;
	struct releaser r;
	pthread_t t;
	gtt_vma_t h;
	struct gtt_bind_info bi = fixed_at(VM_START, 0);

	(void)state;
	qfix_init(&f);
	r.k = f.k;
	h = vma_at(&f, 0x40000000, 1, &freed);
	qk_hold(f.k, true);
	assert_int_equal(pthread_create(&t, NULL, release_later, &r), 0);
	assert_int_equal(gtt_vma_bind(f.vm, h, &bi, NULL), 0);
	pthread_join(t, NULL);
	assert_true(qk_batch_ran(f.k, 0));
	assert_int_equal(entry(&f, VM_START).addr, 0x40000000);

	qk_hold(f.k, true);
	assert_int_equal(pthread_create(&t, NULL, release_later, &r), 0);
	assert_int_equal(gtt_vma_unbind(f.vm, h, 0, NULL), 0);
	pthread_join(t, NULL);
	assert_true(qk_batch_ran(f.k, 1));
	assert_false(entry(&f, VM_START).addr == 0x40000000);
	assert_int_equal(freed, 0);		/* the vma still has them */
	assert_int_equal(gtt_vma_destroy(f.vm, h), 0);
	assert_int_equal(freed, 1);
	qfix_fini(&f);
}

/* A refused submit changes nothing; the error comes back. */
static void test_refused_submit(void **state)
{
	struct qfix f;
	int freed = 0;
	gtt_vma_t h;
	struct gtt_bind_info bi = fixed_at(VM_START, 0);
	struct gtt_fence *bf;
	struct gtt_vm_stats st;

	(void)state;
	qfix_init(&f);
	h = vma_at(&f, 0x40000000, 1, &freed);
	qk_fail_submit(f.k, -ENOSPC);
	assert_int_equal(gtt_vma_bind(f.vm, h, &bi, NULL), -ENOSPC);
	st = stats(&f);
	assert_int_equal(st.bound, 0);
	assert_int_equal(st.backend_errors, 1);
	assert_int_equal(qk_batches(f.k), 0);
	assert_false(entry(&f, VM_START).addr == 0x40000000);
	/* The range is free again: the same bind now works. */
	assert_int_equal(gtt_vma_bind(f.vm, h, &bi, NULL), 0);
	assert_int_equal(entry(&f, VM_START).addr, 0x40000000);

	/* An async unbind whose submit is refused: the clear failed. */
	qk_fail_submit(f.k, -ENOMEM);
	assert_int_equal(gtt_vma_unbind(f.vm, h, GTT_UNBIND_ASYNC, &bf), 0);
	assert_int_equal(gtt_fence_status(bf), -ENOMEM);
	/* Its entries may still map the pages: they stay referenced. */
	assert_int_equal(gtt_vma_destroy(f.vm, h), 0);
	assert_int_equal(freed, 0);
	assert_int_equal(stats(&f).quarantined, 1);
	gtt_fence_put(bf);
	qfix_fini(&f);
	assert_int_equal(freed, 1);		/* released at destruction */
}

/* A batch that fails in the kernel: the bind fails, its clear follows. */
static void test_failed_batch(void **state)
{
	struct qfix f;
	int freed = 0, freed2 = 0;
	gtt_vma_t h, h2;
	struct gtt_bind_info bi = fixed_at(VM_START, 0);
	struct gtt_fence *bf, *uf;

	(void)state;
	qfix_init(&f);
	h = vma_at(&f, 0x40000000, 1, &freed);
	qk_fail_run(f.k, -EIO);
	assert_int_equal(gtt_vma_bind(f.vm, h, &bi, NULL), -EIO);
	assert_int_equal(stats(&f).bound, 0);
	/* The failed bind was unbound: a clear went after it. */
	assert_int_equal(qk_batches(f.k), 2);
	assert_int_equal(qk_batch_op(f.k, 1, 0).kind, GTT_BACKEND_OP_UNMAP);

	/* A clear that fails in the kernel keeps the pages (quarantine)
	 * until a later bind there has been written. */
	bf = bind_async(&f, h, VM_START, NULL, 0);
	assert_int_equal(gtt_fence_status(bf), 1);
	qk_fail_run(f.k, -EIO);
	assert_int_equal(gtt_vma_unbind(f.vm, h, GTT_UNBIND_ASYNC, &uf), 0);
	assert_int_equal(gtt_fence_status(uf), -EIO);
	assert_int_equal(gtt_vma_destroy(f.vm, h), 0);
	assert_int_equal(freed, 0);
	assert_int_equal(stats(&f).quarantined, 1);
	h2 = vma_at(&f, 0x50000000, 1, &freed2);
	assert_int_equal(gtt_vma_bind(f.vm, h2, &bi, NULL), 0);
	assert_int_equal(entry(&f, VM_START).addr, 0x50000000);
	assert_int_equal(stats(&f).quarantined, 0);
	assert_int_equal(freed, 1);
	gtt_fence_put(bf);
	gtt_fence_put(uf);
	qfix_fini(&f);
	assert_int_equal(freed2, 1);
}

/*
 * The journal on a queue backend: the clear's event comes from the end of
 * the kernel's batch (its fence's callback, in the thread that signalled
 * the GPU's fence); a clear that fails there is quarantined, the range
 * already free, and the later bind that overwrites it releases it.
 */
static void test_journal_on_queue(void **state)
{
	struct gtt_bind_info bi = fixed_at(VM_START, 0);
	struct gtt_fence *gpu, *uf;
	struct gtt_explain ex;
	struct qfix f;
	int freed = 0, freed2 = 0;
	gtt_vma_t h, h2;

	(void)state;
	qfix_init(&f);
	assert_int_equal(gtt_vm_journal_enable(f.vm, 32), 0);
	h = vma_at(&f, 0x40000000, 2, &freed);
	assert_int_equal(gtt_vma_bind(f.vm, h, &bi, NULL), 0);
	gpu = qk_fence(f.k);
	assert_int_equal(gtt_vma_add_active(f.vm, h, gpu), 0);
	assert_int_equal(gtt_vma_unbind(f.vm, h, GTT_UNBIND_ASYNC, &uf), 0);
	assert_int_equal(gtt_vm_explain(f.vm, VM_START, 0, &ex), 0);
	assert_int_equal(ex.m[0].state, GTT_EXPLAIN_UNBINDING);
	assert_int_equal(ex.now_pending, 1);
	gtt_fence_signal(gpu, 0);
	assert_int_equal(gtt_fence_status(uf), 1);
	assert_int_equal(gtt_vm_explain(f.vm, VM_START, 0, &ex), 0);
	assert_int_equal(ex.count, 1);
	assert_int_equal(ex.m[0].state, GTT_EXPLAIN_CLEARED);
	assert_int_equal(ex.now_pending, 0);
	gtt_fence_put(uf);

	/* A clear that fails in the kernel. */
	assert_int_equal(gtt_vma_bind(f.vm, h, &bi, NULL), 0);
	qk_fail_run(f.k, -EIO);
	assert_int_equal(gtt_vma_unbind(f.vm, h, GTT_UNBIND_ASYNC, &uf), 0);
	assert_int_equal(gtt_fence_status(uf), -EIO);
	assert_int_equal(gtt_vm_explain(f.vm, VM_START, 0, &ex), 0);
	assert_int_equal(ex.count, 2);
	assert_int_equal(ex.m[1].state, GTT_EXPLAIN_QUARANTINED);
	assert_int_equal(ex.m[1].clear_error, -EIO);
	assert_false(ex.now_held);	/* too late to keep the range */
	h2 = vma_at(&f, 0x50000000, 2, &freed2);
	assert_int_equal(gtt_vma_bind(f.vm, h2, &bi, NULL), 0);
	assert_int_equal(gtt_vm_explain(f.vm, VM_START, 0, &ex), 0);
	assert_int_equal(ex.count, 3);
	assert_int_equal(ex.m[1].state, GTT_EXPLAIN_RELEASED);
	assert_int_equal(ex.m[2].vma, h2);
	assert_int_equal(ex.now_vma, h2);
	gtt_fence_put(uf);
	gtt_fence_put(gpu);
	qfix_fini(&f);
	assert_int_equal(freed, 1);
	assert_int_equal(freed2, 1);
}

/* Sparse vmas: a batch of map ops is one submission; a partial unmap is
 * an UNMAP of the part, after the kernel's GPU work. */
static void test_sparse_batch_one_submission(void **state)
{
	struct qfix f;
	int freed = 0;
	gtt_vma_t s;
	struct gtt_pages *p = make_pages(0x40000000, 8, 0);
	struct gtt_bind_info bi = fixed_at(VM_START, 0);
	struct gtt_map_op ops[3];
	struct gtt_map_info none = { 0 };
	struct gtt_fence *gpu, *mf;
	size_t n;

	(void)state;
	assert_int_equal(gtt_pages_set_destructor(p, count_release, &freed), 0);
	qfix_init(&f);
	assert_int_equal(gtt_vma_create_sparse(f.vm, 16 * PAGE, NULL, &s), 0);
	assert_int_equal(gtt_vma_bind(f.vm, s, &bi, NULL), 0);
	assert_int_equal(qk_batches(f.k), 0);		/* the placement maps nothing */
	ops[0] = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = s, .offset = 0,
				      .size = 4 * PAGE, .pages = p };
	ops[1] = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = s, .offset = 8 * PAGE,
				      .size = 4 * PAGE, .pages = p, .pages_offset = 4 * PAGE };
	ops[2] = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = s, .offset = 12 * PAGE,
				      .size = 4 * PAGE, .pte_flags = GTT_PTE_NULL };
	assert_int_equal(gtt_vm_map_batch(f.vm, ops, 3, &none, NULL), 0);
	assert_int_equal(qk_batches(f.k), 1);
	assert_int_equal(qk_batch_ops(f.k, 0), 3);
	assert_null(qk_batch_op(f.k, 0, 2).pages);
	assert_int_equal(entry(&f, VM_START + 9 * PAGE).addr, 0x40000000 + 5 * PAGE);
	assert_true(entry(&f, VM_START + 12 * PAGE).null);

	gpu = qk_fence(f.k);
	assert_int_equal(gtt_vma_add_active(f.vm, s, gpu), 0);
	none.flags = GTT_MAP_ASYNC;
	assert_int_equal(gtt_vma_unmap(f.vm, s, 2 * PAGE, 8 * PAGE, &none, &mf), 0);
	n = qk_batches(f.k);
	assert_int_equal(n, 2);
	/* Two cuts (the ends kept in place), after the GPU work, in the kernel. */
	assert_int_equal(qk_batch_ops(f.k, 1), 2);
	assert_int_equal(qk_batch_op(f.k, 1, 0).kind, GTT_BACKEND_OP_UNMAP);
	assert_int_equal(qk_batch_deps(f.k, 1), 1);
	assert_ptr_equal(qk_batch_dep(f.k, 1, 0), gpu);
	assert_int_equal(entry(&f, VM_START + 2 * PAGE).addr, 0x40000000 + 2 * PAGE);
	gtt_fence_signal(gpu, 0);
	assert_int_equal(gtt_fence_status(mf), 1);
	assert_false(entry(&f, VM_START + 2 * PAGE).addr == 0x40000000 + 2 * PAGE);
	assert_int_equal(entry(&f, VM_START + PAGE).addr, 0x40000000 + PAGE);
	assert_int_equal(entry(&f, VM_START + 10 * PAGE).addr, 0x40000000 + 6 * PAGE);
	gtt_fence_put(mf);
	gtt_fence_put(gpu);
	gtt_pages_put(p);
	qfix_fini(&f);
	assert_int_equal(freed, 1);
}

/*
 * A sparse batch that fails in the kernel: the new pieces count as not
 * written (the map fence fails), the cut's pages stay referenced
 * (quarantine) while its entries may still map them, and the last retry at
 * destruction submits the clear of the range and waits for it.
 */
static void test_failed_sparse_batch(void **state)
{
	struct qfix f;
	int freed_a = 0, freed_b = 0;
	gtt_vma_t s;
	struct gtt_pages *a = make_pages(0x40000000, 4, 0), *b = make_pages(0x50000000, 4, 0);
	struct gtt_bind_info bi = fixed_at(VM_START, 0);
	struct gtt_map_info mi = { .pages = a };
	struct gtt_fence *mf = NULL;
	size_t n;

	(void)state;
	assert_int_equal(gtt_pages_set_destructor(a, count_release, &freed_a), 0);
	assert_int_equal(gtt_pages_set_destructor(b, count_release, &freed_b), 0);
	qfix_init(&f);
	assert_int_equal(gtt_vma_create_sparse(f.vm, 4 * PAGE, NULL, &s), 0);
	assert_int_equal(gtt_vma_bind(f.vm, s, &bi, NULL), 0);
	assert_int_equal(gtt_vma_map(f.vm, s, 0, 4 * PAGE, &mi, NULL), 0);
	assert_int_equal(entry(&f, VM_START).addr, 0x40000000);

	/* Mapping b over a: one batch (cut a, map b) that fails. */
	qk_fail_run(f.k, -EIO);
	mi.pages = b;
	mi.flags = GTT_MAP_ASYNC;
	assert_int_equal(gtt_vma_map(f.vm, s, 0, 4 * PAGE, &mi, &mf), 0);
	assert_int_equal(gtt_fence_status(mf), -EIO);
	assert_int_equal(entry(&f, VM_START).addr, 0x40000000);	/* nothing done */
	gtt_pages_put(a);
	assert_int_equal(stats(&f).quarantined, 1);
	assert_int_equal(freed_a, 0);		/* its entries may still map it */
	assert_true(stats(&f).backend_errors >= 1);

	/* Destruction retries the clear (and waits for it), then releases. */
	assert_int_equal(gtt_vma_destroy(f.vm, s), 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(freed_a, 0);		/* still quarantined */
	n = qk_batches(f.k);
	gtt_vm_destroy(f.vm);
	assert_true(qk_batches(f.k) > n);
	assert_int_equal(qk_batch_op(f.k, qk_batches(f.k) - 1, 0).kind, GTT_BACKEND_OP_UNMAP);
	assert_true(qk_batch_ran(f.k, qk_batches(f.k) - 1));
	assert_false(entry(&f, VM_START).addr == 0x40000000);
	assert_int_equal(freed_a, 1);
	gtt_fence_put(mf);
	gtt_pages_put(b);
	gtt_executor_destroy(f.ex);
	gtt_backend_destroy(f.be);
	assert_int_equal(freed_b, 1);
}

/* A sparse batch that fails in the kernel: the journal records the failed
 * write after the batch's MAP, and the explanation does not call the range
 * mapped. */
static void test_journal_failed_sparse_batch(void **state)
{
	struct gtt_pages *a = make_pages(0x40000000, 4, 0);
	struct gtt_bind_info bi = fixed_at(VM_START, 0);
	struct gtt_map_info mi = { .pages = a, .flags = GTT_MAP_ASYNC };
	struct gtt_journal_event ev[8];
	struct gtt_fence *mf = NULL;
	struct gtt_explain ex;
	struct qfix f;
	gtt_vma_t s;
	size_t n;

	(void)state;
	qfix_init(&f);
	assert_int_equal(gtt_vm_journal_enable(f.vm, 8), 0);
	assert_int_equal(gtt_vma_create_sparse(f.vm, 4 * PAGE, NULL, &s), 0);
	assert_int_equal(gtt_vma_bind(f.vm, s, &bi, NULL), 0);
	qk_fail_run(f.k, -EIO);
	assert_int_equal(gtt_vma_map(f.vm, s, 0, 4 * PAGE, &mi, &mf), 0);
	assert_int_equal(gtt_fence_status(mf), -EIO);
	assert_int_equal(gtt_vm_journal_read(f.vm, ev, 8, &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ev[1].kind, GTT_JOURNAL_MAP);
	assert_int_equal(ev[2].kind, GTT_JOURNAL_BIND_FAILED);
	assert_int_equal(ev[2].vma, s);
	assert_int_equal(ev[2].start, VM_START);
	assert_int_equal(ev[2].size, 4 * PAGE);
	assert_int_equal(ev[2].err, -EIO);
	assert_int_equal(gtt_vm_explain(f.vm, VM_START + PAGE, 0, &ex), 0);
	assert_int_equal(ex.count, 2);
	assert_int_equal(ex.m[1].state, GTT_EXPLAIN_BIND_FAILED);
	assert_int_equal(ex.m[1].bind_error, -EIO);
	gtt_fence_put(mf);
	assert_int_equal(gtt_vma_destroy(f.vm, s), 0);
	gtt_pages_put(a);
	qfix_fini(&f);
}

/* Out of memory at each allocation of a bind, an unbind and a batch:
 * -ENOMEM and nothing changed, or success. */
static void test_oom_changes_nothing(void **state)
{
	(void)state;
	for (uint64_t n = 1; n < 64; n++) {
		struct qfix f;
		int freed = 0;
		gtt_vma_t h, s;
		struct gtt_fence *k, *bf = NULL, *uf = NULL, *mf = NULL;
		struct gtt_bind_info bi = fixed_at(VM_START, GTT_BIND_ASYNC);
		struct gtt_bind_info si = fixed_at(VM_START + (1 << 20), 0);
		struct gtt_map_info mi = { .flags = GTT_MAP_ASYNC };
		struct gtt_pages *p;
		size_t before;
		int err;

		qfix_init(&f);
		h = vma_at(&f, 0x40000000, 1, &freed);
		assert_int_equal(gtt_vma_create_sparse(f.vm, 4 * PAGE, NULL, &s), 0);
		assert_int_equal(gtt_vma_bind(f.vm, s, &si, NULL), 0);
		p = make_pages(0x50000000, 4, 0);
		k = qk_fence(f.k);
		bi.deps = &k;
		bi.num_deps = 1;
		mi.pages = p;
		mi.deps = &k;
		mi.num_deps = 1;

		before = qk_batches(f.k);
		mem_fail_after(n);
		err = gtt_vma_bind(f.vm, h, &bi, &bf);
		mem_fail_after(0);
		if (err) {
			assert_int_equal(err, -ENOMEM);
			assert_null(bf);
			assert_int_equal(qk_batches(f.k), before);
			assert_int_equal(stats(&f).bound, 1);	/* the sparse vma */
		} else {
			assert_int_equal(gtt_vma_add_active(f.vm, h, k), 0);
			before = qk_batches(f.k);
			mem_fail_after(n);
			err = gtt_vma_unbind(f.vm, h, GTT_UNBIND_ASYNC, &uf);
			mem_fail_after(0);
			if (err) {
				assert_int_equal(err, -ENOMEM);
				assert_int_equal(qk_batches(f.k), before);
				assert_int_equal(stats(&f).bound, 2);
			}
		}
		before = qk_batches(f.k);
		mem_fail_after(n);
		err = gtt_vma_map(f.vm, s, 0, 4 * PAGE, &mi, &mf);
		mem_fail_after(0);
		if (err) {
			assert_int_equal(err, -ENOMEM);
			assert_null(mf);
			assert_int_equal(qk_batches(f.k), before);
		} else if (gtt_fence_status(mf) == -ENOMEM) {
			/* The kernel ran out of memory: refused. */
			assert_int_equal(qk_batches(f.k), before);
		} else {
			assert_int_equal(qk_batches(f.k), before + 1);
		}
		gtt_fence_signal(k, 0);
		/* The kernel's own allocation (its fence) may be the one that
		 * fails: the submit is refused, the bind fence says so, and
		 * nothing was written. */
		if (bf && gtt_fence_status(bf) != 1) {
			assert_int_equal(gtt_fence_status(bf), -ENOMEM);
			assert_false(entry(&f, VM_START).addr == 0x40000000);
		}
		assert_true(!uf || gtt_fence_status(uf) == 1 || gtt_fence_status(uf) == -ENOMEM);
		assert_true(!mf || gtt_fence_status(mf) == 1 || gtt_fence_status(mf) == -ENOMEM);
		if (mf && gtt_fence_status(mf) == 1)
			assert_int_equal(entry(&f, VM_START + (1 << 20)).addr, 0x50000000);
		gtt_fence_put(bf);
		gtt_fence_put(uf);
		gtt_fence_put(mf);
		gtt_fence_put(k);
		gtt_pages_put(p);
		qfix_fini(&f);
		assert_int_equal(freed, 1);
	}
}

/* A queue backend that breaks its contract: submit says 0 without a fence,
 * or a positive value with one (which the vm drops). */
static int liar_mode;

static int liar_submit(void *priv, const struct gtt_backend_op *ops, size_t count,
		       struct gtt_fence *const *deps, size_t num_deps,
		       struct gtt_fence **done)
{
	(void)priv, (void)ops, (void)count, (void)deps, (void)num_deps;
	if (liar_mode == 0)
		return 0;
	assert_int_equal(gtt_fence_create(0, 0, done), 0);
	return 1;
}

static const struct gtt_backend_ops liar_ops = { .name = "liar", .submit = liar_submit };

static void test_backend_breaking_its_contract(void **state)
{
	(void)state;
	for (liar_mode = 0; liar_mode < 2; liar_mode++) {
		struct gtt_vm_config vc = { .name = "liar", .start = VM_START, .size = VM_SIZE };
		struct gtt_bind_info bi = fixed_at(VM_START, 0);
		struct gtt_backend *be;
		struct gtt_executor *ex;
		struct gtt_vm *vm;
		struct gtt_range_stats rs;
		struct gtt_vma_info info;
		int freed = 0;
		gtt_vma_t h;

		assert_int_equal(gtt_backend_create(&liar_ops, NULL, &be), 0);
		assert_int_equal(gtt_executor_create_manual(&ex), 0);
		vc.backend = be;
		vc.executor = ex;
		assert_int_equal(gtt_vm_create(&vc, &vm), 0);
		h = counted_vma(vm, 0x40000000, 1, 0, &freed);
		assert_int_equal(gtt_vma_bind(vm, h, &bi, NULL), -EIO);
		assert_non_null(strstr(gtt_last_error(), liar_mode ? "submit returned 1" :
						   "submit gave no fence"));
		/* Refused: the range is free again, nothing is bound. */
		assert_int_equal(gtt_range_alloc_stats(gtt_vm_range_alloc(vm), &rs), 0);
		assert_int_equal(rs.nodes, 0);
		assert_int_equal(gtt_vma_query(vm, h, &info), 0);
		assert_false(info.bound);
		assert_int_equal(gtt_vma_destroy(vm, h), 0);
		assert_int_equal(freed, 1);
		gtt_vm_destroy(vm);
		gtt_executor_destroy(ex);
		gtt_backend_destroy(be);
	}
}

/* A PTE backend refuses pages it cannot point entries at. */
static void test_pte_backend_refuses_bo_pages(void **state)
{
	struct fixture f;
	struct gtt_pages *bo, *up;
	struct gtt_pages_memory m;
	gtt_vma_t h;

	(void)state;
	fixture_init(&f, VM_START, VM_SIZE, 0);
	assert_int_equal(gtt_pages_create_bo(7, 0x10000, 4 * PAGE, 0, &bo), 0);
	assert_int_equal(gtt_pages_create_userptr(0x7f0000000000ull, 2 * PAGE, 0, &up), 0);
	assert_int_equal(gtt_pages_memory(bo, &m), 0);
	assert_int_equal(m.kind, GTT_PAGES_BO);
	assert_int_equal(m.handle, 7);
	assert_int_equal(m.offset, 0x10000);
	assert_int_equal(m.size, 4 * PAGE);
	assert_int_equal(gtt_pages_memory(up, &m), 0);
	assert_int_equal(m.kind, GTT_PAGES_USERPTR);
	assert_int_equal(m.addr, 0x7f0000000000ull);
	assert_int_equal(gtt_vma_create(f.vm, bo, NULL, &h), -EOPNOTSUPP);
	assert_int_equal(gtt_vma_create(f.vm, up, NULL, &h), -EOPNOTSUPP);
	assert_int_equal(gtt_pages_create_bo(0, 0, PAGE, 0, &bo), -EINVAL);
	assert_int_equal(gtt_pages_create_bo(1, 100, PAGE, 0, &bo), -EINVAL);
	assert_int_equal(gtt_pages_create_userptr(PAGE, UINT64_MAX - 4095, 0, &up), -EINVAL);
	gtt_pages_put(bo);
	gtt_pages_put(up);
	fixture_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_dep_handed_over),
		cmocka_unit_test(test_cpu_dep_awaited_first),
		cmocka_unit_test(test_bind_fence_chains_in_kernel),
		cmocka_unit_test(test_unbind_and_rebind_in_kernel),
		cmocka_unit_test(test_held_unbind_not_handed_over),
		cmocka_unit_test(test_sync_calls_wait_for_the_batch),
		cmocka_unit_test(test_refused_submit),
		cmocka_unit_test(test_failed_batch),
		cmocka_unit_test(test_sparse_batch_one_submission),
		cmocka_unit_test(test_failed_sparse_batch),
		cmocka_unit_test(test_journal_failed_sparse_batch),
		cmocka_unit_test(test_oom_changes_nothing),
		cmocka_unit_test(test_pte_backend_refuses_bo_pages),
		cmocka_unit_test(test_backend_breaking_its_contract),
		cmocka_unit_test(test_journal_on_queue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
