/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The gate: a candidate result set against its baseline under the
 * thresholds' rules, as KTAP on stdout and an exit status CI can act on
 * (HB_GATE_*, compare.h). hmmbench-compare's gate command loads what it
 * is given and calls hb_gate(); docs/compare.md has the decision rule.
 */
#ifndef HMMBENCH_GATE_H
#define HMMBENCH_GATE_H

#include <stdbool.h>

#include "compare.h"

/*
 * KTAP for inputs that cannot be gated: a plan of one failed test giving
 * the reason, which goes to stderr too. Returns HB_GATE_ERROR.
 */
int hb_gate_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Gates @cand against @base under @th's rules of @setting (NULL: the
 * baseline's): checks that both are complete, each from one host unless
 * @mix_hosts, of comparable contexts and of the timed regions the rules
 * were measured with, then prints one KTAP line a metric (what needs a
 * reader first) and the tally. Returns HB_GATE_*; @cmp holds the
 * comparison (empty if the inputs stopped it before), for a report and
 * hb_comparison_free().
 */
int hb_gate(struct hb_set *base, struct hb_set *cand, const struct hb_thresholds *th,
	    const char *setting, bool mix_hosts, struct hb_comparison *cmp);

#endif
