/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the libFuzzer targets of this directory. The readers
 * under test take paths, so an input is handed to them as a memfd, named
 * /proc/self/fd/N: no disk is touched and no file is left behind.
 */
#ifndef HMMBENCH_FUZZ_H
#define HMMBENCH_FUZZ_H

#include <stddef.h>
#include <stdio.h>

#define FUZZ_SLOTS	8

/* @len bytes of @data as the content of memfd @slot; returns its path. */
const char *fuzz_file(int slot, const void *data, size_t len);
/* A stream to /dev/null: reports are formatted in full, then dropped. */
FILE *fuzz_sink(void);

#endif
