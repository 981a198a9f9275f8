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
 * metrics. The harness's warm-up visit runs for 1 s.
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
#include <numaif.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hmm.h"
#include "hmmbench.h"

#ifndef HMM_DMIRROR_WRITE
#define HMM_DMIRROR_WRITE	_IOWR('H', 0x01, struct hmm_dmirror_cmd)
#endif

#define WORDS		(PAGE_SZ / 8)
#define GEN_SHIFT	40
#define GEN_MAX		0xfffffeU	/* generations 1..GEN_MAX; 0 is unwritten */
#define CHILD_WORD	(~0ULL)		/* what a forked child writes: never valid */
#define KMSG_PLANT	"hmmbench-selftest: Bad page state planted by stress.plant=kmsg (not a kernel report)"

enum { P_SECONDS, P_THREADS, P_RANGES, P_PAGES, P_PLANT };
enum { PLANT_NONE, PLANT_CORRUPTION, PLANT_KMSG };
static const char *const plants[] = { "none", "corruption", "kmsg", NULL };

/* Role threads after the CPU threads. */
enum { R_MARK, R_FORK, R_VMA, R_MIGRATE, R_COMPACT, NR_ROLES };

enum kind {
	K_READ, K_WRITE, K_MARK, K_MARK_BUSY, K_FORK, K_FORK_ENOMEM, K_MPROTECT,
	K_REMAP, K_MOVE_PAGES, K_MIGRATE_PAGES, K_COMPACT, NR_OPS,
	K_PAGES_MOVED = NR_OPS, NR_KINDS
};
static const char *const kind_names[NR_KINDS] = {
	"cpu_reads", "cpu_writes", "marks", "marks_busy", "forks", "forks_enomem",
	"mprotects", "remaps", "move_pages_calls", "migrate_pages_calls",
	"compactions", "pages_moved"
};

struct range {
	pthread_rwlock_t lock;	/* write: the mapping changes (remap, mprotect) */
	char *addr;
	unsigned int epoch;	/* mappings so far: a remapped range reads 0 */
	bool ro;
};

struct stress {
	struct range *rg;
	unsigned int nr, np, nw;
	size_t len;		/* of one range */
	uint32_t *gen;		/* [writer][range][page]: last generation written */
	unsigned int *seen;	/* [writer][range]: the epoch that gen is of */
	uint64_t *mirror[NR_ROLES + 1];	/* device copy buffers, one per user */
	char *child_report;	/* MAP_SHARED: a forked child's finding */
	int stop, failed, planted;
	int other_node;		/* -1: no migration between nodes */
	int compact_fd;
	bool compacts;		/* /proc/sys/vm/compact_memory is writable */
	unsigned long ops[NR_KINDS];	/* this pass */
	unsigned long total[NR_KINDS];	/* kept passes */
	double seconds, total_seconds;
	int kmsg;
	char marker[96], report[512];
	bool marker_seen, lost;
};

struct thr {
	pthread_t th;
	struct hb_point *pt;
	unsigned int idx;
	uint64_t rnd;
	unsigned long ops[NR_KINDS];
	bool running;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Word @w of page @p of range @r in mapping @epoch, as generation @gen writes it. */
static uint64_t word_val(unsigned int r, unsigned int epoch, unsigned int p,
			 unsigned int w, uint32_t gen)
{
	uint64_t key = (uint64_t)r << 56 ^ (uint64_t)(epoch & 0xffffff) << 32 ^
		       (uint64_t)p << 9 ^ w;

	return (uint64_t)gen << GEN_SHIFT |
	       (mix(key + gen * 0x9e3779b97f4a7c15ULL) & ((1ULL << GEN_SHIFT) - 1));
}

/* Whether @v can be word @w of that page at all (0 or any generation's value). */
static bool word_valid(uint64_t v, unsigned int r, unsigned int epoch,
		       unsigned int p, unsigned int w)
{
	return !v || v == word_val(r, epoch, p, w, v >> GEN_SHIFT);
}

/* The first word of a page that is not valid, or -1. */
static long page_invalid(const volatile uint64_t *pg, unsigned int r,
			 unsigned int epoch, unsigned int p)
{
	unsigned int w;

	for (w = 0; w < WORDS; w++)
		if (!word_valid(pg[w], r, epoch, p, w))
			return w;
	return -1;
}

static uint64_t rnd(struct thr *t)
{
	t->rnd ^= t->rnd << 13;
	t->rnd ^= t->rnd >> 7;
	t->rnd ^= t->rnd << 17;
	return t->rnd;
}

static bool stopped(struct stress *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE);
}

