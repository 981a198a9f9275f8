// SPDX-License-Identifier: GPL-2.0
/*
 * The thresholds file (bench/compare.c: hb_thresholds_load), and the rule
 * lookups the gate makes with what it read: a mode check and an fnmatch
 * per rule against metric ids of the shapes the runner writes.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "compare.h"
#include "fuzz.h"

static const char *const ids[] = {
	"restore/ns_per_access:fault=exclusive,order=0,cpu_node=0,mem_node=0",
	"mark/ns_per_page:pages=1,state=populated,cpu_node=0,mem_node=0",
	"fork/extra_instructions_per_entry:variant=contended,cpu_node=0,mem_node=0",
	"migrate/mem_node_1_vs_local:op=fork_exclusive,pages=4096,cpu_node=0",
	"",
};
static const char *const modes[] = { "tcg", "icount", "kvm", "host", "*" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hb_thresholds th;
	char err[1024] = "";
	size_t i, m;
	double v;

	if (hb_thresholds_load(&th, fuzz_file(0, data, size), err, sizeof(err))) {
		if (!err[0] || th.n || th.rules)
			abort();	/* refused: a reason, and nothing kept */
		return 0;
	}
	for (m = 0; m < sizeof(modes) / sizeof(*modes); m++) {
		hb_thresholds_have_mode(&th, modes[m]);
		for (i = 0; i < sizeof(ids) / sizeof(*ids); i++) {
			v = hb_threshold_for(&th, modes[m], ids[i]);
			/* a percent read from the file, or -1 for no rule */
			if (v != -1 && !(v >= 0 && isfinite(v)))
				abort();
		}
	}
	hb_thresholds_free(&th);
	return 0;
}
