// SPDX-License-Identifier: GPL-2.0
/*
 * stress: not a measurement but a hunt for kernel bugs in device-exclusive
 * memory, run only with --bench stress (docs/stress.md). For a set time,
 * on a few small shared ranges, all at once:
 *  - CPU threads read and write the ranges (faults that restore exclusive
 *    entries), the device marks them (HMM_DMIRROR_EXCLUSIVE);
 *  - one thread forks (the child checks and writes the ranges, then exits);
 *    another mprotects a range read-only and back, or munmaps and re-mmaps
 *    it, each time right after marking it;
 *  - one thread moves the ranges' pages between the two NUMA nodes
 *    (move_pages, and migrate_pages of the whole process now and then),
 *    another writes /proc/sys/vm/compact_memory.
 * Data is checked all along: CPU writer t owns the words w of each page with
 * w % threads == t and knows what it last wrote there; every word is either
 * 0 or a value that encodes its range, mapping epoch, page, word and
 * generation, so any reader (another thread, the device's copy, a forked
 * child) can tell a valid word from a stray one. At the end, with all
 * threads stopped, each range is marked and its device copy and CPU view
 * must equal what the writers wrote, CHECK_EXCLUSIVE must say exclusive
 * before the CPU reads it and not after. The kernel log (/dev/kmsg, from a
 * marker written at the start) must hold no report: WARN, BUG, Oops, bad
 * page, KASAN, UBSAN. Any of these fails the point, with the first
 * offending line.
 *
 * One sample per pass: its wall time over the operations done, all kinds
 * and threads together; the operations of each kind are the point's
 * metrics. The harness's warm-up visit runs for 1 s. The threads are
 * stress_threads.c's, the state they share stress.h's.
 *
 * stress.plant is a self-test of these checks (tests/stress.sh): corruption
 * overwrites one page through the device (HMM_DMIRROR_WRITE) behind the
 * writers' back halfway through (that range is then no longer remapped, so
 * the corruption cannot be unmapped before a check sees it); kmsg writes a
 * line that looks like a kernel report to /dev/kmsg. Either must fail the
 * point.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <numa.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hmm.h"
#include "hmmbench.h"
#include "stress.h"

#ifndef HMM_DMIRROR_WRITE
#define HMM_DMIRROR_WRITE	_IOWR('H', 0x01, struct hmm_dmirror_cmd)
#endif

#define KMSG_PLANT	"hmmbench-selftest: Bad page state planted by stress.plant=kmsg (not a kernel report)"

enum { P_SECONDS, P_THREADS, P_RANGES, P_PAGES, P_PLANT };
enum { PLANT_NONE, PLANT_CORRUPTION, PLANT_KMSG };
static const char *const plants[] = { "none", "corruption", "kmsg", NULL };

static const char *const kind_names[NR_KINDS] = {
	"cpu_reads", "cpu_writes", "marks", "marks_busy", "forks", "forks_enomem",
	"mprotects", "remaps", "move_pages_calls", "migrate_pages_calls",
	"compactions", "pages_moved"
};

/* Operations of kind @k (or of @alt, if not NR_KINDS) done so far. */
static unsigned long done(const struct thr *t, unsigned int n, enum kind k,
			  enum kind alt)
{
	unsigned long sum = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		sum += __atomic_load_n(&t[i].ops[k], __ATOMIC_RELAXED) +
		       (alt < NR_KINDS ? __atomic_load_n(&t[i].ops[alt], __ATOMIC_RELAXED) : 0);
	return sum;
}

/*
 * Whether every kind of operation has happened at least once (either
 * outcome of a mark or a fork). Range 0 is not remapped once corrupted on
 * purpose, so with one range there may be no remap.
 */
static bool all_kinds_done(struct hb_point *pt, const struct thr *t, unsigned int n)
{
	struct stress *s = pt->priv;

	return done(t, n, K_READ, NR_KINDS) && done(t, n, K_WRITE, NR_KINDS) &&
	       done(t, n, K_MARK, K_MARK_BUSY) && done(t, n, K_FORK, K_FORK_ENOMEM) &&
	       done(t, n, K_MPROTECT, NR_KINDS) &&
	       (done(t, n, K_REMAP, NR_KINDS) || (s->nr == 1 && pt->v[P_PLANT] == PLANT_CORRUPTION)) &&
	       (s->other_node < 0 || (done(t, n, K_MOVE_PAGES, NR_KINDS) &&
				      done(t, n, K_MIGRATE_PAGES, NR_KINDS))) &&
	       (!s->compacts || done(t, n, K_COMPACT, NR_KINDS));
}