/* The main thread watches these counts while the threads run. */
static void count(unsigned long *ops, enum kind k, unsigned long n)
{
	__atomic_fetch_add(&ops[k], n, __ATOMIC_RELAXED);
}

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

/* Fails the point and stops every thread. */
#define fail(pt, ...) ({ struct stress *s_ = (pt)->priv; \
			 __atomic_store_n(&s_->failed, 1, __ATOMIC_RELEASE); \
			 __atomic_store_n(&s_->stop, 1, __ATOMIC_RELEASE); \
			 hb_fail(pt, __VA_ARGS__); })

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/*
 * HMM_DMIRROR_EXCLUSIVE of range @r into @mirror, then every copied word
 * must be valid: the ioctl copies under the driver's lock, which a CPU
 * fault's invalidation waits for, so no write tears the copy. EBUSY (a page
 * not marked: locked, migrating, read-only) and ENOENT (invalidated before
 * the copy) are what concurrency looks like. Call with the range locked.
 */
static int mark(struct hb_point *pt, unsigned int r, uint64_t *mirror,
		unsigned long *ops)
{
	struct stress *s = pt->priv;
	struct range *rg = &s->rg[r];
	unsigned long cp = 0, p;
	long w;
	int ret;

	ret = hmm_cmd(pt->hmm_fd, HMM_DMIRROR_EXCLUSIVE, rg->addr, mirror, s->np, &cp);
	if (ret == -EBUSY || ret == -ENOENT) {
		count(ops, K_MARK_BUSY, 1);
		return 0;
	}
	if (ret)
		return fail(pt, "HMM_DMIRROR_EXCLUSIVE of range %u: %s", r, strerror(-ret));
	count(ops, K_MARK, 1);
	for (p = 0; p < s->np; p++) {
		w = page_invalid(mirror + p * WORDS, r, rg->epoch, p);
		if (w >= 0)
			return fail(pt, "device copy of range %u page %lu word %ld: %#llx is not a value any thread wrote",
				    r, p, w, (unsigned long long)mirror[p * WORDS + w]);
	}
	return 0;
}

/* CPU thread @t: reads and writes random pages, checking its own words. */
static void cpu_thread(struct thr *t)
{
	struct hb_point *pt = t->pt;
	struct stress *s = pt->priv;
	unsigned int r, p, w, i = t->idx;
	volatile uint64_t *pg;
	struct range *rg;
	uint32_t *gen, g;
	uint64_t want;
	long bad;

	while (!stopped(s)) {
		r = rnd(t) % s->nr;
		p = rnd(t) % s->np;
		rg = &s->rg[r];
		gen = &s->gen[(i * s->nr + r) * s->np + p];
		pthread_rwlock_rdlock(&rg->lock);
		if (s->seen[i * s->nr + r] != rg->epoch) {
			memset(&s->gen[(i * s->nr + r) * s->np], 0, s->np * sizeof(*gen));
			s->seen[i * s->nr + r] = rg->epoch;
		}
		pg = (volatile uint64_t *)(rg->addr + p * PAGE_SZ);
		for (w = i; w < WORDS; w += s->nw) {
			want = *gen ? word_val(r, rg->epoch, p, w, *gen) : 0;
			if (pg[w] != want) {
				fail(pt, "range %u page %u word %u: %#llx, thread %u wrote %#llx (generation %u)",
				     r, p, w, (unsigned long long)pg[w], i,
				     (unsigned long long)want, *gen);
				break;
			}
		}
		if (rg->ro || rnd(t) & 1) {
			bad = page_invalid(pg, r, rg->epoch, p);
			if (bad >= 0)
				fail(pt, "range %u page %u word %ld: %#llx is not a value any thread wrote",
				     r, p, bad, (unsigned long long)pg[bad]);
			count(t->ops, K_READ, 1);
		} else {
			g = *gen % GEN_MAX + 1;
			for (w = i; w < WORDS; w += s->nw)
				pg[w] = word_val(r, rg->epoch, p, w, g);
			*gen = g;
			count(t->ops, K_WRITE, 1);
		}
		pthread_rwlock_unlock(&rg->lock);
	}
}

