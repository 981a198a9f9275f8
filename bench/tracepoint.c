// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hmmbench.h"
#include "tracepoint.h"

static const char *const tracefs_dirs[] = {
	"/sys/kernel/tracing", "/sys/kernel/debug/tracing", NULL
};

const char *hb_tracefs(void)
{
	char path[128];
	int i;

	for (i = 0; tracefs_dirs[i]; i++) {
		snprintf(path, sizeof(path), "%s/events", tracefs_dirs[i]);
		if (!access(path, R_OK))
			return tracefs_dirs[i];
	}
	return NULL;
}

/* "\tfield:unsigned long start;\toffset:8;\tsize:8;\tsigned:0;" */
static int parse_field(const char *line, struct hb_tp_field *f)
{
	const char *decl = strstr(line, "field:"), *semi, *o, *s, *g;
	const char *end, *name;

	if (!decl)
		return -1;
	decl += 6;
	semi = strchr(decl, ';');
	o = strstr(line, "offset:");
	s = strstr(line, "size:");
	g = strstr(line, "signed:");
	if (!semi || !o || !s)
		return -1;
	/* the name is the declaration's last identifier, before any [N] */
	end = memchr(decl, '[', semi - decl);
	end = end ? end : semi;
	while (end > decl && end[-1] == ' ')
		end--;
	name = end;
	while (name > decl && name[-1] != ' ' && name[-1] != '*')
		name--;
	if (name == end || (size_t)(end - name) >= sizeof(f->name))
		return -1;
	memcpy(f->name, name, end - name);
	f->name[end - name] = '\0';
	f->offset = atoi(o + 7);
	f->size = atoi(s + 5);
	f->is_signed = g ? atoi(g + 7) : 0;
	return 0;
}

int hb_tp_format(const char *event, struct hb_tp_format *fmt,
		 char *err, size_t errlen)
{
	const char *fs = hb_tracefs();
	char path[256], line[4096];
	unsigned long long id;
	FILE *f;
	int ok;

	memset(fmt, 0, sizeof(*fmt));
	snprintf(fmt->event, sizeof(fmt->event), "%s", event);
	if (!fs) {
		snprintf(err, errlen, "no tracefs at /sys/kernel/tracing or /sys/kernel/debug/tracing");
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/events/%s/id", fs, event);
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "no trace event %s (%s: %s)", event, path,
			 strerror(errno));
		return -ENOENT;
	}
	ok = fscanf(f, "%llu", &id) == 1;
	fclose(f);
	if (!ok) {
		snprintf(err, errlen, "%s: not a number", path);
		return -EINVAL;
	}
	fmt->id = id;
	snprintf(path, sizeof(path), "%s/events/%s/format", fs, event);
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "print fmt:", 10))
			snprintf(fmt->print, sizeof(fmt->print), "%.*s",
				 (int)sizeof(fmt->print) - 1, line);
		else if (fmt->nfields < HB_TP_MAX_FIELDS &&
			 !parse_field(line, &fmt->f[fmt->nfields]))
			fmt->nfields++;
	}
	fclose(f);
	if (!hb_tp_field(fmt, "common_type")) {
		snprintf(err, errlen, "%s: no common_type field", path);
		return -EINVAL;
	}
	return 0;
}

const struct hb_tp_field *hb_tp_field(const struct hb_tp_format *fmt,
				      const char *name)
{
	int i;

	for (i = 0; i < fmt->nfields; i++)
		if (!strcmp(fmt->f[i].name, name))
			return &fmt->f[i];
	return NULL;
}

int hb_tp_symbol(const struct hb_tp_format *fmt, const char *sym, long *val)
{
	char quoted[64];
	const char *q, *b;

	snprintf(quoted, sizeof(quoted), "\"%s\"", sym);
	q = strstr(fmt->print, quoted);
	if (!q)
		return -ENOENT;
	for (b = q; b > fmt->print && b[-1] != '{'; b--)
		;
	if (b == fmt->print)
		return -ENOENT;
	*val = strtol(b, NULL, 0);
	return 0;
}

