// Package stonith fences nodes as heartbeat 3.0.6 does in a haresources
// cluster (ha.cf "stonith" and "stonith_host"), through cluster-glue's
// stonith(8) command rather than by loading its plugins: a reset of the
// dead peer logged in heartbeat's words, retried every 5 s until it
// succeeds or the daemon cancels it, and the device status check heartbeat
// runs at comm-up and then hourly.
//
// A Fencer's methods are called on the event loop and never block it
// (except Close, which waits for killed commands to exit): every stonith
// command runs on a goroutine of its own through internal/proc, in its own
// process group, and its outcome is posted for Results and announced with
// Options.Wake. Each attempt yields one Result, as each heartbeat child
// broadcasts one t=stonith message.
//
// It decides nothing: the daemon says when to check the device and which
// node to reset, broadcasts the results and takes over after a success.
// It must never be pointed at a device that can reset the machine it runs
// on in tests (the "suicide" plugin, or "ssh" listing this host).
package stonith
