// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel profile movers: which functions' share of a benchmark's samples
 * moved between the baseline's profile and the candidate's (profile.json,
 * scripts/profile). perf diff would compare two perf.data files whole;
 * these are the samples inside the timed regions only, which perf report
 * selects per file (--time windows), so the shares are diffed here.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

static double count(const json_t *fn, const char *key)
{
	return json_number_value(json_object_get(fn, key));
}

/* @sym's samples (self or children) in @fns, -1 if absent */
static double find(const json_t *fns, const char *sym, const char *key)
{
	const json_t *fn;
	size_t i;

	json_array_foreach(fns, i, fn)
		if (!strcmp(json_string_value(json_object_get(fn, "symbol")) ?: "", sym))
			return count(fn, key);
	return -1;
}

/*
 * A two-proportion z: how many standard errors of binomial sampling noise
 * the share moved. Where one side has none, the pooled share still gives
 * the other side's count its weight.
 */
static double z_of(double b, double nb, double c, double nc)
{
	double p = (b + c) / (nb + nc), se = sqrt(p * (1 - p) * (1 / nb + 1 / nc));

	return se > 0 ? (c / nc - b / nb) / se : 0;
}

/*
 * A benchmark's own samples: all but interference, those under a device
 * or timer interrupt (scripts/profile), whose share follows the host's
 * load and timing as much as the kernel under test.
 */
static double own(const json_t *b)
{
	return count(b, "samples") - count(b, "interference_samples");
}

static int by_delta(const void *x, const void *y)
{
	double a = fabs(((const struct hb_mover *)x)->delta);
	double b = fabs(((const struct hb_mover *)y)->delta);

	return (a < b) - (a > b);
}

/*
 * The top movers by @key among the symbols of both sides, beyond @zmin
 * and @floor: @sign 0 either way, 1 those whose share grew, -1 those
 * whose share fell.
 */
static size_t movers(const json_t *bf, const json_t *cf, double nb, double nc,
		     const char *key, int sign, double zmin, double floor,
		     struct hb_mover *top)
{
	const json_t *sides[2] = { bf, cf }, *fn;
	struct hb_mover *all = NULL, *grown;
	size_t n = 0, i, s, k, kept;

	for (s = 0; s < 2; s++) {
		json_array_foreach(sides[s], i, fn) {
			const char *sym = json_string_value(json_object_get(fn, "symbol"));
			struct hb_mover m = { .symbol = sym };

			if (!sym || (s && find(bf, sym, key) >= 0))
				continue;	/* the baseline's pass had it */
			m.b = s ? 0 : count(fn, key);
			m.c = s ? count(fn, key) : fmax(0, find(cf, sym, key));
			m.bshare = 100 * m.b / nb;
			m.cshare = 100 * m.c / nc;
			m.delta = m.cshare - m.bshare;
			m.z = z_of(m.b, nb, m.c, nc);
			if (fabs(m.z) < zmin || fabs(m.delta) < floor ||
			    m.delta * sign < 0)
				continue;
			grown = realloc(all, (n + 1) * sizeof(*all));
			if (!grown)
				break;
			all = grown;
			all[n++] = m;
		}
	}
	if (n)
		qsort(all, n, sizeof(*all), by_delta);
	kept = n < HB_PROFILE_TOP ? n : HB_PROFILE_TOP;
	for (k = 0; k < kept; k++)
		top[k] = all[k];
	free(all);
	return kept;
}

/* @bench's profile in @root, NULL if none */
static const json_t *bench_of(const json_t *root, const char *bench)
{
	return root ? json_object_get(json_object_get(root, "benchmarks"), bench) : NULL;
}

double hb_profile_spread(const json_t *base, const json_t *cand, const char *bench)
{
	const json_t *bb = bench_of(base, bench), *cb = bench_of(cand, bench);
	struct hb_mover top[HB_PROFILE_TOP];
	double nb, nc, most = 0;
	const json_t *bf, *cf;

	if (!bb || !cb)
		return NAN;
	nb = own(bb);
	nc = own(cb);
	if (nb < HB_PROFILE_MIN_SAMPLES || nc < HB_PROFILE_MIN_SAMPLES)
		return NAN;
	bf = json_object_get(bb, "functions");
	cf = json_object_get(cb, "functions");
	/* every move counts: the largest is the first mover at no z or floor */
	if (movers(bf, cf, nb, nc, "self", 0, 0, 0, top))
		most = fabs(top[0].delta);
	if (movers(bf, cf, nb, nc, "children", 0, 0, 0, top))
		most = fmax(most, fabs(top[0].delta));
	return most;
}

