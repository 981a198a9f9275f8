// SPDX-License-Identifier: GPL-2.0
/*
 * restore: what one CPU access to a device-exclusive page costs (the fault
 * that restores the PTE and revokes the device's access), as a distribution
 * of single accesses, beside two reference faults measured the same way:
 * the cheapest minor fault (a resident memfd page refaulted after
 * MADV_DONTNEED) and a first-touch anonymous fault (a read maps the zero
 * page). The exclusive points report their ratio to both.
 *
 * Touched pages lie STRIDE pages apart: a read fault on a file mapping maps
 * the resident neighbours in its fault-around window (fault_around_bytes,
 * 64 KiB by default), which would leave most minor-fault accesses without a
 * fault. Each access must be counted as a page fault where page-faults can
 * be counted; a pass where one is not fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hmm.h"
#include "hmmbench.h"

#define STRIDE		16
#define MAX_THREADS	64
#define WORDS		(PAGE_SZ / 8)

enum { P_FAULT, P_ACCESS, P_ORDER, P_THREADS, P_PAGES };
enum { F_EXCLUSIVE, F_MINOR, F_ANON };
enum { A_READ, A_WRITE };
enum { O_SEQ, O_RANDOM };

static const char *const faults[] = { "exclusive", "minor", "anon", NULL };
static const char *const accesses[] = { "read", "write", NULL };
static const char *const orders[] = { "seq", "random", NULL };

struct restore {
	char *map;
	size_t len;
	uint64_t seed;
	uint32_t *order;		/* per thread: its pages, in access order */
	uint64_t sum[MAX_THREADS];	/* what each thread read */
};

/* Page @g (thread t's page j is g = t * pages + j) and its data. */
static uint64_t *page(const struct restore *r, unsigned long g)
{
	return hb_page(r->map, g, STRIDE);
}

static uint64_t page_seed(const struct restore *r, unsigned long g)
{
	return hb_page_seed(r->seed, g);
}

static uint64_t written(const struct restore *r, unsigned long g)
{
	return ~hb_pattern(page_seed(r, g), 0);
}

static int restore_setup(struct hb_point *pt)
{
	struct restore *r = pt->priv;
	unsigned long pages = pt->v[P_PAGES], n = pt->v[P_THREADS] * pages;
	unsigned long g, j, k;
	uint64_t rng;
	uint32_t tmp;
	int fd;

	/* time-sliced threads would measure the scheduler, not the fault */
	if (pt->v[P_THREADS] > hb_node_cpus(pt->cpu_node))
		return hb_unsupported(pt, "threads=%ld needs as many CPUs on cpu_node %d, which has %d",
				      pt->v[P_THREADS], pt->cpu_node,
				      hb_node_cpus(pt->cpu_node));
	r->seed = (uint64_t)pt->visit << 40;
	r->len = n * STRIDE * PAGE_SZ;
	r->order = malloc(n * sizeof(*r->order));
	if (!r->order)
		return hb_fail(pt, "out of memory");
	for (g = 0; g < n; g++)
		r->order[g] = g % pages;
	for (rng = r->seed, j = 0; pt->v[P_ORDER] == O_RANDOM && j < n; j += pages) {
		for (k = pages - 1; k > 0; k--) {	/* Fisher-Yates, per thread */
			g = hb_rand(&rng) % (k + 1);
			tmp = r->order[j + k];
			r->order[j + k] = r->order[j + g];
			r->order[j + g] = tmp;
		}
	}

	if (pt->v[P_FAULT] == F_MINOR) {
		fd = memfd_create("hmmbench-restore", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, r->len))
			return hb_fail(pt, "memfd: %s", strerror(errno));
		r->map = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		if (r->map == MAP_FAILED) {
			r->map = NULL;
			return hb_fail(pt, "mmap: %s", strerror(errno));
		}
	} else {
		r->map = hb_map_anon(pt, r->len);
		if (!r->map)
			return HB_FAILED;
	}
	if (pt->v[P_FAULT] == F_ANON)
		return 0;

	for (g = 0; g < n; g++)
		hb_fill(page(r, g), PAGE_SZ, page_seed(r, g));
	if (pt->v[P_FAULT] == F_MINOR) {
		/* drops the PTEs; the pages stay in the page cache */
		if (madvise(r->map, r->len, MADV_DONTNEED))
			return hb_fail(pt, "madvise(MADV_DONTNEED): %s", strerror(errno));
		return 0;
	}
	return hmm_mark_pages(pt, r->map, n, STRIDE, r->seed);
}

static int restore_thread(struct hb_point *pt, struct hb_meter *m,
			  unsigned int t)
{
	struct restore *r = pt->priv;
	unsigned long pages = pt->v[P_PAGES], j, g;
	const uint32_t *order = r->order + t * pages;
	volatile uint64_t *p;	/* the access is the measurement: emit it */
	uint64_t sum = 0;
	long long nf;

	for (j = 0; j < pages; j++) {
		g = t * pages + order[j];
		p = page(r, g);
		if (pt->v[P_ACCESS] == A_READ) {
			hb_begin(m);
			sum += *p;
			hb_end(m, 1);
		} else {
			uint64_t v = written(r, g);

			hb_begin(m);
			*p = v;
			hb_end(m, 1);
		}
	}
	r->sum[t] = sum;
	nf = hb_meter_faults(m);
	if (nf >= 0 && nf < (long long)pages)
		return hb_fail(pt, "thread %u: %lld page faults for %lu accesses: some access did not fault",
			       t, nf, pages);
	return 0;
}

