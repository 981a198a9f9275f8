// SPDX-License-Identifier: GPL-2.0
/* Results files: write, read back, and reject what is not one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "results.h"
#include "unit.h"

/* A small valid document; every real is exact in binary. */
static json_t *doc(void)
{
	struct hb_stats st = {
		.n = 4, .median = 1234.5, .mean = 1240.25, .stddev = 12.5,
		.cov = 0.0078125, .min = 1200, .max = 1300, .p50 = 1234.5,
		.p90 = 1290, .p99 = 1299, .ci95_lo = 1210.5, .ci95_hi = 1260.75,
	};
	json_t *metrics = json_pack("{so}", "ns_per_page",
				    hb_metric_json(1234.5, "ns/page", HB_LOWER_IS_BETTER));
	json_t *point = json_pack("{s{sisssisi} ss ss s[ffff] so s{sfsfs{sf}} so}",
		"params", "pages", 16, "state", "populated", "cpu_node", 0, "mem_node", 0,
		"status", "ok", "unit", "ns/page",
		"samples", 1200.0, 1234.0, 1235.0, 1300.0,
		"stats", hb_stats_json(&st),
		"counters", "ops", 64.0, "regions", 4.0, "per_op", "page-faults", 0.5,
		"metrics", metrics);
	json_t *ctx = json_pack("{ss ss sn sn ss ss ss ss s{ss} s[] ss s{s[]s[]} s{sfss}}",
		"hmmbench_version", "v1-test", "kernel_release", "6.1.192",
		"kernel_config_sha256", "kernel_build",
		"mode", "tcg", "accelerator", "tcg", "time_unit", "ns",
		"cpu_model", "QEMU Virtual CPU", "topology", "summary", "1 package",
		"numa_nodes", "thp_enabled", "madvise",
		"perf_events", "supported", "unsupported",
		"timer_overhead", "median", 110.5, "unit", "ns");

	return json_pack("{ss si ss ss ss so s[{ss ss ss s[o] s[] s[]}]}",
		"schema", HB_SCHEMA, "schema_version", HB_SCHEMA_VERSION,
		"status", "complete", "start_time", "2025-01-01T00:00:00Z",
		"end_time", "2025-01-01T00:01:00Z", "context", ctx,
		"benchmarks", "name", "mark", "description", "test", "op", "page",
		"points", point, "summary", "kernel_warnings");
}

static json_t *point0(json_t *root)
{
	return json_array_get(json_object_get(json_array_get(
		json_object_get(root, "benchmarks"), 0), "points"), 0);
}

static char dir[64];

static void remove_dir(void)
{
	rmdir(dir);
}

