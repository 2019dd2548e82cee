package main

import (
	"fmt"
	"io"
	"os"

	"github.com/hbd-ha/hbd/crm/pe"
)

// runCrmResourceWrite handles crm_resource's commands that change the CIB.
func runCrmResourceWrite(prog string, p *crmParsed, root *pe.Element, c *pe.Cluster, r *pe.Resource, stdout, stderr io.Writer) int {
	if p.has("cleanup") {
		return cleanupDryRun(p, c, r, stdout)
	}
	fmt.Fprintf(stderr, "%s: this command is not implemented by hbd yet\n", prog)
	return crmExitError
}

// cleanupDryRun is --cleanup on a CIB_file: Pacemaker 2.1.5 cleans
// nothing there and says so for every instance (of the whole clone when
// the resource is in one) on the node, or on every node; it then crashes
// (exit 139), where hbd exits 0.
func cleanupDryRun(p *crmParsed, c *pe.Cluster, r *pe.Resource, stdout io.Writer) int {
	var rscs []*pe.Resource
	if r == nil {
		rscs = c.DisplayOrder()
	} else {
		x := r
		for y := r; y != nil; y = y.Parent {
			if y.Kind == pe.KindClone {
				x = y
			}
		}
		rscs = []*pe.Resource{x}
	}
	var nodes []*pe.Node
	if n := p.last("node"); n != "" {
		if node := c.Node(n); node != nil {
			nodes = append(nodes, node)
		}
	} else {
		for _, n := range c.Nodes {
			if n.Online {
				nodes = append(nodes, n)
			}
		}
	}
	var prims []*pe.Resource
	var walk func(x *pe.Resource)
	walk = func(x *pe.Resource) {
		if x.Kind == pe.KindPrimitive {
			prims = append(prims, x)
		}
		for _, ch := range x.Children {
			walk(ch)
		}
	}
	for _, x := range rscs {
		walk(x)
	}
	for _, n := range nodes {
		for _, x := range prims {
			fmt.Fprintf(stdout, "Dry run: skipping clean-up of %s on %s due to CIB_file\n", x.ID, n.Name)
		}
	}
	return crmExitOK
}

func fileMissing(path string) bool {
	_, err := os.Stat(path)
	return os.IsNotExist(err)
}
