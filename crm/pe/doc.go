// Package pe is hbd's policy engine: from a CIB (configuration and status)
// and the current time it decides where every resource should run and what
// must change, with the semantics of Pacemaker 2.1.5's scheduler, which is
// the yardstick (its own regression cases and crm_simulate agree with it or
// the difference is a bug here).
//
// It is a pure function: it imports only the standard library, reads no
// clock, file, socket or environment; the time is an input. It must not
// execute anything either: carrying out the decisions is the transition
// engine's job (crm/te).
//
// The pipeline follows Pacemaker's: Unpack reads the CIB into a Cluster
// (nodes and their state, options, resources, constraints, and each
// resource's role on each node from its operation history); Schedule builds
// every resource's node scores, assigns resources to nodes and derives the
// actions; Summary prints the outcome as crm_simulate's "Transition
// Summary" and "Revised Cluster Status" text, which pecase reduces to the
// canonical form used to compare with Pacemaker. Cluster.RecordScores
// before Schedule keeps the allocation and promotion scores as
// crm_simulate -s prints them (Result.Scores).
package pe
