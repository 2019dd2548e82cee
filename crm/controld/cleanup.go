package controld

import (
	"strconv"
	"strings"

	"github.com/hbd-ha/hbd/internal/prio"
)

// CleanupScope is what one clean-up erases, as crm_resource asks it.
type CleanupScope struct {
	// Rsc is the resource (its clone instances too, Rsc:N); Node limits
	// the clean-up to one node ("" every node).
	Rsc, Node string
	// Operation and IntervalMS (crm_resource -n, -I) limit it to that
	// operation's fail counts, and its history to a node where that
	// operation failed; "" is every operation (the interval is then
	// ignored, as Pacemaker's is).
	Operation  string
	IntervalMS int
	// Refresh (crm_resource --refresh) erases the history whether or not
	// anything failed; without it (--cleanup) only a history holding a
	// failure (of Operation when given) is erased.
	Refresh bool
}

// Cleanup is crm_resource --cleanup and --refresh on the DC, as
// Pacemaker's tool has attrd and the controller do it: the resource's
// fail counts and last failures on the scope's nodes are erased (only
// Operation's when given), and its history too where it holds a failure
// (anywhere with Refresh) — all of it, not one operation's entries, as
// Pacemaker erases the whole lrm_resource so that the PE probes the
// resource again rather than trust a partial history. The DC plans again.
// It returns the nodes whose history was erased, and whether this node
// is the DC (only the DC can clean up; a node that is not forwards the
// request to it).
//
// The node that owns a history keeps its own copy for its next join:
// ForgetHistory drops it there.
func (c *Controller) Cleanup(now Time, s CleanupScope) (erased []string, ok bool) {
	if !c.IsDC() {
		return nil, false
	}
	changed := false
	for _, n := range sortedKeys(c.status) {
		if s.Node != "" && n != s.Node {
			continue
		}
		st := c.status[n]
		hist := false
		for id, h := range st.lrm {
			if sameRsc(id, s.Rsc) && (s.Refresh || h.failed(s.Operation, s.IntervalMS)) {
				delete(st.lrm, id)
				c.dirty[n], changed, hist = true, true, true
			}
		}
		for _, k := range sortedKeys(st.attrs) {
			if !failAttr(k, s.Rsc) || s.Operation != "" && !failAttrOf(k, s.Operation, s.IntervalMS) {
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
		if hist {
			erased = append(erased, n)
			if n == c.local {
				c.ForgetHistory(s.Rsc)
			}
		}
	}
	if changed {
		what := "fail counts"
		if s.Operation != "" {
			what = s.Operation + "_" + strconv.Itoa(s.IntervalMS) + " fail counts"
		}
		if len(erased) > 0 {
			what += ", history on " + strings.Join(erased, " ")
		}
		c.logf(prio.Notice, "cleanup of %s on %s: %s erased", s.Rsc, nodeOrAll(s.Node), what)
		c.want(now, "cleanup of "+s.Rsc)
	}
	return erased, true
}

// failed reports whether the history holds a failed result (of task at
// interval ms when task is given), as Pacemaker's scheduler lists failed
// operations for crm_resource --cleanup.
func (h *rscHistory) failed(task string, intervalMS int) bool {
	for _, o := range h.ops {
		if task != "" && (!strings.EqualFold(o.Task, task) || o.IntervalMS != intervalMS) {
			continue
		}
		_, _, target := parseKey(o.Key)
		if _, bad := recordIDs(&o, target); bad {
			return true
		}
	}
	return false
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

// failAttrOf: fail-count or last-failure attribute k (one of failAttr's)
// is task's at interval ms (…#monitor_10000), as attrd's clear of one
// operation matches.
func failAttrOf(k, task string, intervalMS int) bool {
	i := strings.LastIndexByte(k, '#')
	return i >= 0 && strings.EqualFold(k[i+1:], task+"_"+strconv.Itoa(intervalMS))
}
