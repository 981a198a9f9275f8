// SPDX-License-Identifier: GPL-2.0
/*
 * revoke_listener: what a second MMU notifier listener costs the CPU fault
 * that revokes a device's exclusive access, and what it saves by filtering
 * the event. The restore makes an invalid PTE valid, so only the device
 * that held the page has anything to invalidate; whether another listener
 * can tell depends on the event: MMU_NOTIFY_EXCLUSIVE without an owner on
 * 6.1 to 6.14, MMU_NOTIFY_CLEAR on 7.x, which any unmap also says.
 * One sample is one CPU read of an exclusive page, untraced, with:
 * - listeners: 0, or 1 (/dev/hmm_dmirror1 open on the same mm: test_hmm
 *   mirrors the whole address space, so its notifier sees every revoke);
 * - filter: test_hmm's filter_restore (kernel-patches/notifier-filter):
 *   a mirror skips a restore's invalidation for a range in which it holds
 *   no exclusive page; it can act on EXCLUSIVE only;
 * - delay_ns: test_hmm's invalidate_delay_ns, a busy wait in every
 *   invalidation (the owner's and the listener's), emulating a device's
 *   TLB shootdown: what a listener that filters no longer pays.
 * Checked: every page revoked and intact; one traced revoke per pass sees
 * the owner's callback and, with a listener, the listener's, and records
 * the event they saw (restore_event_is_clear). Only with --bench.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hmm.h"
#include "hmmbench.h"
#include "tracepoint.h"

enum { P_PAGES, P_LISTENERS, P_FILTER, P_DELAY };
enum { F_OFF, F_ON };

static const char *const filters[] = { "off", "on", NULL };

#define STRIDE		4	/* pages apart: fault-around stays out */
#define PARAMS		"/sys/module/test_hmm/parameters/"
#define SECOND		"/dev/hmm_dmirror1"

struct listener {
	char *buf;
	size_t len;
	uint64_t seed;
	int fd2;		/* the second listener, or -1 */
	long old_delay, old_filter;
	int event;		/* the event of the traced revoke */
	struct hb_tp_format fmt;
	const struct hb_tp_field *type, *dev, *start, *ev;
	long clear;		/* MMU_NOTIFY_CLEAR's value, or -1 */
};

static long param_rw(const char *name, long val)
{
	char path[128];

	snprintf(path, sizeof(path), PARAMS "%s", name);
	return hb_num_file(path, val);
}

static int listener_setup(struct hb_point *pt)
{
	struct listener *l = pt->priv;
	unsigned long n = pt->v[P_PAGES], g;
	char err[256];

	l->fd2 = -1;
	l->old_delay = l->old_filter = -1;
	l->len = n * STRIDE * PAGE_SZ;
	l->seed = (uint64_t)pt->visit << 32 | 0x1157;
	if (hb_tp_format("test_hmm/dmirror_invalidate_start", &l->fmt, err, sizeof(err)))
		return hb_unsupported(pt, "no test_hmm tracepoints (kernel-patches/test_hmm-instrumentation): %s",
				      err);
	l->type = hb_tp_field(&l->fmt, "common_type");
	l->dev = hb_tp_field(&l->fmt, "dev");
	l->start = hb_tp_field(&l->fmt, "start");
	l->ev = hb_tp_field(&l->fmt, "event");
	if (!l->type || !l->dev || !l->start || !l->ev)
		return hb_fail(pt, "dmirror_invalidate_start lacks dev, start or event");
	if (hb_tp_symbol(&l->fmt, "CLEAR", &l->clear))
		l->clear = -1;

	l->old_delay = param_rw("invalidate_delay_ns", -1);
	if (l->old_delay < 0)
		return hb_unsupported(pt, "no test_hmm invalidate_delay_ns (kernel-patches/test_hmm-instrumentation)");
	if (param_rw("invalidate_delay_ns", pt->v[P_DELAY]) < 0)
		return hb_fail(pt, "setting invalidate_delay_ns: %s", strerror(errno));
	l->old_filter = param_rw("filter_restore", -1);
	if (l->old_filter < 0 && pt->v[P_FILTER] == F_ON)
		return hb_unsupported(pt, "no test_hmm filter_restore: build with kernel-patches/notifier-filter");
	if (l->old_filter >= 0 && param_rw("filter_restore", pt->v[P_FILTER]) < 0)
		return hb_fail(pt, "setting filter_restore: %s", strerror(errno));

	if (pt->v[P_LISTENERS]) {
		l->fd2 = open(SECOND, O_RDWR | O_CLOEXEC);
		if (l->fd2 < 0)
			return hb_unsupported(pt, SECOND ": %s", strerror(errno));
	}
	l->buf = hb_map_anon(pt, l->len);
	if (!l->buf)
		return HB_FAILED;
	for (g = 0; g < n; g++)
		hb_fill(hb_page(l->buf, g, STRIDE), PAGE_SZ, hb_page_seed(l->seed, g));
	return 0;
}

