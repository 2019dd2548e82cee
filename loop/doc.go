// Package loop is hbd's event loop: one goroutine, locked to one OS thread,
// that owns time and file descriptors. It waits with epoll on raw
// non-blocking descriptors (the media sockets, the resource workers'
// eventfd), keeps deadlines in a hashed hierarchical timer wheel, takes
// wake-ups from other goroutines through an eventfd, and delivers signals,
// and it runs every handler and timer callback on that one goroutine, so
// the code above it (master, media, rsc glue) needs no locks.
//
// It must not contain cluster logic: it knows nothing of nodes, links,
// messages or resources. It only says "this fd is ready", "this deadline
// has come", "someone woke you", "this signal arrived" and "we were away
// for this long".
//
// # Threading rules
//
// Run blocks the calling goroutine and locks it to its OS thread. Handlers
// and callbacks run there and must not block: no sleeping, no blocking
// system calls, no waiting on channels; slow work goes to a worker
// goroutine, which posts its result to a queue and calls Wake. Only Wake,
// Stop and Stats may be called from other goroutines. Everything else
// (Register, Modify, Unregister, Schedule, After, StopTimer, Now, Signals)
// is called from the loop goroutine, or before Run starts.
//
// # Time
//
// Times are CLOCK_MONOTONIC nanoseconds (sysio.Monotonic). Now is the time
// of the current iteration's wake-up, read once per iteration. A timer
// never fires before its deadline, and fires less than one tick (default
// 1 ms) after it plus scheduling latency: the loop sleeps until the
// earliest deadline exactly, with epoll_pwait2, and a wait shorter than a
// tick is lengthened to one tick rather than spun. On kernels before 5.11
// (no epoll_pwait2) waits are whole milliseconds, rounded up, so a tick
// below 1 ms buys nothing there. Options.Precise (for keepalives under
// 5 ms) drops the one-tick minimum, so a timer fires at its deadline plus
// the kernel's wake-up latency; Options.Spin pays that latency early by
// polling the last stretch; Options.PinCPU keeps the runtime's other
// threads off the loop's CPU. Stats carries histograms of how late the
// loop came back to its deadlines and of its stalls. Each iteration runs fd handlers
// before due timers, so a heartbeat that arrives with its deadline counts
// as in time. When the loop comes back later than planned (the process was
// stopped, the VM paused, a handler ran long), it reports the stall to
// Options.StallHandler before anything else in that iteration, so the
// membership layer can discount our own pause before declaring peers dead.
//
// # Steady state
//
// An iteration allocates nothing: the events array is preallocated, epoll
// user data is a slot index and generation (never a Go pointer), and timers
// are intrusive values owned by their users.
package loop
