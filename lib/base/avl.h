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
 * Two forms of each change: the functions in avl.c call the tree's
 * @augment through its pointer; the avl_*_with() inline forms below take
 * the augmentation as an argument, so a caller that passes a constant
 * (the range allocator's address tree passes NULL) gets it inlined, with
 * no indirect call per step.  Both do the same thing to the tree.
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

/* ---- inline forms, for a fixed augmentation (see the top) ---- */

#define AVL_INLINE static inline __attribute__((always_inline))

/*
 * Links are written with release stores: lock-free readers (a vm with
 * GTT_VM_RCU_READERS) follow them with acquire loads and see a node's
 * fields initialised before it is reachable.  On x86 both are plain moves.
 */
#define AVL_SET(field, value) __atomic_store_n(&(field), (value), __ATOMIC_RELEASE)

AVL_INLINE int avl_height_(const struct avl_node *n)
{
	return n ? n->height : 0;
}

/* Recompute height and summary; true if either changed. */
AVL_INLINE bool avl_update_(struct avl_node *n, avl_augment_fn aug)
{
	int hl = avl_height_(n->left), hr = avl_height_(n->right);
	int h = 1 + (hl > hr ? hl : hr);
	bool changed = h != n->height;

	n->height = h;
	if (aug && aug(n))
		changed = true;
	return changed;
}

AVL_INLINE void avl_replace_child_(struct avl_tree *t, struct avl_node *parent,
				   struct avl_node *old, struct avl_node *new)
{
	if (!parent)
		AVL_SET(t->root, new);
	else if (parent->left == old)
		AVL_SET(parent->left, new);
	else
		AVL_SET(parent->right, new);
}

/* Raise x's right (@right_up) or left child over x.  Returns the new
 * subtree root. */
AVL_INLINE struct avl_node *avl_rotate_(struct avl_tree *t, struct avl_node *x,
					bool right_up, avl_augment_fn aug)
{
	struct avl_node *y = right_up ? x->right : x->left;
	struct avl_node *inner = right_up ? y->left : y->right;

	if (right_up)
		AVL_SET(x->right, inner);
	else
		AVL_SET(x->left, inner);
	if (inner)
		AVL_SET(inner->parent, x);
	AVL_SET(y->parent, x->parent);
	avl_replace_child_(t, x->parent, x, y);
	if (right_up)
		AVL_SET(y->left, x);
	else
		AVL_SET(y->right, x);
	AVL_SET(x->parent, y);
	avl_update_(x, aug);
	avl_update_(y, aug);
	return y;
}

/* Returns the subtree's new root; *changed is false only if n is untouched. */
AVL_INLINE struct avl_node *avl_rebalance_(struct avl_tree *t,
					   struct avl_node *n, bool *changed,
					   avl_augment_fn aug)
{
	int balance;

	*changed = avl_update_(n, aug);
	balance = avl_height_(n->left) - avl_height_(n->right);
	if (balance > 1) {
		*changed = true;
		if (avl_height_(n->left->left) < avl_height_(n->left->right))
			avl_rotate_(t, n->left, true, aug);
		return avl_rotate_(t, n, false, aug);
	}
	if (balance < -1) {
		*changed = true;
		if (avl_height_(n->right->right) < avl_height_(n->right->left))
			avl_rotate_(t, n->right, false, aug);
		return avl_rotate_(t, n, true, aug);
	}
	return n;
}

/*
 * Retrace from @n upwards.  @stale (or NULL) is a node moved into another
 * node's place whose cached fields describe its old position: comparing
 * them proves nothing, so the walk may stop only above it, where the
 * caches being compared are accurate.
 */
AVL_INLINE void avl_retrace_(struct avl_tree *t, struct avl_node *n,
			     const struct avl_node *stale, avl_augment_fn aug)
{
	bool may_stop = !stale;

	while (n) {
		bool changed, was_stale = n == stale;

		n = avl_rebalance_(t, n, &changed, aug);
		if (was_stale)
			may_stop = true;
		else if (!changed && may_stop)
			return;
		n = n->parent;
	}
}

/* avl_insert() with @aug for the tree's augmentation. */
AVL_INLINE void avl_insert_with(struct avl_tree *t, struct avl_node *parent,
				struct avl_node **link, struct avl_node *node,
				avl_augment_fn aug)
{
	AVL_SET(node->parent, parent);
	AVL_SET(node->left, NULL);
	AVL_SET(node->right, NULL);
	node->height = 1;
	AVL_SET(*link, node);
	if (aug)
		aug(node);
	avl_retrace_(t, parent, NULL, aug);
}

/* avl_insert_after() with @aug. */
AVL_INLINE void avl_insert_after_with(struct avl_tree *t, struct avl_node *pos,
				      struct avl_node *node, avl_augment_fn aug)
{
	struct avl_node *p = pos->right;

	if (!p) {
		avl_insert_with(t, pos, &pos->right, node, aug);
		return;
	}
	while (p->left)
		p = p->left;
	avl_insert_with(t, p, &p->left, node, aug);
}

/* avl_remove() with @aug. */
AVL_INLINE void avl_remove_with(struct avl_tree *t, struct avl_node *node,
				avl_augment_fn aug)
{
	struct avl_node *start, *stale = NULL;

	if (node->left && node->right) {
		/* Put the in-order successor s where node was. */
		struct avl_node *s = node->right;

		while (s->left)
			s = s->left;
		if (s->parent != node) {
			start = s->parent;
			AVL_SET(start->left, s->right);
			if (s->right)
				AVL_SET(s->right->parent, start);
			AVL_SET(s->right, node->right);
			AVL_SET(node->right->parent, s);
		} else {
			start = s;
		}
		AVL_SET(s->left, node->left);
		AVL_SET(node->left->parent, s);
		s->height = node->height;
		AVL_SET(s->parent, node->parent);
		avl_replace_child_(t, node->parent, node, s);
		stale = s;	/* its summary still describes its old place */
	} else {
		struct avl_node *child = node->left ? node->left : node->right;

		if (child)
			AVL_SET(child->parent, node->parent);
		avl_replace_child_(t, node->parent, node, child);
		start = node->parent;
	}
	AVL_SET(node->parent, NULL);
	AVL_SET(node->left, NULL);
	AVL_SET(node->right, NULL);
	avl_retrace_(t, start, stale, aug);
}

/* avl_propagate() with @aug (not NULL).  Heights do not change here, so
 * only the summary is recomputed. */
AVL_INLINE void avl_propagate_with(struct avl_node *node, avl_augment_fn aug)
{
	for (; node; node = node->parent)
		if (!aug(node))
			return;
}

#undef AVL_SET

#endif
