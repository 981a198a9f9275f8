// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "results.h"

static const char *const status_names[HB_NR_STATUS] = {
	[HB_STATUS_INCOMPLETE] = "incomplete", [HB_STATUS_OK] = "ok",
	[HB_STATUS_UNSUPPORTED] = "unsupported", [HB_STATUS_FAILED] = "failed",
};

static const char *const mode_names[HB_NR_MODES] = {
	[HB_MODE_KVM] = "kvm", [HB_MODE_TCG] = "tcg", [HB_MODE_ICOUNT] = "icount",
	[HB_MODE_HOST] = "host",
};

const char *hb_status_name(enum hb_status s)
{
	return s < HB_NR_STATUS ? status_names[s] : "?";
}

int hb_status_parse(const char *name)
{
	int i;

	for (i = 0; name && i < HB_NR_STATUS; i++)
		if (!strcmp(name, status_names[i]))
			return i;
	return -1;
}

int hb_status_rank(enum hb_status s)
{
	static const int rank[HB_NR_STATUS] = {
		[HB_STATUS_OK] = 0, [HB_STATUS_UNSUPPORTED] = 1,
		[HB_STATUS_INCOMPLETE] = 2, [HB_STATUS_FAILED] = 3,
	};

	return s < HB_NR_STATUS ? rank[s] : 3;
}

const char *hb_mode_name(enum hb_mode m)
{
	return m < HB_NR_MODES ? mode_names[m] : "?";
}

int hb_mode_parse(const char *name)
{
	int i;

	for (i = 0; name && i < HB_NR_MODES; i++)
		if (!strcmp(name, mode_names[i]))
			return i;
	return -1;
}

/* NaN and infinities have no JSON form: they become null. */
static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *hb_stats_json(const struct hb_stats *st)
{
	return json_pack("{sI so so so so so so so so so so so}",
			 "n", (json_int_t)st->n,
			 "median", num(st->median), "mean", num(st->mean),
			 "stddev", num(st->stddev), "cov", num(st->cov),
			 "min", num(st->min), "max", num(st->max),
			 "p50", num(st->p50), "p90", num(st->p90),
			 "p99", num(st->p99),
			 "ci95_lo", num(st->ci95_lo), "ci95_hi", num(st->ci95_hi));
}

json_t *hb_metric_json(double value, const char *unit, enum hb_direction dir)
{
	return json_pack("{so ss ss}", "value", num(value), "unit", unit,
			 "direction", dir == HB_LOWER_IS_BETTER ?
			 "lower_is_better" : "higher_is_better");
}

/* FILE.tmp, fsync, rename, fsync the directory: a reader sees old or new. */
int hb_results_write(const json_t *root, const char *path,
		     char *err, size_t errlen)
{
	char tmp[4096], dir[4096], *slash;
	FILE *f;
	int fd, ret;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	f = fopen(tmp, "w");
	if (!f)
		goto fail;
	ret = json_dumpf(root, f, HB_JSON_FLAGS);
	if (fputc('\n', f) == EOF || fflush(f) || fsync(fileno(f)) || ret) {
		fclose(f);
		goto fail;
	}
	if (fclose(f) || rename(tmp, path))
		goto fail;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
fail:
	ret = -errno;
	snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
	unlink(tmp);
	return ret;
}

/* Validation: the first problem found, named by its JSON path. */

struct vctx {
	char *err;
	size_t len;
};

enum {
	T_STR = 1, T_INT = 2, T_NUM = 4, T_OBJ = 8, T_ARR = 16, T_BOOL = 32,
	T_NULL = 64
};

static int bad(struct vctx *v, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(v->err, v->len, "%s: ", path);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < v->len)
		vsnprintf(v->err + n, v->len - n, fmt, ap);
	va_end(ap);
	return -1;
}

static int type_ok(const json_t *j, int types)
{
	switch (json_typeof(j)) {
	case JSON_STRING:
		return types & T_STR;
	case JSON_INTEGER:
		return types & (T_INT | T_NUM);
	case JSON_REAL:
		return types & T_NUM;
	case JSON_OBJECT:
		return types & T_OBJ;
	case JSON_ARRAY:
		return types & T_ARR;
	case JSON_TRUE:
	case JSON_FALSE:
		return types & T_BOOL;
	default:
		return types & T_NULL;
	}
}

