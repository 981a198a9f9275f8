// SPDX-License-Identifier: GPL-2.0
/* hmmbench: list, run, validate and summarize benchmarks of device-exclusive memory. */
#include <alloca.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "hmm.h"
#include "placement.h"

#define MAX_SWEEP	64

static const char usage[] =
	"usage: hmmbench list\n"
	"       hmmbench run [--bench NAME]... [--param [BENCH.]NAME=V[,V...]]... [--reps N]\n"
	"                    [--quick] [--out FILE] [--mode kvm|tcg|icount|host]\n"
	"                    [--profile DIR [--profile-period NS]]\n"
	"       hmmbench validate FILE\n"
	"       hmmbench summary [--headline [--json]] FILE\n"
	"       hmmbench features\n"
	"       hmmbench reports   (each benchmark's headlines and plots, JSON)\n";

static void __attribute__((noreturn, format(printf, 1, 2))) die2(const char *fmt, ...)
{
	va_list ap;

	fputs("hmmbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static const struct hb_bench *find_bench(const char *name)
{
	int i;

	for (i = 0; hb_benches[i]; i++)
		if (!strcmp(hb_benches[i]->name, name))
			return hb_benches[i];
	return NULL;
}

static void print_param(const struct hb_param *p)
{
	int i;

	printf("  %-10s %s\n", p->name, p->desc);
	printf("  %-10s default %s", "", p->def);
	if (p->quick)
		printf(", --quick %s", p->quick);
	if (p->choices) {
		printf("; one of");
		for (i = 0; p->choices[i]; i++)
			printf(" %s", p->choices[i]);
		printf("\n");
	} else {
		printf("; %ld..%ld\n", p->min, p->max);
	}
}

static int cmd_list(void)
{
	const struct hb_bench *b;
	int i, k;

	for (i = 0; (b = hb_benches[i]); i++) {
		printf("%s: %s%s\n", b->name, b->desc,
		       b->explicit_only ? " (only with --bench, not in the default suite)" : "");
		printf("  %u passes per point (--quick: %u), one sample per %s\n",
		       b->reps, HB_QUICK_REPS_OF(b), b->op);
		for (k = 0; b->params[k].name; k++)
			print_param(&b->params[k]);
		if (b->mem_node_def)
			printf("  %-10s default %s, --quick %s; 0 in tcg and icount, which do not model remote memory (nodes this machine lacks: unsupported)\n",
			       "mem_node", b->mem_node_def,
			       b->mem_node_quick ? b->mem_node_quick : b->mem_node_def);
		printf("\n");
	}
	printf("every benchmark also takes:\n");
	for (k = 0; hb_common_params[k].name; k++)
		print_param(&hb_common_params[k]);
	return 0;
}

/* Parses "V[,V...]" for @p into a new array; exits 2 on any bad value. */
static size_t parse_sweep(const char *bench, const struct hb_param *p,
			  const char *text, long **out)
{
	char *copy = strdup(text), *tok, *save = NULL, *end;
	long *v = calloc(MAX_SWEEP, sizeof(*v));
	size_t n = 0;
	int i;

	if (!copy || !v)
		die2("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == MAX_SWEEP)
			die2("%s.%s: more than %d values", bench, p->name, MAX_SWEEP);
		if (p->choices) {
			for (i = 0; p->choices[i] && strcmp(p->choices[i], tok); i++)
				;
			if (!p->choices[i])
				die2("%s.%s: '%s' is not one of its choices (see hmmbench list)",
				     bench, p->name, tok);
			v[n++] = i;
			continue;
		}
		errno = 0;
		v[n] = strtol(tok, &end, 10);
		if (errno || end == tok || *end)
			die2("%s.%s: '%s' is not an integer", bench, p->name, tok);
		if (v[n] < p->min || v[n] > p->max)
			die2("%s.%s: %ld is out of range %ld..%ld", bench, p->name,
			     v[n], p->min, p->max);
		n++;
	}
	if (!n)
		die2("%s.%s: no value given", bench, p->name);
	free(copy);
	*out = v;
	return n;
}

/* Applies "[BENCH.]NAME=V,..." to the selected benchmarks that have NAME. */
static void apply_param(struct hb_sel *sel, size_t nsel, const char *arg)
{
	char *copy = strdup(arg), *eq, *name, *dot;
	const char *bench = NULL;
	bool used = false;
	size_t i;
	int k;

	if (!copy)
		die2("out of memory");
	eq = strchr(copy, '=');
	if (!eq || eq == copy)
		die2("--param %s: expected NAME=VALUE", arg);
	*eq = '\0';
	name = copy;
	dot = strchr(copy, '.');
	if (dot) {
		*dot = '\0';
		bench = copy;
		name = dot + 1;
		if (!find_bench(bench))
			die2("--param %s: no benchmark '%s'", arg, bench);
	}
	for (i = 0; i < nsel; i++) {
		const struct hb_bench *b = sel[i].bench;

		if (bench && strcmp(bench, b->name))
			continue;
		for (k = 0; k < hb_nparams(b) + 2; k++) {
			if (strcmp(hb_sweep_param(b, k)->name, name))
				continue;
			free(sel[i].sweep[k]);
			sel[i].nsweep[k] = parse_sweep(b->name, hb_sweep_param(b, k),
						       eq + 1, &sel[i].sweep[k]);
			sel[i].given[k] = true;
			used = true;
		}
	}
	if (!used)
		die2("--param %s: no selected benchmark has a parameter '%s'%s",
		     arg, name, bench ? " (or it is not selected)" : "");
	free(copy);
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bench", required_argument, NULL, 'b' },
		{ "param", required_argument, NULL, 'p' },
		{ "reps", required_argument, NULL, 'r' },
		{ "quick", no_argument, NULL, 'q' },
		{ "out", required_argument, NULL, 'o' },
		{ "mode", required_argument, NULL, 'm' },
		{ "profile", required_argument, NULL, 'P' },
		{ "profile-period", required_argument, NULL, 'R' },
		{ 0 }
	};
	const char **params = calloc(argc, sizeof(char *)), *env;
	const struct hb_bench *b;
	struct hb_opts o = { .mode = "host", .profile_period = HB_PROFILE_PERIOD };
	struct hb_sel *sel = calloc(argc + 8, sizeof(*sel));
	char *end, err[256], outbuf[4096];
	size_t nparams = 0, i, c, m;
	int opt, k;
	long reps;

	if (!params || !sel)
		die2("out of memory");
	env = getenv("HMMBENCH_MODE");
	if (env && *env)
		o.mode = env;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			b = find_bench(optarg);
			if (!b)
				die2("no benchmark '%s' (see hmmbench list)", optarg);
			for (i = 0; i < o.nsel && sel[i].bench != b; i++)
				;
			if (i == o.nsel)
				sel[o.nsel++].bench = b;
			break;
		case 'p':
			params[nparams++] = optarg;
			break;
		case 'r':
			errno = 0;
			reps = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || reps < 1 || reps > 100000)
				die2("--reps %s: expected an integer 1..100000", optarg);
			o.reps = reps;
			break;
		case 'q':
			o.quick = true;
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'm':
			o.mode = optarg;
			break;
		case 'P':
			o.profile = optarg;
			break;
		case 'R':
			errno = 0;
			reps = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || reps < 1000 || reps > 100000000)
				die2("--profile-period %s: expected ns (instructions in icount) 1000..100000000",
				     optarg);
			o.profile_period = reps;
			break;
		default:
			fputs(usage, stderr);
			exit(2);
		}
	}
	if (optind < argc)
		die2("run: unexpected argument '%s'", argv[optind]);
	if (hb_mode_parse(o.mode) < 0)
		die2("mode '%s' (from %s) is not one of kvm, tcg, icount, host", o.mode,
		     env && o.mode == env ? "HMMBENCH_MODE" : "--mode");
	o.mode_id = hb_mode_parse(o.mode);
	if (!o.nsel)
		for (k = 0; hb_benches[k]; k++)
			if (!hb_benches[k]->explicit_only)
				sel[o.nsel++].bench = hb_benches[k];
	for (i = 0; i < o.nsel; i++) {
		b = sel[i].bench;
		for (k = 0; k < hb_nparams(b) + 2; k++) {
			const struct hb_param *p = hb_sweep_param(b, k);
			const char *def = o.quick && p->quick ? p->quick : p->def;

			/*
			 * A benchmark's own nodes, in modes that can tell them
			 * apart: QEMU's TCG (tcg, icount) does not model remote
			 * memory (node 1 against node 0: 0.99 to 1.02 in icount),
			 * so there the other node costs time and says nothing.
			 */
			if (k == hb_nparams(b) + 1 && b->mem_node_def &&
			    o.mode_id != HB_MODE_TCG && o.mode_id != HB_MODE_ICOUNT)
				def = o.quick && b->mem_node_quick ? b->mem_node_quick :
				      b->mem_node_def;
			sel[i].nsweep[k] = parse_sweep(b->name, p, def, &sel[i].sweep[k]);
		}
	}
	for (i = 0; i < nparams; i++)
		apply_param(sel, o.nsel, params[i]);

	if (!o.out) {
		env = getenv("HMMBENCH_OUT");
		snprintf(outbuf, sizeof(outbuf), "%s%sresults.json",
			 env && *env ? env : "", env && *env ? "/" : "");
		o.out = outbuf;
	}
	if (hb_place_init(err, sizeof(err)))
		die2("%s", err);
	for (i = 0; i < o.nsel; i++) {
		int n = hb_nparams(sel[i].bench);

		for (c = 0; c < sel[i].nsweep[n]; c++)
			for (m = 0; m < sel[i].nsweep[n + 1]; m++)
				if (hb_place_check(sel[i].sweep[n][c],
						   sel[i].sweep[n + 1][m],
						   err, sizeof(err)) &&
				    /* a benchmark's default nodes: unsupported where absent */
				    (sel[i].given[n + 1] || !sel[i].bench->mem_node_def ||
				     hb_place_check(sel[i].sweep[n][c], 0, err, sizeof(err))))
					die2("%s: %s", sel[i].bench->name, err);
	}
	o.sel = sel;
	o.argv = json_array();
	for (k = 0; k < argc; k++)
		json_array_append_new(o.argv, json_string(argv[k]));
	return hb_run(&o);
}

