// Package proc is the daemon's one runner of child processes: resource
// agents (rsc), rc.d hooks (harc), STONITH commands (internal/stonith),
// respawned clients (internal/respawn) and the self-fence all start here.
//
// Every child gets a process group of its own (heartbeat's children call
// setpgid(0,0)): a signal to the daemon's group (a terminal's ^C under -f)
// does not reach it, and it can be killed as a whole, its own children
// included. A child gets the environment, working directory and
// credentials the caller gives it, stdin on /dev/null, and its stdout and
// stderr appended to a file (heartbeat's debug log) or kept in the Result,
// up to a cap, so that a chatty child cannot grow the daemon.
//
// A Spec may bound the run (Timeout) and the caller may cancel it (the
// context): either way the whole group gets SIGTERM, then SIGKILL after
// KillGrace, or at once when KillGrace is 0. SIGKILL goes to the group
// even when the leader exited on SIGTERM: children that ignored it would
// outlive their leader.
//
// Rules:
//
//   - Start never waits for the child: it forks, execs and returns; the
//     wait, the timeout and the kill happen on a goroutine of the runner.
//     The outcome reaches the caller through the done callback, which
//     runs on that goroutine: it posts the Result and wakes the caller's
//     event loop (loop.Wake) and must not block. Run, which waits, is for
//     goroutines that may block (rsc's workers, STONITH's retry loop),
//     never for the event loop.
//   - Every child has a process group of its own and can be killed as a
//     whole (Process.Signal, a timeout, a cancelled context).
//   - The runner decides nothing: respawning, retries, throttling and log
//     lines in heartbeat's words belong to the callers. The only hook into
//     a run is Spec.Killing, told when a kill begins.
//
// It must not block the caller's loop, decide policy, or run a child
// outside a process group of its own; it never parses what a child
// prints.
package proc
