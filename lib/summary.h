/* SPDX-License-Identifier: GPL-2.0 */
/* Printing a results file (docs/results-schema.md) for people. */
#ifndef HMMBENCH_SUMMARY_H
#define HMMBENCH_SUMMARY_H

#include <jansson.h>
#include <stdio.h>

/*
 * The headline table, one screen: each benchmark's headlines, as its
 * "report" in @root says; for a file written before benchmarks carried
 * one, as @reports (benchmark name -> report, the runner's own) says.
 */
void hb_print_headline(const json_t *root, const json_t *reports, FILE *f);
/* Its rows: [{label, value, unit, at, at_value}], for other formats. */
json_t *hb_headline_rows(const json_t *root, const json_t *reports);
/* Every point's statistics and metrics, the summaries, the ratio tables. */
void hb_print_summary(const json_t *root, const json_t *reports, FILE *f);

#endif