/* every benchmark's report, by name: for files written before they carried it */
static json_t *bench_reports(void)
{
	json_t *r = json_object();
	size_t k;

	for (k = 0; hb_benches[k]; k++)
		json_object_set_new(r, hb_benches[k]->name,
				    hb_report_json(hb_benches[k]->headlines, hb_benches[k]->plots));
	return r;
}

static int cmd_file(const char *cmd, int argc, char **argv)
{
	bool headline = argc >= 3 && !strcmp(cmd, "summary") && !strcmp(argv[1], "--headline");
	bool as_json = false;
	char err[1024];
	json_t *root, *reports;

	if (headline) {
		argv++;
		argc--;
		as_json = argc == 3 && !strcmp(argv[1], "--json");
		if (as_json) {
			argv++;
			argc--;
		}
	}
	if (argc != 2)
		die2("%s: expected one FILE (usage: hmmbench %s%s FILE)", cmd, cmd,
		     strcmp(cmd, "summary") ? "" : " [--headline [--json]]");
	root = hb_results_load(argv[1], err, sizeof(err));
	if (!root) {
		fprintf(stderr, "hmmbench: invalid: %s\n", err);
		return 2;
	}
	reports = bench_reports();
	if (as_json) {
		json_t *rows = hb_headline_rows(root, reports);

		json_dumpf(rows, stdout, JSON_INDENT(1));
		putchar('\n');
		json_decref(rows);
	} else if (headline) {
		hb_print_headline(root, reports, stdout);
	}
	else if (!strcmp(cmd, "summary"))
		hb_print_summary(root, reports, stdout);
	else
		printf("%s: valid %s version %d, status %s\n", argv[1], HB_SCHEMA,
		       HB_SCHEMA_VERSION,
		       json_string_value(json_object_get(root, "status")));
	json_decref(root);
	json_decref(reports);
	return 0;
}

