// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

/* splitmix64: tiny, well mixed, and the same sequence everywhere. */
uint64_t hb_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double hb_percentile_sorted(const double *s, size_t n, double p)
{
	double h = (n - 1) * p;
	size_t lo = (size_t)h;

	if (lo + 1 >= n)
		return s[n - 1];
	return s[lo] + (h - lo) * (s[lo + 1] - s[lo]);
}

/*
 * Wirth's selection: afterwards x[k] is the k-th smallest, everything before
 * it is no larger and everything after it no smaller.
 */
static double select_kth(double *x, long n, long k)
{
	long l = 0, r = n - 1;

	while (l < r) {
		double pivot = x[k];
		long i = l, j = r;

		do {
			while (x[i] < pivot)
				i++;
			while (pivot < x[j])
				j--;
			if (i <= j) {
				double t = x[i];

				x[i++] = x[j];
				x[j--] = t;
			}
		} while (i <= j);
		if (j < k)
			l = i;
		if (k < i)
			r = j;
	}
	return x[k];
}

/* The type 7 median of x, in linear time; reorders x. */
double hb_median_select(double *x, size_t n)
{
	double h = (n - 1) * 0.5, lo, hi;
	size_t k = (size_t)h, i;

	lo = select_kth(x, n, k);
	if (h == k)
		return lo;
	hi = x[k + 1];
	for (i = k + 2; i < n; i++)
		if (x[i] < hi)
			hi = x[i];
	return lo + (h - k) * (hi - lo);
}

/*
 * Percentile bootstrap: resample x with replacement, take each resample's
 * median, and report the (1 - level) / 2 and (1 + level) / 2 percentiles of
 * those medians.
 */
int hb_bootstrap_median_ci(const double *x, size_t n, unsigned int resamples,
			   uint64_t seed, double level, double *lo, double *hi)
{
	double *meds, *buf;
	unsigned int b;
	size_t i;

	if (!n || !resamples)
		return -EINVAL;
	meds = malloc(resamples * sizeof(*meds));
	buf = malloc(n * sizeof(*buf));
	if (!meds || !buf) {
		free(meds);
		free(buf);
		return -ENOMEM;
	}
	for (b = 0; b < resamples; b++) {
		for (i = 0; i < n; i++)
			buf[i] = x[hb_rand(&seed) % n];
		meds[b] = hb_median_select(buf, n);
	}
	qsort(meds, resamples, sizeof(*meds), cmp_double);
	*lo = hb_percentile_sorted(meds, resamples, (1 - level) / 2);
	*hi = hb_percentile_sorted(meds, resamples, (1 + level) / 2);
	free(meds);
	free(buf);
	return 0;
}

int hb_stats_compute(const double *x, size_t n, struct hb_stats *st)
{
	double *s, sum = 0, ss = 0;
	size_t i;
	int ret;

	if (!n)
		return -EINVAL;
	s = malloc(n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memcpy(s, x, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);

	for (i = 0; i < n; i++)
		sum += s[i];
	st->n = n;
	st->mean = sum / n;
	for (i = 0; i < n; i++)
		ss += (s[i] - st->mean) * (s[i] - st->mean);
	st->stddev = n > 1 ? sqrt(ss / (n - 1)) : 0;
	st->cov = st->mean != 0 ? st->stddev / st->mean : NAN;
	st->min = s[0];
	st->max = s[n - 1];
	st->p50 = hb_percentile_sorted(s, n, 0.50);
	st->p90 = hb_percentile_sorted(s, n, 0.90);
	st->p99 = hb_percentile_sorted(s, n, 0.99);
	st->median = st->p50;
	free(s);

	ret = hb_bootstrap_median_ci(x, n, HB_BOOTSTRAP_RESAMPLES,
				     HB_BOOTSTRAP_SEED, 0.95,
				     &st->ci95_lo, &st->ci95_hi);
	return ret;
}

/* Ordinary least squares y = slope * x + intercept. */
int hb_linfit(const double *x, const double *y, size_t n,
	      double *slope, double *intercept, double *r2)
{
	double mx = 0, my = 0, sxx = 0, sxy = 0, syy = 0;
	size_t i;

	if (n < 2)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		mx += x[i];
		my += y[i];
	}
	mx /= n;
	my /= n;
	for (i = 0; i < n; i++) {
		sxx += (x[i] - mx) * (x[i] - mx);
		sxy += (x[i] - mx) * (y[i] - my);
		syy += (y[i] - my) * (y[i] - my);
	}
	if (sxx == 0)
		return -EINVAL;
	*slope = sxy / sxx;
	*intercept = my - *slope * mx;
	*r2 = syy > 0 ? sxy * sxy / (sxx * syy) : 1;
	return 0;
}

