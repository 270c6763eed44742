/* SPDX-License-Identifier: MIT */
/*
 * DOC: the seam between the VFIO backends and the kernel.
 *
 * Every system call the VFIO code makes goes through struct vfio_sys, so
 * the tests can put a fake VFIO kernel underneath (tests/support/fake_vfio.c)
 * and the guest programs the real one (tests/guest/).  Also here: reading
 * the capability chains of the kernel's info answers within the room we
 * gave it, which both the IOMMU and the device code need.
 *
 * Locking: none; the real table is constant and stateless.
 */
#ifndef GTT_BACKENDS_VFIO_SYS_H
#define GTT_BACKENDS_VFIO_SYS_H

#include <string.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct vfio_sys {
	void *ctx;
	int (*open)(void *ctx, const char *path, int flags);
	int (*close)(void *ctx, int fd);
	/* Returns the ioctl's result, or -1 with errno set, like ioctl(2). */
	int (*ioctl)(void *ctx, int fd, unsigned long request, void *arg);
	/* Map @len bytes of @fd at @offset read/write and shared, at @fixed if
	 * not NULL (replacing what is there); with @fd < 0, reserve @len bytes
	 * of inaccessible address space.  MAP_FAILED on error. */
	void *(*mmap)(void *ctx, void *fixed, size_t len, int fd, off_t offset);
	int (*munmap)(void *ctx, void *addr, size_t len);
	ssize_t (*pread)(void *ctx, int fd, void *buf, size_t len, off_t offset);
	ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t len, off_t offset);
	/* Optional: one aligned @width-byte (4 or 8) store into a mapped BAR.
	 * NULL (the real layer): the backend stores directly. */
	void (*mmio_write)(void *ctx, void *addr, uint64_t value, unsigned int width);
	/* The first entry (not . or ..) of directory @path: 0 or -errno. */
	int (*list_dir)(void *ctx, const char *path, char *first, size_t size);
};

/* The real system calls. */
extern const struct vfio_sys vfio_sys_real;

/* @sys's ioctl: its non-negative result, or -errno. */
int vfio_sys_ioctl(const struct vfio_sys *sys, int fd, unsigned long req, void *arg);

/*
 * The capability at @off of a VFIO info answer, @len bytes of it: inside
 * the @room bytes we gave the kernel (never the argsz it wrote back, which
 * may lie), after the fixed @base part, 4-byte aligned (Linux aligns them
 * to 8 bytes only since 6.6; 6.1 puts its IOMMU info capabilities at
 * offsets such as 68).  NULL with *@err set (and a message) otherwise.
 * Read the 64-bit fields of a capability with vfio_cap_u64(): they need
 * not be 8-byte aligned.
 */
const void *vfio_cap_at(const void *buf, size_t room, size_t base, uint32_t off,
			size_t len, const char *what, int *err);
/* Step *@off to the capability after the one at *@off, whose @next field is
 * given; chains only go forward (-EIO for a loop). */
int vfio_cap_next(uint32_t next, uint32_t *off, const char *what);

/* The 64-bit field at @p of a capability, whatever its alignment. */
static inline uint64_t vfio_cap_u64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

#endif
