// SPDX-License-Identifier: GPL-2.0
/*
 * thp_migrate: migration of a THP-backed range to device-private memory
 * and back, against the same range in 4 KiB pages, per page. Kernels with
 * device-private THP migration (the 7.x kernels here, not 6.1 or 6.12)
 * move a 2 MiB-aligned MADV_HUGEPAGE range as 2 MiB device pages; older
 * ones split it.
 *
 * Each pass migrates two fresh ranges of `mib` MiB the same way (`dir`):
 * one in 4 KiB pages (MADV_NOHUGEPAGE), timed as a reference region, then
 * one backed by THPs (2 MiB aligned, MADV_HUGEPAGE), the point's sample.
 * Their quotient is the series speedup_vs_4k, one value per pass, which the
 * kernel's own benchmark_thp_migration (hmm-tests, 7.x) reports as a mean
 * of five rounds. The data is checked after each move, and SNAPSHOT's PMD
 * bit counts the device pages that are parts of a device THP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "hmm.h"
#include "hmmbench.h"

#define THP_SIZE	(2UL << 20)

enum { P_DIR, P_MIB };
enum { D_TO_DEV, D_TO_SYS };

static const char *const dirs[] = { "to_dev", "to_sys", NULL };

struct range {
	void *map;		/* what to munmap */
	char *buf;		/* THP_SIZE aligned */
	size_t maplen;
};

struct thpm {
	struct range r[2];	/* 4 KiB, THP */
	uint64_t *mirror;	/* the device's copy of either */
	size_t len;
	unsigned long npages;
	uint64_t seed;
	long pmd_pages;		/* last pass: device pages in device THPs */
	double thp_kb_back;	/* last pass: AnonHugePages after to_sys */
};

static const unsigned long req[] = {
	[D_TO_DEV] = HMM_DMIRROR_MIGRATE_TO_DEV,
	[D_TO_SYS] = HMM_DMIRROR_MIGRATE_TO_SYS,
};

