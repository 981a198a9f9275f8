// SPDX-License-Identifier: GPL-2.0
/*
 * Result sets: the rounds (boots) of one kernel, loaded, checked to belong
 * together, their metrics gathered across rounds (docs/compare.md).
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
#include <unistd.h>

#include "compare.h"

int hb_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

const char *hb_str(const json_t *obj, const char *key)
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
	return strcmp(hb_str(m, "direction"), "higher_is_better") ?
		HB_LOWER_IS_BETTER : HB_HIGHER_IS_BETTER;
}

/* The status of a point (validated: one of the names) */
static enum hb_status point_state(const json_t *pt)
{
	int st = hb_status_parse(hb_str(pt, "status"));

	return st < 0 ? HB_STATUS_FAILED : st;
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
	m->state = HB_STATUS_OK;	/* until a round says worse */
	m->id = id;
	m->bench = strdup(bench);
	m->name = strdup(name);
	m->params = strdup(params);
	m->params_obj = params_obj;
	m->op = op;
	m->diagnostic = hb_metric_diagnostic(name);
	m->tail = hb_metric_tail(name);
	m->kind = kind;
	m->x = calloc(set->nrounds, sizeof(*m->x));
	m->n = calloc(set->nrounds, sizeof(*m->n));
	m->counters = json_object();
	json_object_set_new(set->index, id, json_integer(set->nmetrics++));
	return m;
}

