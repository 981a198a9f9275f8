// SPDX-License-Identifier: GPL-2.0
/* Data patterns, the device's copy buffer, THP and NUMA placement checks. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "placement.h"

void *hb_mirror_map(struct hb_point *pt, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		hb_fail(pt, "mmap: %s", strerror(errno));
		return NULL;
	}
	/* fault it in now so that no timed ioctl does; poison it */
	memset(p, 0xa5, len);
	madvise(p, len, MADV_DONTFORK);
	return p;
}

void *hb_map_anon(struct hb_point *pt, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		hb_fail(pt, "mmap: %s", strerror(errno));
		return NULL;
	}
	if (madvise(p, len, MADV_NOHUGEPAGE)) {
		hb_fail(pt, "madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
		munmap(p, len);
		return NULL;
	}
	return p;
}

void hb_fill(void *p, size_t len, uint64_t seed)
{
	uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = hb_pattern(seed, i);
}

long hb_check(const void *p, size_t len, uint64_t seed)
{
	const uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i] != hb_pattern(seed, i))
			return i;
	return -1;
}

int hb_check_node_pages(struct hb_point *pt, void *base, unsigned long n,
			unsigned long stride)
{
	unsigned long g;

	for (g = 0; g < n; g++)
		if (hb_check_node(pt, hb_page(base, g, stride), PAGE_SZ))
			return HB_FAILED;
	return 0;
}

long hb_anon_huge_kb(const void *addr)
{
	unsigned long start, end;
	char line[256];
	long kb = -1;
	bool in = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2)
			in = start <= (unsigned long)addr && (unsigned long)addr < end;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	if (f)
		fclose(f);
	return kb;
}

int hb_check_node(struct hb_point *pt, void *addr, size_t len)
{
	size_t i, n = len / PAGE_SZ;
	int node;

	if (!hb_numa_ok())
		return 0;
	for (i = 0; i < n; i++) {
		node = hb_page_node((char *)addr + i * PAGE_SZ);
		if (node != pt->mem_node)
			return hb_fail(pt, "the page at %p is on node %d, not on mem_node %d",
				       (char *)addr + i * PAGE_SZ, node, pt->mem_node);
	}
	return 0;
}

long hb_num_file(const char *path, long val)
{
	char buf[32] = "";
	long ret;
	int fd, n;

	fd = open(path, (val < 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (val >= 0) {
		n = snprintf(buf, sizeof(buf), "%ld\n", val);
		ret = write(fd, buf, n) == n ? val : -errno;
	} else {
		n = read(fd, buf, sizeof(buf) - 1);
		ret = n <= 0 ? -EIO : buf[0] == 'Y' ? 1 : buf[0] == 'N' ? 0 :
		      strtol(buf, NULL, 10);
	}
	close(fd);
	return ret;
}
