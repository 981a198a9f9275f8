// SPDX-License-Identifier: GPL-2.0
/* Statistics against values worked out by hand. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "unit.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Type 7 on {15, 20, 35, 40, 50}: h = 4p; p = 0.4 gives h = 1.6, so
 * 20 + 0.6 * (35 - 20) = 29; p = 0.9: 40 + 0.6 * 10 = 46; p = 0.99:
 * 40 + 0.96 * 10 = 49.6.
 */
TEST(percentile_type7)
{
	static const double x[] = { 15, 20, 35, 40, 50 };

	CHECK_NEAR(hb_percentile_sorted(x, 5, 0), 15, 0);
	CHECK_NEAR(hb_percentile_sorted(x, 5, 0.4), 29, 1e-12);
	CHECK_NEAR(hb_percentile_sorted(x, 5, 0.5), 35, 0);
	CHECK_NEAR(hb_percentile_sorted(x, 5, 0.9), 46, 1e-12);
	CHECK_NEAR(hb_percentile_sorted(x, 5, 0.99), 49.6, 1e-12);
	CHECK_NEAR(hb_percentile_sorted(x, 5, 1), 50, 0);
	CHECK_NEAR(hb_percentile_sorted(x, 1, 0.99), 15, 0);
}

/*
 * {2, 4, 4, 4, 5, 5, 7, 9}: mean 5, squared deviations sum to 32, so the
 * sample stddev is sqrt(32 / 7); the median is (4 + 5) / 2; p90: h = 6.3,
 * 7 + 0.3 * 2 = 7.6.
 */
TEST(stats_known_set)
{
	static const double x[] = { 9, 4, 2, 5, 4, 7, 4, 5 };
	struct hb_stats st;

	CHECK(hb_stats_compute(x, 8, &st) == 0);
	CHECK(st.n == 8);
	CHECK_NEAR(st.mean, 5, 1e-12);
	CHECK_NEAR(st.stddev, sqrt(32.0 / 7), 1e-12);
	CHECK_NEAR(st.cov, sqrt(32.0 / 7) / 5, 1e-12);
	CHECK_NEAR(st.median, 4.5, 0);
	CHECK_NEAR(st.p50, 4.5, 0);
	CHECK_NEAR(st.p90, 7.6, 1e-12);
	CHECK_NEAR(st.min, 2, 0);
	CHECK_NEAR(st.max, 9, 0);
	CHECK(st.ci95_lo <= st.median && st.median <= st.ci95_hi);
	CHECK(st.ci95_lo >= st.min && st.ci95_hi <= st.max);
}

TEST(stats_edge_cases)
{
	static const double one[] = { 42 }, zeros[] = { 0, 0, 0 };
	struct hb_stats st;

	CHECK(hb_stats_compute(one, 0, &st) != 0);
	CHECK(hb_stats_compute(one, 1, &st) == 0);
	CHECK_NEAR(st.median, 42, 0);
	CHECK_NEAR(st.stddev, 0, 0);
	CHECK_NEAR(st.ci95_lo, 42, 0);
	CHECK_NEAR(st.ci95_hi, 42, 0);
	CHECK(hb_stats_compute(zeros, 3, &st) == 0);
	CHECK(isnan(st.cov));
}

/* The linear-time median must agree with sorting, duplicates included. */
TEST(median_select_matches_sort)
{
	double x[64], s[64];
	uint64_t rng = 1;
	size_t n, i;
	int round;

	for (round = 0; round < 500; round++) {
		n = 1 + hb_rand(&rng) % 64;
		for (i = 0; i < n; i++)
			x[i] = s[i] = (double)(hb_rand(&rng) % 10);
		qsort(s, n, sizeof(*s), cmp);
		if (!CHECK_NEAR(hb_median_select(x, n),
				hb_percentile_sorted(s, n, 0.5), 0))
			break;
	}
}

