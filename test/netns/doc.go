// Package netns holds hbd's multi-host tests: real hbd daemons (and real
// heartbeat 3.0.6 daemons, for interoperability) in network namespaces
// built by internal/netnstest, talking over real sockets. They need root
// and skip with a clear message without it; CI runs them as root.
//
// Every daemon runs in its own PID and mount namespace, with /bin/true
// bound over reboot's target, so no test can reboot the machine.
package netns
