// Command hbd is a drop-in replacement for the Heartbeat 3.0.6 cluster
// daemon: it takes heartbeat's flags and reads an unchanged /etc/ha.d.
//
// For now it validates the configuration (-t, --check), prints the ha.cf
// defaults (-D, -DW) and its version (-V); the daemon's run modes fail
// with exit status 2 until they exist. Invoked through a link named
// "heartbeat", it logs under that name, as heartbeat does.
//
// The command parses flags and prints; what the configuration means is the
// config package's business, and the daemon's logic will live in its own
// packages, not here.
package main
