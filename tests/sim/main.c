/* main.c - tf-sim: runs the scheduling simulator (sim.h) from the command
 * line; README.md lists the options. Exits 0 when every check passed, 1
 * when one failed, 2 on a usage error. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "sim.h"
#include "taskfarm.h"

static void usage(void)
{
    fputs("usage: tf-sim [options]\n"
          "  --ranks P            virtual ranks (default 16)\n"
          "  --ranks-per-node N   (default 16)\n"
          "  --sched peers|central  peer scheduling (stealing, waves) or the central policy\n"
          "                       (default peers, as the library)\n"
          "  --leaders node|off|N peers: node leaders relay job tasks and results (role/relay.h),\n"
          "                       a node's ranks a group, or runs of N of them (TF_LEADERS);\n"
          "                       default off\n"
          "  --net ib|tcp         between nodes: 2 us, 12.5 GB/s | 20 us, 1.25 GB/s (default ib)\n"
          "  --workload map|skew|tree (default map)\n"
          "  --tasks N            map, skew: tasks (default 10000)\n"
          "  --task-us T          a task's time (skew: the cheapest; default 100)\n"
          "  --roots N            tree: tasks of the driver's job (default 1)\n"
          "  --k K --depth D      tree: K children a task down to depth D (default 4, 6)\n"
          "  --q Q --m M --b0 B   tree: random; a task has M children with probability Q,\n"
          "                       a root B (Q > 0 selects it)\n"
          "  --max-depth D        tree, uts: no task (uts: node) deeper (default 10000; uts none)\n"
          "  --workload uts-geo   UTS-like geometric tree, fixed shape (T1L-like: --b0 4\n"
          "                       --depth 13, node cost 93.5 ns)\n"
          "  --workload uts-bin   UTS-like binomial tree (T3L-like: --b0 2000 --q 0.200014\n"
          "                       --m 5, node cost 65.6 ns)\n"
          "  --budget N --split S uts: nodes a task walks, tasks it spawns (default 4096, 4)\n"
          "  --node-ns T          uts: a node's time (default: measured tf-uts, see README)\n"
          "  --uts-target N       uts: the first root seed from --seed whose tree has N/2..2N\n"
          "                       nodes\n"
          "  --var V              tree: a task's time varies by +-V of it (default 0.5)\n"
          "  --seed S             the seed of jitter and of random trees (default 1)\n"
          "  --jitter US          up to this much extra delay per message (default 0)\n"
          "  --chunk auto|guided|K  the chunk policy (default auto)\n"
          "  --coord-cost model|measured[:SCALE]  the coordinator's time (default model)\n"
          "  --csv FILE           appends one line of figures (a header if new)\n"
          "  --sweep N            N small random runs from the seed: P in 2..64, every workload,\n"
          "                       jitter up to 50 us; stops at the first failure\n"
          "  --fault lose|dup     the network loses a RESULTS message, or delivers a TASKS\n"
          "                       message twice: the run must then fail its checks\n"
          "  --msg-ns T --turn-ns T --wake-ns T  costs: a message received or sent, a busy\n"
          "                       service turn, a blocked thread's wake-up (ns)\n"
          "  --coord-x X          the modelled coordinator's costs times X\n"
          "  --shared-core 0|1    a service turn's time is taken from the running task\n"
          "  --preempt-ns T       shared core: a woken service thread waits T for the core\n"
          "  --preempt-us Q0,..,Q100  shared core: that wait drawn from these quantiles (us,\n"
          "                       evenly spaced from 0 to 1, at least 2; README.md)\n"
          "  --slack-ns T         a timed sleep lasts T longer (timer slack)\n"
          "  --quiet              prints only failures\n"
          "  --count              only counts the workload: tasks, work, critical path\n",
          stderr);
}

typedef struct opts {
    int ranks, per_node;
    bool central;
    int leaders; /* sim_cfg.leaders */
    bool tcp;
    const char *workload;
    sim_map_params map;
    sim_tree_params tree;
    sim_uts_params uts;
    bool set_b0, set_q, set_m, set_depth, set_maxd;
    uint64_t uts_target;
    /* cost overrides (< 0: the default) */
    double msg_ns, turn_ns, wake_ns, coord_x, preempt_ns, slack_ns;
    double preempt_q[SIM_PREEMPT_QMAX];
    int preempt_nq;
    int shared_core;
    double jitter_us;
    uint64_t seed;
    int chunk_policy;
    size_t chunk_size;
    bool measured;
    double scale;
    const char *csv;
    int sweep;
    bool quiet;
    bool count_only;
    int fault;
} opts;

