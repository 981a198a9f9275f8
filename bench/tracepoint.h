/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoint sampling through perf_event_open: every hit of a set of trace
 * events in the calling thread, with its CLOCK_MONOTONIC timestamp and raw
 * record, through one mmap ring buffer. Raw fields are located through the
 * event's tracefs format file, never by hard-coded offsets. Kprobe events
 * (tracefs kprobe_events) are trace events too, for kernels without the
 * tracepoints; hb_kprobe_layout() finds where a struct they read keeps a
 * field. A window (the records since the last read, sorted by event) and
 * a span (one traced call inside a timed region, split at its start and
 * end) are what a benchmark checks its region's trace with.
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
	const struct hb_tp_format *ev[HB_TRACE_MAX_EVENTS];	/* as opened */
	int n;
	void *map;
	size_t maplen;
	uint64_t lost;		/* records the kernel dropped (buffer full) */
};

/*
 * Opens @n events for the calling thread, disabled, sampling every hit
 * with PERF_SAMPLE_TIME | PERF_SAMPLE_RAW on CLOCK_MONOTONIC, all into one
 * ring buffer of @pages pages (a power of two). The formats @ev must
 * outlive the trace: its records are told apart by their ids.
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

#define HB_TRACE_RAW	256	/* bytes of a record a window keeps */

/*
 * A window of a trace, the records written since the last read: per event,
 * in hb_trace_open()'s order, how many, and the first one's time and raw
 * record (its first HB_TRACE_RAW bytes).
 */
struct hb_trace_window {
	int n[HB_TRACE_MAX_EVENTS];
	int other;		/* records of no event opened */
	uint64_t time[HB_TRACE_MAX_EVENTS];
	uint32_t size[HB_TRACE_MAX_EVENTS];
	unsigned char raw[HB_TRACE_MAX_EVENTS][HB_TRACE_RAW];
};

/* Reads the window into @w. The number of records, or -errno. */
int hb_trace_window(struct hb_trace *t, struct hb_trace_window *w);
/* Field @f of event @e's first record in @w (0 if it had none). */
int64_t hb_trace_field(const struct hb_trace_window *w, int e,
		       const struct hb_tp_field *f);
/*
 * A region [@t0, @t1] that made exactly one call traced by events 0 (its
 * start) and 1 (its end): the window must hold one record of each and
 * nothing else, none lost, at t0 <= start <= end <= t1. Fills @w, and
 * @split with the times before, inside and after the call. 0, or -errno
 * and the reason in @err.
 */
int hb_trace_span(struct hb_trace *t, uint64_t t0, uint64_t t1,
		  struct hb_trace_window *w, double split[3],
		  char *err, size_t errlen);

/*
 * Defines a kprobe event: @def as kprobe_events takes it, e.g.
 * "p:hmmbench/f func arg=+16(%si):u64". Replaces an event of that name
 * left behind by an earlier run. 0, or -errno and the kernel's reason.
 */
int hb_kprobe_add(const char *def, char *err, size_t errlen);
/* Removes kprobe event @event ("system/name"); it must not be open. */
int hb_kprobe_del(const char *event);

/*
 * Plain int3 kprobes until hb_kprobes_restore(): the optimizer would turn
 * them into jumps some jiffies after each arming, in the middle of a
 * measurement, by patching text (slow under TCG), and a probe's cost with it.
 */
void hb_kprobes_plain(void);
/* The optimizer as hb_kprobes_plain() found it. */
void hb_kprobes_restore(void);

/*
 * Kprobe events on entry to kernel function @func, with fetch arguments
 * @args, and on its return, "hmmbench/FUNC_entry" and "hmmbench/FUNC_return",
 * their formats into @fmt: a call's start and end for hb_trace_span().
 * 0, or -errno and the reason in @err; hb_kprobe_span_del() either way.
 */
int hb_kprobe_span(const char *func, const char *args, struct hb_tp_format fmt[2],
		   char *err, size_t errlen);
void hb_kprobe_span_del(const char *func);

#define HB_LAYOUT_MAX_WORDS	16

/*
 * Where a struct that kernel function @func is passed keeps two known
 * consecutive words, for kernels without BTF to say: a kprobe event reads
 * the struct's first @words u64 words at fetch argument @arg ("%si": the
 * second argument on x86-64) while @trigger(@targ) runs traced, and the
 * first offset holding @want[0] then @want[1] in a call is the layout.
 * The offset in bytes; -ENOENT if no call held them; or -errno and the
 * reason in @err.
 */
int hb_kprobe_layout(const char *func, const char *arg, int words,
		     const uint64_t want[2], void (*trigger)(void *), void *targ,
		     char *err, size_t errlen);

#endif
