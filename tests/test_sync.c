/* SPDX-License-Identifier: MIT */
/*
 * Kernel-fence interop on any machine: eventfds and pipes stand in for
 * sync_files (both are "readable when done" descriptors).  Real sync_files
 * and syncobjs need a DRM device; this machine has none (see the note in
 * docs/design.md), so only their error paths are exercised here: the real
 * checks run in the QEMU guest (tests/guest/syncobj_in_guest.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "helpers.h"

#include "base/util.h"
#include "support/probe.h"

static int threads_now(void)
{
	int n = probe_entries("/proc/self/task");

	assert_true(n > 0);
	return n;
}

static int fds_now(void)
{
	int n = probe_entries("/proc/self/fd");

	assert_true(n > 0);
	return n;
}

static void poke(int fd)
{
	uint64_t one = 1;

	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
}

static void test_import_eventfd_and_pipe(void **state)
{
	struct gtt_watcher *w;
	struct gtt_fence *fe, *fp, *fh;
	int efd = eventfd(0, EFD_CLOEXEC), p[2], h[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(h), 0);
	assert_int_equal(gtt_watcher_create(&w), 0);
	assert_int_equal(gtt_fence_import_fd(w, efd, &fe), 0);
	assert_int_equal(gtt_fence_import_fd(w, p[0], &fp), 0);
	assert_int_equal(gtt_fence_import_fd(w, h[0], &fh), 0);
	assert_string_equal(gtt_fence_name(fe), "fd");
	close(efd);			/* the watcher holds its own copy */
	assert_int_equal(gtt_fence_wait(fe, 20000000), -ETIME);
	assert_int_equal(gtt_watcher_count(w), 3);

	efd = -1;
	/* writes to the originals still reach the watched copies */
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(gtt_fence_wait(fp, 5000000000ll), 0);
	assert_int_equal(gtt_fence_status(fp), 1);
	assert_false(gtt_fence_is_signaled(fe));
	/* A pipe whose writer goes away without writing: an error. */
	close(h[1]);
	assert_int_equal(gtt_fence_wait(fh, 5000000000ll), 0);
	assert_int_equal(gtt_fence_status(fh), -EPIPE);
	gtt_watcher_destroy(w);		/* fe never fired: cancelled */
	assert_int_equal(gtt_fence_status(fe), -ECANCELED);
	gtt_fence_put(fe);
	gtt_fence_put(fp);
	gtt_fence_put(fh);
	close(p[0]);
	close(p[1]);
	close(h[0]);
}

static void test_one_thread_for_many_fences(void **state)
{
	enum { N = 500 };
	struct gtt_fence *f[N];
	int fds[N], before, with_watcher;
	struct gtt_watcher *w;

	(void)state;
	before = threads_now();
	assert_int_equal(gtt_watcher_create(&w), 0);
	with_watcher = threads_now();
	assert_int_equal(with_watcher, before + 1);
	for (int i = 0; i < N; i++) {
		fds[i] = eventfd(0, EFD_CLOEXEC);
		assert_int_equal(gtt_fence_import_fd(w, fds[i], &f[i]), 0);
	}
	assert_int_equal(threads_now(), with_watcher);	/* not one per fence */
	assert_int_equal(gtt_watcher_count(w), N);
	for (int i = N; i-- > 0;)
		poke(fds[i]);
	for (int i = 0; i < N; i++) {
		assert_int_equal(gtt_fence_wait(f[i], 5000000000ll), 0);
		assert_int_equal(gtt_fence_status(f[i]), 1);
		gtt_fence_put(f[i]);
		close(fds[i]);
	}
	for (int tries = 0; gtt_watcher_count(w) && tries < 1000; tries++)
		usleep(1000);
	assert_int_equal(gtt_watcher_count(w), 0);
	gtt_watcher_destroy(w);
	assert_int_equal(threads_now(), before);
}

static void test_export_eventfd(void **state)
{
	struct gtt_fence *f, *done;
	struct pollfd pfd = { .events = POLLIN };
	uint64_t v = 0;
	int fd, fd2;

	(void)state;
	assert_int_equal(gtt_fence_create(0, 0, &f), 0);
	assert_int_equal(gtt_fence_export_eventfd(f, &fd), 0);
	pfd.fd = fd;
	assert_int_equal(poll(&pfd, 1, 0), 0);		/* not yet */
	assert_int_equal(gtt_fence_export_eventfd(f, &fd2), 0);
	close(fd2);					/* caller closes early: fine */
	gtt_fence_signal(f, 0);
	assert_int_equal(poll(&pfd, 1, 1000), 1);
	assert_int_equal(read(fd, &v, sizeof(v)), sizeof(v));
	assert_int_equal(v, 1);
	close(fd);
	/* An already signalled fence gives an already readable eventfd. */
	assert_int_equal(gtt_fence_create(0, 0, &done), 0);
	gtt_fence_signal(done, -EIO);
	assert_int_equal(gtt_fence_export_eventfd(done, &fd), 0);
	pfd.fd = fd;
	assert_int_equal(poll(&pfd, 1, 0), 1);
	close(fd);
	gtt_fence_put(f);
	gtt_fence_put(done);
}

