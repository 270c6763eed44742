/* SPDX-License-Identifier: MIT */
/*
 * The xe backend when libgtt is built without it (-Dxe=disabled, or
 * -Dxe=auto without drm/xe_drm.h): compiled instead of this folder's other
 * files, it keeps every gtt/xe.h function so the library's ABI does not
 * depend on the option.  Each returns -EOPNOTSUPP with a message naming the
 * option.  No state, no locking.
 */
#include <errno.h>

#include <gtt/xe.h>

#include "base/util.h"

static int xe_disabled(const char *fn)
{
	return set_error(-EOPNOTSUPP, "%s: libgtt was built without the xe backend "
			 "(-Dxe=disabled, or no drm/xe_drm.h: see scripts/uapi-headers.sh)", fn);
}

GTT_API int gtt_xe_backend_create(int drm_fd, const struct gtt_xe_config *cfg,
				  struct gtt_watcher *w, struct gtt_backend **out)
{
	(void)drm_fd, (void)cfg, (void)w;
	if (out)
		*out = NULL;
	return xe_disabled("gtt_xe_backend_create");
}

GTT_API int gtt_xe_info(struct gtt_backend *be, struct gtt_xe_info *out)
{
	(void)be, (void)out;
	return xe_disabled("gtt_xe_info");
}

GTT_API int gtt_xe_unmap_all(struct gtt_backend *be, uint32_t handle,
			     uint16_t pat_index, struct gtt_fence *const *deps, size_t num_deps,
			     struct gtt_fence **done)
{
	(void)be, (void)handle, (void)pat_index, (void)deps, (void)num_deps;
	if (done)
		*done = NULL;
	return xe_disabled("gtt_xe_unmap_all");
}
