// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "context.h"
#include "counters.h"
#include "harness.h"
#include "hmm.h"
#include "placement.h"

#define HB_EXTERN(b)	extern const struct hb_bench b;
#define HB_ENTRY(b)	&b,
HB_BENCHES(HB_EXTERN)
const struct hb_bench *const hb_benches[] = { HB_BENCHES(HB_ENTRY) NULL };

const struct hb_param hb_common_params[] = {
	{ "cpu_node", "NUMA node whose CPU runs the benchmark", "0", NULL, 0, 63, NULL },
	{ "mem_node", "NUMA node the benchmark's memory is bound to", "0", NULL, 0, 63, NULL },
	{ 0 }
};

#define CALIBRATION_REGIONS	1000

enum { ST_RUNNING, ST_OK, ST_UNSUPPORTED, ST_FAILED };
static const char *const st_names[] = { "incomplete", "ok", "unsupported", "failed" };

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
	double *s;		/* samples of this pass, per op */
	size_t n, cap;
	double ops, regions;
	double merged[HB_NR_EVENTS];	/* counts of finished worker threads */
	struct series ser[HB_MAX_SERIES];
	size_t nser;
	bool nomem;
};

struct pt_state {
	struct hb_point pt;	/* first: the benchmark's pointer is ours */
	struct bench_state *b;
	int status;
	char reason[512];
	double *samples;
	size_t n, cap;
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

static struct {
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
} run = { .lock = PTHREAD_MUTEX_INITIALIZER };

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

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

	if (!run.tsc)
		return mono_ns();
	asm volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) :: "memory");
	return (uint64_t)hi << 32 | lo;
}

/* The kernel keeps time with the TSC only if it found it stable. */
static bool tsc_is_clocksource(void)
{
	char cs[32] = "";
	FILE *f;

	f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	if (f) {
		if (!fgets(cs, sizeof(cs), f))
			cs[0] = 0;
		fclose(f);
	}
	return !strcmp(cs, "tsc\n");
}

/*
 * Pick the sample clock and its scale: TSC ticks against CLOCK_MONOTONIC
 * over 50 ms (in icount mode both count guest instructions).
 */
static void clock_setup(void)
{
	uint64_t t0, c0, t1, c1;

	run.tsc = false;
	run.tick = 1;
	if (!tsc_is_clocksource())
		return;
	run.tsc = true;
	t0 = mono_ns();
	c0 = now();
	do
		t1 = mono_ns();
	while (t1 - t0 < 50000000);
	c1 = now();
	t1 = mono_ns();
	run.tick = (double)(t1 - t0) / (double)(c1 - c0);
}

bool hb_icount(void)
{
	return !strcmp(run.o->mode, "icount");
}

const char *hb_time_unit(void)
{
	return hb_icount() ? "guest-instructions" : "ns";
}

int hb_nparams(const struct hb_bench *b)
{
	int n = 0;

	while (b->params[n].name)
		n++;
	return n;
}

const struct hb_param *hb_sweep_param(const struct hb_bench *b, int i)
{
	int n = hb_nparams(b);

	return i < n ? &b->params[i] : &hb_common_params[i - n];
}

static int reason(struct hb_point *pt, int status, const char *fmt, va_list ap)
{
	struct pt_state *p = (struct pt_state *)pt;

	/* threads may fail at once: the first reason stands */
	pthread_mutex_lock(&run.lock);
	if (!p->reason[0]) {
		vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
		p->status = status;
	}
	pthread_mutex_unlock(&run.lock);
	return status == ST_FAILED ? HB_FAILED : HB_UNSUPPORTED;
}

int hb_fail(struct hb_point *pt, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = reason(pt, ST_FAILED, fmt, ap);
	va_end(ap);
	return ret;
}

int hb_unsupported(struct hb_point *pt, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = reason(pt, ST_UNSUPPORTED, fmt, ap);
	va_end(ap);
	return ret;
}

/* Timing */

void hb_begin(struct hb_meter *m)
{
	hb_counters_enable(&m->ctr);
	m->t0 = now();
}

/* One sample of @t time units (overhead not yet subtracted) for @nops ops. */
static void record(struct hb_meter *m, double t, double overhead,
		   unsigned long nops)
{
	double *s;

	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 1024;
		s = realloc(m->s, m->cap * sizeof(*s));
		if (!s) {
			m->nomem = true;
			m->n = 0;
			return;
		}
		m->s = s;
	}
	m->s[m->n++] = (t - overhead) / (nops ? nops : 1);
	m->ops += nops;
	m->regions++;
}

/* Appends @v to the series @name of @ser[0..*n), made on first use. */
static int series_add(struct series *ser, size_t *n, const char *name,
		      const char *unit, enum hb_direction dir, double v)
{
	struct series *x;
	double *grown;
	size_t i;

	for (i = 0; i < *n && strcmp(ser[i].name, name); i++)
		;
	if (i == *n) {
		if (i == HB_MAX_SERIES)
			return -ENOSPC;
		ser[i] = (struct series){ .dir = dir };
		snprintf(ser[i].name, sizeof(ser[i].name), "%s", name);
		snprintf(ser[i].unit, sizeof(ser[i].unit), "%s", unit);
		(*n)++;
	}
	x = &ser[i];
	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 64;
		grown = realloc(x->v, x->cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		x->v = grown;
	}
	x->v[x->n++] = v;
	return 0;
}

static void series_free(struct series *ser, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free(ser[i].v);
	*n = 0;
}

