/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Statistics over timing samples, shared by the runner and the tools.
 *
 * Percentiles use linear interpolation between closest ranks (Hyndman and
 * Fan type 7, numpy's default): for sorted x[0..n-1] and p in [0,1],
 * h = (n - 1) * p and the result is x[floor(h)] + (h - floor(h)) *
 * (x[floor(h) + 1] - x[floor(h)]). The median is the 0.5 percentile.
 */
#ifndef HMMBENCH_STATS_H
#define HMMBENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Resamples and seed of the bootstrap: fixed so that a result file repeats. */
#define HB_BOOTSTRAP_RESAMPLES	1000
#define HB_BOOTSTRAP_SEED	0x686d6d62656e6368ULL	/* "hmmbench" */

struct hb_stats {
	size_t n;
	double median, mean, stddev, cov;	/* stddev: n - 1; cov: NAN if mean 0 */
	double min, max, p50, p90, p99;
	double ci95_lo, ci95_hi;		/* bootstrap 95% CI of the median */
};

uint64_t hb_rand(uint64_t *state);
double hb_percentile_sorted(const double *sorted, size_t n, double p);
double hb_median_select(double *x, size_t n);
int hb_stats_compute(const double *x, size_t n, struct hb_stats *st);
int hb_bootstrap_median_ci(const double *x, size_t n, unsigned int resamples,
			   uint64_t seed, double level, double *lo, double *hi);
int hb_linfit(const double *x, const double *y, size_t n,
	      double *slope, double *intercept, double *r2);
/*
 * The Wilson score 95% interval of a rate of @k in @n (fork failures):
 * unlike p +- 1.96 sd it stays in [0, 1] and is not empty at 0 or n.
 * 0, or -1 if @n is 0.
 */
int hb_wilson(double k, double n, double *lo, double *hi);

/* Comparing two kernels (tools/hmmbench-compare, docs/compare.md). */
/* The type 7 median of x without touching x; NAN if n is 0. */
double hb_median(const double *x, size_t n);

/*
 * One side of a comparison: the samples of one metric in each round (boot)
 * of a result set. Rounds may hold different numbers of samples.
 */
struct hb_rounds {
	size_t nrounds;
	const double *const *x;	/* x[r][0..n[r]-1] */
	const size_t *n;
};

#define HB_RATIO_RESAMPLES	2000

/* The median of all samples of all rounds together. */
double hb_rounds_median(const struct hb_rounds *s);
/*
 * Hierarchical percentile bootstrap of median(cand) / median(base): each
 * resample draws the rounds of a side with replacement, then, inside each
 * drawn round, as many samples as it has, with replacement, and pools them.
 * Drawing rounds keeps the boot-to-boot variance in the interval, which
 * pooling every sample would hide. With one round a side it is the plain
 * bootstrap. Seeded, so the same inputs give the same interval.
 */
int hb_bootstrap_ratio_ci(const struct hb_rounds *base,
			  const struct hb_rounds *cand, unsigned int resamples,
			  uint64_t seed, double level, double *lo, double *hi);

#endif
