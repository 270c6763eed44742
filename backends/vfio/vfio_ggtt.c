/* SPDX-License-Identifier: MIT */
/*
 * DOC: the VFIO GGTT backend (gtt_vfio_create(), see gtt/vfio.h).  The
 * IOMMU is vfio_iommu.c and its flows, the device vfio_device.c; the
 * entries are written by intel_ggtt.c.  This file owns the life cycle of
 * struct vfio_be: open, scratch page, window, invalidation, vanished
 * devices, read-only inspection, and the teardown that puts scratch back
 * everywhere it wrote (when the last reference goes, see vfio_internal.h).
 *
 * Locking: see vfio_internal.h.
 */
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <gtt/vfio.h>

#include "backend/backend_internal.h"
#include "base/util.h"
#include "vfio_internal.h"

static const struct gtt_backend_ops vfio_ops;

/* The fake VFIO layer's recording seam, when it has one. */
static void seam_write(void *ctx, void *addr, uint64_t value, unsigned int width)
{
	const struct vfio_sys *sys = ctx;

	sys->mmio_write(sys->ctx, addr, value, width);
}

struct vfio_be *vfio_ggtt_of(struct gtt_backend *be)
{
	return be && be->ops == &vfio_ops ? be->priv : NULL;
}

static void note_written(struct vfio_be *v, uint64_t start, uint64_t size)
{
	pthread_mutex_lock(&v->lock);
	v->lo = u64_min(v->lo, start);
	v->hi = u64_max(v->hi, start + size);
	pthread_mutex_unlock(&v->lock);
}

/*
 * The device is gone, or the kernel wants it back (its request eventfd is
 * readable; it stays readable for the caller's own poll).
 */
static bool gone(struct vfio_be *v)
{
	struct pollfd pfd = { .fd = v->req_fd, .events = POLLIN };

	if (__atomic_load_n(&v->gone, __ATOMIC_ACQUIRE))
		return true;
	if (v->req_fd < 0 || poll(&pfd, 1, 0) != 1)
		return false;
	__atomic_store_n(&v->requested, true, __ATOMIC_RELAXED);
	__atomic_store_n(&v->gone, true, __ATOMIC_RELEASE);
	return true;
}

/* Only what is already known, without a system call (per-page paths). */
static bool gone_known(struct vfio_be *v)
{
	return __atomic_load_n(&v->gone, __ATOMIC_ACQUIRE);
}

static int gone_error_of(struct vfio_be *v, const char *op)
{
	if (__atomic_load_n(&v->requested, __ATOMIC_RELAXED))
		return set_error(-ENODEV, "vfio %s: the kernel asks for the device back (unplug or "
				 "unbind); destroy the backend to let it go", op);
	return set_error(-ENODEV, "vfio %s: the device has gone away; destroy the backend", op);
}

/*
 * An entry read back wrong (-EIO): if the config space no longer answers
 * with a vendor ID, the device has gone; stop touching its BAR.
 */
static int check_device(struct vfio_be *v, int err, const char *op)
{
	uint16_t vendor = 0xffff;

	if (err != -EIO)
		return err;
	if (vfio_config_read(&v->io, v->dev, 0, &vendor, sizeof(vendor)) == 0 &&
	    vendor != 0xffff)
		return err;
	__atomic_store_n(&v->gone, true, __ATOMIC_RELEASE);
	return gone_error_of(v, op);
}

static int regs_only_error(const char *op)
{
	return set_error(-EOPNOTSUPP, "vfio %s: the backend was opened for register access only "
			 "(regs_only): it has no GGTT", op);
}

static int vfio_bind(void *priv, uint64_t start, uint64_t size,
		     const struct gtt_pages *pages, uint64_t off, uint32_t flags)
{
	struct vfio_be *v = priv;
	int err;

	if (v->regs_only)
		return regs_only_error("bind");
	if (v->read_only)
		return set_error(-EROFS, "vfio bind: the backend was opened read-only");
	if (gone(v))
		return gone_error_of(v, "bind");
	/* Noted first: a bind that fails half-way has written entries too. */
	note_written(v, start, size);
	err = intel_ggtt_bind(&v->ggtt, start, size, pages, off, flags);
	return check_device(v, err, "bind");
}

static int vfio_clear(void *priv, uint64_t start, uint64_t size)
{
	struct vfio_be *v = priv;

	if (v->regs_only)
		return regs_only_error("clear");
	if (v->read_only)
		return set_error(-EROFS, "vfio clear: the backend was opened read-only");
	if (gone(v))
		return gone_error_of(v, "clear");
	return check_device(v, intel_ggtt_clear(&v->ggtt, start, size), "clear");
}

