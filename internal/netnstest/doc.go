// Package netnstest builds small multi-host networks out of Linux network
// namespaces for tests that need several machines: media sockets talking to
// each other over veth links, a real heartbeat 3.0.6 next to hbd, link
// failures, loss and duplication.
//
// A Net is a "switch" namespace holding one bridge per link and one
// namespace per host. Host i (from 1) has interface ethL on link L with the
// address 198.18.L.(10+i)/24, from the benchmarking range 198.18.0.0/15
// that nothing routes, and optionally 2001:2:0:L::(10+i)/64 (RFC 5180's
// IPv6 benchmarking range). Nothing is connected to the namespace the test
// runs in, so no packet leaves the test's own namespaces.
//
// Everything New creates is removed by t.Cleanup, also when the test fails.
// Namespace names carry the test process's pid and a counter, so parallel
// tests and parallel test binaries never collide, and namespaces left behind
// by a test binary that was killed are removed by the next New.
//
// The helpers need root and iproute2 (and nftables for SetFaults); without
// them the test is skipped with a message that says why.
//
// This package must stay a test helper: nothing outside _test.go files may
// import it, and it must never touch the namespace the tests run in (no
// addresses, routes or firewall rules there).
package netnstest