static int restore_pass(struct hb_point *pt, struct hb_meter *m)
{
	return hb_threads(pt, m, pt->v[P_THREADS], restore_thread);
}

static int restore_verify(struct hb_point *pt)
{
	struct restore *r = pt->priv;
	unsigned long pages = pt->v[P_PAGES], t, j, g;
	bool anon = pt->v[P_FAULT] == F_ANON, rd = pt->v[P_ACCESS] == A_READ;
	uint64_t sum, *w;
	size_t i;

	for (t = 0; t < (unsigned long)pt->v[P_THREADS]; t++) {
		for (j = 0, sum = 0; j < pages; j++) {
			g = t * pages + j;
			w = page(r, g);
			if (w[0] != (!rd ? written(r, g) : anon ? 0 :
				     hb_pattern(page_seed(r, g), 0)))
				return hb_fail(pt, "page %lu: the %s left word 0 wrong",
					       g, accesses[pt->v[P_ACCESS]]);
			for (i = 1; anon && i < WORDS; i++)
				if (w[i])
					return hb_fail(pt, "page %lu: a new anonymous page is not zero", g);
			if (!anon && hb_check(w + 1, PAGE_SZ - 8, page_seed(r, g) + 1) >= 0)
				return hb_fail(pt, "page %lu: data not intact after the fault", g);
			sum += rd && !anon ? hb_pattern(page_seed(r, g), 0) : 0;
		}
		if (r->sum[t] != sum)
			return hb_fail(pt, "thread %lu read wrong data", t);
	}
	if (pt->v[P_FAULT] == F_EXCLUSIVE) {
		if (hmm_expect_revoked(pt, r->map, r->len, "after every page was touched"))
			return HB_FAILED;
	}
	/* a read first touch maps the shared zero page, which has no placement */
	return anon && rd ? 0 : hb_check_node_pages(pt, r->map, pt->v[P_THREADS] * pages, STRIDE);
}

static void restore_teardown(struct hb_point *pt)
{
	struct restore *r = pt->priv;

	if (r->map)
		munmap(r->map, r->len);
	free(r->order);
	r->map = NULL;
	r->order = NULL;
}

static void ratio(struct hb_point *pt, const struct hb_stats *st,
		  struct hb_point *const *pts, size_t n, int ref, const char *name)
{
	struct hb_point *q = hb_point_like(pts, n, pt, P_FAULT, ref);
	const struct hb_stats *rs = q ? hb_point_stats(q) : NULL;
	char p99[64];

	if (!rs)
		return;
	hb_metric(pt, name, st->median / rs->median, "ratio", HB_LOWER_IS_BETTER);
	snprintf(p99, sizeof(p99), "p99_%s", name);
	hb_metric(pt, p99, st->p99 / rs->p99, "ratio", HB_LOWER_IS_BETTER);
}

static void restore_summary(struct hb_point *const *pts, size_t n)
{
	const struct hb_stats *st;
	size_t k;

	for (k = 0; k < n; k++) {
		st = hb_point_stats(pts[k]);
		if (!st || pts[k]->v[P_FAULT] != F_EXCLUSIVE)
			continue;
		ratio(pts[k], st, pts, n, F_MINOR, "ratio_to_minor_fault");
		ratio(pts[k], st, pts, n, F_ANON, "ratio_to_first_touch");
	}
}

const struct hb_bench bench_restore = {
	.name = "restore",
	.desc = "latency of one CPU access to a device-exclusive page, beside a minor and a first-touch fault",
	.op = "access",
	.reps = 5,
	.mem_node_def = "0,1",
	.mem_node_quick = "0",
	.priv_size = sizeof(struct restore),
	.params = {
		{ "fault", "page state before the access: device-exclusive, or a reference fault",
		  "exclusive,minor,anon", NULL, 0, 0, faults },
		{ "access", "CPU access", "read,write", NULL, 0, 0, accesses },
		{ "order", "order of the pages touched", "seq,random", NULL, 0, 0, orders },
		{ "threads", "threads touching their own pages at once", "1", NULL,
		  1, MAX_THREADS, NULL },
		{ "pages", "pages each thread touches per pass", "256", "64", 1, 1 << 16, NULL },
	},
	.setup = restore_setup,
	.pass = restore_pass,
	.verify = restore_verify,
	.teardown = restore_teardown,
	.summary = restore_summary,
	.headlines = {
		{ "restore: a CPU read of an exclusive page", NULL,
		  "fault=exclusive,access=read,order=seq,mem_node=0", "pages" },
		{ "  against the cheapest (minor) fault", "ratio_to_minor_fault",
		  "fault=exclusive,access=read,order=seq,mem_node=0", "pages" },
	},
	.plots = { { "cdf", .title = "restore latency CDF" } },
};
