// SPDX-License-Identifier: GPL-2.0
/*
 * hmmbench-compare: kernel A against kernel B from hmmbench results.
 *
 *   compare  tables (text, Markdown, JSON, HTML with plots)
 *   gate     KTAP and an exit status CI can act on: 0 no regression,
 *            1 a regression, 2 inputs that cannot be compared,
 *            3 inconclusive (more rounds would settle it)
 *   noise    thresholds from an A/A pair (the same kernel twice)
 *
 * This file is the command line; what the commands do is libcompare.a's
 * (gate.c the gate, compare.c the verdicts, noise.c A/A noise, report.c
 * and html.c the reports) over lib/libhmmbench.a's statistics; see
 * docs/compare.md for the method and the thresholds file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compare.h"
#include "gate.h"
#include "report.h"

#define PROG "hmmbench-compare"
#define MAX_CANDIDATES 15

enum fmt { FMT_TEXT, FMT_MARKDOWN, FMT_JSON, FMT_HTML };

struct opts {
	enum fmt fmt;
	bool fmt_given;
	const char *output, *thresholds, *th_mode, *describe;
	const char *outputs[4], *each, *loo;	/* noise's */
	bool merges[4];		/* outputs[i] is --merge's */
	size_t noutputs;
	double margin;		/* 0: the setting's (hb_rule_margin) */
	bool mix_hosts;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " compare [--format text|markdown|json|html] [--output FILE]\n"
"                        [--thresholds FILE] [--mode-thresholds SETTING]\n"
"                        BASELINE CANDIDATE [CANDIDATE...]\n"
"       " PROG " gate [--thresholds FILE] [--output FILE] [--mode-thresholds SETTING]\n"
"                     BASELINE CANDIDATE\n"
"       " PROG " rules [--thresholds FILE] SETTING\n"
"       (compare, gate and noise take --mix-hosts: rounds of one set from several hosts)\n"
"       " PROG " noise [--output FILE]... [--merge FILE]... [--describe TEXT] [--margin F]\n"
"                      [--each FMT] [--leave-one-out FMT] X Y [X Y ...]\n"
"A result set is a results.json, a directory of rounds (DIR/*/results.json,\n"
"else DIR/*.json) or a comma-separated list of files: repeated boots of one kernel.\n"
"gate exits 0: no regression, 1: a metric regressed, 2: inputs not comparable,\n"
"3: inconclusive (the KTAP says how many rounds would settle it).\n"
"rules exits 0 if the thresholds hold measured rules of SETTING (MODE[:quick]@FAMILY,\n"
"e.g. icount:quick@6.1), else 1 with one line saying so.\n"
"--output FILE for gate writes the report in the format its name ends in\n"
"(.json, .md, .html, else text); KTAP always goes to stdout.\n"
"noise: X Y are the two sets of an A/A pair (the same kernel twice); with\n"
"several pairs a metric's threshold is its largest noise over them.\n"
"--each FMT / --leave-one-out FMT: also the thresholds of each pair alone /\n"
"of all pairs but each, into FMT with %%d its number (from 1), %%%% a %%.\n"
"--merge FILE: in FILE replace only the rules of the metrics these pairs measured\n"
"(a campaign over some rows), keeping the setting's others and its provenance.\n"
"Thresholds: --thresholds, else $HMMBENCH_THRESHOLDS, else config/thresholds\n"
"beside this tool's tree. See docs/compare.md.\n");
}

static int parse_fmt(const char *s, enum fmt *f)
{
	static const char *const names[] = { "text", "markdown", "json", "html" };
	int i;

	for (i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*f = i;
			return 0;
		}
	return -1;
}

static enum fmt fmt_of_name(const char *path)
{
	const char *dot = path ? strrchr(path, '.') : NULL;

	if (dot && !strcmp(dot, ".json"))
		return FMT_JSON;
	if (dot && (!strcmp(dot, ".md") || !strcmp(dot, ".markdown")))
		return FMT_MARKDOWN;
	if (dot && (!strcmp(dot, ".html") || !strcmp(dot, ".htm")))
		return FMT_HTML;
	return FMT_TEXT;
}