static int metric_add_values(struct hb_metric *m, const json_t *vals,
			     const json_t *more, double one)
{
	size_t i, k = m->nrounds, n0 = json_array_size(vals);
	json_t *v;

	if (vals) {
		m->n[k] = n0 + json_array_size(more);
		m->x[k] = malloc((m->n[k] ? m->n[k] : 1) * sizeof(double));
		if (!m->x[k])
			return -1;
		json_array_foreach(vals, i, v)
			m->x[k][i] = json_number_value(v);
		json_array_foreach(more, i, v)
			m->x[k][n0 + i] = json_number_value(v);
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

static void metric_mark(struct hb_metric *m, enum hb_status st,
			const char *reason)
{
	if (hb_status_rank(st) > hb_status_rank(m->state)) {
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

/*
 * Whether the samples the runner set apart from a point (@ia, its
 * "interrupted") count again: its regions span ticks, or it kept under 1
 * in HB_FEWEST_SHARE (lib/results.h).
 */
static bool taken_back(const json_t *ia, size_t kept, size_t apart)
{
	return json_integer_value(json_object_get(ia, "kept_samples_interrupts")) >=
		HB_SPANS_TICKS || kept * HB_FEWEST_SHARE < kept + apart;
}

/* Add the metrics of round @r (already validated) to @set. */
static int gather_round(struct hb_set *set, size_t r, json_t *ids,
			char *err, size_t len)
{
	const json_t *root = set->roots[r], *b, *pt, *m, *ia, *kept;
	const char *unit = hb_str(json_object_get(root, "context"), "time_unit");
	const char *bname, *op, *key;
	size_t i, j, apart;
	char head[64];
	bool back;

	json_array_foreach(json_object_get(root, "benchmarks"), i, b) {
		bname = hb_str(b, "name");
		op = hb_str(b, "op");
		/* the headline is named even where a point has no metrics */
		snprintf(head, sizeof(head), "%s_per_%s",
			 strcmp(unit, "ns") ? "instructions" : "ns", op);
		json_array_foreach(json_object_get(b, "points"), j, pt) {
			const json_t *params = json_object_get(pt, "params");
			enum hb_status st = point_state(pt);
			char *ps = params_string(params);
			struct hb_metric *hm;

			if (!ps)
				return hb_err(err, len, "out of memory");
			hm = metric_get(set, bname, head, ps, params, op,
					HB_KIND_HEADLINE);
			if (!hm) {
				free(ps);
				return hb_err(err, len, "out of memory");
			}
			if (twice(ids, hm)) {
				free(ps);
				return hb_err(err, len, "%s: %s: two points with these params",
					    set->paths[r], hm->id);
			}
			metric_mark(hm, st, hb_str(pt, "reason"));
			if (st == HB_STATUS_OK) {
				if (!json_object_get(json_object_get(pt, "metrics"), head)) {
					free(ps);
					return hb_err(err, len, "%s: %s/%s has no headline metric %s",
						    set->paths[r], bname, hm->params, head);
				}
				hm->unit = hm->unit ? hm->unit :
					strdup(hb_str(pt, "unit"));
				hm->dir = HB_LOWER_IS_BETTER;
				hm->seen++;
				kept = json_object_get(pt, "samples");
				ia = json_object_get(pt, "interrupted");
				apart = json_array_size(json_object_get(ia, "samples"));
				back = taken_back(ia, json_array_size(kept), apart);
				if (metric_add_values(hm, kept,
						      back ? json_object_get(ia, "samples") : NULL, 0))
					goto oom;
				set->samples += apart + json_array_size(kept);
				if (back) {
					hm->back += apart;
					set->back += apart;
				} else {
					hm->apart += apart;
					set->apart += apart;
				}
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
					return hb_err(err, len, "%s: %s: twice in one round",
						    set->paths[r], sm->id);
				}
				sm->unit = sm->unit ? sm->unit :
					strdup(hb_str(m, "unit"));
				sm->dir = direction(m);
				sm->seen++;
				metric_mark(sm, st, hb_str(pt, "reason"));
				if (st == HB_STATUS_OK && json_array_size(json_object_get(m, "samples")) &&
				    metric_add_values(sm, json_object_get(m, "samples"), NULL, 0))
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
					return hb_err(err, len, "%s: %s: twice in one round",
						    set->paths[r], dm->id);
				}
				dm->unit = dm->unit ? dm->unit :
					strdup(hb_str(m, "unit"));
				dm->dir = direction(m);
				dm->seen++;
				metric_mark(dm, st, hb_str(pt, "reason"));
				if (st == HB_STATUS_OK && json_is_number(json_object_get(m, "value")) &&
				    metric_add_values(dm, NULL, NULL, json_number_value(
					    json_object_get(m, "value"))))
					goto oom;
			}
			free(ps);
			continue;
oom:
			free(ps);
			return hb_err(err, len, "out of memory");
		}
		json_array_foreach(json_object_get(b, "summary"), j, m) {
			const json_t *params = json_object_get(m, "params");
			char *ps = params_string(params);
			struct hb_metric *sm;

			if (!ps)
				return hb_err(err, len, "out of memory");
			sm = metric_get(set, bname, hb_str(m, "name"), ps, params,
					op, HB_KIND_SUMMARY);
			free(ps);
			if (!sm)
				return hb_err(err, len, "out of memory");
			if (twice(ids, sm))
				return hb_err(err, len, "%s: %s: twice in one round",
					    set->paths[r], sm->id);
			sm->unit = sm->unit ? sm->unit : strdup(hb_str(m, "unit"));
			sm->dir = direction(m);
			sm->seen++;
			if (json_is_number(json_object_get(m, "value")) &&
			    metric_add_values(sm, NULL, NULL, json_number_value(
				    json_object_get(m, "value"))))
				return hb_err(err, len, "out of memory");
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
				hb_err(err, len, "%s: empty result set (no */results.json or *.json)",
				     arg);
				return NULL;
			}
		}
		files = calloc(g.gl_pathc + 1, sizeof(*files));
		for (i = 0; files && i < g.gl_pathc; i++) {
			const char *tail = g.gl_pathv[i] + strlen(g.gl_pathv[i]) -
					   strlen("/profile/results.json");

			/* DIR/profile/ is the profiled run, not a round */
			if (tail > g.gl_pathv[i] && !strcmp(tail, "/profile/results.json"))
				continue;
			files[n++] = strdup(g.gl_pathv[i]);
		}
		globfree(&g);
		if (files && !n) {
			free(files);
			hb_err(err, len, "%s: empty result set (only a profiled run)", arg);
			return NULL;
		}
	} else {
		dup = strdup(arg);
		files = calloc(strlen(arg) + 2, sizeof(*files));
		if (!dup || !files) {
			free(dup);
			free(files);
			hb_err(err, len, "out of memory");
			return NULL;
		}
		for (tok = strtok_r(dup, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save))
			files[n++] = strdup(tok);
		free(dup);
		if (!n) {
			free(files);
			hb_err(err, len, "'%s': empty result set", arg);
			return NULL;
		}
	}
	if (!files) {
		hb_err(err, len, "out of memory");
		return NULL;
	}
	qsort(files, n, sizeof(*files), cmp_str);
	*count = n;
	return files;
}

bool hb_same(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

/* @v into the ", "-list @list (@size bytes) unless there */
static void add_distinct(char *list, size_t size, const char *v)
{
	size_t len = strlen(list);
	const char *p = list;

	if (!v)
		return;
	while ((p = strstr(p, v))) {
		if ((p == list || p[-1] == ' ') &&
		    (!p[strlen(v)] || p[strlen(v)] == ','))
			return;
		p++;
	}
	snprintf(list + len, size - len, "%s%s", len ? ", " : "", v);
}

const char *hb_set_mixed_hosts(const struct hb_set *set, bool mix, char *buf,
			       size_t len)
{
	if (mix || !strchr(set->hosts, ','))
		return NULL;
	snprintf(buf, len, "%s: its rounds ran on different hosts (%s), whose noise differs; --mix-hosts compares them anyway",
		 set->label, set->hosts);
	return buf;
}

/*
 * The kernel profile of a set given as a directory, DIR/profile/profile.json
 * (scripts/profile), if there is one: a corrupt one is an error.
 */
static int load_profile(struct hb_set *set, const char *arg, char *err, size_t len)
{
	char path[4096];
	json_error_t je;
	struct stat st;

	if (stat(arg, &st) || !S_ISDIR(st.st_mode))
		return 0;
	snprintf(path, sizeof(path), "%s/profile/profile.json", arg);
	if (access(path, F_OK))
		return 0;
	set->profile = json_load_file(path, 0, &je);
	if (!set->profile || !json_is_object(json_object_get(set->profile, "benchmarks")))
		return hb_err(err, len, "%s: %s", path,
			      set->profile ? "no \"benchmarks\" object" : je.text);
	return 0;
}

/* A kernel is its release, build and config: one set, one kernel. */
static char *kernel_identity(const json_t *ctx)
{
	char *s;

	if (asprintf(&s, "%s (%s, config %.12s)", hb_str(ctx, "kernel_release"),
		     hb_str(ctx, "kernel_version"),
		     hb_str(ctx, "kernel_config_sha256")) < 0)
		return NULL;
	return s;
}

/*
 * How a run's timed regions were scheduled and kept: "SCHED_FIFO (not:
 * revoke, ...), interrupted samples set apart", or
 * "SCHED_OTHER" (every run before the context said). Their samples differ
 * in what preempts or interrupts them: one set, one policy.
 */
static void regions_policy(const json_t *ctx, char *buf, size_t len)
{
	const json_t *tr = json_object_get(ctx, "timed_regions"), *v;
	size_t i, n;

	n = snprintf(buf, len, "%s", json_is_object(tr) ? hb_str(tr, "policy") : "SCHED_OTHER");
	if (!json_is_object(tr) || strcmp(hb_str(tr, "policy"), "SCHED_FIFO"))
		return;
	json_array_foreach(json_object_get(tr, "except"), i, v)
		if (n < len)
			n += snprintf(buf + n, len - n, "%s%s", i ? ", " : " (not: ",
				      json_string_value(v));
	if (i && n < len)
		n += snprintf(buf + n, len - n, ")");
	/*
	 * What the runner did to its samples, not what an analysis does with
	 * them: rules re-derived from stored rounds survive an analysis change
	 */
	if (!strcmp(hb_str(tr, "interrupted"), "set apart") && n < len)
		snprintf(buf + n, len - n, ", interrupted samples set apart");
}

void hb_kernel_family(const char *release, char *buf, size_t len)
{
	unsigned int major, minor;

	if (sscanf(release ? release : "", "%u.%u", &major, &minor) == 2)
		snprintf(buf, len, "%u.%u", major, minor);
	else
		snprintf(buf, len, "unknown");
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
		return hb_err(err, errlen, "out of memory");
	for (r = 0; r < set->nrounds; r++) {
		const json_t *ctx;

		set->roots[r] = hb_results_load(set->paths[r], why, sizeof(why));
		if (!set->roots[r]) {
			free(k0);	/* round 0's, when a later round is bad */
			return hb_err(err, errlen, "%s", why);
		}
		ctx = json_object_get(set->roots[r], "context");
		add_distinct(set->versions, sizeof(set->versions),
			     hb_str(ctx, "hmmbench_version"));
		add_distinct(set->hosts, sizeof(set->hosts), hb_str(ctx, "host"));
		if (!r) {
			set->context = ctx;
			set->mode = hb_str(ctx, "mode");
			set->time_unit = hb_str(ctx, "time_unit");
			set->kernel = hb_str(ctx, "kernel_release");
			hb_kernel_family(set->kernel, set->family, sizeof(set->family));
			snprintf(set->setting, sizeof(set->setting), "%s%s@%s", set->mode,
				 json_is_true(json_object_get(json_object_get(ctx, "run"), "quick")) ?
				 ":quick" : "", set->family);
			k0 = kernel_identity(ctx);
			regions_policy(ctx, set->regions, sizeof(set->regions));
			continue;
		}
		regions_policy(ctx, why, sizeof(why));
		if (strcmp(why, set->regions)) {
			free(k0);
			return hb_err(err, errlen, "%s: timed regions %s, %s's %s: rounds of one set must share a policy",
				      set->paths[r], why, set->paths[0], set->regions);
		}
		if (json_is_true(json_object_get(json_object_get(ctx, "run"), "quick")) !=
		    !!strstr(set->setting, ":quick")) {
			free(k0);
			return hb_err(err, errlen, "%s: a %s run, %s is not: rounds of one set must run the same points",
				    set->paths[r], strstr(set->setting, ":quick") ? "full" : "--quick",
				    set->paths[0]);
		}
		if (!hb_same(set->mode, hb_str(ctx, "mode")) ||
		    !hb_same(set->time_unit, hb_str(ctx, "time_unit"))) {
			free(k0);
			return hb_err(err, errlen, "%s: mode %s (%s) differs from %s's %s (%s): rounds of one set must share a mode",
				    set->paths[r], hb_str(ctx, "mode"),
				    hb_str(ctx, "time_unit"), set->paths[0],
				    set->mode, set->time_unit);
		}
		kr = kernel_identity(ctx);
		if (!hb_same(k0, kr)) {
			hb_err(err, errlen, "%s: kernel '%s' differs from %s's '%s': rounds of one set must be boots of one kernel",
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
			  hb_err(err, errlen, "out of memory");

		json_decref(ids);
		if (ret)
			return -1;
	}
	if (!set->nmetrics)
		return hb_err(err, errlen, "%s: empty result set (no benchmark points)",
			    arg);
	if (load_profile(set, arg, err, errlen))
		return -1;
	/*
	 * Every round must have every metric: a round without one is only
	 * excused by its point not being ok there (then nothing is compared).
	 */
	for (i = 0; i < set->nmetrics; i++) {
		struct hb_metric *m = &set->metrics[i];

		finish_counters(m);
		/* a null value (not finite) is no value, not a missing metric */
		if (m->state != HB_STATUS_OK || m->seen == set->nrounds)
			continue;
		return hb_err(err, errlen, "%s: %s is in %zu of %zu rounds: rounds of one set must run the same points",
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
	json_decref(set->profile);
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
		const char *st = hb_str(set->roots[r], "status");

		if (strcmp(st, hb_run_status_name(HB_RUN_COMPLETE))) {
			snprintf(buf, len, "%s: status %s, not complete%s", set->paths[r], st,
				 !strcmp(st, hb_run_status_name(HB_RUN_FAILED)) ?
				 " (a point failed or the kernel warned)" : "");
			return buf;
		}
	}
	for (i = 0; i < set->nmetrics; i++) {
		const struct hb_metric *m = &set->metrics[i];

		if (m->state == HB_STATUS_FAILED || m->state == HB_STATUS_INCOMPLETE) {
			snprintf(buf, len, "%s: %s %s: %s", set->label, m->id,
				 hb_status_name(m->state), m->reason ? m->reason : "");
			return buf;
		}
	}
	return NULL;
}
