// SPDX-License-Identifier: GPL-2.0
/*
 * --profile DIR: a kernel profile of each benchmark's timed regions.
 *
 * perf record samples this process (and the children it forks) with
 * cpu-clock, kernel side only, with callchains and CLOCK_MONOTONIC
 * timestamps, into DIR/BENCH.data; the meter writes every timed region's
 * [start, end] in the same clock into DIR/BENCH.ranges ("START END POINT",
 * ns, with DIR/BENCH.points naming each POINT), and scripts/profile keeps
 * the samples inside them (perf report --time). A profiled run is a run of
 * its own: the sampling interrupts cost time inside the regions, which is
 * measured here (hb_profile_cost) and said, and its metrics are not gated.
 *
 * perf writes into a memfd, copied to DIR/BENCH.data when it has ended; it
 * ends on a "stop" command, so that its exit status says whether it wrote
 * its file (after SIGINT it re-raises the signal, whatever happened), and
 * what it says goes to DIR/BENCH.perf.log. A profile whose perf failed or
 * that holds no sample fails the run, naming why.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

static struct {
	pid_t perf;
	int ctl, ack;		/* perf's control and ack pipes, our ends */
	int mem;		/* the memfd perf writes to */
	char data[PATH_MAX];	/* where that goes, and perf's stderr */
	char log[PATH_MAX];
	struct sigaction pipe;	/* SIGPIPE's action before perf started */
	FILE *ranges;
	size_t point;		/* the index of the point being visited */
} pr = { .perf = -1, .ctl = -1, .ack = -1, .mem = -1 };

/*
 * Sends "enable" or "disable" to perf and waits for its ack, however long
 * perf takes to start: in icount the guest clock jumps ahead while perf's
 * libraries come over 9p from a loaded host, so a timeout in guest time
 * killed perf mid-start. perf either acks or exits (the pipe hangs up);
 * vm-run's timeout bounds the rest.
 */
