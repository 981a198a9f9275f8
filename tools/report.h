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
	const char *th_mode;		/* the mode thresholds were taken for */
	double alpha;
};

void report_text(FILE *f, const struct report *r);
void report_markdown(FILE *f, const struct report *r);
json_t *report_json(const struct report *r);
int report_html(FILE *f, const struct report *r, char *err, size_t len);

/* helpers shared by the formats */
const char *report_num(char *buf, size_t len, double v);
const char *report_label(char *buf, size_t len, const struct hb_set *s,
			 const struct hb_metric *m);
const char *report_unit_word(const struct hb_set *s);
/* the counters worth a line beside @c: changed, or explaining a verdict */
bool report_counter_shown(const struct hb_cmp *c, const char *ev,
			  double b, double k);

#endif