static const char *type_name(const json_t *j)
{
	static const char *const names[] = {
		[JSON_OBJECT] = "object", [JSON_ARRAY] = "array",
		[JSON_STRING] = "string", [JSON_INTEGER] = "integer",
		[JSON_REAL] = "real", [JSON_TRUE] = "true",
		[JSON_FALSE] = "false", [JSON_NULL] = "null",
	};

	return names[json_typeof(j)];
}

/* The member @key of @obj at @path, of one of @types; NULL after an error. */
static json_t *need(struct vctx *v, const json_t *obj, const char *path,
		    const char *key, int types)
{
	json_t *j = json_object_get(obj, key);
	char p[512];

	snprintf(p, sizeof(p), "%s.%s", path, key);
	if (!j) {
		bad(v, p, "missing");
		return NULL;
	}
	if (!type_ok(j, types)) {
		bad(v, p, "unexpected type %s", type_name(j));
		return NULL;
	}
	return j;
}

static int one_of(struct vctx *v, const json_t *obj, const char *path,
		  const char *key, const char *const *allowed, int n)
{
	json_t *j = need(v, obj, path, key, T_STR);
	int i;

	if (!j)
		return -1;
	for (i = 0; i < n; i++)
		if (!strcmp(json_string_value(j), allowed[i]))
			return i;
	return bad(v, path, "%s \"%s\" is not a known value", key,
		   json_string_value(j));
}

static const char *const directions[] = {
	"lower_is_better", "higher_is_better", NULL
};

static int check_metric(struct vctx *v, const json_t *m, const char *path)
{
	if (!json_is_object(m))
		return bad(v, path, "expected an object");
	if (!need(v, m, path, "value", T_NUM | T_NULL) ||
	    !need(v, m, path, "unit", T_STR) ||
	    one_of(v, m, path, "direction", directions, 2) < 0)
		return -1;
	return 0;
}

static int check_point(struct vctx *v, const json_t *pt, const char *path,
		       int partial)
{
	static const char *const stat_keys[] = {
		"median", "mean", "stddev", "cov", "min", "max", "p50", "p90",
		"p99", "ci95_lo", "ci95_hi", NULL
	};
	json_t *samples, *stats, *metrics, *series, *val;
	const char *key;
	char p[256];
	size_t i;
	int st;

	if (!json_is_object(pt))
		return bad(v, path, "expected an object");
	st = one_of(v, pt, path, "status", status_names, HB_NR_STATUS);
	if (st < 0 || !need(v, pt, path, "params", T_OBJ) ||
	    !need(v, pt, path, "unit", T_STR) ||
	    !need(v, pt, path, "samples", T_ARR) ||
	    !need(v, pt, path, "counters", T_OBJ) ||
	    !need(v, pt, path, "metrics", T_OBJ))
		return -1;
	samples = json_object_get(pt, "samples");
	metrics = json_object_get(pt, "metrics");
	if (st == HB_STATUS_INCOMPLETE && !partial)
		return bad(v, path, "status \"incomplete\" in a finished run");
	if ((st == HB_STATUS_UNSUPPORTED || st == HB_STATUS_FAILED) &&
	    !need(v, pt, path, "reason", T_STR))
		return -1;
	json_array_foreach(samples, i, val) {
		if (!json_is_number(val)) {
			snprintf(p, sizeof(p), "%s.samples[%zu]", path, i);
			return bad(v, p, "expected a number");
		}
	}
	if (st == HB_STATUS_OK) {
		if (!json_array_size(samples))
			return bad(v, path, "status ok without samples");
		stats = need(v, pt, path, "stats", T_OBJ);
		if (!stats)
			return -1;
		snprintf(p, sizeof(p), "%s.stats", path);
		if (!need(v, stats, p, "n", T_INT))
			return -1;
		for (i = 0; stat_keys[i]; i++)
			if (!need(v, stats, p, stat_keys[i], T_NUM | T_NULL))
				return -1;
	}
	json_object_foreach(metrics, key, val) {
		snprintf(p, sizeof(p), "%s.metrics.%s", path, key);
		if (check_metric(v, val, p))
			return -1;
	}
	/* optional: derived sample series, each a distribution of its own */
	series = json_object_get(pt, "series");
	if (series && !json_is_object(series))
		return bad(v, path, "series: expected an object");
	json_object_foreach(series, key, val) {
		json_t *x;

		snprintf(p, sizeof(p), "%s.series.%s", path, key);
		if (!json_is_object(val) || !need(v, val, p, "unit", T_STR) ||
		    one_of(v, val, p, "direction", directions, 2) < 0 ||
		    !need(v, val, p, "samples", T_ARR))
			return json_is_object(val) ? -1 : bad(v, p, "expected an object");
		json_array_foreach(json_object_get(val, "samples"), i, x)
			if (!json_is_number(x))
				return bad(v, p, "samples[%zu]: expected a number", i);
	}
	/* optional: the samples set apart for the interrupts in them */
	val = json_object_get(pt, "interrupted");
	if (val) {
		json_t *x;

		snprintf(p, sizeof(p), "%s.interrupted", path);
		if (!json_is_object(val) || !need(v, val, p, "kept_samples_interrupts", T_INT) ||
		    !need(v, val, p, "samples", T_ARR))
			return json_is_object(val) ? -1 : bad(v, p, "expected an object");
		json_array_foreach(json_object_get(val, "samples"), i, x)
			if (!json_is_number(x))
				return bad(v, p, "samples[%zu]: expected a number", i);
	}
	return 0;
}

