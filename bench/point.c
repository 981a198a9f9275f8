// SPDX-License-Identifier: GPL-2.0
/*
 * Points: failing them with a reason, their metrics and summaries, and the
 * results.json they make (docs/results-schema.md).
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

int hb_nparams(const struct hb_bench *b)
{
	int n = 0;

	while (b->params[n].name)
		n++;
	return n;
}

const struct hb_param *hb_sweep_param(const struct hb_bench *b, int i)
{
	int n = hb_nparams(b);

	return i < n ? &b->params[i] : &hb_common_params[i - n];
}

static int reason(struct hb_point *pt, int status, const char *fmt, va_list ap)
{
	struct pt_state *p = (struct pt_state *)pt;

	/* threads may fail at once: the first reason stands */
	pthread_mutex_lock(&hb_rs.lock);
	if (!p->reason[0]) {
		vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
		p->status = status;
	}
	pthread_mutex_unlock(&hb_rs.lock);
	return status == HB_STATUS_FAILED ? HB_FAILED : HB_UNSUPPORTED;
}

int hb_fail(struct hb_point *pt, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = reason(pt, HB_STATUS_FAILED, fmt, ap);
	va_end(ap);
	return ret;
}

int hb_unsupported(struct hb_point *pt, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = reason(pt, HB_STATUS_UNSUPPORTED, fmt, ap);
	va_end(ap);
	return ret;
}

void hb_metric(struct hb_point *pt, const char *name, double value,
	       const char *unit, enum hb_direction dir)
{
	struct pt_state *p = (struct pt_state *)pt;

	json_object_set_new(p->metrics, name, hb_metric_json(value, unit, dir));
}

void hb_rate(struct hb_point *pt, const char *name, unsigned long k, unsigned long n,
	     const char *unit)
{
	char lo_name[64], hi_name[64];
	double lo, hi;

	if (hb_wilson(k, n, &lo, &hi))
		return;
	snprintf(lo_name, sizeof(lo_name), "%s_ci95_low", name);
	snprintf(hi_name, sizeof(hi_name), "%s_ci95_high", name);
	hb_metric(pt, name, (double)k / n, unit, HB_LOWER_IS_BETTER);
	hb_metric(pt, lo_name, lo, unit, HB_LOWER_IS_BETTER);
	hb_metric(pt, hi_name, hi, unit, HB_LOWER_IS_BETTER);
}

void hb_throughput(struct hb_point *pt, const struct hb_stats *st, const char *what)
{
	char name[64], unit[96];

	snprintf(name, sizeof(name), "%s_per_%s", what, hb_icount() ? "ginstruction" : "s");
	snprintf(unit, sizeof(unit), hb_icount() ? "%s/10^9 guest-instructions" : "%s/s", what);
	hb_metric(pt, name, 1e9 / st->median, unit, HB_HIGHER_IS_BETTER);
}

static json_t *params_json(const struct hb_point *pt, int skip)
{
	const struct hb_bench *b = pt->bench;
	int i, n = hb_nparams(b);
	json_t *o = json_object();
	const struct hb_param *prm;

	for (i = 0; i < n; i++) {
		prm = &b->params[i];
		if (i == skip)
			continue;
		json_object_set_new(o, prm->name, prm->choices ?
				    json_string(prm->choices[pt->v[i]]) :
				    json_integer(pt->v[i]));
	}
	if (skip != n)
		json_object_set_new(o, "cpu_node", json_integer(pt->cpu_node));
	if (skip != n + 1)
		json_object_set_new(o, "mem_node", json_integer(pt->mem_node));
	return o;
}

static json_t *summary_json(const struct hb_point *pt, int skip,
			    const char *name, double value, const char *unit,
			    enum hb_direction dir)
{
	const struct pt_state *p = (const struct pt_state *)pt;
	json_t *m = hb_metric_json(value, unit, dir);

	json_object_set_new(m, "name", json_string(name));
	json_object_set_new(m, "params", params_json(pt, skip));
	json_array_append_new(p->b->summary, m);
	return m;
}

void hb_summary(const struct hb_point *pt, int skip, const char *name,
		double value, const char *unit, enum hb_direction dir)
{
	summary_json(pt, skip, name, value, unit, dir);
}

void hb_summary_ratio(const struct hb_point *pt, int skip, const char *name,
		      const char *num_label, double num, const char *den_label,
		      double den, const char *unit, enum hb_direction dir)
{
	json_t *m = summary_json(pt, skip, name, num / den, "ratio", dir);
	json_t *n = hb_metric_json(num, unit, dir), *d = hb_metric_json(den, unit, dir);

	/* the sides are context for the ratio, not metrics of their own */
	json_object_del(n, "direction");
	json_object_del(d, "direction");
	json_object_set_new(n, "label", json_string(num_label));
	json_object_set_new(d, "label", json_string(den_label));
	json_object_set_new(m, "numerator", n);
	json_object_set_new(m, "denominator", d);
}

const struct hb_stats *hb_point_stats(const struct hb_point *pt)
{
	const struct pt_state *p = (const struct pt_state *)pt;

	return p->status == HB_STATUS_OK ? &p->st : NULL;
}

struct hb_point *hb_point_like(struct hb_point *const *pts, size_t n,
			       const struct hb_point *pt, int idx, long val)
{
	int i, np = hb_nparams(pt->bench);
	size_t k;

	for (k = 0; k < n; k++) {
		for (i = 0; i < np; i++)
			if (pts[k]->v[i] != (i == idx ? val : pt->v[i]))
				break;
		if (i == np && pts[k]->cpu_node == pt->cpu_node &&
		    pts[k]->mem_node == pt->mem_node)
			return pts[k];
	}
	return NULL;
}

