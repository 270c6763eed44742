/* SPDX-License-Identifier: MIT */
#ifndef GTT_LIB_BACKEND_INTERNAL_H
#define GTT_LIB_BACKEND_INTERNAL_H

#include <gtt/backend.h>

struct gtt_backend {
	const struct gtt_backend_ops *ops;
	void *priv;
};

#endif
