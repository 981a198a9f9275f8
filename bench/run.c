// SPDX-License-Identifier: GPL-2.0
/*
 * The run: the benchmark table, points made from the sweeps, warm-up and
 * interleaved passes, statistics, summaries, partial results as it goes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "context.h"
#include "hmm.h"
#include "internal.h"
#include "placement.h"

#define HB_EXTERN(b)	extern const struct hb_bench b;
#define HB_ENTRY(b)	&b,
HB_BENCHES(HB_EXTERN)
const struct hb_bench *const hb_benches[] = { HB_BENCHES(HB_ENTRY) NULL };

const struct hb_param hb_common_params[] = {
	{ "cpu_node", "NUMA node whose CPU runs the benchmark", "0", NULL, 0, 63, NULL },
	{ "mem_node", "NUMA node the benchmark's memory is bound to", "0", NULL, 0, 63, NULL },
	{ 0 }
};

struct hb_run_state hb_rs = { .lock = PTHREAD_MUTEX_INITIALIZER };
volatile sig_atomic_t hb_stop_signal;
/* this benchmark is profiled: its kept passes' regions are */
static bool profiled;

static void on_signal(int sig)
{
	static const char msg[] =
		"hmmbench: a second signal: exiting now; results as last written (status partial)\n";

	/*
	 * The first waits for the pass to end; a pass that hangs never does.
	 * No teardown then: what a benchmark set (invalidate_delay_ns,
	 * kprobe events) stays set.
	 */
	if (hb_stop_signal) {
		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
		_exit(128 + sig);
	}
	hb_stop_signal = sig;
}

static struct pt_state *make_points(const struct hb_sel *s, size_t *npts)
{
	const struct hb_bench *b = s->bench;
	int np = hb_nparams(b), i;
	size_t idx[HB_NR_SWEEPS] = { 0 }, n = 1, k;
	struct pt_state *pts;

	for (i = 0; i < np + 2; i++)
		n *= s->nsweep[i];
	pts = calloc(n, sizeof(*pts));
	for (k = 0; pts && k < n; k++) {
		pts[k].pt.bench = b;
		for (i = 0; i < np; i++)
			pts[k].pt.v[i] = s->sweep[i][idx[i]];
		pts[k].pt.cpu_node = s->sweep[np][idx[np]];
		pts[k].pt.mem_node = s->sweep[np + 1][idx[np + 1]];
		pts[k].metrics = json_object();
		/* the last parameter varies fastest */
		for (i = np + 1; i >= 0; i--) {
			if (++idx[i] < s->nsweep[i])
				break;
			idx[i] = 0;
		}
	}
	*npts = n;
	return pts;
}

static int append_samples(struct pt_state *p, struct hb_meter *m)
{
	double v[HB_NR_EVENTS];
	size_t i, k;
	int ev;

	if (hb_samples_room(&p->samples, &p->irqs, &p->cap, p->n + m->n))
		return -ENOMEM;
	memcpy(p->samples + p->n, m->s, m->n * sizeof(*m->s));
	memcpy(p->irqs + p->n, m->irqs, m->n * sizeof(*m->irqs));
	p->n += m->n;
	p->ops += m->ops;
	p->regions += m->regions;
	hb_meter_counts(m, v);
	for (ev = 0; ev < HB_NR_EVENTS; ev++)
		p->ctr[ev] += v[ev];
	for (i = 0; i < m->nser; i++)
		for (k = 0; k < m->ser[i].n; k++)
			if (hb_series_add(p->ser, &p->nser, m->ser[i].name,
				       m->ser[i].unit, m->ser[i].dir,
				       m->ser[i].v[k]))
				return -ENOMEM;
	return 0;
}

