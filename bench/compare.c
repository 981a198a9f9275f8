// SPDX-License-Identifier: GPL-2.0
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

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

/* "k=v,k=v" in the order the runner wrote the params */
static char *params_string(const json_t *params)
{
	char *buf = NULL, *v;
	size_t len = 0;
	const char *key;
	json_t *val;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	json_object_foreach((json_t *)params, key, val) {
		if (ftell(f))
			fputc(',', f);
		if (json_is_string(val)) {
			fprintf(f, "%s=%s", key, json_string_value(val));
		} else {
			v = json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);
			fprintf(f, "%s=%s", key, v ? v : "?");
			free(v);
		}
	}
	fclose(f);
	return buf;
}

static enum hb_direction direction(const json_t *m)
{
	return strcmp(str(m, "direction"), "higher_is_better") ?
		HB_LOWER_IS_BETTER : HB_HIGHER_IS_BETTER;
}

/* A failed or incomplete point outweighs an unsupported one. */
static int state_rank(enum hb_state s)
{
	static const int rank[] = {
		[HB_ST_OK] = 0, [HB_ST_UNSUPPORTED] = 1,
		[HB_ST_INCOMPLETE] = 2, [HB_ST_FAILED] = 3,
	};

	return rank[s];
}

static enum hb_state point_state(const json_t *pt)
{
	const char *s = str(pt, "status");

	if (!strcmp(s, "ok"))
		return HB_ST_OK;
	if (!strcmp(s, "unsupported"))
		return HB_ST_UNSUPPORTED;
	if (!strcmp(s, "incomplete"))
		return HB_ST_INCOMPLETE;
	return HB_ST_FAILED;
}

/* The metric @bench/@name:@params of @set, made on first sight. */
static struct hb_metric *metric_get(struct hb_set *set, const char *bench,
				    const char *name, const char *params,
				    const json_t *params_obj, const char *op,
				    enum hb_kind kind)
{
	struct hb_metric *m, *grown;
	char *id;
	json_t *idx;

	if (asprintf(&id, "%s/%s:%s", bench, name, params) < 0)
		return NULL;
	idx = json_object_get(set->index, id);
	if (idx) {
		free(id);
		return &set->metrics[json_integer_value(idx)];
	}
	grown = realloc(set->metrics, (set->nmetrics + 1) * sizeof(*grown));
	if (!grown) {
		free(id);
		return NULL;
	}
	set->metrics = grown;
	m = &set->metrics[set->nmetrics];
	memset(m, 0, sizeof(*m));
	m->id = id;
	m->bench = strdup(bench);
	m->name = strdup(name);
	m->params = strdup(params);
	m->params_obj = params_obj;
	m->op = op;
	m->kind = kind;
	m->x = calloc(set->nrounds, sizeof(*m->x));
	m->n = calloc(set->nrounds, sizeof(*m->n));
	m->counters = json_object();
	json_object_set_new(set->index, id, json_integer(set->nmetrics++));
	return m;
}

static int metric_add_values(struct hb_metric *m, const json_t *vals,
			     double one)
{
	size_t i, k = m->nrounds;
	json_t *v;

	if (vals) {
		m->n[k] = json_array_size(vals);
		m->x[k] = malloc((m->n[k] ? m->n[k] : 1) * sizeof(double));
		if (!m->x[k])
			return -1;
		json_array_foreach(vals, i, v)
			m->x[k][i] = json_number_value(v);
	} else {
		m->x[k] = malloc(sizeof(double));
		if (!m->x[k])
			return -1;
		m->x[k][0] = one;
		m->n[k] = 1;
	}
	m->nrounds++;
	return 0;
}

