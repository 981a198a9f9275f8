// SPDX-License-Identifier: GPL-2.0
/* The text summary of a results file: every point, summary and ratio. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "summary.h"

static void print_params(const json_t *params, FILE *f)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)params, key, v) {
		if (json_is_string(v))
			fprintf(f, " %s=%s", key, json_string_value(v));
		else
			fprintf(f, " %s=%" JSON_INTEGER_FORMAT, key, json_integer_value(v));
	}
}

/* "value unit" of one side of a ratio. */
static void side_text(const json_t *side, char *buf, size_t len)
{
	snprintf(buf, len, "%.6g %s", json_number_value(json_object_get(side, "value")),
		 json_string_value(json_object_get(side, "unit")));
}

static void params_text(const json_t *params, char *buf, size_t len)
{
	FILE *pf = fmemopen(buf, len, "w");

	buf[0] = '\0';
	if (pf) {
		print_params(params, pf);
		fclose(pf);
	}
}

/* Summary metrics that are ratios of two sides (hb_summary_ratio), as a table. */
static void print_ratios(const json_t *b, FILE *f)
{
	enum { NAME, PARAMS, NLABEL, NVALUE, DLABEL, DVALUE, NCOLS };
	static const char *const head[NCOLS] = {
		"metric", "params", "numerator", "", "denominator", ""
	};
	int w[NCOLS] = { 0 }, c, pass;
	char cell[NCOLS][256];
	const json_t *m, *nu, *de;
	size_t k, n = 0;

	/* the first pass measures the columns, the second prints */
	for (pass = 0; pass < 2; pass++) {
		json_array_foreach(json_object_get(b, "summary"), k, m) {
			nu = json_object_get(m, "numerator");
			de = json_object_get(m, "denominator");
			if (!nu || !de)
				continue;
			if (pass && !n++) {
				fprintf(f, "%s ratios (numerator / denominator, of medians):\n ",
					json_string_value(json_object_get(b, "name")));
				for (c = 0; c < NCOLS; c++)
					fprintf(f, " %-*s", w[c], head[c]);
				fprintf(f, " ratio\n");
			}
			snprintf(cell[NAME], sizeof(cell[NAME]), "%s",
				 json_string_value(json_object_get(m, "name")));
			params_text(json_object_get(m, "params"), cell[PARAMS], sizeof(cell[PARAMS]));
			snprintf(cell[NLABEL], sizeof(cell[NLABEL]), "%s",
				 json_string_value(json_object_get(nu, "label")));
			side_text(nu, cell[NVALUE], sizeof(cell[NVALUE]));
			snprintf(cell[DLABEL], sizeof(cell[DLABEL]), "%s",
				 json_string_value(json_object_get(de, "label")));
			side_text(de, cell[DVALUE], sizeof(cell[DVALUE]));
			for (c = 0; c < NCOLS; c++) {
				/* params start with a blank */
				const char *t = cell[c][0] == ' ' ? cell[c] + 1 : cell[c];
				int len = strlen(t);

				if (!pass)
					w[c] = len > w[c] ? len : w[c];
				else
					fprintf(f, "%s%-*s", c ? " " : "  ", w[c], t);
			}
			if (pass)
				fprintf(f, " %.3g\n", json_number_value(json_object_get(m, "value")));
		}
	}
}

static void print_all(const json_t *root, FILE *f);

void hb_print_summary(const json_t *root, const json_t *reports, FILE *f)
{
	hb_print_headline(root, reports, f);
	fputc('\n', f);
	print_all(root, f);
}

