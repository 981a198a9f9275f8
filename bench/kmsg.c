// SPDX-License-Identifier: GPL-2.0
/* The kernel log after each benchmark: any kernel report fails it. */
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>

#include "internal.h"
#include "kernel-reports.h"


/* Appends to @out (if not NULL) the alarming lines after the first @skip. */
size_t hb_kmsg_reports(size_t skip, json_t *out)
{
	int len = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	char *buf, *line, *save = NULL;
	size_t count = 0;
	int i;

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
		for (i = 0; hb_kernel_reports[i] && !strstr(line, hb_kernel_reports[i]); i++)
			;
		if (hb_kernel_reports[i] && count++ >= skip && out)
			json_array_append_new(out, json_string(line));
	}
	free(buf);
	return count;
}
