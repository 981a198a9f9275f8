// SPDX-License-Identifier: GPL-2.0
/*
 * migrate: device-exclusive access against its alternative, migrating the
 * pages to device-private memory (migrate_vma), measured side by side in
 * the same run, per page of a range of `pages` pages:
 *   to_dev / mark / mark_nocopy: HMM_DMIRROR_MIGRATE_TO_DEV against
 *     HMM_DMIRROR_EXCLUSIVE, with test_hmm's copy of the range back to the
 *     caller (MIGRATE_TO_DEV copies it too) and without it (0003's NOCOPY);
 *   fault_private / fault_exclusive: one CPU read of a device-private page
 *     (migrate_to_ram) against one of an exclusive page (the restore);
 *   to_sys: HMM_DMIRROR_MIGRATE_TO_SYS, the bulk way back;
 *   fork_private / fork_exclusive: fork() with `pages` device-private
 *     entries against as many exclusive entries, per entry.
 * The summary gives each pair's ratio, exclusive over migrate.
 *
 * test_hmm backs device memory with 256 MiB chunks it allocates on first
 * use (in a warm-up) and keeps until the fd closes; closing evicts them,
 * slowly, so the harness's one fd stays open. The copies of device pages
 * are allocated under the point's memory policy, so mem_node applies to
 * them as to the pages returned to the CPU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hmm.h"
#include "hmmbench.h"

/* fault points time at most this many pages, spread over the range */
#define MAX_TOUCH	256

enum { P_OP, P_PAGES };
enum {
	O_TO_DEV, O_MARK, O_MARK_NOCOPY, O_TO_SYS, O_FAULT_PRIVATE,
	O_FAULT_EXCLUSIVE, O_FORK_PRIVATE, O_FORK_EXCLUSIVE
};

static const char *const ops[] = {
	"to_dev", "mark", "mark_nocopy", "to_sys", "fault_private",
	"fault_exclusive", "fork_private", "fork_exclusive", NULL
};

struct migr {
	char *buf;
	size_t len;
	uint64_t *mirror;	/* where the device's copy lands */
	uint64_t seed, sum;
	unsigned long cpages, step, touched;
	pid_t child;
};

static bool is_fault(int op)
{
	return op == O_FAULT_PRIVATE || op == O_FAULT_EXCLUSIVE;
}

static bool is_fork(int op)
{
	return op == O_FORK_PRIVATE || op == O_FORK_EXCLUSIVE;
}

/* What test_hmm cannot do for want of device memory is not a failure. */
static int migrate_err(struct hb_point *pt, const char *what, int ret)
{
	if (ret == -ENOMEM || ret == -EBUSY)
		return hb_unsupported(pt, "%s: %s (device memory or pages not available)",
				      what, strerrorname_np(-ret));
	return hb_fail(pt, "%s: %s", what, strerror(-ret));
}

/* The device's copy, and where the pages are: all on the device, or none. */
static int check_device(struct hb_point *pt, const char *when, long want)
{
	struct migr *mg = pt->priv;
	unsigned long n = pt->v[P_PAGES];
	long bad, dev;

	if (want && (bad = hb_check(mg->mirror, mg->len, mg->seed)) >= 0)
		return hb_fail(pt, "%s: the device's copy differs at word %ld", when, bad);
	dev = hmm_count_private(pt->hmm_fd, mg->buf, n);
	if (dev < 0)
		return hb_fail(pt, "%s: HMM_DMIRROR_SNAPSHOT: %s", when, strerror(-dev));
	if (dev != want)
		return hb_fail(pt, "%s: %ld of %lu pages are device-private, expected %ld",
			       when, dev, n, want);
	return 0;
}

static int to_device(struct hb_point *pt)
{
	struct migr *mg = pt->priv;
	unsigned long n = pt->v[P_PAGES];
	int ret;

	ret = hmm_cmd(pt->hmm_fd, HMM_DMIRROR_MIGRATE_TO_DEV, mg->buf, mg->mirror,
		      n, &mg->cpages);
	if (ret)
		return migrate_err(pt, "HMM_DMIRROR_MIGRATE_TO_DEV", ret);
	if (mg->cpages != n)
		return hb_unsupported(pt, "HMM_DMIRROR_MIGRATE_TO_DEV moved %lu of %lu pages (device memory exhausted or pages busy)",
				      mg->cpages, n);
	return check_device(pt, "after MIGRATE_TO_DEV", n);
}

static int mark(struct hb_point *pt)
{
	struct migr *mg = pt->priv;
	if (hmm_mark(pt, mg->buf, mg->mirror, pt->v[P_PAGES]))
		return HB_FAILED;
	if (hb_check(mg->mirror, mg->len, mg->seed) >= 0)
		return hb_fail(pt, "the device's copy of the marked range differs");
	return 0;
}

