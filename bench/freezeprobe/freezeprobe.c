/*
 * freezeprobe: the machine-freeze probe of the fast benchmarks, outside
 * the Go runtime. One process per CPU: pinned there, SCHED_RR at the
 * given priority, memory locked, it sleeps 1 ms at a time and measures
 * how late each sleep ends. A Go probe thread could not: leaving its
 * sleep it may spin, at its real-time priority, until the garbage
 * collector finishes scanning its stack on a lower-priority thread that
 * the probe itself keeps off the CPU.
 *
 *   freezeprobe CPU PRIORITY MIN_NS
 *
 * Prints "ready" once set up; then "F <unix ns> <late ns>" for every
 * sleep more than MIN_NS late, as it happens; and, at SIGTERM, the
 * lateness of every sleep as "H <bucket ns> <count>" lines (10 µs buckets
 * up to 100 ms, the last one open) and "end".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define PERIOD_NS 1000000LL
#define BUCKET_NS 10000LL
#define BUCKETS 10001

static volatile sig_atomic_t stop;
static uint64_t hist[BUCKETS];

static void on_term(int sig) { (void)sig; stop = 1; }

static int64_t ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: freezeprobe CPU PRIORITY MIN_NS\n");
		return 2;
	}
	int cpu = atoi(argv[1]);
	struct sched_param sp = { .sched_priority = atoi(argv[2]) };
	int64_t min = atoll(argv[3]);
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set) != 0) {
		perror("sched_setaffinity");
		return 1;
	}
	if (sched_setscheduler(0, SCHED_RR, &sp) != 0) {
		perror("sched_setscheduler");
		return 1;
	}
	mlockall(MCL_CURRENT | MCL_FUTURE);
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	struct timespec period = { 0, PERIOD_NS };
	while (!stop) {
		int64_t t0 = ns(CLOCK_MONOTONIC);
		if (nanosleep(&period, NULL) != 0 && errno == EINTR)
			continue; /* SIGTERM */
		int64_t late = ns(CLOCK_MONOTONIC) - t0 - PERIOD_NS;
		if (late < 0)
			late = 0;
		int64_t b = late / BUCKET_NS;
		hist[b < BUCKETS ? b : BUCKETS - 1]++;
		if (late > min)
			printf("F %lld %lld\n", (long long)ns(CLOCK_REALTIME), (long long)late);
	}
	for (int i = 0; i < BUCKETS; i++)
		if (hist[i])
			printf("H %lld %llu\n", (long long)(i * BUCKET_NS), (unsigned long long)hist[i]);
	printf("end\n");
	return 0;
}