static int stress_setup(struct hb_point *pt)
{
	struct stress *s = pt->priv;
	pthread_rwlockattr_t attr;
	unsigned int r, i;
	int node, ret;

	s->nw = pt->v[P_THREADS];
	s->nr = pt->v[P_RANGES];
	s->np = pt->v[P_PAGES];
	s->len = s->np * PAGE_SZ;
	s->stop = s->failed = s->planted = 0;
	s->compact_fd = -1;
	memset(s->ops, 0, sizeof(s->ops));

	ret = hb_kmsg_open(&s->log);
	if (ret)
		return hb_fail(pt, "cannot read the kernel log: /dev/kmsg: %s", strerror(-ret));

	s->rg = calloc(s->nr, sizeof(*s->rg));
	s->gen = calloc((size_t)s->nw * s->nr * s->np, sizeof(*s->gen));
	s->seen = calloc((size_t)s->nw * s->nr, sizeof(*s->seen));
	if (!s->rg || !s->gen || !s->seen)
		return hb_fail(pt, "out of memory");
	/* the range lock must not starve remap and mprotect */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	for (r = 0; r < s->nr; r++)
		pthread_rwlock_init(&s->rg[r].lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	for (r = 0; r < s->nr; r++) {
		s->rg[r].addr = mmap(NULL, s->len, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s->rg[r].addr == MAP_FAILED) {
			s->rg[r].addr = NULL;
			return hb_fail(pt, "mmap: %s", strerror(errno));
		}
		/* 6.1 cannot mark a THP (EBUSY): keep to 4 KiB pages */
		if (madvise(s->rg[r].addr, s->len, MADV_NOHUGEPAGE))
			return hb_fail(pt, "madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
	}
	for (i = 0; i <= NR_ROLES; i++)
		if (!(s->mirror[i] = hb_mirror_map(pt, s->len)))
			return HB_FAILED;
	s->child_report = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s->child_report == MAP_FAILED) {
		s->child_report = NULL;
		return hb_fail(pt, "mmap: %s", strerror(errno));
	}
	s->child_report[0] = '\0';

	/* pressure that this machine cannot apply is skipped, saying why */
	s->other_node = -1;
	for (node = 0; numa_available() >= 0 && node <= numa_max_node(); node++)
		if (node != pt->mem_node && numa_node_size64(node, NULL) > 0) {
			s->other_node = node;
			break;
		}
	if (s->other_node < 0 && pt->visit == 1)
		fprintf(stderr, "hmmbench: stress: migration between nodes skipped: no NUMA node with memory besides mem_node %d\n",
			pt->mem_node);
	s->compact_fd = open("/proc/sys/vm/compact_memory", O_WRONLY | O_CLOEXEC);
	s->compacts = s->compact_fd >= 0;
	if (!s->compacts && pt->visit == 1)
		fprintf(stderr, "hmmbench: stress: compaction skipped: /proc/sys/vm/compact_memory: %s\n",
			strerror(errno));

	ret = hb_kmsg_mark(&s->log, "hmmbench: stress: pass %u start (pid %d)",
			   pt->visit, (int)getpid());
	if (ret)
		return hb_fail(pt, "cannot write the kernel log: /dev/kmsg: %s", strerror(-ret));
	return 0;
}

static int plant(struct hb_point *pt)
{
	struct stress *s = pt->priv;
	int ret;

	if (pt->v[P_PLANT] == PLANT_KMSG) {
		ret = hb_kmsg_write(KMSG_PLANT);
		return ret ? fail(pt, "/dev/kmsg: %s", strerror(-ret)) : 0;
	}
	/* one page of range 0 overwritten by the device, as a stray DMA would */
	memset(s->mirror[NR_ROLES], 0x5a, PAGE_SZ);
	/* a device write to a read-only range fails (EPERM): wait for it */
	for (;;) {
		pthread_rwlock_rdlock(&s->rg[0].lock);
		if (!s->rg[0].ro)
			break;
		pthread_rwlock_unlock(&s->rg[0].lock);
		usleep(1000);
	}
	ret = hmm_cmd(pt->hmm_fd, HMM_DMIRROR_WRITE, s->rg[0].addr, s->mirror[NR_ROLES], 1, NULL);
	__atomic_store_n(&s->planted, 1, __ATOMIC_RELEASE);
	pthread_rwlock_unlock(&s->rg[0].lock);
	return ret ? fail(pt, "HMM_DMIRROR_WRITE: %s", strerror(-ret)) : 0;
}

static int stress_pass(struct hb_point *pt, struct hb_meter *m)
{
	struct stress *s = pt->priv;
	unsigned int n = s->nw + NR_ROLES, i, k;
	double seconds = pt->warmup ? 1 : pt->v[P_SECONDS], t0;
	bool planted = pt->v[P_PLANT] == PLANT_NONE;
	unsigned long ops = 0;
	struct thr *t = calloc(n, sizeof(*t));
	int ret = 0;

	if (!t)
		return hb_fail(pt, "out of memory");
	hb_begin(m);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		t[i] = (struct thr){ .pt = pt, .idx = i,
				     .rnd = mix((uint64_t)pt->visit << 32 | (i + 1)) | 1 };
		if ((i == s->nw + R_MIGRATE && s->other_node < 0) ||
		    (i == s->nw + R_COMPACT && s->compact_fd < 0))
			continue;
		if (pthread_create(&t[i].th, NULL, stress_thread, &t[i])) {
			ret = fail(pt, "cannot create thread %u of %u", i + 1, n);
			break;
		}
		t[i].running = true;
	}
	/* for the time set, and until every kind of operation has run */
	while (!stopped(s) && (now_s() - t0 < seconds || !all_kinds_done(pt, t, i))) {
		usleep(100000);
		hb_kmsg_poll(&s->log);
		if (!planted && now_s() - t0 >= seconds / 2)
			planted = !plant(pt);
	}
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	for (k = 0; k < i; k++) {
		if (t[k].running)
			pthread_join(t[k].th, NULL);
		for (int j = 0; j < NR_KINDS; j++)
			s->ops[j] += t[k].ops[j];
	}
	for (k = 0; k < NR_OPS; k++)
		ops += s->ops[k];
	hb_end(m, ops);
	s->seconds = now_s() - t0;
	free(t);
	return s->failed ? HB_FAILED : ret;
}