/* One visit of a point: setup, pass, verify, teardown. */
static void visit(struct pt_state *p, bool keep)
{
	const struct hb_bench *b = p->pt.bench;
	struct hb_meter *m = &hb_rs.meter;
	char why[256];
	int ret;

	/* a node of a default sweep that this machine lacks */
	if (hb_place_check(p->pt.cpu_node, p->pt.mem_node, why, sizeof(why))) {
		if (p->status == HB_STATUS_INCOMPLETE)
			fprintf(stderr, "hmmbench: %s: %s: unsupported\n", b->name, why);
		hb_unsupported(&p->pt, "%s", why);
		return;
	}
	if (hb_place_cpu(p->pt.cpu_node, 0) < 0 || hb_place_mem(p->pt.mem_node)) {
		hb_fail(&p->pt, "cannot bind to cpu_node %d / mem_node %d: %s",
			p->pt.cpu_node, p->pt.mem_node, strerror(errno));
		return;
	}
	p->pt.visit++;
	p->pt.warmup = !keep;
	hb_rs.fifo_regions = hb_rs.fifo_permitted && !b->shared_regions;
	hb_meter_start(m);
	hb_rs.profiling = profiled && keep;
	if (hb_rs.profiling)
		hb_profile_point(p - p->b->pts);
	ret = b->setup(&p->pt);
	if (!ret)
		ret = b->pass(&p->pt, m);
	if (!ret)
		ret = b->verify(&p->pt);
	b->teardown(&p->pt);
	hb_rs.profiling = false;
	if (!ret && m->nomem)
		ret = hb_fail(&p->pt, "out of memory for samples");
	if (!ret && keep && append_samples(p, m))
		ret = hb_fail(&p->pt, "out of memory for samples");
	if (ret && hb_stop_signal) {
		/* interrupted, not failed: the point stays incomplete */
		p->status = HB_STATUS_INCOMPLETE;
		p->reason[0] = '\0';
		return;
	}
	if (ret && p->status == HB_STATUS_INCOMPLETE)
		hb_fail(&p->pt, "%s: error without a reason", b->name);
	if (ret) {
		char name[256];

		hb_point_name(p, name, sizeof(name));
		fprintf(stderr, "hmmbench: %s: %s: %s\n", name,
			hb_status_name(p->status), p->reason);
	}
}

/*
 * A sample that a timer or device interrupt landed in holds the handler
 * and its softirqs (RCU callbacks: some 10,000 instructions), at a phase
 * that in icount any change of code moves, in or out of a point's regions
 * (results/irq-regions-20261127). Samples with more interrupts than the
 * point's fewest are set apart, in order; a region longer than the tick
 * keeps those with as many as it must hold.
 */
static int set_apart_interrupted(struct pt_state *p)
{
	size_t i, k = 0, j = 0;
	int least = -1;

	p->kept_irqs = -1;
	for (i = 0; i < p->n; i++) {
		if (p->irqs[i] < 0)
			return 0;	/* not counted: every sample kept */
		if (least < 0 || p->irqs[i] < least)
			least = p->irqs[i];
	}
	p->kept_irqs = least;
	p->interrupted = malloc((p->n ? p->n : 1) * sizeof(double));
	if (!p->interrupted)
		return -ENOMEM;
	for (i = 0; i < p->n; i++) {
		if (p->irqs[i] == least)
			p->samples[k++] = p->samples[i];
		else
			p->interrupted[j++] = p->samples[i];
	}
	p->n = k;
	p->ninterrupted = j;
	return 0;
}

static void finish_point(struct pt_state *p)
{
	const struct hb_bench *b = p->pt.bench;
	char name[64], unit[64];
	int ret;

	if (p->status != HB_STATUS_INCOMPLETE)
		return;
	if (set_apart_interrupted(p)) {
		hb_fail(&p->pt, "out of memory for samples");
		return;
	}
	ret = hb_stats_compute(p->samples, p->n, &p->st);
	if (ret) {
		hb_fail(&p->pt, "no statistics: %s", strerror(-ret));
		return;
	}
	p->status = HB_STATUS_OK;
	snprintf(name, sizeof(name), "%s_per_%s",
		 hb_icount() ? "instructions" : "ns", b->op);
	snprintf(unit, sizeof(unit), "%s/%s", hb_time_unit(), b->op);
	hb_metric(&p->pt, name, p->st.median, unit, HB_LOWER_IS_BETTER);
	if (b->metrics)
		b->metrics(&p->pt, &p->st);
}

/*
 * Memory on another node against memory on the CPU's node, for each point
 * measured both ways: what the NUMA placement costs.
 */