int64_t hb_tp_get(const void *raw, uint32_t size, const struct hb_tp_field *f)
{
	const unsigned char *p = (const unsigned char *)raw + f->offset;
	uint64_t v = 0;
	int i;

	if (f->offset < 0 || f->size < 1 || f->size > 8 ||
	    (uint32_t)(f->offset + f->size) > size)
		return 0;
	for (i = f->size - 1; i >= 0; i--)	/* little endian */
		v = v << 8 | p[i];
	if (f->is_signed && f->size < 8 && (v >> (8 * f->size - 1)) & 1)
		v |= ~0ULL << (8 * f->size);
	return (int64_t)v;
}

static int open_tp(uint64_t id, int group)
{
	struct perf_event_attr a = {
		.size = sizeof(a),
		.type = PERF_TYPE_TRACEPOINT,
		.config = id,
		.sample_period = 1,
		.sample_type = PERF_SAMPLE_TIME | PERF_SAMPLE_RAW,
		.disabled = group < 0,
		.use_clockid = 1,
		.clockid = CLOCK_MONOTONIC,
	};

	return syscall(SYS_perf_event_open, &a, 0, -1, group, PERF_FLAG_FD_CLOEXEC);
}

int hb_trace_open(struct hb_trace *t, const struct hb_tp_format *const *ev,
		  int n, unsigned int pages, char *err, size_t errlen)
{
	long psz = sysconf(_SC_PAGESIZE);
	int i, fd;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < HB_TRACE_MAX_EVENTS; i++)
		t->fd[i] = -1;
	if (n < 1 || n > HB_TRACE_MAX_EVENTS || !pages || (pages & (pages - 1))) {
		snprintf(err, errlen, "hb_trace_open: bad arguments");
		return -EINVAL;
	}
	/* one group, so that one ioctl switches all events */
	for (i = 0; i < n; i++) {
		fd = open_tp(ev[i]->id, i ? t->fd[0] : -1);
		if (fd < 0) {
			snprintf(err, errlen, "perf_event_open(%s): %s", ev[i]->event,
				 strerror(errno));
			hb_trace_close(t);
			return -errno;
		}
		t->fd[i] = fd;
		t->ev[i] = ev[i];
		t->n++;
	}
	t->maplen = (pages + 1) * psz;
	t->map = mmap(NULL, t->maplen, PROT_READ | PROT_WRITE, MAP_SHARED,
		      t->fd[0], 0);
	if (t->map == MAP_FAILED) {
		t->map = NULL;
		snprintf(err, errlen, "mmap of the perf ring buffer: %s", strerror(errno));
		hb_trace_close(t);
		return -errno;
	}
	for (i = 1; i < n; i++) {
		if (ioctl(t->fd[i], PERF_EVENT_IOC_SET_OUTPUT, t->fd[0])) {
			snprintf(err, errlen, "PERF_EVENT_IOC_SET_OUTPUT(%s): %s",
				 ev[i]->event, strerror(errno));
			hb_trace_close(t);
			return -errno;
		}
	}
	return 0;
}

int hb_trace_enable(struct hb_trace *t)
{
	return ioctl(t->fd[0], PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP) ? -errno : 0;
}

int hb_trace_disable(struct hb_trace *t)
{
	return ioctl(t->fd[0], PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP) ? -errno : 0;
}