static int build(opts *o, sim_workload *wl)
{
    if (!strcmp(o->workload, "map"))
        sim_workload_map(wl, &o->map);
    else if (!strcmp(o->workload, "skew"))
        sim_workload_skew(wl, &o->map);
    else if (!strcmp(o->workload, "tree"))
        sim_workload_tree(wl, &o->tree);
    else if (!strncmp(o->workload, "uts-", 4)) {
        if (sim_workload_uts(wl, &o->uts) < 0) return -1;
    } else
        return -1;
    if (sim_workload_count(wl) < 0) {
        fprintf(stderr, "tf-sim: a task has more than %d children\n", SIM_KIDS_MAX);
        return -1;
    }
    return 0;
}

/* The UTS-like tree's parameters from the options; with a target size,
 * the first root seed that gives it. -1 on a bad workload. */
static int uts_setup(opts *o)
{
    bool bin = !strcmp(o->workload, "uts-bin");
    if (!bin && strcmp(o->workload, "uts-geo")) return -1;
    sim_uts_params *u = &o->uts;
    u->type = bin ? SIM_UTS_BIN : SIM_UTS_GEO;
    u->b0 = o->set_b0 ? o->uts.b0 : bin ? 2000 : 4;
    u->q = o->set_q ? o->tree.q : 0.200014;
    u->m = o->set_m ? o->tree.m : 5;
    u->gen_mx = o->set_depth ? o->tree.depth : 13;
    u->max_depth = o->set_maxd ? o->tree.max_depth : 0;
    if (u->node_ns <= 0) u->node_ns = bin ? 65.6 : 93.5;
    u->seed = o->seed;
    if (!o->uts_target) return 0;
    for (int k = 0; k < 1000; k++, u->seed++) {
        uint32_t depth = 0;
        uint64_t n = sim_uts_nodes(u, 2 * o->uts_target, &depth);
        if (!o->quiet)
            printf("uts seed %llu: %s%llu nodes, depth %u\n", (unsigned long long)u->seed,
                   n > 2 * o->uts_target ? "more than " : "",
                   (unsigned long long)(n > 2 * o->uts_target ? 2 * o->uts_target : n), depth);
        if (2 * n >= o->uts_target && n <= 2 * o->uts_target) return 0;
    }
    fprintf(stderr, "tf-sim: no root seed gives a tree of about %llu nodes\n",
            (unsigned long long)o->uts_target);
    return -1;
}

static void config(const opts *o, sim_cfg *c)
{
    sim_cfg_default(c, o->ranks, o->tcp);
    c->peers = !o->central;
    c->leaders = o->leaders;
    c->per_node = o->per_node;
    c->jitter_ns = o->jitter_us * 1e3;
    c->seed = o->seed;
    c->chunk_policy = o->chunk_policy;
    c->chunk_size = o->chunk_size;
    c->coord_measured = o->measured;
    c->coord_scale = o->scale;
    c->fault = o->fault;
    if (o->msg_ns >= 0) c->msg_ns = (uint64_t)o->msg_ns;
    if (o->turn_ns >= 0) c->svc_turn_ns = (uint64_t)o->turn_ns;
    if (o->wake_ns >= 0) c->wake_ns = (uint64_t)o->wake_ns;
    if (o->coord_x >= 0) {
        c->coord_call_ns *= o->coord_x;
        c->coord_byte_ns *= o->coord_x;
        c->coord_rank_ns *= o->coord_x;
        c->coord_put_ns *= o->coord_x;
    }
    if (o->shared_core >= 0) c->shared_core = o->shared_core;
    if (o->preempt_ns >= 0) c->preempt_ns = (uint64_t)o->preempt_ns;
    for (int i = 0; i < o->preempt_nq; i++) c->preempt_q[i] = o->preempt_q[i] * 1e3;
    c->preempt_nq = o->preempt_nq;
    if (o->slack_ns >= 0) c->slack_ns = (uint64_t)o->slack_ns;
}