void hb_sample(struct hb_meter *m, const char *name, double value,
	       const char *unit, enum hb_direction dir)
{
	if (series_add(m->ser, &m->nser, name, unit, dir, value))
		m->nomem = true;
}

double hb_last_sample(const struct hb_meter *m)
{
	return m->n ? m->s[m->n - 1] : NAN;
}

void hb_begin_ref(struct hb_meter *m)
{
	m->t0 = now();
}

double hb_end_ref(struct hb_meter *m, unsigned long nops)
{
	uint64_t t1 = now();

	return ((double)(t1 - m->t0) * run.tick - run.overhead) /
	       (nops ? nops : 1);
}

void hb_end(struct hb_meter *m, unsigned long nops)
{
	uint64_t t1 = now();

	hb_counters_disable(&m->ctr);
	record(m, (double)(t1 - m->t0) * run.tick, run.overhead, nops);
}

uint64_t hb_begin_mono(struct hb_meter *m)
{
	hb_counters_enable(&m->ctr);
	m->t0 = mono_ns();
	return m->t0;
}

uint64_t hb_end_mono(struct hb_meter *m, unsigned long nops)
{
	uint64_t t1 = mono_ns();

	hb_counters_disable(&m->ctr);
	record(m, (double)(t1 - m->t0), run.mono_overhead, nops);
	return t1;
}

double hb_mono_overhead(void)
{
	return run.mono_overhead;
}

uint64_t hb_clock_mono(void)
{
	return mono_ns();
}

/* fork() timed as a recorded region, or as a reference (*@t, uncounted) */
static pid_t fork_timed(struct hb_meter *m, unsigned long nops, double *t,
			int (*child)(void *arg), void *arg)
{
	struct sched_param rt = { .sched_priority = 1 }, other = { 0 };
	bool fifo;
	pid_t pid;
	int err;

	/* if not permitted (not root), fork is timed without it */
	fifo = !sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &rt);
	if (t)
		hb_begin_ref(m);
	else
		hb_begin(m);
	pid = fork();
	if (!pid)
		_exit(child(arg));
	err = errno;
	if (t)
		*t = hb_end_ref(m, nops);
	else
		hb_end(m, nops);
	if (fifo)
		sched_setscheduler(0, SCHED_OTHER, &other);
	return pid < 0 ? -err : pid;
}

pid_t hb_fork(struct hb_meter *m, unsigned long nops,
	      int (*child)(void *arg), void *arg)
{
	return fork_timed(m, nops, NULL, child, arg);
}

pid_t hb_fork_ref(struct hb_meter *m, double *t, unsigned long nops,
		  int (*child)(void *arg), void *arg)
{
	return fork_timed(m, nops, t, child, arg);
}

static void meter_counts(struct hb_meter *m, double v[HB_NR_EVENTS])
{
	int ev;

	hb_counters_read(&m->ctr, v);
	for (ev = 0; ev < HB_NR_EVENTS; ev++)
		v[ev] += m->merged[ev];
}

long long hb_meter_faults(struct hb_meter *m)
{
	double v[HB_NR_EVENTS];

	meter_counts(m, v);
	return isnan(v[HB_EV_PAGE_FAULTS]) ? -1 : (long long)v[HB_EV_PAGE_FAULTS];
}

static void meter_start(struct hb_meter *m)
{
	hb_counters_reset(&m->ctr);
	memset(m->merged, 0, sizeof(m->merged));
	m->n = 0;
	m->ops = m->regions = 0;
	series_free(m->ser, &m->nser);
	m->nomem = false;
}

/* Threads */

struct worker {
	pthread_t th;
	struct hb_point *pt;
	struct hb_meter m;
	double counts[HB_NR_EVENTS];
	unsigned int idx;
	int ret;
	int (*fn)(struct hb_point *pt, struct hb_meter *m, unsigned int idx);
};

/* Workers start together, or not at all if one could not be created. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int ready;
	int go;			/* 1: start, -1: give up */
} gate = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int go;

	if (hb_place_cpu(w->pt->cpu_node, w->idx) < 0)
		w->ret = hb_fail(w->pt, "thread %u: cannot bind to a CPU of node %d",
				 w->idx, w->pt->cpu_node);
	hb_counters_open(&w->m.ctr);
	meter_start(&w->m);
	pthread_mutex_lock(&gate.lock);
	gate.ready++;
	pthread_cond_broadcast(&gate.cond);
	while (!gate.go)
		pthread_cond_wait(&gate.cond, &gate.lock);
	go = gate.go;
	pthread_mutex_unlock(&gate.lock);
	if (!w->ret && go > 0)
		w->ret = w->fn(w->pt, &w->m, w->idx);
	meter_counts(&w->m, w->counts);
	hb_counters_close(&w->m.ctr);
	return NULL;
}

void hb_unbind_cpu(void)
{
	hb_place_cpu(-1, 0);
}

int hb_bind_cpu(const struct hb_point *pt, unsigned int idx)
{
	return hb_place_cpu(pt->cpu_node, idx) < 0 ? -1 : 0;
}

int hb_node_cpus(int node)
{
	return hb_place_ncpus(node);
}