TEST(bootstrap_deterministic)
{
	double x[101], lo1, hi1, lo2, hi2, lo3, hi3;
	uint64_t rng = 7;
	int i;

	for (i = 0; i < 101; i++)
		x[i] = 1000 + hb_rand(&rng) % 500;
	CHECK(hb_bootstrap_median_ci(x, 101, 1000, 42, 0.95, &lo1, &hi1) == 0);
	CHECK(hb_bootstrap_median_ci(x, 101, 1000, 42, 0.95, &lo2, &hi2) == 0);
	CHECK(hb_bootstrap_median_ci(x, 101, 1000, 43, 0.95, &lo3, &hi3) == 0);
	CHECK(lo1 == lo2 && hi1 == hi2);
	CHECK(lo1 != lo3 || hi1 != hi3);
	CHECK(lo1 < hi1);
	/* a wider level gives an interval at least as wide */
	CHECK(hb_bootstrap_median_ci(x, 101, 1000, 42, 0.50, &lo2, &hi2) == 0);
	CHECK(lo1 <= lo2 && hi2 <= hi1);
}

/* The CI of the median of many samples shrinks around the true median. */
TEST(bootstrap_covers_median)
{
	static double x[2001];
	struct hb_stats st;
	uint64_t rng = 3;
	int i;

	for (i = 0; i < 2001; i++)
		x[i] = (double)(hb_rand(&rng) % 1001);	/* uniform 0..1000 */
	CHECK(hb_stats_compute(x, 2001, &st) == 0);
	CHECK(st.ci95_lo <= st.median && st.median <= st.ci95_hi);
	CHECK(st.ci95_lo > 450 && st.ci95_hi < 550);
}

/* x 1..5, y {2, 4, 5, 4, 5}: Sxy = 6, Sxx = 10, Syy = 6: slope 0.6, intercept 2.2, r2 0.6. */
TEST(linfit_known)
{
	static const double x[] = { 1, 2, 3, 4, 5 }, y[] = { 2, 4, 5, 4, 5 };
	static const double ye[] = { 5, 8, 11, 14, 17 };
	double slope, icept, r2;

	CHECK(hb_linfit(x, y, 5, &slope, &icept, &r2) == 0);
	CHECK_NEAR(slope, 0.6, 1e-12);
	CHECK_NEAR(icept, 2.2, 1e-12);
	CHECK_NEAR(r2, 0.6, 1e-12);
	CHECK(hb_linfit(x, ye, 5, &slope, &icept, &r2) == 0);
	CHECK_NEAR(slope, 3, 1e-12);
	CHECK_NEAR(icept, 2, 1e-12);
	CHECK_NEAR(r2, 1, 1e-12);
	CHECK(hb_linfit(x, y, 1, &slope, &icept, &r2) != 0);
}

TEST(linfit_same_x)
{
	static const double x[] = { 4, 4, 4 }, y[] = { 1, 2, 3 };
	double slope, icept, r2;

	CHECK(hb_linfit(x, y, 3, &slope, &icept, &r2) != 0);
}

/*
 * Wilson at n = 100, z = 1.96: 0 failures gives [0, z^2 / (n + z^2)] =
 * [0, 0.036994]; all, [n / (n + z^2), 1] = [0.963006, 1]; half, the
 * centre 0.5 and half-width z sqrt(0.25 / n + z^2 / 4n^2) / (1 + z^2 / n)
 * = 0.096170 (statsmodels' proportion_confint(50, 100, method="wilson")
 * gives 0.4038, 0.5962).
 */
TEST(wilson_known)
{
	double lo, hi;

	CHECK(hb_wilson(0, 100, &lo, &hi) == 0);
	CHECK_NEAR(lo, 0, 0);
	CHECK_NEAR(hi, 0.036994, 1e-6);
	CHECK(hb_wilson(100, 100, &lo, &hi) == 0);
	CHECK_NEAR(lo, 0.963006, 1e-6);
	CHECK_NEAR(hi, 1, 0);
	CHECK(hb_wilson(50, 100, &lo, &hi) == 0);
	CHECK_NEAR(lo, 0.403830, 1e-5);
	CHECK_NEAR(hi, 0.596170, 1e-5);
	CHECK(hb_wilson(0, 0, &lo, &hi) != 0);
	CHECK(hb_wilson(3, 2, &lo, &hi) != 0);
}
