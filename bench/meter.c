// SPDX-License-Identifier: GPL-2.0
/*
 * The timing meter: regions timed and counted (hb_begin/hb_end), reference
 * regions, CLOCK_MONOTONIC regions, fork() timed, derived sample series.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define FIFO_PRIORITY	1
#define OWN_STACK	8192	/* bytes below a region's frame it may write */

/* SCHED_FIFO, not inherited by a child; false if not permitted */
static bool fifo_enter(void)
{
	struct sched_param rt = { .sched_priority = FIFO_PRIORITY };

	return !sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &rt);
}

static void fifo_leave(void)
{
	struct sched_param other = { 0 };

	sched_setscheduler(0, SCHED_OTHER, &other);
}

void hb_regions_probe(void)
{
	json_t *except = json_array();
	size_t i;

	hb_rs.fifo_permitted = fifo_enter();
	if (hb_rs.fifo_permitted)
		fifo_leave();
	hb_rs.fifo_regions = hb_rs.fifo_permitted;
	for (i = 0; hb_benches[i]; i++)
		if (hb_benches[i]->shared_regions)
			json_array_append_new(except, json_string(hb_benches[i]->name));
	json_object_set_new(hb_rs.context, "timed_regions", json_pack("{ss si so ss}",
			    "policy", hb_rs.fifo_permitted ? "SCHED_FIFO" : "SCHED_OTHER",
			    "priority", hb_rs.fifo_permitted ? FIFO_PRIORITY : 0,
			    "except", except,
			    "interrupted",
			    hb_event_unsupported(HB_EV_TIMER_IRQS) ||
			    hb_event_unsupported(HB_EV_DEVICE_IRQS) ?
			    "kept: interrupts not counted" : "set apart"));
}

/* the region's clock and counters, without the policy (fork_timed sets it) */
static void begin(struct hb_meter *m)
{
	if (hb_rs.profiling)
		hb_profile_jitter();
	hb_counters_enable(&m->ctr);
	if (hb_rs.profiling)
		m->p0 = mono_ns();
	m->t0 = now();
}

/* the region's policy: SCHED_FIFO where this point's regions take it */
static void policy_enter(struct hb_meter *m)
{
	m->fifo = hb_rs.fifo_regions && fifo_enter();
}

static void policy_leave(struct hb_meter *m)
{
	if (m->fifo)
		fifo_leave();
	m->fifo = false;
}

/*
 * Write the pages a region stores to before its clock starts. While a
 * forked child shares them (mark's shared state) each is copy-on-write, and
 * a store after the clock read (m->t0, an ioctl's argument on the stack)
 * took a user page fault inside the region: 1,470 of a 1-page shared mark's
 * 21,517 guest instructions were the harness's own page copied.
 */
static __attribute__((noinline)) void own_pages(struct hb_meter *m)
{
	volatile char below[OWN_STACK];
	size_t i;

	for (i = 0; i < sizeof(below); i += 512)
		below[i] = 0;
	*(volatile uint64_t *)&m->t0 = 0;
	*(volatile uint64_t *)&m->p0 = 0;
}

void hb_begin(struct hb_meter *m)
{
	own_pages(m);
	policy_enter(m);
	begin(m);
}

/*
 * Timer and device interrupts in the region just ended (counters off), -1
 * if not counted: a sample one landed in holds its handler and softirqs.
 */
static int region_irqs(struct hb_meter *m)
{
	long long n = hb_counters_irqs(&m->ctr), d;

	if (n < 0)
		return -1;
	d = n - m->irqs_seen;
	m->irqs_seen = n;
	return d < 0 ? 0 : (int)d;
}

/* One sample of @t time units (overhead not yet subtracted) for @nops ops. */
static void record(struct hb_meter *m, double t, double overhead,
		   unsigned long nops)
{
	int irqs = region_irqs(m);

	if (hb_meter_grow(m, m->n + 1)) {
		m->n = 0;
		return;
	}
	m->irqs[m->n] = irqs;
	m->s[m->n++] = (t - overhead) / (nops ? nops : 1);
	m->ops += nops;
	m->regions++;
}

