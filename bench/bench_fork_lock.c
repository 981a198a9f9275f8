// SPDX-License-Identifier: GPL-2.0
/*
 * fork_lock: fork() beside a holder of the page locks of its exclusive
 * pages. fork() restores each device-exclusive entry it copies, which
 * takes only a trylock of the folio (copy_nonpresent_pte()); on a busy
 * folio it returns -EBUSY, which copy_pmd_range() turns into -ENOMEM, so
 * fork(2) fails with ENOMEM and nothing retries. Holders:
 * - driver: test_hmm re-marks the range in nouveau's order
 *   (kernel-patches/driver-programs-unlocked, program_unlocked=1): it drops
 *   mmap_lock after each chunk's mark and holds the chunk's page locks for
 *   program_ns of emulated device programming (a busy wait: in icount one
 *   instruction is one "ns", so the hold is built in, not measured). Every
 *   program_ns, 0 included, is the same order: the points differ only in
 *   how long the locks are held.
 * - compaction: test_hmm re-marks in its own order (mmap_lock held, which
 *   fork() excludes), while a thread compacts the memory node over and
 *   over (/sys/devices/system/node/nodeN/compact): compaction isolates,
 *   locks and tries to migrate the exclusive pages it finds, a real kernel
 *   holder of their page locks (where it finds them: 6.1 and 6.12 skip a
 *   page with more references than mappings, which an exclusive page,
 *   unmapped, is). program_ns must be 0 there. compactions_beside_forks
 *   counts its rounds, and pages_migrated_beside_forks what the kernel
 *   migrated meanwhile, where it counts vm events (not on tinyconfig).
 * - retry: off, or on: the kernel's fork_exclusive_retry
 *   (kernel-patches/fork-exclusive-retry), fork() waits for the page lock
 *   and retries the entry instead of failing. Writable at run time, so the
 *   two arms are points of one boot.
 * The first thread forks @forks times a pass, each fork timed (samples ok_*
 * and failed_* per outcome), and counts the failures by errno; the rate
 * has a Wilson 95% interval. Every successful fork's child checks the
 * data. Thread 0 forks on cpu_node, the others run on any CPU (one vCPU in
 * icount: a holder is preempted holding the lock, not beside). Only with
 * --bench.
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

#define PARAMS		"/sys/module/test_hmm/parameters/"
#define UNLOCKED	PARAMS "program_unlocked"
#define PROGRAM		PARAMS "program_ns"
#define RETRY		"/sys/module/kernel/parameters/fork_exclusive_retry"
#define VMSTAT		"/proc/vmstat"
#define HOLDER_WAIT_MS	30000	/* a live compaction ends a round within this */

enum { P_ENTRIES, P_PROGRAM, P_FORKS, P_RETRY, P_HOLDER };
enum { R_OFF, R_ON };
enum { H_DRIVER, H_COMPACTION };

static const char *const retries[] = { "off", "on", NULL };
static const char *const holders[] = { "driver", "compaction", NULL };

struct fork_lock {
	char *buf;
	size_t len;
	uint64_t *mirror;
	uint64_t seed;
	long old_unlocked, old_program, old_retry;
	char compact[96];			/* the node's compact file */
	int stop, marks, err;			/* shared with the other threads */
	unsigned long rounds, rounds_at_end;	/* compaction rounds */
	/* over the kept visits */
	unsigned long attempts, failures, enomem, ebusy;
	long long migrated;			/* pgmigrate_success, summed */
	unsigned long compactions;		/* rounds beside the forks */
	int bad_child;
};

