// SPDX-License-Identifier: GPL-2.0
/*
 * revoke: where the time of a CPU access to a device-exclusive page goes.
 * The driver's MMU notifier callback (dmirror_interval_invalidate) is
 * observed through perf samples of the test_hmm tracepoints
 * (kernel-patches/test_hmm-instrumentation 0001), or of kprobe events on
 * its entry and return where the kernel lacks them, taken on
 * CLOCK_MONOTONIC as the user-side clock is. Each traced access splits
 * into: access start -> invalidate start (the device is told), inside the
 * driver, invalidate end -> access done. The same accesses untraced
 * (probe=none) are the reference: the difference is what tracing costs.
 *
 * delay_ns is the emulated device invalidation cost (test_hmm's
 * invalidate_delay_ns, 0002); it is set after marking, as test_hmm passes
 * owner NULL and marking would pay it for every page too. pingpong: a CPU
 * thread and the device (a second thread re-marking, with the NOCOPY
 * ioctl of 0003 or with HMM_DMIRROR_EXCLUSIVE's copy) hand the same pages
 * back and forth; one sample is one cycle, the CPU access that revokes
 * plus the re-mark that grants it back, and each re-mark pays the delay.
 *
 * Marked pages lie STRIDE pages apart: without 0004, invalidating page N
 * also drops the device's entry for page N + 1, which must not be a page
 * whose revoke is measured.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hmm.h"
#include "hmmbench.h"
#include "tracepoint.h"

#define STRIDE		2
#define PP_ROUNDS	4	/* pingpong: cycles per page per pass */
#define RING_PAGES	64
#define DELAY_PARAM	"/sys/module/test_hmm/parameters/invalidate_delay_ns"

enum { P_CASE, P_PROBE, P_DELAY, P_ACCESS, P_PAGES };
enum { C_REVOKE, C_PINGPONG, C_PINGPONG_COPY };
enum { PR_NONE, PR_TRACEPOINT, PR_KPROBE };
enum { A_READ, A_WRITE };
enum { K_TO_START, K_INSIDE, K_TO_DONE, NR_COMPONENTS };

static const char *const cases[] = { "revoke", "pingpong", "pingpong_copy", NULL };
static const char *const probes[] = { "none", "tracepoint", "kprobe", NULL };
static const char *const accesses[] = { "read", "write", NULL };
static const char *const comp_names[] = {
	"to_invalidate_start", "in_invalidate", "invalidate_end_to_done"
};

struct comp {
	double *v;
	size_t n, cap;
};

struct revoke {
	char *map, *spare;
	size_t len, spare_len;
	uint64_t seed;
	bool delay_set;
	long event;			/* the notifier event of the last revoke */
	struct hmm_inv_events pr;	/* how the driver's invalidation is seen */
	uint64_t sum;
	uint64_t mirror[PAGE_SZ / 8];
	/* pingpong handoff (a futex): 2c + 1 device's turn in cycle c, 2c + 2 done */
	unsigned int turn;
	int stop, dev_err;
	unsigned long observed;		/* revokes seen by the probe */
	struct comp comp[NR_COMPONENTS];	/* kept visits of traced revokes */
	struct comp cost[2];		/* madvise traced, untraced */
};

static uint64_t *page(const struct revoke *r, unsigned long g)
{
	return hb_page(r->map, g, STRIDE);
}

static uint64_t page_seed(const struct revoke *r, unsigned long g)
{
	return hb_page_seed(r->seed, g);
}

/* What a write in cycle @c (revoke: 0) leaves in word 0 of page @g. */
static uint64_t written(const struct revoke *r, unsigned long g, unsigned long c)
{
	return ~hb_pattern(page_seed(r, g), 0) ^ (c << 1);
}

