// Package ipaddr is a built-in replacement for heartbeat's IPaddr and
// IPaddr2 resource scripts: it adds and removes a virtual IPv4 address
// through netlink in the daemon's own process, instead of forking
// resource.d/IPaddr2 → the OCF agent → ip, findif and send_arp, so that a
// VIP answers within milliseconds of the takeover decision.
//
// It takes the argument exactly as haresources spells it
// (ip[/netmask[/iface[:label]][/broadcast]], split by config.ParseIPAddr as
// the wrappers split it) and infers what is missing as the installed agents
// do (resource-agents 4.12 on Debian 12):
//
//   - IPaddr2 follows findif.sh: the interface and prefix length come from
//     the longest connected (scope link) route of the main table that
//     contains the address, and a missing broadcast is taken from the
//     address that route names as its source (none if that has none);
//     "+" and "-" compute it as ip's "brd +/-" does. "nic:label" sets the
//     address label. Start brings the interface up, as the agent does.
//   - IPaddr follows the findif binary: the best route of the main table
//     (including gateway routes), the broadcast computed from the prefix,
//     the interface defaulting to eth0 with the agent's check that the
//     route agrees, and an "eth0:N" alias label.
//
// Errors carry the agents' words ("Unable to find nic or netmask.", …).
// The lines the agents log through ocf_log are passed to Options.Logf with
// the same words, including the send_arp / ifconfig command lines the agent
// would have run, so that log watchers keep working.
//
// After adding the address, Start returns and a background goroutine sends
// the gratuitous ARP burst send_arp sends (per repeat: a request, half the
// interval, a reply, half the interval) on an AF_PACKET socket opened by
// Start, so it belongs to Start's network namespace. Stop ends the burst
// before it returns.
//
// Deliberate differences, each where the agent misbehaves: IPv6 addresses
// are refused (IPv6addr's business); netmasks or octets with leading zeros
// are refused (ip reads "024" as octal 20, and the agent then never finds
// its own address again); IPaddr picks the lowest alias number the kernel
// does not use (the agent counts lock files in /run/resource-agents and,
// with today's ifconfig output, can overwrite a live alias); IPaddr2's LVS
// loopback juggling is remembered in memory, not in /run/resource-agents.
//
// The package must not fork anything; only its _linux.go files talk to the
// kernel.
package ipaddr
