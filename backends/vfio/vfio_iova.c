/* SPDX-License-Identifier: MIT */
/*
 * DOC: the IOVA allocator of a VFIO IOMMU.  See vfio_iova.h.
 *
 * Locking: none; the caller holds vfio_iommu.lock around every call.
 */
#include <errno.h>

#include <gtt/range_alloc.h>

#include "base/util.h"
#include "vfio_iova.h"

/* Exclusive, page-aligned end of a range whose last byte is @last. */
static uint64_t range_end(uint64_t last)
{
	return last == UINT64_MAX ? UINT64_MAX & ~4095ull : (last + 1) & ~4095ull;
}

int vfio_iova_init(struct vfio_iova *s, const uint64_t (*ranges)[2], unsigned int n)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	struct gtt_range_node *node;
	int err;

	for (unsigned int i = 0; i < n; i++) {
		lo = u64_min(lo, (ranges[i][0] + 4095) & ~4095ull);
		hi = u64_max(hi, range_end(ranges[i][1]));
	}
	/* Leave IOVA 0 unused: a zero address is the classic DMA bug. */
	if (lo == 0)
		lo = 4096;
	if (hi <= lo)
		return set_error(-EPROTO, "vfio: IOVA ranges leave no page to map");
	err = gtt_range_alloc_create(lo, hi - lo, 4096, 0, &s->ra);
	if (err)
		return err;
	/* Reserve every page of [lo, hi) that no range covers. */
	for (uint64_t at = lo; at < hi;) {
		uint64_t next = hi;
		bool inside = false;

		for (unsigned int i = 0; i < n; i++) {
			if (at >= ranges[i][0] && at <= ranges[i][1]) {
				inside = true;
				next = u64_min(hi, range_end(ranges[i][1]));
				break;
			}
			if (ranges[i][0] > at)
				next = u64_min(next, (ranges[i][0] + 4095) & ~4095ull);
		}
		if (!inside) {
			err = gtt_range_reserve(s->ra, at, next - at, 0, NULL, &node);
			if (err)
				return err;
		}
		at = next > at ? next : hi;
	}
	return 0;
}

void vfio_iova_fini(struct vfio_iova *s)
{
	if (s->ra)
		gtt_range_alloc_destroy(s->ra);
	s->ra = NULL;
}

int vfio_iova_alloc(struct vfio_iova *s, uint64_t size, uint64_t align, void *cpu,
		    uint64_t *iova)
{
	struct gtt_range_request req = { .size = size, .alignment = align };
	struct gtt_range_node *n;
	int err = gtt_range_insert(s->ra, &req, cpu, &n);

	if (!err)
		*iova = gtt_range_node_start(n);
	return err;
}

/* The mapping node containing @iova, or NULL (a hole or a reserved gap). */
static struct gtt_range_node *mapping_at(struct vfio_iova *s, uint64_t iova)
{
	struct gtt_range_node *n = gtt_range_lookup(s->ra, iova);

	return n && gtt_range_node_owner(n) ? n : NULL;
}

bool vfio_iova_is_mapping(struct vfio_iova *s, uint64_t iova, uint64_t size)
{
	struct gtt_range_node *n = mapping_at(s, iova);

	return n && gtt_range_node_start(n) == iova && gtt_range_node_size(n) == size;
}

void vfio_iova_free(struct vfio_iova *s, uint64_t iova)
{
	struct gtt_range_node *n = mapping_at(s, iova);

	if (n)
		gtt_range_remove(s->ra, n);
}

void *vfio_iova_cpu(struct vfio_iova *s, uint64_t iova)
{
	struct gtt_range_node *n = mapping_at(s, iova);

	return n ? (char *)gtt_range_node_owner(n) + (iova - gtt_range_node_start(n)) : NULL;
}

bool vfio_iova_next(struct vfio_iova *s, uint64_t *iova, uint64_t *size)
{
	for (struct gtt_range_node *n = gtt_range_first(s->ra); n; n = gtt_range_next(s->ra, n))
		if (gtt_range_node_owner(n) && gtt_range_node_start(n) >= *iova) {
			*iova = gtt_range_node_start(n);
			*size = gtt_range_node_size(n);
			return true;
		}
	return false;
}
