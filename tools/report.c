// SPDX-License-Identifier: GPL-2.0
/* Text, Markdown and JSON reports of a comparison. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* Enough digits to see a 1% change, no exponent for everyday sizes. */
const char *report_num(char *buf, size_t len, double v)
{
	double a = fabs(v);

	if (isnan(v))
		snprintf(buf, len, "-");
	else if (a >= 1e9)
		snprintf(buf, len, "%.4g", v);
	else if (a >= 1000)
		snprintf(buf, len, "%.0f", v);
	else if (a >= 10)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.3g", v);
	return buf;
}

const char *report_unit_word(const struct hb_set *s)
{
	return strcmp(s->time_unit, "ns") ? "guest instructions" : "ns";
}

/* Does @key take more than one value among @bench's metrics in @s? */
static bool param_varies(const struct hb_set *s, const char *bench,
			 const char *key)
{
	const json_t *first = NULL, *v;
	size_t i;

	for (i = 0; i < s->nmetrics; i++) {
		if (strcmp(s->metrics[i].bench, bench))
			continue;
		v = json_object_get(s->metrics[i].params_obj, key);
		if (!v)
			continue;
		if (!first)
			first = v;
		else if (!json_equal(first, v))
			return true;
	}
	return false;
}

/* name plus the params that tell this point from its neighbours */
const char *report_label(char *buf, size_t len, const struct hb_set *s,
			 const struct hb_metric *m)
{
	const char *key;
	json_t *v;
	size_t n;

	n = snprintf(buf, len, "%s", m->name);
	json_object_foreach((json_t *)m->params_obj, key, v) {
		if (n >= len || !param_varies(s, m->bench, key))
			continue;
		if (json_is_string(v))
			n += snprintf(buf + n, len - n, " %s=%s", key,
				      json_string_value(v));
		else
			n += snprintf(buf + n, len - n, " %s=%lld", key,
				      (long long)json_integer_value(v));
	}
	return buf;
}

/* The params every metric of @bench shares, shown once in its heading. */
static void constant_params(char *buf, size_t len, const struct hb_set *s,
			    const char *bench)
{
	const struct hb_metric *m = NULL;
	const char *key;
	size_t i, n = 0;
	json_t *v;

	buf[0] = '\0';
	for (i = 0; i < s->nmetrics && !m; i++)
		if (!strcmp(s->metrics[i].bench, bench))
			m = &s->metrics[i];
	if (!m)
		return;
	json_object_foreach((json_t *)m->params_obj, key, v) {
		if (n >= len || param_varies(s, bench, key))
			continue;
		if (json_is_string(v))
			n += snprintf(buf + n, len - n, "%s%s=%s", n ? " " : "",
				      key, json_string_value(v));
		else
			n += snprintf(buf + n, len - n, "%s%s=%lld", n ? " " : "",
				      key, (long long)json_integer_value(v));
	}
}

bool report_counter_shown(const struct hb_cmp *c, const char *ev,
			  double b, double k)
{
	if (isnan(b) || isnan(k))
		return false;
	if (c->verdict == HB_V_REGRESSED || c->verdict == HB_V_IMPROVED)
		return b != 0 || k != 0;
	/* task-clock is the timing again: only beside a verdict */
	if (!strcmp(ev, "task-clock"))
		return false;
	return fabs(k - b) >= 0.01 && fabs(k - b) >= 0.05 * fabs(b);
}