/* Range @r as the writers left it must be the device's copy and the CPU's view. */
static int check_range(struct hb_point *pt, unsigned int r)
{
	struct stress *s = pt->priv;
	struct range *rg = &s->rg[r];
	uint64_t *dev = s->mirror[NR_ROLES], want, got;
	unsigned int p, w, t, tries;
	int ret;

	for (tries = 0; tries < 20; tries++) {
		ret = hmm_cmd(pt->hmm_fd, HMM_DMIRROR_EXCLUSIVE, rg->addr, dev, s->np, NULL);
		if (ret != -EBUSY && ret != -ENOENT)
			break;
		usleep(10000);
	}
	if (ret)
		return hb_fail(pt, "final HMM_DMIRROR_EXCLUSIVE of range %u: %s", r, strerror(-ret));
	ret = hmm_exclusive(pt->hmm_fd, rg->addr, s->np);
	if (ret != 1)
		return hb_fail(pt, "CHECK_EXCLUSIVE of range %u after marking: %s, expected EPERM (exclusive)",
			       r, ret ? strerror(-ret) : "0");
	for (p = 0; p < s->np; p++) {
		for (w = 0; w < WORDS; w++) {
			t = w % s->nw;
			want = s->seen[t * s->nr + r] == rg->epoch ?
			       s->gen[(t * s->nr + r) * s->np + p] : 0;
			want = want ? word_val(r, rg->epoch, p, w, want) : 0;
			got = ((volatile uint64_t *)rg->addr)[p * WORDS + w];
			if (dev[p * WORDS + w] != want || got != want)
				return hb_fail(pt, "final check of range %u page %u word %u: device %#llx, CPU %#llx, thread %u wrote %#llx",
					       r, p, w, (unsigned long long)dev[p * WORDS + w],
					       (unsigned long long)got, t, (unsigned long long)want);
		}
	}
	ret = hmm_exclusive(pt->hmm_fd, rg->addr, s->np);
	if (ret)
		return hb_fail(pt, "CHECK_EXCLUSIVE of range %u after the CPU read it: %s, expected 0 (revoked)",
			       r, ret == 1 ? "EPERM (still exclusive)" : strerror(-ret));
	return 0;
}

