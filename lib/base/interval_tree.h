/* SPDX-License-Identifier: MIT */
/*
 * Interval tree over inclusive u64 ranges [start, last].
 *
 * An AVL tree ordered by start, where each node also caches the largest
 * `last` in its subtree.  Overlap queries skip every subtree whose largest
 * end is below the query, so finding the first overlap is O(log n) and
 * walking all k overlaps is O(log n + k)-ish (each step climbs at most the
 * tree height).  Used for the vm's range fences (pending unbinds).
 *
 * Locking: writers and the itree_first()/itree_next() walk are serialised
 * by the caller's lock.  itree_count_rcu() runs without it, inside an RCU
 * read section and a seqcount read section of the caller's (links and
 * subtree_last are published with release stores).
 */
#ifndef GTT_LIB_INTERVAL_TREE_H
#define GTT_LIB_INTERVAL_TREE_H

#include <stdbool.h>
#include <stdint.h>

#include "avl.h"

struct itree_node {
	struct avl_node avl;
	uint64_t start;
	uint64_t last;		/* inclusive */
	uint64_t subtree_last;
};

struct itree {
	struct avl_tree tree;
	uint64_t count;
};

void itree_init(struct itree *it);
void itree_insert(struct itree *it, struct itree_node *node);
void itree_remove(struct itree *it, struct itree_node *node);
/* Lowest-start node overlapping [start, last], or NULL. */
struct itree_node *itree_first(const struct itree *it, uint64_t start,
			       uint64_t last);
/* Next node after @node (in start order) overlapping [start, last]. */
struct itree_node *itree_next(const struct itree_node *node, uint64_t start,
			      uint64_t last);
/*
 * Lock-free: the number of nodes overlapping [start, last] for which
 * @match(node, @arg) is true (@match must itself be safe without the lock).
 * Return: the count, or -1 if a concurrent writer tore the walk (the caller
 * retries; it must validate any result with its seqcount anyway).
 */
long itree_count_rcu(const struct itree *it, uint64_t start, uint64_t last,
		     bool (*match)(const struct itree_node *node, void *arg),
		     void *arg);
/* Debug: check AVL shape and subtree_last caches.  0 if consistent. */
int itree_check(const struct itree *it);

#endif
