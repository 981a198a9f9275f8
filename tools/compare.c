// SPDX-License-Identifier: GPL-2.0
/*
 * One comparison: every metric of a baseline set against a candidate set,
 * the statistics, the Benjamini-Hochberg adjustment, the verdicts.
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

static struct hb_rounds rounds_of(const struct hb_metric *m)
{
	return (struct hb_rounds){ m->nrounds, (const double *const *)m->x,
				   m->n };
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

static double *pooled(const struct hb_metric *m, size_t *n)
{
	size_t r, k = 0;
	double *v;

	for (*n = 0, r = 0; r < m->nrounds; r++)
		*n += m->n[r];
	v = malloc((*n ? *n : 1) * sizeof(*v));
	for (r = 0; v && r < m->nrounds; r++) {
		memcpy(v + k, m->x[r], m->n[r] * sizeof(*v));
		k += m->n[r];
	}
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

/* Can both sides of @c be tested at all: values, and a cost? */
static bool testable(const struct hb_cmp *c)
{
	return c->b && c->c && c->b->state == HB_STATUS_OK &&
	       c->c->state == HB_STATUS_OK && c->b->nrounds && c->c->nrounds &&
	       strcmp(c->b->unit ? c->b->unit : "", "r2");
}

/* The fewest rounds a side whose per-round test can reach @alpha among @m. */
static size_t rounds_for_test(size_t m, double alpha)
{
	size_t n;

	for (n = 2; n < 64; n++)
		if (hb_mwu_min_p(n, n) * m <= alpha)
			return n;
	return 64;
}

/*
 * The statistics of one metric. Its verdict, when a test decides it, waits
 * for decide(): the p-values of all metrics are adjusted together first.
 * @ntests is the family's size: a per-round test whose smallest possible p,
 * times the family's size, cannot reach @alpha is not attempted.
 */
static void compare_one(struct hb_cmp *c, const struct hb_thresholds *th,
			const char *setting, double alpha, size_t ntests)
{
	const struct hb_metric *b = c->b, *k = c->c;
	struct hb_rounds rb, rc;
	double *xb = NULL, *xc = NULL;
	size_t nb, nc;
	struct hb_mwu mw;
	bool lower;

	c->bmed = c->cmed = c->ratio = c->change = NAN;
	c->lo = c->hi = c->p = c->p_adj = c->threshold = NAN;
	c->rounds_needed = NAN;
	c->tested = c->identical = c->open_bad = false;
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
			 w->state == HB_STATUS_FAILED ? "failed" : "incomplete",
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
	rb = rounds_of(b);
	rc = rounds_of(k);
	c->bmed = hb_rounds_median(&rb);
	c->cmed = hb_rounds_median(&rc);
	lower = b->dir == HB_LOWER_IS_BETTER;
	c->rule = th ? hb_threshold_rule(th, setting, b->id) : NULL;
	c->threshold = c->rule ? c->rule->percent : NAN;

	if (all_equal(b, k)) {
		c->verdict = HB_V_UNCHANGED;
		c->ratio = c->bmed != 0 ? 1 : NAN;
		c->change = 0;
		c->lo = c->hi = c->ratio;
		c->p = c->p_adj = 1;
		c->tested = c->identical = true;
		snprintf(c->reason, sizeof(c->reason), "identical values");
		return;
	}
	if (!(c->bmed > 0)) {
		c->verdict = HB_V_UNTESTED;
		snprintf(c->reason, sizeof(c->reason),
			 "baseline median %g: no ratio", c->bmed);
		return;
	}
	c->ratio = c->cmed / c->bmed;
	c->change = 100 * (lower ? 1 - c->ratio : c->ratio - 1);
	hb_bootstrap_ratio_ci(&rb, &rc, HB_RATIO_RESAMPLES, HB_BOOTSTRAP_SEED,
			      0.95, &c->lo, &c->hi);

	/*
	 * The test's unit: a headline's samples unless there are enough
	 * rounds for a test on the per-round medians to reach alpha; a
	 * derived or summary metric has one value per round anyway.
	 */
	if (b->kind == HB_KIND_HEADLINE &&
	    hb_mwu_min_p(b->nrounds, k->nrounds) * ntests > alpha) {
		c->basis = "samples";
		xb = pooled(b, &nb);
		xc = pooled(k, &nc);
	} else {
		c->basis = "rounds";
		xb = round_medians(b);
		xc = round_medians(k);
		nb = b->nrounds;
		nc = k->nrounds;
	}
	if (xb && xc && !hb_mannwhitneyu(xc, nc, xb, nb, &mw)) {
		c->p = mw.p;
		c->exact = mw.exact;
	}
	free(xb);
	free(xc);

	if (!strcmp(b->unit ? b->unit : "", "r2")) {
		c->verdict = HB_V_UNTESTED;
		snprintf(c->reason, sizeof(c->reason),
			 "fit quality, not a cost: not gated");
		return;
	}
	if (b->kind != HB_KIND_HEADLINE &&
	    hb_mwu_min_p(b->nrounds, k->nrounds) * ntests > alpha) {
		c->verdict = HB_V_UNTESTED;
		c->rounds_needed = rounds_for_test(ntests, alpha);
		snprintf(c->reason, sizeof(c->reason),
			 "one value per boot: %zu vs %zu rounds cannot reach q < %g among %zu tests (%g rounds a side can)",
			 b->nrounds, k->nrounds, alpha, ntests, c->rounds_needed);
		return;
	}
	c->tested = !isnan(c->p);
	c->verdict = HB_V_INCONCLUSIVE;
	c->open_bad = true;
	if (!c->tested)
		snprintf(c->reason, sizeof(c->reason), "no test possible");
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

/* The verdict of a tested metric, from its adjusted p (q) and its CI. */
static void decide(struct hb_cmp *c, double alpha, bool have_th,
		   const char *foreign)
{
	bool bad_ci, good_ci, sig, lower, within;
	double thr, t;
	char settle[96] = "";

	if (!c->tested || c->identical)
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
		/* compare without a thresholds file: significance only */
		thr = HB_THRESHOLD_FALLBACK;
	} else {
		thr = c->threshold;
	}
	t = thr / 100;
	sig = c->p_adj < alpha;
	bad_ci = lower ? c->lo > 1 : c->hi < 1;
	good_ci = lower ? c->hi < 1 : c->lo > 1;
	within = c->lo >= 1 - t && c->hi <= 1 + t;
	if (sig && c->change < -thr && bad_ci) {
		c->verdict = HB_V_REGRESSED;
		snprintf(c->reason, sizeof(c->reason),
			 "%+.1f%% beyond %g%%, p=%.2g (q %.2g), CI [%.3f, %.3f]",
			 c->change, thr, c->p, c->p_adj, c->lo, c->hi);
	} else if (sig && c->change > thr && good_ci) {
		c->verdict = HB_V_IMPROVED;
		snprintf(c->reason, sizeof(c->reason),
			 "%+.1f%% beyond %g%%, p=%.2g (q %.2g), CI [%.3f, %.3f]",
			 c->change, thr, c->p, c->p_adj, c->lo, c->hi);
	} else if (within) {
		c->verdict = HB_V_UNCHANGED;
		snprintf(c->reason, sizeof(c->reason),
			 "%+.1f%%, CI [%.3f, %.3f] within %g%%%s", c->change,
			 c->lo, c->hi, thr, sig ? " (significant, below the threshold)" : "");
	} else {
		c->verdict = HB_V_INCONCLUSIVE;
		c->open_bad = lower ? !(c->hi <= 1 + t) : !(c->lo >= 1 - t);
		c->rounds_needed = rounds_to_settle(c, t);
		if (!isnan(c->rounds_needed))
			snprintf(settle, sizeof(settle), "; about %g rounds a side would settle it",
				 c->rounds_needed);
		if (fabs(c->change) > thr && (bad_ci || good_ci))
			snprintf(c->reason, sizeof(c->reason),
				 "%+.1f%% beyond %g%%, CI [%.3f, %.3f], but not significant: q=%.2g >= %g%s",
				 c->change, thr, c->lo, c->hi, c->p_adj, alpha, settle);
		else
			snprintf(c->reason, sizeof(c->reason),
				 "%+.1f%%, CI [%.3f, %.3f] reaches beyond %g%%%s",
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
			 h->state == HB_STATUS_FAILED ? "failed" : "incomplete",
			 h->reason ? h->reason : "");
	}
}

