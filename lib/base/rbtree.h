/* SPDX-License-Identifier: MIT */
/*
 * Intrusive red-black tree with parent pointers and an augmentation hook,
 * for trees that change more often than they are searched (the range
 * allocator's hole trees: a hole is resized, re-sorted or handed over on
 * almost every insert and remove).
 *
 * Against the AVL tree (avl.h), an insert recolours upwards and rotates
 * at most twice, a removal rotates at most three times, and neither reads
 * a height at every level: the rebalancing walks are shorter, and they
 * stop as soon as the colours are right.  The price is a height bound of
 * 2 log2(n + 1) instead of 1.44 log2(n).
 *
 * The caller owns ordering, as with avl.h: it walks down from the root
 * comparing its own keys and calls rb_insert_with() with the parent and
 * the link it stopped at, or links a node next to a known neighbour.  The
 * augmentation @aug (NULL for none) recomputes a node's summary of its
 * subtree from its own fields and its children's summaries and returns
 * whether it changed; it is passed to every change, so that a constant
 * function is inlined.  The summary is brought up to date along the path
 * to the root (stopping at the first node it leaves unchanged) before the
 * tree rebalances, and every rotation recomputes the two nodes it moves;
 * a caller whose summary is a maximum may raise it on its way down and
 * link with rb_insert_raised() instead, which climbs back up only to
 * rebalance.
 *
 * Child links are written with release stores, as in avl.h, so that a
 * reader following child links with acquire loads sees initialised nodes.
 * The colour is the low bit of the parent word (nodes are at least 2-byte
 * aligned), which no lock-free reader reads: the parent and the colour
 * are plain stores.  Not thread-safe: the owner locks.
 */
#ifndef GTT_LIB_RBTREE_H
#define GTT_LIB_RBTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * @parent: the parent's address, | RB_RED if the node is red; 0 for a
 * black root or a node in no tree.  Read it through rb_parent() and
 * rb_is_red() only.
 */
struct rb_node {
	uintptr_t parent;
	struct rb_node *left;
	struct rb_node *right;
};

#define RB_RED ((uintptr_t)1)

_Static_assert(_Alignof(struct rb_node) > RB_RED, "no room for the colour bit");

static inline struct rb_node *rb_parent(const struct rb_node *n)
{
	return (struct rb_node *)(n->parent & ~RB_RED);
}

/* Recompute @node's summary from its children; true if it changed. */
typedef bool (*rb_augment_fn)(struct rb_node *node);

struct rb_tree {
	struct rb_node *root;
};

static inline void rb_init(struct rb_tree *t)
{
	t->root = NULL;
}

struct rb_node *rb_first(const struct rb_tree *t);
struct rb_node *rb_last(const struct rb_tree *t);
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

/*
 * Debug check of the subtree at @node: parent links, a red node's
 * children black, the same number of black nodes on every path down.
 * Returns that black height, or -1.  The root must be black as well:
 * rb_check(t->root, NULL) also fails on a red root.
 */
int rb_check(const struct rb_node *node, const struct rb_node *parent);

/* ---- the changes, inline (see the top) ---- */

#define RB_INLINE static inline __attribute__((always_inline))
#define RB_SET(field, value) __atomic_store_n(&(field), (value), __ATOMIC_RELEASE)

/* A black leaf standing for NULL, so that rb_is_red() reads a colour
 * without a branch on the pointer (a select, then one load). */
static const struct rb_node rb_black_leaf_;

static inline bool rb_is_red(const struct rb_node *n)
{
	return (n ? n : &rb_black_leaf_)->parent & RB_RED;
}

/* The parent and colour changes: plain stores of the parent word. */
RB_INLINE void rb_set_parent_(struct rb_node *n, struct rb_node *parent)
{
	n->parent = (uintptr_t)parent | (n->parent & RB_RED);
}

RB_INLINE void rb_set_red_(struct rb_node *n, bool red)
{
	n->parent = (n->parent & ~RB_RED) | (uintptr_t)red;
}

RB_INLINE void rb_replace_child_(struct rb_tree *t, struct rb_node *parent,
				 struct rb_node *old, struct rb_node *new)
{
	struct rb_node **slot = !parent ? &t->root
			       : parent->left == old ? &parent->left : &parent->right;

