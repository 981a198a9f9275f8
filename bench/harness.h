/* SPDX-License-Identifier: GPL-2.0 */
/* The harness as the CLI drives it. */
#ifndef HMMBENCH_HARNESS_H
#define HMMBENCH_HARNESS_H

#include <jansson.h>

#include "hmmbench.h"
#include "summary.h"

/*
 * --quick shrinks the sweeps and caps the passes per point: 5 passes give
 * a point 15 samples over 3 rounds, enough for a rank test to reach a
 * significance that survives the correction for multiple testing
 * (docs/compare.md); 3 could not.
 */
#define HB_QUICK_REPS	5
/* A benchmark's passes per point under --quick. */
#define HB_QUICK_REPS_OF(b)	((b)->quick_reps ? (b)->quick_reps : \
				 (b)->reps > HB_QUICK_REPS ? HB_QUICK_REPS : (b)->reps)

/*
 * --profile's default sampling period, ns of cpu-clock (instructions in
 * icount): a few hundred samples per benchmark in a --quick run, at the
 * kernel's default limit of 100,000 samples a second.
 */
#define HB_PROFILE_PERIOD	10000

/* Sweep values of a benchmark's params, then of cpu_node and mem_node. */
#define HB_NR_SWEEPS	(HB_MAX_PARAMS + 2)

extern const struct hb_bench *const hb_benches[];
extern const struct hb_param hb_common_params[];

struct hb_sel {
	const struct hb_bench *bench;
	long *sweep[HB_NR_SWEEPS];
	size_t nsweep[HB_NR_SWEEPS];
	bool given[HB_NR_SWEEPS];	/* by --param, not the default */
};

struct hb_opts {
	struct hb_sel *sel;
	size_t nsel;
	unsigned int reps;	/* 0: each benchmark's own */
	bool quick;
	const char *out;
	const char *mode;
	enum hb_mode mode_id;	/* mode, parsed: compared as this, never as text */
	const char *profile;		/* --profile DIR, or NULL */
	unsigned long profile_period;	/* cpu-clock ns between samples */
	json_t *argv;
};

int hb_nparams(const struct hb_bench *b);
/* The param of @b at sweep index @i (common params after the bench's). */
const struct hb_param *hb_sweep_param(const struct hb_bench *b, int i);
/* Runs the selected benchmarks; returns the process exit status. */
int hb_run(const struct hb_opts *o);

#endif
