/* SPDX-License-Identifier: MIT */
/*
 * What a test looks at to prove that a call left nothing behind: entries of
 * a /proc directory (threads, open descriptors) and a fence's callback
 * list.  Shared by the host tests and the guest programs (no cmocka here).
 */
#ifndef GTT_TESTS_PROBE_H
#define GTT_TESTS_PROBE_H

#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>

#include "sync/fence_internal.h"

/* Entries of directory @path other than . and .. (-1 if it cannot be read):
 * "/proc/self/task" counts threads, "/proc/self/fd" open descriptors. */
static inline int probe_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* No callback is registered on @f. */
static inline bool probe_no_callbacks(struct gtt_fence *f)
{
	bool none;

	pthread_mutex_lock(&f->lock);
	none = f->cbs.next == &f->cbs;
	pthread_mutex_unlock(&f->lock);
	return none;
}

#endif
