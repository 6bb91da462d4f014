/* sim.h - a discrete-event simulator of taskfarm's scheduling: virtual
 * ranks in nodes, a network, and on virtual rank 0 the library's real
 * coordinator (role/coord.h), driven with no MPI and no threads.
 *
 * Everything runs on the caller's thread; a run is deterministic for a
 * given configuration and seed (unless the coordinator's cost is measured,
 * sim_cfg.coord_measured). README.md says what is modelled and what not. */
#ifndef TF_SIM_H
#define TF_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- workloads --------------------------------------------------------------- */

/* A task as the simulator sees it: its input, as it travels in a chunk or a
 * spawned task (SIM_TASK_LEN bytes). */
typedef struct sim_task {
    uint64_t id;    /* unique in a run: checked */
    uint32_t depth; /* 0: a task of the driver's job */
    uint32_t pad;
    uint64_t aux; /* the generator's own */
} sim_task;
#define SIM_TASK_LEN sizeof(sim_task)

/* A workload: the driver's one job of `roots` tasks, the virtual time each
 * task takes, and the tasks each task spawns. Every function is pure (the
 * same task gives the same answer), so a generator (a UTS-like tree, a
 * trace) plugs in by filling this in. */
typedef struct sim_workload {
    char desc[128];
    uint64_t roots;
    /* the driver waits for its job's results before it returns (a map);
     * else it returns at once and the run ends when every spawned task
     * has finished (termination counting alone) */
    bool driver_waits;
    uint32_t out_bytes; /* each task's output */
    const void *arg;    /* the generator's parameters */
    void (*root)(const struct sim_workload *wl, uint64_t i, sim_task *out);
    uint64_t (*cost_ns)(const struct sim_workload *wl, const sim_task *t);
    /* the children of t, at most max written to kids; their count */
    uint32_t (*children)(const struct sim_workload *wl, const sim_task *t, sim_task *kids,
                         uint32_t max);
    /* filled by sim_workload_count: every task of a run, and their time */
    uint64_t total;
    double work_ns;
    uint32_t max_children;
    uint64_t max_cost_ns;
    double crit_ns; /* the critical path: the dearest chain of tasks, root to leaf */
} sim_workload;

/* The most children one task may have. */
#define SIM_KIDS_MAX 1024

/* Walks the whole task tree once (no simulation): total, work_ns,
 * max_cost_ns, crit_ns. 0, or -1 if a task has more than SIM_KIDS_MAX children. */
int sim_workload_count(sim_workload *wl);

/* The built-in generators; the parameter structs must outlive the run. */
typedef struct sim_map_params {
    uint64_t n;
    double t_us;
} sim_map_params;
void sim_workload_map(sim_workload *wl, const sim_map_params *p);
/* n rows whose cost varies from t_us to 100 * t_us along a smooth bump
 * (the middle rows the dearest), as a Mandelbrot image's rows do */
void sim_workload_skew(sim_workload *wl, const sim_map_params *p);

typedef struct sim_tree_params {
    uint64_t roots; /* tasks of the driver's job */
    uint32_t k;     /* fixed: children of every task above max_depth */
    uint32_t depth; /* fixed: depth of the leaves */
    double q;       /* random (q > 0): a task has m children with probability q */
    uint32_t m;     /* random */
    uint32_t b0;    /* random: children of each root */
    uint32_t max_depth;
    double t_us; /* a task's mean time; each varies by +-var of it */
    double var;
    uint64_t seed;
} sim_tree_params;
void sim_workload_tree(sim_workload *wl, const sim_tree_params *p);

/* A UTS-like search (apps/tf-uts's task structure): a task walks its
 * subtree depth-first with an explicit stack of frames (a node and the
 * range of its children still to visit) for up to `budget` nodes, then
 * spawns what is left on its stack as up to `split` tasks, the oldest
 * frames one task each and the rest together (a lone frame is cut into
 * ranges of its children). A task's time is the nodes it made times
 * node_ns. The tree's shape is UTS's, with a cheap hash for the node
 * states instead of SHA-1 (so a root seed gives another tree than UTS's):
 *   binomial: the root has b0 children, every other node m with
 *             probability q (T3L: b0 2000, q 0.200014, m 5);
 *   geometric, "fixed" shape: a geometric number of children of mean b0
 *             at every depth below gen_mx (T1L: b0 4, gen_mx 13).
 * A task's frames live in the generator until its walk (done once, on
 * first use, and remembered: the functions stay pure). */
enum { SIM_UTS_BIN = 0, SIM_UTS_GEO = 1 };
typedef struct sim_uts_params {
    int type;
    double b0, q;
    uint32_t m, gen_mx;
    uint32_t max_depth; /* no node deeper (a guard for binomial trees) */
    uint64_t seed;
    uint32_t budget, split;
    double node_ns;
    struct sim_uts_state *st; /* the generator's, made by sim_workload_uts */
} sim_uts_params;
/* 0, or -1 without memory. */
int sim_workload_uts(sim_workload *wl, sim_uts_params *p);
void sim_uts_free(sim_uts_params *p);
/* The tree's nodes and depth, walked without tasks; stops past cap nodes
 * (returns cap + 1 then). */
