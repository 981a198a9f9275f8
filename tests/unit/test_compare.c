// SPDX-License-Identifier: GPL-2.0
/*
 * Comparing result sets: the synthetic sets of tests/fixtures/compare
 * (gen-sets.py): an A/A pair, a 10% regression and a 10% improvement of
 * restore's exclusive fault, and inputs the gate must refuse.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"
#include "unit.h"

#define EXCL	"restore/ns_per_access:fault=exclusive,access=read,cpu_node=0,mem_node=0"
#define MINOR	"restore/ns_per_access:fault=minor,access=read,cpu_node=0,mem_node=0"
#define THP	"mark/ns_per_page:pages=64,state=thp,cpu_node=0,mem_node=0"

static char err[2048];

static const char *fx(const char *rel)
{
	static char path[8][4096];
	static int k;
	const char *dir = getenv("HMMBENCH_FIXTURES");

	k = (k + 1) % 8;
	snprintf(path[k], sizeof(path[k]), "%s/compare/%s",
		 dir ? dir : "../tests/fixtures", rel);
	return path[k];
}

/* the first @n rounds of a fixture set, as a comma-separated list */
static const char *rounds(const char *set, int n)
{
	static char list[2][8192];
	static int k;
	size_t len = 0;
	int r;

	k = !k;
	list[k][0] = '\0';
	for (r = 1; r <= n; r++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "sets/%s/%d.json", set, r);
		len += snprintf(list[k] + len, sizeof(list[k]) - len, "%s%s",
				r > 1 ? "," : "", fx(rel));
	}
	return list[k];
}

static const struct hb_cmp *find(const struct hb_comparison *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp((c->m[i].b ? c->m[i].b : c->m[i].c)->id, id))
			return &c->m[i];
	return NULL;
}

static struct hb_thresholds th5;

static int compare(const char *a, const char *b, struct hb_set *sa,
		   struct hb_set *sb, struct hb_comparison *cmp)
{
	if (hb_thresholds_load(&th5, fx("thresholds"), err, sizeof(err)) ||
	    hb_set_load(sa, a, err, sizeof(err)) ||
	    hb_set_load(sb, b, err, sizeof(err))) {
		printf("# %s\n", err);
		return -1;
	}
	return hb_compare(sa, sb, &th5, NULL, cmp, err, sizeof(err));
}

static void done(struct hb_set *sa, struct hb_set *sb,
		 struct hb_comparison *cmp)
{
	hb_comparison_free(cmp);
	hb_set_free(sa);
	hb_set_free(sb);
	hb_thresholds_free(&th5);
}

TEST(set_load_directory_of_rounds)
{
	struct hb_set s;
	const struct hb_metric *m;
	json_t *pf;

	if (!CHECK(hb_set_load(&s, fx("sets/base"), err, sizeof(err)) == 0)) {
		printf("# %s\n", err);
		return;
	}
	CHECK(s.nrounds == 5);
	CHECK(!strcmp(s.mode, "tcg") && !strcmp(s.time_unit, "ns"));
	/* 3 mark points (2 with pages_per_s), 2 restore (1 ratio), 2 fork + 1 summary */
	CHECK(s.nmetrics == 11);
	m = hb_set_find(&s, EXCL);
	if (CHECK(m)) {
		CHECK(m->kind == HB_KIND_HEADLINE && m->nrounds == 5);
		CHECK(m->n[0] == 60 && m->n[4] == 60);
		pf = json_object_get(m->counters, "page-faults");
		CHECK(json_is_number(pf) && json_number_value(pf) == 1);
	}
	m = hb_set_find(&s, THP);
	CHECK(m && m->state == HB_STATUS_UNSUPPORTED && m->nrounds == 0);
	m = hb_set_find(&s, "fork/ns_per_entry:variant=plain,cpu_node=0,mem_node=0");
	CHECK(m && m->kind == HB_KIND_SUMMARY && m->nrounds == 5 && m->n[0] == 1);
	CHECK(hb_set_unfit(&s, err, sizeof(err)) == NULL);
	hb_set_free(&s);
}

