/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a benchmark sees. A benchmark is one bench_*.c file defining a
 * struct hb_bench plus one entry in HB_BENCHES below (the build finds the
 * file). The harness owns the rest: sweeps, warm-up, repetitions
 * interleaved across points, CPU and memory placement, timing with the
 * timer overhead subtracted, perf counters, statistics and output.
 *
 * A whole benchmark, the time of one CPU write fault on a fresh anonymous
 * page, checked:
 *
 *	#include "hmmbench.h"
 *
 *	enum { P_PAGES };
 *	struct touch { char *buf; size_t len; };
 *
 *	static int touch_setup(struct hb_point *pt)
 *	{
 *		struct touch *t = pt->priv;
 *
 *		t->len = pt->v[P_PAGES] * PAGE_SZ;
 *		t->buf = hb_map_anon(pt, t->len);	// hb_fail()s on error
 *		return t->buf ? 0 : HB_FAILED;
 *	}
 *
 *	static int touch_pass(struct hb_point *pt, struct hb_meter *m)
 *	{
 *		struct touch *t = pt->priv;
 *		size_t i;
 *
 *		for (i = 0; i < t->len; i += PAGE_SZ) {
 *			hb_begin(m);			// one sample per region
 *			t->buf[i] = 1;
 *			hb_end(m, 1);
 *		}
 *		return 0;
 *	}
 *
 *	static int touch_verify(struct hb_point *pt)
 *	{
 *		struct touch *t = pt->priv;
 *		size_t i;
 *
 *		for (i = 0; i < t->len; i += PAGE_SZ)
 *			if (t->buf[i] != 1)
 *				return hb_fail(pt, "page %zu lost its write", i / PAGE_SZ);
 *		return 0;
 *	}
 *
 *	static void touch_teardown(struct hb_point *pt)
 *	{
 *		struct touch *t = pt->priv;
 *
 *		HB_UNMAP(t->buf, t->len);
 *	}
 *
 *	const struct hb_bench bench_touch = {
 *		.name = "touch", .desc = "a write fault on a fresh page",
 *		.op = "access", .reps = 5, .priv_size = sizeof(struct touch),
 *		.params = { { "pages", "pages touched per pass", "16,64", NULL,
 *			      1, 1 << 16, NULL } },
 *		.setup = touch_setup, .pass = touch_pass,
 *		.verify = touch_verify, .teardown = touch_teardown,
 *		.headlines = { { "touch: a write fault", NULL, "mem_node=0", "pages" } },
 *		.plots = { { "sweep", NULL, "pages", "pages", "touch against pages" } },
 *	};
 *
 * and X(bench_touch) in HB_BENCHES: its report comes with it (the summary's
 * headline table, the HTML report's plots, the gate's rows; tests/structure.sh
 * builds this very example). Its points get "instructions_per_access"
 * (or ns_per_access) with every sample; a metrics() callback adds derived
 * metrics, summary() metrics across points, hb_sample() per-sample series.
 *
 * Each visit of a point runs setup, pass, verify and teardown, so every pass
 * starts from fresh state. Only the code between hb_begin() and hb_end() is
 * timed; a pass may time several regions (one sample each). A pass whose
 * verify fails contributes nothing, and its point is marked failed; a
 * callback that cannot measure on this kernel says why with
 * hb_unsupported(), which is not a failure.
 */
#ifndef HMMBENCH_H
#define HMMBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>	/* HB_UNMAP() */
#include <sys/types.h>

#include "results.h"
#include "stats.h"

#define HB_MAX_PARAMS	6
#define HB_MAX_SERIES	4
#define PAGE_SZ		4096UL

/* The benchmark table: one X() per bench_*.c, naming its struct hb_bench. */
#define HB_BENCHES(X)	X(bench_mark) X(bench_restore) X(bench_fork) \
			X(bench_revoke) X(bench_migrate) X(bench_thp_migrate) \
			X(bench_mark_rmap) X(bench_revoke_listener) X(bench_fork_lock) \
			X(bench_stress)

struct hb_param {
	const char *name;
	const char *desc;
	const char *def;		/* default sweep, e.g. "1,16,256" */
	const char *quick;		/* sweep under --quick; NULL: def */
	long min, max;			/* bounds of an integer parameter */
	const char *const *choices;	/* NULL-terminated names; NULL: integer */
};

struct hb_point {
	const struct hb_bench *bench;
	long v[HB_MAX_PARAMS];	/* in params[] order; a choice is its index */
	int cpu_node, mem_node;	/* placement parameters every benchmark has */
	int hmm_fd;		/* /dev/hmm_dmirror0 */
	unsigned int visit;	/* counts visits: fresh data patterns per pass */
	bool warmup;		/* this visit's samples are thrown away */
	/* bench->priv_size bytes, zeroed once and kept across visits */
	void *priv;
};