static void numa_summary(struct bench_state *bs)
{
	const struct hb_bench *b = bs->bench;
	int i, np = hb_nparams(b);
	const struct hb_stats *st, *ls;
	char name[64], remote[32], local[32], unit[64];
	struct pt_state *p, *q;
	size_t k, j;

	snprintf(unit, sizeof(unit), "%s/%s", hb_time_unit(), b->op);
	for (k = 0; k < bs->npts; k++) {
		p = &bs->pts[k];
		st = hb_point_stats(&p->pt);
		if (!st || p->pt.mem_node == p->pt.cpu_node)
			continue;
		for (j = 0; j < bs->npts; j++) {
			q = &bs->pts[j];
			for (i = 0; i < np && q->pt.v[i] == p->pt.v[i]; i++)
				;
			if (i == np && q->pt.cpu_node == p->pt.cpu_node &&
			    q->pt.mem_node == p->pt.cpu_node)
				break;
		}
		ls = j < bs->npts ? hb_point_stats(&q->pt) : NULL;
		if (!ls)
			continue;
		snprintf(name, sizeof(name), "mem_node_%d_vs_local", p->pt.mem_node);
		snprintf(remote, sizeof(remote), "mem_node=%d", p->pt.mem_node);
		snprintf(local, sizeof(local), "mem_node=%d", p->pt.cpu_node);
		hb_summary_ratio(&p->pt, np + 1, name, remote, st->median, local,
				 ls->median, unit, HB_LOWER_IS_BETTER);
	}
}

/* Returns whether every point of the benchmark ran without failing. */
static bool run_bench(const struct hb_sel *s, struct bench_state *bs)
{
	const struct hb_bench *b = s->bench;
	unsigned int reps = hb_rs.o->reps, r;
	struct hb_point **ptrs;
	bool ok = true;
	size_t k, live;

	if (!reps)
		reps = hb_rs.o->quick ? HB_QUICK_REPS_OF(b) : b->reps;
	bs->started = true;
	fprintf(stderr, "hmmbench: %s: %zu point(s), 1 warm-up + %u pass(es) each\n",
		b->name, bs->npts, reps);
	if (hb_rs.o->profile) {
		char why[512];

		if (hb_profile_begin(b->name, why, sizeof(why))) {
			fprintf(stderr, "hmmbench: %s: --profile: %s\n", b->name, why);
			/* a finished run has no incomplete point: each failed, saying why */
			for (k = 0; k < bs->npts; k++)
				hb_fail(&bs->pts[k].pt, "--profile: %s", why);
			return false;
		}
		profiled = true;
	}
	for (k = 0; k < bs->npts && !hb_stop_signal; k++)
		visit(&bs->pts[k], false);
	for (r = 0; r < reps && !hb_stop_signal; r++) {
		/* rotate the order each round so drift spreads over all points */
		for (k = 0, live = 0; k < bs->npts && !hb_stop_signal; k++) {
			struct pt_state *p = &bs->pts[(k + r) % bs->npts];

			if (p->status != HB_STATUS_INCOMPLETE)
				continue;
			visit(p, true);
			live++;
		}
		if (hb_stop_signal)
			break;
		fprintf(stderr, "hmmbench: %s: round %u/%u done (%zu point(s) live)\n",
			b->name, r + 1, reps, live);
		hb_write_results(hb_run_status_name(HB_RUN_PARTIAL), false);
		if (!live)
			break;
	}
	if (profiled) {
		char **names = calloc(bs->npts, sizeof(*names));
		char why[512] = "out of memory";

		for (k = 0; names && k < bs->npts; k++) {
			names[k] = malloc(256);
			if (names[k])
				hb_point_name(&bs->pts[k], names[k], 256);
		}
		profiled = false;
		if (!names || hb_profile_end(b->name, names, bs->npts, why, sizeof(why))) {
			fprintf(stderr, "hmmbench: %s: --profile: %s\n", b->name, why);
			ok = false;
		}
		for (k = 0; names && k < bs->npts; k++)
			free(names[k]);
		free(names);
	}
	if (hb_stop_signal)
		return false;

	ptrs = malloc(bs->npts * sizeof(*ptrs));
	for (k = 0; k < bs->npts; k++) {
		finish_point(&bs->pts[k]);
		if (bs->pts[k].status == HB_STATUS_FAILED)
			ok = false;
		if (ptrs)
			ptrs[k] = &bs->pts[k].pt;
	}
	if (b->summary && ptrs)
		b->summary(ptrs, bs->npts);
	free(ptrs);
	numa_summary(bs);

	hb_rs.dmesg_seen += hb_kmsg_reports(hb_rs.dmesg_seen, bs->warnings);
	if (json_array_size(bs->warnings)) {
		fprintf(stderr, "hmmbench: %s: the kernel warned: %s\n", b->name,
			json_string_value(json_array_get(bs->warnings, 0)));
		ok = false;
	}
	hb_write_results(hb_run_status_name(HB_RUN_PARTIAL), false);
	return ok;
}

