/* SPDX-License-Identifier: MIT */
/*
 * bench-itree: "is anything pending an unbind in this range?" with 100k
 * pending unbinds, answered by the interval tree the vm uses, against the
 * baseline a simpler design would use: a linear list of pending ranges.
 * Both answer the same random queries (4 KiB to 64 KiB ranges in a 1 GiB
 * space) and must agree.  Target: the tree at least 100x faster.
 */
#include <inttypes.h>

#include "bench_util.h"
#include "base/interval_tree.h"

#define PAGE 4096ull

struct range { uint64_t start, last; };

int main(int argc, char **argv)
{
	int quick = bench_parse(argc, argv,
		"Overlap queries against 100k pending unbinds: interval tree vs a\n"
		"linear list, same queries, same answers.");
	size_t n = quick ? 2000 : 100000, queries = quick ? 2000 : 20000;
	struct itree_node *nodes = calloc(n, sizeof(*nodes));
	struct range *list = calloc(n, sizeof(*list));
	uint64_t seed = 1, t, hits_tree = 0, hits_list = 0;
	uint64_t *qs = calloc(queries, sizeof(*qs));
	struct itree it;
	double tree_ns, list_ns;

	itree_init(&it);
	for (size_t i = 0; i < n; i++) {
		/* 1 GiB space, pending ranges of 4..64 KiB */
		uint64_t start = (bench_rng(&seed) % (1ull << 18)) * PAGE;
		uint64_t len = (1 + bench_rng(&seed) % 16) * PAGE;

		nodes[i].start = list[i].start = start;
		nodes[i].last = list[i].last = start + len - 1;
		itree_insert(&it, &nodes[i]);
	}
	for (size_t q = 0; q < queries; q++)
		qs[q] = (bench_rng(&seed) % (1ull << 18)) * PAGE;

	t = bench_now();
	for (size_t q = 0; q < queries; q++) {
		uint64_t s = qs[q], l = s + 4 * PAGE - 1;

		for (struct itree_node *x = itree_first(&it, s, l); x;
		     x = itree_next(x, s, l))
			hits_tree++;
	}
	tree_ns = (double)(bench_now() - t) / (double)queries;

	t = bench_now();
	for (size_t q = 0; q < queries; q++) {
		uint64_t s = qs[q], l = s + 4 * PAGE - 1;

		for (size_t i = 0; i < n; i++)
			hits_list += list[i].start <= l && list[i].last >= s;
	}
	list_ns = (double)(bench_now() - t) / (double)queries;

	if (hits_tree != hits_list) {
		fprintf(stderr, "bench-itree: answers differ (%" PRIu64 " vs %" PRIu64 ")\n",
			hits_tree, hits_list);
		return 1;
	}
	printf("%zu pending unbinds, %zu queries, %.2f overlaps/query\n", n,
	       queries, (double)hits_tree / (double)queries);
	printf("%-22s %12.1f ns/query\n", "interval tree", tree_ns);
	printf("%-22s %12.1f ns/query   (baseline)\n", "linear list", list_ns);
	printf("speed-up: %.0fx\n", list_ns / tree_ns);
	free(nodes);
	free(list);
	free(qs);
	return 0;
}
