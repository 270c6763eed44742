/* SPDX-License-Identifier: MIT */
/*
 * Intrusive AVL tree; see avl.h.
 *
 * Insertion and removal finish with a retrace from the lowest changed node
 * towards the root: each step recomputes height and augmentation and
 * rotates if the balance factor left [-1, 1].  It stops at the first node
 * where nothing changed and no rotation happened, since every ancestor's
 * inputs are then unchanged too.
 */
#include "avl.h"

/*
 * Links are written with release stores: lock-free readers (a vm with
 * GTT_VM_RCU_READERS) follow them with acquire loads and see a node's
 * fields initialised before it is reachable.  On x86 both are plain moves.
 */
#define SET(field, value) __atomic_store_n(&(field), (value), __ATOMIC_RELEASE)

static inline int height(const struct avl_node *n)
{
	return n ? n->height : 0;
}

/* Recompute height and summary; true if either changed. */
static bool update(struct avl_tree *t, struct avl_node *n)
{
	int hl = height(n->left), hr = height(n->right);
	int h = 1 + (hl > hr ? hl : hr);
	bool changed = h != n->height;

	n->height = h;
	if (t->augment && t->augment(n))
		changed = true;
	return changed;
}

static void replace_child(struct avl_tree *t, struct avl_node *parent,
			  struct avl_node *old, struct avl_node *new)
{
	if (!parent)
		SET(t->root, new);
	else if (parent->left == old)
		SET(parent->left, new);
	else
		SET(parent->right, new);
}

/* Raise x's right child over x.  Returns the new subtree root. */
static struct avl_node *rotate_left(struct avl_tree *t, struct avl_node *x)
{
	struct avl_node *y = x->right;

	SET(x->right, y->left);
	if (y->left)
		SET(y->left->parent, x);
	SET(y->parent, x->parent);
	replace_child(t, x->parent, x, y);
	SET(y->left, x);
	SET(x->parent, y);
	update(t, x);
	update(t, y);
	return y;
}

static struct avl_node *rotate_right(struct avl_tree *t, struct avl_node *x)
{
	struct avl_node *y = x->left;

	SET(x->left, y->right);
	if (y->right)
		SET(y->right->parent, x);
	SET(y->parent, x->parent);
	replace_child(t, x->parent, x, y);
	SET(y->right, x);
	SET(x->parent, y);
	update(t, x);
	update(t, y);
	return y;
}

/* Returns the subtree's new root; *changed is false only if n is untouched. */
static struct avl_node *rebalance(struct avl_tree *t, struct avl_node *n,
				  bool *changed)
{
	int balance;

	*changed = update(t, n);
	balance = height(n->left) - height(n->right);
	if (balance > 1) {
		*changed = true;
		if (height(n->left->left) < height(n->left->right))
			rotate_left(t, n->left);
		return rotate_right(t, n);
	}
	if (balance < -1) {
		*changed = true;
		if (height(n->right->right) < height(n->right->left))
			rotate_right(t, n->right);
		return rotate_left(t, n);
	}
	return n;
}

/*
 * Retrace from @n upwards.  @stale (or NULL) is a node moved into another
 * node's place whose cached fields describe its old position: comparing
 * them proves nothing, so the walk may stop only above it, where the
 * caches being compared are accurate.
 */
static void retrace(struct avl_tree *t, struct avl_node *n,
		    const struct avl_node *stale)
{
	bool may_stop = !stale;

	while (n) {
		bool changed, was_stale = n == stale;

		n = rebalance(t, n, &changed);
		if (was_stale)
			may_stop = true;
		else if (!changed && may_stop)
			return;
		n = n->parent;
	}
}

void avl_insert(struct avl_tree *t, struct avl_node *parent,
		struct avl_node **link, struct avl_node *node)
{
	SET(node->parent, parent);
	SET(node->left, NULL);
	SET(node->right, NULL);
	node->height = 1;
	SET(*link, node);
	if (t->augment)
		t->augment(node);
	retrace(t, parent, NULL);
}

void avl_insert_after(struct avl_tree *t, struct avl_node *pos,
		      struct avl_node *node)
{
	struct avl_node *p = pos->right;

	if (!p) {
		avl_insert(t, pos, &pos->right, node);
		return;
	}
	while (p->left)
		p = p->left;
	avl_insert(t, p, &p->left, node);
}

void avl_remove(struct avl_tree *t, struct avl_node *node)
{
	struct avl_node *start, *stale = NULL;

	if (node->left && node->right) {
		/* Put the in-order successor s where node was. */
		struct avl_node *s = node->right;

		while (s->left)
			s = s->left;
		if (s->parent != node) {
			start = s->parent;
			SET(start->left, s->right);
			if (s->right)
				SET(s->right->parent, start);
			SET(s->right, node->right);
			SET(node->right->parent, s);
		} else {
			start = s;
		}
		SET(s->left, node->left);
		SET(node->left->parent, s);
		s->height = node->height;
		SET(s->parent, node->parent);
		replace_child(t, node->parent, node, s);
		stale = s;	/* its summary still describes its old place */
	} else {
		struct avl_node *child = node->left ? node->left : node->right;

		if (child)
			SET(child->parent, node->parent);
		replace_child(t, node->parent, node, child);
		start = node->parent;
	}
	SET(node->parent, NULL);
	SET(node->left, NULL);
	SET(node->right, NULL);
	retrace(t, start, stale);
}

void avl_propagate(struct avl_tree *t, struct avl_node *node)
{
	/* Heights do not change here: only the summary is recomputed (and
	 * without an augmentation nothing above @node depends on it). */
	if (t->augment)
		for (; node; node = node->parent)
			if (!t->augment(node))
				return;
}

struct avl_node *avl_first(const struct avl_tree *t)
{
	struct avl_node *n = t->root;

	if (n)
		while (n->left)
			n = n->left;
	return n;
}

struct avl_node *avl_next(const struct avl_node *n)
{
	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return (struct avl_node *)n;
	}
	while (n->parent && n->parent->right == n)
		n = n->parent;
	return n->parent;
}

struct avl_node *avl_prev(const struct avl_node *n)
{
	if (n->left) {
		n = n->left;
		while (n->right)
			n = n->right;
		return (struct avl_node *)n;
	}
	while (n->parent && n->parent->left == n)
		n = n->parent;
	return n->parent;
}

int avl_check(const struct avl_node *n, const struct avl_node *parent)
{
	int hl, hr;

	if (!n)
		return 0;
	if (n->parent != parent)
		return -1;
	hl = avl_check(n->left, n);
	hr = avl_check(n->right, n);
	if (hl < 0 || hr < 0 || hl - hr > 1 || hr - hl > 1)
		return -1;
	if (n->height != 1 + (hl > hr ? hl : hr))
		return -1;
	return n->height;
}
