/* tf-pingpong - MPI ping-pong between two ranks: the message latency and
 * bandwidth that every task farm's messages pay, on whatever transport the
 * MPI picked between those two ranks (shared memory on one host, TCP
 * between the emulated hosts of cluster/netns, a fabric on a cluster).
 *
 *   mpirun -np P tf-pingpong [--iters N] [--sizes B[,B...]] [--peer R]
 *                            [--repeat R]
 *
 * Rank 0 and rank R (default P-1) exchange a message of each size B
 * (default 1,1024,65536,1048576 bytes) back and forth; other ranks only wait
 * at the barriers. Per size: a tenth of the round trips untimed, then R
 * (default 3) timed rounds of N round trips (default 20000; fewer for large
 * messages, so that each round moves at most about 256 MiB), the median
 * round reported. One-way latency = round trip / 2; bandwidth = bytes / one
 * way. Every message is checked on arrival: its first and last bytes carry
 * the round trip's number (a check of the delivery, not of every byte).
 *
 * Output (rank 0): a header naming both ranks' hosts and whether MPI puts
 * them on one node (MPI_Comm_split_type, shared memory), a table, and one
 * JSON line per size:
 *   {"bench":"pingpong","bytes":B,"iters":N,"ranks":P,"peer":R,
 *    "host0":"...","host_peer":"...","same_node":true|false,
 *    "latency_us":L,"latency_us_min":M,"bandwidth_mb_s":W,"ok":true}
 * Exit status: 0, 1 when a message arrived wrong, 2 for bad usage. Main
 * thread only; no taskfarm pool (the transport alone is measured).
 */
#include <inttypes.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appkit.h"

#define MAX_SIZES 32

static void usage(FILE *f)
{
    fprintf(f, "usage: mpirun -np P tf-pingpong [--iters N] [--sizes B[,B...]] [--peer R] "
               "[--repeat R] [--version]\n");
}

/* "1,1024,64K,1M" into sizes[]; the count, or -1 after a message. */
static int parse_sizes(const char *s, uint64_t *sizes)
{
    int n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        uint64_t v = strtoull(p, &end, 10);
        if (end == p) break;
        if (*end == 'K' || *end == 'k')
            v <<= 10, end++;
        else if (*end == 'M' || *end == 'm')
            v <<= 20, end++;
        if ((*end != ',' && *end) || v > (UINT64_C(1) << 30) || n == MAX_SIZES) break;
        sizes[n++] = v;
        p = *end ? end + 1 : end;
        if (!*p) return n;
    }
    ak_error("--sizes: want up to %d sizes of 0 to 1G bytes, comma-separated (K, M allowed), "
             "got '%s'",
             MAX_SIZES, s);
    return -1;
}

/* One round of n round trips of `bytes` between rank 0 and `peer`; seconds
 * (rank 0; 0 elsewhere). *bad counts messages that arrived wrong. */
