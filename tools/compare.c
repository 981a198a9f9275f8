// SPDX-License-Identifier: GPL-2.0
/*
 * One comparison: every metric of a baseline set against a candidate set,
 * the statistics over boots, the verdicts (docs/compare.md).
 */
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


const char *hb_verdict_name(enum hb_verdict v)
{
	static const char *const names[] = {
		[HB_V_IMPROVED] = "improved", [HB_V_REGRESSED] = "regressed",
		[HB_V_UNCHANGED] = "unchanged",
		[HB_V_INCONCLUSIVE] = "inconclusive",
		[HB_V_UNSUPPORTED] = "unsupported",
		[HB_V_UNTESTED] = "untested", [HB_V_FAILED] = "failed",
		[HB_V_MISSING] = "missing",
	};

	return names[v];
}

/* The median of each round, for the test on boots rather than samples. */
static double *round_medians(const struct hb_metric *m)
{
	double *v = malloc(m->nrounds * sizeof(*v));
	size_t r;

	for (r = 0; v && r < m->nrounds; r++)
		v[r] = hb_median(m->x[r], m->n[r]);
	return v;
}

static bool all_equal(const struct hb_metric *a, const struct hb_metric *b)
{
	double v = a->x[0][0];
	size_t r, i;

	for (r = 0; r < a->nrounds; r++)
		for (i = 0; i < a->n[r]; i++)
			if (a->x[r][i] != v)
				return false;
	for (r = 0; r < b->nrounds; r++)
		for (i = 0; i < b->n[r]; i++)
			if (b->x[r][i] != v)
				return false;
	return true;
}

double hb_rule_floor(const char *setting, enum hb_kind kind)
{
	bool cost = kind == HB_KIND_HEADLINE;

	if (!strncmp(setting, "icount", 6))
		return cost ? HB_FLOOR_ICOUNT : HB_FLOOR_ICOUNT_OTHER;
	return cost ? HB_FLOOR_TIMING : HB_FLOOR_TIMING_OTHER;
}

double hb_rule_margin(const char *setting)
{
	return !strncmp(setting, "icount", 6) ? HB_MARGIN_ICOUNT : HB_MARGIN_TIMING;
}

/*
 * The 95% interval of median(cand rounds) / median(base rounds), a
 * percentile bootstrap that draws rounds, each one value: the boot is the
 * unit. With 3 rounds a side it is the range of the nine boot ratios.
 */
static int boot_ci(const double *vb, size_t nb, const double *vc, size_t nc,
		   double *lo, double *hi)
{
	const double *xb[64], *xc[64];
	size_t one[64], r;
	struct hb_rounds rb, rc;

	if (nb > 64 || nc > 64)
		return -1;
	for (r = 0; r < 64; r++)
		one[r] = 1;
	for (r = 0; r < nb; r++)
		xb[r] = &vb[r];
	for (r = 0; r < nc; r++)
		xc[r] = &vc[r];
	rb = (struct hb_rounds){ nb, xb, one };
	rc = (struct hb_rounds){ nc, xc, one };
	return hb_bootstrap_ratio_ci(&rb, &rc, HB_RATIO_RESAMPLES, HB_BOOTSTRAP_SEED,
				     0.95, lo, hi);
}

/*
 * The statistics of one metric: each side's value a round, their medians,
 * the ratio and its interval over boots. Its verdict waits for decide().
 */