	RB_SET(*slot, new);
}

/*
 * Raise x's right (@right_up) or left child y over x, colouring x red iff
 * @x_red and y iff @y_red (every caller knows both: one store each);
 * recompute x, then y.
 */
RB_INLINE void rb_rotate_(struct rb_tree *t, struct rb_node *x, bool right_up,
			  bool x_red, bool y_red, rb_augment_fn aug)
{
	struct rb_node *y = right_up ? x->right : x->left;
	struct rb_node *inner = right_up ? y->left : y->right;
	struct rb_node *up = rb_parent(x);

	if (right_up)
		RB_SET(x->right, inner);
	else
		RB_SET(x->left, inner);
	if (inner)
		rb_set_parent_(inner, x);
	y->parent = (uintptr_t)up | (uintptr_t)y_red;
	rb_replace_child_(t, up, x, y);
	if (right_up)
		RB_SET(y->left, x);
	else
		RB_SET(y->right, x);
	x->parent = (uintptr_t)y | (uintptr_t)x_red;
	if (aug) {
		aug(x);
		aug(y);
	}
}

/*
 * Recompute summaries from @n to the root, stopping at the first node
 * left unchanged, but not below @stale (NULL or a node moved into another
 * node's place, whose summary describes its old place).
 */
RB_INLINE void rb_refresh_(struct rb_node *n, const struct rb_node *stale,
			   rb_augment_fn aug)
{
	bool may_stop = !stale;

	if (!aug)
		return;
	for (; n; n = rb_parent(n)) {
		bool changed = aug(n);

		if (n == stale)
			may_stop = true;
		else if (!changed && may_stop)
			return;
	}
}

/* Link @node below @parent at *@link; refresh the summaries above it
 * unless the caller's descent did (@refresh false). */
RB_INLINE void rb_insert_(struct rb_tree *t, struct rb_node *parent,
			  struct rb_node **link, struct rb_node *node,
			  rb_augment_fn aug, bool refresh)
{
	struct rb_node *p, *g, *u;

	node->parent = (uintptr_t)parent | RB_RED;
	RB_SET(node->left, NULL);
	RB_SET(node->right, NULL);
	RB_SET(*link, node);
	if (aug) {
		aug(node);
		if (refresh)
			rb_refresh_(parent, NULL, aug);
	}
	/* A red node under a red parent: recolour upwards, or rotate once
	 * or twice and stop. */
	while ((p = rb_parent(node)) && rb_is_red(p)) {
		bool left = p == (g = rb_parent(p))->left;

		u = left ? g->right : g->left;
		if (rb_is_red(u)) {
			rb_set_red_(p, false);
			rb_set_red_(u, false);
			rb_set_red_(g, true);
			node = g;
			continue;
		}
		if (node == (left ? p->right : p->left)) {
			rb_rotate_(t, p, left, true, true, aug);
			p = node;
		}
		rb_rotate_(t, g, !left, true, false, aug);	/* p black, g red */
		break;
	}
	rb_set_red_(t->root, false);
}

/* Link @node below @parent at *@link (from the caller's descent). */
RB_INLINE void rb_insert_with(struct rb_tree *t, struct rb_node *parent,
			      struct rb_node **link, struct rb_node *node,
			      rb_augment_fn aug)
{
	rb_insert_(t, parent, link, node, aug, true);
}

/*
 * rb_insert_with() for a summary that only grows with a node added below
 * (a maximum): the caller's descent has already raised it at every node
 * it passed to include @node's, so no refresh climbs back up; only the
 * rotations recompute.
 */
RB_INLINE void rb_insert_raised(struct rb_tree *t, struct rb_node *parent,
				struct rb_node **link, struct rb_node *node,
				rb_augment_fn aug)
{
	rb_insert_(t, parent, link, node, aug, false);
}

/* Link @node as the in-order successor of @pos. */
RB_INLINE void rb_insert_after_with(struct rb_tree *t, struct rb_node *pos,
				    struct rb_node *node, rb_augment_fn aug)
{
	struct rb_node *p = pos->right;

	if (!p) {
		rb_insert_with(t, pos, &pos->right, node, aug);
		return;
	}
	while (p->left)
		p = p->left;
	rb_insert_with(t, p, &p->left, node, aug);
}

