// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include <string.h>

#include "hmm.h"
#include "hmmbench.h"

int hmm_cmd(int fd, unsigned long req, void *addr, void *buf,
	    unsigned long npages, unsigned long *cpages)
{
	struct hmm_dmirror_cmd cmd = {
		.addr = (uintptr_t)addr,
		.ptr = (uintptr_t)buf,
		.npages = npages,
	};

	while (ioctl(fd, req, &cmd)) {
		if (errno != EINTR)
			return -errno;
	}
	if (cpages)
		*cpages = cmd.cpages;
	return 0;
}

int hmm_exclusive(int fd, void *addr, unsigned long npages)
{
	int ret = hmm_cmd(fd, HMM_DMIRROR_CHECK_EXCLUSIVE, addr, NULL, npages,
			  NULL);

	if (ret == -EPERM)
		return 1;
	return ret;
}

long hmm_count_private_pmd(int fd, void *addr, unsigned long npages, long *pmd)
{
	unsigned char *perm = malloc(npages);
	unsigned long i;
	long n = 0, h = 0;
	int ret;

	if (!perm)
		return -ENOMEM;
	ret = hmm_cmd(fd, HMM_DMIRROR_SNAPSHOT, addr, perm, npages, NULL);
	for (i = 0; !ret && i < npages; i++) {
		if ((perm[i] & ~HMM_DMIRROR_PROT_PMD) !=
		    (HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL | HMM_DMIRROR_PROT_WRITE))
			continue;
		n++;
		h += !!(perm[i] & HMM_DMIRROR_PROT_PMD);
	}
	free(perm);
	if (pmd)
		*pmd = h;
	return ret ? ret : n;
}

long hmm_count_private(int fd, void *addr, unsigned long npages)
{
	return hmm_count_private_pmd(fd, addr, npages, NULL);
}

int hmm_mark(struct hb_point *pt, void *addr, void *mirror, unsigned long npages)
{
	unsigned long cp = 0;
	int ret;

	ret = hmm_cmd(pt->hmm_fd, HMM_DMIRROR_EXCLUSIVE, addr, mirror, npages, &cp);
	if (ret || cp != npages)
		return hb_fail(pt, "HMM_DMIRROR_EXCLUSIVE: %s (%lu of %lu pages copied)",
			       strerror(-ret), cp, npages);
	ret = hmm_exclusive(pt->hmm_fd, addr, npages);
	if (ret != 1)
		return hb_fail(pt, "CHECK_EXCLUSIVE after marking: %s, expected EPERM (still exclusive)",
			       ret ? strerror(-ret) : "0");
	return 0;
}

int hmm_mark_pages(struct hb_point *pt, void *base, unsigned long n,
		   unsigned long stride, uint64_t seed)
{
	uint64_t mirror[PAGE_SZ / 8];
	unsigned long g, cp = 0;
	int ret;

	for (g = 0; g < n; g++) {
		ret = hmm_cmd(pt->hmm_fd, HMM_DMIRROR_EXCLUSIVE, hb_page(base, g, stride),
			      mirror, 1, &cp);
		if (ret || cp != 1)
			return hb_fail(pt, "HMM_DMIRROR_EXCLUSIVE on page %lu: %s (%lu page copied)",
				       g, strerror(-ret), cp);
		if (hb_check(mirror, PAGE_SZ, hb_page_seed(seed, g)) >= 0)
			return hb_fail(pt, "the device's copy of page %lu differs", g);
	}
	for (g = 0; g < n; g++) {
		ret = hmm_exclusive(pt->hmm_fd, hb_page(base, g, stride), 1);
		if (ret != 1)
			return hb_fail(pt, "page %lu not exclusive after marking (CHECK_EXCLUSIVE: %s)",
				       g, ret ? strerror(-ret) : "0");
	}
	return 0;
}

int hmm_expect_revoked(struct hb_point *pt, void *addr, size_t len, const char *when)
{
	int ret = hmm_exclusive(pt->hmm_fd, addr, len / PAGE_SZ);

	if (!ret)
		return 0;
	return hb_fail(pt, "CHECK_EXCLUSIVE %s: %s, expected 0 (revoked)", when,
		       ret == 1 ? "EPERM" : strerror(-ret));
}

/* A fresh populated anonymous range of @len bytes at a @align boundary. */
static char *fresh(size_t len, size_t align, void **map, size_t *maplen, int advice)
{
	char *p;

	*maplen = len + align;
	*map = mmap(NULL, *maplen, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*map == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)*map + align - 1) & ~(align - 1));
	madvise(p, len, advice);
	memset(p, 1, len);
	return p;
}