static void merge(struct hb_meter *m, struct worker *w)
{
	size_t i, k;
	double *s;
	int ev;

	for (ev = 0; ev < HB_NR_EVENTS; ev++)
		m->merged[ev] += w->counts[ev];
	m->ops += w->m.ops;
	m->regions += w->m.regions;
	if (w->m.nomem || m->nomem || m->n + w->m.n > m->cap) {
		s = m->nomem ? NULL : realloc(m->s, (m->n + w->m.n) * sizeof(*s));
		if (!s || w->m.nomem) {
			m->nomem = true;
			return;
		}
		m->s = s;
		m->cap = m->n + w->m.n;
	}
	memcpy(m->s + m->n, w->m.s, w->m.n * sizeof(double));
	m->n += w->m.n;
	for (i = 0; i < w->m.nser; i++)
		for (k = 0; k < w->m.ser[i].n; k++)
			hb_sample(m, w->m.ser[i].name, w->m.ser[i].v[k],
				  w->m.ser[i].unit, w->m.ser[i].dir);
}

int hb_threads(struct hb_point *pt, struct hb_meter *m, unsigned int n,
	       int (*fn)(struct hb_point *pt, struct hb_meter *m,
			 unsigned int idx))
{
	struct worker *w = calloc(n, sizeof(*w));
	unsigned int i, made;
	int ret = 0;

	if (!w)
		return hb_fail(pt, "out of memory for %u threads", n);
	gate.ready = 0;
	gate.go = 0;
	for (made = 0; made < n; made++) {
		w[made] = (struct worker){ .pt = pt, .idx = made, .fn = fn };
		if (pthread_create(&w[made].th, NULL, worker_main, &w[made]))
			break;
	}
	pthread_mutex_lock(&gate.lock);
	while (gate.ready < made)
		pthread_cond_wait(&gate.cond, &gate.lock);
	gate.go = made == n ? 1 : -1;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);
	if (made < n)
		ret = hb_fail(pt, "cannot create thread %u of %u", made + 1, n);
	for (i = 0; i < made; i++) {
		pthread_join(w[i].th, NULL);
		if (w[i].ret && !ret)
			ret = w[i].ret;
		merge(m, &w[i]);
		free(w[i].m.s);
		series_free(w[i].m.ser, &w[i].m.nser);
	}
	free(w);
	return ret;
}

/* Data patterns and placement checks */

void *hb_mirror_map(struct hb_point *pt, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		hb_fail(pt, "mmap: %s", strerror(errno));
		return NULL;
	}
	/* fault it in now so that no timed ioctl does; poison it */
	memset(p, 0xa5, len);
	madvise(p, len, MADV_DONTFORK);
	return p;
}

void hb_fill(void *p, size_t len, uint64_t seed)
{
	uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = hb_pattern(seed, i);
}

long hb_check(const void *p, size_t len, uint64_t seed)
{
	const uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i] != hb_pattern(seed, i))
			return i;
	return -1;
}

long hb_anon_huge_kb(const void *addr)
{
	unsigned long start, end;
	char line[256];
	long kb = -1;
	bool in = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2)
			in = start <= (unsigned long)addr && (unsigned long)addr < end;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	if (f)
		fclose(f);
	return kb;
}

int hb_check_node(struct hb_point *pt, void *addr, size_t len)
{
	size_t i, n = len / PAGE_SZ;
	int node;

	if (!hb_numa_ok())
		return 0;
	for (i = 0; i < n; i++) {
		node = hb_page_node((char *)addr + i * PAGE_SZ);
		if (node != pt->mem_node)
			return hb_fail(pt, "the page at %p is on node %d, not on mem_node %d",
				       (char *)addr + i * PAGE_SZ, node, pt->mem_node);
	}
	return 0;
}

/* Metrics */

void hb_metric(struct hb_point *pt, const char *name, double value,
	       const char *unit, enum hb_direction dir)
{
	struct pt_state *p = (struct pt_state *)pt;

	json_object_set_new(p->metrics, name, hb_metric_json(value, unit, dir));
}

static json_t *params_json(const struct hb_point *pt, int skip)
{
	const struct hb_bench *b = pt->bench;
	int i, n = hb_nparams(b);
	json_t *o = json_object();
	const struct hb_param *prm;

	for (i = 0; i < n; i++) {
		prm = &b->params[i];
		if (i == skip)
			continue;
		json_object_set_new(o, prm->name, prm->choices ?
				    json_string(prm->choices[pt->v[i]]) :
				    json_integer(pt->v[i]));
	}
	if (skip != n)
		json_object_set_new(o, "cpu_node", json_integer(pt->cpu_node));
	if (skip != n + 1)
		json_object_set_new(o, "mem_node", json_integer(pt->mem_node));
	return o;
}

static json_t *summary_json(const struct hb_point *pt, int skip,
			    const char *name, double value, const char *unit,
			    enum hb_direction dir)
{
	const struct pt_state *p = (const struct pt_state *)pt;
	json_t *m = hb_metric_json(value, unit, dir);

	json_object_set_new(m, "name", json_string(name));
	json_object_set_new(m, "params", params_json(pt, skip));
	json_array_append_new(p->b->summary, m);
	return m;
}

void hb_summary(const struct hb_point *pt, int skip, const char *name,
		double value, const char *unit, enum hb_direction dir)
{
	summary_json(pt, skip, name, value, unit, dir);
}

void hb_summary_ratio(const struct hb_point *pt, int skip, const char *name,
		      const char *num_label, double num, const char *den_label,
		      double den, const char *unit, enum hb_direction dir)
{
	json_t *m = summary_json(pt, skip, name, num / den, "ratio", dir);
	json_t *n = hb_metric_json(num, unit, dir), *d = hb_metric_json(den, unit, dir);

	/* the sides are context for the ratio, not metrics of their own */
	json_object_del(n, "direction");
	json_object_del(d, "direction");
	json_object_set_new(n, "label", json_string(num_label));
	json_object_set_new(d, "label", json_string(den_label));
	json_object_set_new(m, "numerator", n);
	json_object_set_new(m, "denominator", d);
}

