// SPDX-License-Identifier: GPL-2.0
/* The thresholds file: reading it, the rule that applies to a metric. */
#define _GNU_SOURCE	/* asprintf */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <fnmatch.h>
#include <glob.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compare.h"


/* "... 'RUN; timed regions X' ...": X, its length in *@n; NULL if none */
static const char *line_regions(const char *line, size_t *n)
{
	const char *r = strstr(line, HB_REGIONS_KEY), *q;

	q = r ? strchr(r, '\'') : NULL;
	if (!q)
		return NULL;
	r += strlen(HB_REGIONS_KEY);
	*n = q - r;
	return r;
}

/* "# SETTING: A/A ... 'RUN; timed regions X' ...": X for SETTING */
static int provenance(struct hb_thresholds *t, const char *line)
{
	const char *r, *colon;
	char setting[64];
	size_t n;
	void *grown;

	colon = strstr(line, ": ");
	n = colon ? (size_t)(colon - line) - 2 : 0;
	if (strncmp(line, "# ", 2) || !colon || !n || n >= sizeof(setting) ||
	    memchr(line + 2, ' ', n))
		return 0;	/* not a setting's metric rules */
	memcpy(setting, line + 2, n);
	setting[n] = '\0';
	r = line_regions(colon, &n);
	if (!r)
		return 0;
	grown = realloc(t->regions, (t->nregions + 1) * sizeof(*t->regions));
	if (!grown)
		return -1;
	t->regions = grown;
	t->regions[t->nregions].setting = strdup(setting);
	t->regions[t->nregions].regions = strndup(r, n);
	if (!t->regions[t->nregions].setting || !t->regions[t->nregions].regions) {
		free(t->regions[t->nregions].setting);
		free(t->regions[t->nregions].regions);
		return -1;
	}
	t->nregions++;
	return 0;
}

static bool is_setting(const char *s);

/* a profile's rule lives in the thresholds file: its id is the file's to say */
const char *hb_profile_rule_id(char *buf, size_t len, const char *bench)
{
	snprintf(buf, len, HB_PROFILE_RULE "%s", bench);
	return buf;
}

bool hb_is_profile_rule(const char *id)
{
	return !strncmp(id, HB_PROFILE_RULE, strlen(HB_PROFILE_RULE));
}

int hb_thresholds_load(struct hb_thresholds *t, const char *path,
		       char *err, size_t errlen)
{
	char *line = NULL, mode[64], pat[512], pct[64], extra[8];
	size_t cap = 0;
	int lineno = 0;
	FILE *f;

	memset(t, 0, sizeof(*t));
	f = fopen(path, "r");
	if (!f)
		return hb_err(err, errlen, "cannot read thresholds %s: %s", path,
			    strerror(errno));
	t->path = strdup(path);
	while (getline(&line, &cap, f) > 0) {
		struct hb_threshold_rule *grown;
		char *hash = strchr(line, '#'), *end;
		double v;
		int nf;

		lineno++;
		if (hash == line && provenance(t, line)) {
			hb_err(err, errlen, "out of memory");
			goto bad;
		}
		if (hash)
			*hash = '\0';
		nf = sscanf(line, "%63s %511s %63s %7s", mode, pat, pct, extra);
		if (nf <= 0)
			continue;
		v = nf == 3 ? strtod(pct, &end) : NAN;
		if (nf != 3 || *end || !(v >= 0) || !isfinite(v)) {
			hb_err(err, errlen, "%s:%d: expected 'SETTING METRIC-PATTERN PERCENT'",
			     path, lineno);
			goto bad;
		}
		if (!is_setting(mode)) {
			hb_err(err, errlen, "%s:%d: '%s' is not a setting (MODE[:quick][@MAJOR.MINOR], or *)",
			       path, lineno, mode);
			goto bad;
		}
		grown = realloc(t->rules, (t->n + 1) * sizeof(*grown));
		if (!grown) {
			hb_err(err, errlen, "out of memory");
			goto bad;
		}
		t->rules = grown;
		t->rules[t->n++] = (struct hb_threshold_rule){
			strdup(mode), strdup(pat), v, lineno,
			strpbrk(pat, "*?[") != NULL
		};
	}
	if (ferror(f)) {
		hb_err(err, errlen, "cannot read thresholds %s: %s", path, strerror(errno));
		goto bad;
	}
	free(line);
	fclose(f);
	return 0;
bad:
	free(line);
	fclose(f);
	hb_thresholds_free(t);
	return -1;
}

