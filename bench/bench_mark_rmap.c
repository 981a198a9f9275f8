// SPDX-License-Identifier: GPL-2.0
/*
 * mark_rmap: marking where an rmap walk costs most. Until 6.15,
 * make_device_exclusive_range() finds the PTE it converts by walking the
 * folio's reverse map under the anon_vma lock, which visits every VMA that
 * shares the anon_vma; 6.15 walks the caller's page table instead (and
 * kernel-patches/exclusive-folio-walk does only that on 6.12, with
 * exclusive_folio_walk=1). One sample is one HMM_DMIRROR_EXCLUSIVE_NOCOPY
 * of a fresh range, per page, with:
 * - sharers: N forked children that keep the mapping but have written
 *   their own copies, so the interval tree of the range's anon_vma holds
 *   N more VMAs while every page is mapped once (and write-protected, as
 *   after any fork: at N = 0 too, by a child that exits at once);
 * - chain: breadth (the N children are the caller's own) or depth (a
 *   chain of forks, each child the previous one's: the root anon_vma's
 *   tree holds the same N VMAs, and the N-th child's VMA an anon_vma chain
 *   of N + 1);
 * - order: where the caller's VMA sits among the anon_vma's: first (the
 *   parent's own, chained before every child's), or last (split off by an
 *   mprotect after the children were forked, so chained after them). The
 *   rmap walk stops as soon as the folio is unmapped, so with the caller
 *   first it never reaches the children: only "last" makes it visit all;
 * - state: populated (mapcount 1), shared (one more child that has not
 *   written: mapcount 2, and GUP's FOLL_WRITE breaks COW first), or thp
 *   (the range lies in a transparent huge page, 2 MiB aligned: 6.1 and
 *   6.12 refuse it, EBUSY, unsupported; 7.x splits the PMD);
 * - walker: none; migrate (a thread moves other pages of the same VMA
 *   between nodes with move_pages(): rmap walks that take the anon_vma
 *   lock for read); split (a child sharing the anon_vma splits and merges
 *   its own VMA with mprotect: the anon_vma root lock for write, without
 *   this mm's mmap_lock); or compact (a thread compacts the memory node
 *   over and over: the kernel's own rmap walker, which isolates, locks and
 *   migrates the pages it finds, the range's, the walker's and the
 *   sharers' alike, taking the anon_vma lock for read in each page's
 *   try_to_migrate() and remove_migration_ptes()). Where a walker holds a
 *   page lock the mark's trylock fails (6.1, 6.12: EBUSY for the chunk):
 *   the mark is tried again inside the timed region, as a driver whose
 *   device faults again would, and the retries are counted.
 * The walker's side is measured too: each of its rounds is timed, and a
 * pass records the median round that overlapped the mark and the median
 * round that did not (series walker_round_*_beside_mark and _alone): the
 * walker's or writer's wait for the marker.
 * A walker needs a second CPU to contend: icount runs one vCPU and counts
 * instructions, which cannot see a lock wait, so there it is unsupported.
 * Only with --bench mark_rmap.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hmm.h"
#include "hmmbench.h"

enum { P_PAGES, P_SHARERS, P_ORDER, P_STATE, P_WALKER, P_CHAIN };
enum { O_FIRST, O_LAST };
enum { S_POPULATED, S_SHARED, S_THP };
enum { W_NONE, W_MIGRATE, W_SPLIT, W_COMPACT };
enum { C_BREADTH, C_DEPTH };

static const char *const orders[] = { "first", "last", NULL };
static const char *const states[] = { "populated", "shared", "thp", NULL };
static const char *const walkers[] = { "none", "migrate", "split", "compact", NULL };
static const char *const chains[] = { "breadth", "depth", NULL };

#define WALK_PAGES	64	/* the walker's pages, after the range */
#define WALKER_WAIT_MS	30000	/* a live walker ends a round well within this */
#define MAX_KIDS	(1024 + 2)
#define THP_SIZE	(2UL << 20)
#define RING		4096	/* the walker's last rounds, timed */
#define MAX_RETRIES	1000	/* a mark tried again while a walker holds a page */

/* shared with a walker child: its rounds, and when each began and ended */
struct walk_log {
	atomic_ulong rounds;
	uint64_t t[RING][2];
	pid_t chain[MAX_KIDS];	/* depth: each child's pid, set by itself */
};