static int __attribute__((noinline)) hb_main(int argc, char **argv)
{
	/*
	 * One malloc arena: glibc gives a thread a new arena when the ones
	 * there are contended, so how many exist depends on timing, and fork()
	 * write-faults each arena's lock page in the parent. A slowdown
	 * anywhere earlier moved every fork benchmark's count.
	 */
	mallopt(M_ARENA_MAX, 1);
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "list"))
		return cmd_list();
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "validate") || !strcmp(argv[1], "summary"))
		return cmd_file(argv[1], argc - 1, argv + 1);
	if (!strcmp(argv[1], "features"))
		return hmm_features(stdout);
	if (!strcmp(argv[1], "reports")) {
		json_t *r = bench_reports();

		json_dumpf(r, stdout, JSON_INDENT(1));
		putchar('\n');
		json_decref(r);
		return 0;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, stdout);
		return 0;
	}
	fprintf(stderr, "hmmbench: unknown command '%s'\n%s", argv[1], usage);
	return 2;
}

/*
 * Every run's stack starts at the same offset in a page. The environment
 * and arguments sit above it, and their length (the results path) would
 * otherwise decide how many stack pages fork()'s parent writes after the
 * fork: one copy-on-write fault more or less per fork between two boots
 * that differ only in the directory they write to.
 */
int main(int argc, char **argv)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	char *pad = alloca((sp & (PAGE_SZ - 1)) + 64);

	/* keep the pad: the compiler must not drop or shrink it */
	__asm__ volatile("" : : "r"(pad) : "memory");
	return hb_main(argc, argv);
}