static void mark_thread(struct thr *t)
{
	struct stress *s = t->pt->priv;
	unsigned int r;

	while (!stopped(s)) {
		r = rnd(t) % s->nr;
		pthread_rwlock_rdlock(&s->rg[r].lock);
		mark(t->pt, r, s->mirror[R_MARK], t->ops);
		pthread_rwlock_unlock(&s->rg[r].lock);
	}
}

/* In a forked child: every word valid; then a write to each writable page. */
static int child(struct stress *s)
{
	unsigned int r, p;
	volatile uint64_t *pg;
	long w;

	for (r = 0; r < s->nr; r++) {
		for (p = 0; p < s->np; p++) {
			pg = (volatile uint64_t *)(s->rg[r].addr + p * PAGE_SZ);
			w = page_invalid(pg, r, s->rg[r].epoch, p);
			if (w >= 0) {
				snprintf(s->child_report, PAGE_SZ,
					 "range %u page %u word %ld: %#llx is not a value any thread wrote",
					 r, p, w, (unsigned long long)pg[w]);
				return 1;
			}
			if (s->rg[r].ro)
				continue;
			pg[p % WORDS] = CHILD_WORD;
			if (pg[p % WORDS] != CHILD_WORD) {
				snprintf(s->child_report, PAGE_SZ,
					 "range %u page %u: its own write did not stick", r, p);
				return 1;
			}
		}
	}
	return 0;
}