static int check_bench(struct vctx *v, const json_t *b, const char *path,
		       int partial)
{
	json_t *points, *summary, *val;
	char p[128];
	size_t i;

	if (!json_is_object(b))
		return bad(v, path, "expected an object");
	if (!need(v, b, path, "name", T_STR) ||
	    !need(v, b, path, "description", T_STR) ||
	    !need(v, b, path, "kernel_warnings", T_ARR) ||
	    !need(v, b, path, "points", T_ARR) ||
	    !need(v, b, path, "summary", T_ARR))
		return -1;
	points = json_object_get(b, "points");
	summary = json_object_get(b, "summary");
	json_array_foreach(points, i, val) {
		snprintf(p, sizeof(p), "%s.points[%zu]", path, i);
		if (check_point(v, val, p, partial))
			return -1;
	}
	json_array_foreach(summary, i, val) {
		snprintf(p, sizeof(p), "%s.summary[%zu]", path, i);
		if (check_metric(v, val, p) || !need(v, val, p, "name", T_STR) ||
		    !need(v, val, p, "params", T_OBJ))
			return -1;
	}
	return 0;
}

const char *hb_mode_time_unit(enum hb_mode m)
{
	return m == HB_MODE_ICOUNT ? "guest-instructions" : "ns";
}

static int check_context(struct vctx *v, const json_t *c)
{
	static const char *const units[] = { "ns", "guest-instructions" };
	const char *path = "context";
	int mode, unit;

	if (!need(v, c, path, "hmmbench_version", T_STR) ||
	    !need(v, c, path, "kernel_release", T_STR) ||
	    !need(v, c, path, "kernel_config_sha256", T_STR | T_NULL) ||
	    !need(v, c, path, "kernel_build", T_OBJ | T_NULL) ||
	    !need(v, c, path, "accelerator", T_STR) ||
	    !need(v, c, path, "cpu_model", T_STR) ||
	    !need(v, c, path, "topology", T_OBJ) ||
	    !need(v, c, path, "numa_nodes", T_ARR) ||
	    !need(v, c, path, "thp_enabled", T_STR | T_NULL) ||
	    !need(v, c, path, "perf_events", T_OBJ) ||
	    !need(v, c, path, "timer_overhead", T_OBJ) ||
	    !need(v, json_object_get(c, "timer_overhead"),
		  "context.timer_overhead", "median", T_NUM))
		return -1;
	mode = one_of(v, c, path, "mode", mode_names, HB_NR_MODES);
	unit = one_of(v, c, path, "time_unit", units, 2);
	if (mode < 0 || unit < 0)
		return -1;
	if (strcmp(units[unit], hb_mode_time_unit(mode)))
		return bad(v, "context.time_unit", "\"%s\" does not go with mode \"%s\"",
			   units[unit], mode_names[mode]);
	return 0;
}

