/* SPDX-License-Identifier: MIT */
/*
 * A plain C interface to drm_mm, built into libdrm_mm_baseline.so by
 * scripts/drm-mm-baseline.sh and loaded by bench/bench_alloc.c with
 * dlopen(), so the benchmark needs none of the kernel's types.  Nodes are
 * allocated here, one calloc() each: the cost a driver pays for the object
 * it embeds a drm_mm_node in is not drm_mm's, but it is libgtt's own
 * gtt_range_insert(), so the bench measures both ways (see bench_alloc.c).
 */
#include <drm/drm_mm.h>

#define DMM_API __attribute__((visibility("default")))

/* The guard-page rule i915 uses on platforms without LLC: a node of another
 * colour keeps one page away. */
static void guard_adjust(const struct drm_mm_node *node, unsigned long color,
			 u64 *start, u64 *end)
{
	if (drm_mm_node_allocated(node) && node->color != color)
		*start += 4096;
	node = list_next_entry(node, node_list);
	if (drm_mm_node_allocated(node) && node->color != color)
		*end -= 4096;
}

DMM_API void *dmm_create(u64 start, u64 size, int guard)
{
	struct drm_mm *mm = calloc(1, sizeof(*mm));

	if (!mm)
		return NULL;
	drm_mm_init(mm, start, size);
	if (guard)
		mm->color_adjust = guard_adjust;
	return mm;
}

DMM_API void dmm_destroy(void *p)
{
	struct drm_mm *mm = p;
	struct drm_mm_node *n, *next;

	drm_mm_for_each_node_safe(n, next, mm) {
		drm_mm_remove_node(n);
		free(n);
	}
	drm_mm_takedown(mm);
	free(mm);
}

/* Size of a drm_mm_node, for callers that embed it (dmm_insert_into). */
DMM_API size_t dmm_node_size(void)
{
	return sizeof(struct drm_mm_node);
}

/* Insert into caller memory (zeroed, dmm_node_size() bytes).  0 or -errno. */
DMM_API int dmm_insert_into(void *p, void *node, u64 size, u64 align,
			    unsigned long color, u64 lo, u64 hi, int mode)
{
	return drm_mm_insert_node_in_range(p, node, size, align, color, lo, hi,
					   (enum drm_mm_insert_mode)mode);
}

/* @mode: 0 best, 1 low, 2 high (drm_mm's numbering).  NULL if nothing fits. */
DMM_API void *dmm_insert(void *p, u64 size, u64 align, unsigned long color,
			 u64 lo, u64 hi, int mode)
{
	struct drm_mm_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	if (dmm_insert_into(p, n, size, align, color, lo, hi, mode)) {
		free(n);
		return NULL;
	}
	return n;
}

DMM_API void dmm_remove(void *node)
{
	drm_mm_remove_node(node);
	free(node);
}

DMM_API void dmm_remove_from(void *node)
{
	drm_mm_remove_node(node);
}

DMM_API u64 dmm_node_start(const void *node)
{
	return ((const struct drm_mm_node *)node)->start;
}

/*
 * i915's eviction scan (i915_gem_evict_something): add nodes in @lru order
 * until drm_mm says a hole opens, then take every node back out of the scan
 * in reverse order; those it names are the victims, whose count is
 * returned (-1 if no hole opens).  Nothing is removed.  @scratch holds @n
 * pointers.
 */
DMM_API long dmm_evict_scan(void *p, void **lru, size_t n, void **scratch,
			    u64 size, u64 align, unsigned long color, u64 lo,
			    u64 hi, int mode)
{
	struct drm_mm_scan scan;
	size_t added = 0;
	long victims = 0;
	bool found = false;

	drm_mm_scan_init_with_range(&scan, p, size, align, color, lo, hi,
				    (enum drm_mm_insert_mode)mode);
	while (added < n) {
		scratch[added] = lru[added];
		if (drm_mm_scan_add_block(&scan, lru[added++])) {
			found = true;
			break;
		}
	}
	while (added)
		if (drm_mm_scan_remove_block(&scan, scratch[--added]) && found)
			victims++;
	return found ? victims : -1;
}

/* A node at exactly [@start, @start + @size), or NULL. */
DMM_API void *dmm_reserve(void *p, u64 start, u64 size, unsigned long color)
{
	struct drm_mm_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->start = start;
	n->size = size;
	n->color = color;
	if (drm_mm_reserve_node(p, n)) {
		free(n);
		return NULL;
	}
	return n;
}