const struct hb_stats *hb_point_stats(const struct hb_point *pt)
{
	const struct pt_state *p = (const struct pt_state *)pt;

	return p->status == ST_OK ? &p->st : NULL;
}

struct hb_point *hb_point_like(struct hb_point *const *pts, size_t n,
			       const struct hb_point *pt, int idx, long val)
{
	int i, np = hb_nparams(pt->bench);
	size_t k;

	for (k = 0; k < n; k++) {
		for (i = 0; i < np; i++)
			if (pts[k]->v[i] != (i == idx ? val : pt->v[i]))
				break;
		if (i == np && pts[k]->cpu_node == pt->cpu_node &&
		    pts[k]->mem_node == pt->mem_node)
			return pts[k];
	}
	return NULL;
}

/* Output */

static void point_name(const struct pt_state *p, char *buf, size_t len)
{
	const struct hb_bench *b = p->pt.bench;
	int i, n = hb_nparams(b), off;

	off = snprintf(buf, len, "%s", b->name);
	for (i = 0; i < n && off < (int)len; i++) {
		if (b->params[i].choices)
			off += snprintf(buf + off, len - off, " %s=%s", b->params[i].name,
					b->params[i].choices[p->pt.v[i]]);
		else
			off += snprintf(buf + off, len - off, " %s=%ld",
					b->params[i].name, p->pt.v[i]);
	}
	if (off < (int)len)
		snprintf(buf + off, len - off, " cpu_node=%d mem_node=%d",
			 p->pt.cpu_node, p->pt.mem_node);
}

/* The derived sample series of a point, each with its statistics. */
static json_t *series_json(const struct pt_state *p)
{
	json_t *o = json_object(), *x, *arr;
	struct hb_stats st;
	size_t i, k;

	for (i = 0; i < p->nser; i++) {
		const struct series *sr = &p->ser[i];

		arr = json_array();
		for (k = 0; k < sr->n; k++)
			json_array_append_new(arr, json_real(sr->v[k]));
		x = hb_metric_json(NAN, sr->unit, sr->dir);
		json_object_del(x, "value");
		json_object_set_new(x, "samples", arr);
		if (p->status == ST_OK && !hb_stats_compute(sr->v, sr->n, &st))
			json_object_set_new(x, "stats", hb_stats_json(&st));
		json_object_set_new(o, sr->name, x);
	}
	return o;
}

static json_t *point_json(const struct pt_state *p)
{
	const struct hb_bench *b = p->pt.bench;
	json_t *o, *samples = json_array(), *per_op = json_object();
	char unit[64];
	double v;
	size_t i;
	int ev;

	for (i = 0; i < p->n; i++)
		json_array_append_new(samples, json_real(p->samples[i]));
	for (ev = 0; ev < HB_NR_EVENTS && p->ops; ev++) {
		if (hb_event_unsupported(ev))
			continue;
		/* less what an empty region counts (see the context) */
		v = (p->ctr[ev] - p->regions * run.baseline[ev]) / p->ops;
		json_object_set_new(per_op, hb_event_name(ev),
				    isfinite(v) ? json_real(v) : json_null());
	}
	snprintf(unit, sizeof(unit), "%s/%s", hb_time_unit(), b->op);
	o = json_pack("{so ss ss so}", "params", params_json(&p->pt, -1),
		      "status", st_names[p->status], "unit", unit,
		      "samples", samples);
	if (p->status == ST_UNSUPPORTED || p->status == ST_FAILED)
		json_object_set_new(o, "reason", json_string(p->reason));
	if (p->status == ST_OK)
		json_object_set_new(o, "stats", hb_stats_json(&p->st));
	json_object_set_new(o, "counters", json_pack("{sf sf so}",
			    "ops", p->ops, "regions", p->regions, "per_op", per_op));
	json_object_set(o, "metrics", p->metrics);
	if (p->nser)
		json_object_set_new(o, "series", series_json(p));
	return o;
}

static void utc_now(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

static json_t *results_json(const char *status, bool finished)
{
	json_t *benches = json_array(), *pts;
	struct bench_state *b;
	char end[32];
	size_t i, k;

	for (i = 0; i < run.o->nsel; i++) {
		b = &run.bs[i];
		if (!b->started)
			continue;
		pts = json_array();
		for (k = 0; k < b->npts; k++)
			json_array_append_new(pts, point_json(&b->pts[k]));
		json_array_append_new(benches, json_pack("{ss ss ss so sO sO}",
				"name", b->bench->name,
				"description", b->bench->desc,
				"op", b->bench->op,
				"points", pts,
				"summary", b->summary,
				"kernel_warnings", b->warnings));
	}
	utc_now(end, sizeof(end));
	return json_pack("{ss si ss ss so sO so}",
			 "schema", HB_SCHEMA,
			 "schema_version", HB_SCHEMA_VERSION,
			 "status", status,
			 "start_time", run.start,
			 "end_time", finished ? json_string(end) : json_null(),
			 "context", run.context,
			 "benchmarks", benches);
}

static int write_results(const char *status, bool finished)
{
	json_t *root = results_json(status, finished);
	char err[512];
	int ret;

	ret = hb_results_write(root, run.o->out, err, sizeof(err));
	if (ret)
		fprintf(stderr, "hmmbench: %s\n", err);
	json_decref(root);
	return ret;
}

/* Kernel warnings: dmesg lines that say the kernel went wrong. */

#include "kernel-reports.h"

/* Appends to @out (if not NULL) the alarming lines after the first @skip. */
static size_t dmesg_alarms(size_t skip, json_t *out)
{
	int len = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	char *buf, *line, *save = NULL;
	size_t count = 0;
	int i;

	buf = len > 0 ? malloc(len + 1) : NULL;
	if (!buf)
		return 0;
	len = klogctl(3, buf, len);	/* SYSLOG_ACTION_READ_ALL */
	if (len < 0) {
		free(buf);
		return 0;
	}
	run.dmesg_ok = true;
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		for (i = 0; hb_kernel_reports[i] && !strstr(line, hb_kernel_reports[i]); i++)
			;
		if (hb_kernel_reports[i] && count++ >= skip && out)
			json_array_append_new(out, json_string(line));
	}
	free(buf);
	return count;
}

