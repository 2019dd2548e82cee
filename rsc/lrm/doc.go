// Package lrm is the local resource manager: it runs operations (start,
// stop, monitor, probe, promote, demote, notify, meta-data, validate-all,
// migrate_to, migrate_from, …) on resources through their agents, of the
// classes ocf, lsb, heartbeat (resource.d) and stonith (cluster-glue's
// stonith command), keeps the history Pacemaker records per resource, and
// speaks cluster-glue lrmd's client protocol so that lrmadmin and liblrm
// clients work unchanged (Serve). One request is hbd's own,
// hbd_rscstate (RscStateRequest): the LRM's history of a resource,
// whoever asked for its operations, for hbctl lrm through Client.
//
// It is an adapter on the daemon's event loop (DESIGN.md, "Layers"):
//
//   - One operation at a time per resource, in submission order; many
//     resources at once, up to Options.MaxChildren agents running.
//   - Recurring monitors (interval, start-delay) are loop timers owned by
//     the operation: no goroutine and no time.AfterFunc per monitor.
//   - Every agent runs through internal/proc, in a process group of its
//     own, killed as a whole on timeout (SIGTERM, then SIGKILL after
//     Options.KillGrace) or cancellation. The runner's goroutine posts the
//     outcome to a queue and calls Options.Wake; the loop's wake-up
//     handler calls LRM.Poll, which finishes the operation on the loop.
//   - In-process agents (the built-in IP agent) run on a goroutine of
//     their own for the same reasons and report the same way.
//
// The built-in IP agent (IPAgent, on rsc/ipaddr's netlink code) runs
// heartbeat-class IPaddr and IPaddr2 in-process by default, as hbd's v1
// resources run them (hbd_ip_agent builtin: Options.IPAgent), so a
// haresources VIP is started, stopped and monitored without a fork: the
// monitor asks netlink whether the address is on its interface.
// ocf:heartbeat:IPaddr2 runs in-process with Options.OCFIPBuiltin (the
// daemon's default under pacemaker on), per resource: a CRM's IPaddr2
// may use parameters only the script knows (lvs_support, ARP modes,
// IPv6…), and a resource with one the built-in agent does not honour
// exactly runs the script instead (Decliner), with one log line naming
// it. It has the same history as any agent.
//
// Return codes are OCF's (0–9); LSB status codes are mapped as Pacemaker
// maps them (services__lsb2ocf); heartbeat-class status is decided from
// its text, as ResourceManager decides it; stonith status from the exit
// code of "stonith -S". Each result carries Pacemaker's op-digest of its
// parameters, so the CIB's lrm_rsc_op entries can be written from the
// history.
//
// Stats fills a plain snapshot of the counters (runs by class, operation,
// rc and status; a run-time histogram per class; recurring monitor
// failures, timeouts, cancellations) and gauges, for the daemon's metrics
// and hbctl; the package imports no metrics code.
//
// Every method of LRM runs on the loop goroutine (or before the loop
// runs), except Poll's trigger, Options.Wake, which is called from any
// goroutine. The package decides no policy: what to do about a failed
// monitor is its caller's business (the CRM's transition engine, or the
// haresources monitor). It must not block the loop, nor start a child
// outside internal/proc.
package lrm