struct hb_meter;

struct hb_bench {
	const char *name;
	const char *desc;
	const char *op;		/* what one timed op is: "page", "access" */
	unsigned int reps;	/* passes per point unless --reps */
	unsigned int quick_reps;	/* under --quick; 0: HB_QUICK_REPS at most */
	bool explicit_only;	/* not in the default suite: only with --bench */
	/*
	 * Its timed regions wait on a thread or process of its own (a walker,
	 * a contender, a hand-off), which on one CPU runs only by preempting
	 * them: they stay SCHED_OTHER. Others' run as SCHED_FIFO (hb_begin()).
	 */
	bool shared_regions;
	/* default mem_node sweeps (NULL: the common "0"); absent nodes skip */
	const char *mem_node_def, *mem_node_quick;
	size_t priv_size;
	struct hb_param params[HB_MAX_PARAMS + 1];	/* ends at name NULL */
	int (*setup)(struct hb_point *pt);
	int (*pass)(struct hb_point *pt, struct hb_meter *m);
	int (*verify)(struct hb_point *pt);
	void (*teardown)(struct hb_point *pt);
	/* optional: derived metrics of one point, and across points */
	void (*metrics)(struct hb_point *pt, const struct hb_stats *st);
	void (*summary)(struct hb_point *const *pts, size_t n);
	/* optional: what the headline table and the HTML plots show of it */
	struct hb_headline headlines[HB_MAX_HEADLINES + 1];	/* ends at label NULL */
	struct hb_plot plots[HB_MAX_PLOTS + 1];			/* ends at kind NULL */
};

/* Callbacks return 0 or one of these, after saying why with hb_fail() etc. */
enum { HB_FAILED = -1, HB_UNSUPPORTED = -2 };

