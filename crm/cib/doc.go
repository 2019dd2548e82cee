// Package cib is hbd's cluster information base: Pacemaker's CIB XML as a
// mutable tree, the requests cibadmin makes of it (query, create, modify,
// replace, delete, erase) with Pacemaker 2.1.5's semantics, the version
// counters (admin_epoch, epoch, num_updates) bumped as Pacemaker bumps
// them, v2 patchsets (<diff format="2">) made from two versions and applied
// with version checks, validation of the core schema with errors naming the
// element's path, the formatting Pacemaker writes, and the upgrade of a
// heartbeat 2.x CIB (Upgrade, ParseUpgraded: no validate-with or
// pacemaker-0.6) to the pacemaker-1.0 form with 2.x's meaning kept.
//
// It is pure: it imports only the standard library and never reads a
// clock, file, socket or the environment (a time stamp, when one is
// wanted, is an input). Files are crm/cib/store's job: CIB_file's
// semantics, cib.xml with its .sig digest, atomic replacement, backups.
//
// The tree (Element) is the one crm/pe schedules: a CIB held here is
// handed to the policy engine as it is.
//
// A first use:
//
//	c, err := cib.ParseCIB(data)
//	res, err := c.Apply(cib.Request{Op: cib.OpModify, Section: "resources", Data: x})
//	out := c.Root.Format() // as cibadmin -Q prints it
package cib
