/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stress benchmark's state, which bench_stress.c (the benchmark: its
 * setup, pass and checks) and stress_threads.c (the threads that load the
 * ranges during a pass) share, and the value scheme its checks rest on.
 */
#ifndef HMMBENCH_STRESS_H
#define HMMBENCH_STRESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "hmmbench.h"
#include "kmsg.h"

#define WORDS		(PAGE_SZ / 8)
#define GEN_SHIFT	40
#define GEN_MAX		0xfffffeU	/* generations 1..GEN_MAX; 0 is unwritten */
#define CHILD_WORD	(~0ULL)		/* what a forked child writes: never valid */

/* Role threads after the CPU threads. */
enum { R_MARK, R_FORK, R_VMA, R_MIGRATE, R_COMPACT, NR_ROLES };

enum kind {
	K_READ, K_WRITE, K_MARK, K_MARK_BUSY, K_FORK, K_FORK_ENOMEM, K_MPROTECT,
	K_REMAP, K_MOVE_PAGES, K_MIGRATE_PAGES, K_COMPACT, NR_OPS,
	K_PAGES_MOVED = NR_OPS, NR_KINDS
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
	struct hb_kmsg log;	/* followed from the pass's start marker */
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

static bool stopped(struct stress *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Fails the point and stops every thread. */
#define fail(pt, ...) ({ struct stress *s_ = (pt)->priv; \
			 __atomic_store_n(&s_->failed, 1, __ATOMIC_RELEASE); \
			 __atomic_store_n(&s_->stop, 1, __ATOMIC_RELEASE); \
			 hb_fail(pt, __VA_ARGS__); })

/* A thread of the pass (@arg, its struct thr), its role by its index. */
void *stress_thread(void *arg);

#endif
