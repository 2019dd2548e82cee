package rsc

import (
	"fmt"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/rsc/ipaddr"
)

// The built-in IP agent satisfies agent as it is.
var _ agent = (*ipaddr.Resource)(nil)

// newBuiltinIP hands an IPaddr or IPaddr2 resource to the built-in agent
// (Options.IPAgent "builtin"), which adds and removes the address itself
// instead of forking resource.d/IPaddr2 → the OCF agent → ip.
func (m *Manager) newBuiltinIP(r *config.Resource) (agent, error) {
	if r.IP == nil {
		return nil, fmt.Errorf("%s needs an address: %s::<ip>[/<netmask>[/<interface>[/<broadcast>]]]", r.Token, r.Script)
	}
	res, err := ipaddr.New(r.Script, r.IP, ipaddr.Options{Logf: m.logf})
	if err != nil {
		return nil, err // not a nil *Resource in a non-nil agent
	}
	return res, nil
}
