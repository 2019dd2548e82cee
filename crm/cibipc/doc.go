// Package cibipc is the protocol of hbd's local CIB socket (cib_rw, in
// the directory of the heartbeat API socket): how Pacemaker's tools in
// hbctl (cibadmin, crm_attribute, crm_resource, crm_standby,
// crm_failcount, crm_mon) ask the running node for the CIB and send it
// their changes, which the node answers from its replica (queries) or has
// the DC apply (writes), as Pacemaker's tools talk to its cib manager.
// The node also carries the same encoded requests and replies between a
// node and the DC inside cluster messages.
//
// A frame is cluster-glue's IPC frame (package ipc's 8-byte header); its
// body is one Request or one Reply: a kind byte, a version byte, then
// fields as tag, length (uvarint) and bytes. Unknown tags are skipped, so
// a later version may add fields; a field given twice, a length past the
// body or a body past MaxFrame is refused.
//
// The package is pure: it encodes and decodes bytes and must not read a
// clock, a file or a socket.
package cibipc