/* Word 0 of page @g once the CPU's access in cycle @c is done. */
static uint64_t word0(const struct hb_point *pt, unsigned long g, unsigned long c)
{
	const struct revoke *r = pt->priv;
	unsigned long pages = pt->v[P_PAGES];

	if (pt->v[P_ACCESS] == A_READ)
		return hb_pattern(page_seed(r, g), 0);
	/* pingpong: each page's last write is in the last round */
	if (pt->v[P_CASE] != C_REVOKE && c == ~0UL)
		c = (PP_ROUNDS - 1) * pages + g;
	return written(r, g, c == ~0UL ? 0 : c);
}

static int revoke_setup(struct hb_point *pt)
{
	struct revoke *r = pt->priv;
	unsigned long pages = pt->v[P_PAGES], g;
	int ret;

	r->seed = (uint64_t)pt->visit << 40;
	r->len = pages * STRIDE * PAGE_SZ;
	r->sum = r->observed = r->turn = 0;
	r->stop = r->dev_err = 0;
	r->delay_set = false;
	if (pt->v[P_DELAY] && access(DELAY_PARAM, W_OK))
		return hb_unsupported(pt, "no %s (kernel-patches/test_hmm-instrumentation 0002): %s",
				      DELAY_PARAM, strerror(errno));
	ret = 0;
	if (pt->v[P_PROBE] == PR_TRACEPOINT)
		ret = hmm_inv_tracepoints(pt, &r->pr);
	else if (pt->v[P_PROBE] == PR_KPROBE)
		ret = hmm_inv_kprobes(pt, &r->pr);
	if (ret)
		return ret;

	r->map = hb_map_anon(pt, r->len);
	if (!r->map)
		return HB_FAILED;
	/* probe_cost()'s pages: a fresh pair of n pages per pass */
	r->spare_len = 2 * pages * PAGE_SZ;
	r->spare = hb_map_anon(pt, r->spare_len);
	if (!r->spare)
		return HB_FAILED;
	for (g = 0; g < pages; g++)
		hb_fill(page(r, g), PAGE_SZ, page_seed(r, g));
	if (hmm_mark_pages(pt, r->map, pages, STRIDE, r->seed))
		return HB_FAILED;
	/* after marking, which would pay it per page */
	if (pt->v[P_DELAY]) {
		r->delay_set = true;
		ret = hb_num_file(DELAY_PARAM, pt->v[P_DELAY]);
		if (ret < 0)
			return hb_fail(pt, "writing %s: %s", DELAY_PARAM, strerror(-ret));
	}
	return 0;
}

/*
 * Checks that [t0, t1] saw exactly one invalidation, of page @p, as a
 * revoke, and stores its components. The tracepoints say whether the
 * device lost atomic access; the kprobes can only show the range.
 */
static int check_window(struct hb_point *pt, struct hb_trace *tr, void *p,
			uint64_t t0, uint64_t t1, double comp[NR_COMPONENTS],
			bool revoke)
{
	struct revoke *r = pt->priv;
	const struct hmm_inv_events *pr = &r->pr;
	struct hb_trace_window w;
	uintptr_t a = (uintptr_t)p;
	bool tp = pt->v[P_PROBE] == PR_TRACEPOINT;
	uint64_t start, end;
	long event = -1, atomic = 0, retry = 0;
	char err[512];

	if (hb_trace_span(tr, t0, t1, &w, comp, err, sizeof(err)))
		return hb_fail(pt, "the access to %p: %s", p, err);
	start = hb_trace_field(&w, 0, pr->s_start);
	end = hb_trace_field(&w, 0, pr->s_end);
	if (start != a || end != a + PAGE_SZ)
		return hb_fail(pt, "the invalidation during the access to %#lx was of [%#llx, %#llx)",
			       (unsigned long)a, (unsigned long long)start,
			       (unsigned long long)end);
	if (tp) {
		event = hb_trace_field(&w, 0, pr->event);
		start = hb_trace_field(&w, 1, pr->e_start);
		end = hb_trace_field(&w, 1, pr->e_end);
		atomic = hb_trace_field(&w, 1, pr->atomic);
		retry = hb_trace_field(&w, 1, pr->retry);
	}
	/* a revoke is EXCLUSIVE before 6.15's rework, CLEAR after: either */
	if (tp && revoke && (start != a || end != a + PAGE_SZ || atomic != 1 || retry ||
			     (pr->exclusive >= 0 && event != pr->exclusive &&
			      event != pr->clear)))
		return hb_fail(pt, "the invalidation of %#lx was not a revoke: event %ld (EXCLUSIVE is %ld, CLEAR %ld), atomic %ld, retry %ld",
			       (unsigned long)a, event, pr->exclusive, pr->clear, atomic, retry);
	if (tp && revoke)
		r->event = event;
	if (revoke)
		__atomic_add_fetch(&r->observed, 1, __ATOMIC_RELAXED);
	return 0;
}

