/* SPDX-License-Identifier: MIT */
/*
 * Intrusive AVL tree; see avl.h.
 *
 * Insertion and removal finish with a retrace from the lowest changed node
 * towards the root: each step recomputes height and augmentation and
 * rotates if the balance factor left [-1, 1].  It stops at the first node
 * where nothing changed and no rotation happened, since every ancestor's
 * inputs are then unchanged too.  The steps are the inline forms in
 * avl.h; these functions run them with the tree's augmentation pointer.
 */
#include "avl.h"

void avl_insert(struct avl_tree *t, struct avl_node *parent,
		struct avl_node **link, struct avl_node *node)
{
	avl_insert_with(t, parent, link, node, t->augment);
}

void avl_insert_after(struct avl_tree *t, struct avl_node *pos,
		      struct avl_node *node)
{
	avl_insert_after_with(t, pos, node, t->augment);
}

void avl_remove(struct avl_tree *t, struct avl_node *node)
{
	avl_remove_with(t, node, t->augment);
}

void avl_propagate(struct avl_tree *t, struct avl_node *node)
{
	/* Without an augmentation nothing above @node depends on it. */
	if (t->augment)
		avl_propagate_with(node, t->augment);
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
