// SPDX-License-Identifier: GPL-2.0
/*
 * Mann-Whitney U and the bootstrap of the ratio against reference values
 * that tests/fixtures/compare/gen-reference.py computed once with scipy and
 * numpy (see reference.txt's first line for the versions).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "unit.h"

#define MAXV	512
#define MAXR	8

struct set {
	size_t nrounds, n[MAXR];
	double v[MAXR][MAXV];
	const double *x[MAXR];
};

/* "1,2,3;4,5" into rounds */
static void parse_rounds(const char *s, struct set *st)
{
	char *dup = strdup(s), *r, *rs, *v, *vs;

	st->nrounds = 0;
	for (r = strtok_r(dup, ";", &rs); r && st->nrounds < MAXR;
	     r = strtok_r(NULL, ";", &rs)) {
		size_t k = st->nrounds++;

		st->n[k] = 0;
		for (v = strtok_r(r, ",", &vs); v && st->n[k] < MAXV;
		     v = strtok_r(NULL, ",", &vs))
			st->v[k][st->n[k]++] = strtod(v, NULL);
		st->x[k] = st->v[k];
	}
	free(dup);
}

/* the value of "key=" in a line of space-separated key=value words */
static const char *field(const char *line, const char *key, char *buf,
			 size_t len)
{
	size_t kl = strlen(key);
	const char *p = line, *end;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[kl] == '=') {
			p += kl + 1;
			end = strchr(p, ' ');
			if (!end)
				end = p + strlen(p);
			if ((size_t)(end - p) >= len)
				return NULL;
			memcpy(buf, p, end - p);
			buf[end - p] = '\0';
			return buf;
		}
		p += kl;
	}
	return NULL;
}

static FILE *open_reference(void)
{
	const char *dir = getenv("HMMBENCH_FIXTURES");
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/compare/reference.txt",
		 dir ? dir : "../tests/fixtures");
	f = fopen(path, "r");
	if (!f)
		printf("# cannot open %s\n", path);
	return f;
}

static char *getbig(char *line, size_t len, FILE *f, const char *kind)
{
	size_t kl = strlen(kind);

	while (fgets(line, len, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, kind, kl) && line[kl] == ' ')
			return line;
	}
	return NULL;
}

TEST(bootstrap_ratio_matches_reference)
{
	static char line[65536], buf[32768];
	static struct set b, c;
	int cases = 0;
	FILE *f = open_reference();

	if (!CHECK(f))
		return;
	while (getbig(line, sizeof(line), f, "boot")) {
		struct hb_rounds rb, rc;
		double lo, hi, wlo, whi;

		parse_rounds(field(line, "base", buf, sizeof(buf)), &b);
		parse_rounds(field(line, "cand", buf, sizeof(buf)), &c);
		wlo = strtod(field(line, "lo", buf, sizeof(buf)), NULL);
		whi = strtod(field(line, "hi", buf, sizeof(buf)), NULL);
		rb = (struct hb_rounds){ b.nrounds, b.x, b.n };
		rc = (struct hb_rounds){ c.nrounds, c.x, c.n };
		if (!CHECK(hb_bootstrap_ratio_ci(&rb, &rc, HB_RATIO_RESAMPLES,
						 HB_BOOTSTRAP_SEED, 0.95,
						 &lo, &hi) == 0))
			continue;
		CHECK_NEAR(lo, wlo, 1e-12);
		CHECK_NEAR(hi, whi, 1e-12);
		cases++;
	}
	fclose(f);
	CHECK(cases >= 4);
}

/* scipy.stats.bootstrap draws its own random numbers: agree within tol */
TEST(bootstrap_ratio_agrees_with_scipy_bootstrap)
{
	static char line[65536], buf[32768];
	static struct set b, c;
	FILE *f = open_reference();
	struct hb_rounds rb, rc;
	double lo, hi, wlo, whi, tol;

	if (!CHECK(f))
		return;
	if (CHECK(getbig(line, sizeof(line), f, "scipyboot"))) {
		parse_rounds(field(line, "base", buf, sizeof(buf)), &b);
		parse_rounds(field(line, "cand", buf, sizeof(buf)), &c);
		wlo = strtod(field(line, "lo", buf, sizeof(buf)), NULL);
		whi = strtod(field(line, "hi", buf, sizeof(buf)), NULL);
		tol = strtod(field(line, "tol", buf, sizeof(buf)), NULL);
		rb = (struct hb_rounds){ b.nrounds, b.x, b.n };
		rc = (struct hb_rounds){ c.nrounds, c.x, c.n };
		CHECK(hb_bootstrap_ratio_ci(&rb, &rc, HB_RATIO_RESAMPLES,
					    HB_BOOTSTRAP_SEED, 0.95, &lo, &hi) == 0);
		CHECK_NEAR(lo, wlo, tol);
		CHECK_NEAR(hi, whi, tol);
	}
	fclose(f);
}

/* 2 / C(n, k): 5 vs 5 rounds is the least that reaches p < 0.01 */

TEST(rounds_median_pools)
{
	static const double r0[] = { 1, 9 }, r1[] = { 5 }, r2[] = { 3, 7, 100 };
	const double *x[] = { r0, r1, r2 };
	size_t n[] = { 2, 1, 3 };
	struct hb_rounds s = { 3, x, n };

	CHECK_NEAR(hb_rounds_median(&s), 6, 0);	/* 1 3 5 7 9 100 */
	CHECK_NEAR(hb_median(r2, 3), 7, 0);
	CHECK(isnan(hb_median(r2, 0)));
}
