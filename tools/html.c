// SPDX-License-Identifier: GPL-2.0
/*
 * The HTML report: one self-contained file, the tables of the text report
 * plus SVG plots drawn by gnuplot and embedded as data: URIs (an <img> per
 * plot keeps each SVG's ids to itself).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

/*
 * The plots, declared: a sweep draws a metric (a name prefix; NULL: the
 * point's own median) against a parameter, a line per kernel and group of
 * the other parameters; a CDF draws the samples of every point of a
 * benchmark, baseline and candidates overlaid.
 */
enum plot_kind { PLOT_SWEEP, PLOT_CDF };
struct plot_spec {
	enum plot_kind kind;
	const char *bench, *metric, *x, *xlabel, *title;
	bool logx, logy;
};

#define MAX_PLOT_SPECS	32

/*
 * The plots the baseline's benchmarks ask for, each in its "report"
 * (struct hb_plot, lib/results.h): none in files written before they did.
 */
static size_t plot_specs_of(const struct hb_set *base, struct plot_spec *ps, size_t max)
{
	const json_t *b, *p;
	size_t i, j, n = 0;

	json_array_foreach(json_object_get(base->roots[0], "benchmarks"), i, b)
		json_array_foreach(json_object_get(json_object_get(b, "report"), "plots"), j, p) {
			const char *kind = hb_str(p, "kind");

			if (n == max || (strcmp(kind, "sweep") && strcmp(kind, "cdf")))
				continue;
			ps[n++] = (struct plot_spec){
				strcmp(kind, "sweep") ? PLOT_CDF : PLOT_SWEEP,
				hb_str(b, "name"),
				json_string_value(json_object_get(p, "metric")),
				json_string_value(json_object_get(p, "x")),
				json_string_value(json_object_get(p, "xlabel")),
				hb_str(p, "title"),
				json_is_true(json_object_get(p, "logx")),
				json_is_true(json_object_get(p, "logy")),
			};
		}
	return n;
}

/* the sets of a report: the baseline, then each candidate */
struct kernels {
	size_t n;
	const struct hb_set *set[16];
	char name[16][80];
};

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* gnuplot string in double quotes */
static void gp_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void kernels_of(const struct report *r, struct kernels *k)
{
	size_t j;

	k->n = 0;
	k->set[k->n] = r->cmp[0].base;
	snprintf(k->name[k->n++], sizeof(k->name[0]), "baseline: %s (%s)",
		 r->cmp[0].base->label, r->cmp[0].base->kernel);
	for (j = 0; j < r->ncmp && k->n < 16; j++) {
		k->set[k->n] = r->cmp[j].cand;
		snprintf(k->name[k->n++], sizeof(k->name[0]), "%s: %s (%s)",
			 r->ncmp > 1 ? "candidate" : "candidate",
			 r->cmp[j].cand->label, r->cmp[j].cand->kernel);
	}
}

static void gp_head(FILE *g, const char *svg, const char *title,
		    const char *xlabel, const char *ylabel)
{
	fprintf(g, "set terminal svg size 640,400 dynamic font \"sans,11\" background rgb \"white\"\n");
	fprintf(g, "set termoption noenhanced\nset output ");
	gp_str(g, svg);
	fprintf(g, "\nset title ");
	gp_str(g, title);
	fprintf(g, "\nset xlabel ");
	gp_str(g, xlabel);
	fprintf(g, "\nset ylabel ");
	gp_str(g, ylabel);
	fprintf(g, "\nset grid\nset key outside below left Left reverse\n");
	/* room for the y label's numbers, e.g. "12.5M" */
	fprintf(g, "set lmargin 12\n");
}

