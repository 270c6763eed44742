/* SPDX-License-Identifier: MIT */
/*
 * Red-black tree walks and the debug check; the changes are inline in
 * rbtree.h.  Not thread-safe: the owner locks.
 */
#include "rbtree.h"

struct rb_node *rb_first(const struct rb_tree *t)
{
	struct rb_node *n = t->root;

	if (n)
		while (n->left)
			n = n->left;
	return n;
}

struct rb_node *rb_last(const struct rb_tree *t)
{
	struct rb_node *n = t->root;

	if (n)
		while (n->right)
			n = n->right;
	return n;
}

struct rb_node *rb_next(const struct rb_node *n)
{
	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return (struct rb_node *)n;
	}
	while (rb_parent(n) && rb_parent(n)->right == n)
		n = rb_parent(n);
	return rb_parent(n);
}

struct rb_node *rb_prev(const struct rb_node *n)
{
	if (n->left) {
		n = n->left;
		while (n->right)
			n = n->right;
		return (struct rb_node *)n;
	}
	while (rb_parent(n) && rb_parent(n)->left == n)
		n = rb_parent(n);
	return rb_parent(n);
}

int rb_check(const struct rb_node *n, const struct rb_node *parent)
{
	int bl, br;

	if (!n)
		return 1;	/* the empty leaves count as black */
	if (rb_parent(n) != parent || (!parent && rb_is_red(n)))
		return -1;
	if (rb_is_red(n) && (rb_is_red(n->left) || rb_is_red(n->right)))
		return -1;
	bl = rb_check(n->left, n);
	br = rb_check(n->right, n);
	if (bl < 0 || bl != br)
		return -1;
	return bl + !rb_is_red(n);
}
