// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <linux/perf_event.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "counters.h"

enum { SW, HW };

static const struct {
	const char *name;
	int group;
	__u32 type;		/* PERF_TYPE_*; tracepoints look up config */
	__u64 config;
	const char *tracepoint;	/* "system/event" */
	/*
	 * not beside perf record: its sampling timer fires the event some
	 * 100,000 times a second, whose cost lands in the profile
	 */
	bool not_profiled;
} events[HB_NR_EVENTS] = {
	[HB_EV_TASK_CLOCK] = { "task-clock", SW, PERF_TYPE_SOFTWARE,
			       PERF_COUNT_SW_TASK_CLOCK },
	[HB_EV_PAGE_FAULTS] = { "page-faults", SW, PERF_TYPE_SOFTWARE,
				PERF_COUNT_SW_PAGE_FAULTS },
	[HB_EV_MINOR_FAULTS] = { "minor-faults", SW, PERF_TYPE_SOFTWARE,
				 PERF_COUNT_SW_PAGE_FAULTS_MIN },
	[HB_EV_CONTEXT_SWITCHES] = { "context-switches", SW, PERF_TYPE_SOFTWARE,
				     PERF_COUNT_SW_CONTEXT_SWITCHES },
	[HB_EV_CPU_MIGRATIONS] = { "cpu-migrations", SW, PERF_TYPE_SOFTWARE,
				   PERF_COUNT_SW_CPU_MIGRATIONS },
	[HB_EV_TLB_FLUSH] = { "tlb:tlb_flush", SW, PERF_TYPE_TRACEPOINT, 0,
			      "tlb/tlb_flush" },
	[HB_EV_PAGE_FAULT_USER] = { "exceptions:page_fault_user", SW,
				    PERF_TYPE_TRACEPOINT, 0,
				    "exceptions/page_fault_user" },
	/* what lands in a timed region from outside it (hb_end()) */
	[HB_EV_TIMER_IRQS] = { "irq_vectors:local_timer_entry", SW,
			       PERF_TYPE_TRACEPOINT, 0,
			       "irq_vectors/local_timer_entry", true },
	[HB_EV_DEVICE_IRQS] = { "irq:irq_handler_entry", SW,
				PERF_TYPE_TRACEPOINT, 0, "irq/irq_handler_entry", true },
	[HB_EV_CYCLES] = { "cycles", HW, PERF_TYPE_HARDWARE,
			   PERF_COUNT_HW_CPU_CYCLES },
	[HB_EV_INSTRUCTIONS] = { "instructions", HW, PERF_TYPE_HARDWARE,
				 PERF_COUNT_HW_INSTRUCTIONS },
	[HB_EV_DTLB_LOAD_MISSES] = { "dTLB-load-misses", HW, PERF_TYPE_HW_CACHE,
				     PERF_COUNT_HW_CACHE_DTLB |
				     PERF_COUNT_HW_CACHE_OP_READ << 8 |
				     PERF_COUNT_HW_CACHE_RESULT_MISS << 16 },
};

static __u64 config[HB_NR_EVENTS];
static char why[HB_NR_EVENTS][128];	/* empty: supported */

static const char *const tracefs[] = {
	"/sys/kernel/tracing", "/sys/kernel/debug/tracing", NULL
};

static int tracepoint_id(const char *tp, __u64 *id)
{
	unsigned long long v;
	char path[256];
	size_t i;
	FILE *f;
	int ok;

	for (i = 0; tracefs[i]; i++) {
		snprintf(path, sizeof(path), "%s/events/%s/id", tracefs[i], tp);
		f = fopen(path, "r");
		if (!f)
			continue;
		ok = fscanf(f, "%llu", &v) == 1;
		fclose(f);
		if (ok) {
			*id = v;
			return 0;
		}
	}
	return -ENOENT;
}

static int open_event(enum hb_event ev, int group_fd)
{
	struct perf_event_attr a = {
		.size = sizeof(a),
		.type = events[ev].type,
		.config = config[ev],
		.disabled = group_fd < 0,
		.read_format = PERF_FORMAT_GROUP |
			       PERF_FORMAT_TOTAL_TIME_ENABLED |
			       PERF_FORMAT_TOTAL_TIME_RUNNING,
	};

	return syscall(SYS_perf_event_open, &a, 0, -1, group_fd,
		       PERF_FLAG_FD_CLOEXEC);
}

