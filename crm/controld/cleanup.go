package controld

import (
	"strings"

	"github.com/hbd-ha/hbd/internal/prio"
)

// Cleanup is crm_resource --cleanup and crm_failcount --delete on the
// DC: it forgets resource rsc's history (its instances' too, rsc:N) and
// its fail counts and last failures on node ("" every node) and plans
// again, so that the PE probes the resource where it has no history, as
// Pacemaker's controller does after deleting the lrm_resource entries.
// It reports whether this node is the DC (only the DC can clean up; a
// node that is not forwards the request to it).
//
// The node that owns a history keeps its own copy for its next join:
// ForgetHistory drops it there.
func (c *Controller) Cleanup(now Time, rsc, node string) bool {
	if !c.IsDC() {
		return false
	}
	changed := false
	for _, n := range sortedKeys(c.status) {
		if node != "" && n != node {
			continue
		}
		st := c.status[n]
		for id := range st.lrm {
			if sameRsc(id, rsc) {
				delete(st.lrm, id)
				c.dirty[n], changed = true, true
			}
		}
		for _, k := range sortedKeys(st.attrs) {
			if !failAttr(k, rsc) {
				continue
			}
			delete(st.attrs, k)
			c.dirty[n], changed = true, true
			a := Attr{Node: n, Name: k, Delete: true}
			if n == c.local {
				c.setLocalAttr(a)
			} else {
				c.send(n, Msg{Task: TaskAttrSet, Attrs: []Attr{a}})
			}
		}
		if n == c.local {
			c.ForgetHistory(rsc)
		}
	}
	if changed {
		c.logf(prio.Notice, "cleanup of %s on %s: history and fail counts erased", rsc, nodeOrAll(node))
		c.want(now, "cleanup of "+rsc)
	}
	return true
}

// ForgetHistory drops this node's own records of rsc (after the DC
// cleaned it up), so that the next join does not bring them back.
func (c *Controller) ForgetHistory(rsc string) {
	for id := range c.hist {
		if sameRsc(id, rsc) {
			delete(c.hist, id)
		}
	}
}

func nodeOrAll(n string) string {
	if n == "" {
		return "every node"
	}
	return n
}

// sameRsc: id is rsc or one of its clone instances (rsc:N).
func sameRsc(id, rsc string) bool {
	return id == rsc || strings.HasPrefix(id, rsc+":")
}

// failAttr: k is one of rsc's fail-count or last-failure attributes
// (fail-count-rsc, fail-count-rsc#monitor_10000, of an instance too).
func failAttr(k, rsc string) bool {
	for _, p := range [...]string{"fail-count-", "last-failure-"} {
		if rest, ok := strings.CutPrefix(k, p+rsc); ok && (rest == "" || rest[0] == '#' || rest[0] == ':') {
			return true
		}
	}
	return false
}
