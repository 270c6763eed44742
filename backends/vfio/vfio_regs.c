/* SPDX-License-Identifier: MIT */
/*
 * DOC: register access through an open VFIO device (gtt_vfio_reg_read(),
 * gtt_vfio_reg_write(), see gtt/vfio.h): single aligned loads and stores
 * through the BAR mapping the backend made, or the config region.  What
 * is refused: registers outside the mapped parts of the BAR, the GGTT
 * entry window (the backend's), writes on a read-only backend, and
 * writes on platforms where CPU GGTT writes are known to hang the GPU
 * unless the backend was created with force.
 *
 * Locking: none.  Each access is one load or store; the caller orders
 * accesses to the same register.
 */
#include <errno.h>

#include <gtt/vfio.h>

#include "base/util.h"
#include "vfio_internal.h"

static const char *space_name(int space)
{
	return space == GTT_VFIO_SPACE_CONFIG ? "config space" : "BAR";
}

/* The checks reads and writes share; @op names the call in messages. */
static int check_access(struct vfio_be *v, int space, uint64_t offset, unsigned int width,
			const char *op)
{
	bool bar = space == GTT_VFIO_SPACE_BAR;

	if (space != GTT_VFIO_SPACE_BAR && space != GTT_VFIO_SPACE_CONFIG)
		return set_error(-EINVAL, "%s: unknown register space %d", op, space);
	if (bar ? width != 4 && width != 8 : width != 1 && width != 2 && width != 4)
		return set_error(-EINVAL, "%s: a %s access is %s bytes wide, not %u", op,
				 space_name(space), bar ? "4 or 8" : "1, 2 or 4", width);
	if (offset % width)
		return set_error(-EINVAL, "%s: offset 0x%llx is not aligned to the width %u", op,
				 (unsigned long long)offset, width);
	if (__atomic_load_n(&v->gone, __ATOMIC_ACQUIRE))
		return set_error(-ENODEV, "%s: the device has gone away, or the kernel asks for "
				 "it back; destroy the backend", op);
	if (bar && !vfio_region_covers(&v->bar, offset, width))
		return set_error(-ERANGE, "%s: BAR%u offset 0x%llx is outside the parts of the "
				 "0x%llx-byte BAR that VFIO let us map", op, v->bar_index,
				 (unsigned long long)offset, (unsigned long long)v->bar.size);
	if (!bar && offset > 0xfff)
		return set_error(-ERANGE, "%s: config offset 0x%llx is past the 4 KiB config space",
				 op, (unsigned long long)offset);
	return 0;
}

/* A config access failed: the region is smaller than the offset (-ERANGE)
 * or the read/write failed; the message of the device layer, named. */
static int config_error(int err, const char *op)
{
	char why[256];

	snprintf(why, sizeof(why), "%s", gtt_last_error());
	return set_error(err == -EINVAL ? -ERANGE : err, "%s: %s", op, why);
}

int vfio_reg_read(struct vfio_be *v, int space, uint64_t offset, unsigned int width,
		  uint64_t *value)
{
	const char *op = "gtt_vfio_reg_read";
	int err = value ? check_access(v, space, offset, width, op)
			: set_error(-EINVAL, "%s: value is NULL", op);
	const volatile char *at;

	if (err)
		return err;
	if (space == GTT_VFIO_SPACE_CONFIG) {
		uint32_t x = 0;		/* little-endian, like the config space */

		err = vfio_config_read(&v->io, v->dev, (unsigned int)offset, &x, width);
		if (err)
			return config_error(err, op);
		*value = x;
		return 0;
	}
	at = (const volatile char *)v->bar.ptr + offset;
	*value = width == 8 ? *(const volatile uint64_t *)at : *(const volatile uint32_t *)at;
	return 0;
}

int vfio_reg_write(struct vfio_be *v, int space, uint64_t offset, unsigned int width,
		   uint64_t value)
{
	const char *op = "gtt_vfio_reg_write";
	const struct vfio_sys *sys = v->io.sys;
	int err = check_access(v, space, offset, width, op);
	volatile char *at;

	if (err)
		return err;
	if (width < 8 && value >> (8 * width))
		return set_error(-EINVAL, "%s: 0x%llx does not fit in %u bytes", op,
				 (unsigned long long)value, width);
	if (v->read_only)
		return set_error(-EROFS, "%s: the backend was opened read-only", op);
	if (v->platform && v->platform->cpu_ggtt_write_risky && !v->force)
		return set_error(-EPERM, "%s: CPU writes through the BAR are known to hang the %s "
				 "GPU (docs/intel.md); create the backend with force to try anyway",
				 op, v->platform->name);
	if (space == GTT_VFIO_SPACE_CONFIG) {
		uint32_t x = (uint32_t)value;

		err = vfio_config_write(&v->io, v->dev, (unsigned int)offset, &x, width);
		return err ? config_error(err, op) : 0;
	}
	if (v->window_size && offset + width > v->window_offset &&
	    offset < v->window_offset + v->window_size)
		return set_error(-EINVAL, "%s: BAR%u offset 0x%llx is in the GGTT entry window "
				 "[0x%llx, +0x%llx): entries are written by binding, not as registers",
				 op, v->bar_index, (unsigned long long)offset,
				 (unsigned long long)v->window_offset,
				 (unsigned long long)v->window_size);
	at = (volatile char *)v->bar.ptr + offset;
	if (sys->mmio_write)
		sys->mmio_write(sys->ctx, (void *)(uintptr_t)at, value, width);
	else if (width == 8)
		*(volatile uint64_t *)at = value;
	else
		*(volatile uint32_t *)at = (uint32_t)value;
	full_fence();
	return 0;
}
