// SPDX-License-Identifier: GPL-2.0
/*
 * The results reader: hb_results_load() (parse and validate a results.json,
 * bench/results.c), as the runner's validate and summary commands and
 * every set hmmbench-compare loads call it. What summary prints from an
 * accepted file (bench/harness.c) is not linked here, it would pull in the
 * whole runner: tests/fuzz/replay.sh runs the sanitized runner's summary
 * over this target's corpus instead.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "results.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024] = "";
	json_t *root;

	root = hb_results_load(fuzz_file(0, data, size), err, sizeof(err));
	if (!root) {
		/* a refusal always says why */
		if (!err[0])
			abort();
		return 0;
	}
	json_decref(root);
	return 0;
}