TEST(aa_is_unchanged)
{
	struct hb_set a, b;
	struct hb_comparison c;
	const struct hb_cmp *e;

	if (!CHECK(compare(rounds("base", 3), rounds("aa", 3), &a, &b, &c) == 0))
		return;
	CHECK(c.counts[HB_V_REGRESSED] == 0 && c.counts[HB_V_IMPROVED] == 0);
	CHECK(c.counts[HB_V_UNSUPPORTED] == 1 && c.counts[HB_V_MISSING] == 0);
	CHECK(c.problem[0] == '\0');
	e = find(&c, EXCL);
	if (CHECK(e)) {
		CHECK(e->verdict == HB_V_UNCHANGED);
		CHECK(fabs(e->change) < 5);
		CHECK(e->lo < e->ratio && e->ratio < e->hi);
		CHECK(e->threshold == 5);
	}
	CHECK(fabs(c.geomean) < 2 && c.geomean_n == 6);
	done(&a, &b, &c);
}

TEST(shift_of_ten_percent_regresses)
{
	struct hb_set a, b;
	struct hb_comparison c;
	const struct hb_cmp *e, *m;

	if (!CHECK(compare(rounds("base", 3), rounds("regressed", 3), &a, &b, &c) == 0))
		return;
	e = find(&c, EXCL);
	m = find(&c, MINOR);
	if (CHECK(e && m)) {
		CHECK(e->verdict == HB_V_REGRESSED);
		CHECK(e->change < -5 && e->change > -15);
		CHECK(e->ratio > 1.05 && e->lo > 1);
		CHECK(m->verdict == HB_V_UNCHANGED);
	}
	/* the headline and its ratio to the minor fault, per boot */
	CHECK(c.counts[HB_V_REGRESSED] == 2);
	done(&a, &b, &c);
}

TEST(shift_of_ten_percent_improves)
{
	struct hb_set a, b;
	struct hb_comparison c;
	const struct hb_cmp *e;

	if (!CHECK(compare(rounds("base", 3), rounds("improved", 3), &a, &b, &c) == 0))
		return;
	e = find(&c, EXCL);
	if (CHECK(e)) {
		CHECK(e->verdict == HB_V_IMPROVED);
		CHECK(e->change > 5 && e->hi < 1);
	}
	CHECK(c.counts[HB_V_REGRESSED] == 0 && c.counts[HB_V_IMPROVED] == 2);
	done(&a, &b, &c);
}

/*
 * A derived metric, one value a boot, is gated like a headline: its
 * rounds' values are the boots the interval draws (they were "untested:
 * one value per boot" under the rank test).
 */
TEST(derived_metrics_gated_per_boot)
{
	struct hb_set a, b;
	struct hb_comparison c;
	const struct hb_cmp *r;

	if (!CHECK(compare(rounds("base", 3), rounds("regressed", 3), &a, &b, &c) == 0))
		return;
	r = find(&c, "restore/ratio_to_minor_fault:fault=exclusive,access=read,cpu_node=0,mem_node=0");
	if (CHECK(r)) {
		CHECK(r->verdict == HB_V_REGRESSED);
		CHECK(r->ratio > 1.05 && r->lo > 1);
	}
	done(&a, &b, &c);
}

TEST(unsupported_on_both_sides)
{
	struct hb_set a, b;
	struct hb_comparison c;
	const struct hb_cmp *t;

	if (!CHECK(compare(rounds("base", 2), rounds("aa", 2), &a, &b, &c) == 0))
		return;
	t = find(&c, THP);
	if (CHECK(t)) {
		CHECK(t->verdict == HB_V_UNSUPPORTED);
		CHECK(strstr(t->reason, "EBUSY"));
		CHECK(isnan(t->ratio));
	}
	done(&a, &b, &c);
}

TEST(missing_point_and_mode_mismatch_are_problems)
{
	struct hb_set a, b;
	struct hb_comparison c;

	if (CHECK(compare(fx("sets/base/1.json"), fx("bad/missing-point.json"),
			  &a, &b, &c) == 0)) {
		CHECK(c.counts[HB_V_MISSING] == 2);
		CHECK(strstr(c.problem, "parameter sets differ"));
		done(&a, &b, &c);
	}
	if (CHECK(compare(fx("sets/base/1.json"), fx("icount.json"), &a, &b, &c) == 0)) {
		CHECK(strstr(c.problem, "modes differ"));
		done(&a, &b, &c);
	}
}

