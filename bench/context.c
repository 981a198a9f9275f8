// SPDX-License-Identifier: GPL-2.0
#include <cpuid.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>
#include <openssl/evp.h>

#include "context.h"
#include "counters.h"
#include "placement.h"

#ifndef HMMBENCH_VERSION
#define HMMBENCH_VERSION "unknown"
#endif

/* sha256 of the decompressed /proc/config.gz, NULL without IKCONFIG_PROC. */
static json_t *config_hash(void)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char buf[16384], hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned int len, i;
	EVP_MD_CTX *c;
	gzFile f;
	int n;

	f = gzopen("/proc/config.gz", "rb");
	if (!f)
		return json_null();
	c = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	while ((n = gzread(f, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(c, buf, n);
	gzclose(f);
	EVP_DigestFinal_ex(c, md, &len);
	EVP_MD_CTX_free(c);
	if (n < 0)
		return json_null();
	for (i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	return json_string(hex);
}

static json_t *cpu_model(void)
{
	char line[256], *p;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		p = strchr(line, ':');
		if (strncmp(line, "model name", 10) || !p)
			continue;
		fclose(f);
		p[strcspn(p, "\n")] = '\0';
		return json_string(p + 1 + (p[1] == ' '));
	}
	if (f)
		fclose(f);
	return json_string("unknown");
}

/* The hypervisor's CPUID signature ("TCGTCGTCGTCG", "KVMKVMKVM"), if any. */
static json_t *hypervisor(void)
{
	unsigned int a, b, c, d;
	char sig[13];

	__cpuid(1, a, b, c, d);
	if (!(c & (1u << 31)))
		return json_null();
	__cpuid(0x40000000, a, b, c, d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = '\0';
	return json_string(sig);
}

/* The [selected] word of /sys/kernel/mm/transparent_hugepage/enabled. */
static json_t *thp_enabled(void)
{
	char buf[128], *l, *r;
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (!f)
		return json_null();
	l = fgets(buf, sizeof(buf), f) ? strchr(buf, '[') : NULL;
	fclose(f);
	r = l ? strchr(l, ']') : NULL;
	if (!r)
		return json_null();
	*r = '\0';
	return json_string(l + 1);
}

static const char *accelerator(enum hb_mode mode)
{
	if (mode == HB_MODE_ICOUNT)
		return "tcg-icount";
	if (mode == HB_MODE_HOST)
		return "none";
	return hb_mode_name(mode);
}

/*
 * The machine the numbers come from: the VM's host, which the runner on
 * that host names (HMMBENCH_HOST: its hostname, or a worker's name); in
 * host mode this machine.
 */
static json_t *host_name(void)
{
	const char *h = getenv("HMMBENCH_HOST");
	char buf[256];

	if (h && *h)
		return json_string(h);
	if (gethostname(buf, sizeof(buf)))
		return json_null();
	buf[sizeof(buf) - 1] = '\0';
	return json_string(buf);
}

json_t *hb_context(enum hb_mode mode, char *err, size_t errlen)
{
	const char *info = getenv("HMMBENCH_KERNEL_INFO");
	json_t *build = json_null(), *rel;
	json_error_t je;
	struct utsname u;

	uname(&u);
	if (info && *info) {
		json_decref(build);
		build = json_load_file(info, 0, &je);
		if (!json_is_object(build)) {
			snprintf(err, errlen, "HMMBENCH_KERNEL_INFO=%s: %s", info,
				 build ? "not a JSON object" : je.text);
			json_decref(build);
			return NULL;
		}
		/* build info for another kernel would mislabel every number */
		rel = json_object_get(build, "release");
		if (!json_is_string(rel) || strcmp(json_string_value(rel), u.release)) {
			snprintf(err, errlen, "HMMBENCH_KERNEL_INFO=%s is for release %s, but this kernel is %s",
				 info, json_is_string(rel) ? json_string_value(rel) : "(none)",
				 u.release);
			json_decref(build);
			return NULL;
		}
	}
	return json_pack("{ss so ss ss so so ss ss so ss so si so so so so}",
			 "hmmbench_version", HMMBENCH_VERSION,
			 "host", host_name(),
			 "kernel_release", u.release,
			 "kernel_version", u.version,
			 "kernel_config_sha256", config_hash(),
			 "kernel_build", build,
			 "mode", hb_mode_name(mode),
			 "accelerator", accelerator(mode),
			 "hypervisor", hypervisor(),
			 "time_unit", hb_mode_time_unit(mode),
			 "cpu_model", cpu_model(),
			 "cpus_online", (int)sysconf(_SC_NPROCESSORS_ONLN),
			 "topology", hb_place_topology(),
			 "numa_nodes", hb_place_nodes(),
			 "thp_enabled", thp_enabled(),
			 "perf_events", hb_counters_context());
}
