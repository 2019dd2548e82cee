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
// The exposition (Prometheus' text format, version 0.0.4) is written by
// this package itself, not by Prometheus' client library: that library and
// the protobuf packages it brings cost the daemon 3.5 MB of resident memory
// (their package initialisation runs whether metrics are on or not), more
// than a third of all it needs. The tests read every scrape with
// Prometheus' own parser. The runtime's and the process's figures are there
// too, under the names of Prometheus' Go and process collectors
// (go_goroutines, go_memstats_*, process_cpu_seconds_total,
// process_resident_memory_bytes, …).
//
//	hbd_info{node}                                   1; node is the local node
//	hbd_node_status{node,status}                     one-hot: 1 for the node's current status
//	                                                 (init, up, active, dead, ping; other for any
//	                                                 other word a peer announces), 0 for the rest
//	hbd_link_up{node,link}                           1 while the link is up
//	hbd_heartbeat_interval_seconds{node}             histogram of status inter-arrival times
//	hbd_deadline_margin_seconds{node}                gauge: at the last status, the time that was
//	                                                 left before the node would have been declared
//	                                                 dead (dead interval − interval; negative: it was)
//	hbd_heartbeat_margin_seconds{node}               histogram of those margins
//	hbd_packets_received_total                       datagrams handed to the membership layer
//	hbd_auth_failures_total                          datagrams that failed authentication
//	hbd_packets_dropped_total{reason}                malformed, unknown_sender, replay, duplicate, not_for_us
//	hbd_retransmissions_total                        packets resent on a peer's request
//	hbd_rexmit_requests_total                        retransmission requests sent
//	hbd_resource_action_seconds{kind}                histogram of take/give durations
//	hbd_resource_actions_total{kind,reason,result}   actions by kind (take, give), the protocol step
//	                                                 that asked (mach_down, standby, …, other) and
//	                                                 result (ok, failed: some group failed)
//	hbd_resources_held{holding}                      one-hot: none, local, foreign, all, transition
//	hbd_log_lines_dropped_total                      log lines dropped because the log queue was full
//
// Statuses start at init (as the master's do), links down, holdings at none.
// A scrape that races a change of a one-hot family may see the old and the
// new value both at 1, never neither.
package metrics