TEST(unfit_sets)
{
	struct hb_set s;

	if (CHECK(hb_set_load(&s, fx("bad/partial.json"), err, sizeof(err)) == 0)) {
		CHECK(hb_set_unfit(&s, err, sizeof(err)));
		CHECK(strstr(err, "status partial"));
	}
	hb_set_free(&s);
	if (CHECK(hb_set_load(&s, fx("bad/failed.json"), err, sizeof(err)) == 0))
		CHECK(hb_set_unfit(&s, err, sizeof(err)));
	hb_set_free(&s);
}

TEST(sets_that_do_not_load)
{
	char tmpl[] = "/tmp/hmmbench-empty.XXXXXX", list[8192];
	struct hb_set s;

	CHECK(hb_set_load(&s, fx("bad/corrupt.json"), err, sizeof(err)) < 0);
	CHECK(strstr(err, "corrupt.json:1:"));
	hb_set_free(&s);
	CHECK(hb_set_load(&s, fx("bad/schema-v2.json"), err, sizeof(err)) < 0);
	CHECK(strstr(err, "schema_version"));
	hb_set_free(&s);
	CHECK(hb_set_load(&s, fx("bad/no-benchmarks.json"), err, sizeof(err)) < 0);
	CHECK(strstr(err, "empty result set"));
	hb_set_free(&s);
	if (CHECK(mkdtemp(tmpl))) {
		CHECK(hb_set_load(&s, tmpl, err, sizeof(err)) < 0);
		CHECK(strstr(err, "empty result set"));
		hb_set_free(&s);
		rmdir(tmpl);
	}
	snprintf(list, sizeof(list), "%s,%s", fx("sets/base/1.json"),
		 fx("bad/other-kernel.json"));
	CHECK(hb_set_load(&s, list, err, sizeof(err)) < 0);
	CHECK(strstr(err, "boots of one kernel"));
	hb_set_free(&s);
	snprintf(list, sizeof(list), "%s,%s", fx("sets/base/1.json"),
		 fx("icount.json"));
	CHECK(hb_set_load(&s, list, err, sizeof(err)) < 0);
	CHECK(strstr(err, "share a mode"));
	hb_set_free(&s);
}

TEST(thresholds_file)
{
	char path[] = "/tmp/hmmbench-th.XXXXXX";
	struct hb_thresholds t;
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!CHECK(f))
		return;
	fputs("# comment\n\ntcg * 10\ntcg restore/* 4   # restore is tighter\n"
	      "* mark/*:pages=1,* 30\nicount * 1\nicount:quick@6.1 x/t:k=0 0.5\n", f);
	fclose(f);
	if (CHECK(hb_thresholds_load(&t, path, err, sizeof(err)) == 0)) {
		CHECK(t.n == 5);
		/* a family's rule is its own; one without a family serves every one */
		CHECK(hb_threshold_for(&t, "icount:quick@6.1", "x/t:k=0") == 0.5);
		CHECK(hb_threshold_for(&t, "icount:quick@7.3", "x/t:k=0") == -1);
		CHECK(hb_threshold_for(&t, "tcg@7.3", EXCL) == 4);
		CHECK(hb_thresholds_measured(&t, "icount:quick@6.1") == 1);
		CHECK(hb_thresholds_measured(&t, "icount:quick@7.3") == 0);
		CHECK(hb_thresholds_measured(&t, "tcg@6.1") == 0);	/* globs only */
		CHECK(hb_threshold_for(&t, "tcg", EXCL) == 4);
		CHECK(hb_threshold_for(&t, "tcg", "fork/ns_per_fork:variant=plain") == 10);
		/* the last match wins, and "*" matches every mode */
		CHECK(hb_threshold_for(&t, "tcg", "mark/ns_per_page:pages=1,state=x") == 30);
		CHECK(hb_threshold_for(&t, "icount", "mark/ns_per_page:pages=1,state=x") == 1);
		CHECK(hb_threshold_for(&t, "kvm", EXCL) == -1);
		CHECK(hb_thresholds_have_mode(&t, "kvm"));	/* through "*" */
		hb_thresholds_free(&t);
	}
	f = fopen(path, "w");
	if (CHECK(f)) {
		fputs("tcg * 10\ntcg restore/*\n", f);
		fclose(f);
		CHECK(hb_thresholds_load(&t, path, err, sizeof(err)) < 0);
		CHECK(strstr(err, ":2: expected"));
	}
	f = fopen(path, "w");
	if (CHECK(f)) {
		fputs("tcg * 10\nicount@six x/t:k=0 1\n", f);
		fclose(f);
		CHECK(hb_thresholds_load(&t, path, err, sizeof(err)) < 0);
		CHECK(strstr(err, ":2: 'icount@six' is not a setting"));
	}
	unlink(path);
}

