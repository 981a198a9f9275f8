// SPDX-License-Identifier: GPL-2.0
/* Worker threads that start together, each timing with its own meter. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "placement.h"

struct worker {
	pthread_t th;
	struct hb_point *pt;
	struct hb_meter m;
	double counts[HB_NR_EVENTS];
	unsigned int idx;
	int ret;
	int (*fn)(struct hb_point *pt, struct hb_meter *m, unsigned int idx);
};

/* Workers start together, or none does if one was not made or not placed. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int ready;
	int go;			/* 1: start, -1: give up */
} gate = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int go;

	if (hb_place_cpu(w->pt->cpu_node, w->idx) < 0)
		w->ret = hb_fail(w->pt, "thread %u: cannot bind to a CPU of node %d",
				 w->idx, w->pt->cpu_node);
	hb_counters_open(&w->m.ctr);
	hb_meter_start(&w->m);
	pthread_mutex_lock(&gate.lock);
	gate.ready++;
	pthread_cond_broadcast(&gate.cond);
	while (!gate.go)
		pthread_cond_wait(&gate.cond, &gate.lock);
	go = gate.go;
	pthread_mutex_unlock(&gate.lock);
	if (!w->ret && go > 0)
		w->ret = w->fn(w->pt, &w->m, w->idx);
	hb_meter_counts(&w->m, w->counts);
	hb_counters_close(&w->m.ctr);
	return NULL;
}

void hb_unbind_cpu(void)
{
	hb_place_cpu(-1, 0);
}

int hb_bind_cpu(const struct hb_point *pt, unsigned int idx)
{
	return hb_place_cpu(pt->cpu_node, idx) < 0 ? -1 : 0;
}

int hb_node_cpus(int node)
{
	return hb_place_ncpus(node);
}

static void merge(struct hb_meter *m, struct worker *w)
{
	size_t i, k;
	int ev;

	for (ev = 0; ev < HB_NR_EVENTS; ev++)
		m->merged[ev] += w->counts[ev];
	m->ops += w->m.ops;
	m->regions += w->m.regions;
	if (w->m.nomem)
		m->nomem = true;
	if (hb_meter_grow(m, m->n + w->m.n))
		return;
	memcpy(m->s + m->n, w->m.s, w->m.n * sizeof(double));
	memcpy(m->irqs + m->n, w->m.irqs, w->m.n * sizeof(int));
	m->n += w->m.n;
	for (i = 0; i < w->m.nser; i++)
		for (k = 0; k < w->m.ser[i].n; k++)
			hb_sample(m, w->m.ser[i].name, w->m.ser[i].v[k],
				  w->m.ser[i].unit, w->m.ser[i].dir);
}

int hb_threads(struct hb_point *pt, struct hb_meter *m, unsigned int n,
	       int (*fn)(struct hb_point *pt, struct hb_meter *m,
			 unsigned int idx))
{
	struct worker *w = calloc(n, sizeof(*w));
	unsigned int i, made;
	int ret = 0;

	if (!w)
		return hb_fail(pt, "out of memory for %u threads", n);
	gate.ready = 0;
	gate.go = 0;
	for (made = 0; made < n; made++) {
		w[made] = (struct worker){ .pt = pt, .idx = made, .fn = fn };
		if (pthread_create(&w[made].th, NULL, worker_main, &w[made]))
			break;
	}
	pthread_mutex_lock(&gate.lock);
	while (gate.ready < made)
		pthread_cond_wait(&gate.cond, &gate.lock);
	gate.go = made == n ? 1 : -1;
	/* one that could not bind would leave the others waiting on it */
	for (i = 0; i < made; i++)
		if (w[i].ret)
			gate.go = -1;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);
	if (made < n)
		ret = hb_fail(pt, "cannot create thread %u of %u", made + 1, n);
	for (i = 0; i < made; i++) {
		pthread_join(w[i].th, NULL);
		if (w[i].ret && !ret)
			ret = w[i].ret;
		merge(m, &w[i]);
		free(w[i].m.s);
		free(w[i].m.irqs);
		hb_series_free(w[i].m.ser, &w[i].m.nser);
	}
	free(w);
	return ret;
}
