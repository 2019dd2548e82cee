// Package api is heartbeat 3.0.6's client API, wire-compatible with
// libhbclient: the Unix stream socket /var/run/heartbeat/register that
// cl_status, ipfail and every ll_cluster_new("heartbeat") client talk to.
//
// Frames are cluster-glue IPC: an 8-byte header (int32 body length and
// uint32 magic 0xabcd, both in host byte order) and a wire-format message
// (classic text with a trailing NUL by default). A client signs on with a
// "hbapi-req" of reqtype "signon", is checked against its peer credentials
// (SO_PEERCRED) and the apiauth rules, and then asks its questions; every
// reply is a "hbapi-resp" in heartbeat's field order and wording, down to
// "result=badreq info=EINVAL".
//
// The framing, the socket and its connections are package ipc's, with its
// caps (connections, unsigned connections and their time, frame size,
// queues) and its pause on a failing accept; a connection counts as signed
// on for ipc once heartbeat's sign-on succeeded. The Server runs inside
// the daemon's event loop: every Backend call happens on the loop
// goroutine, and nothing ever waits for a client. A client whose output
// queue overflows is dropped; malformed framing closes that one client
// with a logged error. Cluster messages reach clients
// through Deliver, encoded once and copied into each client's queue
// without allocating.
//
// Client is the other side, for Go programs (hbctl): a blocking
// connection that signs on and asks the same questions libhbclient asks.
//
// This package knows nothing of membership or resources: the daemon
// supplies them through Backend. It must not import node or master, nor
// do socket I/O of its own beyond package ipc (Client aside).
package api