/* The run */

static struct pt_state *make_points(const struct hb_sel *s, size_t *npts)
{
	const struct hb_bench *b = s->bench;
	int np = hb_nparams(b), i;
	size_t idx[HB_NR_SWEEPS] = { 0 }, n = 1, k;
	struct pt_state *pts;

	for (i = 0; i < np + 2; i++)
		n *= s->nsweep[i];
	pts = calloc(n, sizeof(*pts));
	for (k = 0; pts && k < n; k++) {
		pts[k].pt.bench = b;
		for (i = 0; i < np; i++)
			pts[k].pt.v[i] = s->sweep[i][idx[i]];
		pts[k].pt.cpu_node = s->sweep[np][idx[np]];
		pts[k].pt.mem_node = s->sweep[np + 1][idx[np + 1]];
		pts[k].metrics = json_object();
		/* the last parameter varies fastest */
		for (i = np + 1; i >= 0; i--) {
			if (++idx[i] < s->nsweep[i])
				break;
			idx[i] = 0;
		}
	}
	*npts = n;
	return pts;
}

static int append_samples(struct pt_state *p, struct hb_meter *m)
{
	double v[HB_NR_EVENTS];
	size_t cap, i, k;
	int ev;

	if (p->n + m->n > p->cap) {
		double *s;

		cap = 2 * (p->n + m->n);
		s = realloc(p->samples, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		p->samples = s;
		p->cap = cap;
	}
	memcpy(p->samples + p->n, m->s, m->n * sizeof(*m->s));
	p->n += m->n;
	p->ops += m->ops;
	p->regions += m->regions;
	meter_counts(m, v);
	for (ev = 0; ev < HB_NR_EVENTS; ev++)
		p->ctr[ev] += v[ev];
	for (i = 0; i < m->nser; i++)
		for (k = 0; k < m->ser[i].n; k++)
			if (series_add(p->ser, &p->nser, m->ser[i].name,
				       m->ser[i].unit, m->ser[i].dir,
				       m->ser[i].v[k]))
				return -ENOMEM;
	return 0;
}

/* One visit of a point: setup, pass, verify, teardown. */
static void visit(struct pt_state *p, bool keep)
{
	const struct hb_bench *b = p->pt.bench;
	struct hb_meter *m = &run.meter;
	char why[256];
	int ret;

	/* a node of a default sweep that this machine lacks */
	if (hb_place_check(p->pt.cpu_node, p->pt.mem_node, why, sizeof(why))) {
		if (p->status == ST_RUNNING)
			fprintf(stderr, "hmmbench: %s: %s: unsupported\n", b->name, why);
		hb_unsupported(&p->pt, "%s", why);
		return;
	}
	if (hb_place_cpu(p->pt.cpu_node, 0) < 0 || hb_place_mem(p->pt.mem_node)) {
		hb_fail(&p->pt, "cannot bind to cpu_node %d / mem_node %d: %s",
			p->pt.cpu_node, p->pt.mem_node, strerror(errno));
		return;
	}
	p->pt.visit++;
	p->pt.warmup = !keep;
	meter_start(m);
	ret = b->setup(&p->pt);
	if (!ret)
		ret = b->pass(&p->pt, m);
	if (!ret)
		ret = b->verify(&p->pt);
	b->teardown(&p->pt);
	if (!ret && m->nomem)
		ret = hb_fail(&p->pt, "out of memory for samples");
	if (!ret && keep && append_samples(p, m))
		ret = hb_fail(&p->pt, "out of memory for samples");
	if (ret && stop_signal) {
		/* interrupted, not failed: the point stays incomplete */
		p->status = ST_RUNNING;
		p->reason[0] = '\0';
		return;
	}
	if (ret && p->status == ST_RUNNING)
		hb_fail(&p->pt, "%s: error without a reason", b->name);
	if (ret) {
		char name[256];

		point_name(p, name, sizeof(name));
		fprintf(stderr, "hmmbench: %s: %s: %s\n", name,
			st_names[p->status], p->reason);
	}
}

static void finish_point(struct pt_state *p)
{
	const struct hb_bench *b = p->pt.bench;
	char name[64], unit[64];
	int ret;

	if (p->status != ST_RUNNING)
		return;
	ret = hb_stats_compute(p->samples, p->n, &p->st);
	if (ret) {
		hb_fail(&p->pt, "no statistics: %s", strerror(-ret));
		return;
	}
	p->status = ST_OK;
	snprintf(name, sizeof(name), "%s_per_%s",
		 hb_icount() ? "instructions" : "ns", b->op);
	snprintf(unit, sizeof(unit), "%s/%s", hb_time_unit(), b->op);
	hb_metric(&p->pt, name, p->st.median, unit, HB_LOWER_IS_BETTER);
	if (b->metrics)
		b->metrics(&p->pt, &p->st);
}

/*
 * Memory on another node against memory on the CPU's node, for each point
 * measured both ways: what the NUMA placement costs.
 */
static void numa_summary(struct bench_state *bs)
{
	const struct hb_bench *b = bs->bench;
	int i, np = hb_nparams(b);
	const struct hb_stats *st, *ls;
	char name[64], remote[32], local[32], unit[64];
	struct pt_state *p, *q;
	size_t k, j;

	snprintf(unit, sizeof(unit), "%s/%s", hb_time_unit(), b->op);
	for (k = 0; k < bs->npts; k++) {
		p = &bs->pts[k];
		st = hb_point_stats(&p->pt);
		if (!st || p->pt.mem_node == p->pt.cpu_node)
			continue;
		for (j = 0; j < bs->npts; j++) {
			q = &bs->pts[j];
			for (i = 0; i < np && q->pt.v[i] == p->pt.v[i]; i++)
				;
			if (i == np && q->pt.cpu_node == p->pt.cpu_node &&
			    q->pt.mem_node == p->pt.cpu_node)
				break;
		}
		ls = j < bs->npts ? hb_point_stats(&q->pt) : NULL;
		if (!ls)
			continue;
		snprintf(name, sizeof(name), "mem_node_%d_vs_local", p->pt.mem_node);
		snprintf(remote, sizeof(remote), "mem_node=%d", p->pt.mem_node);
		snprintf(local, sizeof(local), "mem_node=%d", p->pt.cpu_node);
		hb_summary_ratio(&p->pt, np + 1, name, remote, st->median, local,
				 ls->median, unit, HB_LOWER_IS_BETTER);
	}
}

/* Returns whether every point of the benchmark ran without failing. */
static bool run_bench(const struct hb_sel *s, struct bench_state *bs)
{
	const struct hb_bench *b = s->bench;
	unsigned int reps = run.o->reps, r;
	struct hb_point **ptrs;
	bool ok = true;
	size_t k, live;

	if (!reps)
		reps = run.o->quick && b->reps > HB_QUICK_REPS ? HB_QUICK_REPS : b->reps;
	bs->started = true;
	fprintf(stderr, "hmmbench: %s: %zu point(s), 1 warm-up + %u pass(es) each\n",
		b->name, bs->npts, reps);
	for (k = 0; k < bs->npts && !stop_signal; k++)
		visit(&bs->pts[k], false);
	for (r = 0; r < reps && !stop_signal; r++) {
		/* rotate the order each round so drift spreads over all points */
		for (k = 0, live = 0; k < bs->npts && !stop_signal; k++) {
			struct pt_state *p = &bs->pts[(k + r) % bs->npts];

			if (p->status != ST_RUNNING)
				continue;
			visit(p, true);
			live++;
		}
		if (stop_signal)
			break;
		fprintf(stderr, "hmmbench: %s: round %u/%u done (%zu point(s) live)\n",
			b->name, r + 1, reps, live);
		write_results("partial", false);
		if (!live)
			break;
	}
	if (stop_signal)
		return false;

	ptrs = malloc(bs->npts * sizeof(*ptrs));
	for (k = 0; k < bs->npts; k++) {
		finish_point(&bs->pts[k]);
		if (bs->pts[k].status == ST_FAILED)
			ok = false;
		if (ptrs)
			ptrs[k] = &bs->pts[k].pt;
	}
	if (b->summary && ptrs)
		b->summary(ptrs, bs->npts);
	free(ptrs);
	numa_summary(bs);

	run.dmesg_seen += dmesg_alarms(run.dmesg_seen, bs->warnings);
	if (json_array_size(bs->warnings)) {
		fprintf(stderr, "hmmbench: %s: the kernel warned: %s\n", b->name,
			json_string_value(json_array_get(bs->warnings, 0)));
		ok = false;
	}
	write_results("partial", false);
	return ok;
}

/* Timer overhead: the median of empty timed regions, and what they count. */
static int calibrate(void)
{
	struct hb_meter *m = &run.meter;
	double v[HB_NR_EVENTS];
	struct hb_stats st;
	int i, ev;

	clock_setup();
	run.overhead = 0;
	for (i = 0; i < 100; i++) {
		hb_begin(m);
		hb_end(m, 0);
	}
	meter_start(m);
	for (i = 0; i < CALIBRATION_REGIONS; i++) {
		hb_begin(m);
		hb_end(m, 0);
	}
	if (m->nomem || hb_stats_compute(m->s, m->n, &st))
		return -ENOMEM;
	meter_counts(m, v);
	for (ev = 0; ev < HB_NR_EVENTS; ev++)
		run.baseline[ev] = isnan(v[ev]) ? 0 : v[ev] / m->regions;
	run.overhead = st.median;
	json_object_set_new(run.context, "timer_overhead", json_pack(
			"{sf sf sf sf si ss sb}", "median", st.median,
			"min", st.min, "p99", st.p99, "mean", st.mean,
			"regions", CALIBRATION_REGIONS, "unit", hb_time_unit(),
			"subtracted", 1));
	/* the same for CLOCK_MONOTONIC regions (hb_begin_mono) */
	meter_start(m);
	for (i = 0; i < CALIBRATION_REGIONS; i++) {
		hb_begin_mono(m);
		hb_end_mono(m, 0);
	}
	if (m->nomem || hb_stats_compute(m->s, m->n, &st))
		return -ENOMEM;
	run.mono_overhead = st.median;
	json_object_set_new(run.context, "timer_overhead_monotonic", json_pack(
			"{sf sf sf sf si ss}", "median", st.median, "min", st.min,
			"p99", st.p99, "mean", st.mean, "regions", CALIBRATION_REGIONS,
			"unit", hb_time_unit()));
	json_object_set_new(run.context, "clock", json_pack("{ss sf}",
			"source", run.tsc ? "rdtsc" : "clock_gettime(CLOCK_MONOTONIC)",
			"units_per_tick", run.tick));
	json_object_set_new(run.context, "counter_baseline_per_region", json_object());
	for (ev = 0; ev < HB_NR_EVENTS; ev++)
		if (!hb_event_unsupported(ev))
			json_object_set_new(json_object_get(run.context,
					    "counter_baseline_per_region"),
					    hb_event_name(ev), json_real(run.baseline[ev]));
	fprintf(stderr, "hmmbench: clock %s, timer overhead %.1f %s (median of %d empty regions; CLOCK_MONOTONIC regions %.1f), subtracted from every sample\n",
		run.tsc ? "rdtsc" : "clock_gettime", run.overhead, hb_time_unit(),
		CALIBRATION_REGIONS, run.mono_overhead);
	return 0;
}

int hb_run(const struct hb_opts *o)
{
	struct sigaction sa = { .sa_handler = on_signal };
	char err[512];
	bool ok = true;
	size_t i, k;
	int fd;

	run.o = o;
	fd = open(HMM_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			fprintf(stderr, "hmmbench: test_hmm not loaded: " HMM_DEVICE
				" missing; CONFIG_TEST_HMM=y/m needed\n");
		else
			fprintf(stderr, "hmmbench: cannot open " HMM_DEVICE ": %s\n",
				strerror(errno));
		return 2;
	}
	hb_counters_probe();
	run.context = hb_context(o->mode, err, sizeof(err));
	if (!run.context) {
		fprintf(stderr, "hmmbench: %s\n", err);
		return 2;
	}
	json_object_set_new(run.context, "run", json_pack("{sO sb so}",
			    "argv", o->argv, "quick", o->quick,
			    "reps", o->reps ? json_integer(o->reps) : json_null()));
	run.bs = calloc(o->nsel, sizeof(*run.bs));
	for (i = 0; run.bs && i < o->nsel; i++) {
		struct bench_state *b = &run.bs[i];

		b->bench = o->sel[i].bench;
		b->pts = make_points(&o->sel[i], &b->npts);
		b->summary = json_array();
		b->warnings = json_array();
		for (k = 0; b->pts && k < b->npts; k++) {
			b->pts[k].b = b;
			b->pts[k].pt.hmm_fd = fd;
			b->pts[k].pt.priv = calloc(1, b->bench->priv_size);
			if (!b->pts[k].pt.priv)
				break;
		}
		if (!b->pts || k < b->npts)
			break;
	}
	hb_counters_open(&run.meter.ctr);
	if (i < o->nsel || calibrate()) {
		fprintf(stderr, "hmmbench: out of memory\n");
		return 1;
	}
	utc_now(run.start, sizeof(run.start));
	run.dmesg_seen = dmesg_alarms(0, NULL);
	json_object_set_new(run.context, "dmesg_scanned", json_boolean(run.dmesg_ok));
	/* an unwritable --out should stop the run now, not after an hour */
	if (write_results("partial", false))
		return 2;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (i = 0; i < o->nsel && !stop_signal; i++)
		if (!run_bench(&o->sel[i], &run.bs[i]))
			ok = false;
	hb_place_reset();

	if (stop_signal) {
		write_results("partial", false);
		fprintf(stderr, "hmmbench: interrupted by signal %d; partial results in %s\n",
			(int)stop_signal, o->out);
		return 128 + stop_signal;
	}
	if (write_results(ok ? "complete" : "failed", true))
		return 1;
	{
		json_t *root = results_json(ok ? "complete" : "failed", true);

		hb_print_summary(root, stdout);
		fflush(stdout);
		json_decref(root);
	}
	fprintf(stderr, "hmmbench: %s: %s\n", ok ? "complete" : "FAILED", o->out);
	return ok ? 0 : 1;
}

static void print_params(const json_t *params, FILE *f)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)params, key, v) {
		if (json_is_string(v))
			fprintf(f, " %s=%s", key, json_string_value(v));
		else
			fprintf(f, " %s=%" JSON_INTEGER_FORMAT, key, json_integer_value(v));
	}
}

