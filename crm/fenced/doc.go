// Package fenced is the part of Pacemaker's fencer (pacemaker-fenced) that
// decides, from the CIB, which fencing devices exist and which of them can
// fence a node, in which order: the device table built from the
// class="stonith" primitives (cib_device_update in Pacemaker 2.1.5), each
// device's host check (pcmk_host_list, pcmk_host_map, pcmk_host_check) and
// the fencing-topology levels.
//
// It is pure: it reads no clock, runs no agent and opens nothing. Asking a
// dynamic-list device for its hosts (stonith -l), running the agents and
// retrying are the node's job (node/crm_fence.go, internal/stonith); Plan
// says which host lists it needs first.
//
// What it leaves out of Pacemaker's fencer: fencing by peers (the DC fences
// with its own devices), location constraints on the devices, per-target
// status checks (pcmk_host_check=status counts as none: cluster-glue's
// stonith(8) has no per-host status), unfencing and pcmk_*_timeout.
package fenced