static int vfio_invalidate(void *priv)
{
	struct vfio_be *v = priv;

	if (gone_known(v))
		return gone_error_of(v, "invalidate");
	if (!v->read_only && !v->regs_only)
		intel_ggtt_invalidate(&v->ggtt);
	return 0;
}

static int vfio_translate(void *priv, uint64_t addr, struct gtt_translation *out)
{
	struct vfio_be *v = priv;

	if (gone_known(v))
		return gone_error_of(v, "translate");
	if (v->regs_only)
		return regs_only_error("translate");
	return intel_ggtt_translate(&v->ggtt, addr, out);
}

static void vfio_free(struct vfio_be *v)
{
	if (v->bar.ptr && v->hi > v->lo && !gone_known(v)) {	/* scratch back where we wrote */
		if (!intel_ggtt_clear(&v->ggtt, v->lo, v->hi - v->lo))
			intel_ggtt_invalidate(&v->ggtt);
	}
	vfio_region_unmap(&v->io, &v->bar);
	vfio_dma_free(&v->io, v->scratch, v->scratch_iova, 4096);
	vfio_device_close(&v->io, v->dev);
	vfio_iommu_close(&v->io);
	if (v->req_fd >= 0)
		close(v->req_fd);
	pthread_mutex_destroy(&v->lock);
	mem_free(v);
}

static void vfio_destroy(void *priv)
{
	vfio_be_put(priv);
}

static const struct gtt_backend_ops vfio_ops = {
	.name = "vfio", .bind = vfio_bind, .clear = vfio_clear,
	.invalidate = vfio_invalidate, .destroy = vfio_destroy,
	.translate = vfio_translate,
};

/*
 * No profile: identify the device from its config space and derive the
 * platform, the window (BAR0 + the platform's offset) and its size (GGC).
 */
static int profile_from_device(struct vfio_be *v, struct gtt_vfio_config *c)
{
	const struct gtt_intel_platform *p;
	uint16_t id[2], ggc;
	uint64_t gsm, ggtt;
	int err;

	err = vfio_config_read(&v->io, v->dev, 0, id, sizeof(id));
	if (!err)
		err = vfio_config_read(&v->io, v->dev, 0x50, &ggc, sizeof(ggc));
	if (err)
		return err;
	p = id[0] == 0x8086 ? gtt_intel_lookup(id[1], NULL) : NULL;
	if (!p && c->regs_only) {
		c->family = GTT_INTEL_UNKNOWN;	/* any device's registers will do */
		return 0;
	}
	if (!p)
		return set_error(-ENODEV, "gtt_vfio_create: %s (%04x:%04x) is not a known Intel GPU; "
				 "give a device profile (bar, window_offset, window_size, family)",
				 c->bdf, id[0], id[1]);
	err = gtt_intel_ggtt_size(p, ggc, &gsm, &ggtt);
	if (err && c->regs_only)	/* no window known, the registers still are */
		gsm = 0, err = 0;
	if (err)
		return err;
	c->family = p->family;
	c->bar = 0;
	c->window_offset = p->ggtt_bar_offset;
	c->window_size = gsm;
	return 0;
}

/* The invalidation registers must lie in a mapped part of the BAR,
 * outside the entries. */
static int check_registers(const struct gtt_vfio_config *c,
			   const struct gtt_intel_platform *p, const struct vfio_region *bar)
{
	struct gtt_intel_reg_write w[GTT_INTEL_MAX_INVAL_WRITES];
	int n = gtt_intel_ggtt_invalidation(p, c->guc, w);

	for (int i = 0; i < n; i++) {
		uint64_t r = w[i].reg;

		if (!vfio_region_covers(bar, r, 4) || (r + 4 > c->window_offset &&
						       r < c->window_offset + c->window_size))
			return set_error(-EINVAL, "gtt_vfio_create: the %s TLB invalidation register 0x%llx "
					 "is not in a mappable part of BAR %u, or is inside the entry window",
					 p->name, (unsigned long long)r, c->bar);
	}
	return 0;
}

/*
 * Read-only: the entries stay as they are.  The scratch page is taken to
 * be what the last entry points at (i915 and xe keep the last GGTT page
 * on scratch), so that dumps fold it into runs.
 */
static int attach_read_only(struct vfio_be *v, const struct gtt_intel_platform *p,
			    uint64_t size, const struct intel_pt_mem *mem)
{
	struct gtt_translation last;
	int err = intel_ggtt_attach(&v->ggtt, p, p->ggtt_format, size, 0, mem);

	if (err)
		return err;
	if (!intel_ggtt_translate(&v->ggtt, size - 4096, &last) && last.present)
		v->ggtt.scratch_dma = last.addr & ~4095ull;
	else
		v->ggtt.scratch_dma = UINT64_MAX;	/* no page is scratch */
	return 0;
}