static double round_trips(char *buf, uint64_t bytes, uint64_t n, int peer, uint64_t first,
                          uint64_t *bad)
{
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (uint64_t i = 0; i < n; i++) {
        unsigned char tag = (unsigned char)(first + i);
        if (ak_rank == 0) {
            if (bytes) buf[0] = (char)tag, buf[bytes - 1] = (char)tag;
            MPI_Send(buf, (int)bytes, MPI_BYTE, peer, 0, MPI_COMM_WORLD);
            MPI_Recv(buf, (int)bytes, MPI_BYTE, peer, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (bytes && ((unsigned char)buf[0] != (unsigned char)(tag + 1) ||
                          (unsigned char)buf[bytes - 1] != (unsigned char)(tag + 1)))
                (*bad)++;
        } else if (ak_rank == peer) {
            MPI_Recv(buf, (int)bytes, MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (bytes && ((unsigned char)buf[0] != tag || (unsigned char)buf[bytes - 1] != tag))
                (*bad)++;
            if (bytes) buf[0] = (char)(tag + 1), buf[bytes - 1] = (char)(tag + 1);
            MPI_Send(buf, (int)bytes, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
        }
    }
    return MPI_Wtime() - t0;
}

int main(int argc, char **argv)
{
    ak_init(&argc, &argv, "tf-pingpong");
    uint64_t iters = 20000, sizes[MAX_SIZES] = {1, 1024, 65536, 1048576};
    int nsizes = 4, peer = ak_size - 1, bad_usage = 0;
    unsigned repeat = 3;
    for (int i = 1; i < argc && !bad_usage; i++) {
        const char *opt = argv[i], *v;
        if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
            if (ak_rank == 0) usage(stdout);
            MPI_Finalize();
            return 0;
        } else if (!strcmp(opt, "--version")) {
            if (ak_rank == 0) ak_print_version("tf-pingpong");
            MPI_Finalize();
            return 0;
        } else if (!strcmp(opt, "--iters")) {
            bad_usage =
                !(v = ak_value(argc, argv, &i)) || ak_u64(opt, v, 1, UINT64_C(1) << 32, &iters) < 0;
        } else if (!strcmp(opt, "--sizes")) {
            bad_usage = !(v = ak_value(argc, argv, &i)) || (nsizes = parse_sizes(v, sizes)) < 0;
        } else if (!strcmp(opt, "--peer")) {
            bad_usage = !(v = ak_value(argc, argv, &i)) ||
                        ak_int(opt, v, 1, ak_size > 1 ? ak_size - 1 : 1, &peer) < 0;
        } else if (!strcmp(opt, "--repeat")) {
            int r = 0;
            bad_usage = !(v = ak_value(argc, argv, &i)) || ak_int(opt, v, 1, 1000, &r) < 0;
            repeat = (unsigned)r;
        } else {
            ak_error("unknown option '%s' (try --help)", opt);
            bad_usage = 1;
        }
    }
    if (!bad_usage && ak_size < 2) {
        ak_error("needs at least 2 ranks (mpirun -np 2)");
        bad_usage = 1;
    }
    if (bad_usage) {
        MPI_Finalize();
        return 2;
    }

    /* Where the two ranks are, and whether MPI sees them on one node. */
    char host[MPI_MAX_PROCESSOR_NAME] = "", host_peer[MPI_MAX_PROCESSOR_NAME] = "";
    int len = 0;
    MPI_Get_processor_name(host, &len);
    if (ak_rank == peer) MPI_Send(host, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, 0, 1, MPI_COMM_WORLD);
    if (ak_rank == 0)
        MPI_Recv(host_peer, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, peer, 1, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
    /* The lowest world rank of each node: the peer shares rank 0's node
     * exactly when its node's lowest rank is 0. */
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    int lowest = ak_rank, peer_lowest = -1;
    MPI_Allreduce(MPI_IN_PLACE, &lowest, 1, MPI_INT, MPI_MIN, node);
    MPI_Comm_free(&node);
    if (ak_rank == peer) MPI_Send(&lowest, 1, MPI_INT, 0, 2, MPI_COMM_WORLD);
    if (ak_rank == 0)
        MPI_Recv(&peer_lowest, 1, MPI_INT, peer, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    int same_node = ak_rank == 0 && peer_lowest == 0;

    uint64_t max_bytes = 0;
    for (int s = 0; s < nsizes; s++)
        if (sizes[s] > max_bytes) max_bytes = sizes[s];
    char *buf = calloc(max_bytes ? max_bytes : 1, 1);
    if (!buf) {
        fprintf(stderr, "tf-pingpong: out of memory for %" PRIu64 " bytes\n", max_bytes);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (ak_rank == 0) {
        printf("tf-pingpong: rank 0 on %s, rank %d on %s (%s); %u rounds per size, median\n", host,
               peer, host_peer, same_node ? "one node" : "different nodes", repeat);
        printf("%12s %10s %14s %14s %14s\n", "bytes", "iters", "latency us", "min us", "MB/s");
    }
    uint64_t bad = 0, stamp = 0;
    double *times = calloc(repeat, sizeof *times);
    if (!times) {
        fprintf(stderr, "tf-pingpong: out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    for (int s = 0; s < nsizes; s++) {
        uint64_t b = sizes[s], n = iters;
        /* At most about 256 MiB moved per round, at least 10 round trips. */
        if (b && n * b > (UINT64_C(256) << 20)) n = (UINT64_C(256) << 20) / b;
        if (n < 10) n = 10;
        round_trips(buf, b, n / 10 + 1, peer, stamp, &bad);
        stamp += n / 10 + 1;
        for (unsigned r = 0; r < repeat; r++) {
            times[r] = round_trips(buf, b, n, peer, stamp, &bad);
            stamp += n;
        }
        if (ak_rank == 0) {
            double min = times[0];
            for (unsigned r = 1; r < repeat; r++)
                if (times[r] < min) min = times[r];
            double med = ak_median(times, repeat);
            double lat = med / (double)n / 2, lat_min = min / (double)n / 2;
            double mbs = lat > 0 ? (double)b / lat / 1e6 : 0;
            printf("%12" PRIu64 " %10" PRIu64 " %14.3f %14.3f %14.1f\n", b, n, lat * 1e6,
                   lat_min * 1e6, mbs);
            printf("{\"bench\":\"pingpong\",\"bytes\":%" PRIu64 ",\"iters\":%" PRIu64
                   ",\"ranks\":%d,\"peer\":%d,\"host0\":\"%s\",\"host_peer\":\"%s\","
                   "\"same_node\":%s,\"latency_us\":%.4f,\"latency_us_min\":%.4f,"
                   "\"bandwidth_mb_s\":%.2f,\"ok\":%s}\n",
                   b, n, ak_size, peer, host, host_peer, same_node ? "true" : "false", lat * 1e6,
                   lat_min * 1e6, mbs, bad ? "false" : "true");
            fflush(stdout);
        }
    }
    uint64_t bad_all = 0;
    MPI_Allreduce(&bad, &bad_all, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    if (ak_rank == 0 && bad_all)
        fprintf(stderr, "tf-pingpong: %" PRIu64 " messages arrived wrong\n", bad_all);
    free(times);
    free(buf);
    MPI_Finalize();
    return bad_all ? 1 : 0;
}