static const char *tracefs_event(const char *ev)
{
	static const char *const roots[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing", NULL
	};
	static char path[256];
	int i;

	for (i = 0; roots[i]; i++) {
		snprintf(path, sizeof(path), "%s/events/%s/format", roots[i], ev);
		if (!access(path, R_OK))
			return path;
	}
	return NULL;
}

int hmm_features(FILE *f)
{
	const size_t huge = 2UL << 20;
	unsigned long cp = 0;
	size_t maplen;
	void *map;
	char *p;
	int fd, ret;

	fd = open(HMM_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(f, "device: no (%s: %s)\n", HMM_DEVICE, strerror(errno));
		return 2;
	}
	fprintf(f, "device: yes (%s)\n", HMM_DEVICE);
	fprintf(f, "tracepoints: %s\n",
		tracefs_event(HMM_TP_START) && tracefs_event(HMM_TP_END) ?
		"yes (test_hmm:dmirror_invalidate_start, _end)" :
		"no (no test_hmm trace events: kernel-patches/test_hmm-instrumentation 0001)");
	fprintf(f, "invalidate_delay_ns: %s\n",
		!access("/sys/module/test_hmm/parameters/invalidate_delay_ns", W_OK) ?
		"yes" : "no (kernel-patches/test_hmm-instrumentation 0002)");
	p = fresh(PAGE_SZ, PAGE_SZ, &map, &maplen, MADV_NOHUGEPAGE);
	ret = p ? hmm_cmd(fd, HMM_DMIRROR_EXCLUSIVE_NOCOPY, p, NULL, 1, &cp) : -ENOMEM;
	fprintf(f, "exclusive_nocopy: %s%s%s\n", !ret && cp == 1 ? "yes" : "no (",
		!ret && cp == 1 ? "" : ret ? strerror(-ret) : "no page marked",
		!ret && cp == 1 ? "" : "; kernel-patches/test_hmm-instrumentation 0003)");
	if (p)
		munmap(map, maplen);
	p = fresh(huge, huge, &map, &maplen, MADV_HUGEPAGE);
	ret = p ? hmm_cmd(fd, HMM_DMIRROR_EXCLUSIVE_NOCOPY, p, NULL, huge / PAGE_SZ, &cp) :
		  -ENOMEM;
	if (ret == -EINVAL && p) {
		char *buf = malloc(huge);

		ret = buf ? hmm_cmd(fd, HMM_DMIRROR_EXCLUSIVE, p, buf, huge / PAGE_SZ, &cp) :
			    -ENOMEM;
		free(buf);
	}
	fprintf(f, "exclusive_thp: %s%s%s\n", ret ? "no (" : "yes",
		ret ? strerror(-ret) : "", ret ? ")" : "");
	if (p)
		munmap(map, maplen);
	close(fd);
	return 0;
}

int hmm_remark(struct hb_point *pt, unsigned long req, char *buf, uint64_t *mirror,
	       unsigned long npages, int *stop, int *marks, int *err)
{
	unsigned long off = 0, n;
	bool copy = req == HMM_DMIRROR_EXCLUSIVE;
	int ret;

	while (npages && !__atomic_load_n(stop, __ATOMIC_ACQUIRE)) {
		n = npages - off < 64 ? npages - off : 64;
		ret = hmm_cmd(pt->hmm_fd, req, buf + off * PAGE_SZ,
			      mirror + (copy ? off * PAGE_SZ / 8 : 0), n, NULL);
		if (ret && ret != -EBUSY && ret != -ENOENT) {
			__atomic_store_n(err, -ret, __ATOMIC_RELEASE);
			return hb_fail(pt, "the re-marking driver: %s: %s",
				       copy ? "HMM_DMIRROR_EXCLUSIVE" : "HMM_DMIRROR_EXCLUSIVE_NOCOPY",
				       strerror(-ret));
		}
		__atomic_add_fetch(marks, 1, __ATOMIC_RELEASE);
		off = (off + n) % npages;
	}
	return 0;
}

