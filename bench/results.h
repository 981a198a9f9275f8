/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Results files (docs/results-schema.md): writing them atomically, reading
 * and validating them. Shared by the runner and the tools.
 */
#ifndef HMMBENCH_RESULTS_H
#define HMMBENCH_RESULTS_H

#include <jansson.h>
#include <stddef.h>

#include "stats.h"

#define HB_SCHEMA		"hmmbench-results"
#define HB_SCHEMA_VERSION	1
/* Twelve significant digits: sub-ns for anything under a second. */
#define HB_JSON_FLAGS		(JSON_INDENT(1) | JSON_REAL_PRECISION(12))

enum hb_direction { HB_LOWER_IS_BETTER, HB_HIGHER_IS_BETTER };

json_t *hb_stats_json(const struct hb_stats *st);
json_t *hb_metric_json(double value, const char *unit, enum hb_direction dir);

int hb_results_write(const json_t *root, const char *path,
		     char *err, size_t errlen);
int hb_results_validate(const json_t *root, char *err, size_t errlen);
json_t *hb_results_load(const char *path, char *err, size_t errlen);

#endif
