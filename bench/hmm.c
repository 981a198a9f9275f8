// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
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

long hmm_count_private(int fd, void *addr, unsigned long npages)
{
	unsigned char *perm = malloc(npages);
	unsigned long i;
	long n = 0;
	int ret;

	if (!perm)
		return -ENOMEM;
	ret = hmm_cmd(fd, HMM_DMIRROR_SNAPSHOT, addr, perm, npages, NULL);
	for (i = 0; !ret && i < npages; i++)
		n += perm[i] == (HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL |
				 HMM_DMIRROR_PROT_WRITE);
	free(perm);
	return ret ? ret : n;
}

int hmm_expect_revoked(struct hb_point *pt, void *addr, size_t len, const char *when)
{
	int ret = hmm_exclusive(pt->hmm_fd, addr, len / PAGE_SZ);

	if (!ret)
		return 0;
	return hb_fail(pt, "CHECK_EXCLUSIVE %s: %s, expected 0 (revoked)", when,
		       ret == 1 ? "EPERM" : strerror(-ret));
}
