// Package ipc is cluster-glue's IPC layer (libplumb's ipcsocket.c) on the
// daemon's event loop: the Unix stream sockets through which local clients
// talk to heartbeat's API, and later to CCM, the CIB and CRM, logd and
// apphbd.
//
// The wire framing is cluster-glue's: each frame is an 8-byte header (the
// body's length as an int32 and the magic 0xabcd as a uint32, both in host
// byte order) followed by the body. There is no handshake; the server
// learns the peer's pid, uid and gid from SO_PEERCRED. What a body carries
// (ha_msg text, C structs) is the upper protocol's business, not this
// package's.
//
// A Server listens on one socket and runs every connection as a
// non-blocking descriptor registered with package loop: it reads whatever
// has arrived, hands each complete frame to its Handler, and queues what
// cannot be written at once, up to a per-connection bound; a connection
// whose queue overflows is closed. The server never waits for a client.
//
// Because a local socket is open to other users (heartbeat's API socket is
// mode 0777), the server bounds what a client can make it hold: the number
// of connections, and of connections that have not signed on, the time a
// connection may stay unsigned, the frame size, and the memory held for a
// frame (it grows as bytes arrive, never from what a header claims). When
// accept fails for want of descriptors (EMFILE, ENFILE) or any other
// reason, the server stops polling the listener for a while, with one log
// line, rather than spin on a socket that stays readable.
//
// Everything runs on the loop goroutine: Handler methods are called there,
// and Server and Conn methods must be called there. The package knows no
// upper protocol: it must not import api, node or any pure layer.
package ipc