static double counter(const struct hb_metric *m, const char *ev)
{
	json_t *v = m ? json_object_get(m->counters, ev) : NULL;

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const struct hb_metric *any_side(const struct hb_cmp *c)
{
	return c->b ? c->b : c->c;
}

static const struct hb_set *label_set(const struct hb_comparison *cmp,
				      const struct hb_cmp *c)
{
	return c->b ? cmp->base : cmp->cand;
}

static const char *kind_name(enum hb_kind k)
{
	return k == HB_KIND_HEADLINE ? "headline" :
		k == HB_KIND_DERIVED ? "derived" : "summary";
}

static void set_line(FILE *f, const char *what, const struct hb_set *s)
{
	fprintf(f, "%-10s %s: %zu round%s, kernel %s, mode %s (%s)", what,
		s->label, s->nrounds, s->nrounds == 1 ? "" : "s", s->kernel,
		s->mode, s->time_unit);
	if (s->apart)
		fprintf(f, "; %zu of %zu samples set apart, interrupted", s->apart, s->samples);
	if (s->back)
		fprintf(f, "; %zu interrupted samples taken back (regions spanning ticks, or few kept)",
			s->back);
	fputc('\n', f);
}

const char *report_rule_text(char *buf, size_t len, const struct report *r)
{
	snprintf(buf, len, "The boot is the unit: a metric's value a round, a side's median of them. "
		 "regressed/improved: a change beyond the metric's rule (%s, setting %s, never below %g%% for a per-op cost, %g%% for other metrics) "
		 "whose 95%% bootstrap interval of candidate/baseline over boots excludes 1; "
		 "unchanged: the interval lies within the rule; inconclusive: neither "
		 "(more rounds would settle it). change: positive is better. See docs/compare.md.",
		 r->thresholds ? r->thresholds : "no thresholds file: 1%", r->th_mode,
		 hb_rule_floor(r->th_mode, HB_KIND_HEADLINE),
		 hb_rule_floor(r->th_mode, HB_KIND_DERIVED));
	return buf;
}

static void rules(FILE *f, const struct report *r, const char *pre)
{
	char text[768], *w, *save;
	size_t col = 0;

	/* wrapped at about 100 columns */
	report_rule_text(text, sizeof(text), r);
	for (w = strtok_r(text, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (col && col + 1 + strlen(w) > 100) {
			fputc('\n', f);
			col = 0;
		}
		col += fprintf(f, "%s%s", col ? " " : pre, w);
	}
	fputc('\n', f);
}

/*
 * The rows a reader acts on, before the tables: inconclusive ones (more
 * rounds would settle them), then regressed ones.
 */
static void attention(FILE *f, const struct hb_comparison *cmp, bool md)
{
	static const enum hb_verdict order[] = { HB_V_INCONCLUSIVE, HB_V_REGRESSED };
	size_t i, k;

	for (k = 0; k < ARRAY_SIZE(order); k++) {
		if (!cmp->counts[order[k]])
			continue;
		fprintf(f, md ? "\n**%s (%zu):**\n\n" : "\n%s (%zu):\n", order[k] == HB_V_REGRESSED ?
			"Regressed" : "Inconclusive, first", cmp->counts[order[k]]);
		for (i = 0; i < cmp->n; i++) {
			const struct hb_cmp *c = &cmp->m[i];

			if (c->verdict != order[k])
				continue;
			fprintf(f, md ? "- `%s`: %s\n" : "  %s: %s\n", any_side(c)->id, c->reason);
		}
	}
}

static const char *ci_str(char *buf, size_t len, const struct hb_cmp *c)
{
	if (isnan(c->lo))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "[%.3f, %.3f]", c->lo, c->hi);
	return buf;
}

/* @v in @fmt, or "-" when it is NaN (no value) */
static const char *num_str(char *buf, size_t len, const char *fmt, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, fmt, v);
	return buf;
}

static const char *pct_str(char *buf, size_t len, double v)
{
	return num_str(buf, len, "%+.1f%%", v);
}


static void summary_line(FILE *f, const struct hb_comparison *cmp,
			 const char *pre)
{
	char g[32];

	fprintf(f, "%sgeomean of %zu headline metrics: %s (positive is better)\n",
		pre, cmp->geomean_n, pct_str(g, sizeof(g), cmp->geomean));
	fprintf(f, "%sverdicts: %zu regressed, %zu improved, %zu unchanged, %zu inconclusive, %zu unsupported, %zu not gated, %zu failed, %zu missing\n",
		pre, cmp->counts[HB_V_REGRESSED], cmp->counts[HB_V_IMPROVED],
		cmp->counts[HB_V_UNCHANGED], cmp->counts[HB_V_INCONCLUSIVE],
		cmp->counts[HB_V_UNSUPPORTED],
		cmp->counts[HB_V_UNTESTED], cmp->counts[HB_V_FAILED],
		cmp->counts[HB_V_MISSING]);
}

const char *report_mover(char *buf, size_t len, const struct hb_mover *m)
{
	snprintf(buf, len, "%s %+.1f pp (%.1f%% -> %.1f%%, z %.1f)", m->symbol,
		 m->delta, m->bshare, m->cshare, m->z);
	return buf;
}

/*
 * Where a cost change went: the functions whose own share moved the same
 * way (grew for a slowdown), all of them, not the largest mover only: a
 * cpu-clock sample taken with interrupts off is charged where they come
 * back on, so the function that holds a cost need not move most
 * (docs/compare.md).
 */
