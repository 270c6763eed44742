/* SPDX-License-Identifier: MIT */
/*
 * Intrusive AVL tree with parent pointers and an augmentation hook.
 *
 * The caller owns ordering: it walks down from the root comparing its own
 * keys, then calls avl_insert() with the parent and the link it stopped at
 * (the same pattern as the kernel's rbtree).  After any structural change,
 * and on every node whose children changed, the tree calls @augment so a
 * node can cache a summary of its subtree (the interval tree keeps the
 * maximum end there, the range allocator the largest hole).  @augment
 * returns whether the cached value changed: the retrace towards the root
 * stops at the first node whose height and summary are both unchanged,
 * so a typical insert or remove touches O(1) ancestors.
 *
 * Heights are bounded by 1.44 log2(n), so every operation is O(log n)
 * worst case.  Not thread-safe: the owner locks.
 */
#ifndef GTT_LIB_AVL_H
#define GTT_LIB_AVL_H

#include <stdbool.h>
#include <stddef.h>

struct avl_node {
	struct avl_node *parent;
	struct avl_node *left;
	struct avl_node *right;
	int height;
};

/* Recompute @node's summary from its children; true if it changed. */
typedef bool (*avl_augment_fn)(struct avl_node *node);

struct avl_tree {
	struct avl_node *root;
	avl_augment_fn augment;	/* may be NULL */
};

static inline void avl_init(struct avl_tree *t, avl_augment_fn augment)
{
	t->root = NULL;
	t->augment = augment;
}

/* Link @node below @parent at *@link (both from the caller's descent). */
void avl_insert(struct avl_tree *t, struct avl_node *parent,
		struct avl_node **link, struct avl_node *node);
/* Link @node as the in-order successor of @pos, without a descent from the
 * root (the caller knows where the key goes). */
void avl_insert_after(struct avl_tree *t, struct avl_node *pos,
		      struct avl_node *node);
void avl_remove(struct avl_tree *t, struct avl_node *node);
/* @node's own augmented inputs changed: recompute it and its ancestors. */
void avl_propagate(struct avl_tree *t, struct avl_node *node);

struct avl_node *avl_first(const struct avl_tree *t);
struct avl_node *avl_next(const struct avl_node *node);
/* The in-order predecessor of @node, or NULL. */
struct avl_node *avl_prev(const struct avl_node *node);

/* Debug check: parent links, heights, balance.  Returns height or -1. */
int avl_check(const struct avl_node *node, const struct avl_node *parent);

#endif
