// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE	/* memfd_create */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

static void die(const char *what)
{
	perror(what);
	abort();	/* a harness failure must not pass for a clean run */
}

const char *fuzz_file(int slot, const void *data, size_t len)
{
	static int fd[FUZZ_SLOTS];
	static char path[FUZZ_SLOTS][32];

	if (slot < 0 || slot >= FUZZ_SLOTS)
		abort();
	/* made once: the readers reopen the path, which starts at offset 0 */
	if (!fd[slot]) {
		fd[slot] = memfd_create("fuzz-input", MFD_CLOEXEC);
		if (fd[slot] < 0)
			die("memfd_create");
		snprintf(path[slot], sizeof(path[slot]), "/proc/self/fd/%d", fd[slot]);
	}
	if (ftruncate(fd[slot], 0) ||
	    (len && pwrite(fd[slot], data, len, 0) != (ssize_t)len))
		die("fuzz input write");
	return path[slot];
}

FILE *fuzz_sink(void)
{
	static FILE *f;

	if (!f) {
		f = fopen("/dev/null", "w");
		if (!f)
			die("/dev/null");
	}
	return f;
}
