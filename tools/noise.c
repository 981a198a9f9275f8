// SPDX-License-Identifier: GPL-2.0
/* A/A noise: how far apart two groups of one kernel's rounds can fall. */
#define _GNU_SOURCE	/* asprintf */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compare.h"


static double binomial(size_t n, size_t k)
{
	double c = 1;
	size_t i;

	for (i = 1; i <= k; i++)
		c = c * (n - k + i) / i;
	return c;
}

/* the next larger integer with the same number of set bits (Gosper) */
static uint64_t next_combination(uint64_t v)
{
	uint64_t t = v | (v - 1);

	return (t + 1) | (((~t & -~t) - 1) >> (__builtin_ctzll(v) + 1));
}

static double split_ratio(uint64_t mask, size_t total, const double *const *x,
			  const size_t *n)
{
	const double *xs[64], *xt[64];
	size_t ns[64], nt[64], r, a = 0, b = 0;
	struct hb_rounds s, t;
	double ms, mt;

	for (r = 0; r < total; r++) {
		if (mask >> r & 1) {
			xs[a] = x[r];
			ns[a++] = n[r];
		} else {
			xt[b] = x[r];
			nt[b++] = n[r];
		}
	}
	s = (struct hb_rounds){ a, xs, ns };
	t = (struct hb_rounds){ b, xt, nt };
	ms = hb_rounds_median(&s);
	mt = hb_rounds_median(&t);
	return ms > 0 ? fabs(mt / ms - 1) : NAN;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double hb_aa_noise(const struct hb_metric *a, const struct hb_metric *b,
		   double *typical, size_t *splits)
{
	size_t total = a->nrounds + b->nrounds, k = a->nrounds, r, i, got = 0;
	const double *x[64];
	size_t n[64];
	double v[HB_NOISE_SPLITS], rv[64], worst = NAN;
	uint64_t mask, seed = HB_BOOTSTRAP_SEED;

	*typical = NAN;
	*splits = 0;
	if (!a->nrounds || !b->nrounds || total > 64)
		return NAN;
	/* a round is one value, its median: the boot is the unit */
	for (r = 0; r < total; r++) {
		rv[r] = r < k ? hb_median(a->x[r], a->n[r]) : hb_median(b->x[r - k], b->n[r - k]);
		x[r] = &rv[r];
		n[r] = 1;
	}
	if (total < 64 && binomial(total, k) <= HB_NOISE_SPLITS) {
		/* every split: the k-subsets of the rounds, in order */
		for (mask = (1ULL << k) - 1; !(mask >> total);
		     mask = next_combination(mask)) {
			v[got] = split_ratio(mask, total, x, n);
			if (!isnan(v[got]))
				got++;
		}
	} else {
		for (i = 0; i < HB_NOISE_SPLITS; i++) {
			size_t idx[64];

			/* a random k-subset: the first k of a partial shuffle */
			for (r = 0; r < total; r++)
				idx[r] = r;
			for (mask = 0, r = 0; r < k; r++) {
				size_t j = r + hb_rand(&seed) % (total - r), t = idx[r];

				idx[r] = idx[j];
				idx[j] = t;
				mask |= 1ULL << idx[r];
			}
			v[got] = split_ratio(mask, total, x, n);
			if (!isnan(v[got]))
				got++;
		}
	}
	if (!got)
		return NAN;
	qsort(v, got, sizeof(*v), cmp_dbl);
	worst = v[got - 1];
	*typical = hb_percentile_sorted(v, got, 0.5);
	*splits = got;
	return worst;
}

/*
 * A threshold is the largest A/A noise of its metric times the margin,
 * rounded up to the next tenth of a percent, never below the setting's
 * floor (hb_rule_floor): anything an A/A pair produced must not fail the
 * gate, nor what the next campaign is likely to. A profile rule is in
 * percentage points of a share, which the floor does not speak of.
 */
static double round_up_tenth(double pct)
{
	return fmax(0.1, ceil(pct * 10 - 1e-9) / 10);
}

static struct hb_noise_rule *rule_of(struct hb_noise *z, const char *id)
{
	struct hb_noise_rule *grown;
	size_t i;

	for (i = 0; i < z->nrules; i++)
		if (!strcmp(z->rules[i].id, id))
			return &z->rules[i];
	grown = realloc(z->rules, (z->nrules + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	z->rules = grown;
	memset(&z->rules[z->nrules], 0, sizeof(*grown));
	for (i = 0; i < HB_NOISE_MAX_PAIRS; i++)
		z->rules[z->nrules].of_pair[i] = NAN;
	z->rules[z->nrules].id = strdup(id);
	return z->rules[z->nrules].id ? &z->rules[z->nrules++] : NULL;
}

/* Records pair @p's @noise under rule @id: 0, or -1 with the reason in @err. */
static int add_noise(struct hb_noise *z, size_t p, const char *id, enum hb_kind kind,
		     double noise, char *err, size_t len)
{
	struct hb_noise_rule *r = rule_of(z, id);

	if (r)
		r->kind = kind;
	if (!r || p >= HB_NOISE_MAX_PAIRS)
		return hb_err(err, len, r ? "more than %d pairs" : "out of memory",
			      HB_NOISE_MAX_PAIRS);
	/* one value per pair, or each pair's subsets would not be its own */
	if (!isnan(r->of_pair[p]))
		return hb_err(err, len, "metric %s twice in pair %zu", id, p + 1);
	r->of_pair[p] = noise;
	return 0;
}

/* a rule's threshold from its pairs' noise */
static void finish_rule(struct hb_noise_rule *r, double margin, const char *setting)
{
	double v[HB_NOISE_MAX_PAIRS];
	size_t p, n = 0;

	for (p = 0; p < HB_NOISE_MAX_PAIRS; p++)
		if (!isnan(r->of_pair[p]))
			v[n++] = r->of_pair[p];
	qsort(v, n, sizeof(double), cmp_dbl);
	r->pairs = n;
	r->max = v[n - 1];
	r->median = hb_percentile_sorted(v, n, 0.5);
	r->percent = round_up_tenth(r->max * margin);
	if (!hb_is_profile_rule(r->id))
		r->percent = fmax(r->percent, hb_rule_floor(setting, r->kind));
}

int hb_noise_of_pairs(struct hb_noise *z, const char *const *args, size_t npairs,
		      double margin,
		      bool mix_hosts,
		      int (*run_line)(char *, size_t, const struct hb_set *),
		      char *run, size_t runlen, char *err, size_t len)
{
	struct hb_set a, b;
	struct hb_comparison cmp;
	char why[1024];
	const char *unfit;
	size_t p, i, k;
	int ret = -1;

	memset(z, 0, sizeof(*z));
	z->npairs = npairs;
	z->margin = margin;
	for (p = 0; p < npairs; p++) {
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		if (hb_set_load(&a, args[2 * p], err, len) ||
		    hb_set_load(&b, args[2 * p + 1], err, len))
			goto out_sets;
		if ((unfit = hb_set_unfit(&a, why, sizeof(why))) ||
		    (unfit = hb_set_unfit(&b, why, sizeof(why)))) {
			hb_err(err, len, "incomplete result: %s", unfit);
			goto out_sets;
		}
		if ((unfit = hb_set_mixed_hosts(&a, mix_hosts, why, sizeof(why))) ||
		    (unfit = hb_set_mixed_hosts(&b, mix_hosts, why, sizeof(why)))) {
			hb_err(err, len, "%s", unfit);
			goto out_sets;
		}
		if (!hb_same(a.setting, b.setting) || !hb_same(a.time_unit, b.time_unit) ||
		    !hb_same(hb_str(a.context, "kernel_version"), hb_str(b.context, "kernel_version")) ||
		    !hb_same(a.kernel, b.kernel) ||
		    (p && (!hb_same(z->setting, a.setting) || !hb_same(z->kernel, a.kernel)))) {
			hb_err(err, len, "A/A pairs are one kernel in one setting: %s is %s %s, %s is %s %s%s%s",
			       a.label, a.kernel, a.setting, b.label, b.kernel, b.setting,
			       p ? ", the first pair " : "", p ? z->kernel : "");
			goto out_sets;
		}
		if (!p) {
			snprintf(z->setting, sizeof(z->setting), "%s", a.setting);
			snprintf(z->kernel, sizeof(z->kernel), "%s", a.kernel);
			z->rounds[0] = a.nrounds;
			z->rounds[1] = b.nrounds;
			if (run_line(run, runlen, &a)) {
				/* cut, it would lose the regions that name the rules' runner */
				hb_err(err, len, "%s: its run options are longer than %zu characters",
				       a.label, runlen - 1);
				goto out_sets;
			}
		}
		hb_compare(&a, &b, NULL, a.setting, &cmp, err, len);
		if (cmp.counts[HB_V_MISSING]) {
			hb_err(err, len, "%s", cmp.problem);
			hb_comparison_free(&cmp);
			goto out_sets;
		}
		for (i = 0; i < cmp.n; i++) {
			const struct hb_cmp *c = &cmp.m[i];
			double noise, typical;
			size_t ns;

			if (!c->b || !c->c || c->b->state != HB_STATUS_OK ||
			    c->c->state != HB_STATUS_OK || c->b->diagnostic ||
			    !strcmp(c->b->unit ? c->b->unit : "", "r2"))
				continue;
			noise = 100 * hb_aa_noise(c->b, c->c, &typical, &ns);
			if (!isfinite(noise))
				continue;
			/*
			 * The gate says unchanged only when the CI lies within
			 * the threshold: an A/A pair's CI must, too.
			 */
			if (isfinite(c->lo) && isfinite(c->hi))
				noise = fmax(noise, 100 * fmax(1 - c->lo, c->hi - 1));
			if (add_noise(z, p, c->b->id, c->b->kind, noise, err, len)) {
				hb_comparison_free(&cmp);
				goto out_sets;
			}
		}
		/* a profile's noise between two boots, in percentage points */
		for (i = 0; i < cmp.nprofiles; i++) {
			const char *bench = cmp.profiles[i].bench;
			double spread = hb_profile_spread(a.profile, b.profile, bench);
			char id[128];

			if (isfinite(spread) &&
			    add_noise(z, p, hb_profile_rule_id(id, sizeof(id), bench),
				      HB_KIND_DERIVED, spread, err, len)) {
				hb_comparison_free(&cmp);
				goto out_sets;
			}
		}
		hb_comparison_free(&cmp);
		hb_set_free(&a);
		hb_set_free(&b);
	}
	if (!(z->margin > 0))
		z->margin = hb_rule_margin(z->setting);
	for (k = 0; k < z->nrules; k++)
		finish_rule(&z->rules[k], z->margin, z->setting);
	return 0;
out_sets:
	hb_set_free(&a);
	hb_set_free(&b);
	return ret;
}

int hb_noise_subset(struct hb_noise *dst, const struct hb_noise *z, size_t pair,
		    bool only)
{
	size_t k, p;

	*dst = *z;
	dst->npairs = only ? 1 : z->npairs - 1;
	dst->nrules = 0;
	dst->rules = calloc(z->nrules ? z->nrules : 1, sizeof(*dst->rules));
	if (!dst->rules)
		return -1;
	for (k = 0; k < z->nrules; k++) {
		const struct hb_noise_rule *r = &z->rules[k];
		struct hb_noise_rule *d = &dst->rules[dst->nrules];
		size_t n = 0;

		for (p = 0; p < HB_NOISE_MAX_PAIRS; p++) {
			d->of_pair[p] = NAN;
			if ((p == pair) != only || isnan(r->of_pair[p]))
				continue;
			d->of_pair[p] = r->of_pair[p];
			n++;
		}
		if (!n)
			continue;
		d->id = strdup(r->id);
		d->kind = r->kind;
		if (!d->id) {
			hb_noise_free(dst);
			return -1;
		}
		finish_rule(d, z->margin, z->setting);
		dst->nrules++;
	}
	return 0;
}

void hb_noise_free(struct hb_noise *z)
{
	size_t i;

	for (i = 0; i < z->nrules; i++)
		free(z->rules[i].id);
	free(z->rules);
	memset(z, 0, sizeof(*z));
}