/* "pages/10^9 guest-instructions" -> "pages per 10^9 guest instructions" */
static void human_unit(char *buf, size_t len, const char *unit)
{
	size_t n = 0;

	for (; *unit && n + 6 < len; unit++) {
		if (*unit == '/') {
			n += snprintf(buf + n, len - n, " per ");
		} else if (!strncmp(unit, "guest-instructions", 18)) {
			n += snprintf(buf + n, len - n, "guest instructions");
			unit += 17;
		} else {
			buf[n++] = *unit;
		}
	}
	buf[n] = '\0';
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * At most 400 steps of the empirical CDF of all samples of @m; widens
 * [*lo, *hi] to the samples' 1st and 99th percentiles.
 */
static int write_cdf(const char *path, const struct hb_metric *m,
		     double *lo, double *hi)
{
	size_t r, n = 0, k = 0, i, steps;
	double *v;
	FILE *f;

	for (r = 0; r < m->nrounds; r++)
		n += m->n[r];
	v = malloc(n * sizeof(*v));
	f = fopen(path, "w");
	if (!v || !f || !n) {
		free(v);
		if (f)
			fclose(f);
		return -1;
	}
	for (r = 0; r < m->nrounds; r++)
		for (i = 0; i < m->n[r]; i++)
			v[k++] = m->x[r][i];
	qsort(v, n, sizeof(*v), cmp_double);
	steps = n < 400 ? n : 400;
	for (i = 0; i < steps; i++) {
		size_t at = steps == n ? i : (size_t)((double)i * (n - 1) / (steps - 1));

		fprintf(f, "%.17g %.17g\n", v[at], (at + 1.0) / n);
	}
	*lo = fmin(*lo, hb_percentile_sorted(v, n, 0.01));
	*hi = fmax(*hi, hb_percentile_sorted(v, n, 0.99));
	free(v);
	fclose(f);
	return 0;
}

struct plot {
	char svg[4096];
	char title[256];
};

/* A latency CDF for each point of @ps's benchmark that @ps's where selects. */
static void cdf_plots(const struct report *r, const struct kernels *k,
		      const char *dir, FILE *g, const struct plot_spec *ps,
		      struct plot *plots, size_t *np, size_t max)
{
	const struct hb_set *base = r->cmp[0].base;
	char path[4096], lab[256], xl[128], yl[128], own[96];
	size_t i, s;

	for (i = 0; i < base->nmetrics && *np < max; i++) {
		const struct hb_metric *m = &base->metrics[i];
		struct plot *p = &plots[*np];
		double lo = INFINITY, hi = -INFINITY, pad;
		int lines = 0;

		/* the point's own median, "<unit>_per_<op>", not a series */
		snprintf(own, sizeof(own), "%s_per_%s",
			 strcmp(base->time_unit, "ns") ? "instructions" : "ns", m->op);
		if (strcmp(m->bench, ps->bench) || strcmp(m->name, own) ||
		    m->state != HB_STATUS_OK)
			continue;
		snprintf(p->svg, sizeof(p->svg), "%s/cdf-%zu.svg", dir, *np);
		report_label(lab, sizeof(lab), base, m);
		/* drop the metric name: the title says what is plotted */
		snprintf(p->title, sizeof(p->title), "%s: %.160s (%.16s)", ps->title,
			 strchr(lab, ' ') ? strchr(lab, ' ') + 1 : lab, base->mode);
		for (s = 0; s < k->n; s++) {
			const struct hb_metric *o = hb_set_find(k->set[s], m->id);

			snprintf(path, sizeof(path), "%s/cdf-%zu-%zu.dat", dir, *np, s);
			if (o && o->state == HB_STATUS_OK && !write_cdf(path, o, &lo, &hi))
				lines++;
		}
		if (!lines)
			continue;
		/*
		 * A linear axis over p1..p99 of every kernel: outliers would
		 * squash the curves (their tails are in the table's p99), and an
		 * exact icount latency, p1 == p99, still gets a visible range.
		 */
		pad = hi > lo ? (hi - lo) * 0.05 : fmax(fabs(hi) * 0.01, 1);
		snprintf(xl, sizeof(xl), "time per %s (%s), p1 to p99 of all kernels",
			 m->op, report_unit_word(base));
		snprintf(yl, sizeof(yl), "fraction of %ss (cumulative)", m->op);
		gp_head(g, p->svg, p->title, xl, yl);
		fprintf(g, "set format x \"%%.5g\"\nset xtics rotate by -30\nset yrange [0:1]\nset xrange [%.17g:%.17g]\n",
			lo - pad, hi + pad);
		fprintf(g, "plot ");
		for (s = 0, lines = 0; s < k->n; s++) {
			snprintf(path, sizeof(path), "%s/cdf-%zu-%zu.dat", dir, *np, s);
			if (access(path, R_OK))
				continue;
			fprintf(g, "%s", lines++ ? ", " : "");
			gp_str(g, path);
			fprintf(g, " using 1:2 with steps lw 2 lc %zu dt %zu title ", s + 1, s + 1);
			gp_str(g, k->name[s]);
		}
		fprintf(g, "\nunset xtics\nset xtics\nset autoscale\nset format x \"%%g\"\n");
		(*np)++;
	}
}

/* the params of @m other than @xkey and those constant in the bench */
static void group_key(char *buf, size_t len, const struct hb_set *s,
		      const struct hb_metric *m, const char *xkey)
{
	char lab[512], *p, *save, *tok;
	size_t n = 0;

	report_label(lab, sizeof(lab), s, m);
	buf[0] = '\0';
	p = strchr(lab, ' ');
	if (!p)
		return;
	for (tok = strtok_r(p + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (!strncmp(tok, xkey, strlen(xkey)) && tok[strlen(xkey)] == '=')
			continue;
		n += snprintf(buf + n, len > n ? len - n : 0, "%s%s", n ? " " : "", tok);
	}
}

/*
 * One line per kernel and group (the params besides @xkey): x = @xkey,
 * y = the median of metric @name (a name prefix) over the pooled rounds.
 */
static int sweep_plot(const struct report *r, const struct kernels *k,
		      const char *dir, FILE *g, struct plot *p,
		      const char *bench, const char *name, const char *xkey,
		      const char *xlabel, const char *ylabel, bool logx,
		      bool logy)
{
	const struct hb_set *base = r->cmp[0].base;
	char groups[16][128], key[128], path[4096], legend[160];
	size_t ng = 0, i, s, gi;
	int lines = 0;

	for (i = 0; i < base->nmetrics; i++) {
		const struct hb_metric *m = &base->metrics[i];

		if (strcmp(m->bench, bench) || strncmp(m->name, name, strlen(name)))
			continue;
		group_key(key, sizeof(key), base, m, xkey);
		for (gi = 0; gi < ng && strcmp(groups[gi], key); gi++)
			;
		if (gi == ng && ng < 16)
			snprintf(groups[ng++], sizeof(groups[0]), "%s", key);
	}
	if (!ng)
		return -1;
	snprintf(p->svg, sizeof(p->svg), "%s/%s.svg", dir, bench);
	gp_head(g, p->svg, p->title, xlabel, ylabel);
	/* engineering prefixes: 2.0M rather than 2e+06 */
	fprintf(g, "set format y \"%%.1s%%c\"\n%s%s", logx ? "set logscale x 2\n" : "",
		logy ? "set logscale y\n" : "");
	fprintf(g, "plot ");
	for (s = 0; s < k->n; s++) {
		for (gi = 0; gi < ng; gi++) {
			FILE *d;
			int pts = 0;

			snprintf(path, sizeof(path), "%s/%s-%zu-%zu.dat", dir, bench, s, gi);
			d = fopen(path, "w");
			if (!d)
				return -1;
			for (i = 0; i < k->set[s]->nmetrics; i++) {
				const struct hb_metric *m = &k->set[s]->metrics[i];
				struct hb_rounds rs = { m->nrounds,
					(const double *const *)m->x, m->n };
				json_t *xv = json_object_get(m->params_obj, xkey);

				if (strcmp(m->bench, bench) ||
				    strncmp(m->name, name, strlen(name)) ||
				    m->state != HB_STATUS_OK || !m->nrounds ||
				    !json_is_integer(xv))
					continue;
				group_key(key, sizeof(key), k->set[s], m, xkey);
				if (strcmp(key, groups[gi]))
					continue;
				fprintf(d, "%lld %.17g\n", (long long)json_integer_value(xv),
					hb_rounds_median(&rs));
				pts++;
			}
			fclose(d);
			if (!pts)
				continue;
			fprintf(g, "%s", lines++ ? ", " : "");
			gp_str(g, path);
			/* colour: the group; dash and point: the kernel */
			fprintf(g, " using 1:2 smooth unique with linespoints lw 2 lc %zu dt %zu pt %zu title ",
				gi + 1, s + 1, s + 5);
			if (k->n > 2 && s)
				snprintf(legend, sizeof(legend), "%.120s%scandidate %zu",
					 groups[gi], groups[gi][0] ? ", " : "", s);
			else
				snprintf(legend, sizeof(legend), "%.120s%s%s", groups[gi],
					 groups[gi][0] ? ", " : "",
					 s ? "candidate" : "baseline");
			gp_str(g, legend);
		}
	}
	fprintf(g, "\nunset logscale\nset format y \"%%g\"\n");
	return lines ? 0 : -1;
}

static int b64_file(FILE *out, const char *path)
{
	unsigned char *in = NULL, *enc;
	size_t len = 0;
	FILE *f = fopen(path, "rb");
	long sz;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) || (sz = ftell(f)) <= 0) {
		fclose(f);
		return -1;
	}
	rewind(f);
	in = malloc(sz);
	enc = malloc(4 * ((sz + 2) / 3) + 1);
	if (in && enc)
		len = fread(in, 1, sz, f);
	fclose(f);
	if (len != (size_t)sz) {
		free(in);
		free(enc);
		return -1;
	}
	EVP_EncodeBlock(enc, in, sz);
	fputs((char *)enc, out);
	free(in);
	free(enc);
	return 0;
}