void hb_profile_diff(const json_t *base, const json_t *cand, const char *bench,
		     double floor, struct hb_profile_diff *d)
{
	const json_t *bb, *cb, *bf, *cf;

	memset(d, 0, sizeof(*d));
	d->bench = bench;
	d->floor = fmax(floor, HB_PROFILE_MIN_PP);
	if (!base || !cand) {
		snprintf(d->why, sizeof(d->why), "no profile on the %s side",
			 !base && !cand ? "either" : !base ? "baseline" : "candidate");
		return;
	}
	bb = bench_of(base, bench);
	cb = bench_of(cand, bench);
	if (!bb || !cb) {
		snprintf(d->why, sizeof(d->why), "no profile of %s on the %s side",
			 bench, !bb ? "baseline" : "candidate");
		return;
	}
	d->have = true;
	d->nb = count(bb, "samples");
	d->nc = count(cb, "samples");
	d->cost_b = count(base, "cost_per_interrupt");
	d->cost_c = count(cand, "cost_per_interrupt");
	d->period = count(base, "period");
	d->ownb = own(bb);
	d->ownc = own(cb);
	if (d->ownb < HB_PROFILE_MIN_SAMPLES || d->ownc < HB_PROFILE_MIN_SAMPLES) {
		snprintf(d->why, sizeof(d->why),
			 "too thin to tell: %.0f vs %.0f samples outside interference (%d needed a side)",
			 d->ownb, d->ownc, HB_PROFILE_MIN_SAMPLES);
		return;
	}
	bf = json_object_get(bb, "functions");
	cf = json_object_get(cb, "functions");
	d->nself = movers(bf, cf, d->ownb, d->ownc, "self", 0, HB_PROFILE_Z, d->floor, d->self);
	d->nchildren = movers(bf, cf, d->ownb, d->ownc, "children", 0, HB_PROFILE_Z, d->floor,
			      d->children);
	d->nup = movers(bf, cf, d->ownb, d->ownc, "self", 1, HB_PROFILE_Z, d->floor, d->up);
	d->ndown = movers(bf, cf, d->ownb, d->ownc, "self", -1, HB_PROFILE_Z, d->floor, d->down);
	/* of all samples, with children: the whole of each interrupt (none: an older profile) */
	d->nintf = movers(json_object_get(bb, "interference"), json_object_get(cb, "interference"),
			  d->nb, d->nc, "children", 0, HB_PROFILE_Z, d->floor, d->intf);
	if (!d->nself && !d->nchildren)
		snprintf(d->why, sizeof(d->why),
			 "no function's share moved beyond noise (|z| < %g or under %g pp; %.0f vs %.0f samples outside interference)",
			 HB_PROFILE_Z, d->floor, d->ownb, d->ownc);
}

int hb_profile_diffs(struct hb_comparison *cmp, const struct hb_thresholds *th,
		     const char *setting)
{
	const struct hb_threshold_rule *r;
	struct hb_profile_diff *d;
	char id[128];
	size_t i, k;

	for (i = 0; i < cmp->n; i++) {
		const struct hb_metric *m = cmp->m[i].b ? cmp->m[i].b : cmp->m[i].c;
		struct hb_profile_diff *grown;

		for (k = 0; k < cmp->nprofiles && strcmp(cmp->profiles[k].bench, m->bench); k++)
			;
		if (k < cmp->nprofiles)
			continue;
		grown = realloc(cmp->profiles, (k + 1) * sizeof(*grown));
		if (!grown)
			return -1;
		cmp->profiles = grown;
		r = th && setting ? hb_threshold_rule(th, setting,
				hb_profile_rule_id(id, sizeof(id), m->bench)) : NULL;
		if (r && r->catchall)
			r = NULL;	/* a pattern: not this profile's noise */
		d = &cmp->profiles[cmp->nprofiles++];
		hb_profile_diff(cmp->base->profile, cmp->cand->profile, m->bench,
				r ? r->percent : 0, d);
		d->floor_rule = r && r->percent >= HB_PROFILE_MIN_PP ? r : NULL;
	}
	return 0;
}

const struct hb_profile_diff *hb_profile_of(const struct hb_comparison *cmp,
					    const char *bench)
{
	size_t k;

	for (k = 0; k < cmp->nprofiles; k++)
		if (!strcmp(cmp->profiles[k].bench, bench))
			return &cmp->profiles[k];
	return NULL;
}

bool hb_changed(const struct hb_cmp *c)
{
	return c->verdict == HB_V_REGRESSED || c->verdict == HB_V_IMPROVED ||
	       (c->verdict == HB_V_INCONCLUSIVE && !isnan(c->threshold) &&
		fabs(c->change) > c->threshold);
}