/* @name in a scratch directory that goes away at exit. */
static const char *tmpfile_path(const char *name)
{
	static char path[128];

	if (!dir[0]) {
		strcpy(dir, "/tmp/hmmbench-unit.XXXXXX");
		if (!mkdtemp(dir))
			return NULL;
		atexit(remove_dir);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* Validates @root and checks that the error mentions @want (NULL: valid). */
static bool invalid_with(json_t *root, const char *want)
{
	char err[512] = "";
	int ret = hb_results_validate(root, err, sizeof(err));

	json_decref(root);
	if (!want)
		return CHECK(ret == 0) || (printf("# %s\n", err), false);
	if (!CHECK(ret != 0))
		return false;
	if (!strstr(err, want)) {
		printf("# error '%s' does not mention '%s'\n", err, want);
		return CHECK(false);
	}
	return true;
}

TEST(valid_document)
{
	invalid_with(doc(), NULL);
}

TEST(round_trip)
{
	const char *path = tmpfile_path("round.json");
	json_t *root = doc(), *back;
	char err[512], tmp[160];

	CHECK(path != NULL);
	CHECK(hb_results_write(root, path, err, sizeof(err)) == 0);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	CHECK(access(tmp, F_OK) != 0);		/* renamed away */
	back = hb_results_load(path, err, sizeof(err));
	if (CHECK(back != NULL))
		CHECK(json_equal(root, back));
	json_decref(back);
	json_decref(root);
	unlink(path);
}

TEST(nan_is_null)
{
	struct hb_stats st = { .n = 1, .cov = NAN, .median = 1 };
	json_t *j = hb_stats_json(&st), *m = hb_metric_json(INFINITY, "x",
							   HB_HIGHER_IS_BETTER);

	CHECK(json_is_null(json_object_get(j, "cov")));
	CHECK(json_real_value(json_object_get(j, "median")) == 1);
	CHECK(json_is_null(json_object_get(m, "value")));
	CHECK(!strcmp(json_string_value(json_object_get(m, "direction")),
		      "higher_is_better"));
	json_decref(j);
	json_decref(m);
}

TEST(corrupt_json)
{
	const char *path = tmpfile_path("corrupt.json");
	char err[512] = "";
	FILE *f = fopen(path, "w");

	fputs("{\"schema\": \"hmmbench-results\",\n \"schema_version\": 1,\n", f);
	fclose(f);
	CHECK(hb_results_load(path, err, sizeof(err)) == NULL);
	CHECK(strstr(err, path) != NULL);
	CHECK(strstr(err, ":3:") != NULL);	/* the line where it ends */
	unlink(path);
	CHECK(hb_results_load(path, err, sizeof(err)) == NULL);
}

TEST(wrong_schema)
{
	json_t *root = doc();

	json_object_set_new(root, "schema_version", json_integer(2));
	invalid_with(root, "schema_version: 2 is not supported");
	root = doc();
	json_object_set_new(root, "schema", json_string("other"));
	invalid_with(root, "schema");
	invalid_with(json_array(), "expected an object");
}

TEST(missing_fields)
{
	json_t *root = doc();

	json_object_del(json_object_get(root, "context"), "kernel_release");
	invalid_with(root, "context.kernel_release: missing");
	root = doc();
	json_object_del(point0(root), "stats");
	invalid_with(root, "benchmarks[0].points[0].stats: missing");
	root = doc();
	json_object_del(root, "benchmarks");
	invalid_with(root, "benchmarks: missing");
	root = doc();
	json_object_del(json_object_get(point0(root), "stats"), "p99");
	invalid_with(root, "points[0].stats.p99: missing");
}

TEST(wrong_types_and_values)
{
	json_t *root = doc();

	json_array_append_new(json_object_get(point0(root), "samples"),
			      json_string("fast"));
	invalid_with(root, "points[0].samples[4]: expected a number");
	root = doc();
	json_object_set_new(root, "status", json_string("done"));
	invalid_with(root, "status \"done\" is not a known value");
	root = doc();
	json_object_set_new(point0(root), "status", json_string("failed"));
	invalid_with(root, "reason: missing");
	root = doc();
	json_object_set_new(point0(root), "status", json_string("incomplete"));
	invalid_with(root, "incomplete");
	root = doc();
	json_object_set_new(json_object_get(json_object_get(point0(root), "metrics"),
					    "ns_per_page"), "direction",
			    json_string("up"));
	invalid_with(root, "metrics.ns_per_page");
	root = doc();
	json_object_set_new(json_object_get(root, "context"), "kernel_release",
			    json_integer(6));
	invalid_with(root, "context.kernel_release: unexpected type integer");
}

/* icount time is instructions: a file that calls it ns is wrong. */
TEST(icount_unit)
{
	json_t *root = doc();

	json_object_set_new(json_object_get(root, "context"), "mode",
			    json_string("icount"));
	invalid_with(root, "context.time_unit: \"ns\" does not go with mode \"icount\"");
	root = doc();
	json_object_set_new(json_object_get(root, "context"), "time_unit",
			    json_string("guest-instructions"));
	invalid_with(root, "does not go with mode \"tcg\"");
}

/* A partial file may hold incomplete points; a failed point needs no stats. */
TEST(partial_and_failed)
{
	json_t *root = doc();

	json_object_set_new(root, "status", json_string("partial"));
	json_object_set_new(root, "end_time", json_null());
	json_object_set_new(point0(root), "status", json_string("incomplete"));
	invalid_with(root, NULL);
	root = doc();
	json_object_set_new(point0(root), "status", json_string("unsupported"));
	json_object_set_new(point0(root), "reason", json_string("EBUSY"));
	json_object_del(point0(root), "stats");
	invalid_with(root, NULL);
}