/* every 5/5 split of ten rounds of one kernel: C(10, 5) = 252 */
TEST(aa_noise_over_splits)
{
	struct hb_set a = { 0 }, b = { 0 };
	const struct hb_metric *ma, *mb;
	double noise, typical;
	size_t splits;

	if (!CHECK(hb_set_load(&a, fx("sets/base"), err, sizeof(err)) == 0) ||
	    !CHECK(hb_set_load(&b, fx("sets/aa"), err, sizeof(err)) == 0))
		goto out;
	ma = hb_set_find(&a, EXCL);
	mb = hb_set_find(&b, EXCL);
	if (CHECK(ma && mb)) {
		noise = hb_aa_noise(ma, mb, &typical, &splits);
		CHECK(splits == 252);
		/* 1% CoV and 0.5% per round: a few tenths of a percent */
		CHECK(noise > 0 && noise < 0.02);
		CHECK(typical > 0 && typical <= noise);
	}
	/* one value per round works the same way */
	ma = hb_set_find(&a, "fork/ns_per_entry:variant=plain,cpu_node=0,mem_node=0");
	mb = hb_set_find(&b, "fork/ns_per_entry:variant=plain,cpu_node=0,mem_node=0");
	if (CHECK(ma && mb)) {
		noise = hb_aa_noise(ma, mb, &typical, &splits);
		CHECK(splits == 252 && noise > 0 && noise < 0.2);
	}
	/* an unsupported point has no rounds: no noise */
	ma = hb_set_find(&a, THP);
	if (CHECK(ma))
		CHECK(isnan(hb_aa_noise(ma, ma, &typical, &splits)) && !splits);
out:
	hb_set_free(&a);
	hb_set_free(&b);
}

/* ten rounds a side: C(20, 10) splits are too many, 1000 seeded ones */
TEST(aa_noise_random_splits)
{
	char list[16384];
	struct hb_set a;
	const struct hb_metric *m;
	double n1, n2, typical;
	size_t splits;

	snprintf(list, sizeof(list), "%s,%s", rounds("base", 5), rounds("aa", 5));
	if (!CHECK(hb_set_load(&a, list, err, sizeof(err)) == 0)) {
		printf("# %s\n", err);
		hb_set_free(&a);
		return;
	}
	m = hb_set_find(&a, EXCL);
	if (CHECK(m && m->nrounds == 10)) {
		n1 = hb_aa_noise(m, m, &typical, &splits);
		CHECK(splits == HB_NOISE_SPLITS);
		CHECK(n1 > 0 && n1 < 0.02);
		n2 = hb_aa_noise(m, m, &typical, &splits);
		CHECK(n1 == n2);	/* seeded */
	}
	hb_set_free(&a);
}

/*
 * Sets made in memory, for the verdict rules: one headline metric "x/t:k=v"
 * per set (or @nm of them, "x/t:k=0" ...), @nr rounds of @ns samples, each
 * sample base * (1 + spread * (i % 3 - 1)), in setting @setting.
 */
struct mset {
	struct hb_set s;
	struct hb_metric m[16];
	double v[16][8][64];
	double *x[16][8];
	size_t n[16][8];
};