static int comp_add(struct comp *c, double v)
{
	double *n;

	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 1024;
		n = realloc(c->v, c->cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		c->v = n;
	}
	c->v[c->n++] = v;
	return 0;
}

static int trace_open(struct hb_point *pt, struct hb_trace *tr)
{
	struct revoke *r = pt->priv;
	const struct hb_tp_format *ev[2] = { &r->pr.fmt[0], &r->pr.fmt[1] };
	char err[512];

	if (hb_trace_open(tr, ev, 2, RING_PAGES, err, sizeof(err)))
		return hb_unsupported(pt, "%s", err);
	if (hb_trace_enable(tr)) {
		hb_trace_close(tr);
		return hb_fail(pt, "enabling the trace events: %s", strerror(errno));
	}
	return 0;
}

/*
 * What the probe's two hits cost one invalidation, measured apart from the
 * revoke but on a CPU fault too: a write to a page that a read mapped to
 * the zero page is a copy-on-write fault, whose MMU_NOTIFY_CLEAR of that
 * page runs the driver's callback (it mirrors the whole address space).
 * n pages traced, then, once the events are closed (@tr NULL), n untraced:
 * an event merely disabled leaves its probe registered, and that idle probe
 * cost 103 guest instructions a pair (634 for the kprobes' traps), which
 * the revoke's reference, the probe=none point, does not pay. Both halves
 * come after the revokes: right after probe_cost_prepare()'s drop the
 * first faults cost 403 instructions more.
 */
static int probe_cost(struct hb_point *pt, struct hb_trace *tr, unsigned long n)
{
	struct revoke *r = pt->priv;
	double comp[NR_COMPONENTS];
	volatile uint64_t *p;
	uint64_t t0, t1;
	unsigned long i;
	int ret = 0;

	for (i = 0; i < n && !ret; i++) {
		p = (volatile uint64_t *)(r->spare + ((tr ? n : 0) + i) * PAGE_SZ);
		t0 = hb_clock_mono();
		*p = 1;
		t1 = hb_clock_mono();
		if (tr)
			ret = check_window(pt, tr, (void *)p, t0, t1, comp, false);
		if (!ret && !pt->warmup && comp_add(&r->cost[!tr], t1 - t0))
			ret = hb_fail(pt, "out of memory");
	}
	return ret;
}

/* Every spare page back to the zero page, before the events are opened. */
static int probe_cost_prepare(struct hb_point *pt)
{
	struct revoke *r = pt->priv;
	size_t off;

	if (madvise(r->spare, r->spare_len, MADV_DONTNEED))
		return hb_fail(pt, "madvise(MADV_DONTNEED): %s", strerror(errno));
	for (off = 0; off < r->spare_len; off += PAGE_SZ)
		(void)*(volatile uint64_t *)(r->spare + off);
	return 0;
}

static inline uint64_t touch(struct hb_point *pt, volatile uint64_t *p, uint64_t v)
{
	if (pt->v[P_ACCESS] == A_READ)
		return *p;
	*p = v;
	return 0;
}

