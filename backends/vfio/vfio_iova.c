/* SPDX-License-Identifier: MIT */
/*
 * DOC: the IOVA allocator of a VFIO IOMMU.  See vfio_iova.h.
 *
 * Locking: none; the caller holds vfio_iommu.lock around every call.
 */
#include <errno.h>
#include <stdbool.h>

#include <gtt/range_alloc.h>

#include "base/util.h"
#include "vfio_iova.h"

/*
 * The whole pages of the usable range [r[0], r[1]]: true with its first
 * and last page (inclusive, so a range ending at 2^64 keeps its top page).
 */
static bool page_span(const uint64_t r[2], uint64_t *first, uint64_t *last)
{
	uint64_t f = (r[0] + 4095) & ~4095ull, l = ((r[1] + 1) & ~4095ull) - 4096;

	if (r[1] == UINT64_MAX)
		l = UINT64_MAX & ~4095ull;
	else if (r[1] + 1 < 4096)
		return false;		/* less than the first page */
	if (r[1] < r[0] || (f == 0 && r[0]) || l < f)
		return false;		/* empty, rounds up past 2^64, or no whole page */
	*first = f;
	*last = l;
	return true;
}

int vfio_iova_init(struct vfio_iova *s, const uint64_t (*ranges)[2], unsigned int n)
{
	uint64_t lo = UINT64_MAX, hi = 0, f, l;
	bool any = false;
	struct gtt_range_node *node;
	int err;

	for (unsigned int i = 0; i < n; i++) {
		if (!page_span(ranges[i], &f, &l))
			continue;
		lo = u64_min(lo, f);
		hi = u64_max(hi, l);
		any = true;
	}
	/* Leave IOVA 0 unused: a zero address is the classic DMA bug. */
	if (any && lo == 0)
		lo = 4096;
	if (!any || hi < lo)
		return set_error(-EPROTO, "vfio: IOVA ranges leave no page to map");
	/* [lo, hi] in pages: hi - lo + 4096 bytes (at most 2^64 - 4096). */
	err = gtt_range_alloc_create(lo, hi - lo + 4096, 4096, 0, &s->ra);
	if (err)
		return err;
	/* Reserve every page of [lo, hi] that no range covers. */
	for (uint64_t at = lo;;) {
		uint64_t upto = hi;	/* last page of this stretch */
		bool inside = false;

		for (unsigned int i = 0; i < n; i++) {
			if (!page_span(ranges[i], &f, &l))
				continue;
			if (at >= f && at <= l) {
				inside = true;
				upto = u64_min(hi, l);
				break;
			}
			if (f > at)
				upto = u64_min(upto, f - 4096);
		}
		if (!inside) {
			err = gtt_range_reserve(s->ra, at, upto - at + 4096, 0, NULL, &node);
			if (err)
				return err;
		}
		if (upto == hi)
			break;
		at = upto + 4096;
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