void hb_thresholds_free(struct hb_thresholds *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->rules[i].mode);
		free(t->rules[i].pattern);
	}
	free(t->rules);
	for (i = 0; i < t->nregions; i++) {
		free(t->regions[i].setting);
		free(t->regions[i].regions);
	}
	free(t->regions);
	free(t->path);
	memset(t, 0, sizeof(*t));
}

/*
 * Does rule setting @rule ("*", "MODE[:quick]" or "MODE[:quick]@FAMILY")
 * apply to @setting ("MODE[:quick]@FAMILY")? One without a family was
 * written by hand for every kernel.
 */
static bool setting_matches(const char *rule, const char *setting)
{
	size_t n = strcspn(setting, "@");

	return !strcmp(rule, "*") || !strcmp(rule, setting) ||
	       (!strchr(rule, '@') && strlen(rule) == n && !strncmp(rule, setting, n));
}

static bool mode_matches(const struct hb_threshold_rule *r, const char *setting)
{
	return setting_matches(r->mode, setting);
}

const struct hb_threshold_rule *hb_threshold_rule(const struct hb_thresholds *t,
						  const char *setting,
						  const char *id)
{
	const struct hb_threshold_rule *r = NULL;
	size_t i;

	for (i = 0; t && i < t->n; i++)
		if (mode_matches(&t->rules[i], setting) &&
		    !fnmatch(t->rules[i].pattern, id, 0))
			r = &t->rules[i];	/* the last match wins */
	return r;
}

double hb_threshold_for(const struct hb_thresholds *t, const char *setting,
			const char *id)
{
	const struct hb_threshold_rule *r = hb_threshold_rule(t, setting, id);

	return r ? r->percent : -1;
}

const char *hb_thresholds_regions(const struct hb_thresholds *t,
				  const char *setting)
{
	const char *r = NULL;
	size_t i;

	/* the last wins, as for rules */
	for (i = 0; i < t->nregions; i++)
		if (setting_matches(t->regions[i].setting, setting))
			r = t->regions[i].regions;
	return r;
}

const char *hb_thresholds_foreign(const struct hb_thresholds *t,
				  const char *setting, const struct hb_set *set)
{
	const char *r = t ? hb_thresholds_regions(t, setting) : NULL;

	return r && strcmp(r, set->regions) ? r : NULL;
}

bool hb_thresholds_have_mode(const struct hb_thresholds *t, const char *mode)
{
	size_t i;

	for (i = 0; t && i < t->n; i++)
		if (mode_matches(&t->rules[i], mode))
			return true;
	return false;
}

size_t hb_thresholds_measured(const struct hb_thresholds *t, const char *setting)
{
	size_t i, n = 0;

	for (i = 0; t && i < t->n; i++)
		n += !strcmp(t->rules[i].mode, setting) && !t->rules[i].catchall &&
		     !hb_is_profile_rule(t->rules[i].pattern);
	return n;
}

/* "MODE", "MODE:quick", either with "@MAJOR.MINOR", or "*" */
static bool is_setting(const char *s)
{
	char mode[32];
	size_t n = strcspn(s, ":@");
	const char *f;

	if (!strcmp(s, "*"))
		return true;
	if (n >= sizeof(mode))
		return false;
	snprintf(mode, sizeof(mode), "%.*s", (int)n, s);
	if (hb_mode_parse(mode) < 0)
		return false;
	s += n;
	if (!strncmp(s, ":quick", 6))
		s += 6;
	if (!*s)
		return true;
	f = s + 1;
	return *s == '@' && *f && strspn(f, "0123456789.") == strlen(f);
}