static int revoke_pass(struct hb_point *pt, struct hb_meter *m)
{
	struct revoke *r = pt->priv;
	unsigned long pages = pt->v[P_PAGES], g;
	bool traced = pt->v[P_PROBE] != PR_NONE;
	double comp[NR_COMPONENTS];
	struct hb_trace tr;
	uint64_t t0, t1, sum = 0;
	char name[64];
	long long nf;
	int ret = 0, k;

	if (traced && ((ret = probe_cost_prepare(pt)) || (ret = trace_open(pt, &tr))))
		return ret;
	for (g = 0; g < pages && !ret; g++) {
		t0 = hb_begin_mono(m);
		sum += touch(pt, page(r, g), written(r, g, 0));
		t1 = hb_end_mono(m, 1);
		/* granted when marked (setup checked), revoked now */
		ret = hmm_exclusive(pt->hmm_fd, page(r, g), 1);
		if (ret) {
			ret = hb_fail(pt, "page %lu: CHECK_EXCLUSIVE right after the access: %s, expected 0 (revoked)",
				      g, ret == 1 ? "EPERM" : strerror(-ret));
			break;
		}
		if (!traced)
			continue;
		ret = check_window(pt, &tr, page(r, g), t0, t1, comp, true);
		for (k = 0; !ret && k < NR_COMPONENTS; k++) {
			/* per access: the split is gated on its samples */
			snprintf(name, sizeof(name), "%s_%s",
				 hb_icount() ? "instructions" : "ns", comp_names[k]);
			hb_sample(m, name, comp[k], hb_time_unit(), HB_LOWER_IS_BETTER);
			if (!pt->warmup && comp_add(&r->comp[k], comp[k]))
				ret = hb_fail(pt, "out of memory");
		}
	}
	if (traced && !ret)
		ret = probe_cost(pt, &tr, pages);
	if (traced)
		hb_trace_close(&tr);
	if (traced && !ret)
		ret = probe_cost(pt, NULL, pages);
	r->sum = sum;
	nf = hb_meter_faults(m);
	if (!ret && nf >= 0 && nf < (long long)pages)
		return hb_fail(pt, "%lld page faults for %lu accesses: some access did not fault",
			       nf, pages);
	return ret;
}

/*
 * The handoff sleeps on a futex: with sched_yield() the cycle took as long
 * as CFS's fairness let the waiting side spin, whatever each side did
 * (a re-mark with its page copy cost no more than one without).
 */
