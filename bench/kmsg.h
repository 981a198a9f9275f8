/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel log followed while a benchmark runs (the stress benchmark):
 * /dev/kmsg read from where it stood when opened, each record matched
 * against config/kernel-reports as the harness's scan after each
 * benchmark (hb_kmsg_reports(), internal.h) matches dmesg, and a marker
 * the benchmark logs, to know it has read all that came before it.
 */
#ifndef HMMBENCH_KMSG_H
#define HMMBENCH_KMSG_H

#include <stdbool.h>

struct hb_kmsg {
	int fd;
	char marker[96];	/* the last marker logged */
	char report[512];	/* the first report line read, or "" */
	bool marker_seen;	/* the marker was read back */
	bool lost;		/* records overwritten before they were read */
};

/* Opens the log at its end, nothing read or seen yet. 0 or -errno. */
int hb_kmsg_open(struct hb_kmsg *k);
/*
 * Reads the records logged since the last call; keeps the first report.
 * After a marker: the first hb_kmsg_mark() comes before it.
 */
void hb_kmsg_poll(struct hb_kmsg *k);
/* Logs @line, one record. 0 or -errno. */
int hb_kmsg_write(const char *line);
/* Logs a new marker, printf-like, to be seen by a later hb_kmsg_poll(). */
int hb_kmsg_mark(struct hb_kmsg *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void hb_kmsg_close(struct hb_kmsg *k);

#endif
