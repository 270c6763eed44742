/* SPDX-License-Identifier: MIT */
/*
 * DOC: the public VFIO entry points (gtt/vfio.h).  The one file that knows
 * both VFIO backends: it tells a GGTT backend (vfio_ggtt.c) from a PPGTT
 * (vfio_ppgtt.c) and hands a new PPGTT the device of its GGTT, so neither
 * backend calls the other.
 *
 * Locking: none here; each backend's state documents its own.
 */
#include <errno.h>

#include <gtt/vfio.h>

#include "base/util.h"
#include "vfio_internal.h"

GTT_API int gtt_vfio_create(const struct gtt_vfio_config *cfg,
			    struct gtt_backend **out)
{
	return vfio_backend_create(cfg, &vfio_sys_real, out);
}

GTT_API int gtt_vfio_ppgtt_create(struct gtt_backend *ggtt, struct gtt_backend **out,
				  uint64_t *root)
{
	struct vfio_be *dev = vfio_ggtt_of(ggtt);

	if (!dev || !out || !root)
		return set_error(-EINVAL, "gtt_vfio_ppgtt_create: not a VFIO backend, or out/root missing");
	if (dev->read_only)
		return set_error(-EROFS, "gtt_vfio_ppgtt_create: the VFIO backend was opened read-only");
	if (dev->regs_only)
		return set_error(-EOPNOTSUPP, "gtt_vfio_ppgtt_create: the VFIO backend was opened "
				 "for register access only (regs_only)");
	return vfio_ppgtt_create(dev, out, root);
}

/* A VFIO GGTT backend or a PPGTT made from one: its VFIO state. */
static struct vfio_be *any_vfio(struct gtt_backend *be)
{
	struct vfio_be *v = vfio_ggtt_of(be);

	return v ? v : vfio_ppgtt_of(be);
}

GTT_API int gtt_vfio_info(struct gtt_backend *be, struct gtt_vfio_info *out)
{
	struct vfio_be *v = any_vfio(be);

	if (!v || !out)
		return set_error(-EINVAL, "gtt_vfio_info: not a VFIO backend, or out is NULL");
	*out = (struct gtt_vfio_info){
		.platform = v->platform, .group = v->group, .bar = v->bar_index,
		.bar_size = v->bar.size,
		.window_offset = v->window_offset,
		.window_size = v->regs_only ? v->window_size : v->ggtt.entries * v->ggtt.pte_size,
		.ggtt_size = v->ggtt.entries * 4096,
		.scratch_iova = v->read_only ? v->ggtt.scratch_dma : v->scratch_iova,
		.read_only = v->read_only,
	};
	return 0;
}

GTT_API int gtt_vfio_request_fd(struct gtt_backend *be)
{
	struct vfio_be *v = any_vfio(be);

	if (!v)
		return set_error(-EINVAL, "gtt_vfio_request_fd: not a VFIO backend");
	if (v->req_fd < 0)
		return set_error(-EOPNOTSUPP, "gtt_vfio_request_fd: the device has no request IRQ");
	return v->req_fd;
}

GTT_API int gtt_vfio_dma_map(struct gtt_backend *be, void *cpu, uint64_t size,
			     uint64_t *iova)
{
	struct vfio_be *v = any_vfio(be);

	if (!v || !iova)
		return set_error(-EINVAL, "gtt_vfio_dma_map: not a VFIO backend, or iova is NULL");
	return vfio_dma_map(&v->io, cpu, size, iova);
}

GTT_API int gtt_vfio_dma_unmap(struct gtt_backend *be, uint64_t iova,
			       uint64_t size)
{
	struct vfio_be *v = any_vfio(be);

	if (!v)
		return set_error(-EINVAL, "gtt_vfio_dma_unmap: not a VFIO backend");
	return vfio_dma_unmap(&v->io, iova, size);
}

struct vfio_iommu *vfio_backend_iommu(struct gtt_backend *be)
{
	struct vfio_be *v = any_vfio(be);

	return v ? &v->io : NULL;
}

GTT_API int gtt_vfio_reg_read(struct gtt_backend *be, enum gtt_vfio_space space,
			      uint64_t offset, unsigned int width, uint64_t *value)
{
	struct vfio_be *v = any_vfio(be);

	if (!v)
		return set_error(-EINVAL, "gtt_vfio_reg_read: not a VFIO backend");
	return vfio_reg_read(v, (int)space, offset, width, value);
}

GTT_API int gtt_vfio_reg_write(struct gtt_backend *be, enum gtt_vfio_space space,
			       uint64_t offset, unsigned int width, uint64_t value)
{
	struct vfio_be *v = any_vfio(be);

	if (!v)
		return set_error(-EINVAL, "gtt_vfio_reg_write: not a VFIO backend");
	return vfio_reg_write(v, (int)space, offset, width, value);
}
