/* SPDX-License-Identifier: MIT */
/*
 * DOC: the seam between the xe backend and the kernel.
 *
 * Every system call the xe backend makes on the DRM device goes through
 * struct xe_sys, so the tests can put a fake xe kernel underneath
 * (tests/support/fake_xe.c) and a dry run can print the calls instead of
 * making them (xe_dry_run.c).  The descriptors the calls hand back
 * (sync_files) are real ones in every implementation: the backend gives
 * them to a watcher, which polls them.
 *
 * Locking: none; the real table is constant and stateless, and an
 * implementation with state serialises its own calls.
 */
#ifndef GTT_BACKENDS_XE_SYS_H
#define GTT_BACKENDS_XE_SYS_H

#include <stdio.h>

struct xe_sys {
	void *ctx;
	/* Returns the ioctl's result, or -1 with errno set, like ioctl(2). */
	int (*ioctl)(void *ctx, int fd, unsigned long request, void *arg);
};

/* The real system calls. */
extern const struct xe_sys xe_sys_real;

/*
 * @sys's ioctl: its non-negative result, or -errno.  Interrupted calls
 * (EINTR, EAGAIN) are restarted, as libdrm's drmIoctl() does.
 */
int xe_sys_ioctl(const struct xe_sys *sys, int fd, unsigned long req, void *arg);

/* The name of an xe or syncobj ioctl request ("DRM_IOCTL_XE_VM_BIND"). */
const char *xe_ioctl_name(unsigned long req);

/* The name of a DRM_XE_VM_BIND_OP_* ("MAP_USERPTR"). */
const char *xe_bind_op_name(unsigned int op);

/*
 * A dry run: each ioctl is printed to @out, one line per call (a VM_BIND
 * adds one line per bind op and per sync), and answered as a kernel that
 * accepts everything would: ids and handles counting up from 1, a
 * sync_file that is already signalled (an eventfd with count 1).
 */
struct xe_dry_run {
	FILE *out;
	unsigned int next_id;
};
struct xe_sys xe_sys_dry_run(struct xe_dry_run *dr, FILE *out);

#endif
