package pe

// Accessors for Pacemaker's command-line tools (crm/mon, cmd/hbctl's
// crm_mon, crm_resource and crm_verify): read-only views of state that
// unpacking keeps private.

// DisplayOrder returns the top-level configured resources in CIB order, the
// order crm_mon lists them in.
func (c *Cluster) DisplayOrder() []*Resource { return c.configOrder() }

// Orphans returns the resources found in the status section but no longer
// configured, in the order unpacking met them.
func (c *Cluster) Orphans() []*Resource { return c.orphans }

// Template returns a clone's configured child (nil for other resources).
func (r *Resource) Template() *Resource { return r.template }

// KnownOn reports whether r has any operation history on n.
func (r *Resource) KnownOn(n *Node) bool { return r.knownOn[n] }

// RoleOn returns r's role on n from its history (RoleUnknown when none).
func (r *Resource) RoleOn(n *Node) Role { return r.nodeRole[n] }

// Failcount returns r's fail count on n as crm_mon shows it (every
// matching fail-count attribute summed, expired ones included) and the
// latest last-failure (seconds since the epoch, 0 when none).
func (c *Cluster) Failcount(r *Resource, n *Node) (count int, last int64) {
	return c.rawFailcount(r, n)
}

// EffectiveFailcount is r's fail count on n once failure-timeout is
// applied, as the scheduler counts it (pe_fc_effective).
func (c *Cluster) EffectiveFailcount(r *Resource, n *Node) int { return c.failcount(r, n) }