/* "value unit" of one side of a ratio. */
static void side_text(const json_t *side, char *buf, size_t len)
{
	snprintf(buf, len, "%.6g %s", json_number_value(json_object_get(side, "value")),
		 json_string_value(json_object_get(side, "unit")));
}

static void params_text(const json_t *params, char *buf, size_t len)
{
	FILE *pf = fmemopen(buf, len, "w");

	buf[0] = '\0';
	if (pf) {
		print_params(params, pf);
		fclose(pf);
	}
}

/* Summary metrics that are ratios of two sides (hb_summary_ratio), as a table. */
static void print_ratios(const json_t *b, FILE *f)
{
	enum { NAME, PARAMS, NLABEL, NVALUE, DLABEL, DVALUE, NCOLS };
	static const char *const head[NCOLS] = {
		"metric", "params", "numerator", "", "denominator", ""
	};
	int w[NCOLS] = { 0 }, c, pass;
	char cell[NCOLS][256];
	const json_t *m, *nu, *de;
	size_t k, n = 0;

	/* the first pass measures the columns, the second prints */
	for (pass = 0; pass < 2; pass++) {
		json_array_foreach(json_object_get(b, "summary"), k, m) {
			nu = json_object_get(m, "numerator");
			de = json_object_get(m, "denominator");
			if (!nu || !de)
				continue;
			if (pass && !n++) {
				fprintf(f, "%s ratios (numerator / denominator, of medians):\n ",
					json_string_value(json_object_get(b, "name")));
				for (c = 0; c < NCOLS; c++)
					fprintf(f, " %-*s", w[c], head[c]);
				fprintf(f, " ratio\n");
			}
			snprintf(cell[NAME], sizeof(cell[NAME]), "%s",
				 json_string_value(json_object_get(m, "name")));
			params_text(json_object_get(m, "params"), cell[PARAMS], sizeof(cell[PARAMS]));
			snprintf(cell[NLABEL], sizeof(cell[NLABEL]), "%s",
				 json_string_value(json_object_get(nu, "label")));
			side_text(nu, cell[NVALUE], sizeof(cell[NVALUE]));
			snprintf(cell[DLABEL], sizeof(cell[DLABEL]), "%s",
				 json_string_value(json_object_get(de, "label")));
			side_text(de, cell[DVALUE], sizeof(cell[DVALUE]));
			for (c = 0; c < NCOLS; c++) {
				/* params start with a blank */
				const char *t = cell[c][0] == ' ' ? cell[c] + 1 : cell[c];
				int len = strlen(t);

				if (!pass)
					w[c] = len > w[c] ? len : w[c];
				else
					fprintf(f, "%s%-*s", c ? " " : "  ", w[c], t);
			}
			if (pass)
				fprintf(f, " %.3g\n", json_number_value(json_object_get(m, "value")));
		}
	}
}