/* Sum per_op * ops per event; divided by the ops total once all are in. */
static void add_counters(struct hb_metric *m, const json_t *counters)
{
	const json_t *per_op = json_object_get(counters, "per_op");
	double ops = json_number_value(json_object_get(counters, "ops"));
	const char *ev;
	json_t *v, *acc;

	json_object_foreach((json_t *)per_op, ev, v) {
		acc = json_object_get(m->counters, ev);
		if (!acc) {
			acc = json_pack("[f f]", 0.0, 0.0);
			json_object_set_new(m->counters, ev, acc);
		}
		if (!json_is_number(v) || !(ops > 0))
			continue;	/* multiplexed out in this round */
		json_array_set_new(acc, 0, json_real(
			json_number_value(json_array_get(acc, 0)) +
			json_number_value(v) * ops));
		json_array_set_new(acc, 1, json_real(
			json_number_value(json_array_get(acc, 1)) + ops));
	}
}

static void finish_counters(struct hb_metric *m)
{
	json_t *out = json_object(), *acc;
	const char *ev;
	double ops;

	json_object_foreach(m->counters, ev, acc) {
		ops = json_number_value(json_array_get(acc, 1));
		json_object_set_new(out, ev, ops > 0 ? json_real(
			json_number_value(json_array_get(acc, 0)) / ops) :
			json_null());
	}
	json_decref(m->counters);
	m->counters = out;
}

static void metric_mark(struct hb_metric *m, enum hb_state st,
			const char *reason)
{
	if (state_rank(st) > state_rank(m->state)) {
		m->state = st;
		m->reason = reason;
	}
}

/*
 * Records @m in @ids, the metric ids of one round; true if it was there:
 * a round holds one value per metric, the rounds' arrays no more.
 */
static bool twice(json_t *ids, const struct hb_metric *m)
{
	if (json_object_get(ids, m->id))
		return true;
	json_object_set_new(ids, m->id, json_true());
	return false;
}

