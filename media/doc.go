// Package media opens and drives heartbeat's communication media exactly
// as heartbeat 3.0.6's HBcomm plugins do: bcast, ucast, mcast, ucast6,
// mcast6 (UDP, port 694 by default), ping, ping6 and ping_group (ICMP echo
// on a raw socket) and serial (classic text on a tty). Socket options,
// destinations, bind retries, the NS_st messages of the ping media, the
// serial line discipline and pacing, and the lines the plugins log when a
// medium starts are heartbeat's (wire spec §11).
//
// The event loop owns the descriptors. Open returns a Medium whose FD the
// loop polls; Recv reads a batch of packets into a caller's reusable
// Batch (recvmmsg for the socket media) and Send puts one encoded packet
// on the medium. Neither allocates on success, so a heartbeat costs no
// garbage; the serial medium's output is paced through the loop's timers
// (Paced) instead of sleeping.
//
// What media hands up is undecoded bytes with the medium's index and the
// sender's address. It decides nothing about membership: it never looks
// at who sent a packet (heartbeat trusts only src/srcuuid and the auth,
// never the address), never drops duplicates or our own looped-back
// packets, and keeps no node or link state. The ping media are the one
// exception heartbeat makes: their plugins authenticate the echoed NS_st
// and check its info field before passing it on, and so does this
// package. Media does no logging of its own either: the lines heartbeat
// prints are returned (Started, Error.Lines) for the daemon to log.
//
// Sockets live in the network namespace of the thread that calls Open.
package media