int hmm_inv_tracepoints(struct hb_point *pt, struct hmm_inv_events *ev)
{
	char err[512];

	memset(ev, 0, sizeof(*ev));
	ev->exclusive = ev->clear = ev->kprobe_offset = -1;
	if (hb_tp_format(HMM_TP_START, &ev->fmt[0], err, sizeof(err)) ||
	    hb_tp_format(HMM_TP_END, &ev->fmt[1], err, sizeof(err)))
		return hb_unsupported(pt, "no test_hmm tracepoints (kernel-patches/test_hmm-instrumentation 0001): %s",
				      err);
	ev->s_start = hb_tp_field(&ev->fmt[0], "start");
	ev->s_end = hb_tp_field(&ev->fmt[0], "end");
	ev->event = hb_tp_field(&ev->fmt[0], "event");
	ev->e_start = hb_tp_field(&ev->fmt[1], "start");
	ev->e_end = hb_tp_field(&ev->fmt[1], "end");
	ev->atomic = hb_tp_field(&ev->fmt[1], "atomic");
	ev->retry = hb_tp_field(&ev->fmt[1], "retry");
	if (!ev->e_start || !ev->e_end || !ev->event || !ev->atomic || !ev->retry)
		return hb_fail(pt, "test_hmm tracepoints lack the fields start, end, event, atomic or retry");
	if (!ev->s_start || !ev->s_end)
		return hb_fail(pt, "%s has no start/end fields", ev->fmt[0].event);
	if (hb_tp_symbol(&ev->fmt[0], "EXCLUSIVE", &ev->exclusive))
		ev->exclusive = -1;
	if (hb_tp_symbol(&ev->fmt[0], "CLEAR", &ev->clear))
		ev->clear = -1;
	return 0;
}

/* What kprobe_layout() traces: a CPU read of an exclusive page, a revoke. */
static void read_page(void *p)
{
	(void)*(volatile uint64_t *)p;
}

#define KP_WORDS	6	/* words of struct mmu_notifier_range looked at */

/*
 * Where struct mmu_notifier_range, the callback's second argument, keeps
 * start and end differs between kernels (6.1 has a vma pointer before mm,
 * 6.2 on do not) and these kernels have no BTF to say: the revoke of a
 * page marked exclusive here invalidates [page, page + 4096), and the
 * offset holding that range is the layout. Found once per run; none
 * found, the fallback refuses.
 */
static int kprobe_layout(struct hb_point *pt)
{
	static int found = -1;
	unsigned long cp = 0;
	uint64_t mirror[PAGE_SZ / 8], want[2];
	volatile uint64_t *p;
	char err[512];
	int ret;

	if (found >= 0)
		return found;
	p = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return hb_fail(pt, "mmap: %s", strerror(errno));
	madvise((void *)p, PAGE_SZ, MADV_NOHUGEPAGE);
	p[0] = 1;
	want[0] = (uintptr_t)p;
	want[1] = want[0] + PAGE_SZ;
	ret = hmm_cmd(pt->hmm_fd, HMM_DMIRROR_EXCLUSIVE, (void *)p, mirror, 1, &cp);
	if (!ret)
		ret = hb_kprobe_layout(HMM_INV_FUNC, "%si", KP_WORDS, want, read_page,
				       (void *)p, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "marking a page: %s", strerror(-ret));
	munmap((void *)p, PAGE_SZ);
	if (ret < 0)
		return hb_unsupported(pt, "kprobe fallback: %s", err);
	return found = ret;
}

int hmm_inv_kprobes(struct hb_point *pt, struct hmm_inv_events *ev)
{
	char err[512], args[128];
	int off;

	memset(ev, 0, sizeof(*ev));
	ev->exclusive = ev->clear = ev->kprobe_offset = -1;
	ev->kprobes = true;
	hb_kprobes_plain();
	off = kprobe_layout(pt);
	if (off < 0)
		return off;
	ev->kprobe_offset = off;
	snprintf(args, sizeof(args), "start=+%d(%%si):u64 end=+%d(%%si):u64", off, off + 8);
	if (hb_kprobe_span(HMM_INV_FUNC, args, ev->fmt, err, sizeof(err)))
		return hb_unsupported(pt, "kprobe fallback: %s", err);
	ev->s_start = hb_tp_field(&ev->fmt[0], "start");
	ev->s_end = hb_tp_field(&ev->fmt[0], "end");
	if (!ev->s_start || !ev->s_end)
		return hb_fail(pt, "%s has no start/end fields", ev->fmt[0].event);
	return 0;
}

void hmm_inv_events_del(struct hmm_inv_events *ev)
{
	if (ev->kprobes) {
		hb_kprobe_span_del(HMM_INV_FUNC);
		hb_kprobes_restore();
	}
	ev->kprobes = false;
}
