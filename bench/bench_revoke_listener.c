// SPDX-License-Identifier: GPL-2.0
/*
 * revoke_listener: what a second MMU notifier listener costs the CPU fault
 * that revokes a device's exclusive access, and what it saves by skipping
 * invalidations it provably does not need. The restore makes an invalid
 * PTE valid, so only the device that held the page has anything to
 * invalidate; the event it is sent with is MMU_NOTIFY_EXCLUSIVE without an
 * owner on 6.1 to 6.14 (which test_hmm's own marks also are) and
 * MMU_NOTIFY_CLEAR on 7.x (which any unmap also is).
 * One sample is one CPU read of an exclusive page, untraced, with:
 * - listener: none; idle (/dev/hmm_dmirror1 open on the same mm, holding
 *   no entry: test_hmm mirrors the whole address space, so its notifier
 *   sees every revoke); mapped (the same, and before each pass it reads
 *   the whole buffer through its own mirror, so it holds a plain read
 *   entry of every page, which each mark must take from it);
 * - filter: test_hmm's filter_restore (kernel-patches/notifier-filter): a
 *   mirror skips the update and emulated device flush of an invalidation
 *   for a range in which it holds no entry at all;
 * - delay_ns: test_hmm's invalidate_delay_ns, a busy wait in every
 *   invalidation that is not skipped (the owner's and the listener's),
 *   emulating a device's TLB shootdown. It is a wall-clock wait: in icount
 *   one instruction is one "ns", so a 10,000 ns delay is built-in 10,000
 *   or so instructions, not a measurement; only its effect in tcg or kvm
 *   is.
 * Each pass also times each page's mark (a series, per page), which with a
 * mapped listener includes taking the listener's entry.
 * Checked: every page revoked and intact; one traced revoke per pass sees
 * the owner's callback and, with a listener, the listener's, and records
 * the event they saw (restore_event_is_clear); and with a listener, that
 * a mark takes the listener's plain entry: a read entry through
 * /dev/hmm_dmirror1, then a mark through /dev/hmm_dmirror0, then a read
 * through /dev/hmm_dmirror1 must fault again (and so revoke the mark). A
 * filter that skipped the mark's invalidation would leave the listener
 * reading a page another device holds exclusively. Only with --bench.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hmm.h"
#include "hmmbench.h"
#include "tracepoint.h"

enum { P_PAGES, P_LISTENER, P_FILTER, P_DELAY };
enum { F_OFF, F_ON };
enum { L_NONE, L_IDLE, L_MAPPED };

static const char *const filters[] = { "off", "on", NULL };
static const char *const listeners[] = { "none", "idle", "mapped", NULL };

/* test_hmm's HMM_DMIRROR_READ: the device reads through its own mirror */
#define HMM_DMIRROR_READ	_IOWR('H', 0x00, struct hmm_dmirror_cmd)

#define STRIDE		4	/* pages apart: fault-around stays out */
#define PARAMS		"/sys/module/test_hmm/parameters/"
#define SECOND		"/dev/hmm_dmirror1"

struct listener {
	char *buf;
	size_t len;
	uint64_t seed;
	int fd2;		/* the second listener, or -1 */
	uint64_t *copy;		/* its read buffer, the whole range */
	unsigned long refaults;	/* the check's fault after the mark */
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

	if (pt->v[P_LISTENER] != L_NONE) {
		l->fd2 = open(SECOND, O_RDWR | O_CLOEXEC);
		if (l->fd2 < 0)
			return hb_unsupported(pt, SECOND ": %s", strerror(errno));
		l->copy = hb_mirror_map(pt, l->len);
		if (!l->copy)
			return HB_FAILED;
	}
	l->buf = hb_map_anon(pt, l->len);
	if (!l->buf)
		return HB_FAILED;
	for (g = 0; g < n; g++)
		hb_fill(hb_page(l->buf, g, STRIDE), PAGE_SZ, hb_page_seed(l->seed, g));
	return 0;
}

/*
 * The listener reads @npages at @addr through its own mirror: its entries
 * then map them. Returns the device faults the read took, or -errno.
 */
static long listener_read(struct listener *l, void *addr, unsigned long npages)
{
	struct hmm_dmirror_cmd cmd = {
		.addr = (uintptr_t)addr,
		.ptr = (uintptr_t)l->copy,
		.npages = npages,
	};

	while (ioctl(l->fd2, HMM_DMIRROR_READ, &cmd))
		if (errno != EINTR)
			return -errno;
	if (cmd.cpages != npages)
		return -EIO;
	return cmd.faults;
}

/*
 * A mark must take the listener's plain entry: read page 0 through the
 * listener (an entry), read it again (no fault: the entry is used), mark
 * it through the owner, read it through the listener (a fault: the entry
 * is gone; the fault revokes the mark). Page 0 must not be exclusive.
 */