static void report_where(char *buf, size_t len, const struct hb_profile_diff *d,
			 bool slower)
{
	const struct hb_mover *m = slower ? d->up : d->down;
	size_t n = slower ? d->nup : d->ndown, i, at = 0;
	char one[256];

	buf[0] = '\0';
	if (d->why[0]) {
		snprintf(buf, len, "%s", d->why);
		return;
	}
	if (!n) {
		snprintf(buf, len, "no function's own share %s beyond noise",
			 slower ? "grew" : "fell");
		return;
	}
	for (i = 0; i < n && at < len; i++)
		at += snprintf(buf + at, len - at, "%s%s", i ? "; " : "",
			       report_mover(one, sizeof(one), &m[i]));
}

/* where a profile's least move comes from, one phrase */
static const char *report_floor(char *buf, size_t len, const struct hb_profile_diff *d)
{
	if (d->floor_rule)
		snprintf(buf, len, "the A/A noise between boots (rule %s %s, thresholds line %d)",
			 d->floor_rule->mode, d->floor_rule->pattern, d->floor_rule->line);
	else
		snprintf(buf, len, "sampling noise only: no A/A profile noise for this setting, a move between boots is not ruled out");
	return buf;
}

void report_profile(FILE *f, const struct hb_profile_diff *d, const char *unit,
		    const char *pre, bool md)
{
	const struct hb_mover *lists[3] = { d->self, d->children, d->intf };
	/* no own movers (why): interference may still have moved */
	size_t ns[3] = { d->why[0] ? 0 : d->nself, d->why[0] ? 0 : d->nchildren, d->nintf };
	char buf[256], intf[256];
	const char *labels[3] = { "self", "with children", intf };
	size_t l, i;

	fprintf(f, "%s%skernel profile of %s%s: %zu vs %zu samples (cpu-clock, kernel, every %g %s; a sampling interrupt costs %.0f / %.0f %s inside the regions)\n",
		pre, md ? "**" : "", d->bench, md ? "**" : "", d->nb, d->nc,
		d->period, unit, d->cost_b, d->cost_c, unit);
	if (d->have)
		fprintf(f, "%s  a mover: |z| >= %g and %g pp or more, %s\n", pre,
			HB_PROFILE_Z, d->floor, report_floor(buf, sizeof(buf), d));
	if (d->why[0])
		fprintf(f, "%s  %s\n", pre, d->why);
	snprintf(intf, sizeof(intf), "interference, not in the shares above (%.0f vs %.0f samples under a device or timer interrupt: its handler, softirqs, a task that preempted on its return), with children",
		 d->nb - d->ownb, d->nc - d->ownc);
	for (l = 0; l < 3; l++) {
		if (!ns[l])
			continue;
		fprintf(f, "%s  %s:", pre, labels[l]);
		for (i = 0; i < ns[l]; i++)
			fprintf(f, "%s %s%s%s", i ? ";" : "", md ? "`" : "",
				report_mover(buf, sizeof(buf), &lists[l][i]), md ? "`" : "");
		fputc('\n', f);
	}
}

static json_t *mover_json(const struct hb_mover *m, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{ss sf sf sf sf sf sf}",
			"symbol", m[i].symbol, "baseline_samples", m[i].b,
			"candidate_samples", m[i].c, "baseline_pct", m[i].bshare,
			"candidate_pct", m[i].cshare, "delta_pp", m[i].delta, "z", m[i].z));
	return a;
}

json_t *report_profile_json(const struct hb_profile_diff *d)
{
	return json_pack("{ss sb sI sI sf sf sf sf sf ss? so so so so so sf sf ss si}",
			 "bench", d->bench,
			 "have", d->have, "baseline_samples", (json_int_t)d->nb,
			 "candidate_samples", (json_int_t)d->nc,
			 "baseline_own_samples", d->ownb, "candidate_own_samples", d->ownc,
			 "period", d->period, "cost_per_interrupt_baseline", d->cost_b,
			 "cost_per_interrupt_candidate", d->cost_c,
			 "why_no_movers", d->why[0] ? d->why : NULL,
			 "self", mover_json(d->self, d->nself),
			 "children", mover_json(d->children, d->nchildren),
			 "grew", mover_json(d->up, d->nup),
			 "fell", mover_json(d->down, d->ndown),
			 "interference", mover_json(d->intf, d->nintf),
			 "z_min", HB_PROFILE_Z, "pp_min", d->have ? d->floor : HB_PROFILE_MIN_PP,
			 "pp_min_from", d->floor_rule ? "aa" : "sampling",
			 "pp_min_rule_line", d->floor_rule ? d->floor_rule->line : 0);
}