static void compare_one(struct hb_cmp *c, const struct hb_thresholds *th,
			const char *setting)
{
	const struct hb_metric *b = c->b, *k = c->c;
	double *vb = NULL, *vc = NULL;
	bool lower;

	c->bmed = c->cmed = c->ratio = c->change = NAN;
	c->lo = c->hi = c->threshold = NAN;
	c->rounds_needed = NAN;
	c->decidable = c->identical = c->open_bad = false;
	c->rule = NULL;
	if (!b || !k) {
		c->verdict = HB_V_MISSING;
		snprintf(c->reason, sizeof(c->reason), "only in the %s",
			 b ? "baseline" : "candidate");
		return;
	}
	if (hb_status_rank(b->state) >= 2 || hb_status_rank(k->state) >= 2) {
		const struct hb_metric *w = hb_status_rank(b->state) >= 2 ? b : k;

		c->verdict = HB_V_FAILED;
		snprintf(c->reason, sizeof(c->reason), "%s %s: %s",
			 w == b ? "baseline" : "candidate",
			 hb_status_name(w->state),
			 w->reason ? w->reason : "");
		return;
	}
	if (b->state == HB_STATUS_UNSUPPORTED || k->state == HB_STATUS_UNSUPPORTED) {
		c->verdict = HB_V_UNSUPPORTED;
		if (b->state == k->state)
			snprintf(c->reason, sizeof(c->reason), "%s", b->reason);
		else
			snprintf(c->reason, sizeof(c->reason), "%s only: %s",
				 b->state != HB_STATUS_OK ? "baseline" : "candidate",
				 b->state != HB_STATUS_OK ? b->reason : k->reason);
		return;
	}
	if (!b->nrounds || !k->nrounds) {
		c->verdict = HB_V_UNTESTED;
		snprintf(c->reason, sizeof(c->reason), "no value in the %s",
			 b->nrounds ? "candidate" : "baseline");
		return;
	}
	vb = round_medians(b);
	vc = round_medians(k);
	if (!vb || !vc) {
		c->verdict = HB_V_UNTESTED;
		snprintf(c->reason, sizeof(c->reason), "out of memory");
		goto out;
	}
	c->bmed = hb_median(vb, b->nrounds);
	c->cmed = hb_median(vc, k->nrounds);
	lower = b->dir == HB_LOWER_IS_BETTER;
	c->rule = th ? hb_threshold_rule(th, setting, b->id) : NULL;
	c->threshold = c->rule ? fmax(c->rule->percent, hb_rule_floor(setting, b->kind)) : NAN;

	if (all_equal(b, k)) {
		c->verdict = HB_V_UNCHANGED;
		c->ratio = c->bmed != 0 ? 1 : NAN;
		c->change = 0;
		c->lo = c->hi = c->ratio;
		c->identical = true;
		snprintf(c->reason, sizeof(c->reason), "identical values");
		goto out;
	}
	if (!(c->bmed > 0)) {
		c->verdict = HB_V_UNTESTED;
		snprintf(c->reason, sizeof(c->reason),
			 "baseline median %g: no ratio", c->bmed);
		goto out;
	}
	c->ratio = c->cmed / c->bmed;
	c->change = 100 * (lower ? 1 - c->ratio : c->ratio - 1);
	if (boot_ci(vb, b->nrounds, vc, k->nrounds, &c->lo, &c->hi)) {
		c->verdict = HB_V_UNTESTED;
		snprintf(c->reason, sizeof(c->reason), "no interval: over 64 rounds");
		goto out;
	}
	/* shown with their change, never decided */
	if (!strcmp(b->unit ? b->unit : "", "r2")) {
		c->verdict = HB_V_UNTESTED;
		snprintf(c->reason, sizeof(c->reason),
			 "fit quality, not a cost: not gated");
		goto out;
	}
	if (b->diagnostic) {
		c->verdict = HB_V_UNTESTED;
		snprintf(c->reason, sizeof(c->reason),
			 "a diagnostic of the method, not a cost: not gated");
		goto out;
	}
	c->decidable = true;
	c->verdict = HB_V_INCONCLUSIVE;
	c->open_bad = true;
out:
	free(vb);
	free(vc);
}

/*
 * Rounds a side that would narrow the CI enough to decide: the half-width
 * scales as 1/sqrt(rounds), and must shrink below the distance from the
 * ratio to the nearest edge that decides (the threshold's, or 1 for a
 * change beyond it). NAN when the ratio sits on an edge.
 */
static double rounds_to_settle(const struct hb_cmp *c, double t)
{
	size_t r = c->b->nrounds < c->c->nrounds ? c->b->nrounds : c->c->nrounds;
	double h = (c->hi - c->lo) / 2, g;

	if (fabs(c->ratio - 1) <= t)
		g = fmin(c->ratio - (1 - t), (1 + t) - c->ratio);
	else
		g = fabs(c->ratio - 1);
	if (!(g > 1e-6) || !isfinite(h))
		return NAN;
	return fmin(1000, fmax(r + 1, ceil(r * (h / g) * (h / g))));
}

/*
 * The verdict of a decidable metric: an effect beyond the rule whose
 * interval over boots excludes 1 is a change; an interval within the rule
 * is no change, and so is a tail's change within it; anything else is
 * undecided.
 */