/* /proc/vmstat's @name, or -1 */
static long long vmstat(const char *name)
{
	char line[128];
	size_t n = strlen(name);
	long long v = -1;
	FILE *f = fopen(VMSTAT, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ' ') {
			v = strtoll(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static int fork_lock_setup(struct hb_point *pt)
{
	struct fork_lock *f = pt->priv;
	bool driver = pt->v[P_HOLDER] == H_DRIVER;

	f->len = pt->v[P_ENTRIES] * PAGE_SZ;
	f->seed = (uint64_t)pt->visit << 32 | 0xf0;
	f->stop = f->marks = f->err = f->bad_child = 0;
	f->rounds = f->rounds_at_end = 0;
	f->old_unlocked = hb_num_file(UNLOCKED, -1);
	f->old_program = hb_num_file(PROGRAM, -1);
	f->old_retry = hb_num_file(RETRY, -1);
	if (f->old_unlocked < 0 || f->old_program < 0)
		return hb_unsupported(pt, "no test_hmm program_unlocked and program_ns: build with kernel-patches/driver-programs-unlocked");
	if (f->old_retry < 0 && pt->v[P_RETRY] == R_ON)
		return hb_unsupported(pt, "no fork_exclusive_retry: build with kernel-patches/fork-exclusive-retry");
	if (!driver && pt->v[P_PROGRAM])
		return hb_unsupported(pt, "program_ns is the emulated driver's hold: with holder=compaction, pass program_ns=0");
	if (!driver) {
		snprintf(f->compact, sizeof(f->compact),
			 "/sys/devices/system/node/node%d/compact", pt->mem_node);
		if (access(f->compact, W_OK))
			return hb_unsupported(pt, "%s: %s (CONFIG_COMPACTION)", f->compact,
					      strerror(errno));
	}
	if (hb_num_file(UNLOCKED, driver) < 0 ||
	    hb_num_file(PROGRAM, pt->v[P_PROGRAM]) < 0)
		return hb_fail(pt, "setting program_unlocked and program_ns: %s", strerror(errno));
	if (f->old_retry >= 0 && hb_num_file(RETRY, pt->v[P_RETRY]) < 0)
		return hb_fail(pt, "setting fork_exclusive_retry: %s", strerror(errno));
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

/* compaction: the node compacted over and over until told to stop */
static int compactor(struct hb_point *pt)
{
	struct fork_lock *f = pt->priv;

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
		if (hb_num_file(f->compact, 1) < 0) {
			__atomic_store_n(&f->err, errno, __ATOMIC_RELEASE);
			return hb_fail(pt, "writing %s: %s", f->compact, strerror(errno));
		}
		__atomic_add_fetch(&f->rounds, 1, __ATOMIC_RELEASE);
	}
	return 0;
}

static int child(void *arg)
{
	struct fork_lock *f = arg;

	return hb_check(f->buf, f->len, f->seed) >= 0;
}

static int fork_lock_thread(struct hb_point *pt, struct hb_meter *m, unsigned int idx)
{
	struct fork_lock *f = pt->priv;
	bool compaction = pt->v[P_HOLDER] == H_COMPACTION;
	char name[64], unit[64];
	long long mig0;
	long k, t0;
	int status, ret = 0;
	pid_t pid;

	if (idx == 1) {
		hb_unbind_cpu();
		return driver(pt);
	}
	if (idx == 2) {
		hb_unbind_cpu();
		return compactor(pt);
	}
	while ((!__atomic_load_n(&f->marks, __ATOMIC_ACQUIRE) ||
		(compaction && !__atomic_load_n(&f->rounds, __ATOMIC_ACQUIRE))) &&
	       !__atomic_load_n(&f->err, __ATOMIC_ACQUIRE))
		sched_yield();
	mig0 = compaction ? vmstat("pgmigrate_success") : 0;
	snprintf(unit, sizeof(unit), "%s/fork", hb_time_unit());
	for (k = 0; k < pt->v[P_FORKS] && !ret; k++) {
		t0 = __atomic_load_n(&f->marks, __ATOMIC_ACQUIRE);
		pid = hb_fork(m, 1, child, f);
		snprintf(name, sizeof(name), "%s_%s", pid < 0 ? "failed" : "ok",
			 hb_icount() ? "instructions" : "ns");
		hb_sample(m, name, hb_last_sample(m), unit, HB_LOWER_IS_BETTER);
		if (pid < 0 && -pid != ENOMEM && -pid != EBUSY) {
			ret = hb_fail(pt, "fork: %s (expected success, or ENOMEM from a busy exclusive page)",
				      strerror(-pid));
			break;
		}
		if (!pt->warmup) {
			f->attempts++;
			f->failures += pid < 0;
			f->enomem += pid == -ENOMEM;
			f->ebusy += pid == -EBUSY;
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
	if (compaction) {
		f->rounds_at_end = __atomic_load_n(&f->rounds, __ATOMIC_ACQUIRE);
		if (!pt->warmup) {
			f->compactions += f->rounds_at_end;
			/* without VM_EVENT_COUNTERS (tinyconfig) there is none */
			f->migrated = mig0 < 0 || f->migrated < 0 ? -1 :
				      f->migrated + vmstat("pgmigrate_success") - mig0;
		}
	}
	/* compaction: the round running as the forks ended ends too */
	for (k = 0; compaction && !ret && k < HOLDER_WAIT_MS &&
	     __atomic_load_n(&f->rounds, __ATOMIC_ACQUIRE) == f->rounds_at_end; k++)
		usleep(1000);
	if (compaction && !ret && __atomic_load_n(&f->rounds, __ATOMIC_ACQUIRE) == f->rounds_at_end)
		ret = hb_fail(pt, "compaction finished no round in %d ms after the forks: it did not run beside them",
			      HOLDER_WAIT_MS);
	__atomic_store_n(&f->stop, 1, __ATOMIC_RELEASE);
	return ret;
}

static int fork_lock_pass(struct hb_point *pt, struct hb_meter *m)
{
	return hb_threads(pt, m, pt->v[P_HOLDER] == H_COMPACTION ? 3 : 2, fork_lock_thread);
}

static int fork_lock_verify(struct hb_point *pt)
{
	struct fork_lock *f = pt->priv;
	long bad;

	if (f->bad_child)
		return hb_fail(pt, "a child did not see the parent's data (wait status %#x)",
			       f->bad_child);
	if (hb_num_file(UNLOCKED, -1) != (pt->v[P_HOLDER] == H_DRIVER) ||
	    hb_num_file(PROGRAM, -1) != pt->v[P_PROGRAM])
		return hb_fail(pt, "program_unlocked and program_ns do not read back %d and %ld",
			       pt->v[P_HOLDER] == H_DRIVER, pt->v[P_PROGRAM]);
	if (f->old_retry >= 0 && hb_num_file(RETRY, -1) != pt->v[P_RETRY])
		return hb_fail(pt, "fork_exclusive_retry does not read back %ld", pt->v[P_RETRY]);
	if (pt->v[P_RETRY] == R_ON && f->failures)
		return hb_fail(pt, "%lu forks failed with fork_exclusive_retry on (ENOMEM %lu, EBUSY %lu)",
			       f->failures, f->enomem, f->ebusy);
	bad = hb_check(f->buf, f->len, f->seed);
	if (bad >= 0)
		return hb_fail(pt, "the parent's data changed at word %ld", bad);
	return 0;
}

static void fork_lock_teardown(struct hb_point *pt)
{
	struct fork_lock *f = pt->priv;

	if (f->old_unlocked >= 0)
		hb_num_file(UNLOCKED, f->old_unlocked);
	if (f->old_program >= 0)
		hb_num_file(PROGRAM, f->old_program);
	if (f->old_retry >= 0)
		hb_num_file(RETRY, f->old_retry);
	HB_UNMAP(f->buf, f->len);
	HB_UNMAP(f->mirror, f->len);
}

/* the failure rate, with a Wilson score 95% interval, and its errnos */
static void fork_lock_metrics(struct hb_point *pt, const struct hb_stats *st)
{
	struct fork_lock *f = pt->priv;

	(void)st;
	if (!f->attempts)
		return;
	hb_rate(pt, "fork_failure_rate", f->failures, f->attempts, "failed/attempted");
	hb_metric(pt, "forks_attempted", f->attempts, "forks", HB_HIGHER_IS_BETTER);
	hb_metric(pt, "forks_failed_enomem", f->enomem, "forks", HB_LOWER_IS_BETTER);
	hb_metric(pt, "forks_failed_ebusy", f->ebusy, "forks", HB_LOWER_IS_BETTER);
	if (pt->v[P_HOLDER] != H_COMPACTION)
		return;
	hb_metric(pt, "compactions_beside_forks", f->compactions, "compactions",
		  HB_HIGHER_IS_BETTER);
	if (f->migrated >= 0)
		hb_metric(pt, "pages_migrated_beside_forks", f->migrated, "pages",
			  HB_HIGHER_IS_BETTER);
}

const struct hb_bench bench_fork_lock = {
	.name = "fork_lock",
	.desc = "fork() beside a holder of its exclusive pages' locks (a driver in nouveau's order, or compaction): failure rate, errno and cost, failing or retrying",
	.op = "fork",
	.reps = 5,
	.explicit_only = true,
	.priv_size = sizeof(struct fork_lock),
	.params = {
		{ "entries", "exclusive entries the parent holds", "256", NULL, 1, 1 << 16, NULL },
		{ "program_ns", "test_hmm's program_ns: how long the driver holds the page locks without mmap_lock (holder=driver)",
		  "0,100,1000,10000,100000", "0,1000,100000", 0, 100000000, NULL },
		{ "forks", "forks a pass", "20", NULL, 1, 10000, NULL },
		{ "retry", "the kernel's fork_exclusive_retry: off (fail the fork) or on (wait and retry)",
		  "off,on", "off", 0, 0, retries },
		{ "holder", "who holds the page locks: driver (test_hmm in nouveau's order) or compaction",
		  "driver,compaction", "driver", 0, 0, holders },
	},
	.setup = fork_lock_setup,
	.pass = fork_lock_pass,
	.verify = fork_lock_verify,
	.teardown = fork_lock_teardown,
	.metrics = fork_lock_metrics,
};
