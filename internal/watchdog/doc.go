// Package watchdog keeps a kernel watchdog device fed as heartbeat 3.0.6's
// `watchdog <device>` directive does: the daemon writes one NUL byte each
// time it processes its own status message, so if the daemon dies or
// hangs the kernel reboots the machine about a deadtime later, and it
// writes the magic "V" before closing on a clean stop so that the device
// (softdog nowayout=0) disarms.
//
// Heartbeat's log lines are kept word for word; lines heartbeat prints
// with cl_perror end in ": " and strerror's text, as here. Differences:
//
//   - The device is opened non-blocking, so a FIFO without a reader fails
//     the open instead of hanging the daemon, and a write that would block
//     (a FIFO whose reader is slow) skips that tickle instead of stalling
//     the event loop. A real watchdog device never blocks either way.
//   - WDIOC_SETTIMEOUT is only tried on a character device; heartbeat
//     tries any file and logs the failure.
//   - Heartbeat's "Successful watchdog ..." lines, printed at info only
//     when debugging, are debug lines.
//
// The package never decides when to tickle or close; the daemon's loop
// does. It must not block: every call is one or two non-blocking system
// calls, and Tickle allocates nothing.
package watchdog