static int stress_verify(struct hb_point *pt)
{
	struct stress *s = pt->priv;
	unsigned int r, k;
	int ret;

	for (r = 0; r < s->nr; r++)
		if (check_range(pt, r))
			return HB_FAILED;
	/* everything logged up to our end marker has been read */
	ret = hb_kmsg_mark(&s->log, "hmmbench: stress: pass %u end (pid %d)",
			   pt->visit, (int)getpid());
	if (ret)
		return hb_fail(pt, "cannot write the kernel log: /dev/kmsg: %s", strerror(-ret));
	hb_kmsg_poll(&s->log);
	if (s->log.report[0])
		return hb_fail(pt, "kernel report during the stress: %s", s->log.report);
	if (!s->log.marker_seen)
		return hb_fail(pt, "the kernel log did not show our end marker: cannot tell whether the kernel reported anything");
	if (s->log.lost)
		return hb_fail(pt, "kernel log records were overwritten before they were read: a report may be lost");
	if (!pt->warmup) {
		for (k = 0; k < NR_KINDS; k++)
			s->total[k] += s->ops[k];
		s->total_seconds += s->seconds;
	}
	return 0;
}

static void stress_teardown(struct hb_point *pt)
{
	struct stress *s = pt->priv;
	unsigned int r, i;

	for (r = 0; s->rg && r < s->nr; r++) {
		if (s->rg[r].addr)
			munmap(s->rg[r].addr, s->len);
		pthread_rwlock_destroy(&s->rg[r].lock);
	}
	for (i = 0; i <= NR_ROLES; i++) {
		if (s->mirror[i])
			munmap(s->mirror[i], s->len);
		s->mirror[i] = NULL;
	}
	if (s->child_report)
		munmap(s->child_report, PAGE_SZ);
	hb_kmsg_close(&s->log);
	if (s->compact_fd >= 0)
		close(s->compact_fd);
	free(s->rg);
	free(s->gen);
	free(s->seen);
	s->rg = NULL;
	s->gen = NULL;
	s->seen = NULL;
	s->child_report = NULL;
	s->compact_fd = -1;
}

static void stress_metrics(struct hb_point *pt, const struct hb_stats *st)
{
	struct stress *s = pt->priv;
	unsigned long total = 0;
	unsigned int k;

	(void)st;
	for (k = 0; k < NR_KINDS; k++) {
		if (((k == K_MOVE_PAGES || k == K_MIGRATE_PAGES || k == K_PAGES_MOVED) &&
		     s->other_node < 0) || (k == K_COMPACT && !s->compacts))
			continue;	/* skipped, and said so */
		hb_metric(pt, kind_names[k], s->total[k],
			  k == K_PAGES_MOVED ? "pages" : "ops", HB_HIGHER_IS_BETTER);
		total += k < NR_OPS ? s->total[k] : 0;
	}
	hb_metric(pt, "ops_total", total, "ops", HB_HIGHER_IS_BETTER);
	hb_metric(pt, "seconds", s->total_seconds, "s", HB_HIGHER_IS_BETTER);
}

const struct hb_bench bench_stress = {
	.name = "stress",
	.desc = "concurrent marking, CPU faults, fork, mprotect, munmap, migration and compaction; fails on any data or kernel error",
	.op = "op",
	.reps = 1,
	.explicit_only = true,
	/* the region is its threads' whole run */
	.shared_regions = true,
	.priv_size = sizeof(struct stress),
	.params = {
		{ "seconds", "how long each pass runs (the warm-up runs 1 s)",
		  "30", "5", 1, 86400, NULL },
		{ "threads", "CPU threads reading and writing the ranges",
		  "3", NULL, 1, 64, NULL },
		{ "ranges", "separately mapped ranges", "4", NULL, 1, 64, NULL },
		{ "pages", "pages per range", "64", NULL, 1, 4096, NULL },
		{ "plant", "self-test: plant a fault the checks must catch",
		  "none", NULL, 0, 0, plants },
	},
	.setup = stress_setup,
	.pass = stress_pass,
	.verify = stress_verify,
	.teardown = stress_teardown,
	.metrics = stress_metrics,
};
