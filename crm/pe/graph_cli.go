package pe

import "strings"

// CurrentText is crm_simulate's "Current cluster status" section: the
// input as the scheduler understood it.
func (res *Result) CurrentText() string {
	cur := *res
	cur.Final = map[*Resource]FinalState{}
	for p := range res.Final {
		cur.Final[p] = FinalState{Nodes: append([]*Node(nil), p.RunningOn...), Role: p.Role, Failed: p.Failed}
	}
	var b strings.Builder
	b.WriteString("Current cluster status:\n")
	cur.writeStatus(&b)
	return b.String()
}
