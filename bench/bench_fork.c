// SPDX-License-Identifier: GPL-2.0
/*
 * fork: fork() latency, until fork returns in the parent, with N
 * device-exclusive entries against the same N plain populated pages; the
 * summary fits ns per entry over N. The child checks the data and reports
 * through its exit status (waiting for it is not timed).
 *
 * The headline is what an exclusive entry costs fork beyond a plain page,
 * paired per pass: in "exclusive" each pass first forks with the N pages
 * still plain (a reference region), then marks them and forks again, and
 * the sample is the difference over N. Single forks of the same process
 * are bimodal by tens of thousands of instructions (allocator refills come
 * in batches), so slopes fitted to per-boot medians of a few forks moved
 * by tens of percent between boots; paired samples keep the spread to the
 * pass and give the gate a distribution to test.
 *
 * fork restores each exclusive entry it copies (copy_nonpresent_pte), which
 * needs a trylock of the folio; on 6.1 a busy folio makes fork fail with
 * ENOMEM rather than retry. In "contended" a second thread keeps re-marking
 * the range in 64-page chunks, locking each folio, while fork runs: failed
 * forks count as samples too (they are what the caller waits for) and give
 * the failure rate. The ioctl holds mmap_lock for read and fork takes it for
 * write, so in 6.1 these folio locks cannot overlap fork's copy: what the
 * contention adds is waiting for the ioctl in flight. Thread 0 forks on
 * cpu_node, thread 1 contends on any CPU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hmm.h"
#include "hmmbench.h"


enum { P_VARIANT, P_ENTRIES };
enum { V_PLAIN, V_EXCLUSIVE, V_CONTENDED };

static const char *const variants[] = { "plain", "exclusive", "contended", NULL };

struct frk {
	char *buf;
	size_t len;
	uint64_t *mirror;
	uint64_t seed;
	pid_t child;
	int stop, marks, contender_err;		/* shared with the contender */
	unsigned long attempts, failures;	/* over the kept visits */
};

static int fork_setup(struct hb_point *pt)
{
	struct frk *f = pt->priv;
	unsigned long n = pt->v[P_ENTRIES];

	f->len = n * PAGE_SZ;
	f->seed = (uint64_t)pt->visit << 32;
	f->child = -1;
	f->stop = f->marks = f->contender_err = 0;
	if (!n)
		return 0;
	f->buf = hb_map_anon(pt, f->len);
	if (!f->buf)
		return HB_FAILED;
	hb_fill(f->buf, f->len, f->seed);
	if (pt->v[P_VARIANT] == V_PLAIN)
		return 0;

	/* the device's buffer must not be forked: only the entries count */
	f->mirror = hb_mirror_map(pt, f->len);
	if (!f->mirror)
		return HB_FAILED;
	/* exclusive: the pass marks, after its reference fork */
	if (pt->v[P_VARIANT] == V_EXCLUSIVE)
		return 0;
	return hmm_mark(pt, f->buf, f->mirror, n);
}

static int contend(struct hb_point *pt)
{
	struct frk *f = pt->priv;

	return hmm_remark(pt, HMM_DMIRROR_EXCLUSIVE, f->buf, f->mirror, pt->v[P_ENTRIES],
			  &f->stop, &f->marks, &f->contender_err);
}

/* The child checks the parent's data and says so in its exit status. */
static int fork_child(void *arg)
{
	struct frk *f = arg;

	return f->len && hb_check(f->buf, f->len, f->seed) >= 0;
}

static int reap(struct frk *f);

/*
 * The reference of a paired sample: fork with the N pages still plain,
 * its child checked and reaped; then the pages are marked.
 */
static int plain_then_mark(struct hb_point *pt, struct hb_meter *m, double *t)
{
	struct frk *f = pt->priv;
	unsigned long n = pt->v[P_ENTRIES];
	int status;
	pid_t pid;

	pid = hb_fork_ref(m, t, 1, fork_child, f);
	if (pid < 0)
		return hb_fail(pt, "reference fork: %s", strerror(-pid));
	f->child = pid;
	status = reap(f);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return hb_fail(pt, "the reference fork's child did not see the parent's data (wait status %#x)",
			       status);
	return hmm_mark(pt, f->buf, f->mirror, n);
}

static int fork_thread(struct hb_point *pt, struct hb_meter *m, unsigned int idx)
{
	char name[64], unit[64];
	double ref = NAN;
	struct frk *f = pt->priv;
	bool contended = pt->v[P_VARIANT] == V_CONTENDED;
	pid_t pid;
	int err;

	if (idx == 1) {
		/* off the forking CPU even if cpu_node has only that one */
		hb_unbind_cpu();
		return contend(pt);
	}
	/* fork only once the contender is at work */
	while (contended && f->len && !__atomic_load_n(&f->marks, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&f->contender_err, __ATOMIC_ACQUIRE))
		sched_yield();

	if (pt->v[P_VARIANT] == V_EXCLUSIVE && f->len &&
	    plain_then_mark(pt, m, &ref))
		return HB_FAILED;
	/* as SCHED_FIFO: see hb_fork() */
	pid = hb_fork(m, 1, fork_child, f);
	err = pid < 0 ? -pid : 0;
	if (!isnan(ref) && pid > 0) {
		snprintf(name, sizeof(name), "extra_%s_per_entry",
			 hb_icount() ? "instructions" : "ns");
		snprintf(unit, sizeof(unit), "%s/entry", hb_time_unit());
		hb_sample(m, name, (hb_last_sample(m) - ref) / pt->v[P_ENTRIES],
			  unit, HB_LOWER_IS_BETTER);
	}

	__atomic_store_n(&f->stop, 1, __ATOMIC_RELEASE);
	f->child = pid;
	if (!pt->warmup) {
		f->attempts++;
		f->failures += pid < 0;
	}
	if (pid < 0 && !(contended && err == ENOMEM))
		return hb_fail(pt, "fork: %s", strerror(err));
	return 0;
}