struct seen {
	struct listener *l;
	int who;	/* bit 0: the owner (dmirror0) was called, 1: the listener */
};

static int count_callbacks(void *arg, uint64_t time, const void *raw, uint32_t size)
{
	struct seen *s = arg;
	struct listener *l = s->l;
	unsigned int dev;

	(void)time;
	if ((uint64_t)hb_tp_get(raw, size, l->type) != l->fmt.id ||
	    (uint64_t)hb_tp_get(raw, size, l->start) != (uintptr_t)l->buf)
		return 0;
	dev = hb_tp_get(raw, size, l->dev);
	l->event = hb_tp_get(raw, size, l->ev);
	s->who |= dev < 2 ? 1 << dev : 4;
	return 0;
}

/* A traced revoke of page 0: who was called, and with which event. */
static int traced_revoke(struct hb_point *pt)
{
	struct listener *l = pt->priv;
	const struct hb_tp_format *ev[1] = { &l->fmt };
	volatile uint64_t *p = hb_page(l->buf, 0, STRIDE);
	struct seen s = { .l = l };
	struct hb_trace tr;
	char err[256];
	int seen, want = pt->v[P_LISTENERS] ? 3 : 1;

	if (hmm_mark_pages(pt, l->buf, 1, STRIDE, l->seed))
		return HB_FAILED;
	if (hb_trace_open(&tr, ev, 1, 16, err, sizeof(err)))
		return hb_fail(pt, "tracing the revoke: %s", err);
	hb_trace_enable(&tr);
	(void)*p;
	hb_trace_disable(&tr);
	hb_trace_read(&tr, count_callbacks, &s);
	hb_trace_close(&tr);
	seen = s.who;
	if (seen != want)
		return hb_fail(pt, "the revoke's callbacks: %s%s%s, expected the owner's%s",
			       seen & 1 ? "the owner's " : "", seen & 2 ? "the listener's " : "",
			       seen & 4 ? "another's" : seen ? "" : "none",
			       pt->v[P_LISTENERS] ? " and the listener's" : " only");
	return 0;
}

static int listener_pass(struct hb_point *pt, struct hb_meter *m)
{
	struct listener *l = pt->priv;
	unsigned long n = pt->v[P_PAGES], g;

	if (hmm_mark_pages(pt, l->buf, n, STRIDE, l->seed))
		return HB_FAILED;
	for (g = 0; g < n; g++) {
		volatile uint64_t *p = hb_page(l->buf, g, STRIDE);

		hb_begin(m);
		(void)*p;
		hb_end(m, 1);
	}
	return 0;
}

