// SPDX-License-Identifier: GPL-2.0
/*
 * The stress benchmark's threads (bench_stress.c): CPU threads reading and
 * writing the ranges and checking their words, the device marking them,
 * fork, mprotect and remap, migration between nodes and compaction, each
 * until the pass stops it, counting what it did.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hmm.h"
#include "stress.h"

/* Whether @v can be word @w of that page at all (0 or any generation's value). */
static bool word_valid(uint64_t v, unsigned int r, unsigned int epoch,
		       unsigned int p, unsigned int w)
{
	return !v || v == word_val(r, epoch, p, w, v >> GEN_SHIFT);
}

/* The first word of a page that is not valid, or -1. */
static inline long page_invalid(const volatile uint64_t *pg, unsigned int r,
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

/* The main thread watches these counts while the threads run. */
static void count(unsigned long *ops, enum kind k, unsigned long n)
{
	__atomic_fetch_add(&ops[k], n, __ATOMIC_RELAXED);
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

void *stress_thread(void *arg)
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
