/* SPDX-License-Identifier: GPL-2.0 */
/* The context of a run: what was measured where (docs/results-schema.md). */
#ifndef HMMBENCH_CONTEXT_H
#define HMMBENCH_CONTEXT_H

#include <jansson.h>
#include <stddef.h>

#include "results.h"

/*
 * The context object for @mode, without the timer and counter calibration,
 * which the harness adds. NULL and a reason in @err if the kernel build
 * info named by HMMBENCH_KERNEL_INFO is unreadable or for another kernel.
 */
json_t *hb_context(enum hb_mode mode, char *err, size_t errlen);

#endif
