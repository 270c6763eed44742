/* SPDX-License-Identifier: MIT */
/*
 * Just enough of the kernel's headers for drm_mm.c and lib/rbtree.c to
 * build in userspace, as a benchmark baseline (scripts/drm-mm-baseline.sh).
 * Force-included before every file; the <linux/...> and <drm/...> headers
 * those files name that are not taken from the Linux source are empty
 * files that lead here.
 */
#ifndef KSHIM_H
#define KSHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <errno.h>

typedef uint64_t u64;
typedef uint32_t u32;
typedef uint8_t u8;
typedef int64_t s64;
typedef unsigned long ulong;

#define __always_inline inline __attribute__((always_inline))
#define __rcu
#define __must_check
#define __init
#define __maybe_unused __attribute__((unused))
#define __exit
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define READ_ONCE(x) (*(volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#define rcu_assign_pointer(p, v) WRITE_ONCE(p, v)
#define EXPORT_SYMBOL(x)
#define EXPORT_SYMBOL_GPL(x)
#define BUILD_BUG_ON(c) _Static_assert(!(c), #c)
#define BUILD_BUG_ON_INVALID(e) ((void)sizeof((long)(e)))
#define BUG_ON(c) do { if (c) abort(); } while (0)
#define BUG() abort()
#define WARN(c, ...) ({ int __w = !!(c); if (__w) fprintf(stderr, __VA_ARGS__); __w; })
#define WARN_ON(c) ({ int __w = !!(c); if (__w) fprintf(stderr, "drm_mm WARN_ON(%s)\n", #c); __w; })
#define DRM_ERROR(...) fprintf(stderr, __VA_ARGS__)
#define drm_err(d, ...) fprintf(stderr, __VA_ARGS__)
#define BIT(n) (1ul << (n))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define U64_MAX UINT64_MAX
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define min_t(t, a, b) min((t)(a), (t)(b))
#define max_t(t, a, b) max((t)(a), (t)(b))
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#define kmalloc(n, f) malloc(n)
#define kfree(p) free(p)
#define GFP_KERNEL 0
#define GFP_NOWAIT 0

static inline bool is_power_of_2(u64 n) { return n && !(n & (n - 1)); }
static inline u64 div64_u64(u64 a, u64 b) { return a / b; }
static inline u64 div64_u64_rem(u64 a, u64 b, u64 *rem) { *rem = a % b; return a / b; }
static inline void __set_bit(int nr, unsigned long *a) { *a |= 1ul << nr; }
static inline void __clear_bit(int nr, unsigned long *a) { *a &= ~(1ul << nr); }
static inline void clear_bit_unlock(int nr, unsigned long *a) { *a &= ~(1ul << nr); }
static inline bool test_bit(int nr, const unsigned long *a) { return *a >> nr & 1; }

/* list.h, the doubly linked list (as the kernel's). */
struct list_head { struct list_head *next, *prev; };
#define LIST_HEAD_INIT(name) { &(name), &(name) }
static inline void INIT_LIST_HEAD(struct list_head *l) { l->next = l->prev = l; }
static inline void __list_add(struct list_head *n, struct list_head *prev,
			      struct list_head *next)
{ next->prev = n; n->next = next; n->prev = prev; prev->next = n; }
static inline void list_add(struct list_head *n, struct list_head *h) { __list_add(n, h, h->next); }
static inline void list_add_tail(struct list_head *n, struct list_head *h) { __list_add(n, h->prev, h); }
static inline void __list_del_entry(struct list_head *e)
{ e->next->prev = e->prev; e->prev->next = e->next; }
static inline void list_del(struct list_head *e) { __list_del_entry(e); e->next = e->prev = NULL; }
static inline int list_empty(const struct list_head *h) { return h->next == h; }
#define list_entry(p, t, m) container_of(p, t, m)
#define list_first_entry(h, t, m) list_entry((h)->next, t, m)
#define list_last_entry(h, t, m) list_entry((h)->prev, t, m)
#define list_first_entry_or_null(h, t, m) (list_empty(h) ? NULL : list_first_entry(h, t, m))
#define list_next_entry(p, m) list_entry((p)->m.next, __typeof__(*(p)), m)
#define list_prev_entry(p, m) list_entry((p)->m.prev, __typeof__(*(p)), m)
#define list_entry_is_head(p, h, m) (&(p)->m == (h))
#define list_for_each(p, h) for (p = (h)->next; p != (h); p = p->next)
#define list_for_each_safe(p, n, h) for (p = (h)->next, n = p->next; p != (h); p = n, n = p->next)
#define list_for_each_entry(p, h, m) \
	for (p = list_first_entry(h, __typeof__(*p), m); !list_entry_is_head(p, h, m); p = list_next_entry(p, m))
#define list_for_each_entry_safe(p, n, h, m) \
	for (p = list_first_entry(h, __typeof__(*p), m), n = list_next_entry(p, m); \
	     !list_entry_is_head(p, h, m); p = n, n = list_next_entry(n, m))

/* Unused parts of the types drm_mm.h names. */
typedef struct { int unused; } spinlock_t;
typedef unsigned long depot_stack_handle_t;
struct seq_file;
struct drm_printer;
static inline void drm_printf(struct drm_printer *p, const char *f, ...) { (void)p; (void)f; }

#endif