static int setup_ggtt(struct vfio_be *v, const struct gtt_vfio_config *cfg,
		      const struct gtt_intel_platform *p)
{
	uint64_t size = cfg->window_size / p->ggtt_pte_size * 4096;
	struct intel_pt_mem mem = { .ggtt = (char *)v->bar.ptr + cfg->window_offset,
				    .mmio = v->bar.ptr };
	int err;

	if (v->io.sys->mmio_write) {
		mem.write = seam_write;
		mem.ctx = (void *)v->io.sys;
	}
	if (cfg->read_only)
		return attach_read_only(v, p, size, &mem);
	err = vfio_enable_dma(&v->io, v->dev);
	if (!err)	/* the scratch page: the device may read it at any time */
		err = vfio_dma_alloc_zeroed(&v->io, 4096, &v->scratch, &v->scratch_iova);
	if (!err)
		err = check_registers(cfg, p, &v->bar);
	if (!err)
		err = intel_ggtt_init(&v->ggtt, p, p->ggtt_format, size, v->scratch_iova, &mem);
	v->ggtt.guc = cfg->guc;
	if (!err)
		intel_ggtt_invalidate(&v->ggtt);	/* drop what the GPU cached before */
	return err;
}

int vfio_backend_create(const struct gtt_vfio_config *cfg_in,
			const struct vfio_sys *sys, struct gtt_backend **out)
{
	const struct gtt_intel_platform *p;
	struct gtt_vfio_config cfg;
	struct vfio_be *v;
	int err;

	if (cfg_in && !reserved_zero(cfg_in->reserved, sizeof(cfg_in->reserved)))
		return set_error(-EINVAL, "gtt_vfio_create: the config has non-zero reserved fields (built against a newer libgtt?)");
	if (!cfg_in || !out || !cfg_in->bdf || cfg_in->window_size % 4096)
		return set_error(-EINVAL, "gtt_vfio_create: config or bdf missing, or window size misaligned");
	cfg = *cfg_in;
	v = mem_zalloc(sizeof(*v));
	if (!v)
		return set_error(-ENOMEM, "gtt_vfio_create: out of memory");
	v->dev = -1;
	v->lo = UINT64_MAX;
	v->refs = 1;
	v->release = vfio_free;
	v->req_fd = -1;
	v->read_only = cfg.read_only;
	pthread_mutex_init(&v->lock, NULL);
	err = cfg.iommufd ? vfio_iommufd_open(&v->io, sys, cfg.bdf)
			  : vfio_iommu_open(&v->io, sys, cfg.group);
	if (!err)
		err = vfio_device_open(&v->io, cfg.bdf, &v->dev);
	if (!err) {
		int fd = vfio_request_notify(&v->io, v->dev);

		v->req_fd = fd >= 0 ? fd : -1;	/* without one, removal just waits */
	}
	if (!err && !cfg.window_size)
		err = profile_from_device(v, &cfg);
	p = gtt_intel_platform(cfg.family);
	if (!err && !p && !(cfg.regs_only && cfg.family == GTT_INTEL_UNKNOWN))
		err = set_error(-EINVAL, "gtt_vfio_create: unknown platform family %d", cfg.family);
	if (!err && p && p->cpu_ggtt_write_risky && !cfg.force && !cfg.read_only &&
	    !cfg.regs_only)
		err = set_error(-EPERM, "gtt_vfio_create: CPU writes to the %s GGTT through the BAR are "
				"known to hang the GPU (docs/intel.md); set force to try anyway", p->name);
	if (!err)
		err = vfio_region_map(&v->io, v->dev, cfg.bar, &v->bar);
	if (!err && cfg.window_size &&
	    !vfio_region_covers(&v->bar, cfg.window_offset, cfg.window_size))
		err = set_error(-EINVAL, "gtt_vfio_create: window [0x%llx, +0x%llx) is outside the "
				"0x%llx-byte BAR or crosses a part VFIO does not let us map",
				(unsigned long long)cfg.window_offset,
				(unsigned long long)cfg.window_size,
				(unsigned long long)v->bar.size);
	v->group = cfg.group;
	v->bar_index = cfg.bar;
	v->regs_only = cfg.regs_only;
	v->force = cfg.force;
	v->platform = p;
	v->window_offset = cfg.window_offset;
	v->window_size = cfg.window_size;
	if (!err && !cfg.regs_only)
		err = setup_ggtt(v, &cfg, p);
	if (!err)
		err = gtt_backend_create(&vfio_ops, v, out);
	if (err)
		vfio_free(v);
	return err;
}