/* Appends @v to the series @name of @ser[0..*n), made on first use. */
int hb_series_add(struct series *ser, size_t *n, const char *name,
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

void hb_series_free(struct series *ser, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free(ser[i].v);
	*n = 0;
}

void hb_sample(struct hb_meter *m, const char *name, double value,
	       const char *unit, enum hb_direction dir)
{
	if (hb_series_add(m->ser, &m->nser, name, unit, dir, value))
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

	return ((double)(t1 - m->t0) * hb_rs.tick - hb_rs.overhead) /
	       (nops ? nops : 1);
}

static void end(struct hb_meter *m, unsigned long nops)
{
	uint64_t t1 = now();

	if (hb_rs.profiling)
		hb_profile_range(m->p0, mono_ns());
	hb_counters_disable(&m->ctr);
	record(m, (double)(t1 - m->t0) * hb_rs.tick, hb_rs.overhead, nops);
}

void hb_end(struct hb_meter *m, unsigned long nops)
{
	end(m, nops);
	policy_leave(m);
}

uint64_t hb_begin_mono(struct hb_meter *m)
{
	own_pages(m);
	policy_enter(m);
	hb_counters_enable(&m->ctr);
	m->t0 = mono_ns();
	return m->t0;
}

uint64_t hb_end_mono(struct hb_meter *m, unsigned long nops)
{
	uint64_t t1 = mono_ns();

	if (hb_rs.profiling)
		hb_profile_range(m->t0, t1);
	hb_counters_disable(&m->ctr);
	record(m, (double)(t1 - m->t0), hb_rs.mono_overhead, nops);
	policy_leave(m);
	return t1;
}

double hb_mono_overhead(void)
{
	return hb_rs.mono_overhead;
}

uint64_t hb_clock_mono(void)
{
	return mono_ns();
}

/* fork() timed as a recorded region, or as a reference (*@t, uncounted) */
static pid_t fork_timed(struct hb_meter *m, unsigned long nops, double *t,
			int (*child)(void *arg), void *arg)
{
	bool fifo;
	pid_t pid;
	int err;

	/* whatever shared_regions says (see hb_fork()); not root: without */
	fifo = fifo_enter();
	if (t)
		hb_begin_ref(m);
	else
		begin(m);
	pid = fork();
	if (!pid)
		_exit(child(arg));
	err = errno;
	if (t)
		*t = hb_end_ref(m, nops);
	else
		end(m, nops);
	if (fifo)
		fifo_leave();
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

void hb_meter_counts(struct hb_meter *m, double v[HB_NR_EVENTS])
{
	int ev;

	hb_counters_read(&m->ctr, v);
	for (ev = 0; ev < HB_NR_EVENTS; ev++)
		v[ev] += m->merged[ev];
}

long long hb_meter_faults(struct hb_meter *m)
{
	double v[HB_NR_EVENTS];

	hb_meter_counts(m, v);
	return isnan(v[HB_EV_PAGE_FAULTS]) ? -1 : (long long)v[HB_EV_PAGE_FAULTS];
}

int hb_samples_room(double **s, int **irqs, size_t *cap, size_t n)
{
	size_t c = *cap;
	double *ns;
	int *ni;

	if (n <= c)
		return 0;
	while (c < n)
		c = c ? 2 * c : 1024;
	ns = realloc(*s, c * sizeof(*ns));
	if (!ns)
		return -1;
	*s = ns;
	ni = realloc(*irqs, c * sizeof(*ni));
	if (!ni)
		return -1;
	*irqs = ni;
	*cap = c;
	return 0;
}

int hb_meter_grow(struct hb_meter *m, size_t n)
{
	if (!m->nomem && hb_samples_room(&m->s, &m->irqs, &m->cap, n))
		m->nomem = true;
	return m->nomem ? -1 : 0;
}

void hb_meter_start(struct hb_meter *m)
{
	hb_counters_reset(&m->ctr);
	memset(m->merged, 0, sizeof(m->merged));
	m->irqs_seen = 0;
	m->n = 0;
	m->ops = m->regions = 0;
	hb_series_free(m->ser, &m->nser);
	m->nomem = false;
}
