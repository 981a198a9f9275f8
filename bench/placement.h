/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CPU placement through hwloc (a thread bound to one CPU of a NUMA node) and
 * memory placement through libnuma (MPOL_BIND to one node). Without NUMA
 * support there is one node, 0, and memory is not bound.
 */
#ifndef HMMBENCH_PLACEMENT_H
#define HMMBENCH_PLACEMENT_H

#include <jansson.h>
#include <stddef.h>

int hb_place_init(char *err, size_t errlen);
/* 0 if @cpu_node has CPUs and @mem_node memory, else -1 and a reason. */
int hb_place_check(int cpu_node, int mem_node, char *err, size_t errlen);
/*
 * Binds the calling thread to the @idx-th CPU (modulo) of @node and returns
 * its OS index; @node -1 unbinds it (returns 0). -errno on failure.
 */
int hb_place_cpu(int node, unsigned int idx);
int hb_place_mem(int node);
int hb_place_ncpus(int node);
void hb_place_reset(void);
/* The node holding the page at @addr, -1 if none (not present) or unknown. */
int hb_page_node(void *addr);
/* Whether memory can be bound and checked (libnuma works here). */
int hb_numa_ok(void);

json_t *hb_place_topology(void);
json_t *hb_place_nodes(void);

#endif