static int migrate_setup(struct hb_point *pt)
{
	struct migr *mg = pt->priv;
	unsigned long n = pt->v[P_PAGES];
	int op = pt->v[P_OP];

	mg->len = n * PAGE_SZ;
	mg->seed = (uint64_t)pt->visit << 32;
	mg->child = -1;
	mg->cpages = mg->sum = 0;
	mg->step = n > MAX_TOUCH ? n / MAX_TOUCH : 1;
	mg->touched = n > MAX_TOUCH ? MAX_TOUCH : n;
	mg->buf = hb_map_anon(pt, mg->len);
	if (!mg->buf)
		return HB_FAILED;
	mg->mirror = hb_mirror_map(pt, mg->len);
	if (!mg->mirror)
		return HB_FAILED;
	hb_fill(mg->buf, mg->len, mg->seed);

	switch (op) {
	case O_TO_SYS:
	case O_FAULT_PRIVATE:
	case O_FORK_PRIVATE:
		return to_device(pt);
	case O_FAULT_EXCLUSIVE:
	case O_FORK_EXCLUSIVE:
		return mark(pt);
	}
	return 0;
}

/* The child reads every page (faulting device pages back) and checks it. */
static int fork_child(void *arg)
{
	struct migr *mg = arg;

	return hb_check(mg->buf, mg->len, mg->seed) >= 0;
}

static int migrate_pass(struct hb_point *pt, struct hb_meter *m)
{
	static const unsigned long req[] = {
		[O_TO_DEV] = HMM_DMIRROR_MIGRATE_TO_DEV,
		[O_MARK] = HMM_DMIRROR_EXCLUSIVE,
		[O_MARK_NOCOPY] = HMM_DMIRROR_EXCLUSIVE_NOCOPY,
		[O_TO_SYS] = HMM_DMIRROR_MIGRATE_TO_SYS,
	};
	struct migr *mg = pt->priv;
	unsigned long n = pt->v[P_PAGES], j;
	volatile uint64_t *p;
	int op = pt->v[P_OP], ret;
	uint64_t sum = 0;
	long long nf;
	pid_t pid;

	if (is_fork(op)) {
		pid = hb_fork(m, n, fork_child, mg);
		if (pid < 0)
			return hb_fail(pt, "fork: %s", strerror(-pid));
		mg->child = pid;
		return 0;
	}
	if (is_fault(op)) {
		for (j = 0; j < mg->touched; j++) {
			p = (uint64_t *)(mg->buf + j * mg->step * PAGE_SZ);
			hb_begin(m);
			sum += *p;
			hb_end(m, 1);
		}
		mg->sum = sum;
		nf = hb_meter_faults(m);
		if (nf >= 0 && nf < (long long)mg->touched)
			return hb_fail(pt, "%lld page faults for %lu reads: some read did not fault",
				       nf, mg->touched);
		return 0;
	}
	hb_begin(m);
	ret = hmm_cmd(pt->hmm_fd, req[op], mg->buf, mg->mirror, n, &mg->cpages);
	hb_end(m, n);
	if (ret == -EINVAL && op == O_MARK_NOCOPY)
		return hb_unsupported(pt, "HMM_DMIRROR_EXCLUSIVE_NOCOPY: EINVAL (kernel without kernel-patches/test_hmm-instrumentation 0003)");
	if (ret)
		return migrate_err(pt, ops[op], ret);
	if (mg->cpages != n)
		return hb_unsupported(pt, "%s moved %lu of %lu pages (device memory exhausted or pages busy)",
				      ops[op], mg->cpages, n);
	return 0;
}

static int migrate_verify(struct hb_point *pt)
{
	struct migr *mg = pt->priv;
	unsigned long n = pt->v[P_PAGES], j;
	int op = pt->v[P_OP], ret, status;
	bool excl = op == O_MARK || op == O_MARK_NOCOPY ||
		    op == O_FAULT_EXCLUSIVE || op == O_FORK_EXCLUSIVE;
	uint64_t sum = 0;
	long bad;

	switch (op) {
	case O_TO_DEV:
		if ((ret = check_device(pt, "after MIGRATE_TO_DEV", n)))
			return ret;
		break;
	case O_MARK:
	case O_MARK_NOCOPY:
		if (op == O_MARK && hb_check(mg->mirror, mg->len, mg->seed) >= 0)
			return hb_fail(pt, "the device's copy of the marked range differs");
		if (hmm_exclusive(pt->hmm_fd, mg->buf, n) != 1)
			return hb_fail(pt, "CHECK_EXCLUSIVE right after marking: not exclusive");
		break;
	case O_TO_SYS:
		if ((ret = check_device(pt, "after MIGRATE_TO_SYS", 0)))
			return ret;
		break;
	case O_FAULT_PRIVATE:
	case O_FAULT_EXCLUSIVE:
		for (j = 0; j < mg->touched; j++)
			sum += hb_pattern(mg->seed, j * mg->step * (PAGE_SZ / 8));
		if (sum != mg->sum)
			return hb_fail(pt, "the CPU read wrong data");
		if (op == O_FAULT_PRIVATE &&
		    (ret = check_device(pt, "after the reads", n - mg->touched)))
			return ret;
		for (j = 0; op == O_FAULT_EXCLUSIVE && j < mg->touched; j++)
			if (hmm_exclusive(pt->hmm_fd, mg->buf + j * mg->step * PAGE_SZ, 1))
				return hb_fail(pt, "page %lu still exclusive after the CPU read it",
					       j * mg->step);
		break;
	case O_FORK_PRIVATE:
	case O_FORK_EXCLUSIVE:
		while (waitpid(mg->child, &status, 0) < 0 && errno == EINTR)
			;
		mg->child = -1;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			return hb_fail(pt, "the child did not see the parent's data (wait status %#x)",
				       status);
		break;
	}
	/* the CPU's view, which brings every page back */
	bad = hb_check(mg->buf, mg->len, mg->seed);
	if (bad >= 0)
		return hb_fail(pt, "data not intact at word %ld after %s", bad, ops[op]);
	if (op != O_TO_SYS && (ret = check_device(pt, "after the CPU read every page", 0)))
		return ret;
	if (excl && hmm_exclusive(pt->hmm_fd, mg->buf, n))
		return hb_fail(pt, "CHECK_EXCLUSIVE after the CPU read every page: still exclusive");
	return hb_check_node(pt, mg->buf, mg->len);
}

