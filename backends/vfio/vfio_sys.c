/* SPDX-License-Identifier: MIT */
/*
 * DOC: the real system calls behind struct vfio_sys, and the bounded
 * reading of the kernel's capability chains.  See vfio_sys.h.
 *
 * Locking: none needed; nothing here has state.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/util.h"
#include "vfio_sys.h"

static int real_open(void *ctx, const char *path, int flags)
{
	(void)ctx;
	return open(path, flags | O_CLOEXEC);
}

static int real_close(void *ctx, int fd)
{
	(void)ctx;
	return close(fd);
}

static int real_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
	(void)ctx;
	return ioctl(fd, request, arg);
}

static void *real_mmap(void *ctx, void *fixed, size_t len, int fd, off_t offset)
{
	(void)ctx;
	if (fd < 0)		/* reserve address space */
		return mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return mmap(fixed, len, PROT_READ | PROT_WRITE, MAP_SHARED | (fixed ? MAP_FIXED : 0),
		    fd, offset);
}

static int real_munmap(void *ctx, void *addr, size_t len)
{
	(void)ctx;
	return munmap(addr, len);
}

static ssize_t real_pread(void *ctx, int fd, void *buf, size_t len, off_t off)
{
	(void)ctx;
	return pread(fd, buf, len, off);
}

static ssize_t real_pwrite(void *ctx, int fd, const void *buf, size_t len, off_t off)
{
	(void)ctx;
	return pwrite(fd, buf, len, off);
}

static int real_list_dir(void *ctx, const char *path, char *first, size_t size)
{
	(void)ctx;
	return dir_first_entry(path, first, size);
}

const struct vfio_sys vfio_sys_real = {
	.open = real_open, .close = real_close, .ioctl = real_ioctl,
	.mmap = real_mmap, .munmap = real_munmap, .pread = real_pread,
	.pwrite = real_pwrite, .list_dir = real_list_dir,
};

int vfio_sys_ioctl(const struct vfio_sys *sys, int fd, unsigned long req, void *arg)
{
	int r = sys->ioctl(sys->ctx, fd, req, arg);

	return r < 0 ? -errno : r;
}

const void *vfio_cap_at(const void *buf, size_t room, size_t base, uint32_t off,
			size_t len, const char *what, int *err)
{
	if (off < base || off % 4 || off > room || len > room - off) {
		*err = set_error(-EIO, "vfio: %s capability [%u, +%zu) is misaligned or outside "
				 "the %zu-byte answer", what, off, len, room);
		return NULL;
	}
	return (const char *)buf + off;
}

int vfio_cap_next(uint32_t next, uint32_t *off, const char *what)
{
	if (next && next <= *off)
		return set_error(-EIO, "vfio: %s capability chain loops (%u -> %u)",
				 what, *off, next);
	*off = next;
	return 0;
}
