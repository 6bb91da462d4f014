/* spawn.c - the floor under any command farm on one machine: start N
 * commands, at most P alive at once, with nothing around them but the
 * process calls themselves (fork + exec, or posix_spawn).
 *
 *   spawn N true|echo fork|pspawn [P]
 *
 * true runs /bin/true; echo runs sh -c 'echo $1 >/dev/null' _ I. Prints one CSV line:
 *   spawn-HOW,cmd-WORKLOAD,N,P,seconds,tasks_per_second */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static pid_t start(char *const argv[], int use_fork)
{
    pid_t pid;
    if (use_fork) {
        pid = fork();
        if (pid == 0) {
            execv(argv[0], argv);
            _exit(127);
        }
        return pid;
    }
    return posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) ? -1 : pid;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 0;
    const char *wl = argc > 2 ? argv[2] : "true";
    const char *how = argc > 3 ? argv[3] : "pspawn";
    int p = argc > 4 ? atoi(argv[4]) : 2;
    int echo = strcmp(wl, "echo") == 0, use_fork = strcmp(how, "fork") == 0;
    if (n < 1 || p < 1 || (!echo && strcmp(wl, "true")) || (!use_fork && strcmp(how, "pspawn"))) {
        fprintf(stderr, "usage: spawn N true|echo fork|pspawn [P]\n");
        return 2;
    }
    char num[32];
    char *true_argv[] = {"/bin/true", NULL};
    char *echo_argv[] = {"/bin/sh", "-c", "echo $1 >/dev/null", "_", num, NULL};
    long started = 0, failed = 0;
    int alive = 0;
    double t0 = now();
    while (started < n || alive > 0) {
        while (alive < p && started < n) {
            snprintf(num, sizeof num, "%ld", ++started);
            if (start(echo ? echo_argv : true_argv, use_fork) < 0) {
                failed++;
                continue;
            }
            alive++;
        }
        int st;
        if (wait(&st) < 0) break;
        alive--;
        failed += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
    }
    double t = now() - t0;
    if (failed) {
        fprintf(stderr, "spawn: %ld of %ld commands failed\n", failed, n);
        return 1;
    }
    printf("spawn-%s,cmd-%s,%ld,%d,%.6f,%.1f\n", how, wl, n, p, t, (double)n / t);
    return 0;
}
