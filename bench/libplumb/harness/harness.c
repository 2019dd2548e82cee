/*
 * harness.c: libplumb's netstring2msg (cluster-glue 1.0.12), called the way
 * heartbeat's read path calls it, with no cgo crossing. It decodes the
 * message in the file argv[1] argv[2] times and prints the nanoseconds per
 * decode, elapsed and of the thread's CPU time (CLOCK_THREAD_CPUTIME_ID).
 * bench's BenchmarkCodec builds and runs it beside hbd's decoder in one
 * run (make bench-libplumb):
 *
 *   gcc -O2 -o harness harness.c /usr/lib/libplumb.so.2
 *   ./harness status.bin 1000000
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct ha_msg;
struct ha_msg *netstring2msg(const char *s, size_t len, int needauth);
void ha_msg_del(struct ha_msg *m);

int main(int argc, char **argv) {
	static char buf[65536];
	if (argc != 3) return 2;
	FILE *f = fopen(argv[1], "rb");
	if (f == NULL) return 2;
	size_t len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	long n = atol(argv[2]);
	struct timespec a, b, ca, cb;
	clock_gettime(CLOCK_MONOTONIC, &a);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ca);
	for (long i = 0; i < n; i++) {
		struct ha_msg *m = netstring2msg(buf, len, 0);
		if (m == NULL) return 1;
		ha_msg_del(m);
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cb);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
	double cpu = (cb.tv_sec - ca.tv_sec) * 1e9 + (cb.tv_nsec - ca.tv_nsec);
	printf("%.1f %.1f\n", ns / n, cpu / n);
	return 0;
}