static void test_bad_input(void **state)
{
	struct gtt_fence *f = NULL;
	struct gtt_watcher *w;
	int fd;

	(void)state;
	assert_int_equal(gtt_watcher_create(NULL), -EINVAL);
	assert_int_equal(gtt_watcher_create(&w), 0);
	assert_int_equal(gtt_fence_import_fd(w, -1, &f), -EBADF);
	assert_int_equal(gtt_fence_import_fd(w, 1000000, &f), -EBADF);
	assert_int_equal(gtt_fence_import_fd(NULL, 0, &f), -EINVAL);
	assert_null(f);
	/* No DRM device: a syncobj import fails cleanly. */
	assert_true(gtt_fence_import_syncobj(w, -1, 1, 0, &f) < 0);
	assert_true(gtt_fence_import_syncobj(w, -1, 1, 7, &f) < 0);
	assert_null(f);
	assert_int_equal(gtt_watcher_count(w), 0);
	assert_int_equal(gtt_fence_export_eventfd(NULL, &fd), -EINVAL);
	gtt_watcher_destroy(w);
	gtt_watcher_destroy(NULL);
}

/*
 * Export to a syncobj with no DRM device: /dev/null stands in for one and
 * refuses every ioctl.  Each failure says why and leaves nothing behind:
 * no descriptor, no memory, no callback on the fence.
 */
static void test_export_syncobj_failures(void **state)
{
	int64_t live = mem_live();
	struct gtt_fence *cpu, *kern;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), efd, fds;

	(void)state;
	assert_true(null >= 0);
	assert_int_equal(gtt_fence_create(0, 0, &cpu), 0);
	fds = fds_now();
#ifdef GTT_HAVE_LIBDRM
	assert_int_equal(gtt_fence_export_syncobj(NULL, null, 1, 0), -EINVAL);
	assert_int_equal(gtt_fence_export_syncobj(cpu, -1, 1, 0), -EBADF);
	assert_int_equal(gtt_fence_export_syncobj(cpu, 1000000, 1, 0), -EBADF);
	/* A CPU fence: the device is asked before anything is registered. */
	assert_int_equal(gtt_fence_export_syncobj(cpu, null, 1, 0), -ENOTTY);
	assert_non_null(strstr(gtt_last_error(), "not a DRM device"));
	assert_int_equal(gtt_fence_export_syncobj(cpu, null, 1, 5), -ENOTTY);
	/* Out of memory for the callback record. */
	mem_fail_after(1);
	assert_int_equal(gtt_fence_export_syncobj(cpu, null, 1, 0), -ENOMEM);
	assert_true(mem_fail_fired());
	mem_fail_after(0);
	assert_true(probe_no_callbacks(cpu));
	assert_int_equal(fds_now(), fds);

	/* A fence the kernel knows goes straight to the kernel, which refuses. */
	efd = eventfd(0, EFD_CLOEXEC);
	assert_int_equal(gtt_fence_create(0, 0, &kern), 0);
	fence_own_sync_fd(kern, efd);
	fds = fds_now();
	assert_int_equal(gtt_fence_export_syncobj(kern, null, 1, 0), -ENOTTY);
	assert_non_null(strstr(gtt_last_error(), "syncobj 1"));
	assert_int_equal(gtt_fence_export_syncobj(kern, null, 1, 3), -ENOTTY);
	assert_non_null(strstr(gtt_last_error(), "temporary syncobj"));
	assert_int_equal(fds_now(), fds);
	assert_true(probe_no_callbacks(kern));
	gtt_fence_signal(kern, 0);
	gtt_fence_put(kern);		/* closes efd */
#else
	(void)efd, (void)kern;
	assert_int_equal(gtt_fence_export_syncobj(cpu, null, 1, 0), -EOPNOTSUPP);
	assert_int_equal(fds_now(), fds);
#endif
	gtt_fence_signal(cpu, 0);
	gtt_fence_put(cpu);
	close(null);
	assert_int_equal(mem_live(), live);
}

/* A kernel fence as the dependency of an async bind. */
static void test_imported_fence_orders_a_bind(void **state)
{
	struct gtt_fence *dep, *bindf;
	struct gtt_watcher *w;
	struct fixture fx;
	int efd = eventfd(0, EFD_CLOEXEC);
	gtt_vma_t v;

	(void)state;
	assert_int_equal(gtt_watcher_create(&w), 0);
	assert_int_equal(gtt_fence_import_fd(w, efd, &dep), 0);
	fixture_init(&fx, 0x100000, 64 * PAGE, 0);
	v = make_vma(&fx, 0xa0000000, 2, NULL);
	struct gtt_bind_info bi = { .flags = GTT_BIND_ASYNC, .deps = &dep, .num_deps = 1 };
	assert_int_equal(gtt_vma_bind(fx.vm, v, &bi, &bindf), 0);
	gtt_executor_run_all(fx.ex);
	assert_false(mock_entry(&fx, 0x100000).valid);	/* waits for the fd */
	poke(efd);
	assert_int_equal(gtt_fence_wait(dep, 5000000000ll), 0);
	gtt_executor_run_all(fx.ex);
	assert_int_equal(gtt_fence_status(bindf), 1);
	assert_true(mock_entry(&fx, 0x100000).valid);
	gtt_fence_put(bindf);
	gtt_fence_put(dep);
	fixture_fini(&fx);
	gtt_watcher_destroy(w);
	close(efd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import_eventfd_and_pipe),
		cmocka_unit_test(test_one_thread_for_many_fences),
		cmocka_unit_test(test_export_eventfd),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_export_syncobj_failures),
		cmocka_unit_test(test_imported_fence_orders_a_bind),
	};

	return cmocka_run_group_tests_name("sync", tests, NULL, NULL);
}