static void mset_make(struct mset *ms, const char *setting, size_t nm,
		      size_t nr, size_t ns, double base, double spread)
{
	static char ids[16][32];
	size_t i, r, k;

	memset(ms, 0, sizeof(*ms));
	ms->s.label = "memory";
	ms->s.nrounds = nr;
	ms->s.mode = "tcg";
	ms->s.time_unit = "ns";
	ms->s.kernel = "test";
	snprintf(ms->s.setting, sizeof(ms->s.setting), "%s", setting);
	ms->s.nmetrics = nm;
	ms->s.metrics = ms->m;
	ms->s.index = json_object();
	for (i = 0; i < nm; i++) {
		struct hb_metric *m = &ms->m[i];

		snprintf(ids[i], sizeof(ids[i]), "x/t:k=%zu", i);
		m->id = ids[i];
		m->bench = "x";
		m->name = "t";
		m->unit = "ns";
		m->params = ids[i] + 4;
		m->kind = HB_KIND_HEADLINE;
		m->dir = HB_LOWER_IS_BETTER;
		m->state = HB_STATUS_OK;
		m->seen = m->nrounds = nr;
		m->x = ms->x[i];
		m->n = ms->n[i];
		for (r = 0; r < nr; r++) {
			for (k = 0; k < ns; k++)
				ms->v[i][r][k] = base * (1 + spread * ((double)(k % 3) - 1));
			ms->x[i][r] = ms->v[i][r];
			ms->n[i][r] = ns;
		}
		json_object_set_new(ms->s.index, ids[i], json_integer(i));
	}
}

/* round @r of every metric of @ms times @f: a boot of its own */
static void mset_round(struct mset *ms, size_t r, double f)
{
	size_t i, k;

	for (i = 0; i < ms->s.nmetrics; i++)
		for (k = 0; k < ms->n[i][r]; k++)
			ms->v[i][r][k] *= f;
}

static int rules(struct hb_thresholds *t, const char *text)
{
	char path[] = "/tmp/hmmbench-unit-thr.XXXXXX";
	int fd = mkstemp(path), ret;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	close(fd);
	ret = hb_thresholds_load(t, path, err, sizeof(err));
	unlink(path);
	return ret;
}

/* The verdict of metric 0 under the rules @text; *@out keeps its fields
 * (the rule it points to lives until the next call) */
static enum hb_verdict verdict_of(struct mset *a, struct mset *b,
				  const char *text, struct hb_cmp *out)
{
	static struct hb_thresholds t;
	struct hb_comparison c;
	enum hb_verdict v = HB_V_COUNT;

	hb_thresholds_free(&t);
	if (rules(&t, text))
		return v;
	if (!hb_compare(&a->s, &b->s, &t, NULL, &c, err, sizeof(err))) {
		v = c.m[0].verdict;
		if (out)
			*out = c.m[0];
	}
	hb_comparison_free(&c);
	return v;
}

static void mset_free(struct mset *ms)
{
	json_decref(ms->s.index);
}

/* 3 rounds of 5 samples, 0.1% spread: the default A/B of a quick run */
TEST(verdict_needs_a_measured_rule)
{
	struct mset a, b;
	struct hb_cmp c;

	mset_make(&a, "tcg:quick", 1, 3, 5, 1000, 0.001);
	mset_make(&b, "tcg:quick", 1, 3, 5, 1000.5, 0.001);
	CHECK(verdict_of(&a, &b, "tcg:quick x/t:k=0 1\n", &c) == HB_V_UNCHANGED);
	CHECK(c.rule && !c.rule->catchall && c.rule->line == 1);
	/* a glob is a catch-all: not a measured threshold, not a pass */
	CHECK(verdict_of(&a, &b, "tcg:quick x/* 1\n", &c) == HB_V_INCONCLUSIVE);
	CHECK(c.open_bad && strstr(c.reason, "catch-all"));
	/* the full run's rule does not serve a --quick run */
	CHECK(verdict_of(&a, &b, "tcg x/t:k=0 1\ntcg:quick y/t:k=0 1\n", &c) == HB_V_INCONCLUSIVE);
	CHECK(strstr(c.reason, "no measured threshold"));
	mset_free(&a);
	mset_free(&b);
}

