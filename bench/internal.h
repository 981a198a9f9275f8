/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The harness's own state and the functions its files share (clock.c,
 * meter.c, threads.c, data.c, point.c, kmsg.c, run.c); benchmarks see
 * hmmbench.h only.
 */
#ifndef HMMBENCH_INTERNAL_H
#define HMMBENCH_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "counters.h"
#include "harness.h"

struct bench_state;

/* A derived sample series (hb_sample): one value per sample, a name. */
struct series {
	char name[64];
	char unit[64];
	enum hb_direction dir;
	double *v;
	size_t n, cap;
};

struct hb_meter {
	struct hb_counters ctr;
	uint64_t t0;
	uint64_t p0;		/* CLOCK_MONOTONIC at t0, when profiling */
	double *s;		/* samples of this pass, per op */
	int *irqs;		/* interrupts in each sample's region, -1 unknown */
	size_t n, cap;
	long long irqs_seen;	/* counted up to the last region's end */
	double ops, regions;
	double merged[HB_NR_EVENTS];	/* counts of finished worker threads */
	struct series ser[HB_MAX_SERIES];
	size_t nser;
	bool nomem;
	bool fifo;		/* this region switched to SCHED_FIFO */
};

struct pt_state {
	struct hb_point pt;	/* first: the benchmark's pointer is ours */
	struct bench_state *b;
	enum hb_status status;
	char reason[512];
	double *samples;
	int *irqs;		/* as the meter's, one per sample */
	size_t n, cap;
	/* samples set apart: more interrupts than the point's fewest */
	double *interrupted;
	size_t ninterrupted;
	int kept_irqs;		/* the fewest, which kept samples hold; -1 */
	double ops, regions, ctr[HB_NR_EVENTS];
	struct hb_stats st;
	json_t *metrics;
	struct series ser[HB_MAX_SERIES];	/* over the kept visits */
	size_t nser;
};

struct bench_state {
	const struct hb_bench *bench;
	struct pt_state *pts;
	size_t npts;
	bool started;
	json_t *summary, *warnings;
};

/* The run: one per process. */
struct hb_run_state {
	const struct hb_opts *o;
	struct bench_state *bs;
	json_t *context;
	char start[32];
	double overhead;		/* timer overhead subtracted, time units */
	double mono_overhead;		/* the same for hb_begin_mono() */
	double tick;			/* time units per clock tick */
	bool tsc;			/* the clock is rdtsc, else clock_gettime */
	double baseline[HB_NR_EVENTS];	/* counts of one empty region */
	struct hb_meter meter;		/* the main thread's */
	pthread_mutex_t lock;
	size_t dmesg_seen;
	bool dmesg_ok;
	bool profiling;			/* timed regions go to the profile */
	bool fifo_permitted;		/* SCHED_FIFO could be set at the start */
	bool fifo_regions;		/* this point's regions run as SCHED_FIFO */
};

extern struct hb_run_state hb_rs;
extern volatile sig_atomic_t hb_stop_signal;

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * The sample clock. rdtsc costs a few instructions where clock_gettime()
 * costs dozens, which matters against a restore fault of a few thousand;
 * lfence keeps it from being hoisted over the timed code.
 */
static inline uint64_t now(void)
{
	uint32_t lo, hi;

	if (!hb_rs.tsc)
		return mono_ns();
	asm volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) :: "memory");
	return (uint64_t)hi << 32 | lo;
}

/* clock.c: the sample clock, the timer overhead and empty-region counts */
int hb_calibrate(void);
/* meter.c */
void hb_meter_start(struct hb_meter *m);
/*
 * Room for @n samples in a pair of arrays (samples, interrupts) of
 * capacity *@cap, grown together; -1 if there is none.
 */
int hb_samples_room(double **s, int **irqs, size_t *cap, size_t n);
/* Room for @n samples in s[] and irqs[]; -1 (and nomem) if none. */
int hb_meter_grow(struct hb_meter *m, size_t n);
/* Probes SCHED_FIFO and records the regions' policy in the context. */
void hb_regions_probe(void);
void hb_meter_counts(struct hb_meter *m, double v[HB_NR_EVENTS]);
int hb_series_add(struct series *ser, size_t *n, const char *name,
		  const char *unit, enum hb_direction dir, double v);
void hb_series_free(struct series *ser, size_t *n);
/* profile.c: --profile */
int hb_profile_cost(json_t *ctx, char *err, size_t len);
int hb_profile_begin(const char *bench, char *err, size_t len);
void hb_profile_point(size_t k);
void hb_profile_jitter(void);
void hb_profile_range(uint64_t t0, uint64_t t1);
int hb_profile_end(const char *bench, char *const *names, size_t n,
		   char *err, size_t len);
/* point.c */
void hb_point_name(const struct pt_state *p, char *buf, size_t len);
void hb_utc_now(char *buf, size_t len);
json_t *hb_results_json(const char *status, bool finished);
int hb_write_results(const char *status, bool finished);
/*
 * kmsg.c: the kernel reports in dmesg after the first @skip, into @out
 * (what a benchmark follows the log with is kmsg.h's)
 */
size_t hb_kmsg_reports(size_t skip, json_t *out);

#endif
