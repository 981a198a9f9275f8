/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Comparing result sets (docs/compare.md): loading the rounds of a set,
 * matching metrics across rounds and sets, the per-metric statistics and
 * verdict, and the thresholds file. Shared by tools/hmmbench-compare and
 * anything else that needs a verdict.
 */
#ifndef HMMBENCH_COMPARE_H
#define HMMBENCH_COMPARE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "results.h"
#include "stats.h"

/* sets.c: an error message into @err (@len bytes); returns -1 */
int hb_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The string member @key of @obj, "" if absent. */
const char *hb_str(const json_t *obj, const char *key);
/* strcmp() equal, NULL counting as "". */
bool hb_same(const char *a, const char *b);

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * The decision rule (docs/compare.md, "The decision rule"): the boot is
 * the unit. A metric's value in a round is one number (a headline's median
 * of its kept samples, a derived or summary metric's value); a side's value
 * is the median of its rounds'; the 95% interval of the ratio is a
 * percentile bootstrap over the rounds alone. A rule is the metric's A/A
 * noise times a margin, never below the setting's floor.
 *
 * The floors, in percent, by mode and kind of metric. icount counts repeat
 * to the instruction, so a per-op cost's floor sits above the steps an A/A
 * shows in whole boots (a slab slow path, 0.12%; the tick's phase, 0.1%)
 * and well below a 1% change; any other metric (a ratio of two costs, a
 * rate, a tail, a fit) compounds or picks extremes and gets 1%. A timing
 * mode's rules are its own noise; its floors only keep a quiet campaign
 * from writing a rule no machine holds.
 */
#define HB_FLOOR_ICOUNT		0.3
#define HB_FLOOR_ICOUNT_OTHER	1.0
#define HB_FLOOR_TIMING		1.0
#define HB_FLOOR_TIMING_OTHER	2.0
/*
 * The margin over the largest A/A noise of the pairs: a campaign's largest
 * is not the next campaign's, and timing modes' noise has heavier tails
 */
#define HB_MARGIN_ICOUNT	2.0
#define HB_MARGIN_TIMING	3.0
/*
 * The effect compare asks for where no thresholds rule applies (a mode
 * without measured A/A noise). gate never uses it: it refuses to run.
 */
#define HB_THRESHOLD_FALLBACK	1.0

enum hb_kind {
	HB_KIND_HEADLINE,	/* a point's median: every sample of every round */
	HB_KIND_DERIVED,	/* another point metric: one value per round */
	HB_KIND_SUMMARY,	/* a benchmark's summary metric: one per round */
};

/* gate's exit statuses (scripts/lib.sh has them too, GATE_*) */
#define HB_GATE_PASS		0
#define HB_GATE_REGRESSED	1
#define HB_GATE_ERROR		2	/* inputs that cannot be compared */
#define HB_GATE_INCONCLUSIVE	3	/* more rounds would settle it */

/* @setting's floor for a metric of @kind ("icount..." or a timing mode's), percent */
double hb_rule_floor(const char *setting, enum hb_kind kind);
/* @setting's default margin over the A/A noise */
double hb_rule_margin(const char *setting);



/* One metric of a set, gathered over its rounds. */
struct hb_metric {
	char *id;		/* "bench/name:k=v,k=v": stable, for patterns */
	char *bench, *name, *unit, *params;	/* params: "k=v,k=v" */
	const json_t *params_obj;	/* round 0's params object */
	const char *op;		/* the benchmark's op: page, access, fork */
	enum hb_kind kind;
	bool diagnostic;	/* hb_metric_diagnostic(): reported, never gated */
	bool tail;		/* hb_metric_tail(): decided on its change */
	enum hb_direction dir;
	enum hb_status state;
	const char *reason;	/* why not ok (from the first such round) */
	size_t seen;		/* rounds that have the metric (value or null) */
	size_t nrounds;		/* rounds with a value: x[0..nrounds-1] */
	double **x;		/* samples (headline) or the one value */
	size_t *n;
	size_t apart;		/* headline: samples set apart, interrupted */
	size_t back;		/* and those taken back: HB_SPANS_TICKS, HB_FEWEST_SHARE */
	json_t *counters;	/* headline: event -> per-op, ops-weighted */
};

/* A result set: the rounds (boots) of one kernel. */
struct hb_set {
	char *label;		/* the argument as given */
	size_t nrounds;
	char **paths;
	json_t **roots;
	const char *mode, *time_unit, *kernel;	/* from round 0 */
	/*
	 * the thresholds' setting: the mode, "MODE:quick" for --quick runs,
	 * then "@FAMILY", the kernel's MAJOR.MINOR: "icount:quick@6.1"
	 */
	char setting[48];
	char family[16];
	const json_t *context;			/* round 0's context */
	/* the hmmbench versions its rounds ran, distinct, ", "-joined */
	char versions[256];
	/* the hosts its rounds ran on, distinct, ", "-joined ("" unknown) */
	char hosts[256];
	/* the timed regions' scheduling policy (hb_regions_policy) */
	char regions[256];
	/*
	 * points' samples over the rounds, those set apart, interrupted, and
	 * those taken back (HB_SPANS_TICKS, HB_FEWEST_SHARE)
	 */
	size_t samples, apart, back;
	/* DIR/profile/profile.json of a set given as DIR (scripts/profile) */
	json_t *profile;
	size_t nmetrics;
	struct hb_metric *metrics;
	json_t *index;				/* id -> index in metrics */
};

/*
 * @arg: a results file, a directory (its DIR/X/results.json if there are
 * any, else its DIR/X.json, sorted), or a comma-separated list of files. Fails, naming the problem, on an
 * unreadable or invalid file, an empty set, or rounds that do not belong
 * together (different kernels, modes or metrics).
 */
int hb_set_load(struct hb_set *set, const char *arg, char *err, size_t errlen);
void hb_set_free(struct hb_set *set);
/*
 * Why @set may not be compared as one side, or NULL: its rounds ran on
 * more than one host, whose noise differs (unless @mix).
 */
const char *hb_set_mixed_hosts(const struct hb_set *set, bool mix, char *buf,
			       size_t len);
const struct hb_metric *hb_set_find(const struct hb_set *set, const char *id);
/* a kernel release's family, MAJOR.MINOR ("6.1.192" -> "6.1"), or "unknown" */
void hb_kernel_family(const char *release, char *buf, size_t len);
/* Why @set is not fit to gate on (not complete, a point failed), or NULL. */
const char *hb_set_unfit(const struct hb_set *set, char *buf, size_t len);
/*
 * Why two sets' samples do not compare (modes or timed regions differ), or
 * NULL: the gate refuses them, a report warns.
 */
const char *hb_sets_incomparable(const struct hb_set *base,
				 const struct hb_set *cand, char *buf,
				 size_t len);

/*
 * Thresholds: lines "SETTING METRIC-PATTERN PERCENT", the last match wins.
 * SETTING is a mode, MODE:quick for --quick runs, or "*". A pattern without
 * glob characters names one metric, whose A/A noise was measured; a glob is
 * a catch-all, which the gate does not take as a measured threshold.
 */
struct hb_threshold_rule {
	char *mode, *pattern;
	double percent;
	int line;
	bool catchall;
};

struct hb_thresholds {
	char *path;
	size_t n;
	struct hb_threshold_rule *rules;
	/* per setting, the timed regions its A/A ran with (provenance lines) */
	size_t nregions;
	struct { char *setting, *regions; } *regions;
};

int hb_thresholds_load(struct hb_thresholds *t, const char *path,
		       char *err, size_t errlen);
void hb_thresholds_free(struct hb_thresholds *t);
/*
 * The rule for @id in @setting (the last match; NULL: none). @setting
 * "MODE:quick" also takes rules for "*"; not those for plain MODE.
 */
const struct hb_threshold_rule *hb_threshold_rule(const struct hb_thresholds *t,
						  const char *setting,
						  const char *id);
/* The percent for @id in @setting, or -1 with no matching rule. */
double hb_threshold_for(const struct hb_thresholds *t, const char *setting,
			const char *id);
bool hb_thresholds_have_mode(const struct hb_thresholds *t, const char *mode);
/* rules measured for exactly @setting (MODE[:quick]@FAMILY), not catch-alls */
size_t hb_thresholds_measured(const struct hb_thresholds *t, const char *setting);
/*
 * The timed regions of the runner whose A/A measured @setting's rules, as
 * its provenance line "# SETTING: ... timed regions X'" says; NULL if it
 * does not say (a file written by hand, or before runners said).
 */
const char *hb_thresholds_regions(const struct hb_thresholds *t,
				  const char *setting);
/*
 * Those timed regions if they are not @set's: the rules are another
 * runner's noise, which neither the gate nor a report may apply.
 */
const char *hb_thresholds_foreign(const struct hb_thresholds *t,
				  const char *setting, const struct hb_set *set);
/* thresholds.c: @bench's profile rule id, HB_PROFILE_RULE @bench, into @buf */
const char *hb_profile_rule_id(char *buf, size_t len, const char *bench);
/* whether rule id (or pattern) @id is a profile rule */
bool hb_is_profile_rule(const char *id);
/* what `noise` writes before a run line's timed regions, and the gate reads */
#define HB_REGIONS_KEY	"; timed regions "

enum hb_verdict {
	HB_V_IMPROVED, HB_V_REGRESSED,
	HB_V_UNCHANGED,	/* the change's CI lies within the threshold */
	/*
	 * no decision: a change beyond the threshold not confirmed, a CI
	 * reaching past the threshold, or no measured threshold
	 */
	HB_V_INCONCLUSIVE,
	HB_V_UNSUPPORTED,
	HB_V_UNTESTED,	/* not gated: a fit quality, or no ratio */
	HB_V_FAILED,	/* a side failed or is incomplete */
	HB_V_MISSING,	/* only one side has the metric */
	HB_V_COUNT
};

const char *hb_verdict_name(enum hb_verdict v);

struct hb_cmp {
	const struct hb_metric *b, *c;	/* NULL when the side lacks it */
	double bmed, cmed;	/* medians of the rounds' values */
	double ratio;		/* cmed / bmed */
	double change;		/* percent, normalised: positive is better */
	double lo, hi;		/* 95% CI of the ratio over boots; NAN if none */
	bool decidable;		/* both sides have values and a ratio */
	bool identical;		/* the same values on both sides */
	double threshold;	/* percent, the rule or the floor; NAN if none */
	const struct hb_threshold_rule *rule;	/* that applied; NULL: none */
	/* inconclusive: the bad side of the CI is open (could be a regression) */
	bool open_bad;
	double rounds_needed;	/* inconclusive: rounds a side; NAN */
	enum hb_verdict verdict;
	char reason[256];
};

/*
 * Kernel profile movers of one benchmark (profile.c): the functions whose
 * share of the samples in the timed regions moved most, self and with
 * children, among those beyond HB_PROFILE_Z standard errors of binomial
 * sampling noise and HB_PROFILE_MIN_PP points of share: one context switch
 * in one boot is far beyond the z of 26,000 samples, and no regression.
 */
#define HB_PROFILE_TOP		3
#define HB_PROFILE_Z		4.0
#define HB_PROFILE_MIN_PP	0.5
#define HB_PROFILE_MIN_SAMPLES	100
/* a profile's A/A noise in the thresholds: the rule "SETTING profile/BENCH PP" */
#define HB_PROFILE_RULE		"profile/"
struct hb_mover {
	const char *symbol;
	double b, c;		/* samples */
	double bshare, cshare;	/* percent of the side's samples */
	double delta;		/* percentage points, candidate - baseline */
	double z;
};

struct hb_profile_diff {
	const char *bench;
	bool have;		/* both sides have a profile of it */
	size_t nb, nc;		/* samples a side */
	double ownb, ownc;	/* of them, outside interference (below) */
	double cost_b, cost_c;	/* time units per sampling interrupt */
	double period;
	/*
	 * A mover's least move: HB_PROFILE_MIN_PP, or the thresholds'
	 * profile/BENCH rule (A/A noise between boots) if larger
	 */
	double floor;
	const struct hb_threshold_rule *floor_rule;	/* NULL: none */
	char why[192];		/* no movers: why not; "" if there are */
	struct hb_mover self[HB_PROFILE_TOP], children[HB_PROFILE_TOP];
	size_t nself, nchildren;
	/* self movers whose share grew, and fell: what a cost change names */
	struct hb_mover up[HB_PROFILE_TOP], down[HB_PROFILE_TOP];
	size_t nup, ndown;
	/*
	 * Interference movers, with children, in shares of all samples:
	 * those under a device or timer interrupt, apart from the above,
	 * whose shares are of the rest
	 */
	struct hb_mover intf[HB_PROFILE_TOP];
	size_t nintf;
};

struct hb_comparison {
	const struct hb_set *base, *cand;
	size_t n;
	struct hb_cmp *m;
	/* geometric mean of the normalised ratios of comparable headlines */
	double geomean;		/* percent, positive is better; NAN if none */
	size_t geomean_n;
	size_t counts[HB_V_COUNT];
	char problem[1024];	/* contexts that do not compare; "" if fine */
	/* what does not stop a comparison but qualifies it; "" if nothing */
	char note[640];
	/* one per benchmark compared */
	struct hb_profile_diff *profiles;
	size_t nprofiles;
};

/*
 * Compare every metric of @base with @cand. Thresholds come from @th (may be
 * NULL: the fallback effect) for @mode, a setting (NULL: the baseline's,
 * "MODE[:quick]@FAMILY").
 */
int hb_compare(const struct hb_set *base, const struct hb_set *cand,
	       const struct hb_thresholds *th, const char *mode,
	       struct hb_comparison *out, char *err, size_t errlen);
void hb_comparison_free(struct hb_comparison *cmp);

/* The movers of @bench between two profile.json roots (NULL: none). */
void hb_profile_diff(const json_t *base, const json_t *cand, const char *bench,
		     double floor, struct hb_profile_diff *d);
/*
 * cmp->profiles for each benchmark of @cmp, movers beyond @th's
 * profile/BENCH rule of @setting if any: 0, or -1 out of memory
 */
int hb_profile_diffs(struct hb_comparison *cmp, const struct hb_thresholds *th,
		     const char *setting);
/*
 * The largest move of any function's share of @bench's samples outside
 * interference, self or with children, in percentage points: the A/A
 * noise of a profile. NAN
 * if a side has no profile of @bench or too few samples.
 */
double hb_profile_spread(const json_t *base, const json_t *cand, const char *bench);
const struct hb_profile_diff *hb_profile_of(const struct hb_comparison *cmp,
					    const char *bench);
/* A changed metric, which a profile diff should explain. */
bool hb_changed(const struct hb_cmp *c);

/*
 * A/A noise of one metric of two sets of the same kernel: how far apart
 * the medians of two groups of its rounds can fall when nothing changed.
 * All rounds of both sets are split every way into groups of the two sets'
 * sizes (at most HB_NOISE_SPLITS splits, else that many seeded random ones);
 * returns the largest |median(S) / median(T) - 1| over the splits, with
 * the median over splits in *typical. NAN if no split has a positive
 * median (no ratio).
 */
#define HB_NOISE_SPLITS		1000
double hb_aa_noise(const struct hb_metric *a, const struct hb_metric *b,
		   double *typical, size_t *splits);

/*
 * A metric's threshold from A/A pairs: its largest noise among them, where
 * a pair's noise is the larger of hb_aa_noise() and how far the 95% CI of
 * its ratio reaches from 1 (the gate says unchanged only within it).
 */
#define HB_NOISE_MAX_PAIRS	64
struct hb_noise_rule {
	char *id;
	enum hb_kind kind;
	double percent;		/* the threshold: max, rounded up to 0.1% */
	double max, median;	/* over the pairs, percent */
	size_t pairs;		/* pairs that had the metric (finish_rule) */
	double of_pair[HB_NOISE_MAX_PAIRS];	/* by pair, NAN if it had none */
};

struct hb_noise {
	char setting[48], kernel[128];
	double margin;
	size_t npairs, rounds[2];
	size_t nrules;
	struct hb_noise_rule *rules;
};

/*
 * The noise of @npairs A/A pairs, @args the two sets of each in turn; all
 * one kernel in one setting. @run_line names the run options (from the
 * first set) into @run, non-zero if they do not fit. 0, or -1 with the
 * reason in @err.
 */
int hb_noise_of_pairs(struct hb_noise *z, const char *const *args, size_t npairs,
		      double margin,
		      bool mix_hosts,
		      int (*run_line)(char *, size_t, const struct hb_set *),
		      char *run, size_t runlen, char *err, size_t len);
void hb_noise_free(struct hb_noise *z);

/*
 * The rules of a subset of @z's pairs without measuring again: pair @pair
 * (0-based) alone if @only, else every pair but it (leave one out). A
 * metric no pair of the subset had gets no rule. 0, or -1 out of memory.
 */
int hb_noise_subset(struct hb_noise *dst, const struct hb_noise *z, size_t pair,
		    bool only);

/*
 * Writes @rules as the thresholds of @setting to @path (stdout if NULL):
 * the file's other settings' rules and their provenance lines are kept,
 * this setting's replaced, under "# SETTING: @provenance". With @merge
 * only the setting's rules for @rules' metrics are replaced, under
 * "# SETTING, N of its rules measured again: @provenance" (a campaign over
 * some rows, e.g. one benchmark's); its other rules and its provenance
 * stay, and a provenance of other timed regions refuses the merge.
 */
int hb_thresholds_write(const char *path, const char *setting,
			const char *provenance, const struct hb_noise_rule *rules,
			size_t n, bool merge, char *err, size_t len);

#endif
