package sim

import "github.com/hbd-ha/hbd/master"

// CheckResources turns on the resource invariants: a group is never
// started on a node while another running, connected, stable node holds
// it (ResourcesSettled checks the state after a quiet period).
func (c *Checker) CheckResources() { c.rsc = true }

// stopped: node b shut down cleanly; it is not a crash.
func (c *Checker) stopped(s *Sim, b int) {}

// starting is called when node a's executor starts group key.
func (c *Checker) starting(s *Sim, a int, key string) {
	for b, o := range s.Nodes {
		if b == a || !o.Running() || !o.exec.running[key] || !s.Nodes[a].Running() {
			continue
		}
		if !s.connected(a, b) || o.O.Holding() == "transition" || !o.M.CommUp() {
			continue
		}
		if s.Nodes[a].M.NodeStatus(b) == master.StatusDead {
			continue // a takeover of a node we declared dead: heartbeat's semantics
		}
		c.failf(s, "double start: %s starts %s while connected, stable %s holds it", s.Nodes[a].Name, key, o.Name)
	}
}

// connected reports whether a and b reach each other on some medium.
func (s *Sim) connected(a, b int) bool {
	for md := range s.opt.Media {
		if !s.links[a][b][md].Down && !s.links[b][a][md].Down {
			return true
		}
	}
	return false
}

// ResourcesSettled checks the holdings of a quiet cluster: every group
// runs on exactly one running node (at least one with two nodes, as
// heartbeat may leave both holding after a partition it has not healed).
func (c *Checker) ResourcesSettled(s *Sim) {
	running := 0
	for _, n := range s.Nodes {
		if n.Running() {
			running++
		}
	}
	if running == 0 {
		return
	}
	for _, g := range s.opt.Groups {
		holders := 0
		for _, n := range s.Nodes {
			if n.Running() && n.exec.running[g.Key] {
				holders++
			}
		}
		switch {
		case holders == 0:
			c.failf(s, "settled: no running node holds %s", g.Key)
		case holders > 1 && len(s.Nodes) > 2:
			c.failf(s, "settled: %d nodes hold %s", holders, g.Key)
		}
	}
	for _, n := range s.Nodes {
		if n.Running() && n.Pending() > 0 {
			c.failf(s, "settled: %s has %d actions pending", n.Name, n.Pending())
		}
	}
}

// FailedBack checks auto_failback on in a cluster of three or more nodes
// (where standby is refused, so nothing but failback moves a group back):
// once settled, every group whose preferred node runs is held there.
func (c *Checker) FailedBack(s *Sim) {
	for _, g := range s.opt.Groups {
		for _, n := range s.Nodes {
			if n.Name == g.Node && n.Running() && !n.exec.running[g.Key] {
				c.failf(s, "settled: %s runs but does not hold its group %s (auto_failback on)", n.Name, g.Key)
			}
		}
	}
}
