/* place.c - the machine's topology (hwloc). The one file that includes
 * hwloc.h. Main thread, inside tf_pool_create.
 *
 * For now it records how many cores this host has and whether the launcher
 * bound this process (mpirun --bind-to, Slurm), and to how many hardware
 * threads: a rank bound to one of them must not spin while it waits, since
 * its other thread needs that very core. Binding the main and service
 * threads themselves is the placement module's next step. A failure here is
 * never an error: the pool runs unplaced. */
#include <hwloc.h>

#include "pool.h"

int tf__place_init(tf_pool *p, MPI_Comm comm)
{
    (void)comm;
    hwloc_topology_t topo;
    p->ncores = 0;
    p->bound = 0;
    if (hwloc_topology_init(&topo) < 0) return 0;
    if (hwloc_topology_load(topo) == 0) {
        int n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
        p->ncores = n > 0 ? (size_t)n : 0;
        hwloc_bitmap_t set = hwloc_bitmap_alloc();
        if (set && hwloc_get_cpubind(topo, set, HWLOC_CPUBIND_PROCESS) == 0) {
            hwloc_const_bitmap_t all = hwloc_topology_get_topology_cpuset(topo);
            p->bound = !hwloc_bitmap_isincluded(all, set);
            p->bound_pus = hwloc_bitmap_weight(set);
        }
        hwloc_bitmap_free(set);
    }
    hwloc_topology_destroy(topo);
    return 0;
}

void tf__place_service(tf_pool *p) { (void)p; }
void tf__place_free(tf_pool *p) { (void)p; }
