/* SPDX-License-Identifier: MIT */
/*
 * Backend wrapper: see gtt/backend.h.
 */
#include <gtt/backend.h>

#include "backend_internal.h"
#include "util.h"

GTT_API int gtt_backend_create(const struct gtt_backend_ops *ops, void *priv,
			       struct gtt_backend **out)
{
	struct gtt_backend *be;

	if (!ops || !out || !ops->bind || !ops->clear || !ops->invalidate)
		return set_error(-EINVAL, "gtt_backend_create: ops, out, or a required op is NULL");
	be = mem_alloc(sizeof(*be));
	if (!be)
		return set_error(-ENOMEM, "gtt_backend_create: out of memory");
	be->ops = ops;
	be->priv = priv;
	*out = be;
	return 0;
}

GTT_API void *gtt_backend_priv(const struct gtt_backend *be)
{
	return be ? be->priv : NULL;
}

GTT_API const char *gtt_backend_name(const struct gtt_backend *be)
{
	return be && be->ops->name ? be->ops->name : "backend";
}

GTT_API int gtt_backend_translate(struct gtt_backend *be, uint64_t addr,
				  struct gtt_translation *out)
{
	if (!be || !out)
		return set_error(-EINVAL, "gtt_backend_translate: backend or out is NULL");
	if (!be->ops->translate)
		return set_error(-EOPNOTSUPP, "gtt_backend_translate: backend '%s' cannot walk its table",
				 gtt_backend_name(be));
	return be->ops->translate(be->priv, addr, out);
}

GTT_API void gtt_backend_destroy(struct gtt_backend *be)
{
	if (!be)
		return;
	if (be->ops->destroy)
		be->ops->destroy(be->priv);
	mem_free(be);
}