static void decide(struct hb_cmp *c, bool have_th, const char *foreign)
{
	bool bad_ci, good_ci, lower, within;
	double thr, t;
	char settle[96] = "";

	if (!c->decidable || c->identical)
		return;
	lower = c->b->dir == HB_LOWER_IS_BETTER;
	if (isnan(c->threshold) || (c->rule && c->rule->catchall)) {
		if (have_th) {
			c->verdict = HB_V_INCONCLUSIVE;
			c->open_bad = true;
			if (foreign)
				snprintf(c->reason, sizeof(c->reason),
					 "%+.1f%%: the thresholds are another runner's noise (timed regions %s)",
					 c->change, foreign);
			else if (c->rule)
				snprintf(c->reason, sizeof(c->reason),
					 "%+.1f%%: no measured threshold, only the catch-all rule '%s %s' (line %d)",
					 c->change, c->rule->mode, c->rule->pattern, c->rule->line);
			else
				snprintf(c->reason, sizeof(c->reason),
					 "%+.1f%%: no measured threshold for this metric",
					 c->change);
			return;
		}
		/* compare without a thresholds file: the fallback effect */
		thr = HB_THRESHOLD_FALLBACK;
	} else {
		thr = c->threshold;
	}
	t = thr / 100;
	bad_ci = lower ? c->lo > 1 : c->hi < 1;
	good_ci = lower ? c->hi < 1 : c->lo > 1;
	within = c->lo >= 1 - t && c->hi <= 1 + t;
	if (c->change < -thr && bad_ci) {
		c->verdict = HB_V_REGRESSED;
		snprintf(c->reason, sizeof(c->reason), "%+.2f%% beyond %g%%, CI [%.4f, %.4f]",
			 c->change, thr, c->lo, c->hi);
	} else if (c->change > thr && good_ci) {
		c->verdict = HB_V_IMPROVED;
		snprintf(c->reason, sizeof(c->reason), "%+.2f%% beyond %g%%, CI [%.4f, %.4f]",
			 c->change, thr, c->lo, c->hi);
	} else if (within) {
		c->verdict = HB_V_UNCHANGED;
		snprintf(c->reason, sizeof(c->reason), "%+.2f%%, CI [%.4f, %.4f] within %g%%",
			 c->change, c->lo, c->hi, thr);
	} else if (c->b->tail && fabs(c->change) <= thr) {
		/* a tail steps by boot: one stepped boot widens CI, not the change */
		c->verdict = HB_V_UNCHANGED;
		snprintf(c->reason, sizeof(c->reason),
			 "%+.2f%% within %g%% (a tail: CI [%.4f, %.4f] not decisive)",
			 c->change, thr, c->lo, c->hi);
	} else {
		c->verdict = HB_V_INCONCLUSIVE;
		c->open_bad = lower ? !(c->hi <= 1 + t) : !(c->lo >= 1 - t);
		c->rounds_needed = rounds_to_settle(c, t);
		if (!isnan(c->rounds_needed))
			snprintf(settle, sizeof(settle), "; about %g rounds a side would settle it",
				 c->rounds_needed);
		if (fabs(c->change) > thr)
			snprintf(c->reason, sizeof(c->reason),
				 "%+.2f%% beyond %g%%, but CI [%.4f, %.4f] over boots holds 1%s",
				 c->change, thr, c->lo, c->hi, settle);
		else
			snprintf(c->reason, sizeof(c->reason),
				 "%+.2f%%, CI [%.4f, %.4f] reaches beyond %g%%%s",
				 c->change, c->lo, c->hi, thr, settle);
	}
}

/*
 * A derived metric exists only where its point is ok: on the side where the
 * point is unsupported or failed it is not missing, it shares that fate.
 */
static const struct hb_metric *point_headline(const struct hb_set *s,
					      const struct hb_metric *m)
{
	size_t i;

	for (i = 0; i < s->nmetrics; i++)
		if (s->metrics[i].kind == HB_KIND_HEADLINE &&
		    !strcmp(s->metrics[i].bench, m->bench) &&
		    !strcmp(s->metrics[i].params, m->params))
			return &s->metrics[i];
	return NULL;
}

static void missing_derived(struct hb_cmp *c, const struct hb_set *base,
			    const struct hb_set *cand)
{
	const struct hb_metric *have = c->b ? c->b : c->c;
	const struct hb_metric *h = point_headline(c->b ? cand : base, have);
	const char *side = c->b ? "candidate" : "baseline";

	if (have->kind != HB_KIND_DERIVED || !h || h->state == HB_STATUS_OK)
		return;
	if (h->state == HB_STATUS_UNSUPPORTED) {
		c->verdict = HB_V_UNSUPPORTED;
		snprintf(c->reason, sizeof(c->reason), "%s only: %s", side,
			 h->reason ? h->reason : "");
	} else {
		c->verdict = HB_V_FAILED;
		snprintf(c->reason, sizeof(c->reason), "%s %s: %s", side,
			 hb_status_name(h->state),
			 h->reason ? h->reason : "");
	}
}

/*
 * Rounds of different hmmbench commits, or of a tree with uncommitted
 * changes, may measure differently: said, not refused.
 */