/* Link @node as the in-order predecessor of @pos. */
RB_INLINE void rb_insert_before_with(struct rb_tree *t, struct rb_node *pos,
				     struct rb_node *node, rb_augment_fn aug)
{
	struct rb_node *p = pos->left;

	if (!p) {
		rb_insert_with(t, pos, &pos->left, node, aug);
		return;
	}
	while (p->right)
		p = p->right;
	rb_insert_with(t, p, &p->right, node, aug);
}

/*
 * Restore the colours after a black node left from below @xp, on the
 * side of @x (NULL or black: one black short on that side).
 */
RB_INLINE void rb_erase_fixup_(struct rb_tree *t, struct rb_node *x,
			       struct rb_node *xp, rb_augment_fn aug)
{
	while (xp && !rb_is_red(x)) {
		bool left = x == xp->left;
		struct rb_node *w = left ? xp->right : xp->left;

		if (rb_is_red(w)) {
			/* A red sibling: rotate it up, a black one comes in. */
			rb_rotate_(t, xp, left, true, false, aug);
			w = left ? xp->right : xp->left;
		}
		if (!rb_is_red(w->left) && !rb_is_red(w->right)) {
			/* Both nephews black: the sibling's side gives up a
			 * black too, and the shortage moves up. */
			rb_set_red_(w, true);
			x = xp;
			xp = rb_parent(x);
			continue;
		}
		if (!rb_is_red(left ? w->right : w->left)) {
			/* The near nephew is red: turn it outwards. */
			rb_rotate_(t, w, !left, true, false, aug);
			w = left ? xp->right : xp->left;
		}
		rb_set_red_(left ? w->right : w->left, false);
		rb_rotate_(t, xp, left, false, rb_is_red(xp), aug);
		return;
	}
	if (x)
		rb_set_red_(x, false);
}

/* Unlink @node; its links are cleared. */
RB_INLINE void rb_erase_with(struct rb_tree *t, struct rb_node *node,
			     rb_augment_fn aug)
{
	struct rb_node *x, *xp, *stale = NULL;
	bool removed_red;

	if (node->left && node->right) {
		/* The successor s takes node's place and colour; s's old
		 * place (its right child x moves up) is what was removed. */
		struct rb_node *s = node->right;

		while (s->left)
			s = s->left;
		removed_red = rb_is_red(s);
		x = s->right;
		if (rb_parent(s) != node) {
			xp = rb_parent(s);
			RB_SET(xp->left, x);
			if (x)
				rb_set_parent_(x, xp);
			RB_SET(s->right, node->right);
			rb_set_parent_(node->right, s);
		} else {
			xp = s;
		}
		RB_SET(s->left, node->left);
		rb_set_parent_(node->left, s);
		s->parent = node->parent;	/* its parent and its colour */
		rb_replace_child_(t, rb_parent(node), node, s);
		stale = s;
	} else {
		x = node->left ? node->left : node->right;
		xp = rb_parent(node);
		removed_red = rb_is_red(node);
		if (x)
			rb_set_parent_(x, xp);
		rb_replace_child_(t, xp, node, x);
	}
	node->parent = 0;
	RB_SET(node->left, NULL);
	RB_SET(node->right, NULL);
	rb_refresh_(xp, stale, aug);
	if (!removed_red)
		rb_erase_fixup_(t, x, xp, aug);
}

/* @node's own augmented inputs changed: recompute it and its ancestors. */
RB_INLINE void rb_propagate_with(struct rb_node *node, rb_augment_fn aug)
{
	rb_refresh_(node, NULL, aug);
}

/*
 * Put @new in @old's place, links and colour included, when the caller
 * knows that @new sorts where @old did.  The summary is not copied: the
 * caller sets it (and propagates if it differs).  Plain stores: for trees
 * no lock-free reader follows.
 */
static inline void rb_replace(struct rb_tree *t, struct rb_node *old,
			      struct rb_node *new)
{
	struct rb_node *parent = rb_parent(old);

	*new = *old;
	if (!parent)
		t->root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
	if (new->left)
		rb_set_parent_(new->left, new);
	if (new->right)
		rb_set_parent_(new->right, new);
	old->parent = 0;
	old->left = old->right = NULL;
}

#undef RB_SET

#endif
