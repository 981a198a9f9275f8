/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test_hmm driver's uAPI (lib/test_hmm_uapi.h, unchanged from 5.14 to
 * at least 6.15), which kernel headers do not install.
 */
#ifndef HMMBENCH_HMM_H
#define HMMBENCH_HMM_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tracepoint.h"

#define HMM_DEVICE	"/dev/hmm_dmirror0"

struct hmm_dmirror_cmd {
	__u64 addr;	/* user address the device reads or writes */
	__u64 ptr;	/* buffer the device's data is copied to or from */
	__u64 npages;
	__u64 cpages;	/* out: pages copied */
	__u64 faults;	/* out: device page faults */
};

#define HMM_DMIRROR_MIGRATE_TO_DEV	_IOWR('H', 0x02, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_MIGRATE_TO_SYS	_IOWR('H', 0x03, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_SNAPSHOT		_IOWR('H', 0x04, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_EXCLUSIVE		_IOWR('H', 0x05, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_CHECK_EXCLUSIVE	_IOWR('H', 0x06, struct hmm_dmirror_cmd)
/*
 * Marks as HMM_DMIRROR_EXCLUSIVE does, without copying the range to ptr:
 * kernel-patches/test_hmm-instrumentation 0003. Other kernels: EINVAL.
 */
#define HMM_DMIRROR_EXCLUSIVE_NOCOPY	_IOWR('H', 0x40, struct hmm_dmirror_cmd)

/* HMM_DMIRROR_SNAPSHOT's byte per page (the bits hmmbench looks at) */
#define HMM_DMIRROR_PROT_WRITE			0x02
/* the page is part of a PMD mapped whole, a device THP too (7.x) */
#define HMM_DMIRROR_PROT_PMD			0x04
#define HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL	0x20

/*
 * One test_hmm command on @npages pages at @addr, device data to/from @buf.
 * Returns 0 or -errno; *@cpages (if not NULL) gets the pages copied.
 */
int hmm_cmd(int fd, unsigned long req, void *addr, void *buf,
	    unsigned long npages, unsigned long *cpages);

/*
 * CHECK_EXCLUSIVE: 1 while some page of the range is still mapped exclusive
 * by the device (the driver returns -EPERM), 0 once the CPU revoked them
 * all, or -errno.
 */
int hmm_exclusive(int fd, void *addr, unsigned long npages);

struct hb_point;
/*
 * Fails @pt (hb_fail, saying @when) unless CHECK_EXCLUSIVE finds every page
 * of [@addr, @addr + @len) revoked; returns 0 or HB_FAILED.
 */
int hmm_expect_revoked(struct hb_point *pt, void *addr, size_t len, const char *when);

/*
 * A driver that keeps marking: @req (HMM_DMIRROR_EXCLUSIVE or _NOCOPY) over
 * @npages at @buf in test_hmm's own 64-page chunks, round and round, until
 * *@stop; *@marks counts the ioctls done. EBUSY (a busy folio) and ENOENT
 * (an invalidation took the device's entries first) are what contention
 * looks like; another error is stored in *@err and fails @pt (HB_FAILED).
 */
int hmm_remark(struct hb_point *pt, unsigned long req, char *buf, uint64_t *mirror,
	       unsigned long npages, int *stop, int *marks, int *err);

/*
 * Marks @npages at @addr for exclusive device access (HMM_DMIRROR_EXCLUSIVE,
 * the device's copy into @mirror) and checks it: every page copied, the
 * range still exclusive (CHECK_EXCLUSIVE). 0, or HB_FAILED after hb_fail().
 */
int hmm_mark(struct hb_point *pt, void *addr, void *mirror, unsigned long npages);

/*
 * Marks @n pages @stride pages apart from @base (hb_page()), one ioctl
 * each, checks each device copy against the data of hb_page_seed(@seed, g)
 * and then that every page is still exclusive (no mark took another's).
 * 0, or HB_FAILED after hb_fail().
 */
int hmm_mark_pages(struct hb_point *pt, void *base, unsigned long n,
		   unsigned long stride, uint64_t seed);

/*
 * HMM_DMIRROR_SNAPSHOT: how many pages of the range are device-private
 * pages of this device (writable, as migration leaves them), or -errno;
 * *@pmd (if not NULL) gets how many of those are mapped by a PMD, parts of
 * a device THP. Taking the snapshot does not fault them back.
 */
long hmm_count_private_pmd(int fd, void *addr, unsigned long npages, long *pmd);
long hmm_count_private(int fd, void *addr, unsigned long npages);

/*
 * test_hmm's MMU notifier callback, dmirror_interval_invalidate, as two
 * trace events, its start and its end: the tracepoints of
 * kernel-patches/test_hmm-instrumentation 0001, or kprobe events on its
 * entry and return where a kernel lacks them, which see the range only.
 */
#define HMM_TP_START	"test_hmm/dmirror_invalidate_start"
#define HMM_TP_END	"test_hmm/dmirror_invalidate_end"
#define HMM_INV_FUNC	"dmirror_interval_invalidate"

struct hmm_inv_events {
	struct hb_tp_format fmt[2];	/* start (entry), end (return) */
	const struct hb_tp_field *s_start, *s_end;	/* the range, at the start */
	/* tracepoints only, else NULL: the event, the range and outcome at the end */
	const struct hb_tp_field *event, *e_start, *e_end, *atomic, *retry;
	/*
	 * The events a CPU fault restores an exclusive entry with: EXCLUSIVE
	 * up to 6.14, CLEAR since 6.15's rework; -1 unknown
	 */
	long exclusive, clear;
	int kprobe_offset;	/* kprobes: the range's offset in mmu_notifier_range */
	bool kprobes;		/* kprobe events added: hmm_inv_events_del() */
};

/* The tracepoints. 0, or HB_UNSUPPORTED or HB_FAILED after saying why. */
int hmm_inv_tracepoints(struct hb_point *pt, struct hmm_inv_events *ev);
/*
 * Kprobe events instead, plain int3 ones (hb_kprobes_plain()) until
 * hmm_inv_events_del(), which is due whatever this returns.
 */
int hmm_inv_kprobes(struct hb_point *pt, struct hmm_inv_events *ev);
void hmm_inv_events_del(struct hmm_inv_events *ev);

/*
 * What the running kernel's test_hmm offers, one "name: yes|no (why)" line
 * each on @f: the device, the instrumentation series' tracepoints,
 * invalidate_delay_ns and no-copy mark, marking a THP. Returns 2 without
 * the device, else 0.
 */
int hmm_features(FILE *f);

#endif
