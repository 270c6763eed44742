/* SPDX-License-Identifier: MIT */
/*
 * Interval tree; see interval_tree.h.
 *
 * subtree_last is published with release stores, like the AVL links:
 * itree_count_rcu() follows both with acquire loads.
 */
#include "interval_tree.h"
#include "seqcount.h"
#include "util.h"

/* Bounds on a torn lock-free walk (a consistent tree never reaches them). */
#define RCU_STACK 128
#define RCU_MAX_VISITS (1L << 20)

static inline struct itree_node *to_it(const struct avl_node *n)
{
	return n ? container_of(n, struct itree_node, avl) : NULL;
}

static bool augment(struct avl_node *n)
{
	struct itree_node *x = to_it(n);
	uint64_t m = x->last;

	if (n->left && to_it(n->left)->subtree_last > m)
		m = to_it(n->left)->subtree_last;
	if (n->right && to_it(n->right)->subtree_last > m)
		m = to_it(n->right)->subtree_last;
	if (m == x->subtree_last)
		return false;
	__atomic_store_n(&x->subtree_last, m, __ATOMIC_RELEASE);
	return true;
}

void itree_init(struct itree *it)
{
	avl_init(&it->tree, augment);
	it->count = 0;
}

void itree_insert(struct itree *it, struct itree_node *node)
{
	struct avl_node **link = &it->tree.root, *parent = NULL;

	while (*link) {
		parent = *link;
		link = node->start < to_it(parent)->start ? &parent->left
							  : &parent->right;
	}
	node->subtree_last = node->last;
	avl_insert(&it->tree, parent, link, &node->avl);
	it->count++;
}

void itree_remove(struct itree *it, struct itree_node *node)
{
	avl_remove(&it->tree, &node->avl);
	it->count--;
}

/*
 * Leftmost node of the subtree at @n overlapping [start, last].  The caller
 * guarantees n->subtree_last >= start.
 */
static struct itree_node *subtree_first(struct itree_node *n, uint64_t start,
					uint64_t last)
{
	for (;;) {
		struct itree_node *l = to_it(n->avl.left);
		struct itree_node *r = to_it(n->avl.right);

		/* Something on the left ends late enough: it comes first. */
		if (l && l->subtree_last >= start) {
			n = l;
			continue;
		}
		/* n and everything to its right begin after the query. */
		if (n->start > last)
			return NULL;
		if (n->last >= start)
			return n;
		if (r && r->subtree_last >= start) {
			n = r;
			continue;
		}
		return NULL;
	}
}

struct itree_node *itree_first(const struct itree *it, uint64_t start,
			       uint64_t last)
{
	struct itree_node *root = to_it(it->tree.root);

	if (!root || root->subtree_last < start)
		return NULL;
	return subtree_first(root, start, last);
}

struct itree_node *itree_next(const struct itree_node *node, uint64_t start,
			      uint64_t last)
{
	const struct avl_node *n = &node->avl;

	for (;;) {
		struct itree_node *r = to_it(n->right);

		/*
		 * A right subtree that reaches the query holds the answer, or
		 * nothing further right can overlap (its starts exceed last).
		 */
		if (r && r->subtree_last >= start)
			return subtree_first(r, start, last);
		/* Climb until we arrive from a left child. */
		for (;;) {
			const struct avl_node *p = n->parent;

			if (!p)
				return NULL;
			if (p->left == n) {
				n = p;
				break;
			}
			n = p;
		}
		if (to_it(n)->start > last)
			return NULL;
		if (to_it(n)->last >= start)
			return to_it(n);
	}
}

/*
 * A depth-first walk down child links only (a rotation never makes them
 * cyclic), with an explicit stack, pruned by subtree_last.
 */
long itree_count_rcu(const struct itree *it, uint64_t start, uint64_t last,
		     bool (*match)(const struct itree_node *node, void *arg),
		     void *arg)
{
	struct avl_node *stack[RCU_STACK], *n = LOAD_ACQ(it->tree.root);
	long count = 0, visits = 0;
	int sp = 0;

	if (n)
		stack[sp++] = n;
	while (sp) {
		struct itree_node *x;
		struct avl_node *l, *r;

		n = stack[--sp];
		x = to_it(n);
		if (++visits > RCU_MAX_VISITS)
			return -1;
		if (LOAD_ACQ(x->subtree_last) < start)
			continue;
		l = LOAD_ACQ(n->left);
		r = LOAD_ACQ(n->right);
		if (l) {
			if (sp == RCU_STACK)
				return -1;
			stack[sp++] = l;
		}
		if (LOAD_ACQ(x->start) > last)
			continue;
		count += LOAD_ACQ(x->last) >= start && match(x, arg);
		if (r) {
			if (sp == RCU_STACK)
				return -1;
			stack[sp++] = r;
		}
	}
	return count;
}

static int check(const struct avl_node *n, uint64_t *max_last)
{
	uint64_t m, lm = 0, rm = 0;

	if (!n)
		return 0;
	if (check(n->left, &lm) || check(n->right, &rm))
		return -1;
	m = to_it(n)->last;
	if (n->left) {
		m = u64_max(m, lm);
		if (to_it(n->left)->start > to_it(n)->start)
			return -1;
	}
	if (n->right) {
		m = u64_max(m, rm);
		if (to_it(n->right)->start < to_it(n)->start)
			return -1;
	}
	if (m != to_it(n)->subtree_last)
		return -1;
	*max_last = m;
	return 0;
}

int itree_check(const struct itree *it)
{
	uint64_t m;

	if (avl_check(it->tree.root, NULL) < 0)
		return -1;
	return check(it->tree.root, &m);
}