struct report_row *report_rows(const struct hb_comparison *cmp)
{
	struct report_row *rows = calloc(cmp->n ? cmp->n : 1, sizeof(*rows));
	const char *bench = "", *ev;
	size_t i;
	json_t *v;

	for (i = 0; rows && i < cmp->n; i++) {
		struct report_row *w = &rows[i];
		const struct hb_cmp *c = &cmp->m[i];
		const struct hb_set *ls = label_set(cmp, c);

		w->c = c;
		w->m = any_side(c);
		if (strcmp(bench, w->m->bench)) {
			bench = w->heading = w->m->bench;
			constant_params(w->constant, sizeof(w->constant), ls, bench);
		}
		report_label(w->label, sizeof(w->label), ls, w->m);
		if (i + 1 == cmp->n || strcmp(any_side(&cmp->m[i + 1])->bench, w->m->bench)) {
			const struct hb_profile_diff *d = hb_profile_of(cmp, w->m->bench);

			/* said once a benchmark, if someone profiled */
			if (d && (cmp->base->profile || cmp->cand->profile))
				w->bench_prof = d;
		}
		if (hb_changed(c) && (cmp->base->profile || cmp->cand->profile)) {
			w->prof = hb_profile_of(cmp, w->m->bench);
			if (w->prof)
				report_where(w->where, sizeof(w->where), w->prof, c->change < 0);
		}
		report_num(w->base, sizeof(w->base), c->bmed);
		report_num(w->cand, sizeof(w->cand), c->cmed);
		pct_str(w->change, sizeof(w->change), c->change);
		ci_str(w->ci, sizeof(w->ci), c);
		num_str(w->threshold, sizeof(w->threshold), "%g%%", c->threshold);
		if (!c->b || !c->c || c->b->kind != HB_KIND_HEADLINE)
			continue;
		json_object_foreach(c->b->counters, ev, v) {
			struct report_counter *k = &w->counters[w->ncounters];

			if (w->ncounters == REPORT_MAX_COUNTERS)
				break;
			k->event = ev;
			k->base = counter(c->b, ev);
			k->cand = counter(c->c, ev);
			if (isnan(k->base) || isnan(k->cand) || (k->base == 0 && k->cand == 0))
				continue;
			k->shown = report_counter_shown(c, ev, k->base, k->cand);
			w->ncounters++;
		}
	}
	return rows;
}

void report_text(FILE *f, const struct report *r)
{
	char b[32], k[32];
	size_t i, j, w, c;

	for (j = 0; j < r->ncmp; j++) {
		const struct hb_comparison *cmp = &r->cmp[j];
		struct report_row *rows = report_rows(cmp);

		if (r->ncmp > 1)
			fprintf(f, "hmmbench compare: candidate %zu of %zu\n", j + 1, r->ncmp);
		else
			fprintf(f, "hmmbench compare\n");
		set_line(f, "baseline", cmp->base);
		set_line(f, "candidate", cmp->cand);
		if (cmp->problem[0])
			fprintf(f, "WARNING: %s\n", cmp->problem);
		if (cmp->note[0])
			fprintf(f, "Note: %s\n", cmp->note);
		rules(f, r, "");
		attention(f, cmp, false);
		for (i = 0, w = 20; rows && i < cmp->n; i++)
			w = strlen(rows[i].label) > w ? strlen(rows[i].label) : w;
		for (i = 0; rows && i < cmp->n; i++) {
			const struct report_row *x = &rows[i];
			int shown = 0;

			if (x->heading) {
				fprintf(f, "\n%s%s%s%s\n", x->heading, x->constant[0] ? " (" : "",
					x->constant, x->constant[0] ? ")" : "");
				fprintf(f, "  %-*s %12s %12s %8s %16s %8s  %s\n",
					(int)w, "metric", "baseline", "candidate",
					"change", "95% CI ratio", "rule", "verdict");
			}
			fprintf(f, "  %-*s %12s %12s %8s %16s %8s  %-11s %s\n", (int)w,
				x->label, x->base, x->cand, x->change, x->ci, x->threshold,
				x->c->verdict == HB_V_REGRESSED ? "REGRESSED" :
				hb_verdict_name(x->c->verdict), x->c->reason);
			for (c = 0; c < x->ncounters; c++) {
				if (!x->counters[c].shown)
					continue;
				fprintf(f, "%s%s/op %s -> %s", shown++ ? "   " : "      ",
					x->counters[c].event,
					report_num(b, sizeof(b), x->counters[c].base),
					report_num(k, sizeof(k), x->counters[c].cand));
			}
			if (shown)
				fputc('\n', f);
			if (x->where[0])
				fprintf(f, "      where: %s\n", x->where);
			if (x->bench_prof)
				report_profile(f, x->bench_prof, report_unit_word(cmp->base),
					       "  ", false);
		}
		free(rows);
		fputc('\n', f);
		summary_line(f, cmp, "");
		if (j + 1 < r->ncmp)
			fputs("\n\n", f);
	}
}

