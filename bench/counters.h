/* SPDX-License-Identifier: GPL-2.0 */
/*
 * perf_event_open counters for the calling thread: software events and
 * tracepoints in one group, hardware events in another (a hardware group
 * that cannot be scheduled must not silence the software counts). An event
 * that cannot be opened is recorded once, with its errno, and left out.
 */
#ifndef HMMBENCH_COUNTERS_H
#define HMMBENCH_COUNTERS_H

#include <jansson.h>
#include <stdbool.h>

enum hb_event {
	/*
	 * The first event of a group leads it: page-faults, not task-clock.
	 * A software group led by task-clock does not count its other
	 * members on newer kernels (7.3 in a guest, 6.18 on this project's
	 * host: page-faults 0 to 2 for 64 faults; 6.1 counted them all).
	 */
	HB_EV_PAGE_FAULTS, HB_EV_TASK_CLOCK, HB_EV_MINOR_FAULTS,
	HB_EV_CONTEXT_SWITCHES, HB_EV_CPU_MIGRATIONS,
	HB_EV_TLB_FLUSH, HB_EV_PAGE_FAULT_USER,
	HB_EV_TIMER_IRQS, HB_EV_DEVICE_IRQS,
	HB_EV_CYCLES, HB_EV_INSTRUCTIONS, HB_EV_DTLB_LOAD_MISSES,
	HB_NR_EVENTS
};

struct hb_counters {
	int fd[HB_NR_EVENTS];
	int leader[2];		/* software, hardware; -1 if none */
};

/* Opens each event once to learn which work here (and suit a profile). */
void hb_counters_probe(bool profiling);
const char *hb_event_name(enum hb_event ev);
/* Why @ev is not counted, or NULL if it is. */
const char *hb_event_unsupported(enum hb_event ev);
json_t *hb_counters_context(void);

void hb_counters_open(struct hb_counters *c);
void hb_counters_close(struct hb_counters *c);
void hb_counters_reset(struct hb_counters *c);
void hb_counters_enable(struct hb_counters *c);
void hb_counters_disable(struct hb_counters *c);
/* Totals since the last reset, NAN for events not counted. */
void hb_counters_read(struct hb_counters *c, double val[HB_NR_EVENTS]);
/* Timer and device interrupts in this thread since the reset; -1: not counted */
long long hb_counters_irqs(struct hb_counters *c);

#endif
