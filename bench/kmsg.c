// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel log: after each benchmark any kernel report fails it
 * (hb_kmsg_reports()), and a benchmark can follow it as it runs (kmsg.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <unistd.h>

#include "internal.h"
#include "kernel-reports.h"
#include "kmsg.h"

/* Whether @line is a kernel report: a WARNING, BUG, Oops, bad page, ... */
static bool kernel_report(const char *line)
{
	int i;

	for (i = 0; hb_kernel_reports[i]; i++)
		if (strstr(line, hb_kernel_reports[i]))
			return true;
	return false;
}

/* Appends to @out (if not NULL) the alarming lines after the first @skip. */
size_t hb_kmsg_reports(size_t skip, json_t *out)
{
	int len = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	char *buf, *line, *save = NULL;
	size_t count = 0;

	buf = len > 0 ? malloc(len + 1) : NULL;
	if (!buf)
		return 0;
	len = klogctl(3, buf, len);	/* SYSLOG_ACTION_READ_ALL */
	if (len < 0) {
		free(buf);
		return 0;
	}
	hb_rs.dmesg_ok = true;
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (kernel_report(line) && count++ >= skip && out)
			json_array_append_new(out, json_string(line));
	}
	free(buf);
	return count;
}

int hb_kmsg_open(struct hb_kmsg *k)
{
	k->report[0] = k->marker[0] = '\0';
	k->marker_seen = k->lost = false;
	k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0 || lseek(k->fd, 0, SEEK_END) < 0)
		return -errno;
	return 0;
}

void hb_kmsg_poll(struct hb_kmsg *k)
{
	char rec[8192], *msg, *end;
	ssize_t n;

	for (;;) {
		n = read(k->fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE) {
			k->lost = true;	/* overwritten before we read it */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		rec[n] = '\0';
		/* "prio,seq,time,flags;message\n" then " KEY=value" lines */
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		end = strchr(msg, '\n');
		if (end)
			*end = '\0';
		if (strstr(msg, k->marker))
			k->marker_seen = true;
		else if (!k->report[0] && kernel_report(msg))
			snprintf(k->report, sizeof(k->report), "%s", msg);
	}
}

/*
 * One record. It must end in a newline: the kernel keeps a record without
 * one open for continuation, and readers do not see it until the next.
 */
int hb_kmsg_write(const char *line)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC), ret;
	char rec[256];

	if (fd < 0)
		return -errno;
	snprintf(rec, sizeof(rec), "%s\n", line);
	ret = write(fd, rec, strlen(rec)) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

int hb_kmsg_mark(struct hb_kmsg *k, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(k->marker, sizeof(k->marker), fmt, ap);
	va_end(ap);
	k->marker_seen = false;
	return hb_kmsg_write(k->marker);
}

void hb_kmsg_close(struct hb_kmsg *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}