struct mark_rmap {
	/* a guard page, the range, the walker's pages, a guard page */
	char *map, *buf;
	size_t len, maplen;
	uint64_t *mirror;
	uint64_t seed;
	unsigned long cpages;
	pid_t kids[MAX_KIDS];
	unsigned int nkids;
	pid_t chain[MAX_KIDS];	/* depth: the chain of sharers, first to last */
	unsigned int nchain;
	/* the walker: its thread or child, and how often it went round */
	pthread_t thread;
	bool thread_on;
	atomic_bool stop;
	struct walk_log *log;	/* shared with a walker child */
	atomic_ulong *rounds;	/* &log->rounds */
	unsigned long rounds_at_end;	/* when the timed mark ended */
	char compact[96];	/* the node's compact file */
	unsigned long retries, marks;	/* over the kept visits */
	unsigned long revoked;		/* marks compaction took back */
	bool subreaper;
};

/* a walker's round: timed into the shared log */
static void round_done(struct walk_log *log, uint64_t t0)
{
	unsigned long r = atomic_load(&log->rounds);

	log->t[r % RING][0] = t0;
	log->t[r % RING][1] = hb_clock_mono();
	atomic_fetch_add(&log->rounds, 1);
}

/* A child that writes its own copy of [p, p + len), then stops. */
/* waits until the child PID has stopped itself; WHO names it in the error */
static pid_t wait_stopped(struct hb_point *pt, pid_t pid, const char *who)
{
	int status;

	while (waitpid(pid, &status, WUNTRACED) < 0)
		if (errno != EINTR)
			return hb_fail(pt, "waitpid: %s", strerror(errno));
	if (!WIFSTOPPED(status))
		return hb_fail(pt, "%s did not stop (wait status %#x)", who, status);
	return pid;
}

static pid_t fork_kid(struct hb_point *pt, char *p, size_t len, bool write)
{
	pid_t pid = fork();

	if (pid < 0)
		return hb_fail(pt, "fork: %s", strerror(errno));
	if (!pid) {
		size_t i;

		for (i = 0; write && i < len; i += PAGE_SZ)
			p[i]++;
		raise(SIGSTOP);
		_exit(0);
	}
	return wait_stopped(pt, pid, "a sharing child");
}

/* split: splits and merges its own copy of the VMA until killed */
static void split_walker(char *p, size_t len, struct walk_log *log)
{
	char *mid = p + len / 2;
	uint64_t t0;
	size_t i;

	for (i = 0; i < len; i += PAGE_SZ)
		p[i]++;
	for (;;) {
		t0 = hb_clock_mono();
		mprotect(mid, PAGE_SZ, PROT_READ);
		mprotect(mid, PAGE_SZ, PROT_READ | PROT_WRITE);
		round_done(log, t0);
	}
}

/* migrate: moves the walker's pages between nodes 0 and 1 until stopped */
static void *migrate_walker(void *arg)
{
	struct mark_rmap *mr = arg;
	void *pages[WALK_PAGES];
	int nodes[WALK_PAGES], status[WALK_PAGES];
	unsigned long r;
	uint64_t t0;
	int i;

	for (i = 0; i < WALK_PAGES; i++)
		pages[i] = mr->buf + mr->len + i * PAGE_SZ;
	for (r = 0; !atomic_load(&mr->stop); r++) {
		for (i = 0; i < WALK_PAGES; i++)
			nodes[i] = (r + 1) & 1;
		t0 = hb_clock_mono();
		if (move_pages(0, WALK_PAGES, pages, nodes, status, MPOL_MF_MOVE) >= 0)
			round_done(mr->log, t0);
	}
	return NULL;
}

/* compact: the kernel compacts the node over and over until stopped */
static void *compact_walker(void *arg)
{
	struct mark_rmap *mr = arg;
	uint64_t t0;

	while (!atomic_load(&mr->stop)) {
		t0 = hb_clock_mono();
		if (hb_num_file(mr->compact, 1) >= 0)
			round_done(mr->log, t0);
	}
	return NULL;
}

/*
 * depth: a chain of @n children, each forked by the one before, each with
 * its own copy of [p, p + len); each stops once it has forked the next.
 * Their pids land in log->chain. The caller is a subreaper, so that a
 * child whose parent is killed is its to reap.
 */