static double maxrss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* The scheduling as reported: "peers+leaders:node" (or :N) with node
 * leaders, so that lines without them read as before. */
static const char *sched_name(const opts *o, char *buf, size_t n)
{
    if (o->central) return "central";
    if (o->leaders < 0) return "peers";
    if (o->leaders == 0) return "peers+leaders:node";
    snprintf(buf, n, "peers+leaders:%d", o->leaders);
    return buf;
}

static void report(const opts *o, const sim_workload *wl, const sim_result *r)
{
    char sbuf[48];
    const char *sched = sched_name(o, sbuf, sizeof sbuf);
    if (!o->quiet || !r->ok) {
        printf("tf-sim: P=%d (%d a node) net=%s sched=%s %s; %llu tasks, %.6f s of work, "
               "critical path %.6f s\n",
               o->ranks, o->per_node, o->tcp ? "tcp" : "ib", sched, wl->desc,
               (unsigned long long)wl->total, wl->work_ns * 1e-9, wl->crit_ns * 1e-9);
        printf("  makespan %.6f s (last task %.6f s), efficiency %.4f\n", r->makespan_s,
               r->last_task_s, r->efficiency);
        printf("  rank 0: %llu sent, %llu received (%.0f msgs/s), own worker %llu in; "
               "service thread busy %.1f%%; %llu shares\n",
               (unsigned long long)r->r0_sent, (unsigned long long)r->r0_recv, r->r0_msgs_per_s,
               (unsigned long long)r->r0_loop_in, 100 * r->r0_busy_frac,
               (unsigned long long)r->shares);
        if (r->leaders)
            printf("  node leaders: %d besides rank 0, whose coordinator reaches %d slots\n",
                   r->leaders, r->r0_slots);
        if (!o->central)
            printf("  steals: %llu attempts, %llu got work (%llu tasks), %llu lifeline pushes, "
                   "%llu waves\n",
                   (unsigned long long)r->steal_attempts, (unsigned long long)r->steals,
                   (unsigned long long)r->tasks_stolen, (unsigned long long)r->pushes,
                   (unsigned long long)r->waves);
        if (!o->central) {
            static const char *const names[16] = {"?",    "TASKS",    "RESULTS", "STEAL",
                                                  "LOOT", "LIFELINE", "WAVE",    "ECHO",
                                                  "END",  "DONE",     "BEGIN"};
            for (int dir = 0; dir < 2; dir++) {
                const uint64_t *n = dir ? r->r0_sent_type : r->r0_recv_type;
                printf("  rank 0 %s:", dir ? "sent" : "received");
                for (int t = 0; t < 16; t++)
                    if (n[t])
                        printf(" %s %llu", names[t] ? names[t] : "?", (unsigned long long)n[t]);
                printf("\n");
            }
        }
        printf("  %llu events, %.2f s real, %.0f MB max RSS\n", (unsigned long long)r->events,
               r->real_s, maxrss_mb());
        printf("  checks: %s%s\n", r->ok ? "ok" : "FAILED: ", r->ok ? "" : r->why);
    }
    if (!o->csv) return;
    FILE *f = fopen(o->csv, "a+");
    if (!f) {
        perror(o->csv);
        return;
    }
    fseek(f, 0, SEEK_END);
    if (ftell(f) == 0)
        fprintf(f, "sched,ranks,per_node,net,workload,seed,jitter_us,tasks,work_s,makespan_s,"
                   "efficiency,r0_sent,r0_recv,r0_msgs_per_s,r0_busy,shares,steal_attempts,"
                   "steals,pushes,waves,events,real_s,ok,crit_s\n");
    fprintf(f,
            "%s,%d,%d,%s,\"%s\",%llu,%g,%llu,%.9f,%.9f,%.6f,%llu,%llu,%.1f,%.4f,%llu,%llu,%llu,"
            "%llu,%llu,%llu,%.3f,%d,%.9f\n",
            sched, o->ranks, o->per_node, o->tcp ? "tcp" : "ib", wl->desc,
            (unsigned long long)o->seed, o->jitter_us, (unsigned long long)wl->total,
            wl->work_ns * 1e-9, r->makespan_s, r->efficiency, (unsigned long long)r->r0_sent,
            (unsigned long long)r->r0_recv, r->r0_msgs_per_s, r->r0_busy_frac,
            (unsigned long long)r->shares, (unsigned long long)r->steal_attempts,
            (unsigned long long)r->steals, (unsigned long long)r->pushes,
            (unsigned long long)r->waves, (unsigned long long)r->events, r->real_s, r->ok,
            wl->crit_ns * 1e-9);
    fclose(f);
}