static void rm_dir(const char *dir)
{
	char path[4096];
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* Draw every plot with one gnuplot run; embed those that came out. */
static void plots(FILE *f, const struct report *r)
{
	const struct hb_set *base = r->cmp[0].base;
	char dir[] = "/tmp/hmmbench-plots.XXXXXX", gp[4096], cmd[8300];
	char errpath[4096], ylab[256], line[512], headline[64];
	struct plot_spec plot_specs[MAX_PLOT_SPECS];
	struct plot pl[64];
	struct kernels k;
	size_t np = 0, i, nspecs;
	FILE *g, *e;
	int rc;

	kernels_of(r, &k);
	if (!mkdtemp(dir)) {
		fprintf(f, "<p>No plots: cannot make a temporary directory.</p>\n");
		return;
	}
	snprintf(gp, sizeof(gp), "%s/plots.gp", dir);
	snprintf(errpath, sizeof(errpath), "%s/gnuplot.err", dir);
	g = fopen(gp, "w");
	if (!g) {
		rm_dir(dir);
		return;
	}
	/* a point's own median: "ns_per_" or "instructions_per_" */
	snprintf(headline, sizeof(headline), "%s_per_",
		 strcmp(base->time_unit, "ns") ? "instructions" : "ns");
	/* distinct, saturated colours (gnuplot's 5th default is a pale yellow) */
	fprintf(g, "set linetype 1 lc rgb '#1f77b4'\nset linetype 2 lc rgb '#d62728'\n"
		"set linetype 3 lc rgb '#2ca02c'\nset linetype 4 lc rgb '#ff7f0e'\n"
		"set linetype 5 lc rgb '#9467bd'\nset linetype 6 lc rgb '#8c564b'\n"
		"set linetype 7 lc rgb '#17becf'\nset linetype 8 lc rgb '#7f7f7f'\n"
		"set linetype cycle 8\n");

	nspecs = plot_specs_of(base, plot_specs, MAX_PLOT_SPECS);
	if (!nspecs)
		fprintf(f, "<p>No plots: no benchmark of these results names one (results written before benchmarks carried their report).</p>\n");
	for (i = 0; i < nspecs; i++) {
		const struct plot_spec *ps = &plot_specs[i];
		const char *name = ps->metric ? ps->metric : headline;
		const char *unit = NULL;
		size_t j;

		if (ps->kind != PLOT_SWEEP)
			continue;
		for (j = 0; j < base->nmetrics && !unit; j++)
			if (!strcmp(base->metrics[j].bench, ps->bench) &&
			    !strncmp(base->metrics[j].name, name, strlen(name)))
				unit = base->metrics[j].unit;
		if (!unit)
			continue;
		snprintf(pl[np].title, sizeof(pl[np].title), "%s (%s)", ps->title, base->mode);
		human_unit(line, sizeof(line), unit);
		snprintf(ylab, sizeof(ylab), "%.200s%s", line, ps->logy ? " (log scale)" : ", median");
		if (!sweep_plot(r, &k, dir, g, &pl[np], ps->bench, name, ps->x,
				ps->xlabel, ylab, ps->logx, ps->logy))
			np++;
	}
	for (i = 0; i < nspecs; i++)
		if (plot_specs[i].kind == PLOT_CDF)
			cdf_plots(r, &k, dir, g, &plot_specs[i], pl, &np, 64);
	fclose(g);

	snprintf(cmd, sizeof(cmd), "gnuplot '%s' 2> '%s'", gp, errpath);
	rc = np ? system(cmd) : 0;
	if (rc) {
		fprintf(stderr, "hmmbench-compare: gnuplot failed (%d); the report has no plots\n", rc);
		fprintf(f, "<p class=warn>No plots: gnuplot failed");
		e = fopen(errpath, "r");
		if (e && fgets(line, sizeof(line), e)) {
			fputs(": ", f);
			esc(f, line);
		}
		if (e)
			fclose(e);
		fprintf(f, "</p>\n");
	}
	fprintf(f, "<div class=plots>\n");
	for (i = 0; !rc && i < np; i++) {
		fprintf(f, "<figure><img alt=\"");
		esc(f, pl[i].title);
		fprintf(f, "\" src=\"data:image/svg+xml;base64,");
		if (b64_file(f, pl[i].svg))
			fprintf(f, "\"><figcaption>missing plot</figcaption></figure>\n");
		else
			fprintf(f, "\"></figure>\n");
	}
	fprintf(f, "</div>\n");
	/* HMMBENCH_KEEP_PLOTS=1 keeps the gnuplot script and data to debug */
	if (getenv("HMMBENCH_KEEP_PLOTS"))
		fprintf(stderr, "hmmbench-compare: plots kept in %s\n", dir);
	else
		rm_dir(dir);
}

static const char *css =
	"body{font-family:sans-serif;margin:1.5em;color:#222}"
	"table{border-collapse:collapse;margin:.5em 0 1.5em}"
	"td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}"
	"th{background:#eee}td.n{text-align:right;font-family:monospace}"
	"tr.regressed{background:#fdd}tr.improved{background:#dfd}"
	"tr.unsupported,tr.untested{color:#777}tr.failed,tr.missing{background:#fec}"
	"tr.inconclusive{background:#ffd}"
	".ctr{font-size:11px;color:#555}.warn{color:#a00;font-weight:bold}"
	".plots{display:flex;flex-wrap:wrap;gap:8px}"
	"figure{margin:0;width:640px;max-width:100%}figure img{width:100%}";

static void set_row(FILE *f, const char *role, const struct hb_set *s)
{
	fprintf(f, "<tr><td>%s</td><td>", role);
	esc(f, s->label);
	fprintf(f, "</td><td class=n>%zu</td><td>", s->nrounds);
	esc(f, s->kernel);
	fprintf(f, "</td><td>");
	esc(f, s->mode);
	fprintf(f, " (");
	esc(f, s->time_unit);
	fprintf(f, ")</td><td>");
	esc(f, json_string_value(json_object_get(s->context, "cpu_model")) ?: "");
	fprintf(f, "</td><td>");
	esc(f, json_string_value(json_object_get(s->context, "hmmbench_version")) ?: "");
	fprintf(f, "</td></tr>\n");
}

int report_html(FILE *f, const struct report *r, char *err, size_t len)
{
	struct report_row *rows;
	char b[32], k[32], rule[768];
	size_t i, j;

	(void)err;
	(void)len;
	fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
		"<title>hmmbench compare</title><style>%s</style></head><body>\n", css);
	fprintf(f, "<h1>hmmbench compare</h1>\n<table><tr><th></th><th>result set</th>"
		"<th>rounds</th><th>kernel</th><th>mode</th><th>CPU</th><th>hmmbench</th></tr>\n");
	set_row(f, "baseline", r->cmp[0].base);
	for (j = 0; j < r->ncmp; j++)
		set_row(f, "candidate", r->cmp[j].cand);
	fprintf(f, "</table>\n<p>");
	esc(f, report_rule_text(rule, sizeof(rule), r));
	fprintf(f, " Times are %s.</p>\n", report_unit_word(r->cmp[0].base));

	for (j = 0; j < r->ncmp; j++) {
		const struct hb_comparison *cmp = &r->cmp[j];
		const char *bench = "";

		fprintf(f, "<h2>Candidate ");
		esc(f, cmp->cand->label);
		fprintf(f, "</h2>\n");
		if (cmp->problem[0]) {
			fprintf(f, "<p class=warn>");
			esc(f, cmp->problem);
			fprintf(f, "</p>\n");
		}
		if (cmp->note[0]) {
			fprintf(f, "<p>Note: ");
			esc(f, cmp->note);
			fprintf(f, "</p>\n");
		}
		fprintf(f, "<p>Geometric mean of %zu headline metrics: <b>", cmp->geomean_n);
		if (isnan(cmp->geomean))
			fprintf(f, "-");
		else
			fprintf(f, "%+.1f%%", cmp->geomean);
		fprintf(f, "</b> (positive is better). %zu regressed, %zu improved, %zu unchanged, "
			"%zu inconclusive, %zu unsupported, %zu not gated, %zu failed, %zu missing.</p>\n",
			cmp->counts[HB_V_REGRESSED], cmp->counts[HB_V_IMPROVED],
			cmp->counts[HB_V_UNCHANGED], cmp->counts[HB_V_INCONCLUSIVE],
			cmp->counts[HB_V_UNSUPPORTED],
			cmp->counts[HB_V_UNTESTED], cmp->counts[HB_V_FAILED],
			cmp->counts[HB_V_MISSING]);
		rows = report_rows(cmp);
		for (i = 0; rows && i < cmp->n; i++) {
			const struct report_row *x = &rows[i];
			size_t c;

			if (x->heading) {
				if (bench[0])
					fprintf(f, "</table>\n");
				bench = x->heading;
				fprintf(f, "<h3>");
				esc(f, bench);
				if (x->constant[0]) {
					fprintf(f, " <small>(");
					esc(f, x->constant);
					fprintf(f, ")</small>");
				}
				fprintf(f, "</h3>\n<table><tr><th>metric</th><th>unit</th>"
					"<th>baseline</th><th>candidate</th><th>change</th>"
					"<th>95%% CI ratio</th><th>rule</th>"
					"<th>verdict</th><th>counters per op</th></tr>\n");
			}
			fprintf(f, "<tr class=%s><td>", hb_verdict_name(x->c->verdict));
			esc(f, x->label);
			fprintf(f, "</td><td>");
			esc(f, x->m->unit ? x->m->unit : "");
			fprintf(f, "</td><td class=n>%s</td><td class=n>%s</td><td class=n>%s</td>"
				"<td class=n>%s</td><td class=n>%s</td>",
				x->base, x->cand, x->change, x->ci, x->threshold);
			fprintf(f, "<td><b>%s</b> ", hb_verdict_name(x->c->verdict));
			esc(f, x->c->reason);
			if (x->where[0]) {
				fprintf(f, "<br>where: ");
				esc(f, x->where);
			}
			fprintf(f, "</td><td class=ctr>");
			for (c = 0; c < x->ncounters; c++) {
				fprintf(f, "%s", c ? "<br>" : "");
				esc(f, x->counters[c].event);
				fprintf(f, "/op %s &rarr; %s",
					report_num(b, sizeof(b), x->counters[c].base),
					report_num(k, sizeof(k), x->counters[c].cand));
			}
			fprintf(f, "</td></tr>\n");
			if (x->bench_prof) {
				char *text = NULL;
				size_t len = 0;
				FILE *m = open_memstream(&text, &len);

				if (m) {
					report_profile(m, x->bench_prof,
						       report_unit_word(cmp->base), "", false);
					fclose(m);
					fprintf(f, "</table>\n<pre class=profile>");
					esc(f, text ? text : "");
					fprintf(f, "</pre>\n<table>\n");
				}
				free(text);
			}
		}
		free(rows);
		if (bench[0])
			fprintf(f, "</table>\n");
	}
	fprintf(f, "<h2>Plots</h2>\n<p>Baseline and candidate%s overlaid. Mode %s: times are %s.</p>\n",
		r->ncmp > 1 ? "s" : "", r->cmp[0].base->mode,
		report_unit_word(r->cmp[0].base));
	plots(f, r);
	fprintf(f, "</body></html>\n");
	return 0;
}