static void md_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|' || *s == '*' || *s == '_')
			fputc('\\', f);
		fputc(*s, f);
	}
}

void report_markdown(FILE *f, const struct report *r)
{
	char b[32], k[32];
	size_t i, j, c;

	fprintf(f, "# hmmbench compare\n\n");
	for (j = 0; j < r->ncmp; j++) {
		const struct hb_comparison *cmp = &r->cmp[j];
		struct report_row *rows = report_rows(cmp);

		if (r->ncmp > 1)
			fprintf(f, "## Candidate %zu: `%s`\n\n", j + 1, cmp->cand->label);
		fprintf(f, "| | set | rounds | kernel | mode |\n| --- | --- | --- | --- | --- |\n");
		fprintf(f, "| baseline | `%s` | %zu | %s | %s (%s) |\n", cmp->base->label,
			cmp->base->nrounds, cmp->base->kernel, cmp->base->mode,
			cmp->base->time_unit);
		fprintf(f, "| candidate | `%s` | %zu | %s | %s (%s) |\n\n", cmp->cand->label,
			cmp->cand->nrounds, cmp->cand->kernel, cmp->cand->mode,
			cmp->cand->time_unit);
		if (cmp->problem[0])
			fprintf(f, "**Warning:** %s\n\n", cmp->problem);
		if (cmp->note[0])
			fprintf(f, "Note: %s\n\n", cmp->note);
		summary_line(f, cmp, "- ");
		fputc('\n', f);
		rules(f, r, "");
		attention(f, cmp, true);
		for (i = 0; rows && i < cmp->n; i++) {
			const struct report_row *x = &rows[i];
			bool reg = x->c->verdict == HB_V_REGRESSED;
			int shown = 0;

			if (x->heading) {
				fprintf(f, "\n### %s%s%s%s\n\n", x->heading, x->constant[0] ? " (" : "",
					x->constant, x->constant[0] ? ")" : "");
				fprintf(f, "| metric | baseline | candidate | change | 95%% CI ratio | rule | verdict | counters per op | kernel profile: top mover |\n");
				fprintf(f, "| --- | ---: | ---: | ---: | --- | ---: | --- | --- | --- |\n");
			}
			fputs("| ", f);
			md_escape(f, x->label);
			fprintf(f, " | %s | %s | %s | %s | %s | %s%s%s: ", x->base, x->cand,
				x->change, x->ci, x->threshold, reg ? "**" : "",
				hb_verdict_name(x->c->verdict), reg ? "**" : "");
			md_escape(f, x->c->reason);
			fputs(" | ", f);
			for (c = 0; c < x->ncounters; c++) {
				if (!x->counters[c].shown)
					continue;
				fputs(shown++ ? "; " : "", f);
				md_escape(f, x->counters[c].event);
				fprintf(f, "/op %s → %s",
					report_num(b, sizeof(b), x->counters[c].base),
					report_num(k, sizeof(k), x->counters[c].cand));
			}
			fputs(" | ", f);
			md_escape(f, x->where);
			fputs(" |\n", f);
			if (x->bench_prof) {
				fputc('\n', f);
				report_profile(f, x->bench_prof, report_unit_word(cmp->base),
					       "", true);
			}
		}
		free(rows);
		fputc('\n', f);
	}
}

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *set_json(const struct hb_set *s)
{
	json_t *rounds = json_array();
	size_t r;

	for (r = 0; r < s->nrounds; r++)
		json_array_append_new(rounds, json_string(s->paths[r]));
	return json_pack("{ss so ss ss ss ss sO}", "label", s->label,
			 "rounds", rounds, "kernel", s->kernel, "mode", s->mode,
			 "time_unit", s->time_unit, "hmmbench_versions", s->versions,
			 "context", s->context);
}