/* Comparing two kernels: the bootstrap of the ratio. */

double hb_median(const double *x, size_t n)
{
	double *buf, m;

	if (!n)
		return NAN;
	buf = malloc(n * sizeof(*buf));
	if (!buf)
		return NAN;
	memcpy(buf, x, n * sizeof(*buf));
	m = hb_median_select(buf, n);
	free(buf);
	return m;
}

double hb_rounds_median(const struct hb_rounds *s)
{
	size_t total = 0, r, off = 0;
	double *buf, m;

	for (r = 0; r < s->nrounds; r++)
		total += s->n[r];
	if (!total)
		return NAN;
	buf = malloc(total * sizeof(*buf));
	if (!buf)
		return NAN;
	for (r = 0; r < s->nrounds; r++) {
		memcpy(buf + off, s->x[r], s->n[r] * sizeof(*buf));
		off += s->n[r];
	}
	m = hb_median_select(buf, total);
	free(buf);
	return m;
}

/* One hierarchical resample of @s into @buf (sized for the largest draw). */
static size_t resample_rounds(const struct hb_rounds *s, uint64_t *seed,
			      double *buf)
{
	size_t r, i, k, len = 0;

	for (r = 0; r < s->nrounds; r++) {
		k = hb_rand(seed) % s->nrounds;
		for (i = 0; i < s->n[k]; i++)
			buf[len++] = s->x[k][hb_rand(seed) % s->n[k]];
	}
	return len;
}

static size_t max_draw(const struct hb_rounds *s)
{
	size_t r, most = 0;

	for (r = 0; r < s->nrounds; r++)
		if (s->n[r] > most)
			most = s->n[r];
	return most * s->nrounds;
}

int hb_bootstrap_ratio_ci(const struct hb_rounds *base,
			  const struct hb_rounds *cand, unsigned int resamples,
			  uint64_t seed, double level, double *lo, double *hi)
{
	double *ratios, *bb, *cb, mb, mc;
	unsigned int b;
	size_t r, nb, nc;
	int ret = 0;

	if (!base->nrounds || !cand->nrounds || !resamples)
		return -EINVAL;
	for (r = 0; r < base->nrounds; r++)
		if (!base->n[r])
			return -EINVAL;
	for (r = 0; r < cand->nrounds; r++)
		if (!cand->n[r])
			return -EINVAL;
	ratios = malloc(resamples * sizeof(*ratios));
	bb = malloc(max_draw(base) * sizeof(*bb));
	cb = malloc(max_draw(cand) * sizeof(*cb));
	if (!ratios || !bb || !cb) {
		ret = -ENOMEM;
		goto out;
	}
	for (b = 0; b < resamples; b++) {
		nb = resample_rounds(base, &seed, bb);
		nc = resample_rounds(cand, &seed, cb);
		mb = hb_median_select(bb, nb);
		mc = hb_median_select(cb, nc);
		/* a zero baseline has no ratio: the interval is unbounded */
		ratios[b] = mb != 0 ? mc / mb : (mc >= 0 ? INFINITY : -INFINITY);
	}
	qsort(ratios, resamples, sizeof(*ratios), cmp_double);
	*lo = hb_percentile_sorted(ratios, resamples, (1 - level) / 2);
	*hi = hb_percentile_sorted(ratios, resamples, (1 + level) / 2);
out:
	free(ratios);
	free(bb);
	free(cb);
	return ret;
}

int hb_wilson(double k, double n, double *lo, double *hi)
{
	const double z = 1.959963984540054;	/* the normal's 97.5th percentile */
	double p, c, h;

	if (!(n > 0) || k < 0 || k > n)
		return -1;
	p = k / n;
	c = (p + z * z / (2 * n)) / (1 + z * z / n);
	h = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n);
	/* the bounds are exactly 0 and 1 there; rounding would say 1e-18 */
	*lo = k == 0 ? 0 : fmax(0, c - h);
	*hi = k == n ? 1 : fmin(1, c + h);
	return 0;
}