static void print_all(const json_t *root, FILE *f)
{
	const json_t *ctx = json_object_get(root, "context");
	json_t *b, *p, *m, *st;
	const char *key;
	size_t i, k;

	fprintf(f, "hmmbench %s: kernel %s, mode %s, times in %s, status %s\n",
		json_string_value(json_object_get(ctx, "hmmbench_version")),
		json_string_value(json_object_get(ctx, "kernel_release")),
		json_string_value(json_object_get(ctx, "mode")),
		json_string_value(json_object_get(ctx, "time_unit")),
		json_string_value(json_object_get(root, "status")));
	json_array_foreach(json_object_get(root, "benchmarks"), i, b) {
		json_array_foreach(json_object_get(b, "points"), k, p) {
			fprintf(f, "%s", json_string_value(json_object_get(b, "name")));
			print_params(json_object_get(p, "params"), f);
			st = json_object_get(p, "stats");
			if (!st) {
				fprintf(f, ": %s: %s\n",
					json_string_value(json_object_get(p, "status")),
					json_string_value(json_object_get(p, "reason")));
				continue;
			}
			fprintf(f, ": median %.6g [95%% CI %.6g..%.6g] p90 %.6g p99 %.6g max %.6g %s (n=%"
				JSON_INTEGER_FORMAT ")\n",
				json_number_value(json_object_get(st, "median")),
				json_number_value(json_object_get(st, "ci95_lo")),
				json_number_value(json_object_get(st, "ci95_hi")),
				json_number_value(json_object_get(st, "p90")),
				json_number_value(json_object_get(st, "p99")),
				json_number_value(json_object_get(st, "max")),
				json_string_value(json_object_get(p, "unit")),
				json_integer_value(json_object_get(st, "n")));
			json_object_foreach(json_object_get(p, "metrics"), key, m)
				fprintf(f, "    %s = %.6g %s\n", key,
					json_number_value(json_object_get(m, "value")),
					json_string_value(json_object_get(m, "unit")));
			json_object_foreach(json_object_get(p, "series"), key, m)
				fprintf(f, "    %s: median %.6g [95%% CI %.6g..%.6g] %s (n=%" JSON_INTEGER_FORMAT ")\n",
					key,
					json_number_value(json_object_get(json_object_get(m, "stats"), "median")),
					json_number_value(json_object_get(json_object_get(m, "stats"), "ci95_lo")),
					json_number_value(json_object_get(json_object_get(m, "stats"), "ci95_hi")),
					json_string_value(json_object_get(m, "unit")),
					json_integer_value(json_object_get(json_object_get(m, "stats"), "n")));
		}
		json_array_foreach(json_object_get(b, "summary"), k, m) {
			if (json_object_get(m, "numerator"))
				continue;
			fprintf(f, "%s summary:", json_string_value(json_object_get(b, "name")));
			print_params(json_object_get(m, "params"), f);
			fprintf(f, ": %s = %.6g %s\n",
				json_string_value(json_object_get(m, "name")),
				json_number_value(json_object_get(m, "value")),
				json_string_value(json_object_get(m, "unit")));
		}
		print_ratios(b, f);
	}
}

/*
 * The headline table: per benchmark the few figures a kernel developer
 * looks at first, as the benchmark's own report says (struct hb_headline,
 * lib/results.h), read from the results file.
 */
struct headline_spec {
	const char *label, *metric, *where, *largest;
	bool series, summary;
};

static struct headline_spec spec_of(const json_t *h)
{
	return (struct headline_spec){
		json_string_value(json_object_get(h, "label")) ?: "",
		json_string_value(json_object_get(h, "metric")),
		json_string_value(json_object_get(h, "where")) ?: "",
		json_string_value(json_object_get(h, "largest")) ?: "",
		json_is_true(json_object_get(h, "series")),
		json_is_true(json_object_get(h, "summary")),
	};
}

/* Do @params match every "k=v" of @where? */
static bool params_match(const json_t *params, const char *where)
{
	char buf[256], *tok, *save, *eq;
	const json_t *v;

	snprintf(buf, sizeof(buf), "%s", where);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		eq = strchr(tok, '=');
		if (!eq)
			return false;
		*eq = '\0';
		v = json_object_get(params, tok);
		if (json_is_string(v) ? strcmp(json_string_value(v), eq + 1) :
		    !json_is_integer(v) || json_integer_value(v) != atoll(eq + 1))
			return false;
	}
	return true;
}