int hb_fail(struct hb_point *pt, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int hb_unsupported(struct hb_point *pt, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Timing: counters on, clock; ... clock, counters off, one sample per op.
 * The region runs as SCHED_FIFO where permitted (unless the benchmark's
 * shared_regions): no ordinary task, such as RCU's kthread that wakes every
 * jiffy, can preempt it into a sample. The switches lie outside the region.
 */
void hb_begin(struct hb_meter *m);
void hb_end(struct hb_meter *m, unsigned long nops);
/*
 * As hb_begin()/hb_end(), but timed with CLOCK_MONOTONIC whatever the
 * sample clock is, for samples set against kernel timestamps (perf's
 * use_clockid). Each returns its clock reading in time units; the sample
 * recorded has hb_mono_overhead() subtracted, as hb_end() subtracts its own.
 */
uint64_t hb_begin_mono(struct hb_meter *m);
uint64_t hb_end_mono(struct hb_meter *m, unsigned long nops);
/* The median of empty hb_begin_mono()..hb_end_mono() regions, time units. */
double hb_mono_overhead(void);
/* CLOCK_MONOTONIC now, in time units, recording nothing. */
uint64_t hb_clock_mono(void);
/*
 * fork() timed as one sample of @m (for @nops ops), until it returns in
 * the parent; the child _exits with @child(@arg). As SCHED_FIFO with SCHED_RESET_ON_FORK
 * where permitted: the new child cannot preempt the parent before fork
 * returns, which it otherwise does or not by the scheduler's whim
 * (bimodal samples with one CPU). Returns the child's pid, or -errno.
 */
pid_t hb_fork(struct hb_meter *m, unsigned long nops,
	      int (*child)(void *arg), void *arg);
/*
 * A reference region: timed like hb_begin()/hb_end(), but neither recorded
 * as a sample nor counted; hb_end_ref() returns its time per @nops ops,
 * timer overhead subtracted. hb_fork_ref() times fork() so into *@t.
 */
void hb_begin_ref(struct hb_meter *m);
double hb_end_ref(struct hb_meter *m, unsigned long nops);
pid_t hb_fork_ref(struct hb_meter *m, double *t, unsigned long nops,
		  int (*child)(void *arg), void *arg);
/* The last sample @m recorded in this pass, per op; NAN if none. */
double hb_last_sample(const struct hb_meter *m);
/*
 * A derived sample: @value of the series @name (in @unit), one per pass or
 * per region, computed from timed regions of the same pass (fork's extra
 * cost of an exclusive entry: a timed fork less a reference fork). A series
 * is kept as a distribution beside the point's samples, and compared and
 * gated on its samples as the point's own median is.
 */
void hb_sample(struct hb_meter *m, const char *name, double value,
	       const char *unit, enum hb_direction dir);
/* Page faults counted by @m so far in this pass, or -1 if not countable. */
long long hb_meter_faults(struct hb_meter *m);

/*
 * Run @fn in @n threads at once, thread i bound to the i-th CPU (modulo) of
 * the point's CPU node, each timing with its own meter; merged into @m.
 */
int hb_threads(struct hb_point *pt, struct hb_meter *m, unsigned int n,
	       int (*fn)(struct hb_point *pt, struct hb_meter *m,
			 unsigned int idx));

/* Lets the calling thread run on any CPU. */
void hb_unbind_cpu(void);
/* Binds the calling thread where hb_threads() binds thread @idx. */
int hb_bind_cpu(const struct hb_point *pt, unsigned int idx);
/* How many CPUs NUMA node @node has. */
int hb_node_cpus(int node);

/* Data patterns: word i of a buffer filled with @seed. */
static inline uint64_t hb_pattern(uint64_t seed, size_t i)
{
	return (seed + i) * 0x9e3779b97f4a7c15ULL;
}

/*
 * The device's copy buffer for the test_hmm ioctls: @len bytes, faulted in
 * and poisoned, not inherited by fork. NULL after hb_fail() on error.
 */
void *hb_mirror_map(struct hb_point *pt, size_t len);
/*
 * An anonymous private mapping of @len bytes in base pages
 * (MADV_NOHUGEPAGE), not faulted in. NULL after hb_fail() on error.
 */
void *hb_map_anon(struct hb_point *pt, size_t len);
/* Teardown's idiom: munmap @p's @len bytes if mapped, and forget @p. */
#define HB_UNMAP(p, len)			\
	do {					\
		if (p)				\
			munmap((p), (len));	\
		(p) = NULL;			\
	} while (0)
/*
 * A rate of @k in @n (fork failures) as metrics: @name and its Wilson 95%
 * interval @name_ci95_low and _high (lower is better); nothing if @n is 0.
 */
void hb_rate(struct hb_point *pt, const char *name, unsigned long k, unsigned long n,
	     const char *unit);

/*
 * Pages set apart: page @g of a set whose pages lie @stride pages apart
 * from @base (fault-around and the neighbour a driver touches stay out of
 * the way), and the data seed of its words, one word of seed per word.
 */
static inline uint64_t *hb_page(void *base, unsigned long g, unsigned long stride)
{
	return (uint64_t *)((char *)base + g * stride * PAGE_SZ);
}

static inline uint64_t hb_page_seed(uint64_t seed, unsigned long g)
{
	return seed + g * (PAGE_SZ / 8);
}
void hb_fill(void *p, size_t len, uint64_t seed);
/* Index of the first word that differs from the pattern, or -1. */
long hb_check(const void *p, size_t len, uint64_t seed);
/* hb_check_node() for @n pages @stride pages apart from @base (hb_page()). */
int hb_check_node_pages(struct hb_point *pt, void *base, unsigned long n,
			unsigned long stride);
/*
 * A number file (sysfs, a module parameter): its value (@val < 0; "Y" and
 * "N" read as 1 and 0), or @val written. -errno on failure.
 */
long hb_num_file(const char *path, long val);
/* AnonHugePages of the mapping holding @addr, in kB; -1 if not found. */
long hb_anon_huge_kb(const void *addr);
/* Fails @pt unless every page of [addr, addr + len) is on its memory node. */
int hb_check_node(struct hb_point *pt, void *addr, size_t len);

/* Time is nanoseconds, or guest instructions in icount mode. */
bool hb_icount(void);
const char *hb_time_unit(void);

/*
 * The throughput of a point whose samples are time per @what: @what per
 * second, or per 10^9 guest instructions in icount mode ("pages_per_s",
 * "pages_per_ginstruction"), higher is better.
 */
void hb_throughput(struct hb_point *pt, const struct hb_stats *st, const char *what);

/* Derived metrics of a point, and summary metrics of a benchmark. */
void hb_metric(struct hb_point *pt, const char *name, double value,
	       const char *unit, enum hb_direction dir);
/* @pt names the group: its params, except @skip (-1: none). */
void hb_summary(const struct hb_point *pt, int skip, const char *name,
		double value, const char *unit, enum hb_direction dir);
/*
 * A summary metric @name = @num / @den, unit "ratio", for the group of @pt
 * less param @skip, with both sides kept beside it (labelled, in @unit):
 * hmmbench summary prints these as a table.
 */
void hb_summary_ratio(const struct hb_point *pt, int skip, const char *name,
		      const char *num_label, double num, const char *den_label,
		      double den, const char *unit, enum hb_direction dir);
/* A point's statistics, or NULL if it has none (not ok). */
const struct hb_stats *hb_point_stats(const struct hb_point *pt);
/* The point among @pts equal to @pt except for param @idx, which is @val. */
struct hb_point *hb_point_like(struct hb_point *const *pts, size_t n,
			       const struct hb_point *pt, int idx, long val);

#endif
