/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Results files (docs/results-schema.md): writing them atomically, reading
 * and validating them. Shared by the runner and the tools.
 */
#ifndef HMMBENCH_RESULTS_H
#define HMMBENCH_RESULTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "stats.h"

#define HB_SCHEMA		"hmmbench-results"
#define HB_SCHEMA_VERSION	1
/* Twelve significant digits: sub-ns for anything under a second. */
#define HB_JSON_FLAGS		(JSON_INDENT(1) | JSON_REAL_PRECISION(12))

enum hb_direction { HB_LOWER_IS_BETTER, HB_HIGHER_IS_BETTER };

/*
 * A point's status, the one list: its names are what results.json holds.
 * Incomplete (not measured to the end: interrupted) is 0, what a new
 * point is; the order is also how bad a status is, ok the best.
 */
enum hb_status {
	HB_STATUS_INCOMPLETE, HB_STATUS_OK, HB_STATUS_UNSUPPORTED,
	HB_STATUS_FAILED, HB_NR_STATUS
};
const char *hb_status_name(enum hb_status s);
/* The status named @name, or -1. */
int hb_status_parse(const char *name);
/* Which of two statuses outweighs the other: failed, incomplete, unsupported, ok. */
int hb_status_rank(enum hb_status s);

/* A run's status, the one list: "complete", "partial" (it stopped), "failed". */
enum hb_run_status { HB_RUN_COMPLETE, HB_RUN_PARTIAL, HB_RUN_FAILED, HB_NR_RUN_STATUS };
const char *hb_run_status_name(enum hb_run_status s);

/* The modes a run is taken in, the one list (docs/results-schema.md). */
enum hb_mode { HB_MODE_KVM, HB_MODE_TCG, HB_MODE_ICOUNT, HB_MODE_HOST, HB_NR_MODES };
const char *hb_mode_name(enum hb_mode m);
/* The unit of a mode's times: icount's are guest instructions, never ns. */
const char *hb_mode_time_unit(enum hb_mode m);
/* The mode named @name, or -1. */
int hb_mode_parse(const char *name);

/*
 * The runner sets apart a point's samples holding more interrupts than its
 * fewest (docs/results-schema.md). Where every sample held this many or
 * more, the regions span over 2 ticks (8,000,000 instructions in icount):
 * a handler, 10,000 to 17,000, is at most about 0.2% of one, and the
 * fewest are often 1 or 2 samples of 10, one of them an outlier
 * (results/aa-20261128-icount-full). The analysis takes the samples set
 * apart back there, and where the fewest were under 1 in HB_FEWEST_SHARE
 * of the point's samples: regions about as long as the tick, whose rare
 * sample without one is the phase's luck, not the point (a 512-page mark,
 * 1 of 20 kept, 0.1% low: results/aa-20261128-icount-quick-held-out).
 */
#define HB_SPANS_TICKS	3
#define HB_FEWEST_SHARE	10

/*
 * What a benchmark shows of itself, carried by its struct hb_bench and
 * written by the runner into results.json as the benchmark's "report"
 * (docs/results-schema.md), where the summary's headline table and the
 * tools' plots read it: adding a benchmark touches nothing else.
 *
 * A headline picks, among the benchmark's ok points whose params match
 * @where ("k=v,k=v"), the one with the largest @largest, and shows its own
 * median (@metric NULL), a metric (or with @series a series' median) whose
 * name holds @metric; or with @summary, the summary metric of that name
 * with the largest @largest. A @label starting with blanks is a sub-line.
 */
struct hb_headline {
	const char *label, *metric, *where, *largest;
	bool series, summary;
};

/*
 * A plot of the HTML report: "sweep" draws @metric (a name prefix; NULL:
 * the point's own median) against param @x, a line per kernel and group
 * of the other params; "cdf" the samples of every point, overlaid.
 */
struct hb_plot {
	const char *kind, *metric, *x, *xlabel, *title;
	bool logx, logy;
};

#define HB_MAX_HEADLINES	4
#define HB_MAX_PLOTS		2

/* @h and @p (each ends at a NULL label or kind) as a results "report" */
json_t *hb_report_json(const struct hb_headline *h, const struct hb_plot *p);

/*
 * Metrics that are a diagnostic of the method, not a cost: a difference of
 * two measurements (what tracing adds, what the components leave
 * unexplained, a probe's cost) or a flag. Their baseline can be near 0,
 * where a ratio means nothing (thousands of percent between two boots of
 * one kernel in tcg): reports show them, the gate never gates them.
 */
bool hb_metric_diagnostic(const char *name);

/*
 * A boot's tail (its p99: of a quick round's samples, nearly the maximum):
 * its value steps from boot to boot, so the gate decides on its change,
 * not on how far one stepped boot stretches the interval (docs/compare.md).
 */
bool hb_metric_tail(const char *name);

json_t *hb_stats_json(const struct hb_stats *st);
json_t *hb_metric_json(double value, const char *unit, enum hb_direction dir);

int hb_results_write(const json_t *root, const char *path,
		     char *err, size_t errlen);
int hb_results_validate(const json_t *root, char *err, size_t errlen);
json_t *hb_results_load(const char *path, char *err, size_t errlen);

#endif