/* The value a spec names in @p (a point or a summary entry), or NAN. */
static double spec_value(const struct headline_spec *h, const json_t *p, const char **unit)
{
	const char *key;
	json_t *m;

	if (h->summary || (!h->metric && !h->series)) {
		if (h->summary) {
			*unit = json_string_value(json_object_get(p, "unit"));
			return json_number_value(json_object_get(p, "value"));
		}
		*unit = json_string_value(json_object_get(p, "unit"));
		return json_number_value(json_object_get(json_object_get(p, "stats"), "median"));
	}
	json_object_foreach(json_object_get(p, h->series ? "series" : "metrics"), key, m) {
		if (!strstr(key, h->metric))
			continue;
		*unit = json_string_value(json_object_get(m, "unit"));
		return h->series ?
			json_number_value(json_object_get(json_object_get(m, "stats"), "median")) :
			json_number_value(json_object_get(m, "value"));
	}
	return NAN;
}

json_t *hb_headline_rows(const json_t *root, const json_t *reports)
{
	const json_t *b, *p, *best, *specs, *hj;
	const char *unit, *best_unit, *name;
	json_t *rows = json_array();
	size_t i, j, k;
	long largest;
	double v, best_v;

	json_array_foreach(json_object_get(root, "benchmarks"), j, b) {
		specs = json_object_get(json_object_get(b, "report"), "headlines");
		/* a file written before benchmarks carried their report */
		if (!specs)
			specs = json_object_get(json_object_get(reports, json_string_value(
					json_object_get(b, "name")) ?: ""), "headlines");
		json_array_foreach(specs, i, hj) {
			struct headline_spec spec = spec_of(hj), *h = &spec;

			best = NULL;
			largest = -1;
			best_v = NAN;
			best_unit = "";
			if ((h->summary || h->series) && !h->metric)
				continue;
			json_array_foreach(json_object_get(b, h->summary ? "summary" : "points"), k, p) {
				const json_t *params = json_object_get(p, "params");
				long x = json_integer_value(json_object_get(params, h->largest));

				name = json_string_value(json_object_get(p, "name"));
				if ((h->summary && (!name || !strstr(name, h->metric))) ||
				    (!h->summary && strcmp(json_string_value(json_object_get(p, "status")) ?: "", "ok")) ||
				    !params_match(params, h->where) || x <= largest)
					continue;
				v = spec_value(h, p, &unit);
				if (isnan(v))
					continue;
				best = p;
				largest = x;
				best_v = v;
				best_unit = unit ? unit : "";
			}
			if (best)
				json_array_append_new(rows, json_pack("{ss sf ss ss sI}", "label", h->label,
					"value", best_v, "unit", best_unit, "at", h->largest,
					"at_value", (json_int_t)largest));
		}
	}
	return rows;
}

void hb_print_headline(const json_t *root, const json_t *reports, FILE *f)
{
	const json_t *ctx = json_object_get(root, "context"), *r;
	json_t *rows = hb_headline_rows(root, reports);
	size_t i;

	fprintf(f, "hmmbench %s: kernel %s, mode %s (times in %s), status %s\n",
		json_string_value(json_object_get(ctx, "hmmbench_version")),
		json_string_value(json_object_get(ctx, "kernel_release")),
		json_string_value(json_object_get(ctx, "mode")),
		json_string_value(json_object_get(ctx, "time_unit")),
		json_string_value(json_object_get(root, "status")));
	json_array_foreach(rows, i, r) {
		if (!i)
			fprintf(f, "  %-50s %12s  %-32s %s\n", "headline", "median", "unit", "at");
		fprintf(f, "  %-50s %12.6g  %-32s %s=%" JSON_INTEGER_FORMAT "\n",
			json_string_value(json_object_get(r, "label")),
			json_number_value(json_object_get(r, "value")),
			json_string_value(json_object_get(r, "unit")),
			json_string_value(json_object_get(r, "at")),
			json_integer_value(json_object_get(r, "at_value")));
	}
	if (!json_array_size(rows))
		fprintf(f, "  (no headline figure: no point of the suite ran ok)\n");
	json_decref(rows);
}
