// SPDX-License-Identifier: GPL-2.0
/*
 * mark: how fast a driver marks a range for exclusive device access. One
 * sample is one HMM_DMIRROR_EXCLUSIVE ioctl on a freshly mapped range, per
 * page. Besides make_device_exclusive_range() the ioctl copies every page
 * to the caller's buffer (test_hmm's check of what the device sees), so the
 * time is an upper bound on the mark itself.
 *
 * Page states: populated (written by the CPU), untouched (GUP faults each
 * page in first), thp (2 MiB pages; 6.1 and 6.12 reject them with EBUSY,
 * 7.x splits the PMD: its summary gives the extra cost per THP), shared
 * (COW-shared with a forked child, mapcount 2: GUP with FOLL_WRITE breaks
 * COW, so the time includes a page copy), mlocked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hmm.h"
#include "hmmbench.h"

#define THP_SIZE	(2UL << 20)

enum { P_PAGES, P_STATE };
enum { S_POPULATED, S_UNTOUCHED, S_THP, S_SHARED, S_MLOCKED };

static const char *const states[] = {
	"populated", "untouched", "thp", "shared", "mlocked", NULL
};

struct mark {
	char *map, *buf;	/* the mapping, and the range in it */
	size_t maplen, len;
	uint64_t *mirror;	/* where the device's copy lands */
	uint64_t seed;
	unsigned long cpages;
	pid_t child;
};

/*
 * A child that shares every page of the range until teardown, stopped:
 * a child that has not run yet would run for the first time, and take
 * tens of thousands of instructions, in whichever timed mark the scheduler
 * picks (a 1-page mark's samples were bimodal, 29k and 58k).
 */
static int fork_sharer(struct hb_point *pt, struct mark *mk)
{
	int status;

	mk->child = fork();
	if (mk->child < 0)
		return hb_fail(pt, "fork: %s", strerror(errno));
	if (!mk->child) {
		/* hold the mapping, touch nothing, until killed */
		raise(SIGSTOP);
		_exit(0);
	}
	while (waitpid(mk->child, &status, WUNTRACED) < 0)
		if (errno != EINTR)
			return hb_fail(pt, "waitpid: %s", strerror(errno));
	if (!WIFSTOPPED(status))
		return hb_fail(pt, "the sharing child did not stop (wait status %#x)", status);
	return 0;
}