static pid_t fork_chain(struct hb_point *pt, char *p, size_t len, unsigned long n,
			struct walk_log *log)
{
	unsigned long k;
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return hb_fail(pt, "fork: %s", strerror(errno));
	if (!pid) {
		for (k = 0; k < n; k++) {
			size_t i;

			log->chain[k] = getpid();
			for (i = 0; i < len; i += PAGE_SZ)
				p[i]++;
			if (k + 1 == n)
				break;
			pid = fork();
			if (pid < 0)
				_exit(1);
			if (pid) {
				/* the next one has written and forked on */
				while (waitpid(pid, &status, WUNTRACED) < 0 && errno == EINTR)
					;
				raise(SIGSTOP);
				_exit(0);
			}
		}
		raise(SIGSTOP);
		_exit(0);
	}
	return wait_stopped(pt, pid, "the chain's first child");
}

static int mark_rmap_setup(struct hb_point *pt)
{
	struct mark_rmap *mr = pt->priv;
	unsigned long sharers = pt->v[P_SHARERS], k;
	int walker = pt->v[P_WALKER];
	bool thp = pt->v[P_STATE] == S_THP;
	size_t thplen;
	long kb;
	pid_t pid;

	mr->len = pt->v[P_PAGES] * PAGE_SZ;
	mr->maplen = mr->len + (WALK_PAGES + 2) * PAGE_SZ;
	mr->nkids = 0;
	mr->nchain = 0;
	mr->seed = (uint64_t)pt->visit << 32 | 0x7e;
	atomic_store(&mr->stop, false);
	if (walker != W_NONE && hb_icount())
		return hb_unsupported(pt, "icount runs one vCPU and counts instructions: a walker cannot contend there (use tcg or kvm)");
	if (walker == W_MIGRATE && (numa_available() < 0 || numa_max_node() < 1))
		return hb_unsupported(pt, "the migrate walker needs NUMA node 1");
	if (walker == W_COMPACT) {
		snprintf(mr->compact, sizeof(mr->compact),
			 "/sys/devices/system/node/node%d/compact", pt->mem_node);
		if (access(mr->compact, W_OK))
			return hb_unsupported(pt, "%s: %s (CONFIG_COMPACTION)", mr->compact,
					      strerror(errno));
	}
	if (!mr->log) {
		mr->log = mmap(NULL, sizeof(*mr->log), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (mr->log == MAP_FAILED) {
			mr->log = NULL;
			return hb_fail(pt, "mmap: %s", strerror(errno));
		}
		mr->rounds = &mr->log->rounds;
	}
	atomic_store(mr->rounds, 0);
	if (thp) {
		/*
		 * the range and the walker's pages in huge pages, 2 MiB
		 * aligned: the whole huge pages advised, a VMA that can hold
		 * them
		 */
		thplen = (mr->len + WALK_PAGES * PAGE_SZ + THP_SIZE - 1) & ~(THP_SIZE - 1);
		mr->maplen = thplen + 2 * THP_SIZE;
		mr->map = mmap(NULL, mr->maplen, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mr->map == MAP_FAILED) {
			mr->map = NULL;
			return hb_fail(pt, "mmap: %s", strerror(errno));
		}
		mr->buf = (char *)(((uintptr_t)mr->map + PAGE_SZ + THP_SIZE - 1) &
				   ~(THP_SIZE - 1));
		if (madvise(mr->buf, thplen, MADV_HUGEPAGE))
			return hb_unsupported(pt, "madvise(MADV_HUGEPAGE): %s", strerror(errno));
	} else {
		mr->map = hb_map_anon(pt, mr->maplen);
		if (!mr->map)
			return HB_FAILED;
		mr->buf = mr->map + PAGE_SZ;
	}
	mr->mirror = hb_mirror_map(pt, mr->len);
	if (!mr->mirror)
		return HB_FAILED;
	hb_fill(mr->buf, mr->len + WALK_PAGES * PAGE_SZ, mr->seed);
	if (thp && (kb = hb_anon_huge_kb(mr->buf)) <= 0)
		return hb_unsupported(pt, "no transparent huge page backs the range (AnonHugePages %ld kB; THP disabled?)",
				      kb);

	/*
	 * A child that exits at once leaves every page write-protected, as
	 * the sharers do, so that GUP takes the same write fault (a reuse)
	 * at every N; then N children in the anon_vma's tree, every page
	 * of theirs their own copy, so each of ours is mapped once.
	 */
	pid = fork();
	if (pid < 0)
		return hb_fail(pt, "fork: %s", strerror(errno));
	if (!pid)
		_exit(0);
	while (waitpid(pid, NULL, 0) < 0)
		if (errno != EINTR)
			return hb_fail(pt, "waitpid: %s", strerror(errno));
	if (pt->v[P_CHAIN] == C_DEPTH && sharers) {
		if (prctl(PR_SET_CHILD_SUBREAPER, 1))
			return hb_fail(pt, "prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(errno));
		mr->subreaper = true;
		if (fork_chain(pt, mr->map, mr->maplen, sharers, mr->log) < 0)
			return HB_FAILED;
		for (k = 0; k < sharers; k++)
			mr->chain[mr->nchain++] = mr->log->chain[k];
	}
	for (k = 0; pt->v[P_CHAIN] == C_BREADTH && k < sharers; k++) {
		pid = fork_kid(pt, mr->map, mr->maplen, true);
		if (pid < 0)
			return HB_FAILED;
		mr->kids[mr->nkids++] = pid;
	}
	/*
	 * last: mprotect the guard page before the range, which keeps the
	 * VMA it is in; the rest, the range, becomes a new VMA, chained after
	 * every child's (any split leaves the range in a new VMA: first has
	 * none)
	 */
	if (pt->v[P_ORDER] == O_LAST && mprotect(mr->buf - PAGE_SZ, PAGE_SZ, PROT_READ))
		return hb_fail(pt, "mprotect: %s", strerror(errno));
	if (pt->v[P_STATE] == S_SHARED) {
		pid = fork_kid(pt, mr->map, mr->maplen, false);
		if (pid < 0)
			return HB_FAILED;
		mr->kids[mr->nkids++] = pid;
	}
	if (walker == W_SPLIT) {
		pid = fork();
		if (pid < 0)
			return hb_fail(pt, "fork: %s", strerror(errno));
		if (!pid)
			split_walker(mr->buf, mr->len + WALK_PAGES * PAGE_SZ, mr->log);
		mr->kids[mr->nkids++] = pid;
	} else if (walker == W_MIGRATE || walker == W_COMPACT) {
		if (pthread_create(&mr->thread, NULL,
				   walker == W_MIGRATE ? migrate_walker : compact_walker, mr))
			return hb_fail(pt, "pthread_create failed");
		mr->thread_on = true;
	}
	/* the walker is going before anything is timed */
	while (walker != W_NONE && atomic_load(mr->rounds) < 2)
		sched_yield();
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The walker's side of a pass: its rounds logged from @r0 up to now, split
 * into those that overlapped the mark's [@m0, @m1] and those that did not,
 * the median of each recorded as a sample of its series.
 */
static void walker_rounds(struct hb_meter *m, struct walk_log *log, unsigned long r0,
			  uint64_t m0, uint64_t m1)
{
	static uint64_t beside[RING], alone[RING];
	unsigned long r1 = atomic_load(&log->rounds), r;
	size_t nb = 0, na = 0;
	char name[64], unit[64];

	if (r1 - r0 > RING - 1)
		r0 = r1 - (RING - 1);
	for (r = r0; r < r1; r++) {
		uint64_t a = log->t[r % RING][0], b = log->t[r % RING][1];

		if (b < a)	/* being written as we read */
			continue;
		if (a <= m1 && b >= m0)
			beside[nb++] = b - a;
		else
			alone[na++] = b - a;
	}
	snprintf(unit, sizeof(unit), "%s/round", hb_time_unit());
	if (nb) {
		qsort(beside, nb, sizeof(*beside), cmp_u64);
		snprintf(name, sizeof(name), "walker_round_%s_beside_mark",
			 hb_icount() ? "instructions" : "ns");
		hb_sample(m, name, beside[nb / 2], unit, HB_LOWER_IS_BETTER);
	}
	if (na) {
		qsort(alone, na, sizeof(*alone), cmp_u64);
		snprintf(name, sizeof(name), "walker_round_%s_alone",
			 hb_icount() ? "instructions" : "ns");
		hb_sample(m, name, alone[na / 2], unit, HB_LOWER_IS_BETTER);
	}
}

static int mark_rmap_pass(struct hb_point *pt, struct hb_meter *m)
{
	struct mark_rmap *mr = pt->priv;
	int walker = pt->v[P_WALKER];
	unsigned long tries = 0;
	uint64_t m0, m1;
	int ret;

	m0 = hb_clock_mono();
	hb_begin(m);
	do {
		ret = hmm_cmd(pt->hmm_fd, HMM_DMIRROR_EXCLUSIVE_NOCOPY, mr->buf, mr->mirror,
			      pt->v[P_PAGES], &mr->cpages);
	} while (ret == -EBUSY && walker != W_NONE && pt->v[P_STATE] != S_THP &&
		 ++tries < MAX_RETRIES);
	hb_end(m, pt->v[P_PAGES]);
	m1 = hb_clock_mono();
	mr->rounds_at_end = mr->rounds ? atomic_load(mr->rounds) : 0;
	if (walker != W_NONE) {
		/* rounds since two before the mark (the first may be setup's) */
		walker_rounds(m, mr->log, 2, m0, m1);
		/* the rounds after the mark are the verify's wait: one */
	}
	if (ret == -ENOTTY || ret == -EINVAL)
		return hb_unsupported(pt, "no HMM_DMIRROR_EXCLUSIVE_NOCOPY: build with kernel-patches/test_hmm-instrumentation");
	if (ret == -EBUSY && pt->v[P_STATE] == S_THP)
		return hb_unsupported(pt, "EBUSY: the kernel refuses a THP in make_device_exclusive_range()");
	if (ret)
		return hb_fail(pt, "HMM_DMIRROR_EXCLUSIVE_NOCOPY: %s%s", strerror(-ret),
			       tries ? " (still, after a walker's every retry)" : "");
	if (!pt->warmup) {
		mr->retries += tries;
		mr->marks++;
	}
	return 0;
}

static void stop_walker(struct mark_rmap *mr)
{
	atomic_store(&mr->stop, true);
	if (mr->thread_on)
		pthread_join(mr->thread, NULL);
	mr->thread_on = false;
}

static int mark_rmap_verify(struct hb_point *pt)
{
	struct mark_rmap *mr = pt->priv;
	unsigned long npages = pt->v[P_PAGES];
	int walker = pt->v[P_WALKER];
	unsigned int k, wait = 0;
	bool stuck;
	long bad;
	int ret;

	/*
	 * the walker was inside a round when the mark ended: that round ends
	 * later. (A round of 64 pages can outlast a whole mark, so counting
	 * rounds completed during the mark would fail where it did contend.)
	 */
	while (walker != W_NONE && atomic_load(mr->rounds) == mr->rounds_at_end &&
	       wait++ < WALKER_WAIT_MS)
		usleep(1000);
	stuck = walker != W_NONE && atomic_load(mr->rounds) == mr->rounds_at_end;
	stop_walker(mr);
	if (stuck)
		return hb_fail(pt, "the %s walker finished no round in %d ms after the mark (%lu before): it did not run beside it",
			       walkers[walker], WALKER_WAIT_MS, mr->rounds_at_end);
	for (k = 0; k < mr->nkids; k++)
		if (waitpid(mr->kids[k], NULL, WNOHANG) != 0)
			return hb_fail(pt, "sharing child %u is gone", k);
	for (k = 0; k < mr->nchain; k++)
		if (kill(mr->chain[k], 0))
			return hb_fail(pt, "sharing child %u of the chain is gone", k);

	if (mr->cpages != npages)
		return hb_fail(pt, "the device took %lu of %lu pages", mr->cpages, npages);
	ret = hmm_exclusive(pt->hmm_fd, mr->buf, npages);
	/* compaction may migrate a marked page (7.x), which revokes it */
	if (walker == W_COMPACT && ret == 0)
		mr->revoked += !pt->warmup;
	else if (ret != 1)
		return hb_fail(pt, "CHECK_EXCLUSIVE right after marking: %s, expected EPERM (still exclusive)",
			       ret ? strerror(-ret) : "0");
	bad = hb_check(mr->buf, mr->len, mr->seed);
	if (bad >= 0)
		return hb_fail(pt, "data changed under exclusive access at word %ld", bad);
	ret = hmm_exclusive(pt->hmm_fd, mr->buf, npages);
	if (ret)
		return hb_fail(pt, "CHECK_EXCLUSIVE after the CPU read every page: %s, expected 0 (revoked)",
			       ret == 1 ? "EPERM" : strerror(-ret));
	return 0;
}

static void mark_rmap_teardown(struct hb_point *pt)
{
	struct mark_rmap *mr = pt->priv;
	unsigned int k;

	stop_walker(mr);
	for (k = 0; k < mr->nkids; k++) {
		kill(mr->kids[k], SIGKILL);
		while (waitpid(mr->kids[k], NULL, 0) < 0 && errno == EINTR)
			;
	}
	mr->nkids = 0;
	/* the chain: all killed, then reaped first to last (each one's
	 * children are ours once it is gone: we are their subreaper) */
	for (k = 0; k < mr->nchain; k++)
		kill(mr->chain[k], SIGKILL);
	for (k = 0; k < mr->nchain; k++)
		while (waitpid(mr->chain[k], NULL, 0) < 0 && errno == EINTR)
			;
	mr->nchain = 0;
	if (mr->subreaper)
		prctl(PR_SET_CHILD_SUBREAPER, 0);
	mr->subreaper = false;
	HB_UNMAP(mr->map, mr->maplen);
	HB_UNMAP(mr->mirror, mr->len);
}

/*
 * The cost of a sharer: the slope of time per page against N, per state
 * and walker, over the points measured (at least three values of N).
 */
static void mark_rmap_summary(struct hb_point *const *pts, size_t n)
{
	double x[16], y[16], slope, icept, r2;
	const struct hb_stats *st;
	char name[64], unit[64];
	size_t i, j, m;

	for (i = 0; i < n; i++) {
		if (pts[i]->v[P_SHARERS] != 0 || !hb_point_stats(pts[i]))
			continue;
		for (j = 0, m = 0; j < n && m < 16; j++) {
			if (pts[j]->v[P_PAGES] != pts[i]->v[P_PAGES] ||
			    pts[j]->v[P_ORDER] != pts[i]->v[P_ORDER] ||
			    pts[j]->v[P_STATE] != pts[i]->v[P_STATE] ||
			    pts[j]->v[P_WALKER] != pts[i]->v[P_WALKER] ||
			    pts[j]->v[P_CHAIN] != pts[i]->v[P_CHAIN] ||
			    pts[j]->cpu_node != pts[i]->cpu_node ||
			    pts[j]->mem_node != pts[i]->mem_node ||
			    !(st = hb_point_stats(pts[j])))
				continue;
			x[m] = pts[j]->v[P_SHARERS];
			y[m++] = st->median;
		}
		if (m < 3 || hb_linfit(x, y, m, &slope, &icept, &r2))
			continue;
		snprintf(name, sizeof(name), "%s_per_page_per_sharer",
			 hb_icount() ? "instructions" : "ns");
		snprintf(unit, sizeof(unit), "%s/page/sharer", hb_time_unit());
		hb_summary(pts[i], P_SHARERS, name, slope, unit, HB_LOWER_IS_BETTER);
		hb_summary(pts[i], P_SHARERS, "fit_r2", r2, "r2", HB_HIGHER_IS_BETTER);
	}
}

static void mark_rmap_metrics(struct hb_point *pt, const struct hb_stats *st)
{
	struct mark_rmap *mr = pt->priv;

	hb_throughput(pt, st, "pages");
	if (pt->v[P_WALKER] == W_NONE || !mr->marks)
		return;
	hb_metric(pt, "mark_retries_per_mark", (double)mr->retries / mr->marks, "retries/mark",
		  HB_LOWER_IS_BETTER);
	if (pt->v[P_WALKER] == W_COMPACT)
		hb_rate(pt, "marks_revoked_by_compaction", mr->revoked, mr->marks,
			"revoked/marked");
}

const struct hb_bench bench_mark_rmap = {
	.name = "mark_rmap",
	.desc = "marking against the anon_vma's sharers, mapcount and a concurrent rmap walker (HMM_DMIRROR_EXCLUSIVE_NOCOPY)",
	.op = "page",
	.reps = 10,
	.explicit_only = true,
	/* the mark is timed beside its walker */
	.shared_regions = true,
	.priv_size = sizeof(struct mark_rmap),
	.params = {
		{ "pages", "range size in 4 KiB pages", "64", NULL, 1, 1 << 14, NULL },
		{ "sharers", "forked children in the range's anon_vma, each with its own copy",
		  "0,1,8,64", "0,8,64", 0, 1024, NULL },
		{ "order", "the caller's VMA first or last among the anon_vma's",
		  "first,last", NULL, 0, 0, orders },
		{ "state", "populated (mapcount 1), shared (mapcount 2) or thp (in a transparent huge page)",
		  "populated,shared,thp", "populated", 0, 0, states },
		{ "walker", "a concurrent rmap walker: none, migrate (readers), split (a writer), compact (the kernel's compaction)",
		  "none,migrate,split,compact", "none", 0, 0, walkers },
		{ "chain", "the sharers: breadth (the caller's children) or depth (a chain, each the previous one's child)",
		  "breadth,depth", NULL, 0, 0, chains },
	},
	.setup = mark_rmap_setup,
	.pass = mark_rmap_pass,
	.verify = mark_rmap_verify,
	.teardown = mark_rmap_teardown,
	.metrics = mark_rmap_metrics,
	.summary = mark_rmap_summary,
};