static int perf_cmd(const char *cmd)
{
	struct pollfd p = { .fd = pr.ack, .events = POLLIN };
	char buf[16];
	ssize_t n;

	if (write(pr.ctl, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		return -EIO;
	while ((n = poll(&p, 1, -1)) < 0 && errno == EINTR)
		;
	if (n != 1)
		return -EIO;
	n = read(pr.ack, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return strncmp(buf, "ack", 3) ? -EPROTO : 0;
}

/*
 * PERF_RECORD_SAMPLE records in the data section of the perf.data perf
 * wrote, or -1 with the reason in @err: counted here, as perf counts
 * only in its build-id pass, which is off.
 */
static long long count_samples(char *err, size_t len)
{
	struct {
		char magic[8];
		uint64_t size, attr_size;
		uint64_t attrs[2], data[2];	/* offset, size */
	} h;
	struct {
		uint32_t type;
		uint16_t misc, size;
	} e;
	int fd = dup(pr.mem);
	long long n = 0;
	uint64_t off = 0;
	FILE *f;

	f = fd < 0 ? NULL : fdopen(fd, "r");
	if (!f || fseeko(f, 0, SEEK_SET)) {
		snprintf(err, len, "%s: %s", pr.data, strerror(errno));
		if (f)
			fclose(f);
		else if (fd >= 0)
			close(fd);
		return -1;
	}
	if (fread(&h, sizeof(h), 1, f) != 1 || memcmp(h.magic, "PERFILE2", 8)) {
		snprintf(err, len, "%s: not a perf.data file", pr.data);
		goto bad;
	}
	if (!h.data[1]) {
		snprintf(err, len, "%s: perf wrote no data (data size 0)", pr.data);
		goto bad;
	}
	if (fseeko(f, h.data[0], SEEK_SET))
		goto short_read;
	for (off = 0; off < h.data[1]; off += e.size) {
		if (fread(&e, sizeof(e), 1, f) != 1 || e.size < sizeof(e) ||
		    fseeko(f, e.size - sizeof(e), SEEK_CUR))
			goto short_read;
		n += e.type == PERF_RECORD_SAMPLE;
	}
	fclose(f);
	return n;
short_read:
	snprintf(err, len, "%s: cut short at byte %llu of its %llu of data",
		 pr.data, (unsigned long long)off, (unsigned long long)h.data[1]);
bad:
	fclose(f);
	return -1;
}

/* Copies what perf wrote to DIR/BENCH.data: 0, or -1 with the reason. */
static int save_data(char *err, size_t len)
{
	enum { CHUNK = 1 << 20 };
	char *buf = malloc(CHUNK);
	ssize_t n = 0, w, k;
	off_t off = 0;
	int out;

	out = open(pr.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	while (buf && out >= 0 && (n = pread(pr.mem, buf, CHUNK, off)) > 0) {
		for (w = 0; w < n; w += k) {
			k = write(out, buf + w, n - w);
			if (k <= 0)
				break;
		}
		if (w < n)
			n = -1;
		if (n < 0)
			break;
		off += n;
	}
	if (!buf || out < 0 || n < 0) {
		snprintf(err, len, "%s: %s", pr.data, buf ? strerror(errno) : "out of memory");
		if (out >= 0)
			close(out);
		free(buf);
		return -1;
	}
	free(buf);
	if (close(out)) {
		snprintf(err, len, "%s: %s", pr.data, strerror(errno));
		return -1;
	}
	return 0;
}

/* What perf said that explains a failure: its first error, else its last line. */
static void perf_said(char *buf, size_t len)
{
	char line[256], last[256] = "";
	FILE *f = fopen(pr.log, "re");

	snprintf(buf, len, "nothing");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || !strncmp(line, "[ perf record:", 14))
			continue;
		if (strcasestr(line, "error") || strcasestr(line, "fail")) {
			snprintf(last, sizeof(last), "%s", line);
			break;
		}
		snprintf(last, sizeof(last), "%s", line);
	}
	if (f)
		fclose(f);
	if (last[0])
		snprintf(buf, len, "\"%s\"", last);
}

/*
 * Stops perf and waits for it: its samples, or -1 with the reason in
 * @err if it did not exit 0 or its file cannot be read.
 */
static long long perf_stop(char *err, size_t len)
{
	char said[300];
	pid_t perf = pr.perf, w;
	long long n = -1;
	int st;

	if (perf <= 0)
		return 0;
	/* "stop", not SIGINT: see the top; a perf gone already gets EPIPE */
	if (perf_cmd("stop\n"))
		kill(perf, SIGINT);
	while ((w = waitpid(perf, &st, 0)) < 0 && errno == EINTR)
		;
	sigaction(SIGPIPE, &pr.pipe, NULL);
	close(pr.ctl);
	close(pr.ack);
	pr.perf = pr.ctl = pr.ack = -1;
	if (w < 0) {
		snprintf(err, len, "perf record: waitpid: %s", strerror(errno));
	} else if ((WIFEXITED(st) && !WEXITSTATUS(st)) ||
		   (WIFSIGNALED(st) && WTERMSIG(st) == hb_stop_signal)) {
		/* exited 0, or got the signal the run did (Ctrl-C) and ended */
		if (!save_data(err, len))
			n = count_samples(err, len);
	} else {
		/* what it wrote still goes to DIR, to be looked at */
		save_data(said, sizeof(said));
		perf_said(said, sizeof(said));
		if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
			snprintf(err, len, "perf record did not start: no perf in PATH?");
		else if (WIFSIGNALED(st))
			snprintf(err, len,
				 "perf record was killed by signal %d (%s); it said %s (%s)",
				 WTERMSIG(st), strsignal(WTERMSIG(st)), said, pr.log);
		else
			snprintf(err, len, "perf record exited with status %d; it said %s (%s)",
				 WEXITSTATUS(st), said, pr.log);
	}
	close(pr.mem);
	pr.mem = -1;
	return n;
}

/*
 * Starts perf record on this process into @dir/@name.data, events enabled
 * once it acks: 0, or -1 with the reason in @err.
 */
static int perf_start(const char *dir, const char *name, char *err, size_t len)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	char ctl[64], period[32], pid[32], out[64];
	int to[2], from[2], log;

	snprintf(pr.data, sizeof(pr.data), "%s/%s.data", dir, name);
	snprintf(pr.log, sizeof(pr.log), "%s/%s.perf.log", dir, name);
	snprintf(period, sizeof(period), "%lu", hb_rs.o->profile_period);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	log = open(pr.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (log < 0) {
		snprintf(err, len, "%s: %s", pr.log, strerror(errno));
		return -1;
	}
	pr.mem = memfd_create("perf.data", MFD_CLOEXEC);
	if (pr.mem < 0 || pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC)) {
		snprintf(err, len, "%s: %s", pr.mem < 0 ? "memfd_create" : "pipe",
			 strerror(errno));
		if (pr.mem >= 0)
			close(pr.mem);
		pr.mem = -1;
		close(log);
		return -1;
	}
	/* a perf that died must not take the run with it on our next command */
	sigaction(SIGPIPE, &ign, &pr.pipe);
	pr.perf = fork();
	if (!pr.perf) {
		/* the child's ends, kept across exec */
		int c = dup(to[0]), a = dup(from[1]), m = dup(pr.mem);

		sigaction(SIGPIPE, &pr.pipe, NULL);
		dup2(log, STDERR_FILENO);
		snprintf(ctl, sizeof(ctl), "fd:%d,%d", c, a);
		snprintf(out, sizeof(out), "/proc/self/fd/%d", m);
		/*
		 * kernel callchains only; a 16 MiB buffer, so that perf is
		 * seldom woken to drain it inside a region. Into a memfd,
		 * which perf_stop() copies to DIR: perf writes straight from
		 * that buffer, which 7.x maps VM_PFNMAP (6.12 did not), and
		 * a write from pages that cannot be pinned to a file whose
		 * writes pin them (the guest's 9p without a cache, O_DIRECT)
		 * fails with EFAULT. (--aio, a copy in perf, moved 6.1's fork
		 * profile by 2-4 pp; the memfd does not.) -B: no build-id
		 * pass, a second read of the whole file at the end.
		 */
		execlp("perf", "perf", "record", "-e", "cpu-clock:k",
		       "-c", period, "-g", "--kernel-callchains", "-m", "4096",
		       "-k", "CLOCK_MONOTONIC", "-D", "-1", "--control", ctl,
		       "-B", "-p", pid, "-o", out, (char *)NULL);
		_exit(127);
	}
	close(log);
	close(to[0]);
	close(from[1]);
	pr.ctl = to[1];
	pr.ack = from[0];
	if (pr.perf < 0) {
		snprintf(err, len, "fork: %s", strerror(errno));
		sigaction(SIGPIPE, &pr.pipe, NULL);
		close(pr.ctl);
		close(pr.ack);
		close(pr.mem);
		pr.ctl = pr.ack = pr.mem = -1;
		return -1;
	}
	if (perf_cmd("enable\n")) {
		if (perf_stop(err, len) >= 0)
			snprintf(err, len, "perf record did not start (%s)", pr.log);
		return -1;
	}
	return 0;
}

int hb_profile_begin(const char *bench, char *err, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s.ranges", hb_rs.o->profile, bench);
	pr.ranges = fopen(path, "we");
	if (!pr.ranges) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (perf_start(hb_rs.o->profile, bench, err, len)) {
		fclose(pr.ranges);
		pr.ranges = NULL;
		return -1;
	}
	hb_rs.profiling = true;
	return 0;
}

void hb_profile_point(size_t k)
{
	pr.point = k;
}

/*
 * In icount the sampling timer fires every period instructions exactly:
 * against a loop of regions of nearly one length it would hit the same
 * few instructions every time (aliasing), and a change of that length
 * would move the profile everywhere. A spin of a random length in user
 * space before each region, where kernel-only sampling keeps nothing,
 * puts the timer at a random phase of the region.
 */
void hb_profile_jitter(void)
{
	static __thread uint64_t x = 0x9e3779b97f4a7c15ULL;
	volatile uint64_t n;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	for (n = x % hb_rs.o->profile_period; n; n--)
		;
}

void hb_profile_range(uint64_t t0, uint64_t t1)
{
	pthread_mutex_lock(&hb_rs.lock);
	if (pr.ranges)
		fprintf(pr.ranges, "%llu %llu %zu\n", (unsigned long long)t0,
			(unsigned long long)t1, pr.point);
	pthread_mutex_unlock(&hb_rs.lock);
}

/*
 * Ends the benchmark's profile; @names[k] is point k's name. -1 with the
 * reason in @err if a file was not written or perf recorded no sample.
 */
int hb_profile_end(const char *bench, char *const *names, size_t n,
		   char *err, size_t len)
{
	char path[PATH_MAX];
	long long samples;
	FILE *f;
	size_t k;
	int ret = 0;

	hb_rs.profiling = false;
	samples = perf_stop(err, len);
	pthread_mutex_lock(&hb_rs.lock);
	if (pr.ranges && fclose(pr.ranges))
		ret = -errno;
	pr.ranges = NULL;
	pthread_mutex_unlock(&hb_rs.lock);
	if (ret) {
		snprintf(err, len, "%s.ranges: %s", bench, strerror(-ret));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s.points", hb_rs.o->profile, bench);
	f = fopen(path, "we");
	for (k = 0; f && k < n; k++)
		fprintf(f, "%zu %s\n", k, names[k]);
	if (!f || fclose(f)) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (samples < 0)
		return -1;
	if (!samples) {
		snprintf(err, len, "perf record wrote no samples to %s (%s)",
			 pr.data, pr.log);
		return -1;
	}
	fprintf(stderr, "hmmbench: %s: --profile: %lld samples in %s\n",
		bench, samples, pr.data);
	return 0;
}

/*
 * What a sampling interrupt costs inside a timed region: reads of 64 KiB
 * from /dev/zero (kernel time, where samples are taken and unwound) timed
 * with the events off, then on (a perf record of its own), medians of 15.
 * The timer fires once per period of the task's cpu-clock, so the cost of
 * one is the difference over the interrupts the on time holds: (on - off)
 * / (on / period). Time units, as every sample.
 */
int hb_profile_cost(json_t *ctx, char *err, size_t len)
{
	enum { REPS = 15, READS = 16, SIZE = 64 << 10 };
	double on[REPS], off[REPS], mon, moff, cost;
	long long samples;
	struct hb_stats st;
	int r, i, pass, fd;
	char *buf;

	fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	buf = malloc(SIZE);
	if (fd < 0 || !buf) {
		snprintf(err, len, "/dev/zero: %s", fd < 0 ? strerror(errno) : "out of memory");
		goto fail;
	}
	if (perf_start(hb_rs.o->profile, "profile-cost", err, len))
		goto fail;
	for (pass = 0; pass < 2; pass++) {
		double *v = pass ? on : off;

		if (perf_cmd(pass ? "enable\n" : "disable\n")) {
			if (perf_stop(err, len) >= 0)
				snprintf(err, len, "perf record stopped answering (%s)",
					 pr.log);
			goto fail;
		}
		for (r = 0; r < REPS; r++) {
			uint64_t t0 = now();

			for (i = 0; i < READS; i++)
				if (read(fd, buf, SIZE) != SIZE)
					break;
			v[r] = (double)(now() - t0) * hb_rs.tick - hb_rs.overhead;
		}
	}
	samples = perf_stop(err, len);
	if (samples < 0)
		goto fail;
	close(fd);
	free(buf);
	if (hb_stats_compute(off, REPS, &st))
		goto nomem;
	moff = st.median;
	if (hb_stats_compute(on, REPS, &st))
		goto nomem;
	mon = st.median;
	/* the on pass spans REPS * mon / period interrupts: a few must show */
	if (!samples && REPS * mon >= 10.0 * hb_rs.o->profile_period) {
		snprintf(err, len, "perf record wrote no samples to %s in about %.0f periods (%s)",
			 pr.data, REPS * mon / hb_rs.o->profile_period, pr.log);
		return -1;
	}
	cost = mon > 0 ? (mon - moff) / (mon / hb_rs.o->profile_period) : 0;
	json_object_set_new(ctx, "profile", json_pack("{ss ss sI sf sf sf ss}",
		"dir", hb_rs.o->profile, "event", "cpu-clock:k",
		"period", (json_int_t)hb_rs.o->profile_period,
		"calibration_off", moff, "calibration_on", mon,
		"cost_per_interrupt", cost,
		"method", "16 reads of 64 KiB from /dev/zero, median of 15, events off then on: (on - off) / (on / period)"));
	return 0;
nomem:
	snprintf(err, len, "out of memory");
	return -1;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return -1;
}