void hb_counters_probe(bool profiling)
{
	int ev, fd;

	for (ev = 0; ev < HB_NR_EVENTS; ev++) {
		config[ev] = events[ev].config;
		if (profiling && events[ev].not_profiled) {
			snprintf(why[ev], sizeof(why[ev]),
				 "not counted with --profile: perf record's sampling timer would fire it");
			continue;
		}
		if (events[ev].tracepoint &&
		    tracepoint_id(events[ev].tracepoint, &config[ev])) {
			snprintf(why[ev], sizeof(why[ev]),
				 "ENOENT: no tracefs events/%s/id (tracefs not mounted, or no such event)",
				 events[ev].tracepoint);
			continue;
		}
		fd = open_event(ev, -1);
		if (fd < 0) {
			snprintf(why[ev], sizeof(why[ev]), "%s: %s",
				 strerrorname_np(errno), strerror(errno));
			continue;
		}
		close(fd);
	}
}

const char *hb_event_name(enum hb_event ev)
{
	return events[ev].name;
}

const char *hb_event_unsupported(enum hb_event ev)
{
	return why[ev][0] ? why[ev] : NULL;
}

json_t *hb_counters_context(void)
{
	json_t *sup = json_array(), *unsup = json_array();
	int ev;

	for (ev = 0; ev < HB_NR_EVENTS; ev++) {
		if (why[ev][0])
			json_array_append_new(unsup, json_pack("{ss ss}",
					"event", events[ev].name,
					"reason", why[ev]));
		else
			json_array_append_new(sup, json_string(events[ev].name));
	}
	return json_pack("{so so}", "supported", sup, "unsupported", unsup);
}

void hb_counters_open(struct hb_counters *c)
{
	int ev, g;

	c->leader[SW] = c->leader[HW] = -1;
	for (ev = 0; ev < HB_NR_EVENTS; ev++) {
		c->fd[ev] = -1;
		if (why[ev][0])
			continue;
		g = events[ev].group;
		c->fd[ev] = open_event(ev, c->leader[g]);
		if (c->fd[ev] >= 0 && c->leader[g] < 0)
			c->leader[g] = c->fd[ev];
	}
}

void hb_counters_close(struct hb_counters *c)
{
	int ev;

	for (ev = 0; ev < HB_NR_EVENTS; ev++)
		if (c->fd[ev] >= 0)
			close(c->fd[ev]);
}

static void group_ioctl(struct hb_counters *c, unsigned long req)
{
	int g;

	for (g = SW; g <= HW; g++)
		if (c->leader[g] >= 0)
			ioctl(c->leader[g], req, PERF_IOC_FLAG_GROUP);
}

void hb_counters_reset(struct hb_counters *c)
{
	group_ioctl(c, PERF_EVENT_IOC_RESET);
}

void hb_counters_enable(struct hb_counters *c)
{
	group_ioctl(c, PERF_EVENT_IOC_ENABLE);
}

void hb_counters_disable(struct hb_counters *c)
{
	group_ioctl(c, PERF_EVENT_IOC_DISABLE);
}

/* Group @g's members into @val (left NAN if unread or unknown). */
static void read_group(struct hb_counters *c, int g, double val[HB_NR_EVENTS])
{
	uint64_t buf[3 + HB_NR_EVENTS];
	double scale;
	int ev, i;

	if (c->leader[g] < 0 || read(c->leader[g], buf, sizeof(buf)) < 24)
		return;
	/*
	 * Never enabled: counted nothing. Enabled but never on the PMU
	 * (multiplexed out): unknown. Otherwise scale up for the time
	 * it was multiplexed out.
	 */
	if (buf[1] && !buf[2])
		return;
	scale = buf[2] ? (double)buf[1] / buf[2] : 0;
	/* group members come back in the order they were opened */
	for (ev = 0, i = 0; ev < HB_NR_EVENTS && i < (int)buf[0]; ev++) {
		if (events[ev].group != g || c->fd[ev] < 0)
			continue;
		val[ev] = buf[3 + i++] * scale;
	}
}

void hb_counters_read(struct hb_counters *c, double val[HB_NR_EVENTS])
{
	int ev, g;

	for (ev = 0; ev < HB_NR_EVENTS; ev++)
		val[ev] = NAN;
	for (g = SW; g <= HW; g++)
		read_group(c, g, val);
}

long long hb_counters_irqs(struct hb_counters *c)
{
	double v[HB_NR_EVENTS];
	int ev;

	if (c->fd[HB_EV_TIMER_IRQS] < 0 || c->fd[HB_EV_DEVICE_IRQS] < 0)
		return -1;
	for (ev = 0; ev < HB_NR_EVENTS; ev++)
		v[ev] = NAN;
	/* once a region: only the group that holds them */
	read_group(c, events[HB_EV_TIMER_IRQS].group, v);
	if (isnan(v[HB_EV_TIMER_IRQS]) || isnan(v[HB_EV_DEVICE_IRQS]))
		return -1;
	return (long long)(v[HB_EV_TIMER_IRQS] + v[HB_EV_DEVICE_IRQS]);
}
