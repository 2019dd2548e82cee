package controld

import (
	"time"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/internal/prio"
)

// OptDCDeadtime is Pacemaker's cluster option (crm_config) for how long a
// node without a DC waits to hear from one before it holds an election.
const OptDCDeadtime = "dc-deadtime"

// maxDCDeadtime bounds dc-deadtime: a longer wait is a typo (a unit
// missing) that would leave a partition without a DC for that long.
const maxDCDeadtime = time.Hour

// applyDCDeadtime sets the DC wait from the configuration's dc-deadtime,
// or back to the keepalive-derived one when it is absent or refused.
func (c *Controller) applyDCDeadtime(config []byte) {
	def := TimeoutsFor(c.cfg.Keepalive).DCWait
	v, ok := crmOption(config, OptDCDeadtime)
	if !ok {
		c.to.DCWait, c.deadtime = def, 0
		return
	}
	d, err := dcDeadtime(v)
	if err != "" {
		c.logf(prio.Warn, "ignoring %s=%q: %s; keeping %v", OptDCDeadtime, v, err, def)
		c.to.DCWait, c.deadtime = def, 0
		return
	}
	if d != c.deadtime {
		c.logf(prio.Info, "%s is %v", OptDCDeadtime, d)
	}
	c.to.DCWait, c.deadtime = d, d
}

// dcDeadtime checks a dc-deadtime value: an interval above zero and at
// most maxDCDeadtime (zero would make a node that lost an election vote
// again at once, and keep the partition electing).
func dcDeadtime(v string) (time.Duration, string) {
	d, ok := cib.ParseInterval(v)
	switch {
	case !ok:
		return 0, "not an interval"
	case d <= 0:
		return 0, "not above zero"
	case d > maxDCDeadtime:
		return 0, "over " + maxDCDeadtime.String()
	}
	return d, ""
}

// crmOption finds a cluster option in the configuration section's
// crm_config (the first cluster_property_set holding it).
func crmOption(config []byte, name string) (string, bool) {
	if len(config) == 0 {
		return "", false
	}
	root, err := cib.Parse(config)
	if err != nil {
		return "", false
	}
	cc := root.Child("crm_config")
	if cc == nil {
		return "", false
	}
	for _, set := range cc.All("cluster_property_set") {
		for _, p := range set.All("nvpair") {
			if p.Get("name") == name {
				return p.Get("value"), true
			}
		}
	}
	return "", false
}

// firstElection is a started node's first vote. With dc-deadtime
// configured it first waits that long for a DC to offer it a join (a
// vote from a node it beats makes it vote sooner), as Pacemaker's
// starting controller does; without it, it votes at once.
func (c *Controller) firstElection(now Time, why string) {
	if c.deadtime <= 0 {
		c.startElection(now, why)
		return
	}
	c.logf(prio.Info, "waiting %s=%v for a DC before voting (%s)", OptDCDeadtime, c.deadtime, why)
	c.role = roleFollower
	c.waitDue = now.Mono + int64(c.deadtime)
}