void hb_print_summary(const json_t *root, FILE *f)
{
	const json_t *ctx = json_object_get(root, "context");
	json_t *b, *p, *m, *st;
	const char *key;
	size_t i, k;

	fprintf(f, "hmmbench %s: kernel %s, mode %s, times in %s, status %s\n",
		json_string_value(json_object_get(ctx, "hmmbench_version")),
		json_string_value(json_object_get(ctx, "kernel_release")),
		json_string_value(json_object_get(ctx, "mode")),
		json_string_value(json_object_get(ctx, "time_unit")),
		json_string_value(json_object_get(root, "status")));
	json_array_foreach(json_object_get(root, "benchmarks"), i, b) {
		json_array_foreach(json_object_get(b, "points"), k, p) {
			fprintf(f, "%s", json_string_value(json_object_get(b, "name")));
			print_params(json_object_get(p, "params"), f);
			st = json_object_get(p, "stats");
			if (!st) {
				fprintf(f, ": %s: %s\n",
					json_string_value(json_object_get(p, "status")),
					json_string_value(json_object_get(p, "reason")));
				continue;
			}
			fprintf(f, ": median %.6g [95%% CI %.6g..%.6g] p90 %.6g p99 %.6g max %.6g %s (n=%"
				JSON_INTEGER_FORMAT ")\n",
				json_number_value(json_object_get(st, "median")),
				json_number_value(json_object_get(st, "ci95_lo")),
				json_number_value(json_object_get(st, "ci95_hi")),
				json_number_value(json_object_get(st, "p90")),
				json_number_value(json_object_get(st, "p99")),
				json_number_value(json_object_get(st, "max")),
				json_string_value(json_object_get(p, "unit")),
				json_integer_value(json_object_get(st, "n")));
			json_object_foreach(json_object_get(p, "metrics"), key, m)
				fprintf(f, "    %s = %.6g %s\n", key,
					json_number_value(json_object_get(m, "value")),
					json_string_value(json_object_get(m, "unit")));
			json_object_foreach(json_object_get(p, "series"), key, m)
				fprintf(f, "    %s: median %.6g [95%% CI %.6g..%.6g] %s (n=%" JSON_INTEGER_FORMAT ")\n",
					key,
					json_number_value(json_object_get(json_object_get(m, "stats"), "median")),
					json_number_value(json_object_get(json_object_get(m, "stats"), "ci95_lo")),
					json_number_value(json_object_get(json_object_get(m, "stats"), "ci95_hi")),
					json_string_value(json_object_get(m, "unit")),
					json_integer_value(json_object_get(json_object_get(m, "stats"), "n")));
		}
		json_array_foreach(json_object_get(b, "summary"), k, m) {
			if (json_object_get(m, "numerator"))
				continue;
			fprintf(f, "%s summary:", json_string_value(json_object_get(b, "name")));
			print_params(json_object_get(m, "params"), f);
			fprintf(f, ": %s = %.6g %s\n",
				json_string_value(json_object_get(m, "name")),
				json_number_value(json_object_get(m, "value")),
				json_string_value(json_object_get(m, "unit")));
		}
		print_ratios(b, f);
	}
}