static int check_mark_takes_entry(struct hb_point *pt)
{
	struct listener *l = pt->priv;
	void *p = hb_page(l->buf, 0, STRIDE);
	long f;
	int ret;

	if (listener_read(l, p, 1) < 0)
		return hb_fail(pt, "the listener's first read of page 0 failed");
	f = listener_read(l, p, 1);
	if (f != 0)
		return hb_fail(pt, "the listener's second read of page 0 took %ld faults, expected 0 (it keeps no entry: the check below would prove nothing)",
			       f);
	if (hb_check(l->copy, PAGE_SZ, hb_page_seed(l->seed, 0)) >= 0)
		return hb_fail(pt, "the listener read other data than page 0's");
	if (hmm_mark_pages(pt, l->buf, 1, STRIDE, l->seed))
		return HB_FAILED;
	f = listener_read(l, p, 1);
	if (f < 0)
		return hb_fail(pt, "the listener's read after the mark: %s", strerror(-f));
	if (f == 0)
		return hb_fail(pt, "the listener's read entry of page 0 survived the owner's mark (its invalidation was skipped): it still maps a page another device holds exclusively");
	if (hb_check(l->copy, PAGE_SZ, hb_page_seed(l->seed, 0)) >= 0)
		return hb_fail(pt, "the listener read other data than page 0's after the mark");
	ret = hmm_exclusive(pt->hmm_fd, p, 1);
	if (ret)
		return hb_fail(pt, "page 0 still exclusive after the listener faulted it (CHECK_EXCLUSIVE: %s)",
			       ret == 1 ? "EPERM" : strerror(-ret));
	l->refaults = f;
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
	int seen, want = pt->v[P_LISTENER] != L_NONE ? 3 : 1;

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
			       pt->v[P_LISTENER] != L_NONE ? " and the listener's" : " only");
	return 0;
}

static int listener_pass(struct hb_point *pt, struct hb_meter *m)
{
	struct listener *l = pt->priv;
	unsigned long n = pt->v[P_PAGES], g;
	char name[64], unit[64];
	double t;
	int ret;

	if (pt->v[P_LISTENER] == L_MAPPED &&
	    listener_read(l, l->buf, n * STRIDE) < 0)
		return hb_fail(pt, "the listener's read of the whole range failed");
	/* each mark timed (with a mapped listener, it takes its entry) */
	snprintf(name, sizeof(name), "mark_%s_per_page", hb_icount() ? "instructions" : "ns");
	snprintf(unit, sizeof(unit), "%s/page", hb_time_unit());
	for (g = 0; g < n; g++) {
		hb_begin_ref(m);
		ret = hmm_cmd(pt->hmm_fd, HMM_DMIRROR_EXCLUSIVE_NOCOPY, hb_page(l->buf, g, STRIDE),
			      NULL, 1, NULL);
		t = hb_end_ref(m, 1);
		if (ret == -ENOTTY || ret == -EINVAL)
			return hb_unsupported(pt, "no HMM_DMIRROR_EXCLUSIVE_NOCOPY: build with kernel-patches/test_hmm-instrumentation");
		if (ret)
			return hb_fail(pt, "HMM_DMIRROR_EXCLUSIVE_NOCOPY of page %lu: %s", g, strerror(-ret));
		hb_sample(m, name, t, unit, HB_LOWER_IS_BETTER);
	}
	for (g = 0; g < n; g++) {
		ret = hmm_exclusive(pt->hmm_fd, hb_page(l->buf, g, STRIDE), 1);
		if (ret != 1)
			return hb_fail(pt, "page %lu not exclusive after marking (CHECK_EXCLUSIVE: %s)",
				       g, ret ? strerror(-ret) : "0");
	}
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
	if (traced_revoke(pt))
		return HB_FAILED;
	return pt->v[P_LISTENER] != L_NONE ? check_mark_takes_entry(pt) : 0;
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
	HB_UNMAP(l->buf, l->len);
	HB_UNMAP(l->copy, l->len);
	l->fd2 = -1;
}

static void listener_metrics(struct hb_point *pt, const struct hb_stats *st)
{
	struct listener *l = pt->priv;

	(void)st;
	if (l->clear >= 0)
		hb_metric(pt, "restore_event_is_clear", l->event == l->clear, "bool",
			  HB_LOWER_IS_BETTER);
	if (pt->v[P_LISTENER] != L_NONE)
		hb_metric(pt, "listener_faults_after_mark", l->refaults, "faults",
			  HB_HIGHER_IS_BETTER);
}

/*
 * Per listener and delay: what the listener adds to a revoke (it less no
 * listener, filter off), and what the filter saves of it (filter off less
 * on, the same listener).
 */
static void listener_summary(struct hb_point *const *pts, size_t n)
{
	const struct hb_stats *a, *b;
	struct hb_point *q;
	char name[64], unit[64];
	size_t i;

	snprintf(unit, sizeof(unit), "%s/access", hb_time_unit());
	for (i = 0; i < n; i++) {
		if (pts[i]->v[P_LISTENER] == L_NONE || !(a = hb_point_stats(pts[i])))
			continue;
		if (pts[i]->v[P_FILTER] == F_OFF) {
			q = hb_point_like(pts, n, pts[i], P_LISTENER, L_NONE);
			if (!q || !(b = hb_point_stats(q)))
				continue;
			snprintf(name, sizeof(name), "listener_extra_%s_per_access",
				 hb_icount() ? "instructions" : "ns");
			hb_summary(pts[i], -1, name, a->median - b->median, unit,
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
	.desc = "a revoke with a second MMU notifier listener on the mm (idle, or mapping the range), skipping unneeded invalidations or not",
	.op = "access",
	.reps = 5,
	.explicit_only = true,
	.priv_size = sizeof(struct listener),
	.params = {
		{ "pages", "exclusive pages read per pass", "16", NULL, 1, 4096, NULL },
		{ "listener", "a second mirror on the mm: none, idle (no entries) or mapped (a read entry of every page before each mark)",
		  "none,idle,mapped", NULL, 0, 0, listeners },
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