int hb_trace_read(struct hb_trace *t,
		  int (*fn)(void *arg, uint64_t time, const void *raw,
			    uint32_t size),
		  void *arg)
{
	struct perf_event_mmap_page *mp = t->map;
	const char *data = (const char *)t->map + mp->data_offset;
	uint64_t size = mp->data_size;
	uint64_t head = __atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = mp->data_tail;
	struct perf_event_header h;
	/* a record that wraps around the end is copied out whole */
	uint64_t rec[(1 << 16) / 8];
	const char *r;
	uint64_t off, first;
	uint32_t rawsize;
	int count = 0, ret = 0;

	while (tail < head && !ret) {
		off = tail % size;
		first = size - off < sizeof(h) ? size - off : sizeof(h);
		memcpy(&h, data + off, first);
		memcpy((char *)&h + first, data, sizeof(h) - first);
		if (h.size < sizeof(h))
			break;
		if (off + h.size <= size) {
			r = data + off;
		} else {
			first = size - off;
			memcpy(rec, data + off, first);
			memcpy((char *)rec + first, data, h.size - first);
			r = (const char *)rec;
		}
		if (h.type == PERF_RECORD_LOST) {
			t->lost += ((const uint64_t *)(r + sizeof(h)))[1];
		} else if (h.type == PERF_RECORD_SAMPLE) {
			/* PERF_SAMPLE_TIME, then PERF_SAMPLE_RAW: u32 size, data */
			memcpy(&rawsize, r + sizeof(h) + 8, 4);
			if (sizeof(h) + 12 + rawsize <= h.size) {
				ret = fn(arg, *(const uint64_t *)(r + sizeof(h)),
					 r + sizeof(h) + 12, rawsize);
				count++;
			}
		}
		tail += h.size;
	}
	__atomic_store_n(&mp->data_tail, tail, __ATOMIC_RELEASE);
	return ret ? ret : count;
}

void hb_trace_close(struct hb_trace *t)
{
	int i;

	if (t->map)
		munmap(t->map, t->maplen);
	t->map = NULL;
	for (i = HB_TRACE_MAX_EVENTS - 1; i >= 0; i--) {
		if (t->fd[i] >= 0)
			close(t->fd[i]);
		t->fd[i] = -1;
		t->ev[i] = NULL;
	}
	t->n = 0;
}

struct window_arg {
	const struct hb_trace *t;
	const struct hb_tp_field *type;
	struct hb_trace_window *w;
};

/* Sorts one record into the window by its event id. */
static int window_add(void *arg, uint64_t time, const void *raw, uint32_t size)
{
	struct window_arg *a = arg;
	struct hb_trace_window *w = a->w;
	uint64_t type = hb_tp_get(raw, size, a->type);
	int e;

	for (e = 0; e < a->t->n && type != a->t->ev[e]->id; e++)
		;
	if (e == a->t->n) {
		w->other++;
		return 0;
	}
	if (w->n[e]++)
		return 0;
	w->time[e] = time;
	w->size[e] = size < HB_TRACE_RAW ? size : HB_TRACE_RAW;
	memcpy(w->raw[e], raw, w->size[e]);
	return 0;
}

int hb_trace_window(struct hb_trace *t, struct hb_trace_window *w)
{
	struct window_arg a = { t, NULL, w };

	memset(w, 0, sizeof(*w));
	if (!t->n)
		return -EINVAL;
	/* the common fields are every event's: the first's say */
	a.type = hb_tp_field(t->ev[0], "common_type");
	if (!a.type)
		return -EINVAL;
	return hb_trace_read(t, window_add, &a);
}

int64_t hb_trace_field(const struct hb_trace_window *w, int e,
		       const struct hb_tp_field *f)
{
	if (e < 0 || e >= HB_TRACE_MAX_EVENTS || !w->n[e] || !f)
		return 0;
	return hb_tp_get(w->raw[e], w->size[e], f);
}

int hb_trace_span(struct hb_trace *t, uint64_t t0, uint64_t t1,
		  struct hb_trace_window *w, double split[3],
		  char *err, size_t errlen)
{
	int ret = hb_trace_window(t, w);

	if (ret < 0) {
		snprintf(err, errlen, "reading the perf ring buffer: %s", strerror(-ret));
		return ret;
	}
	if (t->lost) {
		snprintf(err, errlen, "the perf ring buffer lost %llu records",
			 (unsigned long long)t->lost);
		return -EOVERFLOW;
	}
	if (t->n < 2 || w->n[0] != 1 || w->n[1] != 1 || w->other) {
		snprintf(err, errlen, "saw %d %s and %d %s records (and %d others), expected one each",
			 w->n[0], t->ev[0]->event, w->n[1], t->n > 1 ? t->ev[1]->event : "(none)",
			 w->other);
		return -EINVAL;
	}
	if (!(t0 <= w->time[0] && w->time[0] <= w->time[1] && w->time[1] <= t1)) {
		snprintf(err, errlen, "perf timestamps %llu, %llu outside [%llu, %llu]: clocks disagree",
			 (unsigned long long)w->time[0], (unsigned long long)w->time[1],
			 (unsigned long long)t0, (unsigned long long)t1);
		return -ERANGE;
	}
	split[0] = w->time[0] - t0;
	split[1] = w->time[1] - w->time[0];
	split[2] = t1 - w->time[1];
	return 0;
}