/* Add the metrics of round @r (already validated) to @set. */
static int gather_round(struct hb_set *set, size_t r, json_t *ids,
			char *err, size_t len)
{
	const json_t *root = set->roots[r], *b, *pt, *m;
	const char *unit = str(json_object_get(root, "context"), "time_unit");
	const char *bname, *op, *key;
	size_t i, j;
	char head[64];

	json_array_foreach(json_object_get(root, "benchmarks"), i, b) {
		bname = str(b, "name");
		op = str(b, "op");
		/* the headline is named even where a point has no metrics */
		snprintf(head, sizeof(head), "%s_per_%s",
			 strcmp(unit, "ns") ? "instructions" : "ns", op);
		json_array_foreach(json_object_get(b, "points"), j, pt) {
			const json_t *params = json_object_get(pt, "params");
			enum hb_state st = point_state(pt);
			char *ps = params_string(params);
			struct hb_metric *hm;

			if (!ps)
				return fail(err, len, "out of memory");
			hm = metric_get(set, bname, head, ps, params, op,
					HB_KIND_HEADLINE);
			if (!hm) {
				free(ps);
				return fail(err, len, "out of memory");
			}
			if (twice(ids, hm)) {
				free(ps);
				return fail(err, len, "%s: %s: two points with these params",
					    set->paths[r], hm->id);
			}
			metric_mark(hm, st, str(pt, "reason"));
			if (st == HB_ST_OK) {
				if (!json_object_get(json_object_get(pt, "metrics"), head)) {
					free(ps);
					return fail(err, len, "%s: %s/%s has no headline metric %s",
						    set->paths[r], bname, hm->params, head);
				}
				hm->unit = hm->unit ? hm->unit :
					strdup(str(pt, "unit"));
				hm->dir = HB_LOWER_IS_BETTER;
				hm->seen++;
				if (metric_add_values(hm, json_object_get(pt, "samples"), 0))
					goto oom;
				add_counters(hm, json_object_get(pt, "counters"));
			}
			/* a point's sample series: tested on samples, as headlines */
			json_object_foreach(json_object_get(pt, "series"), key, m) {
				struct hb_metric *sm;

				sm = metric_get(set, bname, key, ps, params, op,
						HB_KIND_HEADLINE);
				if (!sm)
					goto oom;
				if (twice(ids, sm)) {
					free(ps);
					return fail(err, len, "%s: %s: twice in one round",
						    set->paths[r], sm->id);
				}
				sm->unit = sm->unit ? sm->unit :
					strdup(str(m, "unit"));
				sm->dir = direction(m);
				sm->seen++;
				metric_mark(sm, st, str(pt, "reason"));
				if (st == HB_ST_OK && json_array_size(json_object_get(m, "samples")) &&
				    metric_add_values(sm, json_object_get(m, "samples"), 0))
					goto oom;
			}
			json_object_foreach(json_object_get(pt, "metrics"), key, m) {
				struct hb_metric *dm;

				if (!strcmp(key, head))
					continue;
				dm = metric_get(set, bname, key, ps, params, op,
						HB_KIND_DERIVED);
				if (!dm)
					goto oom;
				if (twice(ids, dm)) {
					free(ps);
					return fail(err, len, "%s: %s: twice in one round",
						    set->paths[r], dm->id);
				}
				dm->unit = dm->unit ? dm->unit :
					strdup(str(m, "unit"));
				dm->dir = direction(m);
				dm->seen++;
				metric_mark(dm, st, str(pt, "reason"));
				if (st == HB_ST_OK && json_is_number(json_object_get(m, "value")) &&
				    metric_add_values(dm, NULL, json_number_value(
					    json_object_get(m, "value"))))
					goto oom;
			}
			free(ps);
			continue;
oom:
			free(ps);
			return fail(err, len, "out of memory");
		}
		json_array_foreach(json_object_get(b, "summary"), j, m) {
			const json_t *params = json_object_get(m, "params");
			char *ps = params_string(params);
			struct hb_metric *sm;

			if (!ps)
				return fail(err, len, "out of memory");
			sm = metric_get(set, bname, str(m, "name"), ps, params,
					op, HB_KIND_SUMMARY);
			free(ps);
			if (!sm)
				return fail(err, len, "out of memory");
			if (twice(ids, sm))
				return fail(err, len, "%s: %s: twice in one round",
					    set->paths[r], sm->id);
			sm->unit = sm->unit ? sm->unit : strdup(str(m, "unit"));
			sm->dir = direction(m);
			sm->seen++;
			if (json_is_number(json_object_get(m, "value")) &&
			    metric_add_values(sm, NULL, json_number_value(
				    json_object_get(m, "value"))))
				return fail(err, len, "out of memory");
		}
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of a result-set argument, sorted; NULL-terminated. */
static char **set_files(const char *arg, size_t *count, char *err, size_t len)
{
	char **files = NULL, *dup, *tok, *save, pat[4096];
	struct stat sb;
	glob_t g;
	size_t i, n = 0;

	if (!stat(arg, &sb) && S_ISDIR(sb.st_mode)) {
		/* rounds in subdirectories, else the JSON files of DIR */
		snprintf(pat, sizeof(pat), "%s/*/results.json", arg);
		if (glob(pat, 0, NULL, &g)) {
			snprintf(pat, sizeof(pat), "%s/*.json", arg);
			if (glob(pat, 0, NULL, &g)) {
				fail(err, len, "%s: empty result set (no */results.json or *.json)",
				     arg);
				return NULL;
			}
		}
		files = calloc(g.gl_pathc + 1, sizeof(*files));
		for (i = 0; files && i < g.gl_pathc; i++)
			files[n++] = strdup(g.gl_pathv[i]);
		globfree(&g);
	} else {
		dup = strdup(arg);
		files = calloc(strlen(arg) + 2, sizeof(*files));
		if (!dup || !files) {
			free(dup);
			free(files);
			fail(err, len, "out of memory");
			return NULL;
		}
		for (tok = strtok_r(dup, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save))
			files[n++] = strdup(tok);
		free(dup);
		if (!n) {
			free(files);
			fail(err, len, "'%s': empty result set", arg);
			return NULL;
		}
	}
	if (!files) {
		fail(err, len, "out of memory");
		return NULL;
	}
	qsort(files, n, sizeof(*files), cmp_str);
	*count = n;
	return files;
}

static bool same(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

/* A kernel is its release, build and config: one set, one kernel. */
static char *kernel_identity(const json_t *ctx)
{
	char *s;

	if (asprintf(&s, "%s (%s, config %.12s)", str(ctx, "kernel_release"),
		     str(ctx, "kernel_version"),
		     str(ctx, "kernel_config_sha256")) < 0)
		return NULL;
	return s;
}

int hb_set_load(struct hb_set *set, const char *arg, char *err, size_t errlen)
{
	char why[1024], *k0 = NULL, *kr = NULL;
	size_t r, i;

	memset(set, 0, sizeof(*set));
	set->label = strdup(arg);
	set->paths = set_files(arg, &set->nrounds, err, errlen);
	if (!set->paths)
		return -1;
	set->roots = calloc(set->nrounds, sizeof(*set->roots));
	set->index = json_object();
	if (!set->roots || !set->index)
		return fail(err, errlen, "out of memory");
	for (r = 0; r < set->nrounds; r++) {
		const json_t *ctx;

		set->roots[r] = hb_results_load(set->paths[r], why, sizeof(why));
		if (!set->roots[r]) {
			free(k0);	/* round 0's, when a later round is bad */
			return fail(err, errlen, "%s", why);
		}
		ctx = json_object_get(set->roots[r], "context");
		if (!r) {
			set->context = ctx;
			set->mode = str(ctx, "mode");
			snprintf(set->setting, sizeof(set->setting), "%s%s", set->mode,
				 json_is_true(json_object_get(json_object_get(ctx, "run"), "quick")) ?
				 ":quick" : "");
			set->time_unit = str(ctx, "time_unit");
			set->kernel = str(ctx, "kernel_release");
			k0 = kernel_identity(ctx);
			continue;
		}
		if (json_is_true(json_object_get(json_object_get(ctx, "run"), "quick")) !=
		    !!strstr(set->setting, ":quick")) {
			free(k0);
			return fail(err, errlen, "%s: a %s run, %s is not: rounds of one set must run the same points",
				    set->paths[r], strstr(set->setting, ":quick") ? "full" : "--quick",
				    set->paths[0]);
		}
		if (!same(set->mode, str(ctx, "mode")) ||
		    !same(set->time_unit, str(ctx, "time_unit"))) {
			free(k0);
			return fail(err, errlen, "%s: mode %s (%s) differs from %s's %s (%s): rounds of one set must share a mode",
				    set->paths[r], str(ctx, "mode"),
				    str(ctx, "time_unit"), set->paths[0],
				    set->mode, set->time_unit);
		}
		kr = kernel_identity(ctx);
		if (!same(k0, kr)) {
			fail(err, errlen, "%s: kernel '%s' differs from %s's '%s': rounds of one set must be boots of one kernel",
			     set->paths[r], kr, set->paths[0], k0);
			free(k0);
			free(kr);
			return -1;
		}
		free(kr);
	}
	free(k0);
	for (r = 0; r < set->nrounds; r++) {
		json_t *ids = json_object();
		int ret = ids ? gather_round(set, r, ids, err, errlen) :
			  fail(err, errlen, "out of memory");

		json_decref(ids);
		if (ret)
			return -1;
	}
	if (!set->nmetrics)
		return fail(err, errlen, "%s: empty result set (no benchmark points)",
			    arg);
	/*
	 * Every round must have every metric: a round without one is only
	 * excused by its point not being ok there (then nothing is compared).
	 */
	for (i = 0; i < set->nmetrics; i++) {
		struct hb_metric *m = &set->metrics[i];

		finish_counters(m);
		/* a null value (not finite) is no value, not a missing metric */
		if (m->state != HB_ST_OK || m->seen == set->nrounds)
			continue;
		return fail(err, errlen, "%s: %s is in %zu of %zu rounds: rounds of one set must run the same points",
			    arg, m->id, m->seen, set->nrounds);
	}
	return 0;
}

void hb_set_free(struct hb_set *set)
{
	size_t i, r;

	for (i = 0; i < set->nmetrics; i++) {
		struct hb_metric *m = &set->metrics[i];

		for (r = 0; r < m->nrounds; r++)
			free(m->x[r]);
		free(m->x);
		free(m->n);
		free(m->id);
		free(m->bench);
		free(m->name);
		free(m->unit);
		free(m->params);
		json_decref(m->counters);
	}
	free(set->metrics);
	for (r = 0; set->paths && r < set->nrounds; r++) {
		free(set->paths[r]);
		if (set->roots)
			json_decref(set->roots[r]);
	}
	free(set->paths);
	free(set->roots);
	free(set->label);
	json_decref(set->index);
	memset(set, 0, sizeof(*set));
}

const struct hb_metric *hb_set_find(const struct hb_set *set, const char *id)
{
	json_t *idx = json_object_get(set->index, id);

	return idx ? &set->metrics[json_integer_value(idx)] : NULL;
}

const char *hb_set_unfit(const struct hb_set *set, char *buf, size_t len)
{
	size_t r, i;

	for (r = 0; r < set->nrounds; r++) {
		const char *st = str(set->roots[r], "status");

		if (strcmp(st, "complete")) {
			snprintf(buf, len, "%s: status %s, not complete%s", set->paths[r], st,
				 !strcmp(st, "failed") ? " (a point failed or the kernel warned)" : "");
			return buf;
		}
	}
	for (i = 0; i < set->nmetrics; i++) {
		const struct hb_metric *m = &set->metrics[i];

		if (m->state == HB_ST_FAILED || m->state == HB_ST_INCOMPLETE) {
			snprintf(buf, len, "%s: %s %s: %s", set->label, m->id,
				 m->state == HB_ST_FAILED ? "failed" : "incomplete",
				 m->reason ? m->reason : "");
			return buf;
		}
	}
	return NULL;
}

/* Thresholds */

int hb_thresholds_load(struct hb_thresholds *t, const char *path,
		       char *err, size_t errlen)
{
	char *line = NULL, mode[64], pat[512], pct[64], extra[8];
	size_t cap = 0;
	int lineno = 0;
	FILE *f;

	memset(t, 0, sizeof(*t));
	f = fopen(path, "r");
	if (!f)
		return fail(err, errlen, "cannot read thresholds %s: %s", path,
			    strerror(errno));
	t->path = strdup(path);
	while (getline(&line, &cap, f) > 0) {
		struct hb_threshold_rule *grown;
		char *hash = strchr(line, '#'), *end;
		double v;
		int nf;

		lineno++;
		if (hash)
			*hash = '\0';
		nf = sscanf(line, "%63s %511s %63s %7s", mode, pat, pct, extra);
		if (nf <= 0)
			continue;
		v = nf == 3 ? strtod(pct, &end) : NAN;
		if (nf != 3 || *end || !(v >= 0) || !isfinite(v)) {
			fail(err, errlen, "%s:%d: expected 'SETTING METRIC-PATTERN PERCENT'",
			     path, lineno);
			goto bad;
		}
		grown = realloc(t->rules, (t->n + 1) * sizeof(*grown));
		if (!grown) {
			fail(err, errlen, "out of memory");
			goto bad;
		}
		t->rules = grown;
		t->rules[t->n++] = (struct hb_threshold_rule){
			strdup(mode), strdup(pat), v, lineno,
			strpbrk(pat, "*?[") != NULL
		};
	}
	free(line);
	fclose(f);
	return 0;
bad:
	free(line);
	fclose(f);
	hb_thresholds_free(t);
	return -1;
}

void hb_thresholds_free(struct hb_thresholds *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->rules[i].mode);
		free(t->rules[i].pattern);
	}
	free(t->rules);
	free(t->path);
	memset(t, 0, sizeof(*t));
}

static bool mode_matches(const struct hb_threshold_rule *r, const char *setting)
{
	return !strcmp(r->mode, "*") || !strcmp(r->mode, setting);
}

const struct hb_threshold_rule *hb_threshold_rule(const struct hb_thresholds *t,
						  const char *setting,
						  const char *id)
{
	const struct hb_threshold_rule *r = NULL;
	size_t i;

	for (i = 0; t && i < t->n; i++)
		if (mode_matches(&t->rules[i], setting) &&
		    !fnmatch(t->rules[i].pattern, id, 0))
			r = &t->rules[i];	/* the last match wins */
	return r;
}

double hb_threshold_for(const struct hb_thresholds *t, const char *setting,
			const char *id)
{
	const struct hb_threshold_rule *r = hb_threshold_rule(t, setting, id);

	return r ? r->percent : -1;
}

bool hb_thresholds_have_mode(const struct hb_thresholds *t, const char *mode)
{
	size_t i;

	for (i = 0; t && i < t->n; i++)
		if (mode_matches(&t->rules[i], mode))
			return true;
	return false;
}

/* Comparing */

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
	return c->b && c->c && c->b->state == HB_ST_OK &&
	       c->c->state == HB_ST_OK && c->b->nrounds && c->c->nrounds &&
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
	if (state_rank(b->state) >= 2 || state_rank(k->state) >= 2) {
		const struct hb_metric *w = state_rank(b->state) >= 2 ? b : k;

		c->verdict = HB_V_FAILED;
		snprintf(c->reason, sizeof(c->reason), "%s %s: %s",
			 w == b ? "baseline" : "candidate",
			 w->state == HB_ST_FAILED ? "failed" : "incomplete",
			 w->reason ? w->reason : "");
		return;
	}
	if (b->state == HB_ST_UNSUPPORTED || k->state == HB_ST_UNSUPPORTED) {
		c->verdict = HB_V_UNSUPPORTED;
		if (b->state == k->state)
			snprintf(c->reason, sizeof(c->reason), "%s", b->reason);
		else
			snprintf(c->reason, sizeof(c->reason), "%s only: %s",
				 b->state ? "baseline" : "candidate",
				 b->state ? b->reason : k->reason);
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
static void decide(struct hb_cmp *c, double alpha, bool have_th)
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
			if (c->rule)
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

	if (have->kind != HB_KIND_DERIVED || !h || h->state == HB_ST_OK)
		return;
	if (h->state == HB_ST_UNSUPPORTED) {
		c->verdict = HB_V_UNSUPPORTED;
		snprintf(c->reason, sizeof(c->reason), "%s only: %s", side,
			 h->reason ? h->reason : "");
	} else {
		c->verdict = HB_V_FAILED;
		snprintf(c->reason, sizeof(c->reason), "%s %s: %s", side,
			 h->state == HB_ST_FAILED ? "failed" : "incomplete",
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
	for (i = 0, m = 0; i < out->n; i++)
		if (out->m[i].tested)
			out->m[i].p_adj = out->m[i].identical ? 1 : p[out->n + m++];
	free(p);
	return 0;
}

int hb_compare(const struct hb_set *base, const struct hb_set *cand,
	       const struct hb_thresholds *th, const char *mode, double alpha,
	       struct hb_comparison *out, char *err, size_t errlen)
{
	size_t i, k = 0, extra = 0, gn = 0;
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
		return fail(err, errlen, "out of memory");
	if (!mode)
		mode = base->setting;
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
		compare_one(&out->m[i], th, mode, alpha, out->ntests ? out->ntests : 1);
	if (adjust(out))
		return fail(err, errlen, "out of memory");
	for (i = 0; i < out->n; i++) {
		struct hb_cmp *c = &out->m[i];

		decide(c, alpha, th != NULL);
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

	if (!same(base->time_unit, cand->time_unit) ||
	    !same(base->mode, cand->mode))
		snprintf(out->problem, sizeof(out->problem),
			 "modes differ: baseline %s (%s), candidate %s (%s)",
			 base->mode, base->time_unit, cand->mode,
			 cand->time_unit);
	else if (out->counts[HB_V_MISSING]) {
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

void hb_comparison_free(struct hb_comparison *cmp)
{
	free(cmp->m);
	memset(cmp, 0, sizeof(*cmp));
}

/* A/A noise */

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
	double v[HB_NOISE_SPLITS], worst = NAN;
	uint64_t mask, seed = HB_BOOTSTRAP_SEED;

	*typical = NAN;
	*splits = 0;
	if (!a->nrounds || !b->nrounds || total > 64)
		return NAN;
	for (r = 0; r < total; r++) {
		x[r] = r < k ? a->x[r] : b->x[r - k];
		n[r] = r < k ? a->n[r] : b->n[r - k];
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