int hb_run(const struct hb_opts *o)
{
	struct sigaction sa = { .sa_handler = on_signal };
	char err[512];
	bool ok = true;
	size_t i, k;
	void *priv;
	int fd;

	hb_rs.o = o;
	fd = open(HMM_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			fprintf(stderr, "hmmbench: test_hmm not loaded: " HMM_DEVICE
				" missing; CONFIG_TEST_HMM=y/m needed\n");
		else
			fprintf(stderr, "hmmbench: cannot open " HMM_DEVICE ": %s\n",
				strerror(errno));
		return 2;
	}
	hb_counters_probe(o->profile != NULL);
	hb_rs.context = hb_context(o->mode_id, err, sizeof(err));
	if (!hb_rs.context) {
		fprintf(stderr, "hmmbench: %s\n", err);
		return 2;
	}
	json_object_set_new(hb_rs.context, "run", json_pack("{sO sb so}",
			    "argv", o->argv, "quick", o->quick,
			    "reps", o->reps ? json_integer(o->reps) : json_null()));
	hb_rs.bs = calloc(o->nsel, sizeof(*hb_rs.bs));
	for (i = 0; hb_rs.bs && i < o->nsel; i++) {
		struct bench_state *b = &hb_rs.bs[i];

		b->bench = o->sel[i].bench;
		b->pts = make_points(&o->sel[i], &b->npts);
		b->summary = json_array();
		b->warnings = json_array();
		for (k = 0; b->pts && k < b->npts; k++) {
			b->pts[k].b = b;
			b->pts[k].kept_irqs = -1;
			b->pts[k].pt.hmm_fd = fd;
			/*
			 * On pages of its own: a point's state (buffers the
			 * driver copies into, futex words) then sits where the
			 * mmaps before it put it, not where the heap's history
			 * (the results path, the kernel log) left it.
			 */
			priv = mmap(NULL, b->bench->priv_size ?: 1, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (priv == MAP_FAILED)
				break;
			b->pts[k].pt.priv = priv;
		}
		if (!b->pts || k < b->npts)
			break;
	}
	hb_counters_open(&hb_rs.meter.ctr);
	hb_regions_probe();
	if (i < o->nsel || hb_calibrate()) {
		fprintf(stderr, "hmmbench: out of memory\n");
		return 1;
	}
	if (o->profile) {
		err[0] = '\0';
		if (mkdir(o->profile, 0755) && errno != EEXIST)
			snprintf(err, sizeof(err), "%s", strerror(errno));
		else
			hb_profile_cost(hb_rs.context, err, sizeof(err));
		if (err[0]) {
			fprintf(stderr, "hmmbench: --profile %s: %s\n", o->profile, err);
			return 2;
		}
	}
	hb_utc_now(hb_rs.start, sizeof(hb_rs.start));
	hb_rs.dmesg_seen = hb_kmsg_reports(0, NULL);
	json_object_set_new(hb_rs.context, "dmesg_scanned", json_boolean(hb_rs.dmesg_ok));
	/* an unwritable --out should stop the run now, not after an hour */
	if (hb_write_results(hb_run_status_name(HB_RUN_PARTIAL), false))
		return 2;

	/* one at a time: two at once must not count as one */
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (i = 0; i < o->nsel && !hb_stop_signal; i++)
		if (!run_bench(&o->sel[i], &hb_rs.bs[i]))
			ok = false;
	hb_place_reset();

	if (hb_stop_signal) {
		hb_write_results(hb_run_status_name(HB_RUN_PARTIAL), false);
		fprintf(stderr, "hmmbench: interrupted by signal %d; partial results in %s\n",
			(int)hb_stop_signal, o->out);
		return 128 + hb_stop_signal;
	}
	if (hb_write_results(hb_run_status_name(ok ? HB_RUN_COMPLETE : HB_RUN_FAILED), true))
		return 1;
	{
		/* the headline table; hmmbench summary FILE prints it all */
		json_t *root = hb_results_json(hb_run_status_name(ok ? HB_RUN_COMPLETE : HB_RUN_FAILED),
					       true);

		hb_print_headline(root, NULL, stdout);
		fflush(stdout);
		json_decref(root);
	}
	fprintf(stderr, "hmmbench: %s: %s\n", ok ? "complete" : "FAILED", o->out);
	return ok ? 0 : 1;
}