static int map_range(struct hb_point *pt, struct range *r, size_t len, bool thp)
{
	r->maplen = len + THP_SIZE;
	r->map = mmap(NULL, r->maplen, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		return hb_fail(pt, "mmap: %s", strerror(errno));
	}
	r->buf = (char *)(((uintptr_t)r->map + THP_SIZE - 1) & ~(THP_SIZE - 1));
	if (madvise(r->buf, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		return hb_unsupported(pt, "madvise(%s): %s", thp ? "MADV_HUGEPAGE" :
				      "MADV_NOHUGEPAGE", strerror(errno));
	return 0;
}

/* Where the pages of range @i are: all on the device, or none. */
static int check_device(struct hb_point *pt, int i, long want, const char *when)
{
	struct thpm *t = pt->priv;
	long dev, pmd;

	dev = hmm_count_private_pmd(pt->hmm_fd, t->r[i].buf, t->npages, &pmd);
	if (dev < 0)
		return hb_fail(pt, "%s: HMM_DMIRROR_SNAPSHOT: %s", when, strerror(-dev));
	if (dev != want)
		return hb_fail(pt, "%s: %ld of %lu %s pages are device-private, expected %ld",
			       when, dev, t->npages, i ? "THP-backed" : "4 KiB", want);
	if (i && want)
		t->pmd_pages = pmd;
	return 0;
}

static int move(struct hb_point *pt, int i, int dir)
{
	struct thpm *t = pt->priv;
	unsigned long cp = 0;
	int ret;

	ret = hmm_cmd(pt->hmm_fd, req[dir], t->r[i].buf, t->mirror, t->npages, &cp);
	if (ret == -ENOMEM || ret == -EBUSY)
		return hb_unsupported(pt, "%s: %s (device memory or pages not available)",
				      dirs[dir], strerrorname_np(-ret));
	if (ret)
		return hb_fail(pt, "%s: %s", dirs[dir], strerror(-ret));
	/*
	 * test_hmm counts what MIGRATE_TO_SYS moved in migration entries, one
	 * per device THP, not in pages: SNAPSHOT (check_device()) counts pages
	 */
	if (!cp || cp > t->npages)
		return hb_unsupported(pt, "%s moved %lu entries for %lu pages", dirs[dir],
				      cp, t->npages);
	return 0;
}

static int thpm_setup(struct hb_point *pt)
{
	struct thpm *t = pt->priv;
	long kb;
	int i, ret;

	if (pt->v[P_MIB] % 2)
		return hb_fail(pt, "mib=%ld: not a whole number of 2 MiB huge pages",
			       pt->v[P_MIB]);
	t->len = pt->v[P_MIB] << 20;
	t->npages = t->len / PAGE_SZ;
	t->seed = (uint64_t)pt->visit << 32;
	t->pmd_pages = -1;
	t->thp_kb_back = -1;
	t->mirror = hb_mirror_map(pt, t->len);
	if (!t->mirror)
		return HB_FAILED;
	for (i = 0; i < 2; i++) {
		ret = map_range(pt, &t->r[i], t->len, i);
		if (ret)
			return ret;
		hb_fill(t->r[i].buf, t->len, t->seed + i);
	}
	kb = hb_anon_huge_kb(t->r[1].buf);
	if (kb < (long)(t->len >> 10))
		return hb_unsupported(pt, "THPs back %ld of %zu kB of the range (THP disabled, or memory too fragmented)",
				      kb, t->len >> 10);
	if (hb_anon_huge_kb(t->r[0].buf) > 0)
		return hb_fail(pt, "THPs back the MADV_NOHUGEPAGE range");
	for (i = 0; pt->v[P_DIR] == D_TO_SYS && i < 2; i++) {
		ret = move(pt, i, D_TO_DEV);
		if (!ret)
			ret = check_device(pt, i, t->npages, "before MIGRATE_TO_SYS");
		if (ret)
			return ret;
	}
	return 0;
}

static int thpm_pass(struct hb_point *pt, struct hb_meter *m)
{
	struct thpm *t = pt->priv;
	int dir = pt->v[P_DIR], ret;
	double ref;

	hb_begin_ref(m);
	ret = move(pt, 0, dir);
	ref = hb_end_ref(m, t->npages);
	if (ret)
		return ret;
	hb_begin(m);
	ret = move(pt, 1, dir);
	hb_end(m, t->npages);
	if (ret)
		return ret;
	hb_sample(m, "speedup_vs_4k", ref / hb_last_sample(m), "ratio",
		  HB_HIGHER_IS_BETTER);
	return 0;
}

static int thpm_verify(struct hb_point *pt)
{
	struct thpm *t = pt->priv;
	bool to_dev = pt->v[P_DIR] == D_TO_DEV;
	long bad;
	int i, ret;

	for (i = 1; i >= 0; i--) {
		ret = check_device(pt, i, to_dev ? t->npages : 0,
				   to_dev ? "after MIGRATE_TO_DEV" : "after MIGRATE_TO_SYS");
		if (ret)
			return ret;
		/* the last move's copy is the THP range's */
		if (to_dev && i == 1 &&
		    (bad = hb_check(t->mirror, t->len, t->seed + 1)) >= 0)
			return hb_fail(pt, "the device's copy differs at word %ld", bad);
		if (!to_dev && i == 1)
			t->thp_kb_back = hb_anon_huge_kb(t->r[1].buf);
		/* the CPU's view, which brings device pages back */
		bad = hb_check(t->r[i].buf, t->len, t->seed + i);
		if (bad >= 0)
			return hb_fail(pt, "%s range: data not intact at word %ld",
				       i ? "THP" : "4 KiB", bad);
		ret = check_device(pt, i, 0, "after the CPU read every page");
		if (ret)
			return ret;
	}
	return hb_check_node(pt, t->r[1].buf, t->len);
}

static void thpm_teardown(struct hb_point *pt)
{
	struct thpm *t = pt->priv;
	int i;

	for (i = 0; i < 2; i++)
		HB_UNMAP(t->r[i].map, t->r[i].maplen);
	HB_UNMAP(t->mirror, t->len);
}

static void thpm_metrics(struct hb_point *pt, const struct hb_stats *st)
{
	struct thpm *t = pt->priv;

	(void)st;
	/* of the last pass: the same every pass, or verify would have said */
	if (pt->v[P_DIR] == D_TO_DEV)
		hb_metric(pt, "device_thp_fraction", (double)t->pmd_pages / t->npages,
			  "pages in device THPs / pages", HB_HIGHER_IS_BETTER);
	else
		hb_metric(pt, "thp_fraction_back", t->thp_kb_back * 1024 / t->len,
			  "AnonHugePages / range after the way back", HB_HIGHER_IS_BETTER);
}

const struct hb_bench bench_thp_migrate = {
	.name = "thp_migrate",
	.desc = "migrate_vma of a THP-backed range to device memory and back, against 4 KiB pages (device-private THP: 7.x, not 6.1 or 6.12)",
	.op = "page",
	.reps = 10,
	.priv_size = sizeof(struct thpm),
	.params = {
		{ "dir", "to the device (MIGRATE_TO_DEV) or back (MIGRATE_TO_SYS)",
		  "to_dev,to_sys", NULL, 0, 0, dirs },
		{ "mib", "range size in MiB, an even number (whole 2 MiB pages)", "2,16", "2", 2, 128, NULL },
	},
	.setup = thpm_setup,
	.pass = thpm_pass,
	.verify = thpm_verify,
	.teardown = thpm_teardown,
	.metrics = thpm_metrics,
	.headlines = {
		{ "THP migration to the device, speedup over 4 KiB", "speedup_vs_4k",
		  "dir=to_dev,mem_node=0", "mib", .series = true },
		{ "  back to the CPU", "speedup_vs_4k", "dir=to_sys,mem_node=0", "mib",
		  .series = true },
	},
};
