/* SPDX-License-Identifier: GPL-2.0 */
/* Printing a results file (docs/results-schema.md) for people. */
#ifndef HMMBENCH_SUMMARY_H
#define HMMBENCH_SUMMARY_H

#include <jansson.h>
#include <stdio.h>

/*
 * The headline table, one screen: marking per page at the largest range,
 * restore against the cheapest fault, fork's extra per exclusive entry,
 * the revoke split, exclusive against migrate, THP migration's speedup.
 */
void hb_print_headline(const json_t *root, FILE *f);
/* Its rows: [{label, value, unit, at, at_value}], for other formats. */
json_t *hb_headline_rows(const json_t *root);
/* Every point's statistics and metrics, the summaries, the ratio tables. */
void hb_print_summary(const json_t *root, FILE *f);

#endif