static void version_note(struct hb_comparison *out, const struct hb_set *base,
			 const struct hb_set *cand)
{
	bool dirty = strstr(base->versions, "dirty") || strstr(cand->versions, "dirty");
	size_t n = 0;

	out->note[0] = '\0';
	if (strcmp(base->versions, cand->versions) || strchr(base->versions, ',') || dirty)
		n = snprintf(out->note, sizeof(out->note), "hmmbench %s: baseline %s, candidate %s%s",
			     strcmp(base->versions, cand->versions) || strchr(base->versions, ',') ?
			     "versions differ" : "version", base->versions, cand->versions,
			     dirty ? " (-dirty: built from a tree with uncommitted changes)" : "");
	if (strcmp(base->hosts, cand->hosts) && n < sizeof(out->note))
		snprintf(out->note + n, sizeof(out->note) - n, "%shosts differ: baseline on %s, candidate on %s",
			 n ? "; " : "", base->hosts[0] ? base->hosts : "an unknown host",
			 cand->hosts[0] ? cand->hosts : "an unknown host");
}

int hb_compare(const struct hb_set *base, const struct hb_set *cand,
	       const struct hb_thresholds *th, const char *mode,
	       struct hb_comparison *out, char *err, size_t errlen)
{
	size_t i, k = 0, extra = 0, gn = 0;
	const struct hb_thresholds *rules;
	const char *foreign;
	double glog = 0;

	memset(out, 0, sizeof(*out));
	out->base = base;
	out->cand = cand;
	for (i = 0; i < cand->nmetrics; i++)
		if (!hb_set_find(base, cand->metrics[i].id))
			extra++;
	out->m = calloc(base->nmetrics + extra, sizeof(*out->m));
	if (!out->m)
		return hb_err(err, errlen, "out of memory");
	if (!mode)
		mode = base->setting;
	/* another runner's rules decide nothing (decide() says why) */
	foreign = hb_thresholds_foreign(th, mode, base);
	rules = foreign ? NULL : th;
	for (i = 0; i < base->nmetrics; i++) {
		out->m[k].b = &base->metrics[i];
		out->m[k++].c = hb_set_find(cand, base->metrics[i].id);
	}
	for (i = 0; i < cand->nmetrics; i++)
		if (!hb_set_find(base, cand->metrics[i].id))
			out->m[k++].c = &cand->metrics[i];
	out->n = k;
	for (i = 0; i < out->n; i++) {
		struct hb_cmp *c = &out->m[i];

		compare_one(c, rules, mode);
		decide(c, th != NULL, foreign);
		if (c->verdict == HB_V_MISSING)
			missing_derived(c, base, cand);
		out->counts[c->verdict]++;
		if (c->b && c->b->kind == HB_KIND_HEADLINE && c->ratio > 0 &&
		    c->verdict <= HB_V_INCONCLUSIVE) {
			glog += log(c->b->dir == HB_LOWER_IS_BETTER ?
				    1 / c->ratio : c->ratio);
			gn++;
		}
	}
	out->geomean = gn ? 100 * (exp(glog / gn) - 1) : NAN;
	out->geomean_n = gn;

	version_note(out, base, cand);
	if (foreign) {
		k = strlen(out->note);
		snprintf(out->note + k, sizeof(out->note) - k,
			 "%sthe %s thresholds were measured with timed regions %s, these runs' are %s: none applies (scripts/aa with this runner measures its own)",
			 k ? "; " : "", mode, foreign, base->regions);
	}
	if (hb_profile_diffs(out, rules, mode))
		return hb_err(err, errlen, "out of memory");
	if (!hb_sets_incomparable(base, cand, out->problem, sizeof(out->problem)) &&
	    out->counts[HB_V_MISSING]) {
		for (i = 0; i < out->n; i++)
			if (out->m[i].verdict == HB_V_MISSING)
				break;
		snprintf(out->problem, sizeof(out->problem),
			 "parameter sets differ: %zu metric(s) on one side only, e.g. %s %.40s",
			 out->counts[HB_V_MISSING],
			 (out->m[i].b ? out->m[i].b : out->m[i].c)->id,
			 out->m[i].reason);
	}
	return 0;
}

const char *hb_sets_incomparable(const struct hb_set *base,
				 const struct hb_set *cand, char *buf,
				 size_t len)
{
	if (!hb_same(base->time_unit, cand->time_unit) ||
	    !hb_same(base->mode, cand->mode))
		snprintf(buf, len, "modes differ: baseline %s (%s), candidate %s (%s)",
			 base->mode, base->time_unit, cand->mode, cand->time_unit);
	else if (strcmp(base->regions, cand->regions))
		snprintf(buf, len, "timed regions differ: baseline %s, candidate %s",
			 base->regions, cand->regions);
	else
		return NULL;
	return buf;
}

void hb_comparison_free(struct hb_comparison *cmp)
{
	free(cmp->m);
	free(cmp->profiles);
	memset(cmp, 0, sizeof(*cmp));
}