static int listener_verify(struct hb_point *pt)
{
	struct listener *l = pt->priv;
	unsigned long n = pt->v[P_PAGES], g;
	long bad;

	for (g = 0; g < n; g++) {
		bad = hb_check(hb_page(l->buf, g, STRIDE), PAGE_SZ, hb_page_seed(l->seed, g));
		if (bad >= 0)
			return hb_fail(pt, "page %lu changed under exclusive access at word %ld",
				       g, bad);
		if (hmm_exclusive(pt->hmm_fd, hb_page(l->buf, g, STRIDE), 1))
			return hb_fail(pt, "page %lu is still exclusive after the CPU read it", g);
	}
	if (pt->v[P_FILTER] == F_ON && param_rw("filter_restore", -1) != 1)
		return hb_fail(pt, "filter_restore does not read back 1");
	return traced_revoke(pt);
}

static void listener_teardown(struct hb_point *pt)
{
	struct listener *l = pt->priv;

	if (l->old_delay >= 0)
		param_rw("invalidate_delay_ns", l->old_delay);
	if (l->old_filter >= 0)
		param_rw("filter_restore", l->old_filter);
	if (l->fd2 >= 0)
		close(l->fd2);
	if (l->buf)
		munmap(l->buf, l->len);
	l->buf = NULL;
	l->fd2 = -1;
}

static void listener_metrics(struct hb_point *pt, const struct hb_stats *st)
{
	struct listener *l = pt->priv;

	(void)st;
	if (l->clear >= 0)
		hb_metric(pt, "restore_event_is_clear", l->event == l->clear, "bool",
			  HB_LOWER_IS_BETTER);
}

/*
 * Per delay: what the listener adds to a revoke (listeners 1 - 0, filter
 * off), and what filtering saves of it (filter off - on, listeners 1).
 */
static void listener_summary(struct hb_point *const *pts, size_t n)
{
	const struct hb_stats *a, *b;
	struct hb_point *q;
	char name[64], unit[64];
	size_t i;

	snprintf(unit, sizeof(unit), "%s/access", hb_time_unit());
	for (i = 0; i < n; i++) {
		if (!pts[i]->v[P_LISTENERS] || !(a = hb_point_stats(pts[i])))
			continue;
		if (pts[i]->v[P_FILTER] == F_OFF) {
			q = hb_point_like(pts, n, pts[i], P_LISTENERS, 0);
			if (!q || !(b = hb_point_stats(q)))
				continue;
			snprintf(name, sizeof(name), "listener_extra_%s_per_access",
				 hb_icount() ? "instructions" : "ns");
			hb_summary(pts[i], P_LISTENERS, name, a->median - b->median, unit,
				   HB_LOWER_IS_BETTER);
		} else {
			q = hb_point_like(pts, n, pts[i], P_FILTER, F_OFF);
			if (!q || !(b = hb_point_stats(q)))
				continue;
			snprintf(name, sizeof(name), "filter_saves_%s_per_access",
				 hb_icount() ? "instructions" : "ns");
			hb_summary(pts[i], P_FILTER, name, b->median - a->median, unit,
				   HB_HIGHER_IS_BETTER);
		}
	}
}

const struct hb_bench bench_revoke_listener = {
	.name = "revoke_listener",
	.desc = "a revoke with a second MMU notifier listener on the mm, filtering the restore's event or not",
	.op = "access",
	.reps = 5,
	.explicit_only = true,
	.priv_size = sizeof(struct listener),
	.params = {
		{ "pages", "exclusive pages read per pass", "16", NULL, 1, 4096, NULL },
		{ "listeners", "other mirrors on the mm (0 or 1)", "0,1", NULL, 0, 1, NULL },
		{ "filter", "test_hmm's filter_restore", "off,on", NULL, 0, 0, filters },
		{ "delay_ns", "test_hmm's invalidate_delay_ns", "0,10000", "0", 0, 10000000, NULL },
	},
	.setup = listener_setup,
	.pass = listener_pass,
	.verify = listener_verify,
	.teardown = listener_teardown,
	.metrics = listener_metrics,
	.summary = listener_summary,
};