TEST(verdict_unchanged_only_when_the_ci_is_within)
{
	struct mset a, b;
	struct hb_cmp c;

	/* 2% slower, every boot: beyond a 1% rule, the interval excludes 1 */
	mset_make(&a, "tcg", 1, 3, 5, 1000, 0.001);
	mset_make(&b, "tcg", 1, 3, 5, 1020, 0.001);
	CHECK(verdict_of(&a, &b, "tcg x/t:k=0 1\n", &c) == HB_V_REGRESSED);
	CHECK(c.lo > 1 && strstr(c.reason, "beyond 1%"));
	/* the same change, 3% rule: the interval lies within, unchanged */
	CHECK(verdict_of(&a, &b, "tcg x/t:k=0 3\n", &c) == HB_V_UNCHANGED);
	mset_free(&a);
	mset_free(&b);
	/* one boot of three 3% apart, 1% slower, 2% rule: the interval reaches past */
	mset_make(&a, "tcg", 1, 3, 5, 1000, 0.001);
	mset_make(&b, "tcg", 1, 3, 5, 1010, 0.001);
	mset_round(&b, 2, 1.03);
	CHECK(verdict_of(&a, &b, "tcg x/t:k=0 2\n", &c) == HB_V_INCONCLUSIVE);
	CHECK(c.open_bad && strstr(c.reason, "reaches beyond"));
	CHECK(c.rounds_needed > 3);
	mset_free(&a);
	mset_free(&b);
}

/*
 * 10% beyond the rule in the boots' median, but one candidate boot is as
 * fast as the baseline's: the interval over boots holds 1, whatever the
 * samples of each boot would say pooled.
 */
TEST(verdict_inconclusive_when_boots_overlap)
{
	struct mset a, b;
	struct hb_cmp c;

	mset_make(&a, "tcg", 1, 3, 20, 1000, 0.001);
	mset_make(&b, "tcg", 1, 3, 20, 1100, 0.001);
	mset_round(&b, 1, 1000.0 / 1100);
	CHECK(verdict_of(&a, &b, "tcg x/t:k=0 2\n", &c) == HB_V_INCONCLUSIVE);
	CHECK(c.change < -2 && c.lo <= 1);
	CHECK(c.open_bad && strstr(c.reason, "holds 1"));
	mset_free(&a);
	mset_free(&b);
}

/* one boot a side: the interval is the one ratio, the rule decides */
TEST(verdict_one_round_a_side)
{
	struct mset a, b;
	struct hb_cmp c;

	mset_make(&a, "tcg", 1, 1, 2, 1000, 0.001);
	mset_make(&b, "tcg", 1, 1, 2, 1100, 0.001);
	CHECK(verdict_of(&a, &b, "tcg x/t:k=0 5\n", &c) == HB_V_REGRESSED);
	CHECK(c.lo == c.hi);
	mset_free(&a);
	mset_free(&b);
}

/* a rule below the setting's floor counts as the floor */
TEST(verdict_floor)
{
	struct mset a, b;
	struct hb_cmp c;

	mset_make(&a, "icount:quick@6.1", 1, 3, 5, 1000, 0);
	mset_make(&b, "icount:quick@6.1", 1, 3, 5, 1002, 0);
	CHECK(verdict_of(&a, &b, "icount:quick@6.1 x/t:k=0 0.1\n", &c) == HB_V_UNCHANGED);
	CHECK(c.threshold == HB_FLOOR_ICOUNT);
	mset_free(&b);
	mset_make(&b, "icount:quick@6.1", 1, 3, 5, 1004, 0);
	CHECK(verdict_of(&a, &b, "icount:quick@6.1 x/t:k=0 0.1\n", &c) == HB_V_REGRESSED);
	/* a derived metric's floor is higher */
	a.m[0].kind = b.m[0].kind = HB_KIND_DERIVED;
	CHECK(verdict_of(&a, &b, "icount:quick@6.1 x/t:k=0 0.1\n", &c) == HB_V_UNCHANGED);
	CHECK(c.threshold == HB_FLOOR_ICOUNT_OTHER);
	/* in tcg the floor is the timing modes' */
	mset_free(&a);
	mset_free(&b);
	mset_make(&a, "tcg@6.1", 1, 3, 5, 1000, 0);
	mset_make(&b, "tcg@6.1", 1, 3, 5, 1005, 0);
	CHECK(verdict_of(&a, &b, "tcg@6.1 x/t:k=0 0.1\n", &c) == HB_V_UNCHANGED);
	CHECK(c.threshold == HB_FLOOR_TIMING);
	mset_free(&a);
	mset_free(&b);
}