/* Output */

void hb_point_name(const struct pt_state *p, char *buf, size_t len)
{
	const struct hb_bench *b = p->pt.bench;
	int i, n = hb_nparams(b), off;

	off = snprintf(buf, len, "%s", b->name);
	for (i = 0; i < n && off < (int)len; i++) {
		if (b->params[i].choices)
			off += snprintf(buf + off, len - off, " %s=%s", b->params[i].name,
					b->params[i].choices[p->pt.v[i]]);
		else
			off += snprintf(buf + off, len - off, " %s=%ld",
					b->params[i].name, p->pt.v[i]);
	}
	if (off < (int)len)
		snprintf(buf + off, len - off, " cpu_node=%d mem_node=%d",
			 p->pt.cpu_node, p->pt.mem_node);
}

/* The derived sample series of a point, each with its statistics. */
static json_t *series_json(const struct pt_state *p)
{
	json_t *o = json_object(), *x, *arr;
	struct hb_stats st;
	size_t i, k;

	for (i = 0; i < p->nser; i++) {
		const struct series *sr = &p->ser[i];

		arr = json_array();
		for (k = 0; k < sr->n; k++)
			json_array_append_new(arr, json_real(sr->v[k]));
		x = hb_metric_json(NAN, sr->unit, sr->dir);
		json_object_del(x, "value");
		json_object_set_new(x, "samples", arr);
		if (p->status == HB_STATUS_OK && !hb_stats_compute(sr->v, sr->n, &st))
			json_object_set_new(x, "stats", hb_stats_json(&st));
		json_object_set_new(o, sr->name, x);
	}
	return o;
}

static json_t *point_json(const struct pt_state *p)
{
	const struct hb_bench *b = p->pt.bench;
	json_t *o, *samples = json_array(), *per_op = json_object();
	char unit[64];
	double v;
	size_t i;
	int ev;

	for (i = 0; i < p->n; i++)
		json_array_append_new(samples, json_real(p->samples[i]));
	for (ev = 0; ev < HB_NR_EVENTS && p->ops; ev++) {
		if (hb_event_unsupported(ev))
			continue;
		/* less what an empty region counts (see the context) */
		v = (p->ctr[ev] - p->regions * hb_rs.baseline[ev]) / p->ops;
		json_object_set_new(per_op, hb_event_name(ev),
				    isfinite(v) ? json_real(v) : json_null());
	}
	snprintf(unit, sizeof(unit), "%s/%s", hb_time_unit(), b->op);
	o = json_pack("{so ss ss so}", "params", params_json(&p->pt, -1),
		      "status", hb_status_name(p->status), "unit", unit,
		      "samples", samples);
	if (p->status == HB_STATUS_UNSUPPORTED || p->status == HB_STATUS_FAILED)
		json_object_set_new(o, "reason", json_string(p->reason));
	if (p->status == HB_STATUS_OK)
		json_object_set_new(o, "stats", hb_stats_json(&p->st));
	json_object_set_new(o, "counters", json_pack("{sf sf so}",
			    "ops", p->ops, "regions", p->regions, "per_op", per_op));
	json_object_set(o, "metrics", p->metrics);
	if (p->kept_irqs >= 0) {
		json_t *set = json_array();

		for (i = 0; i < p->ninterrupted; i++)
			json_array_append_new(set, json_real(p->interrupted[i]));
		json_object_set_new(o, "interrupted", json_pack("{si so}",
				    "kept_samples_interrupts", p->kept_irqs,
				    "samples", set));
	}
	if (p->nser)
		json_object_set_new(o, "series", series_json(p));
	return o;
}

void hb_utc_now(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

json_t *hb_results_json(const char *status, bool finished)
{
	json_t *benches = json_array(), *pts;
	struct bench_state *b;
	char end[32];
	size_t i, k;

	for (i = 0; i < hb_rs.o->nsel; i++) {
		b = &hb_rs.bs[i];
		if (!b->started)
			continue;
		pts = json_array();
		for (k = 0; k < b->npts; k++)
			json_array_append_new(pts, point_json(&b->pts[k]));
		json_array_append_new(benches, json_pack("{ss ss ss so sO sO so}",
				"name", b->bench->name,
				"description", b->bench->desc,
				"op", b->bench->op,
				"points", pts,
				"summary", b->summary,
				"kernel_warnings", b->warnings,
				"report", hb_report_json(b->bench->headlines, b->bench->plots)));
	}
	hb_utc_now(end, sizeof(end));
	return json_pack("{ss si ss ss so sO so}",
			 "schema", HB_SCHEMA,
			 "schema_version", HB_SCHEMA_VERSION,
			 "status", status,
			 "start_time", hb_rs.start,
			 "end_time", finished ? json_string(end) : json_null(),
			 "context", hb_rs.context,
			 "benchmarks", benches);
}

int hb_write_results(const char *status, bool finished)
{
	json_t *root = hb_results_json(status, finished);
	char err[512];
	int ret;

	ret = hb_results_write(root, hb_rs.o->out, err, sizeof(err));
	if (ret)
		fprintf(stderr, "hmmbench: %s\n", err);
	json_decref(root);
	return ret;
}
