/* SPDX-License-Identifier: GPL-2.0 */
/* hmmbench-compare's reports: text, Markdown, JSON and HTML with plots. */
#ifndef HMMBENCH_REPORT_H
#define HMMBENCH_REPORT_H

#include <stdio.h>

#include "compare.h"

struct report {
	const struct hb_comparison *cmp;	/* one per candidate */
	size_t ncmp;
	const char *thresholds;		/* path, or NULL */
	const char *th_mode;		/* the setting thresholds were taken for */
};

/*
 * One row of a comparison's table, computed once and formatted as text,
 * Markdown, JSON or HTML: the cells as shown, the counters beside it.
 */
#define REPORT_MAX_COUNTERS	16
struct report_counter {
	const char *event;
	double base, cand;
	bool shown;		/* text and Markdown: changed, or beside a verdict */
};

struct report_row {
	const struct hb_cmp *c;
	const struct hb_metric *m;	/* either side's */
	const char *heading;		/* the first row of a benchmark: its name */
	char constant[256];		/* ... and the params all its rows share */
	char label[512];		/* name and the params that vary */
	char base[32], cand[32], change[32], ci[48], threshold[32];
	size_t ncounters;
	struct report_counter counters[REPORT_MAX_COUNTERS];
	/* a changed metric: its benchmark's profile movers, and the top one */
	const struct hb_profile_diff *prof;
	char where[640];
	/* the last row of a benchmark: its profile, for the section after */
	const struct hb_profile_diff *bench_prof;
};

/* The rows of @cmp, in its order; NULL on out of memory. Free with free(). */
struct report_row *report_rows(const struct hb_comparison *cmp);

void report_text(FILE *f, const struct report *r);
void report_markdown(FILE *f, const struct report *r);
json_t *report_json(const struct report *r);
int report_html(FILE *f, const struct report *r, char *err, size_t len);

/* "sym +1.2 pp (z 5.1)" of @m */
const char *report_mover(char *buf, size_t len, const struct hb_mover *m);
/* the movers of @d as lines, each with @pre, into @f; Markdown if @md */
void report_profile(FILE *f, const struct hb_profile_diff *d, const char *unit,
		    const char *pre, bool md);
json_t *report_profile_json(const struct hb_profile_diff *d);

/* helpers shared by the formats */
/* the decision rule in one sentence, for a report's heading */
const char *report_rule_text(char *buf, size_t len, const struct report *r);
const char *report_num(char *buf, size_t len, double v);
const char *report_label(char *buf, size_t len, const struct hb_set *s,
			 const struct hb_metric *m);
const char *report_unit_word(const struct hb_set *s);
/* the counters worth a line beside @c: changed, or explaining a verdict */
bool report_counter_shown(const struct hb_cmp *c, const char *ev,
			  double b, double k);

#endif