/* Forks with every range locked (mapped), one of them just marked. */
static void fork_thread(struct thr *t)
{
	struct hb_point *pt = t->pt;
	struct stress *s = pt->priv;
	unsigned int r, n = 0;
	int status;
	pid_t pid;

	while (!stopped(s)) {
		for (r = 0; r < s->nr; r++)
			pthread_rwlock_rdlock(&s->rg[r].lock);
		mark(pt, n++ % s->nr, s->mirror[R_FORK], t->ops);
		pid = fork();
		if (!pid)
			_exit(child(s));
		status = errno;
		for (r = 0; r < s->nr; r++)
			pthread_rwlock_unlock(&s->rg[r].lock);
		/* 6.1 fails fork if it cannot lock an exclusive entry's folio */
		if (pid < 0 && status == ENOMEM) {
			count(t->ops, K_FORK_ENOMEM, 1);
			continue;
		}
		if (pid < 0) {
			fail(pt, "fork: %s", strerror(status));
			break;
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		count(t->ops, K_FORK, 1);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fail(pt, "forked child: %s (wait status %#x)",
			     s->child_report[0] ? s->child_report : "died", status);
	}
}

/* munmap, then mmap again where the kernel likes (near the old place). */
static int remap(struct hb_point *pt, struct range *rg)
{
	struct stress *s = pt->priv;
	char *p;

	if (munmap(rg->addr, s->len))
		return fail(pt, "munmap: %s", strerror(errno));
	p = mmap(rg->addr, s->len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return fail(pt, "mmap: %s", strerror(errno));
	rg->addr = p;
	rg->epoch++;
	if (madvise(p, s->len, MADV_NOHUGEPAGE))
		return fail(pt, "madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
	return 0;
}

/* Marks a range, then mprotects it read-only (for a while) or remaps it. */
static void vma_thread(struct thr *t)
{
	struct hb_point *pt = t->pt;
	struct stress *s = pt->priv;
	struct range *rg;
	unsigned int r, n = 0;
	int ret;

	while (!stopped(s)) {
		r = n % s->nr;
		rg = &s->rg[r];
		pthread_rwlock_wrlock(&rg->lock);
		mark(pt, r, s->mirror[R_VMA], t->ops);
		if (n++ & 1 && !(r == 0 && __atomic_load_n(&s->planted, __ATOMIC_ACQUIRE))) {
			if (!remap(pt, rg))
				count(t->ops, K_REMAP, 1);
			pthread_rwlock_unlock(&rg->lock);
			continue;
		}
		ret = mprotect(rg->addr, s->len, PROT_READ);
		rg->ro = !ret;
		pthread_rwlock_unlock(&rg->lock);
		if (ret) {
			fail(pt, "mprotect(PROT_READ): %s", strerror(errno));
			break;
		}
		usleep(2000);	/* readers fault on it read-only meanwhile */
		pthread_rwlock_wrlock(&rg->lock);
		ret = mprotect(rg->addr, s->len, PROT_READ | PROT_WRITE);
		rg->ro = ret;
		pthread_rwlock_unlock(&rg->lock);
		if (ret) {
			fail(pt, "mprotect(PROT_READ|PROT_WRITE): %s", strerror(errno));
			break;
		}
		count(t->ops, K_MPROTECT, 2);
	}
}

/* Moves ranges to the other node and back, every 5 s everything. */
static void migrate_thread(struct thr *t)
{
	struct hb_point *pt = t->pt;
	struct stress *s = pt->priv;
	int *nodes = calloc(s->np, sizeof(int)), *status = calloc(s->np, sizeof(int));
	void **pages = calloc(s->np, sizeof(void *));
	struct bitmask *from = numa_allocate_nodemask(), *to = numa_allocate_nodemask();
	unsigned int r, p, n = 0;
	double last = now_s() - 5;
	int dst;
	long ret;

	if (!nodes || !status || !pages || !from || !to) {
		fail(pt, "out of memory");
		goto out;
	}
	while (!stopped(s)) {
		dst = n++ & 1 ? pt->mem_node : s->other_node;
		/* the whole process, all threads' stacks too: every 5 s */
		if (now_s() - last >= 5) {
			last = now_s();
			numa_bitmask_clearall(from);
			numa_bitmask_clearall(to);
			numa_bitmask_setbit(from, dst == pt->mem_node ? s->other_node : pt->mem_node);
			numa_bitmask_setbit(to, dst);
			ret = numa_migrate_pages(0, from, to);
			if (ret < 0) {
				fail(pt, "migrate_pages: %s", strerror(errno));
				break;
			}
			count(t->ops, K_MIGRATE_PAGES, 1);
			continue;
		}
		r = rnd(t) % s->nr;
		pthread_rwlock_rdlock(&s->rg[r].lock);
		for (p = 0; p < s->np; p++) {
			pages[p] = s->rg[r].addr + p * PAGE_SZ;
			nodes[p] = dst;
		}
		/* per-page errors (busy, not present: exclusive) are fine */
		ret = numa_move_pages(0, s->np, pages, nodes, status, MPOL_MF_MOVE);
		pthread_rwlock_unlock(&s->rg[r].lock);
		if (ret < 0) {
			fail(pt, "move_pages: %s", strerror(errno));
			break;
		}
		count(t->ops, K_MOVE_PAGES, 1);
		for (p = 0; p < s->np; p++)
			count(t->ops, K_PAGES_MOVED, status[p] == dst);
	}
out:
	free(nodes);
	free(status);
	free(pages);
	if (from)
		numa_free_nodemask(from);
	if (to)
		numa_free_nodemask(to);
}

static void compact_thread(struct thr *t)
{
	struct stress *s = t->pt->priv;

	while (!stopped(s)) {
		if (pwrite(s->compact_fd, "1\n", 2, 0) != 2) {
			fail(t->pt, "write /proc/sys/vm/compact_memory: %s", strerror(errno));
			break;
		}
		count(t->ops, K_COMPACT, 1);
		usleep(10000);
	}
}

static void *thread_main(void *arg)
{
	struct thr *t = arg;
	struct stress *s = t->pt->priv;

	/* all threads share the CPUs: the harness bound the main thread to one */
	hb_unbind_cpu();
	if (t->idx < s->nw)
		cpu_thread(t);
	else if (t->idx == s->nw + R_MARK)
		mark_thread(t);
	else if (t->idx == s->nw + R_FORK)
		fork_thread(t);
	else if (t->idx == s->nw + R_VMA)
		vma_thread(t);
	else if (t->idx == s->nw + R_MIGRATE)
		migrate_thread(t);
	else
		compact_thread(t);
	return NULL;
}

/* The kernel log */

#include "kernel-reports.h"

static bool kernel_report(const char *msg)
{
	int i;

	for (i = 0; hb_kernel_reports[i]; i++)
		if (strstr(msg, hb_kernel_reports[i]))
			return true;
	return false;
}

/* Reads the records logged since the last call; keeps the first report. */
static void kmsg_poll(struct stress *s)
{
	char rec[8192], *msg, *end;
	ssize_t n;

	for (;;) {
		n = read(s->kmsg, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE) {
			s->lost = true;	/* overwritten before we read it */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		rec[n] = '\0';
		/* "prio,seq,time,flags;message\n" then " KEY=value" lines */
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		end = strchr(msg, '\n');
		if (end)
			*end = '\0';
		if (strstr(msg, s->marker))
			s->marker_seen = true;
		else if (!s->report[0] && kernel_report(msg))
			snprintf(s->report, sizeof(s->report), "%s", msg);
	}
}

/*
 * One record. It must end in a newline: the kernel keeps a record without
 * one open for continuation, and readers do not see it until the next.
 */
static int kmsg_write(const char *line)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC), ret;
	char rec[256];

	if (fd < 0)
		return -errno;
	snprintf(rec, sizeof(rec), "%s\n", line);
	ret = write(fd, rec, strlen(rec)) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

/* The benchmark */

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
	s->kmsg = s->compact_fd = -1;
	s->report[0] = '\0';
	s->marker_seen = s->lost = false;
	memset(s->ops, 0, sizeof(s->ops));

	s->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (s->kmsg < 0 || lseek(s->kmsg, 0, SEEK_END) < 0)
		return hb_fail(pt, "cannot read the kernel log: /dev/kmsg: %s", strerror(errno));

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

	snprintf(s->marker, sizeof(s->marker), "hmmbench: stress: pass %u start (pid %d)",
		 pt->visit, (int)getpid());
	ret = kmsg_write(s->marker);
	if (ret)
		return hb_fail(pt, "cannot write the kernel log: /dev/kmsg: %s", strerror(-ret));
	return 0;
}

static int plant(struct hb_point *pt)
{
	struct stress *s = pt->priv;
	int ret;

	if (pt->v[P_PLANT] == PLANT_KMSG) {
		ret = kmsg_write(KMSG_PLANT);
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
		if (pthread_create(&t[i].th, NULL, thread_main, &t[i])) {
			ret = fail(pt, "cannot create thread %u of %u", i + 1, n);
			break;
		}
		t[i].running = true;
	}
	/* for the time set, and until every kind of operation has run */
	while (!stopped(s) && (now_s() - t0 < seconds || !all_kinds_done(pt, t, i))) {
		usleep(100000);
		kmsg_poll(s);
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
	snprintf(s->marker, sizeof(s->marker), "hmmbench: stress: pass %u end (pid %d)",
		 pt->visit, (int)getpid());
	s->marker_seen = false;
	ret = kmsg_write(s->marker);
	if (ret)
		return hb_fail(pt, "cannot write the kernel log: /dev/kmsg: %s", strerror(-ret));
	kmsg_poll(s);
	if (s->report[0])
		return hb_fail(pt, "kernel report during the stress: %s", s->report);
	if (!s->marker_seen)
		return hb_fail(pt, "the kernel log did not show our end marker: cannot tell whether the kernel reported anything");
	if (s->lost)
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
	if (s->kmsg >= 0)
		close(s->kmsg);
	if (s->compact_fd >= 0)
		close(s->compact_fd);
	free(s->rg);
	free(s->gen);
	free(s->seen);
	s->rg = NULL;
	s->gen = NULL;
	s->seen = NULL;
	s->child_report = NULL;
	s->kmsg = s->compact_fd = -1;
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