static int mark_setup(struct hb_point *pt)
{
	struct mark *mk = pt->priv;
	unsigned long npages = pt->v[P_PAGES];
	int state = pt->v[P_STATE];
	long kb;

	mk->len = npages * PAGE_SZ;
	mk->maplen = mk->len;
	mk->child = 0;
	mk->seed = (uint64_t)pt->visit << 32;
	if (state == S_THP)	/* whole huge pages, 2 MiB aligned */
		mk->maplen = (mk->len + THP_SIZE - 1) / THP_SIZE * THP_SIZE + THP_SIZE;
	mk->map = mmap(NULL, mk->maplen, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mk->map == MAP_FAILED) {
		mk->map = NULL;
		return hb_fail(pt, "mmap: %s", strerror(errno));
	}
	mk->mirror = hb_mirror_map(pt, mk->len);
	if (!mk->mirror)
		return HB_FAILED;

	mk->buf = mk->map;
	if (state == S_THP) {
		mk->buf = (char *)(((uintptr_t)mk->map + THP_SIZE - 1) & ~(THP_SIZE - 1));
		if (madvise(mk->buf, mk->maplen - THP_SIZE, MADV_HUGEPAGE))
			return hb_unsupported(pt, "madvise(MADV_HUGEPAGE): %s",
					      strerror(errno));
	} else if (madvise(mk->buf, mk->len, MADV_NOHUGEPAGE)) {
		return hb_fail(pt, "madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
	}
	if (state != S_UNTOUCHED)
		hb_fill(mk->buf, mk->len, mk->seed);

	switch (state) {
	case S_THP:
		kb = hb_anon_huge_kb(mk->buf);
		if (kb <= 0)
			return hb_unsupported(pt, "no transparent huge page backs the range (AnonHugePages %ld kB; THP disabled?)",
					      kb);
		break;
	case S_SHARED:
		return fork_sharer(pt, mk);
	case S_MLOCKED:
		if (mlock(mk->buf, mk->len))
			return hb_unsupported(pt, "mlock: %s", strerror(errno));
		break;
	}
	return 0;
}

static int mark_pass(struct hb_point *pt, struct hb_meter *m)
{
	struct mark *mk = pt->priv;
	int ret;

	hb_begin(m);
	ret = hmm_cmd(pt->hmm_fd, HMM_DMIRROR_EXCLUSIVE, mk->buf, mk->mirror,
		      pt->v[P_PAGES], &mk->cpages);
	hb_end(m, pt->v[P_PAGES]);

	if (ret == -EBUSY && pt->v[P_STATE] == S_THP)
		return hb_unsupported(pt, "EBUSY: kernel rejects THP in make_device_exclusive_range");
	if (ret)
		return hb_fail(pt, "HMM_DMIRROR_EXCLUSIVE: %s", strerror(-ret));
	return 0;
}

static int mark_verify(struct hb_point *pt)
{
	struct mark *mk = pt->priv;
	unsigned long npages = pt->v[P_PAGES], i;
	bool zero = pt->v[P_STATE] == S_UNTOUCHED;
	long bad;
	int ret;

	if (mk->cpages != npages)
		return hb_fail(pt, "the device copied %lu of %lu pages", mk->cpages, npages);
	ret = hmm_exclusive(pt->hmm_fd, mk->buf, npages);
	if (ret != 1)
		return hb_fail(pt, "CHECK_EXCLUSIVE right after marking: %s, expected EPERM (still exclusive)",
			       ret ? strerror(-ret) : "0");

	/* the device's copy, then the CPU's view, which revokes exclusivity */
	if (zero) {
		for (i = 0; i < mk->len / 8; i++)
			if (mk->mirror[i] || ((uint64_t *)mk->buf)[i])
				return hb_fail(pt, "untouched range: word %lu is not zero", i);
	} else {
		bad = hb_check(mk->mirror, mk->len, mk->seed);
		if (bad >= 0)
			return hb_fail(pt, "the device's copy differs from what the CPU wrote at word %ld",
				       bad);
		bad = hb_check(mk->buf, mk->len, mk->seed);
		if (bad >= 0)
			return hb_fail(pt, "data changed under exclusive access at word %ld", bad);
	}
	ret = hmm_exclusive(pt->hmm_fd, mk->buf, npages);
	if (ret)
		return hb_fail(pt, "CHECK_EXCLUSIVE after the CPU read every page: %s, expected 0 (revoked)",
			       ret == 1 ? "EPERM" : strerror(-ret));
	return hb_check_node(pt, mk->buf, mk->len);
}

static void mark_teardown(struct hb_point *pt)
{
	struct mark *mk = pt->priv;

	if (mk->child > 0) {
		kill(mk->child, SIGKILL);
		while (waitpid(mk->child, NULL, 0) < 0 && errno == EINTR)
			;
	}
	HB_UNMAP(mk->map, mk->maplen);
	HB_UNMAP(mk->mirror, mk->len);
}

static void mark_metrics(struct hb_point *pt, const struct hb_stats *st)
{
	hb_throughput(pt, st, "pages");
}

/*
 * What marking a THP-backed range costs beyond the same range in base
 * pages, per THP it covers: the PMD split that 6.15's rework does where
 * 6.1 refused (EBUSY), as its own figure.
 */
static void mark_summary(struct hb_point *const *pts, size_t n)
{
	const struct hb_stats *ts, *ps;
	struct hb_point *pop;
	char name[64], unit[64];
	double thps;
	size_t k;

	for (k = 0; k < n; k++) {
		if (pts[k]->v[P_STATE] != S_THP || !(ts = hb_point_stats(pts[k])))
			continue;
		pop = hb_point_like(pts, n, pts[k], P_STATE, S_POPULATED);
		if (!pop || !(ps = hb_point_stats(pop)))
			continue;
		thps = (pts[k]->v[P_PAGES] * PAGE_SZ + THP_SIZE - 1) / THP_SIZE;
		snprintf(name, sizeof(name), "thp_extra_%s_per_thp",
			 hb_icount() ? "instructions" : "ns");
		snprintf(unit, sizeof(unit), "%s/THP", hb_time_unit());
		hb_summary(pts[k], -1, name,
			   (ts->median - ps->median) * pts[k]->v[P_PAGES] / thps, unit,
			   HB_LOWER_IS_BETTER);
	}
}

const struct hb_bench bench_mark = {
	.name = "mark",
	.desc = "HMM_DMIRROR_EXCLUSIVE throughput (make_device_exclusive_range plus test_hmm's copy)",
	.op = "page",
	.reps = 10,
	/*
	 * a 512-page mark is about as long as the tick: most of its samples
	 * hold one and are set apart (results/ladder-20261127-icount-quick-irq)
	 */
	.quick_reps = 20,
	/* memory on the CPU's node and on the other (absent nodes are skipped) */
	.mem_node_def = "0,1",
	.mem_node_quick = "0",
	.priv_size = sizeof(struct mark),
	.params = {
		{ "pages", "range size in 4 KiB pages", "1,16,256,4096",
		  "1,64,512", 1, 1 << 18, NULL },
		{ "state", "state of the pages when marked",
		  "populated,untouched,thp,shared,mlocked", NULL, 0, 0, states },
	},
	.setup = mark_setup,
	.pass = mark_pass,
	.verify = mark_verify,
	.teardown = mark_teardown,
	.metrics = mark_metrics,
	.summary = mark_summary,
	.headlines = {
		{ "marking, per page", NULL, "state=populated,mem_node=0", "pages" },
		{ "marking a THP-backed range, per page", NULL, "state=thp,mem_node=0", "pages" },
		{ "  the split, per 2 MiB page", "thp_extra_", "state=thp,mem_node=0", "pages",
		  .summary = true },
	},
	.plots = {
		{ "sweep", "pages_per_", "pages", "range size (pages, log scale)",
		  "mark throughput against range size", true, true },
	},
};