/* the timed regions a provenance line names, into @buf ("" if none) */
static void prov_regions(const char *line, char *buf, size_t len)
{
	size_t n = 0;
	const char *r = line_regions(line, &n);

	snprintf(buf, len, "%.*s", (int)n, r ? r : "");
}

static bool measured_again(const struct hb_noise_rule *rules, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(rules[i].id, id))
			return true;
	return false;
}

/*
 * Holds @path's directory (flock) for one read-modify-write: two campaigns
 * writing their settings at once would each keep the other's old rules.
 * The file itself is replaced by rename(), so it cannot hold the lock.
 */
static int lock_dir(const char *path, char *err, size_t len)
{
	char *d = strdup(path);
	int fd;

	if (!d)
		return hb_err(err, len, "out of memory");
	fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX)) {
		hb_err(err, len, "cannot lock %s's directory: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	free(d);
	return fd;
}

/* a file beside @path, @mode, to rename() over it once written whole */
static FILE *open_beside(const char *path, mode_t mode, char *tmp, size_t tmplen)
{
	FILE *f;
	int fd;

	snprintf(tmp, tmplen, "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return NULL;
	f = fchmod(fd, mode) ? NULL : fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
	}
	return f;
}

int hb_thresholds_write(const char *path, const char *setting,
			const char *provenance, const struct hb_noise_rule *rules,
			size_t n, bool merge, char *err, size_t len)
{
	char *old = NULL, *line = NULL, mode[64], pat[512], tmp[4096];
	char theirs[1024] = "", ours[1024];
	size_t oldlen = 0, cap = 0, i;
	bool profiles = false, provenanced = false;
	struct hb_thresholds valid;
	FILE *in = NULL, *keep = NULL, *out = NULL;
	mode_t um = umask(0), fmode = 0666 & ~um;
	struct stat st;
	int dirfd = -1, ret = -1, e;

	umask(um);
	for (i = 0; i < n; i++)
		profiles |= hb_is_profile_rule(rules[i].id);
	dirfd = path ? lock_dir(path, err, len) : -1;
	if (path && dirfd < 0)
		return -1;
	/*
	 * The other settings' lines of an existing file, and this setting's
	 * profile/ rules if @rules have none (an aa run without --profile).
	 * A file that is there but unreadable or malformed is refused, never
	 * taken for empty: its other settings would be lost.
	 */
	in = path ? fopen(path, "r") : NULL;
	if (path && !in && errno != ENOENT) {
		hb_err(err, len, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (merge && !in) {
		hb_err(err, len, "cannot merge into %s: %s", path ? path : "stdout",
		       strerror(ENOENT));
		goto out;
	}
	if (in) {
		if (hb_thresholds_load(&valid, path, err, len))
			goto out;
		hb_thresholds_free(&valid);
		if (!fstat(fileno(in), &st))
			fmode = st.st_mode & 07777;
	}
	keep = open_memstream(&old, &oldlen);
	if (!keep) {
		hb_err(err, len, "out of memory");
		goto out;
	}
	while (in && getline(&line, &cap, in) > 0) {
		bool mine;

		if (line[0] == '#') {
			/* a provenance line "# SETTING: ..." or "# SETTING profile/BENCH ..." */
			if (sscanf(line, "# %63[a-z*:@0-9.]", mode) != 1)
				continue;
			/* "# icount:quick: A/A ..." */
			if (mode[strlen(mode) - 1] == ':')
				mode[strlen(mode) - 1] = '\0';
			if (!is_setting(mode))
				continue;
			mine = !strcmp(mode, setting);
			if (mine && merge && !strncmp(line + 2 + strlen(setting), ": ", 2)) {
				provenanced = true;
				prov_regions(line, theirs, sizeof(theirs));
			}
			if (!mine || merge || (!profiles && strstr(line, " profile/BENCH")))
				fprintf(keep, "\n%s", line);
			continue;
		}
		if (sscanf(line, "%63s %511s", mode, pat) < 1)
			continue;
		mine = !strcmp(mode, setting);
		if (!mine || (!profiles && hb_is_profile_rule(pat)) ||
		    (merge && !measured_again(rules, n, pat)))
			fputs(line, keep);
	}
	if (in && ferror(in)) {
		hb_err(err, len, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (fclose(keep)) {
		keep = NULL;
		hb_err(err, len, "out of memory");
		goto out;
	}
	keep = NULL;
	/* rows measured again need the rules they join, by one runner's regions */
	if (merge && !provenanced) {
		hb_err(err, len, "cannot merge into %s: it has no A/A rules of %s ('# %s: ' line); measure the whole setting",
		       path, setting, setting);
		goto out;
	}
	prov_regions(provenance, ours, sizeof(ours));
	if (merge && strcmp(theirs, ours)) {
		hb_err(err, len, "cannot merge into %s's rules of %s: they are other timed regions' ('%s'), these '%s'; measure the whole setting",
		       setting, path, *theirs ? theirs : "unsaid", *ours ? ours : "unsaid");
		goto out;
	}

	out = path ? open_beside(path, fmode, tmp, sizeof(tmp)) : stdout;
	if (!out) {
		hb_err(err, len, "cannot write beside %s: %s", path, strerror(errno));
		goto out;
	}
	fprintf(out, "# hmmbench gate thresholds: SETTING METRIC PERCENT (docs/compare.md).\n"
		"# SETTING is MODE[:quick]@FAMILY, the kernel's MAJOR.MINOR. Written by\n"
		"# 'hmmbench-compare noise' from A/A pairs (the same kernel twice), the\n"
		"# boot the unit: a metric's noise in a pair is how far the 95%% interval\n"
		"# of its ratio over boots, and the medians of any split of its rounds,\n"
		"# reach from 1; its rule the largest over the pairs times the mode's\n"
		"# margin, rounded up to the next 0.1%%, never below the mode's floor for\n"
		"# its kind (docs/compare.md, \"The decision rule\"). A rule names one\n"
		"# metric; a glob pattern would be a catch-all, which the gate does not\n"
		"# count as measured. scripts/rules re-derives these from the stored\n"
		"# rounds of the campaigns config/rules-campaigns names.\n"
		"# profile/BENCH rules are in percentage points: the largest move of\n"
		"# a function's share of BENCH's kernel profile between the two\n"
		"# sides of a pair (aa --profile), the least move a report calls a\n"
		"# mover.\n");
	if (oldlen)
		fputs(old, out);
	if (merge)	/* "SETTING: ..." as "SETTING, N of its rules measured again: ..." */
		fprintf(out, "\n# %s, %zu of its rules measured again%s\n", setting, n,
			provenance + strlen(setting));
	else
		fprintf(out, "\n# %s\n", provenance);
	for (i = 0; i < n; i++) {
		/* profile/BENCH: percentage points of a profile's share */
		const char *u = hb_is_profile_rule(rules[i].id) ? " pp" : "%";

		fprintf(out, "%s %s %g\t# noise: max %.2f%s of %zu pair(s), median %.2f%s\n", setting,
			rules[i].id, rules[i].percent, rules[i].max, u, rules[i].pairs,
			rules[i].median, u);
	}
	if (!path) {
		ret = fflush(out) ? hb_err(err, len, "cannot write the thresholds") : 0;
		goto out;
	}
	/* whole on disk before it replaces the old file */
	ret = fflush(out) || ferror(out) || fsync(fileno(out)) ? -1 : 0;
	e = errno;
	if (fclose(out) && !ret) {
		ret = -1;
		e = errno;
	}
	out = NULL;
	if (!ret && rename(tmp, path)) {
		ret = -1;
		e = errno;
	}
	if (ret) {
		unlink(tmp);
		hb_err(err, len, "cannot write %s: %s", path, strerror(e));
	}
out:
	if (out && out != stdout) {
		fclose(out);
		unlink(tmp);
	}
	if (keep)
		fclose(keep);
	if (in)
		fclose(in);
	free(line);
	free(old);
	if (dirfd >= 0)
		close(dirfd);
	return ret;
}