static int cmp_by_p(const void *a, const void *b, void *p)
{
	double x = ((const double *)p)[*(const size_t *)a];
	double y = ((const double *)p)[*(const size_t *)b];

	return (x > y) - (x < y);
}

int hb_bh(const double *p, size_t n, double *adj)
{
	size_t *order = malloc((n ? n : 1) * sizeof(*order)), i;
	double run = 1;

	if (!order)
		return -1;
	for (i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), cmp_by_p, (void *)p);
	for (i = n; i-- > 0;) {
		run = fmin(run, (double)n / (i + 1) * p[order[i]]);
		adj[order[i]] = fmin(1, run);
	}
	free(order);
	return 0;
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

/*
 * Benjamini-Hochberg over every tested metric. Under an A/A comparison,
 * where nothing changed, it bounds the chance of any false significance at
 * alpha, as Holm's correction does; when a change moves several metrics
 * together (a per-page cost moves every range size), its step-up rule lets
 * them confirm each other where Holm would need each to clear alpha / m
 * alone (docs/compare.md).
 */
static int adjust(struct hb_comparison *out)
{
	double *p = malloc((out->n ? out->n : 1) * 2 * sizeof(*p));
	size_t i, m = 0;

	if (!p)
		return -1;
	for (i = 0; i < out->n; i++)
		if (out->m[i].tested)
			p[m++] = out->m[i].p;
	if (hb_bh(p, m, p + out->n)) {
		free(p);
		return -1;
	}
	/* every tested metric has its place in the family, identical or not */
	for (i = 0, m = 0; i < out->n; i++)
		if (out->m[i].tested) {
			double q = p[out->n + m++];

			out->m[i].p_adj = out->m[i].identical ? 1 : q;
		}
	free(p);
	return 0;
}

int hb_compare(const struct hb_set *base, const struct hb_set *cand,
	       const struct hb_thresholds *th, const char *mode, double alpha,
	       struct hb_comparison *out, char *err, size_t errlen)
{
	size_t i, k = 0, extra = 0, gn = 0;
	const struct hb_thresholds *rules;
	const char *foreign;
	double glog = 0;

	memset(out, 0, sizeof(*out));
	out->base = base;
	out->cand = cand;
	out->alpha = alpha;
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
	for (i = 0; i < out->n; i++)
		out->ntests += testable(&out->m[i]);
	for (i = 0; i < out->n; i++)
		compare_one(&out->m[i], rules, mode, alpha, out->ntests ? out->ntests : 1);
	if (adjust(out))
		return hb_err(err, errlen, "out of memory");
	for (i = 0; i < out->n; i++) {
		struct hb_cmp *c = &out->m[i];

		decide(c, alpha, th != NULL, foreign);
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
