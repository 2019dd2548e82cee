// Package te is hbd's transition engine: it executes a transition graph of
// the policy engine (crm/pe) the way Pacemaker's controller does. An action
// runs once every action it waits for is done, at most BatchLimit agent
// operations and fencings at once, each with its timeout; pseudo-actions
// complete as soon as their inputs have. A failed action, a timeout or an
// event from outside (node loss, a CIB change, a monitor failure) aborts
// the graph: what is in flight finishes, nothing new starts, and once the
// last in-flight action is back the engine asks for a new PE run.
//
// Results become the status-section updates the controller records: an
// lrm_rsc_op per result (operation key, call id, rc-code, op-status,
// interval, last-rc-change, exec-time, queue-time, transition key and
// magic) and fail counts (INFINITY after a failed start when
// start-failure-is-fatal, always after a failed stop, otherwise one more).
//
// It is a pure layer with internal/layer's Ready/Advance contract: every
// input carries its time, and everything it decides (operations to run,
// fencing for the STONITH layer, status updates, the request to re-plan,
// log lines) waits in its output until the driver takes it. It must not
// read a clock, run an agent, touch the CIB or start a goroutine: the
// driver (the CRM) does those with what Ready hands out.
package te