static json_t *side_json(const struct hb_metric *m, double med)
{
	size_t r, n = 0;

	if (!m)
		return json_null();
	for (r = 0; r < m->nrounds; r++)
		n += m->n[r];
	return json_pack("{so sI sI sI sI ss}", "median", num(med),
			 "rounds", (json_int_t)m->nrounds, "n", (json_int_t)n,
			 "set_apart", (json_int_t)m->apart,
			 "taken_back", (json_int_t)m->back,
			 "status", hb_status_name(m->state));
}

static json_t *cmp_json(const struct hb_cmp *c)
{
	const struct hb_metric *m = any_side(c);
	json_t *o, *ctr = json_object();
	const char *ev;
	json_t *v;

	if (c->b && c->c && c->b->kind == HB_KIND_HEADLINE)
		json_object_foreach(c->b->counters, ev, v)
			json_object_set_new(ctr, ev, json_pack("{so so}",
				"baseline", num(counter(c->b, ev)),
				"candidate", num(counter(c->c, ev))));
	o = json_pack("{ss ss ss sO ss ss ss so so so so s{so so} so so so so ss ss sb}",
		      "id", m->id, "bench", m->bench, "name", m->name,
		      "params", m->params_obj, "kind", kind_name(m->kind),
		      "unit", m->unit ? m->unit : "",
		      "direction", m->dir == HB_LOWER_IS_BETTER ?
		      "lower_is_better" : "higher_is_better",
		      "baseline", side_json(c->b, c->bmed),
		      "candidate", side_json(c->c, c->cmed),
		      "ratio", num(c->ratio), "change_pct", num(c->change),
		      "ci95_ratio", "lo", num(c->lo), "hi", num(c->hi),
		      "threshold_pct", num(c->threshold),
		      "threshold_rule", c->rule ? json_pack("{ss ss sf si sb}",
				"setting", c->rule->mode, "pattern", c->rule->pattern,
				"percent", c->rule->percent, "line", c->rule->line,
				"catchall", c->rule->catchall) : json_null(),
		      "rounds_needed", num(c->rounds_needed),
		      "counters_per_op", ctr,
		      "verdict", hb_verdict_name(c->verdict),
		      "reason", c->reason,
		      /* inconclusive with its bad side open: could hide a regression */
		      "could_hide_regression", c->verdict == HB_V_INCONCLUSIVE && c->open_bad);
	return o;
}

json_t *report_json(const struct report *r)
{
	json_t *root, *cmps = json_array();
	size_t i, j;

	for (j = 0; j < r->ncmp; j++) {
		const struct hb_comparison *cmp = &r->cmp[j];
		json_t *ms = json_array(), *counts = json_object();

		for (i = 0; i < cmp->n; i++)
			json_array_append_new(ms, cmp_json(&cmp->m[i]));
		for (i = 0; i < HB_V_COUNT; i++)
			json_object_set_new(counts, hb_verdict_name(i),
					    json_integer(cmp->counts[i]));
		json_t *profs = json_array();

		for (i = 0; i < cmp->nprofiles; i++)
			json_array_append_new(profs, report_profile_json(&cmp->profiles[i]));
		json_array_append_new(cmps, json_pack("{so so so so so sI so so}",
			"profiles", profs,
			"candidate", set_json(cmp->cand),
			"problem", cmp->problem[0] ? json_string(cmp->problem) : json_null(),
			"note", cmp->note[0] ? json_string(cmp->note) : json_null(),
			"geomean_change_pct", num(cmp->geomean),
			"geomean_n", (json_int_t)cmp->geomean_n,
			"counts", counts, "metrics", ms));
	}
	root = json_pack("{ss si sf sf so ss so so}",
			 "schema", "hmmbench-compare", "schema_version", 2,
			 "floor_pct", hb_rule_floor(r->th_mode, HB_KIND_HEADLINE),
			 "floor_other_pct", hb_rule_floor(r->th_mode, HB_KIND_DERIVED),
			 "thresholds", r->thresholds ? json_string(r->thresholds) : json_null(),
			 "threshold_mode", r->th_mode,
			 "baseline", set_json(r->cmp[0].base),
			 "comparisons", cmps);
	return root;
}