static uint64_t next(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Small runs drawn from the seed, each checked. */
static int sweep(const opts *base)
{
    uint64_t x = base->seed;
    for (int i = 0; i < base->sweep; i++) {
        opts o = *base;
        o.ranks = 2 + (int)(next(&x) % 63);
        o.per_node = 1 + (int)(next(&x) % 16);
        o.tcp = next(&x) % 2;
        o.jitter_us = (double)(next(&x) % 51);
        o.seed = next(&x);
        int kind = (int)(next(&x) % 4);
        o.chunk_policy = TF_CHUNK_AUTO;
        if (next(&x) % 4 == 0) {
            o.chunk_policy = TF_CHUNK_FIXED;
            o.chunk_size = 1 + next(&x) % 8;
        }
        if (kind < 2) {
            o.workload = kind ? "skew" : "map";
            o.map.n = 1 + next(&x) % 3000;
            o.map.t_us = 1 + (double)(next(&x) % 200);
        } else {
            o.workload = "tree";
            memset(&o.tree, 0, sizeof o.tree);
            o.tree.roots = 1 + next(&x) % 4;
            o.tree.max_depth = 60;
            o.tree.t_us = 1 + (double)(next(&x) % 100);
            o.tree.var = 0.5;
            o.tree.seed = o.seed;
            if (kind == 2) {
                o.tree.k = 2 + (uint32_t)(next(&x) % 3);
                o.tree.depth = 3 + (uint32_t)(next(&x) % 5);
            } else {
                o.tree.b0 = 20 + (uint32_t)(next(&x) % 200);
                o.tree.m = 2 + (uint32_t)(next(&x) % 4);
                o.tree.q = (1.0 - 0.02 * (double)(1 + next(&x) % 5)) / o.tree.m;
            }
        }
        sim_workload wl;
        if (build(&o, &wl) < 0) return 2;
        sim_cfg c;
        config(&o, &c);
        sim_result r;
        sim_run(&c, &wl, &r);
        if (!r.ok) {
            printf("sweep run %d failed:\n", i);
            o.quiet = false;
            report(&o, &wl, &r);
            printf("  (seed %llu, jitter %g us, chunk %s)\n", (unsigned long long)o.seed,
                   o.jitter_us, o.chunk_policy == TF_CHUNK_FIXED ? "fixed" : "auto");
            return 1;
        }
        if (!base->quiet)
            printf("sweep %3d: %s P=%2d %s jitter=%2gus %-45s eff %.3f ok\n", i,
                   o.central ? "central" : "peers", o.ranks, o.tcp ? "tcp" : "ib ", o.jitter_us,
                   wl.desc, r.efficiency);
    }
    printf("sweep: %d runs, every check passed\n", base->sweep);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("tf-sim (taskfarm) %s\n", tf_version());
        return 0;
    }
    opts o = {.ranks = 16,
              .leaders = -1,
              .per_node = 16,
              .workload = "map",
              .map = {10000, 100},
              .tree = {.roots = 1, .k = 4, .depth = 6, .max_depth = 10000, .t_us = 100, .var = 0.5},
              .seed = 1,
              .chunk_policy = TF_CHUNK_AUTO,
              .scale = 1.0,
              .msg_ns = -1,
              .turn_ns = -1,
              .wake_ns = -1,
              .coord_x = -1,
              .shared_core = -1,
              .preempt_ns = -1,
              .slack_ns = -1};
    enum {
        O_RPN = 256,
        O_TASKUS,
        O_MAXD,
        O_COST,
        O_CHUNK,
        O_SCHED,
        O_LEADERS,
        O_BUDGET,
        O_SPLIT,
        O_NODENS,
        O_TARGET,
        O_MSGNS,
        O_TURNNS,
        O_WAKENS,
        O_COORDX,
        O_SHARED,
        O_PREEMPT,
        O_PREEMPTQ,
        O_SLACK
    };
    static const struct option lo[] = {{"ranks", 1, 0, 'P'},
                                       {"ranks-per-node", 1, 0, O_RPN},
                                       {"sched", 1, 0, O_SCHED},
                                       {"leaders", 1, 0, O_LEADERS},
                                       {"budget", 1, 0, O_BUDGET},
                                       {"split", 1, 0, O_SPLIT},
                                       {"node-ns", 1, 0, O_NODENS},
                                       {"uts-target", 1, 0, O_TARGET},
                                       {"msg-ns", 1, 0, O_MSGNS},
                                       {"turn-ns", 1, 0, O_TURNNS},
                                       {"wake-ns", 1, 0, O_WAKENS},
                                       {"coord-x", 1, 0, O_COORDX},
                                       {"shared-core", 1, 0, O_SHARED},
                                       {"preempt-ns", 1, 0, O_PREEMPT},
                                       {"preempt-us", 1, 0, O_PREEMPTQ},
                                       {"slack-ns", 1, 0, O_SLACK},
                                       {"net", 1, 0, 'n'},
                                       {"workload", 1, 0, 'w'},
                                       {"tasks", 1, 0, 'N'},
                                       {"task-us", 1, 0, O_TASKUS},
                                       {"roots", 1, 0, 'R'},
                                       {"k", 1, 0, 'k'},
                                       {"depth", 1, 0, 'd'},
                                       {"q", 1, 0, 'q'},
                                       {"m", 1, 0, 'm'},
                                       {"b0", 1, 0, 'b'},
                                       {"max-depth", 1, 0, O_MAXD},
                                       {"var", 1, 0, 'v'},
                                       {"seed", 1, 0, 's'},
                                       {"jitter", 1, 0, 'j'},
                                       {"chunk", 1, 0, O_CHUNK},
                                       {"coord-cost", 1, 0, O_COST},
                                       {"csv", 1, 0, 'c'},
                                       {"sweep", 1, 0, 'S'},
                                       {"quiet", 0, 0, 'Q'},
                                       {"count", 0, 0, 'K'},
                                       {"help", 0, 0, 'h'},
                                       {"fault", 1, 0, 'F'},
                                       {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'P': o.ranks = atoi(optarg); break;
        case O_RPN: o.per_node = atoi(optarg); break;
        case O_SCHED:
            if (strcmp(optarg, "peers") && strcmp(optarg, "central")) return usage(), 2;
            o.central = !strcmp(optarg, "central");
            break;
        case O_LEADERS:
            if (!strcmp(optarg, "off")) {
                o.leaders = -1;
            } else if (!strcmp(optarg, "node")) {
                o.leaders = 0;
            } else {
                o.leaders = atoi(optarg);
                if (o.leaders < 1) return usage(), 2;
            }
            break;
        case 'n':
            if (strcmp(optarg, "ib") && strcmp(optarg, "tcp")) return usage(), 2;
            o.tcp = !strcmp(optarg, "tcp");
            break;
        case 'w': o.workload = optarg; break;
        case 'N': o.map.n = strtoull(optarg, NULL, 10); break;
        case O_TASKUS: o.map.t_us = o.tree.t_us = atof(optarg); break;
        case 'R': o.tree.roots = strtoull(optarg, NULL, 10); break;
        case 'k': o.tree.k = (uint32_t)atoi(optarg); break;
        case 'd':
            o.tree.depth = (uint32_t)atoi(optarg);
            o.set_depth = true;
            break;
        case 'q':
            o.tree.q = atof(optarg);
            o.set_q = true;
            break;
        case 'm':
            o.tree.m = (uint32_t)atoi(optarg);
            o.set_m = true;
            break;
        case 'b':
            o.tree.b0 = (uint32_t)atoi(optarg);
            o.uts.b0 = atof(optarg);
            o.set_b0 = true;
            break;
        case O_MAXD:
            o.tree.max_depth = (uint32_t)atoi(optarg);
            o.set_maxd = true;
            break;
        case O_BUDGET: o.uts.budget = (uint32_t)atoi(optarg); break;
        case O_SPLIT: o.uts.split = (uint32_t)atoi(optarg); break;
        case O_NODENS: o.uts.node_ns = atof(optarg); break;
        case O_TARGET: o.uts_target = strtoull(optarg, NULL, 10); break;
        case O_MSGNS: o.msg_ns = atof(optarg); break;
        case O_TURNNS: o.turn_ns = atof(optarg); break;
        case O_WAKENS: o.wake_ns = atof(optarg); break;
        case O_COORDX: o.coord_x = atof(optarg); break;
        case O_SHARED: o.shared_core = atoi(optarg); break;
        case O_PREEMPT: o.preempt_ns = atof(optarg); break;
        case O_PREEMPTQ: {
            char *p = optarg, *end;
            o.preempt_nq = 0;
            while (*p && o.preempt_nq < SIM_PREEMPT_QMAX) {
                double q = strtod(p, &end);
                if (end == p || q < 0 || (o.preempt_nq && q < o.preempt_q[o.preempt_nq - 1])) {
                    fprintf(stderr, "tf-sim: --preempt-us wants rising numbers: %s\n", optarg);
                    return 2;
                }
                o.preempt_q[o.preempt_nq++] = q;
                p = *end == ',' ? end + 1 : end;
                if (*end && *end != ',') break;
            }
            if (o.preempt_nq < 2 || *p) {
                fprintf(stderr, "tf-sim: --preempt-us wants 2 to %d quantiles: %s\n",
                        SIM_PREEMPT_QMAX, optarg);
                return 2;
            }
            break;
        }
        case O_SLACK: o.slack_ns = atof(optarg); break;
        case 'v': o.tree.var = atof(optarg); break;
        case 's': o.seed = strtoull(optarg, NULL, 10); break;
        case 'j': o.jitter_us = atof(optarg); break;
        case O_CHUNK:
            if (!strcmp(optarg, "auto")) {
                o.chunk_policy = TF_CHUNK_AUTO;
            } else if (!strcmp(optarg, "guided")) {
                o.chunk_policy = TF_CHUNK_GUIDED;
                o.chunk_size = 1;
            } else {
                o.chunk_policy = TF_CHUNK_FIXED;
                o.chunk_size = strtoull(optarg, NULL, 10);
                if (!o.chunk_size) return usage(), 2;
            }
            break;
        case O_COST:
            if (!strcmp(optarg, "model")) {
                o.measured = false;
            } else if (!strncmp(optarg, "measured", 8)) {
                o.measured = true;
                if (optarg[8] == ':') o.scale = atof(optarg + 9);
            } else {
                return usage(), 2;
            }
            break;
        case 'c': o.csv = optarg; break;
        case 'S': o.sweep = atoi(optarg); break;
        case 'Q': o.quiet = true; break;
        case 'K': o.count_only = true; break;
        case 'F':
            if (strcmp(optarg, "lose") && strcmp(optarg, "dup")) return usage(), 2;
            o.fault = !strcmp(optarg, "lose") ? SIM_FAULT_LOSE : SIM_FAULT_DUP;
            break;
        default: usage(); return ch == 'h' ? 0 : 2;
        }
    }
    if (optind < argc || o.ranks < 1 || o.per_node < 1 || o.jitter_us < 0) return usage(), 2;
    o.tree.seed = o.seed;
    if (o.sweep > 0) return sweep(&o);
    if (!strncmp(o.workload, "uts-", 4) && uts_setup(&o) < 0) return usage(), 2;
    sim_workload wl;
    if (build(&o, &wl) < 0) return usage(), 2;
    if (o.count_only) {
        printf("%s: %llu tasks, %.6f s of work, critical path %.6f s, longest task %.6f s\n",
               wl.desc, (unsigned long long)wl.total, wl.work_ns * 1e-9, wl.crit_ns * 1e-9,
               (double)wl.max_cost_ns * 1e-9);
        return 0;
    }
    sim_cfg c;
    config(&o, &c);
    sim_result r;
    sim_run(&c, &wl, &r);
    report(&o, &wl, &r);
    return r.ok ? 0 : 1;
}
