/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness over the model interpreter (tests/model.c): the first
 * byte picks the backend (enum model_backend, modulo MODEL_BACKENDS), every
 * following 4 bytes are one operation word, decoded by model_step(): the
 * word modulo MODEL_OPS is the kind (enum model_counter: binds, unbinds,
 * sparse vmas' lives, maps, NULL maps, unmaps, batches, objects' unmaps
 * and moves, active fences per vma and per vm, GPU work and simulated GPU
 * jobs...), bits 5 and up the vma, bits 10 and up the range and the flags
 * (batches, moves and the huge configurations draw the rest from the
 * model's generator, seeded by the words).  Any disagreement between the
 * page tables (or the simulated GPU) and the model aborts.
 * Build and run with scripts/fuzz.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model *m;

	if (size < 1)
		return 0;
	m = model_create(data[0]);
	if (!m)
		return 0;
	for (size_t i = 1; i + 4 <= size; i += 4) {
		uint32_t w;

		memcpy(&w, data + i, sizeof(w));
		if (model_step(m, w)) {
			fprintf(stderr, "fuzz-model: step %zu: %s\n", (i - 1) / 4,
				model_error(m));
			abort();
		}
	}
	if (model_destroy(m)) {
		fprintf(stderr, "fuzz-model: teardown: failed\n");
		abort();
	}
	return 0;
}
