// Package sdnotify speaks systemd's service notification protocol
// (sd_notify(3)) over the unix datagram socket named by $NOTIFY_SOCKET,
// abstract names ("@...") included, without cgo or libsystemd. Every
// call is a no-op returning nil when NOTIFY_SOCKET is unset, so the
// daemon calls it unconditionally. Watchdog allocates nothing.
//
// It only sends what it is told; when to say READY, RELOADING or STOPPING
// is the daemon's business.
package sdnotify
