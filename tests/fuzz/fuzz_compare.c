// SPDX-License-Identifier: GPL-2.0
/*
 * The compare and gate input path: result sets of one to three rounds
 * (hb_set_load, bench/compare.c), a thresholds file, then what
 * hmmbench-compare does with them: the gate's fitness checks, the
 * comparison, the text, Markdown and JSON reports (tools/report.c) and the
 * A/A noise of every metric both sets have. HTML is left out: it runs
 * gnuplot, another process per input.
 *
 * An input: one layout byte, then parts separated by NUL bytes (JSON has
 * no raw NUL). Layout bits 0-1: baseline rounds - 1, bits 2-3: candidate
 * rounds - 1 (each 1 to 3), bit 4: the last part is a thresholds file.
 * Rounds take the JSON parts in turn, reusing them when there are fewer,
 * so one results file alone is compared with itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "fuzz.h"
#include "report.h"

#define MAX_ROUNDS	3
#define MAX_PARTS	(2 * MAX_ROUNDS + 1)

struct part {
	const uint8_t *p;
	size_t n;
};

static size_t split(const uint8_t *data, size_t size, struct part *parts)
{
	const uint8_t *end = data + size, *nul;
	size_t n = 0;

	while (n < MAX_PARTS) {
		nul = memchr(data, 0, end - data);
		parts[n++] = (struct part){ data, (nul ? nul : end) - data };
		if (!nul)
			break;
		data = nul + 1;
	}
	return n;
}

/* "/proc/self/fd/A,/proc/self/fd/B": the rounds of one set */
static void set_arg(char *buf, size_t len, int slot0, size_t rounds,
		    const struct part *parts, size_t njson, size_t first)
{
	size_t r, off = 0;

	buf[0] = '\0';
	for (r = 0; r < rounds; r++) {
		const struct part *p = &parts[(first + r) % njson];

		off += snprintf(buf + off, len - off, "%s%s", r ? "," : "",
				fuzz_file(slot0 + r, p->p, p->n));
	}
}

static int load(struct hb_set *s, const char *arg)
{
	char err[2048] = "";

	if (!hb_set_load(s, arg, err, sizeof(err)))
		return 0;
	if (!err[0])
		abort();	/* a refusal always says why */
	hb_set_free(s);
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct part parts[MAX_PARTS];
	struct hb_set base, cand;
	struct hb_thresholds th;
	struct hb_comparison cmp;
	struct report r;
	char arg[256], err[2048], why[1024];
	size_t nparts, njson, nb, nc, i, total, splits;
	bool have_th;
	double typical;
	json_t *j;

	if (size < 1)
		return 0;
	nb = 1 + (data[0] & 3) % MAX_ROUNDS;
	nc = 1 + (data[0] >> 2 & 3) % MAX_ROUNDS;
	have_th = data[0] & 0x10;
	nparts = split(data + 1, size - 1, parts);
	if (nparts <= have_th)
		return 0;
	njson = nparts - have_th;

	if (have_th &&
	    hb_thresholds_load(&th, fuzz_file(2 * MAX_ROUNDS, parts[njson].p,
					      parts[njson].n), err, sizeof(err)))
		return 0;	/* the tools stop at a bad thresholds file */
	set_arg(arg, sizeof(arg), 0, nb, parts, njson, 0);
	if (load(&base, arg))
		goto out_th;
	set_arg(arg, sizeof(arg), MAX_ROUNDS, nc, parts, njson, nb);
	if (load(&cand, arg))
		goto out_base;

	/* what gate checks before comparing */
	hb_set_unfit(&base, why, sizeof(why));
	hb_set_unfit(&cand, why, sizeof(why));
	if (have_th)
		hb_thresholds_have_mode(&th, base.setting);

	if (hb_compare(&base, &cand, have_th ? &th : NULL, NULL, &cmp, err, sizeof(err)))
		abort();	/* only out of memory fails */
	for (i = 0, total = 0; i <= HB_V_MISSING; i++)
		total += cmp.counts[i];
	if (total != cmp.n)
		abort();	/* every metric has exactly one verdict */
	for (i = 0; i < cmp.n; i++)
		if (!cmp.m[i].b && !cmp.m[i].c)
			abort();
	r = (struct report){ &cmp, 1, have_th ? th.path : NULL, base.setting };
	report_text(fuzz_sink(), &r);
	report_markdown(fuzz_sink(), &r);
	j = report_json(&r);
	if (!j)
		abort();
	json_decref(j);
	hb_comparison_free(&cmp);

	/* what noise computes per metric */
	for (i = 0; i < base.nmetrics; i++) {
		const struct hb_metric *other = hb_set_find(&cand, base.metrics[i].id);

		if (other)
			hb_aa_noise(&base.metrics[i], other, &typical, &splits);
	}
	hb_set_free(&cand);
out_base:
	hb_set_free(&base);
out_th:
	if (have_th)
		hb_thresholds_free(&th);
	return 0;
}
