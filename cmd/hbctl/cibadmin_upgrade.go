package main

import (
	"fmt"
	"io"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/cib/store"
	"github.com/hbd-ha/hbd/crm/cibipc"
)

// cibadmin -u/--upgrade. Pacemaker upgrades any older schema to the
// newest with its XSL transforms; hbd upgrades a heartbeat 2.x CIB
// (cib.Upgrade, to pacemaker-1.0, which hbd reads as Pacemaker does).
// A CIB at the newest schema needs nothing, as in Pacemaker; one of a
// Pacemaker schema in between is left alone and said so. --force is
// accepted as Pacemaker's tool accepts it.

// upgradeCIB upgrades c in place; rc >= 0 ends the command with it.
func upgradeCIB(c *cib.CIB, stdout, stderr io.Writer) (changed bool, rc int) {
	schema := c.Root.Get("validate-with")
	rep, err := cib.Upgrade(c.Root)
	if err != nil {
		code := cib.CodeOf(err)
		fmt.Fprintf(stderr, "Call failed: %s\n", code)
		if e, ok := err.(*cib.Error); ok && (e.Path != "" || e.Detail != "") {
			fmt.Fprintf(stderr, "%s\n", err)
		}
		return false, code.Exit()
	}
	if !rep.Changed() {
		if schema == cib.LatestSchema {
			fmt.Fprintln(stdout, "Upgrade unnecessary: Schema is already the latest available")
			return false, 0
		}
		fmt.Fprintf(stderr, "Call failed: Operation not supported\nhbd's cibadmin upgrades heartbeat 2.x CIBs only; this one validates with %s, which hbd reads as it is\n", schema)
		return false, cib.ErrUnsupported.Exit()
	}
	fmt.Fprintln(stderr, rep.String())
	return true, -1
}

func cibadminUpgrade(c *cib.CIB, path string, stdout, stderr io.Writer) int {
	if _, rc := upgradeCIB(c, stdout, stderr); rc >= 0 {
		return rc
	}
	if err := store.WriteFile(path, c.Bytes()); err != nil {
		fmt.Fprintf(stderr, "Call failed: %v\n", err)
		return 1
	}
	return 0
}

// cibadminUpgradeLive upgrades the running cluster's CIB: the node's copy
// is upgraded here and replaces the whole CIB through the DC (the root's
// validate-with changes too). hbd's nodes upgrade a 2.x cib.xml when they
// load it, so a running cluster rarely has anything to upgrade.
func cibadminUpgradeLive(o cibadminOpts, stdout, stderr io.Writer) int {
	c, err := liveCIB(o.timeout)
	if err != nil {
		return noCIB(stderr)
	}
	if _, rc := upgradeCIB(c, stdout, stderr); rc >= 0 {
		return rc
	}
	r, err := liveCall(cibipc.Request{Op: cibipc.OpReplace, Data: c.Root.AppendXML(nil)}, o.timeout)
	if err != nil {
		return noCIB(stderr)
	}
	if r.RC != 0 {
		return liveFail(stderr, r)
	}
	return 0
}