static void post(struct revoke *r, unsigned int turn)
{
	__atomic_store_n(&r->turn, turn, __ATOMIC_RELEASE);
	syscall(SYS_futex, &r->turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void stop(struct revoke *r)
{
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&r->turn, 0x80000000u, __ATOMIC_RELEASE);
	syscall(SYS_futex, &r->turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Sleeps until the other side has made its move. */
static bool wait_turn(struct revoke *r, unsigned int want)
{
	unsigned int cur;

	while ((cur = __atomic_load_n(&r->turn, __ATOMIC_ACQUIRE)) != want) {
		if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
			return false;
		syscall(SYS_futex, &r->turn, FUTEX_WAIT_PRIVATE, cur, NULL, NULL, 0);
	}
	return true;
}

static int pp_device(struct hb_point *pt)
{
	struct revoke *r = pt->priv;
	unsigned long pages = pt->v[P_PAGES], c, g, cp = 0;
	bool copy = pt->v[P_CASE] == C_PINGPONG_COPY;
	int ret;

	/*
	 * On the CPU thread's CPU: across vCPUs, TCG turned each handoff into
	 * vCPU scheduling by QEMU and the host (350 us medians, 20 ms tails,
	 * against 60 us a cycle on one vCPU), and icount has only one vCPU.
	 * The cost: the re-mark's TLB flush is local, not an IPI.
	 */
	if (hb_bind_cpu(pt, 0)) {
		__atomic_store_n(&r->dev_err, 1, __ATOMIC_RELEASE);
		stop(r);
		return hb_fail(pt, "device thread: cannot bind to the CPU thread's CPU");
	}
	for (c = 0; c < pages * PP_ROUNDS; c++) {
		if (!wait_turn(r, 2 * c + 1))
			return 0;
		g = c % pages;
		ret = hmm_cmd(pt->hmm_fd, copy ? HMM_DMIRROR_EXCLUSIVE :
			      HMM_DMIRROR_EXCLUSIVE_NOCOPY, page(r, g),
			      copy ? r->mirror : NULL, 1, &cp);
		if (!ret && cp != 1)
			ret = -EIO;
		if (!ret && copy && r->mirror[0] != word0(pt, g, c))
			ret = -EILSEQ;
		/* before the post: the CPU thread, woken, must see it */
		if (ret)
			__atomic_store_n(&r->dev_err, 1, __ATOMIC_RELEASE);
		post(r, 2 * c + 2);
		if (ret) {
			if (ret == -EINVAL && !copy)
				return hb_unsupported(pt, "HMM_DMIRROR_EXCLUSIVE_NOCOPY: EINVAL (kernel without kernel-patches/test_hmm-instrumentation 0003)");
			if (ret == -EILSEQ)
				return hb_fail(pt, "cycle %lu: the device's copy of page %lu is not what the CPU left",
					       c, g);
			return hb_fail(pt, "cycle %lu: re-marking page %lu: %s", c, g,
				       strerror(-ret));
		}
	}
	return 0;
}

static int pp_cpu(struct hb_point *pt, struct hb_meter *m)
{
	struct revoke *r = pt->priv;
	unsigned long pages = pt->v[P_PAGES], c, g, n = pages * PP_ROUNDS;
	bool traced = pt->v[P_PROBE] != PR_NONE;
	double comp[NR_COMPONENTS];
	struct hb_trace tr;
	uint64_t t0, t1, v, sum = 0;
	long long nf;
	int ret = 0;

	if (traced && (ret = trace_open(pt, &tr))) {
		stop(r);
		return ret;
	}
	for (c = 0; c < n && !ret; c++) {
		g = c % pages;
		v = written(r, g, c);
		t0 = hb_begin_mono(m);
		sum += touch(pt, page(r, g), v);
		post(r, 2 * c + 1);
		wait_turn(r, 2 * c + 2);
		t1 = hb_end_mono(m, 1);
		if (__atomic_load_n(&r->dev_err, __ATOMIC_ACQUIRE))
			ret = HB_FAILED;	/* the device said why */
		else if (traced)
			ret = check_window(pt, &tr, page(r, g), t0, t1, comp, true);
	}
	stop(r);
	if (traced)
		hb_trace_close(&tr);
	r->sum = sum;
	nf = hb_meter_faults(m);
	if (!ret && nf >= 0 && nf < (long long)n)
		return hb_fail(pt, "%lld page faults for %lu cycles: some CPU access did not revoke",
			       nf, n);
	return ret;
}

static int pp_thread(struct hb_point *pt, struct hb_meter *m, unsigned int idx)
{
	return idx ? pp_device(pt) : pp_cpu(pt, m);
}

static int revoke_pass_any(struct hb_point *pt, struct hb_meter *m)
{
	if (pt->v[P_CASE] == C_REVOKE)
		return revoke_pass(pt, m);
	return hb_threads(pt, m, 2, pp_thread);
}

static int revoke_verify(struct hb_point *pt)
{
	struct revoke *r = pt->priv;
	unsigned long pages = pt->v[P_PAGES], g, n;
	bool rd = pt->v[P_ACCESS] == A_READ, pp = pt->v[P_CASE] != C_REVOKE;
	uint64_t sum = 0, want, *w;
	int ret;

	/* the delay would slow the checks below, and everything after */
	if (r->delay_set && !hb_num_file(DELAY_PARAM, 0))
		r->delay_set = false;
	n = pp ? pages * PP_ROUNDS : pages;
	if (pt->v[P_PROBE] != PR_NONE && r->observed != n)
		return hb_fail(pt, "the probe saw %lu revokes for %lu accesses", r->observed, n);
	for (g = 0; pp && g < pages; g++) {
		ret = hmm_exclusive(pt->hmm_fd, page(r, g), 1);
		if (ret != 1)
			return hb_fail(pt, "page %lu: CHECK_EXCLUSIVE after the device's last re-mark: %s, expected EPERM (exclusive)",
				       g, ret ? strerror(-ret) : "0");
	}
	for (g = 0; g < n; g++)
		sum += rd ? hb_pattern(page_seed(r, g % pages), 0) : 0;
	if (r->sum != sum)
		return hb_fail(pt, "the CPU read wrong data");
	for (g = 0; g < pages; g++) {
		w = page(r, g);
		want = word0(pt, g, ~0UL);
		if (w[0] != want || hb_check(w + 1, PAGE_SZ - 8, page_seed(r, g) + 1) >= 0)
			return hb_fail(pt, "page %lu: data not intact after the revokes", g);
	}
	/* every page revoked, by the accesses or the reads just now */
	if (hmm_expect_revoked(pt, r->map, r->len, "after the CPU touched every page"))
		return HB_FAILED;
	return hb_check_node_pages(pt, r->map, pages, STRIDE);
}

static void revoke_teardown(struct hb_point *pt)
{
	struct revoke *r = pt->priv;

	/* also after a failure: the delay would slow every later benchmark */
	if (r->delay_set)
		hb_num_file(DELAY_PARAM, 0);
	r->delay_set = false;
	hmm_inv_events_del(&r->pr);
	if (r->map)
		munmap(r->map, r->len);
	if (r->spare)
		munmap(r->spare, r->spare_len);
	r->map = r->spare = NULL;
}

static void revoke_metrics(struct hb_point *pt, const struct hb_stats *st)
{
	struct revoke *r = pt->priv;
	const char *u = hb_icount() ? "instructions" : "ns";
	struct hb_stats cs;
	char name[96];
	int k;

	if (pt->v[P_CASE] != C_REVOKE) {
		hb_throughput(pt, st, "cycles");
		return;
	}
	if (pt->v[P_PROBE] == PR_KPROBE)
		hb_metric(pt, "kprobe_range_start_offset", r->pr.kprobe_offset,
			  "bytes into struct mmu_notifier_range", HB_LOWER_IS_BETTER);
	/* which notifier event revoked: EXCLUSIVE before 6.15, CLEAR since */
	if (pt->v[P_PROBE] == PR_TRACEPOINT && r->pr.clear >= 0)
		hb_metric(pt, "revoke_event_is_clear", r->event == r->pr.clear,
			  "bool (MMU_NOTIFY_CLEAR 1, MMU_NOTIFY_EXCLUSIVE 0)",
			  HB_LOWER_IS_BETTER);
	for (k = 0; k < NR_COMPONENTS && pt->v[P_PROBE] != PR_NONE; k++) {
		if (hb_stats_compute(r->comp[k].v, r->comp[k].n, &cs))
			return;
		/* the medians are the series' (hb_sample in the pass) */
		snprintf(name, sizeof(name), "p99_%s_%s", u, comp_names[k]);
		hb_metric(pt, name, cs.p99, hb_time_unit(), HB_LOWER_IS_BETTER);
		/* what the driver does besides the emulated device's wait */
		if (k == K_INSIDE && pt->v[P_DELAY]) {
			snprintf(name, sizeof(name), "%s_in_invalidate_less_delay", u);
			hb_metric(pt, name, cs.median - pt->v[P_DELAY], hb_time_unit(),
				  HB_LOWER_IS_BETTER);
		}
	}
}

/*
 * Against the untraced point: what tracing costs, and whether the traced
 * access's components (medians, less the timer overhead their two clock
 * reads carry, as the samples have it subtracted) add up to the untraced
 * access plus what the probe's two hits cost, measured apart.
 */
static void revoke_summary(struct hb_point *const *pts, size_t n)
{
	const char *u = hb_icount() ? "instructions" : "ns", *tu = hb_time_unit();
	const struct hb_stats *st, *us;
	double sum, cost, resid, tol = hb_mono_overhead();
	struct hb_point *plain;
	struct revoke *r;
	char name[96];
	size_t k;
	int c;

	for (k = 0; k < n; k++) {
		st = hb_point_stats(pts[k]);
		plain = hb_point_like(pts, n, pts[k], P_PROBE, PR_NONE);
		us = plain ? hb_point_stats(plain) : NULL;
		if (!st || !us || pts[k]->v[P_PROBE] == PR_NONE)
			continue;
		snprintf(name, sizeof(name), "tracing_overhead_%s", u);
		hb_metric(pts[k], name, st->median - us->median, tu, HB_LOWER_IS_BETTER);
		hb_metric(pts[k], "tracing_overhead_ratio", st->median / us->median,
			  "ratio", HB_LOWER_IS_BETTER);
		r = pts[k]->priv;
		if (pts[k]->v[P_CASE] != C_REVOKE || !r->comp[0].n || !r->cost[0].n)
			continue;
		for (c = 0, sum = -tol; c < NR_COMPONENTS; c++)
			sum += hb_median(r->comp[c].v, r->comp[c].n);
		cost = hb_median(r->cost[0].v, r->cost[0].n) -
		       hb_median(r->cost[1].v, r->cost[1].n);
		resid = sum - us->median - cost;
		snprintf(name, sizeof(name), "%s_components_sum", u);
		hb_metric(pts[k], name, sum, tu, HB_LOWER_IS_BETTER);
		snprintf(name, sizeof(name), "%s_components_sum_minus_untraced", u);
		hb_metric(pts[k], name, sum - us->median, tu, HB_LOWER_IS_BETTER);
		snprintf(name, sizeof(name), "%s_probe_cost", u);
		hb_metric(pts[k], name, cost, tu, HB_LOWER_IS_BETTER);
		snprintf(name, sizeof(name), "%s_unexplained", u);
		hb_metric(pts[k], name, resid, tu, HB_LOWER_IS_BETTER);
		hb_metric(pts[k], "unexplained_fraction", resid / us->median,
			  "fraction of the untraced access", HB_LOWER_IS_BETTER);
		hb_metric(pts[k], "components_within_timer_overhead", fabs(resid) <= tol,
			  "1 if |unexplained| <= the timer overhead, else 0",
			  HB_HIGHER_IS_BETTER);
	}
}

const struct hb_bench bench_revoke = {
	.name = "revoke",
	.desc = "a CPU access to a device-exclusive page split at the driver's invalidation (tracepoints or kprobes), and CPU/device ping-pong",
	.op = "access",
	.reps = 5,
	/* pingpong times the device thread's turn */
	.shared_regions = true,
	.priv_size = sizeof(struct revoke),
	.params = {
		{ "case", "revoke: one access per marked page; pingpong(_copy): CPU thread and device re-marking (NOCOPY or copy) alternate, one sample per cycle",
		  "revoke,pingpong,pingpong_copy", "revoke,pingpong", 0, 0, cases },
		{ "probe", "how the driver's invalidation is seen: not at all (the reference), test_hmm tracepoints, kprobe events",
		  "none,tracepoint,kprobe", NULL, 0, 0, probes },
		{ "delay_ns", "emulated device invalidation cost (test_hmm invalidate_delay_ns; guest-instructions in icount mode)",
		  "0,1000,10000,100000", "0,10000", 0, 10000000, NULL },
		{ "access", "CPU access", "read", NULL, 0, 0, accesses },
		{ "pages", "pages marked and touched per pass (pingpong: bounced, 4 cycles each)",
		  "16", "8", 1, 64 * 1024, NULL },
	},
	.setup = revoke_setup,
	.pass = revoke_pass_any,
	.verify = revoke_verify,
	.teardown = revoke_teardown,
	.metrics = revoke_metrics,
	.summary = revoke_summary,
	.headlines = {
		{ "revoke: access to the driver's callback", "_to_invalidate_start",
		  "case=revoke,probe=tracepoint,delay_ns=0", "pages", .series = true },
		{ "  in the driver", "_in_invalidate", "case=revoke,probe=tracepoint,delay_ns=0",
		  "pages", .series = true },
		{ "  the callback's end to the access done", "_invalidate_end_to_done",
		  "case=revoke,probe=tracepoint,delay_ns=0", "pages", .series = true },
	},
};
