// Package bench holds hbd's cluster benchmarks: real daemons (hbd, and
// Debian's heartbeat 3.0.6 side by side) in network namespaces, faults
// injected, latencies measured from the daemons' own log lines. They need
// root and take minutes, so they are not part of make test:
//
//	make bench-cluster
//
// Micro-benchmarks live beside their code (go test -bench ./...).
package bench
