// SPDX-License-Identifier: GPL-2.0
/* The sample clock: rdtsc or CLOCK_MONOTONIC, its scale, the timer overhead. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define CALIBRATION_REGIONS	1000

/* The kernel keeps time with the TSC only if it found it stable. */
static bool tsc_is_clocksource(void)
{
	char cs[32] = "";
	FILE *f;

	f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	if (f) {
		if (!fgets(cs, sizeof(cs), f))
			cs[0] = 0;
		fclose(f);
	}
	return !strcmp(cs, "tsc\n");
}

/*
 * Pick the sample clock and its scale: TSC ticks against CLOCK_MONOTONIC
 * over 50 ms (in icount mode both count guest instructions).
 */
static void clock_setup(void)
{
	uint64_t t0, c0, t1, c1;

	hb_rs.tsc = false;
	hb_rs.tick = 1;
	if (!tsc_is_clocksource())
		return;
	hb_rs.tsc = true;
	t0 = mono_ns();
	c0 = now();
	do
		t1 = mono_ns();
	while (t1 - t0 < 50000000);
	c1 = now();
	t1 = mono_ns();
	hb_rs.tick = (double)(t1 - t0) / (double)(c1 - c0);
}

bool hb_icount(void)
{
	return hb_rs.o->mode_id == HB_MODE_ICOUNT;
}

const char *hb_time_unit(void)
{
	return hb_mode_time_unit(hb_rs.o->mode_id);
}

/* Timer overhead: the median of empty timed regions, and what they count. */
int hb_calibrate(void)
{
	struct hb_meter *m = &hb_rs.meter;
	double v[HB_NR_EVENTS];
	struct hb_stats st;
	int i, ev;

	clock_setup();
	hb_rs.overhead = 0;
	for (i = 0; i < 100; i++) {
		hb_begin(m);
		hb_end(m, 0);
	}
	hb_meter_start(m);
	for (i = 0; i < CALIBRATION_REGIONS; i++) {
		hb_begin(m);
		hb_end(m, 0);
	}
	if (m->nomem || hb_stats_compute(m->s, m->n, &st))
		return -ENOMEM;
	hb_meter_counts(m, v);
	for (ev = 0; ev < HB_NR_EVENTS; ev++)
		hb_rs.baseline[ev] = isnan(v[ev]) ? 0 : v[ev] / m->regions;
	hb_rs.overhead = st.median;
	json_object_set_new(hb_rs.context, "timer_overhead", json_pack(
			"{sf sf sf sf si ss sb}", "median", st.median,
			"min", st.min, "p99", st.p99, "mean", st.mean,
			"regions", CALIBRATION_REGIONS, "unit", hb_time_unit(),
			"subtracted", 1));
	/* the same for CLOCK_MONOTONIC regions (hb_begin_mono) */
	hb_meter_start(m);
	for (i = 0; i < CALIBRATION_REGIONS; i++) {
		hb_begin_mono(m);
		hb_end_mono(m, 0);
	}
	if (m->nomem || hb_stats_compute(m->s, m->n, &st))
		return -ENOMEM;
	hb_rs.mono_overhead = st.median;
	json_object_set_new(hb_rs.context, "timer_overhead_monotonic", json_pack(
			"{sf sf sf sf si ss}", "median", st.median, "min", st.min,
			"p99", st.p99, "mean", st.mean, "regions", CALIBRATION_REGIONS,
			"unit", hb_time_unit()));
	json_object_set_new(hb_rs.context, "clock", json_pack("{ss sf}",
			"source", hb_rs.tsc ? "rdtsc" : "clock_gettime(CLOCK_MONOTONIC)",
			"units_per_tick", hb_rs.tick));
	json_object_set_new(hb_rs.context, "counter_baseline_per_region", json_object());
	for (ev = 0; ev < HB_NR_EVENTS; ev++)
		if (!hb_event_unsupported(ev))
			json_object_set_new(json_object_get(hb_rs.context,
					    "counter_baseline_per_region"),
					    hb_event_name(ev), json_real(hb_rs.baseline[ev]));
	fprintf(stderr, "hmmbench: clock %s, timer overhead %.1f %s (median of %d empty regions; CLOCK_MONOTONIC regions %.1f), subtracted from every sample\n",
		hb_rs.tsc ? "rdtsc" : "clock_gettime", hb_rs.overhead, hb_time_unit(),
		CALIBRATION_REGIONS, hb_rs.mono_overhead);
	return 0;
}
