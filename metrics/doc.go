// Package metrics exports what an hbd node knows about its cluster as
// Prometheus metrics, on an HTTP endpoint of its own (hbd_metrics_listen).
//
// # Two sides
//
// The event loop feeds it (NodeStatus, LinkStatus, Heartbeat, Stats,
// Action, Holding, LogDropped): every labelled series is created in New
// and kept by index, so those calls only store numbers atomically and
// allocate nothing. The HTTP server (Serve) runs in goroutines of its own
// and reads the same atomic values when scraped; it never touches the
// loop, so a slow or stuck scraper cannot delay a heartbeat. The loop-side
// methods must be called from one goroutine (they keep the previous
// cumulative counts to add differences); out-of-range indexes are ignored.
//
// # What is exported
//
// The exposition (Prometheus' text format, version 0.0.4) and the little
// HTTP it needs (GET /metrics, one request per connection) are written by
// this package itself, not by Prometheus' client library and net/http:
// those, with the protobuf and TLS packages they bring, cost the daemon
// 4.8 MB of resident memory (their package initialisation runs whether
// metrics are on or not), more than it needs for everything else. The
// output is what the client library wrote (labels sorted by name, le
// last), and the tests read every scrape with Prometheus' own parser. The
// runtime's and the process's figures are there too, under the names of
// Prometheus' Go and process collectors (go_goroutines, go_memstats_*,
// process_cpu_seconds_total, process_resident_memory_bytes, …).
//
// Statuses start at init (as the master's do), links down, holdings at none.
// A scrape that races a change of a one-hot family may see the old and the
// new value both at 1, never neither.
package metrics