uint64_t sim_uts_nodes(const sim_uts_params *p, uint64_t cap, uint32_t *depth);

/* ---- a run --------------------------------------------------------------------- */

/* The most quantiles of sim_cfg.preempt_q. */
#define SIM_PREEMPT_QMAX 64

typedef struct sim_cfg {
    int ranks, per_node;
    /* peer scheduling (rank/peers.h, the library's default): ranks steal
     * spawned tasks from each other and waves end the run; false: the
     * central policy (rank 0 brokers shares, STOP/STOPPED) */
    bool peers;
    /* peer scheduling: node leaders (core/groups.h, role/relay.h) as the
     * pool makes them with TF_LEADERS: -1 none, 0 a node's ranks a group,
     * N > 0 runs of at most N of them; ignored by the central policy */
    int leaders;
    double lat_intra_ns, lat_inter_ns; /* one way */
    double bw_intra, bw_inter;         /* bytes per ns */
    double jitter_ns;                  /* uniform extra delay per message, up to this */
    uint64_t seed;
    /* the service thread (service.c's policy) */
    uint64_t svc_spin_ns, idle_min_ns, idle_max_ns, pending_poll_ns;
    uint64_t svc_turn_ns; /* a loop turn that did something */
    uint64_t msg_ns;      /* receiving, or sending, one message */
    /* one core a rank: a service turn's time is taken from the running
     * task (the main thread waits for the core) */
    bool shared_core;
    uint64_t preempt_ns; /* shared core: a woken service thread waits this
                            long for the core while a task runs */
    /* or, with preempt_nq >= 2, a wait drawn from a distribution: its
     * quantiles at 0, 1/(nq-1), ..., 1 (ns), interpolated linearly (a
     * measured distribution of steal latencies, README.md) */
    double preempt_q[SIM_PREEMPT_QMAX];
    int preempt_nq;
    uint64_t slack_ns; /* a timed sleep lasts this much longer (the
                          kernel's timer slack) */
    /* the main thread */
    uint64_t main_spin_ns; /* spins this long before it blocks */
    uint64_t wake_ns;      /* a blocked thread's wake-up */
    uint64_t item_ns;      /* per item run, besides its tasks */
    /* the coordinator's own time, modelled: per call, per RESULTS byte,
     * per rank a step passes over, per item it puts; or measured (real
     * time of the real calls, times coord_scale) */
    bool coord_measured;
    double coord_scale;
    double coord_call_ns, coord_byte_ns, coord_rank_ns, coord_put_ns;
    /* the scheduling options (tf_pool_opts) */
    int chunk_policy;
    size_t chunk_size;
    double chunk_target_s, prefetch_s;
    /* a run with no progress for this long (virtual) is stuck: failure */
    uint64_t stall_ns;
    /* a fault, to show that the checks catch one: SIM_FAULT_* */
    int fault;
} sim_cfg;

/* SIM_FAULT_LOSE: the network loses the first RESULTS message that carries
 * a result; SIM_FAULT_DUP: it delivers the first TASKS message that
 * carries a chunk twice. Under peer scheduling both strike the first LOOT
 * message that carries stolen tasks instead. */
enum { SIM_FAULT_NONE = 0, SIM_FAULT_LOSE, SIM_FAULT_DUP };

/* The defaults: 16 ranks a node, InfiniBand-like (tcp: false) or TCP. */
void sim_cfg_default(sim_cfg *c, int ranks, bool tcp);

typedef struct sim_result {
    bool ok;
    char why[512];      /* the first failed check */
    double makespan_s;  /* until the coordinator's run is over */
    double last_task_s; /* the last task's end */
    double efficiency;  /* work / (ranks * makespan) */
    uint64_t tasks_run;
    uint64_t events;
    uint64_t r0_sent, r0_recv;                   /* rank 0's messages over the network */
    uint64_t r0_sent_type[16], r0_recv_type[16]; /* the same by message type (core/msg.h) */
    uint64_t r0_loop_in, r0_loop_out;            /* to and from its own worker */
    int r0_slots;                                /* what rank 0's coordinator reaches */
    int leaders;                                 /* node leaders besides rank 0 */
    double r0_msgs_per_s;                        /* (sent + received) / makespan */
    double r0_busy_frac;                         /* rank 0's service thread busy / makespan */
    uint64_t shares;                             /* SHARE requests */
    /* peer scheduling, summed over the ranks */
    uint64_t steal_attempts, steals, tasks_stolen, pushes, waves;
    double real_s;
} sim_result;

/* Runs wl (counted) under c. Fatal only on out of memory; a failed check
 * is res->ok == false with res->why. */
void sim_run(const sim_cfg *c, const sim_workload *wl, sim_result *res);

#endif