/* config/thresholds of the tree this binary was built in, if there is one */
static const char *default_thresholds(void)
{
	static char path[4096];
	char exe[4096];
	ssize_t n;
	const char *env = getenv("HMMBENCH_THRESHOLDS");

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/../config/thresholds", dirname(exe));
	return access(path, R_OK) ? NULL : path;
}

/*
 * @fmt with its one "%d" replaced by @n and each "%%" by "%", into @buf
 * (only checked if @buf is NULL): 0, or -1 if @fmt is not such a path or
 * @buf is too small.
 */
static int pair_path(char *buf, size_t len, const char *fmt, size_t n)
{
	char num[32];
	size_t used = 0, k;
	int ds = 0;

	snprintf(num, sizeof(num), "%zu", n);
	for (; *fmt; fmt++) {
		const char *add = fmt;

		k = 1;
		if (*fmt == '%') {
			if (fmt[1] == 'd') {
				add = num;
				k = strlen(num);
				ds++;
			} else if (fmt[1] != '%') {
				return -1;
			}
			fmt++;
		}
		if (buf && used + k >= len)
			return -1;
		if (buf)
			memcpy(buf + used, add, k);
		used += k;
	}
	if (buf)
		buf[used] = '\0';
	return ds == 1 ? 0 : -1;
}

static int parse_opts(int argc, char **argv, struct opts *o, const char *cmd)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "thresholds", required_argument, NULL, 't' },
		{ "mode-thresholds", required_argument, NULL, 'm' },
		{ "describe", required_argument, NULL, 'd' },
		{ "mix-hosts", no_argument, NULL, 'x' },
		{ "merge", required_argument, NULL, 'M' },
		{ "margin", required_argument, NULL, 'g' },
		{ "each", required_argument, NULL, 'e' },
		{ "leave-one-out", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:o:t:m:d:g:xh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(cmd, "compare") || parse_fmt(optarg, &o->fmt)) {
				fprintf(stderr, PROG " %s: bad --format '%s' (text, markdown, json, html; compare only)\n",
					cmd, optarg);
				return -1;
			}
			o->fmt_given = true;
			break;
		case 'M':
			if (strcmp(cmd, "noise")) {
				fprintf(stderr, PROG " %s: --merge is noise's\n", cmd);
				return -1;
			}
			/* fall through */
		case 'o':
			/* noise writes its rules to each; a report goes to one */
			if (o->noutputs == ARRAY_SIZE(o->outputs) ||
			    (o->noutputs && strcmp(cmd, "noise"))) {
				fprintf(stderr, PROG " %s: too many --output or --merge (noise takes up to %zu, %s one --output)\n",
					cmd, ARRAY_SIZE(o->outputs), cmd);
				return -1;
			}
			if (c == 'o')
				o->output = optarg;
			o->merges[o->noutputs] = c == 'M';
			o->outputs[o->noutputs++] = optarg;
			break;
		case 'e':
		case 'l': {
			const char **fmt = c == 'e' ? &o->each : &o->loo;

			if (strcmp(cmd, "noise") || *fmt || pair_path(NULL, 0, optarg, 1)) {
				fprintf(stderr, PROG " %s: --%s takes one path with one %%d, the pair's number, and %%%% for a %%, once (noise only), got '%s'\n",
					cmd, c == 'e' ? "each" : "leave-one-out", optarg);
				return -1;
			}
			*fmt = optarg;
			break;
		}
		case 't':
			o->thresholds = optarg;
			break;
		case 'm':
			o->th_mode = optarg;
			break;
		case 'd':
			o->describe = optarg;
			break;
		case 'x':
			o->mix_hosts = true;
			break;
		case 'g':
			o->margin = strtod(optarg, &end);
			if (*end || strcmp(cmd, "noise") || !(o->margin >= 1 && o->margin <= 10)) {
				fprintf(stderr, PROG " %s: --margin takes a number in [1, 10] (noise only), got '%s'\n",
					cmd, optarg);
				return -1;
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (!o->fmt_given)
		o->fmt = fmt_of_name(o->output);
	return 0;
}

