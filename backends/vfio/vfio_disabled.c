/* SPDX-License-Identifier: MIT */
/*
 * The VFIO backend when libgtt is built without it (-Dvfio=disabled, or
 * -Dvfio=auto without linux/vfio.h): compiled instead of this folder's
 * other files, it keeps every gtt/vfio.h function so the library's ABI
 * does not depend on the option.  Each returns -EOPNOTSUPP with a message
 * naming the option.  No state, no locking.
 */
#include <errno.h>

#include <gtt/vfio.h>

#include "base/util.h"

static int vfio_disabled(const char *fn)
{
	return set_error(-EOPNOTSUPP, "%s: libgtt was built without the VFIO backend "
			 "(-Dvfio=disabled)", fn);
}

GTT_API int gtt_vfio_create(const struct gtt_vfio_config *cfg, struct gtt_backend **out)
{
	(void)cfg, (void)out;
	return vfio_disabled("gtt_vfio_create");
}

GTT_API int gtt_vfio_info(struct gtt_backend *be, struct gtt_vfio_info *out)
{
	(void)be, (void)out;
	return vfio_disabled("gtt_vfio_info");
}

GTT_API int gtt_vfio_ppgtt_create(struct gtt_backend *ggtt, struct gtt_backend **out,
				  uint64_t *root)
{
	(void)ggtt, (void)out, (void)root;
	return vfio_disabled("gtt_vfio_ppgtt_create");
}

GTT_API int gtt_vfio_request_fd(struct gtt_backend *be)
{
	(void)be;
	return vfio_disabled("gtt_vfio_request_fd");
}

GTT_API int gtt_vfio_dma_map(struct gtt_backend *be, void *cpu, uint64_t size,
			     uint64_t *iova)
{
	(void)be, (void)cpu, (void)size, (void)iova;
	return vfio_disabled("gtt_vfio_dma_map");
}

GTT_API int gtt_vfio_dma_unmap(struct gtt_backend *be, uint64_t iova, uint64_t size)
{
	(void)be, (void)iova, (void)size;
	return vfio_disabled("gtt_vfio_dma_unmap");
}

GTT_API int gtt_vfio_reg_read(struct gtt_backend *be, enum gtt_vfio_space space,
			      uint64_t offset, unsigned int width, uint64_t *value)
{
	(void)be, (void)space, (void)offset, (void)width;
	if (value)
		*value = 0;
	return vfio_disabled("gtt_vfio_reg_read");
}

GTT_API int gtt_vfio_reg_write(struct gtt_backend *be, enum gtt_vfio_space space,
			       uint64_t offset, unsigned int width, uint64_t value)
{
	(void)be, (void)space, (void)offset, (void)width, (void)value;
	return vfio_disabled("gtt_vfio_reg_write");
}