/*
 * A tail (p99) decides on its change: one boot of three 8% high widens the
 * interval past the rule, but the change is none; two boots high move the
 * change too, and then the interval that holds 1 leaves it undecided.
 */
TEST(verdict_tail_decided_on_its_change)
{
	struct mset a, b;
	struct hb_cmp c;

	mset_make(&a, "icount:quick@7.3", 1, 3, 5, 1000, 0);
	mset_make(&b, "icount:quick@7.3", 1, 3, 5, 1000, 0);
	mset_round(&b, 2, 1.08);
	CHECK(verdict_of(&a, &b, "icount:quick@7.3 x/t:k=0 2\n", &c) == HB_V_INCONCLUSIVE);
	a.m[0].tail = b.m[0].tail = true;
	CHECK(verdict_of(&a, &b, "icount:quick@7.3 x/t:k=0 2\n", &c) == HB_V_UNCHANGED);
	CHECK(c.change == 0 && c.hi > 1.02 && strstr(c.reason, "a tail"));
	mset_round(&b, 1, 1.08);
	CHECK(verdict_of(&a, &b, "icount:quick@7.3 x/t:k=0 2\n", &c) == HB_V_INCONCLUSIVE);
	CHECK(c.change < -2 && c.open_bad);
	/* every boot high: regressed, as any metric */
	mset_round(&b, 0, 1.08);
	CHECK(verdict_of(&a, &b, "icount:quick@7.3 x/t:k=0 2\n", &c) == HB_V_REGRESSED);
	CHECK(hb_metric_tail("p99_ratio_to_minor_fault") && !hb_metric_tail("ratio_to_minor_fault"));
	mset_free(&a);
	mset_free(&b);
}

/* a difference of two measurements is shown, never gated */
TEST(verdict_diagnostic_not_gated)
{
	struct mset a, b;
	struct hb_cmp c;

	mset_make(&a, "tcg", 1, 3, 5, 10, 0.001);
	mset_make(&b, "tcg", 1, 3, 5, 50, 0.001);
	a.m[0].diagnostic = b.m[0].diagnostic = true;
	CHECK(verdict_of(&a, &b, "tcg x/t:k=0 1\n", &c) == HB_V_UNTESTED);
	CHECK(strstr(c.reason, "diagnostic") && c.ratio == 5);
	CHECK(hb_metric_diagnostic("tracing_overhead_instructions") &&
	      hb_metric_diagnostic("ns_unexplained") &&
	      hb_metric_diagnostic("instructions_components_sum_minus_untraced") &&
	      !hb_metric_diagnostic("instructions_components_sum") &&
	      !hb_metric_diagnostic("instructions_in_invalidate_less_delay"));
	mset_free(&a);
	mset_free(&b);
}

/* sixteen metrics 1% slower in every boot: each regresses on its own */
TEST(verdict_each_metric_on_its_own)
{
	struct mset a, b;
	struct hb_thresholds t;
	struct hb_comparison c;
	char text[4096];
	size_t i, n = 0, regressed = 0;

	mset_make(&a, "icount", 16, 3, 2, 1000, 0.0001);
	mset_make(&b, "icount", 16, 3, 2, 1010, 0.0001);
	for (i = 0; i < 16; i++)
		n += snprintf(text + n, sizeof(text) - n, "icount x/t:k=%zu 0.3\n", i);
	if (!CHECK(rules(&t, text) == 0))
		return;
	if (CHECK(hb_compare(&a.s, &b.s, &t, NULL, &c, err, sizeof(err)) == 0)) {
		for (i = 0; i < c.n; i++)
			regressed += c.m[i].verdict == HB_V_REGRESSED;
		CHECK(regressed == 16);
	}
	hb_comparison_free(&c);
	hb_thresholds_free(&t);
	mset_free(&a);
	mset_free(&b);
}
