// Package bench holds hbd's cluster benchmarks: real daemons (hbd,
// Debian's heartbeat 3.0.6 and keepalived side by side) in network
// namespaces, faults injected, latencies measured from the daemons' own
// log lines and from a client probing the VIP. They need root and take
// about an hour, so they are not part of make test:
//
//	make bench-cluster            # everything: BenchmarkCluster, then the table and plots
//	make bench-cluster BENCH=Cluster/steady
//	make bench-report             # the table and plots from bench/results/results.json
//
// BenchmarkCluster merges every figure into bench/results/results.json as
// soon as it is measured (package bench/report); cmd/hbd-benchplot prints
// the side-by-side table and draws docs/perf/*.svg. BenchmarkDetection,
// BenchmarkFailover (IP agents compared) and BenchmarkFlood (a foreign
// flood, with and without the eBPF filter) run on their own with -bench.
// BenchmarkPacemaker (make bench-cluster BENCH=Pacemaker) puts hbd's CRM
// (pacemaker on) beside Pacemaker 2.1.5 + Corosync 3.1.7, each Pacemaker
// node in network, PID, mount and UTS namespaces of its own: kill -9 of
// the holder and crm_resource --move to a VIP answering, idle CPU and RSS.
//
// Micro-benchmarks live beside their code (go test -bench ./...).
package bench
