// SPDX-License-Identifier: GPL-2.0
/* The gate's checks of its inputs, its KTAP and its exit status (gate.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gate.h"

#define PROG "hmmbench-compare"

int hb_gate_error(const char *fmt, ...)
{
	char why[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	printf("KTAP version 1\n1..1\nnot ok 1 inputs # %s\n", why);
	fflush(stdout);
	fprintf(stderr, PROG " gate: %s\n", why);
	return HB_GATE_ERROR;
}

struct gate_tally {
	size_t regressed, skipped, undecided, ungated;
	double settle;		/* the most rounds an inconclusive row needs */
};

/* One KTAP line of the gate, counted into @t. */
static void ktap_line(const struct hb_cmp *c, size_t n, struct gate_tally *t)
{
	const char *id = (c->b ? c->b : c->c)->id;
	char rule[640] = "";

	if (c->rule)
		snprintf(rule, sizeof(rule), " [rule %d: %s %s %g]", c->rule->line,
			 c->rule->mode, c->rule->pattern, c->rule->percent);
	switch (c->verdict) {
	case HB_V_REGRESSED:
		printf("not ok %zu %s # regressed %s%s\n", n, id, c->reason, rule);
		t->regressed++;
		break;
	case HB_V_INCONCLUSIVE:
		/* a regression beyond the threshold is not excluded */
		printf("%s %zu %s # inconclusive %s%s%s\n", c->open_bad ? "not ok" : "ok",
		       n, id, c->reason, c->open_bad ? "" : " (could only be an improvement)",
		       rule);
		if (c->open_bad) {
			t->undecided++;
			if (c->rounds_needed > t->settle)
				t->settle = c->rounds_needed;
		}
		break;
	case HB_V_UNSUPPORTED:
		/* the candidate lost what the baseline could do */
		if (c->b && c->b->state == HB_STATUS_OK) {
			printf("not ok %zu %s # unsupported by the %s\n", n, id, c->reason);
			t->regressed++;
		} else {
			printf("ok %zu %s # SKIP unsupported: %s\n", n, id, c->reason);
			t->skipped++;
		}
		break;
	case HB_V_UNTESTED:
		printf("ok %zu %s # SKIP not gated: %s\n", n, id, c->reason);
		t->ungated++;
		break;
	default:
		printf("ok %zu %s # %s %s%s\n", n, id, hb_verdict_name(c->verdict),
		       c->reason, rule);
	}
}

int hb_gate(struct hb_set *base, struct hb_set *cand, const struct hb_thresholds *th,
	    const char *setting, bool mix_hosts, struct hb_comparison *cmp)
{
	struct gate_tally tally = { 0 };
	char err[2048], why[1024];
	const char *unfit, *rr;
	size_t i, k, pass;
	int ret;

	memset(cmp, 0, sizeof(*cmp));
	unfit = hb_set_unfit(base, why, sizeof(why));
	if (!unfit)
		unfit = hb_set_unfit(cand, why, sizeof(why));
	if (unfit)
		return hb_gate_error("incomplete result: %s", unfit);
	unfit = hb_set_mixed_hosts(base, mix_hosts, why, sizeof(why));
	if (!unfit)
		unfit = hb_set_mixed_hosts(cand, mix_hosts, why, sizeof(why));
	if (unfit)
		return hb_gate_error("%s", unfit);
	unfit = hb_sets_incomparable(base, cand, why, sizeof(why));
	if (unfit)
		return hb_gate_error("contexts do not compare: %s", unfit);
	if (!setting)
		setting = base->setting;
	if (!hb_thresholds_have_mode(th, setting))
		return hb_gate_error("%s has no thresholds for %s: measure A/A noise with make aa (docs/ab.md)",
				     th->path, setting);
	/* another runner's noise is not this one's: its rules do not hold */
	rr = hb_thresholds_foreign(th, setting, base);
	if (rr)
		return hb_gate_error("%s: the %s rules were measured with timed regions %s, these runs' are %s: measure A/A noise with this runner (scripts/aa --mode %.*s%s --kernel %s)",
				     th->path, setting, rr, base->regions,
				     (int)strcspn(setting, ":@"), setting,
				     strstr(setting, ":quick") ? " --quick" : "", base->family);
	hb_compare(base, cand, th, setting, cmp, err, sizeof(err));
	if (cmp->counts[HB_V_MISSING])
		return hb_gate_error("contexts do not compare: %s", cmp->problem);

	printf("KTAP version 1\n");
	printf("# baseline %s: %zu round(s), kernel %s, setting %s\n", base->label,
	       base->nrounds, base->kernel, base->setting);
	printf("# candidate %s: %zu round(s), kernel %s, setting %s\n", cand->label,
	       cand->nrounds, cand->kernel, cand->setting);
	printf("# thresholds %s (setting %s, floors %g%% for a per-op cost, %g%% for other metrics): a change beyond its rule whose 95%% interval over boots excludes 1\n",
	       th->path, setting, hb_rule_floor(setting, HB_KIND_HEADLINE),
	       hb_rule_floor(setting, HB_KIND_DERIVED));
	printf("1..%zu\n", cmp->n);
	/* what needs a reader first: inconclusive, then regressed rows */
	for (pass = 0, k = 0; pass < 3; pass++)
		for (i = 0; i < cmp->n; i++) {
			const struct hb_cmp *c = &cmp->m[i];

			if ((pass == 0) != (c->verdict == HB_V_INCONCLUSIVE) ||
			    (pass == 1) != (c->verdict == HB_V_REGRESSED) ||
			    (pass == 2 && (c->verdict == HB_V_INCONCLUSIVE ||
					   c->verdict == HB_V_REGRESSED)))
				continue;
			ktap_line(c, ++k, &tally);
		}
	printf("# %zu regressed, %zu improved, %zu unchanged, %zu inconclusive (%zu could hide a regression), %zu not gated, %zu skipped (unsupported); geomean %+.2f%% over %zu headline metrics (positive is better)\n",
	       tally.regressed, cmp->counts[HB_V_IMPROVED], cmp->counts[HB_V_UNCHANGED],
	       cmp->counts[HB_V_INCONCLUSIVE], tally.undecided, tally.ungated, tally.skipped,
	       cmp->geomean, cmp->geomean_n);
	/* a known regression is 1; a metric that could hide one is 3 */
	ret = tally.regressed ? HB_GATE_REGRESSED : tally.undecided ? HB_GATE_INCONCLUSIVE :
		HB_GATE_PASS;
	if (ret == HB_GATE_INCONCLUSIVE) {
		char settle[64] = "";

		if (tally.settle > 0)
			snprintf(settle, sizeof(settle), ": about %g rounds a side would settle %s",
				 tally.settle, tally.undecided > 1 ? "them all" : "it");
		printf("# inconclusive: %zu metric(s) could hide a regression beyond their rules%s\n",
		       tally.undecided, settle);
		fprintf(stderr, PROG " gate: %zu metric(s) inconclusive, a regression beyond the rule not excluded%s (exit %d; see the KTAP lines)\n",
			tally.undecided, settle, HB_GATE_INCONCLUSIVE);
	}
	fflush(stdout);
	return ret;
}
