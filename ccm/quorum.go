package ccm

import (
	"fmt"
	"strings"
)

// DefaultQuorum is ccm's plugin list when ha.cf has no `env quorum=`.
const DefaultQuorum = "majority:twonodes"

// Quorum is heartbeat's list of quorum plugins (ha.cf `env quorum=a:b`,
// which ccm reads as HA_quorum): tried in order, the first that answers
// yes or no decides; a tie passes to the next; if all pass, no quorum.
type Quorum struct {
	plugins []plugin
}

type plugin uint8

const (
	pluginMajority plugin = iota + 1
	pluginWeight
	pluginTwoNodes
)

type answer uint8

const (
	quorumNo answer = iota
	quorumYes
	quorumTie
)

// ParseQuorum reads a plugin list ("majority:twonodes"; empty means the
// default). An unknown plugin name is an error naming it; quorumd, which
// Debian does not ship, is one.
func ParseQuorum(list string) (Quorum, error) {
	if list == "" {
		list = DefaultQuorum
	}
	var q Quorum
	for _, name := range strings.Split(list, ":") {
		switch name {
		case "majority":
			q.plugins = append(q.plugins, pluginMajority)
		case "weight":
			q.plugins = append(q.plugins, pluginWeight)
		case "twonodes":
			q.plugins = append(q.plugins, pluginTwoNodes)
		default:
			return Quorum{}, fmt.Errorf("ccm: quorum plugin %q in %q: unknown (known: majority, weight, twonodes)", name, list)
		}
	}
	return q, nil
}

// Decide answers whether members (count, and their total weight) have
// quorum among nodes (count, total weight). twoNodeBreak reports that the
// twonodes plugin decided, which ccm logs ("Break tie for 2 nodes
// cluster").
func (q Quorum) Decide(members, memberWeight, nodes, totalWeight int) (quorum, twoNodeBreak bool) {
	for _, p := range q.plugins {
		var a answer
		switch p {
		case pluginMajority:
			a = majority(members, nodes)
		case pluginWeight:
			a = majority(memberWeight, totalWeight)
		case pluginTwoNodes:
			if nodes == 2 {
				return true, true
			}
			a = quorumNo
		}
		if a != quorumTie {
			return a == quorumYes, false
		}
	}
	return false, false
}

// majority is the majority plugin's rule, on counts or weights.
func majority(m, n int) answer {
	switch {
	case m >= n/2+1:
		return quorumYes
	case n%2 == 0 && m == n/2:
		return quorumTie
	}
	return quorumNo
}
