// Package pecase compares policy-engine answers with Pacemaker's: it
// reduces crm_simulate's text output (or a cts/scheduler summary) to the
// canonical form of the project's normalize.py, so that two answers agree
// when their canonical lines are equal, and reads Pacemaker's scheduler
// case directories.
//
// The canonical form (one record per line, sorted):
//
//	place <rsc> <role> <node>      an active instance after the transition
//	place <rsc> FAILED -           failed, no current node
//	place <rsc> Stopped -          a configured primitive active nowhere
//	fence <op> <node>              from "Fence (<op>) <node> '…'"
//	action <Verb> <rsc> <detail>[ blocked]
//
// Clone instance suffixes are dropped, "due to …" reasons and display
// flags are dropped, stopped orphans are dropped, and Master/Slave read as
// Promoted/Unpromoted.
//
// It is pure: text in, lines out; reading files is the caller's business.
package pecase