static int write_report(const struct report *r, enum fmt fmt, const char *path)
{
	char err[512];
	FILE *f = path ? fopen(path, "w") : stdout;
	json_t *j;
	int ret = 0;

	if (!f) {
		fprintf(stderr, PROG ": cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	switch (fmt) {
	case FMT_TEXT:
		report_text(f, r);
		break;
	case FMT_MARKDOWN:
		report_markdown(f, r);
		break;
	case FMT_JSON:
		j = report_json(r);
		ret = j ? json_dumpf(j, f, JSON_INDENT(1) | JSON_REAL_PRECISION(12)) : -1;
		fputc('\n', f);
		json_decref(j);
		break;
	case FMT_HTML:
		ret = report_html(f, r, err, sizeof(err));
		break;
	}
	if (path && fclose(f))
		ret = -1;
	else if (!path)
		fflush(f);
	if (ret)
		fprintf(stderr, PROG ": writing the report%s%s failed\n",
			path ? " to " : "", path ? path : "");
	return ret;
}

/* Thresholds: explicit path must load; the default may be absent. */
static int load_thresholds(const struct opts *o, struct hb_thresholds *th,
			   bool *have, char *err, size_t len)
{
	const char *path = o->thresholds ? o->thresholds : default_thresholds();

	*have = false;
	if (!path)
		return 0;
	if (hb_thresholds_load(th, path, err, len))
		return -1;
	*have = true;
	return 0;
}

static int cmd_compare(int argc, char **argv)
{
	struct hb_set sets[MAX_CANDIDATES + 1];
	struct hb_comparison cmps[MAX_CANDIDATES];
	struct hb_thresholds th;
	struct report r;
	struct opts o;
	char err[2048];
	int i, n, ret = 2;
	bool have_th;

	if (parse_opts(argc, argv, &o, "compare"))
		return 2;
	n = argc - optind;
	if (n < 2 || n > MAX_CANDIDATES + 1) {
		usage(stderr);
		return 2;
	}
	if (load_thresholds(&o, &th, &have_th, err, sizeof(err))) {
		fprintf(stderr, PROG " compare: %s\n", err);
		return 2;
	}
	for (i = 0; i < n; i++) {
		if (hb_set_load(&sets[i], argv[optind + i], err, sizeof(err)) ||
		    hb_set_mixed_hosts(&sets[i], o.mix_hosts, err, sizeof(err))) {
			fprintf(stderr, PROG " compare: %s\n", err);
			n = i + 1;
			goto out_sets;
		}
	}
	if (!o.th_mode)
		o.th_mode = sets[0].setting;
	if (have_th && !hb_thresholds_have_mode(&th, o.th_mode))
		fprintf(stderr, PROG " compare: %s has no thresholds for %s: metrics without a measured threshold are inconclusive\n",
			th.path, o.th_mode);
	for (i = 1; i < n; i++) {
		hb_compare(&sets[0], &sets[i], have_th ? &th : NULL, o.th_mode,
			   &cmps[i - 1], err, sizeof(err));
		if (cmps[i - 1].problem[0])
			fprintf(stderr, PROG " compare: %s vs %s: %s\n", sets[0].label,
				sets[i].label, cmps[i - 1].problem);
	}
	r = (struct report){ cmps, n - 1, have_th ? th.path : NULL, o.th_mode };
	ret = write_report(&r, o.fmt, o.output) ? 2 : 0;
	for (i = 1; i < n; i++)
		hb_comparison_free(&cmps[i - 1]);
out_sets:
	for (i = 0; i < n; i++)
		hb_set_free(&sets[i]);
	if (have_th)
		hb_thresholds_free(&th);
	return ret;
}

static int cmd_gate(int argc, char **argv)
{
	struct hb_set base, cand;
	struct hb_comparison cmp;
	struct hb_thresholds th;
	struct report r;
	struct opts o;
	char err[2048];
	bool have_th;
	int ret;

	if (parse_opts(argc, argv, &o, "gate"))
		return 2;
	if (argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	if (load_thresholds(&o, &th, &have_th, err, sizeof(err)))
		return hb_gate_error("%s", err);
	if (!have_th)
		return hb_gate_error("no thresholds file: pass --thresholds FILE (make one with '" PROG " noise')");
	if (hb_set_load(&base, argv[optind], err, sizeof(err))) {
		hb_set_free(&base);
		hb_thresholds_free(&th);
		return hb_gate_error("baseline %s", err);
	}
	/* a set that failed to load still holds memory */
	if (hb_set_load(&cand, argv[optind + 1], err, sizeof(err))) {
		ret = hb_gate_error("candidate %s", err);
		goto out;
	}
	ret = hb_gate(&base, &cand, &th, o.th_mode, o.mix_hosts, &cmp);
	if (ret != HB_GATE_ERROR && o.output) {
		r = (struct report){ &cmp, 1, th.path, o.th_mode ? o.th_mode : base.setting };
		if (write_report(&r, o.fmt, o.output))
			ret = HB_GATE_ERROR;
	}
	hb_comparison_free(&cmp);
out:
	hb_set_free(&cand);
	hb_set_free(&base);
	hb_thresholds_free(&th);
	return ret;
}

/*
 * "hmmbench run --quick; timed regions SCHED_FIFO ..." from the context,
 * without --out and its file; -1 if it does not fit @len
 */
static int run_line(char *buf, size_t len, const struct hb_set *s)
{
	const json_t *argv = json_object_get(json_object_get(s->context, "run"), "argv");
	size_t i, n = snprintf(buf, len, "hmmbench");
	json_t *v;

	json_array_foreach((json_t *)argv, i, v) {
		const char *a = json_string_value(v);

		if (!a || n >= len)
			continue;
		if (!strcmp(a, "--out")) {
			i++;	/* and its argument */
			continue;
		}
		n += snprintf(buf + n, len - n, " %s", a);
	}
	/* rules are the noise of one runner's regions: say whose */
	if (n < len)
		n += snprintf(buf + n, len - n, HB_REGIONS_KEY "%s", s->regions);
	return n < len ? 0 : -1;
}

/* @z's rules into @path (stdout if NULL), "PROG noise: ..." on stderr */
static int write_noise(const char *path, const struct hb_noise *z, const char *run,
		       const char *describe, bool merge)
{
	char err[2048], prov[2048], stamp[32];
	time_t now = time(NULL);

	strftime(stamp, sizeof(stamp), "%Y-%m-%d", gmtime(&now));
	if (snprintf(prov, sizeof(prov), "%s: A/A, largest noise of %zu pair(s) times %g of %zu vs %zu rounds of '%s', kernel %s, %s%s%s",
		     z->setting, z->npairs, z->margin, z->rounds[0], z->rounds[1], run,
		     z->kernel, stamp, describe ? ", " : "",
		     describe ? describe : "") >= (int)sizeof(prov)) {
		fprintf(stderr, PROG " noise: the rules' provenance is over %zu characters\n",
			sizeof(prov) - 1);
		return -1;
	}
	if (hb_thresholds_write(path, z->setting, prov, z->rules, z->nrules, merge, err,
				sizeof(err))) {
		fprintf(stderr, PROG " noise: %s\n", err);
		return -1;
	}
	if (path)
		fprintf(stderr, PROG " noise: %s thresholds for %zu metrics from %zu pair(s) %s %s\n",
			z->setting, z->nrules, z->npairs, merge ? "merged into" : "written to",
			path);
	return 0;
}

/*
 * The rules of each pair alone (@only) or of all pairs but each, into
 * @fmt with its "%d" the pair's number: from the pairs' noise measured
 * once, not measured again per subset.
 */
static int write_subsets(const char *fmt, const struct hb_noise *z, const char *run, bool only)
{
	struct hb_noise sub;
	char path[4096], desc[128];
	size_t p;
	int ret = 0;

	for (p = 0; p < z->npairs && !ret; p++) {
		if (hb_noise_subset(&sub, z, p, only)) {
			fprintf(stderr, PROG " noise: out of memory\n");
			return -1;
		}
		if (pair_path(path, sizeof(path), fmt, p + 1)) {
			fprintf(stderr, PROG " noise: the path of pair %zu from '%s' is too long\n",
				p + 1, fmt);
			hb_noise_free(&sub);
			return -1;
		}
		snprintf(desc, sizeof(desc),
			 only ? "pair %zu alone" : "leave one out: all pairs but %zu", p + 1);
		ret = write_noise(path, &sub, run, desc, false);
		hb_noise_free(&sub);
	}
	return ret;
}

/*
 * Thresholds from A/A pairs, X Y [X Y ...]: per metric the largest noise
 * of any pair (hb_aa_noise), a rule naming it exactly, merged into each
 * --output (the other settings' rules kept; stdout without one), and with
 * --each / --leave-one-out FMT the rules of each pair alone / of the others.
 */
static int cmd_noise(int argc, char **argv)
{
	struct hb_noise noise;
	struct opts o;
	char err[2048], run[1024];
	size_t i;
	int ret = 0;

	if (parse_opts(argc, argv, &o, "noise"))
		return 2;
	if (argc - optind < 2 || (argc - optind) % 2) {
		usage(stderr);
		return 2;
	}
	if (o.loo && argc - optind < 4) {
		fprintf(stderr, PROG " noise: --leave-one-out needs two pairs or more\n");
		return 2;
	}
	if (hb_noise_of_pairs(&noise, (const char *const *)argv + optind,
			      (argc - optind) / 2, o.margin, o.mix_hosts, run_line, run, sizeof(run),
			      err, sizeof(err))) {
		fprintf(stderr, PROG " noise: %s\n", err);
		hb_noise_free(&noise);
		return 2;
	}
	for (i = 0; i < o.noutputs && !ret; i++)
		ret = write_noise(o.outputs[i], &noise, run, o.describe, o.merges[i]);
	if (!o.noutputs)
		ret = write_noise(NULL, &noise, run, o.describe, false);
	if (!ret && o.each)
		ret = write_subsets(o.each, &noise, run, true);
	if (!ret && o.loo)
		ret = write_subsets(o.loo, &noise, run, false);
	hb_noise_free(&noise);
	return ret ? 2 : 0;
}

/*
 * Whether the thresholds hold measured rules of SETTING: what ab, ladder
 * and bisect ask before they build anything.
 */
static int cmd_rules(int argc, char **argv)
{
	struct hb_thresholds th;
	struct opts o;
	char err[2048];
	bool have;
	size_t n;

	if (parse_opts(argc, argv, &o, "rules"))
		return 2;
	if (argc - optind != 1 || !strchr(argv[optind], '@')) {
		fprintf(stderr, PROG " rules: one SETTING, MODE[:quick]@FAMILY (e.g. icount:quick@6.1)\n");
		return 2;
	}
	if (load_thresholds(&o, &th, &have, err, sizeof(err))) {
		fprintf(stderr, PROG " rules: %s\n", err);
		return 2;
	}
	if (!have) {
		fprintf(stderr, PROG " rules: no thresholds file\n");
		return 1;
	}
	n = hb_thresholds_measured(&th, argv[optind]);
	if (n)
		printf("%s: %zu measured rules in %s\n", argv[optind], n, th.path);
	else
		fprintf(stderr, PROG " rules: %s has no measured rules of %s\n", th.path,
			argv[optind]);
	hb_thresholds_free(&th);
	return n ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "compare"))
		return cmd_compare(argc - 1, argv + 1);
	if (!strcmp(argv[1], "gate"))
		return cmd_gate(argc - 1, argv + 1);
	if (!strcmp(argv[1], "noise"))
		return cmd_noise(argc - 1, argv + 1);
	if (!strcmp(argv[1], "rules"))
		return cmd_rules(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, PROG ": unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
