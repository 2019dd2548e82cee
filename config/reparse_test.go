package config

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"time"
)

// recordedHACF writes a Config back as ha.cf: every recorded parameter,
// then nodes, media and the directives heartbeat does not record. The UDP
// plugins read udpport when their first medium is built, so each gets the
// port it used just before that medium, and the recorded value comes last.
func recordedHACF(c *Config) string {
	var b strings.Builder
	for _, p := range c.Params {
		if p.Name != "hbversion" && p.Name != "udpport" {
			fmt.Fprintf(&b, "%s %s\n", p.Name, p.Value)
		}
	}
	// Nodes and media in their original order: ping media add nodes too.
	type entry struct {
		line int
		text string
	}
	var entries []entry
	for _, n := range c.Nodes {
		if n.Type == NormalNode {
			line := n.Line
			if line == 0 {
				line = math.MaxInt // added by the global checks (autojoin any)
			}
			entries = append(entries, entry{line, "node " + n.Name + "\n"})
		}
	}
	portSet := map[string]bool{}
	for _, m := range c.Media {
		var e strings.Builder
		if (m.Type == "bcast" || m.Type == "ucast" || m.Type == "ucast6") && !portSet[m.Type] {
			portSet[m.Type] = true
			port := m.Port
			if port == 0 {
				port = 1 << 16 // udpport 65536 is port 0
			}
			fmt.Fprintf(&e, "udpport %d\n", port)
		}
		loop := 0
		if m.Loop {
			loop = 1
		}
		switch m.Type {
		case "ucast", "ucast6":
			fmt.Fprintf(&e, "%s %s %s\n", m.Type, m.Iface, m.Peer)
		case "mcast", "mcast6":
			fmt.Fprintf(&e, "%s %s %s %d %d %d\n", m.Type, m.Iface, m.Group, m.Port, m.TTL, loop)
		case "ping_group":
			fmt.Fprintf(&e, "ping_group %s %s\n", m.Name, strings.Join(m.Hosts, " "))
		default:
			fmt.Fprintf(&e, "%s %s\n", m.Type, m.Name)
		}
		entries = append(entries, entry{m.Line, e.String()})
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].line < entries[j].line })
	for _, e := range entries {
		b.WriteString(e.text)
	}
	for _, cl := range c.Clients {
		kind := "respawn"
		if cl.Failfast {
			kind = "failfast"
		}
		fmt.Fprintf(&b, "%s %s %s\n", kind, cl.User, cl.Command)
	}
	for _, a := range c.APIAuth {
		fmt.Fprintf(&b, "apiauth %s", a.Client)
		if a.UIDs != nil {
			fmt.Fprintf(&b, " uid=%s", joinInts(a.UIDs))
		}
		if a.GIDs != nil {
			fmt.Fprintf(&b, " gid=%s", joinInts(a.GIDs))
		}
		b.WriteString("\n")
	}
	if s := c.Stonith; s != nil && s.Host == "" {
		fmt.Fprintf(&b, "stonith %s %s\n", s.Type, s.ConfigFile)
	} else if s != nil {
		fmt.Fprintf(&b, "stonith_host %s %s %s\n", s.Host, s.Type, s.Params)
	}
	for _, e := range c.Env {
		fmt.Fprintf(&b, "env %s=%s\n", e.Name, e.Value)
	}
	if v, ok := c.Params.Get("udpport"); ok {
		fmt.Fprintf(&b, "udpport %s\n", v)
	}
	// hbd's own, which are not recorded as parameters.
	if c.SelfFence != nil {
		fmt.Fprintf(&b, "hbd_self_fence %s\n", strings.Join(c.SelfFence, " "))
	}
	fmt.Fprintf(&b, "hbd_action_timeout %dms\nhbd_ip_agent %s\n", c.ActionTimeout.Milliseconds(), c.IPAgent)
	if c.RscWorkers != 0 {
		fmt.Fprintf(&b, "hbd_rsc_workers %d\n", c.RscWorkers)
	}
	if c.MetricsListen != "" {
		fmt.Fprintf(&b, "hbd_metrics_listen %s\n", c.MetricsListen)
	}
	return b.String()
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ",")
}

// compareRecorded reports how b differs from a in what ha.cf records:
// parameters, nodes, media (line numbers aside).
func compareRecorded(a, b *Config) string {
	params := func(c *Config) map[string]string {
		m := map[string]string{}
		for _, p := range c.Params {
			m[p.Name] = p.Value
		}
		return m
	}
	if pa, pb := params(a), params(b); !reflect.DeepEqual(pa, pb) {
		return fmt.Sprintf("params differ:\n%v\n%v", pa, pb)
	}
	if na, nb := nodeNames(a), nodeNames(b); !reflect.DeepEqual(na, nb) {
		return fmt.Sprintf("nodes differ: %v, %v", na, nb)
	}
	strip := func(ms []Medium) []Medium {
		out := make([]Medium, len(ms))
		for i, m := range ms {
			m.Line = 0
			out[i] = m
		}
		return out
	}
	if ma, mb := strip(a.Media), strip(b.Media); !reflect.DeepEqual(ma, mb) {
		return fmt.Sprintf("media differ:\n%+v\n%+v", ma, mb)
	}
	type hbdOwn struct {
		fence   []string
		timeout time.Duration
		agent   string
		workers int
		metrics string
	}
	if ha, hb := (hbdOwn{a.SelfFence, a.ActionTimeout, a.IPAgent, a.RscWorkers, a.MetricsListen}), (hbdOwn{b.SelfFence, b.ActionTimeout, b.IPAgent, b.RscWorkers, b.MetricsListen}); !reflect.DeepEqual(ha, hb) {
		return fmt.Sprintf("hbd directives differ:\n%+v\n%+v", ha, hb)
	}
	return ""
}
