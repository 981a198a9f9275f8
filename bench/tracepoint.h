/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoint sampling through perf_event_open: every hit of a set of trace
 * events in the calling thread, with its CLOCK_MONOTONIC timestamp and raw
 * record, through one mmap ring buffer. Raw fields are located through the
 * event's tracefs format file, never by hard-coded offsets. Kprobe events
 * (tracefs kprobe_events) are trace events too, for kernels without the
 * tracepoints.
 */
#ifndef HMMBENCH_TRACEPOINT_H
#define HMMBENCH_TRACEPOINT_H

#include <stddef.h>
#include <stdint.h>

#define HB_TP_MAX_FIELDS	24
#define HB_TRACE_MAX_EVENTS	4

struct hb_tp_field {
	char name[48];
	int offset, size, is_signed;
};

/* An event's id and raw record layout, from events/<system>/<name>/format. */
struct hb_tp_format {
	char event[96];		/* "system/name" */
	uint64_t id;
	int nfields;
	struct hb_tp_field f[HB_TP_MAX_FIELDS];
	char print[2048];	/* the "print fmt:" line */
};

/* The tracefs mount point, or NULL if neither usual place has one. */
const char *hb_tracefs(void);

/* Reads @event's format. 0, or -errno and a reason in @err. */
int hb_tp_format(const char *event, struct hb_tp_format *fmt,
		 char *err, size_t errlen);
const struct hb_tp_field *hb_tp_field(const struct hb_tp_format *fmt,
				      const char *name);
/*
 * The value the print format maps to symbol @sym ({ 7, "EXCLUSIVE" } of a
 * __print_symbolic(), numbers resolved by TRACE_DEFINE_ENUM). 0 or -ENOENT.
 */
int hb_tp_symbol(const struct hb_tp_format *fmt, const char *sym, long *val);
/* An integer field of @raw (@size bytes), sign-extended if signed. */
int64_t hb_tp_get(const void *raw, uint32_t size, const struct hb_tp_field *f);

/* Sampling of up to HB_TRACE_MAX_EVENTS events of the calling thread. */
struct hb_trace {
	int fd[HB_TRACE_MAX_EVENTS];
	int n;
	void *map;
	size_t maplen;
	uint64_t lost;		/* records the kernel dropped (buffer full) */
};

/*
 * Opens @n events for the calling thread, disabled, sampling every hit
 * with PERF_SAMPLE_TIME | PERF_SAMPLE_RAW on CLOCK_MONOTONIC, all into one
 * ring buffer of @pages pages (a power of two).
 */
int hb_trace_open(struct hb_trace *t, const struct hb_tp_format *const *ev,
		  int n, unsigned int pages, char *err, size_t errlen);
int hb_trace_enable(struct hb_trace *t);
int hb_trace_disable(struct hb_trace *t);
/*
 * Calls @fn for each sample written since the last call, in the order
 * written, and frees their space. Returns the number of samples, or the
 * first non-zero value @fn returned.
 */
int hb_trace_read(struct hb_trace *t,
		  int (*fn)(void *arg, uint64_t time, const void *raw,
			    uint32_t size),
		  void *arg);
void hb_trace_close(struct hb_trace *t);

/*
 * Defines a kprobe event: @def as kprobe_events takes it, e.g.
 * "p:hmmbench/f func arg=+16(%si):u64". Replaces an event of that name
 * left behind by an earlier run. 0, or -errno and the kernel's reason.
 */
int hb_kprobe_add(const char *def, char *err, size_t errlen);
/* Removes kprobe event @event ("system/name"); it must not be open. */
int hb_kprobe_del(const char *event);

#endif