/* The kernel's last "error:" line in tracefs error_log, if any. */
static void last_error(const char *fs, char *buf, size_t len)
{
	char path[128], line[512];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/error_log", fs);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strstr(line, "error:")) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "%.*s", (int)len - 1, line);
		}
	}
	if (f)
		fclose(f);
}

static int kprobe_write(const char *fs, const char *cmd)
{
	char path[128];
	ssize_t n;
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/kprobe_events", fs);
	/* O_APPEND: without it, opening for writing clears every kprobe event */
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, cmd, strlen(cmd));
	if (n < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int hb_kprobe_del(const char *event)
{
	const char *fs = hb_tracefs();
	char cmd[160];

	if (!fs)
		return -ENOENT;
	snprintf(cmd, sizeof(cmd), "-:%s\n", event);
	return kprobe_write(fs, cmd);
}

int hb_kprobe_add(const char *def, char *err, size_t errlen)
{
	const char *fs = hb_tracefs(), *name, *sp;
	char event[128], cmd[512], why[256], path[192];
	int ret;

	if (!fs) {
		snprintf(err, errlen, "no tracefs at /sys/kernel/tracing or /sys/kernel/debug/tracing");
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/kprobe_events", fs);
	if (access(path, W_OK)) {
		snprintf(err, errlen, "%s: %s (CONFIG_KPROBE_EVENTS=y needed)", path,
			 strerror(errno));
		return -ENOENT;
	}
	name = strchr(def, ':');
	sp = name ? strchr(name, ' ') : NULL;
	if (!sp || (size_t)(sp - name - 1) >= sizeof(event)) {
		snprintf(err, errlen, "bad kprobe definition '%s'", def);
		return -EINVAL;
	}
	snprintf(event, sizeof(event), "%.*s", (int)(sp - name - 1), name + 1);
	hb_kprobe_del(event);	/* left over from an interrupted run */
	snprintf(cmd, sizeof(cmd), "%s\n", def);
	ret = kprobe_write(fs, cmd);
	if (ret) {
		last_error(fs, why, sizeof(why));
		snprintf(err, errlen, "kprobe_events '%s': %s%s%s", def, strerror(-ret),
			 why[0] ? "; tracefs error_log: " : "", why);
	}
	return ret;
}

#define KPROBE_OPTIMIZE	"/proc/sys/debug/kprobes-optimization"

static long kprobe_optimize = -1;	/* to restore; < 0: untouched */

void hb_kprobes_plain(void)
{
	long was = hb_num_file(KPROBE_OPTIMIZE, -1);

	if (was > 0 && !hb_num_file(KPROBE_OPTIMIZE, 0))
		kprobe_optimize = was;
}

void hb_kprobes_restore(void)
{
	if (kprobe_optimize > 0)
		hb_num_file(KPROBE_OPTIMIZE, kprobe_optimize);
	kprobe_optimize = -1;
}

int hb_kprobe_span(const char *func, const char *args, struct hb_tp_format fmt[2],
		   char *err, size_t errlen)
{
	char def[512], event[2][128];
	int ret;

	snprintf(event[0], sizeof(event[0]), "hmmbench/%s_entry", func);
	snprintf(event[1], sizeof(event[1]), "hmmbench/%s_return", func);
	snprintf(def, sizeof(def), "p:%s %s %s", event[0], func, args);
	ret = hb_kprobe_add(def, err, errlen);
	if (ret)
		return ret;
	snprintf(def, sizeof(def), "r:%s %s ret=$retval:u8", event[1], func);
	ret = hb_kprobe_add(def, err, errlen);
	if (!ret)
		ret = hb_tp_format(event[0], &fmt[0], err, errlen);
	if (!ret)
		ret = hb_tp_format(event[1], &fmt[1], err, errlen);
	return ret;
}

void hb_kprobe_span_del(const char *func)
{
	char event[128];

	snprintf(event, sizeof(event), "hmmbench/%s_entry", func);
	hb_kprobe_del(event);
	snprintf(event, sizeof(event), "hmmbench/%s_return", func);
	hb_kprobe_del(event);
}

#define LAYOUT_EVENT	"hmmbench/layout"

struct layout_arg {
	const struct hb_tp_field *f[HB_LAYOUT_MAX_WORDS];
	int words, off;
	const uint64_t *want;
};

/* Every call: the first word pair holding want[], unless one did already. */
static int layout_find(void *arg, uint64_t time, const void *raw, uint32_t size)
{
	struct layout_arg *a = arg;
	int i;

	(void)time;
	for (i = 0; i + 1 < a->words && a->off < 0; i++)
		if ((uint64_t)hb_tp_get(raw, size, a->f[i]) == a->want[0] &&
		    (uint64_t)hb_tp_get(raw, size, a->f[i + 1]) == a->want[1])
			a->off = 8 * i;
	return 0;
}

int hb_kprobe_layout(const char *func, const char *arg, int words,
		     const uint64_t want[2], void (*trigger)(void *), void *targ,
		     char *err, size_t errlen)
{
	struct layout_arg a = { .words = words, .off = -1, .want = want };
	const struct hb_tp_format *ev[1];
	struct hb_tp_format fmt;
	struct hb_trace tr;
	char def[512], name[16];
	int i, n, ret;

	if (words < 2 || words > HB_LAYOUT_MAX_WORDS) {
		snprintf(err, errlen, "%s: %d words, 2 to %d can be read", __func__,
			 words, HB_LAYOUT_MAX_WORDS);
		return -EINVAL;
	}
	n = snprintf(def, sizeof(def), "p:" LAYOUT_EVENT " %s", func);
	for (i = 0; i < words && n < (int)sizeof(def); i++)
		n += snprintf(def + n, sizeof(def) - n, " w%d=+%d(%s):u64", i, 8 * i, arg);
	if (n >= (int)sizeof(def)) {
		snprintf(err, errlen, "%s: %s's probe is too long", __func__, func);
		return -EINVAL;
	}
	ret = hb_kprobe_add(def, err, errlen);
	if (ret)
		return ret;
	ret = hb_tp_format(LAYOUT_EVENT, &fmt, err, errlen);
	for (i = 0; !ret && i < words; i++) {
		snprintf(name, sizeof(name), "w%d", i);
		a.f[i] = hb_tp_field(&fmt, name);
		if (!a.f[i]) {
			snprintf(err, errlen, "%s has no field %s", LAYOUT_EVENT, name);
			ret = -EINVAL;
		}
	}
	ev[0] = &fmt;
	if (!ret)
		ret = hb_trace_open(&tr, ev, 1, 64, err, errlen);
	if (!ret) {
		ret = hb_trace_enable(&tr);
		if (!ret) {
			trigger(targ);
			hb_trace_disable(&tr);
			ret = hb_trace_read(&tr, layout_find, &a);
			ret = ret < 0 ? ret : 0;
		} else {
			snprintf(err, errlen, "enabling %s: %s", LAYOUT_EVENT, strerror(-ret));
		}
		hb_trace_close(&tr);
	}
	hb_kprobe_del(LAYOUT_EVENT);
	if (ret)
		return ret;
	if (a.off < 0) {
		snprintf(err, errlen, "no call of %s held the words %#llx, %#llx among the first %d at %s",
			 func, (unsigned long long)want[0], (unsigned long long)want[1],
			 words, arg);
		return -ENOENT;
	}
	return a.off;
}