static void migrate_teardown(struct hb_point *pt)
{
	struct migr *mg = pt->priv;

	if (mg->child > 0)
		while (waitpid(mg->child, NULL, 0) < 0 && errno == EINTR)
			;
	mg->child = -1;
	HB_UNMAP(mg->buf, mg->len);
	HB_UNMAP(mg->mirror, mg->len);
}

static void migrate_metrics(struct hb_point *pt, const struct hb_stats *st)
{
	int op = pt->v[P_OP];

	if (is_fork(op)) {
		hb_metric(pt, hb_icount() ? "instructions_per_fork" : "ns_per_fork",
			  st->median * pt->v[P_PAGES], hb_icount() ?
			  "guest-instructions/fork" : "ns/fork", HB_LOWER_IS_BETTER);
	} else if (!is_fault(op)) {
		hb_throughput(pt, st, "pages");
	}
}

/* Exclusive against migrate: the ratio of medians, per range size. */
static void migrate_summary(struct hb_point *const *pts, size_t n)
{
	static const struct {
		const char *name;
		int excl, migr;
	} pairs[] = {
		{ "mark_vs_to_dev", O_MARK, O_TO_DEV },
		{ "mark_nocopy_vs_to_dev", O_MARK_NOCOPY, O_TO_DEV },
		{ "restore_vs_migrate_to_ram", O_FAULT_EXCLUSIVE, O_FAULT_PRIVATE },
		{ "restore_vs_to_sys", O_FAULT_EXCLUSIVE, O_TO_SYS },
		{ "fork_exclusive_vs_private", O_FORK_EXCLUSIVE, O_FORK_PRIVATE },
	};
	const struct hb_stats *es, *ms;
	struct hb_point *e, *mp;
	char unit[64];
	size_t k, i;

	snprintf(unit, sizeof(unit), "%s/page", hb_time_unit());
	for (k = 0; k < n; k++) {
		/* each group once: at its to_dev point, which every pair needs a twin of */
		if (pts[k]->v[P_OP] != O_TO_DEV)
			continue;
		for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
			e = hb_point_like(pts, n, pts[k], P_OP, pairs[i].excl);
			mp = hb_point_like(pts, n, pts[k], P_OP, pairs[i].migr);
			es = e ? hb_point_stats(e) : NULL;
			ms = mp ? hb_point_stats(mp) : NULL;
			if (!es || !ms)
				continue;
			hb_summary_ratio(e, P_OP, pairs[i].name, ops[pairs[i].excl],
					 es->median, ops[pairs[i].migr], ms->median,
					 unit, HB_LOWER_IS_BETTER);
		}
	}
}

const struct hb_bench bench_migrate = {
	.name = "migrate",
	.desc = "migrate_vma to device-private memory against device-exclusive access: mark, CPU fault, way back, fork",
	.op = "page",
	.reps = 10,
	.mem_node_def = "0,1",
	.mem_node_quick = "0,1",
	.priv_size = sizeof(struct migr),
	.params = {
		{ "op", "what is timed, per page: migrate (to_dev, fault_private, to_sys, fork_private) or its exclusive counterpart",
		  "to_dev,mark,mark_nocopy,to_sys,fault_private,fault_exclusive,fork_private,fork_exclusive",
		  NULL, 0, 0, ops },
		{ "pages", "range size in 4 KiB pages (fault: reads of up to 256 of them; fork: entries)",
		  "16,256,4096", "64", 1, 1 << 18, NULL },
	},
	.setup = migrate_setup,
	.pass = migrate_pass,
	.verify = migrate_verify,
	.teardown = migrate_teardown,
	.metrics = migrate_metrics,
	.summary = migrate_summary,
	.headlines = {
		{ "exclusive/migrate: mark against MIGRATE_TO_DEV", "mark_vs_to_dev", "mem_node=0",
		  "pages", .summary = true },
		{ "  a CPU fault against migrate_to_ram", "restore_vs_migrate_to_ram", "mem_node=0",
		  "pages", .summary = true },
		{ "  fork with exclusive against private entries", "fork_exclusive_vs_private",
		  "mem_node=0", "pages", .summary = true },
	},
};