static int fork_pass(struct hb_point *pt, struct hb_meter *m)
{
	return hb_threads(pt, m, pt->v[P_VARIANT] == V_CONTENDED ? 2 : 1,
			  fork_thread);
}

static int reap(struct frk *f)
{
	int status = 0;

	while (waitpid(f->child, &status, 0) < 0 && errno == EINTR)
		;
	f->child = -1;
	return status;
}

static int fork_verify(struct hb_point *pt)
{
	struct frk *f = pt->priv;
	int status;
	long bad;

	if (f->child > 0) {
		status = reap(f);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			return hb_fail(pt, "the child did not see the parent's data (wait status %#x)",
				       status);
	}
	bad = f->len ? hb_check(f->buf, f->len, f->seed) : -1;
	if (bad >= 0)
		return hb_fail(pt, "the parent's data changed at word %ld", bad);
	return f->len ? hb_check_node(pt, f->buf, f->len) : 0;
}

static void fork_teardown(struct hb_point *pt)
{
	struct frk *f = pt->priv;

	if (f->child > 0)
		reap(f);
	HB_UNMAP(f->buf, f->len);
	HB_UNMAP(f->mirror, f->len);
}

static void fork_metrics(struct hb_point *pt, const struct hb_stats *st)
{
	struct frk *f = pt->priv;

	(void)st;
	if (pt->v[P_VARIANT] != V_CONTENDED)
		return;
	hb_rate(pt, "fork_failure_rate", f->failures, f->attempts, "failed/attempted");
	hb_metric(pt, "fork_failures", f->failures, "forks", HB_LOWER_IS_BETTER);
}

/* Least squares of the median fork time over N, for the group of @pt. */
static int fit(struct hb_point *const *pts, size_t n, const struct hb_point *pt,
	       double *slope, double *icept, double *r2)
{
	double x[64], y[64];
	size_t j, m;

	for (j = 0, m = 0; j < n && m < 64; j++) {
		if (!hb_point_like(&pts[j], 1, pt, P_ENTRIES, pts[j]->v[P_ENTRIES]) ||
		    !hb_point_stats(pts[j]))
			continue;
		x[m] = pts[j]->v[P_ENTRIES];
		y[m++] = hb_point_stats(pts[j])->median;
	}
	return hb_linfit(x, y, m, slope, icept, r2);
}

static void fork_summary(struct hb_point *const *pts, size_t n)
{
	const char *u = hb_icount() ? "instructions" : "ns";
	double slope, icept, r2, ps, pi, pr;
	struct hb_point *plain;
	char name[64], unit[64];
	size_t k, j;

	for (k = 0; k < n; k++) {
		/* each group once, at its first point */
		for (j = 0; j < k; j++)
			if (hb_point_like(&pts[k], 1, pts[j], P_ENTRIES, pts[k]->v[P_ENTRIES]))
				break;
		if (j < k || fit(pts, n, pts[k], &slope, &icept, &r2))
			continue;
		snprintf(name, sizeof(name), "%s_per_entry", u);
		snprintf(unit, sizeof(unit), "%s/entry", hb_time_unit());
		hb_summary(pts[k], P_ENTRIES, name, slope, unit, HB_LOWER_IS_BETTER);
		snprintf(name, sizeof(name), "%s_at_0_entries", u);
		snprintf(unit, sizeof(unit), "%s/fork", hb_time_unit());
		hb_summary(pts[k], P_ENTRIES, name, icept, unit, HB_LOWER_IS_BETTER);
		hb_summary(pts[k], P_ENTRIES, "fit_r2", r2, "r2", HB_HIGHER_IS_BETTER);

		/* what an exclusive entry costs fork beyond a plain page */
		plain = hb_point_like(pts, n, pts[k], P_VARIANT, V_PLAIN);
		if (pts[k]->v[P_VARIANT] == V_PLAIN || !plain ||
		    fit(pts, n, plain, &ps, &pi, &pr))
			continue;
		/* the slopes' difference; the paired samples are the headline */
		snprintf(name, sizeof(name), "fit_extra_%s_per_entry", u);
		snprintf(unit, sizeof(unit), "%s/entry", hb_time_unit());
		hb_summary(pts[k], P_ENTRIES, name, slope - ps, unit,
			   HB_LOWER_IS_BETTER);
	}
}

const struct hb_bench bench_fork = {
	.name = "fork",
	.desc = "fork() latency with N device-exclusive entries, against N plain pages",
	.op = "fork",
	.reps = 20,
	.priv_size = sizeof(struct frk),
	.params = {
		{ "variant", "plain pages, exclusive entries, or exclusive entries re-marked by a second thread",
		  "plain,exclusive,contended", NULL, 0, 0, variants },
		{ "entries", "pages (plain) or exclusive entries in the parent",
		  "0,256,1024,4096", "0,1024,4096", 0, 1 << 18, NULL },
	},
	.setup = fork_setup,
	.pass = fork_pass,
	.verify = fork_verify,
	.teardown = fork_teardown,
	.metrics = fork_metrics,
	.summary = fork_summary,
	.headlines = {
		{ "fork: extra per exclusive entry", "extra_", "variant=exclusive,mem_node=0",
		  "entries", .series = true },
	},
	.plots = {
		{ "sweep", NULL, "entries", "entries (pages mapped in the parent)",
		  "fork cost against exclusive/plain entries" },
	},
};
