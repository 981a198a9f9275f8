// SPDX-License-Identifier: GPL-2.0
/*
 * fork_lock: fork() beside a driver that holds the folio locks of its
 * exclusive pages without mmap_lock. fork() restores each device-exclusive
 * entry it copies, which takes only a trylock of the folio; on a busy folio
 * it fails (ENOMEM on 6.1) and nothing retries. test_hmm holds mmap_lock
 * while it marks, which fork excludes; nouveau drops it and programs the
 * GPU holding only the folio lock. With test_hmm's program_unlocked_ns
 * (kernel-patches/driver-programs-unlocked), a second thread re-marks the
 * range in nouveau's order, holding each chunk's folio locks for
 * program_ns of emulated device programming, while the first forks
 * @forks times a pass. The failure is a result: its rate, with a Wilson
 * 95% interval, and what a fork costs. Every successful fork's child
 * checks the data. Thread 0 forks on cpu_node, thread 1 on any CPU (one
 * vCPU in icount: the driver is preempted holding the lock, not beside).
 * Only with --bench.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hmm.h"
#include "hmmbench.h"

#define PARAM	"/sys/module/test_hmm/parameters/program_unlocked_ns"

enum { P_ENTRIES, P_PROGRAM, P_FORKS };

struct fork_lock {
	char *buf;
	size_t len;
	uint64_t *mirror;
	uint64_t seed;
	long old_param;
	int stop, marks, err;			/* shared with the driver thread */
	unsigned long attempts, failures;	/* over the kept visits */
	int bad_child;
};

static int fork_lock_setup(struct hb_point *pt)
{
	struct fork_lock *f = pt->priv;

	f->len = pt->v[P_ENTRIES] * PAGE_SZ;
	f->seed = (uint64_t)pt->visit << 32 | 0xf0;
	f->stop = f->marks = f->err = f->bad_child = 0;
	f->old_param = hb_num_file(PARAM, -1);
	if (f->old_param < 0)
		return hb_unsupported(pt, "no test_hmm program_unlocked_ns: build with kernel-patches/driver-programs-unlocked");
	if (hb_num_file(PARAM, pt->v[P_PROGRAM]) < 0)
		return hb_fail(pt, "setting program_unlocked_ns: %s", strerror(errno));
	f->buf = hb_map_anon(pt, f->len);
	if (!f->buf)
		return HB_FAILED;
	hb_fill(f->buf, f->len, f->seed);
	/* the device's buffer is not forked: only the entries count */
	f->mirror = hb_mirror_map(pt, f->len);
	if (!f->mirror)
		return HB_FAILED;
	return hmm_mark(pt, f->buf, f->mirror, pt->v[P_ENTRIES]);
}

/* the driver: re-marks the range, a chunk at a time, until told to stop */
static int driver(struct hb_point *pt)
{
	struct fork_lock *f = pt->priv;

	return hmm_remark(pt, HMM_DMIRROR_EXCLUSIVE_NOCOPY, f->buf, f->mirror,
			  pt->v[P_ENTRIES], &f->stop, &f->marks, &f->err);
}

static int child(void *arg)
{
	struct fork_lock *f = arg;

	return hb_check(f->buf, f->len, f->seed) >= 0;
}

static int fork_lock_thread(struct hb_point *pt, struct hb_meter *m, unsigned int idx)
{
	struct fork_lock *f = pt->priv;
	char name[64], unit[64];
	long k, t0;
	int status, ret = 0;
	pid_t pid;

	if (idx == 1) {
		hb_unbind_cpu();
		return driver(pt);
	}
	while (!__atomic_load_n(&f->marks, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&f->err, __ATOMIC_ACQUIRE))
		sched_yield();
	snprintf(unit, sizeof(unit), "%s/fork", hb_time_unit());
	for (k = 0; k < pt->v[P_FORKS] && !ret; k++) {
		t0 = __atomic_load_n(&f->marks, __ATOMIC_ACQUIRE);
		pid = hb_fork(m, 1, child, f);
		snprintf(name, sizeof(name), "%s_%s", pid < 0 ? "failed" : "ok",
			 hb_icount() ? "instructions" : "ns");
		hb_sample(m, name, hb_last_sample(m), unit, HB_LOWER_IS_BETTER);
		if (!pt->warmup) {
			f->attempts++;
			f->failures += pid < 0;
		}
		if (pid < 0 && -pid != ENOMEM && -pid != EBUSY) {
			ret = hb_fail(pt, "fork: %s", strerror(-pid));
			break;
		}
		if (pid > 0) {
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			if (!WIFEXITED(status) || WEXITSTATUS(status))
				f->bad_child = status ? status : -1;
		}
		/* let the driver mark again before the next fork */
		while (__atomic_load_n(&f->marks, __ATOMIC_ACQUIRE) < t0 + 2 &&
		       !__atomic_load_n(&f->err, __ATOMIC_ACQUIRE))
			sched_yield();
	}
	__atomic_store_n(&f->stop, 1, __ATOMIC_RELEASE);
	return ret;
}

static int fork_lock_pass(struct hb_point *pt, struct hb_meter *m)
{
	return hb_threads(pt, m, 2, fork_lock_thread);
}

static int fork_lock_verify(struct hb_point *pt)
{
	struct fork_lock *f = pt->priv;
	long bad;

	if (f->bad_child)
		return hb_fail(pt, "a child did not see the parent's data (wait status %#x)",
			       f->bad_child);
	if (hb_num_file(PARAM, -1) != pt->v[P_PROGRAM])
		return hb_fail(pt, "program_unlocked_ns does not read back %ld", pt->v[P_PROGRAM]);
	bad = hb_check(f->buf, f->len, f->seed);
	if (bad >= 0)
		return hb_fail(pt, "the parent's data changed at word %ld", bad);
	return 0;
}

static void fork_lock_teardown(struct hb_point *pt)
{
	struct fork_lock *f = pt->priv;

	if (f->old_param >= 0)
		hb_num_file(PARAM, f->old_param);
	HB_UNMAP(f->buf, f->len);
	HB_UNMAP(f->mirror, f->len);
}

/* the failure rate, with a Wilson score 95% interval */
static void fork_lock_metrics(struct hb_point *pt, const struct hb_stats *st)
{
	struct fork_lock *f = pt->priv;

	(void)st;
	if (!f->attempts)
		return;
	hb_rate(pt, "fork_failure_rate", f->failures, f->attempts, "failed/attempted");
	hb_metric(pt, "forks_attempted", f->attempts, "forks", HB_HIGHER_IS_BETTER);
}

const struct hb_bench bench_fork_lock = {
	.name = "fork_lock",
	.desc = "fork() beside a driver holding its exclusive folios' locks without mmap_lock (nouveau's order): failure rate and cost",
	.op = "fork",
	.reps = 5,
	.explicit_only = true,
	.priv_size = sizeof(struct fork_lock),
	.params = {
		{ "entries", "exclusive entries the parent holds", "256", NULL, 1, 1 << 16, NULL },
		{ "program_ns", "test_hmm's program_unlocked_ns: the driver's unlocked programming time (0: mmap_lock held)",
		  "0,1000,10000,100000", "0,10000", 0, 100000000, NULL },
		{ "forks", "forks a pass", "20", NULL, 1, 10000, NULL },
	},
	.setup = fork_lock_setup,
	.pass = fork_lock_pass,
	.verify = fork_lock_verify,
	.teardown = fork_lock_teardown,
	.metrics = fork_lock_metrics,
};
