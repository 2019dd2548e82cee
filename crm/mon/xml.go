package mon

import "github.com/hbd-ha/hbd/crm/pe"

// XML prints the status as crm_mon --output-as=xml does.
func XML(root *pe.Element, c *pe.Cluster, o Options) string {
	return xmlStatus(root, c, o)
}

func xmlStatus(root *pe.Element, c *pe.Cluster, o Options) string { return "" }