static const char *const run_status[] = {
	[HB_RUN_COMPLETE] = "complete", [HB_RUN_PARTIAL] = "partial",
	[HB_RUN_FAILED] = "failed",
};

const char *hb_run_status_name(enum hb_run_status s)
{
	return s < HB_NR_RUN_STATUS ? run_status[s] : "?";
}

int hb_results_validate(const json_t *root, char *err, size_t errlen)
{

	struct vctx vc = { err, errlen }, *v = &vc;
	json_t *schema, *ver, *ctx, *benches, *b;
	char p[64];
	size_t i;
	int st;

	if (!json_is_object(root))
		return bad(v, "(top)", "expected an object");
	schema = need(v, root, "(top)", "schema", T_STR);
	ver = schema ? need(v, root, "(top)", "schema_version", T_INT) : NULL;
	if (!ver)
		return -1;
	if (strcmp(json_string_value(schema), HB_SCHEMA))
		return bad(v, "schema", "\"%s\" is not \"%s\"",
			   json_string_value(schema), HB_SCHEMA);
	if (json_integer_value(ver) != HB_SCHEMA_VERSION)
		return bad(v, "schema_version", "%" JSON_INTEGER_FORMAT
			   " is not supported (this reader knows %d)",
			   json_integer_value(ver), HB_SCHEMA_VERSION);
	st = one_of(v, root, "(top)", "status", run_status, HB_NR_RUN_STATUS);
	if (st < 0 || !need(v, root, "(top)", "start_time", T_STR) ||
	    !need(v, root, "(top)", "end_time", T_STR | T_NULL) ||
	    !need(v, root, "(top)", "context", T_OBJ) ||
	    !need(v, root, "(top)", "benchmarks", T_ARR))
		return -1;
	ctx = json_object_get(root, "context");
	benches = json_object_get(root, "benchmarks");
	if (check_context(v, ctx))
		return -1;
	json_array_foreach(benches, i, b) {
		snprintf(p, sizeof(p), "benchmarks[%zu]", i);
		if (check_bench(v, b, p, st == 1))
			return -1;
	}
	return 0;
}

json_t *hb_results_load(const char *path, char *err, size_t errlen)
{
	json_error_t je;
	char why[512];
	json_t *root;

	root = json_load_file(path, 0, &je);
	if (!root) {
		if (je.line > 0)
			snprintf(err, errlen, "%s:%d:%d: %s", path, je.line,
				 je.column, je.text);
		else
			snprintf(err, errlen, "%s: %s", path, je.text);
		return NULL;
	}
	if (hb_results_validate(root, why, sizeof(why))) {
		snprintf(err, errlen, "%s: %s", path, why);
		json_decref(root);
		return NULL;
	}
	return root;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);

	return n >= k && !strcmp(s + n - k, tail);
}

bool hb_metric_diagnostic(const char *name)
{
	return !strncmp(name, "tracing_overhead_", 17) ||
	       ends_with(name, "_minus_untraced") || ends_with(name, "_probe_cost") ||
	       ends_with(name, "_unexplained") || !strcmp(name, "unexplained_fraction") ||
	       !strcmp(name, "components_within_timer_overhead");
}

bool hb_metric_tail(const char *name)
{
	return !strncmp(name, "p99_", 4);
}

json_t *hb_report_json(const struct hb_headline *h, const struct hb_plot *p)
{
	json_t *hs = json_array(), *ps = json_array();

	for (; h && h->label; h++)
		json_array_append_new(hs, json_pack("{ss so ss ss sb sb}", "label", h->label,
			"metric", h->metric ? json_string(h->metric) : json_null(),
			"where", h->where, "largest", h->largest,
			"series", h->series, "summary", h->summary));
	for (; p && p->kind; p++)
		json_array_append_new(ps, json_pack("{ss so so so ss sb sb}", "kind", p->kind,
			"metric", p->metric ? json_string(p->metric) : json_null(),
			"x", p->x ? json_string(p->x) : json_null(),
			"xlabel", p->xlabel ? json_string(p->xlabel) : json_null(),
			"title", p->title, "logx", p->logx, "logy", p->logy));
	return json_pack("{so so}", "headlines", hs, "plots", ps);
}
