// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <hwloc.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>

#include "placement.h"

static hwloc_topology_t topo;
static int numa_works;

int hb_place_init(char *err, size_t errlen)
{
	if (hwloc_topology_init(&topo) || hwloc_topology_load(topo)) {
		snprintf(err, errlen, "hwloc cannot load the topology");
		return -1;
	}
	numa_works = numa_available() >= 0;
	return 0;
}

int hb_numa_ok(void)
{
	return numa_works;
}

static hwloc_obj_t node_obj(int node)
{
	hwloc_obj_t o = NULL;

	while ((o = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, o)))
		if ((int)o->os_index == node)
			return o;
	return NULL;
}

int hb_place_check(int cpu_node, int mem_node, char *err, size_t errlen)
{
	hwloc_obj_t o = node_obj(cpu_node);

	if (!o || hwloc_bitmap_iszero(o->cpuset)) {
		snprintf(err, errlen, "cpu_node %d: no such NUMA node with CPUs (nodes: 0-%d)",
			 cpu_node, hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE) - 1);
		return -1;
	}
	if (!node_obj(mem_node) || (!numa_works && mem_node)) {
		snprintf(err, errlen, "mem_node %d: no such NUMA node (nodes: 0-%d)",
			 mem_node, hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE) - 1);
		return -1;
	}
	return 0;
}

int hb_place_cpu(int node, unsigned int idx)
{
	hwloc_obj_t o = node_obj(node);
	hwloc_bitmap_t set;
	int n, cpu, i;

	if (node < 0)
		return hwloc_set_cpubind(topo, hwloc_topology_get_topology_cpuset(topo),
					 HWLOC_CPUBIND_THREAD) ? -errno : 0;
	set = hwloc_bitmap_alloc();
	n = hwloc_bitmap_weight(o->cpuset);
	cpu = hwloc_bitmap_first(o->cpuset);
	for (i = 0; i < (int)(idx % n); i++)
		cpu = hwloc_bitmap_next(o->cpuset, cpu);
	hwloc_bitmap_only(set, cpu);
	if (hwloc_set_cpubind(topo, set, HWLOC_CPUBIND_THREAD))
		cpu = -errno;
	hwloc_bitmap_free(set);
	return cpu;
}

int hb_place_ncpus(int node)
{
	hwloc_obj_t o = node_obj(node);

	return o ? hwloc_bitmap_weight(o->cpuset) : 0;
}

int hb_place_mem(int node)
{
	unsigned long mask = 1UL << node;

	if (!numa_works)
		return 0;
	return set_mempolicy(MPOL_BIND, &mask, sizeof(mask) * 8) ? -errno : 0;
}

void hb_place_reset(void)
{
	hb_place_cpu(-1, 0);
	if (numa_works)
		set_mempolicy(MPOL_DEFAULT, NULL, 0);
}

int hb_page_node(void *addr)
{
	int status = -1;

	if (!numa_works || move_pages(0, 1, &addr, NULL, &status, 0))
		return -1;
	return status;
}

json_t *hb_place_topology(void)
{
	int pk = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
	int co = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
	int pu = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	int nn = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
	char sum[128];

	snprintf(sum, sizeof(sum), "%d package(s), %d core(s), %d PU(s), %d NUMA node(s)",
		 pk, co, pu, nn);
	return json_pack("{ss si si si si sb}", "summary", sum, "packages", pk,
			 "cores", co, "pus", pu, "numa_nodes", nn,
			 "memory_binding", numa_works);
}

json_t *hb_place_nodes(void)
{
	json_t *nodes = json_array(), *cpus;
	hwloc_obj_t o = NULL;
	unsigned int cpu;

	while ((o = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, o))) {
		cpus = json_array();
		hwloc_bitmap_foreach_begin(cpu, o->cpuset)
			json_array_append_new(cpus, json_integer(cpu));
		hwloc_bitmap_foreach_end();
		json_array_append_new(nodes, json_pack("{si so sI}",
				"node", (int)o->os_index, "cpus", cpus,
				"memory_mib", (json_int_t)(o->attr->numanode.local_memory >> 20)));
	}
	return nodes;
}
