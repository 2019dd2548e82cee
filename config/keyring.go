package config

import (
	"fmt"

	"github.com/hbd-ha/hbd/wire"
)

// Keyring builds the wire keyring for these keys: every slot verifies
// incoming messages, the active one signs.
func (a *Authkeys) Keyring() (*wire.Keyring, error) {
	k := wire.NewKeyring()
	for n, key := range a.Keys {
		if key.Method == "" {
			continue
		}
		m, ok := wire.ParseMethod(key.Method)
		if !ok {
			return nil, fmt.Errorf("authkeys:%d: invalid authtype [%s]", key.Line, key.Method)
		}
		if err := k.SetKey(n, m, []byte(key.Key)); err != nil {
			return nil, fmt.Errorf("authkeys:%d: %w", key.Line, err)
		}
	}
	if err := k.SetSigner(a.Active); err != nil {
		return nil, err
	}
	return k, nil
}

// Keyring is the authkeys keyring with ha.cf's hbd_cluster_id, if set, as
// the cluster id of every slot.
func (c *Config) Keyring() (*wire.Keyring, error) {
	if c.Authkeys == nil {
		return nil, fmt.Errorf("no authkeys")
	}
	k, err := c.Authkeys.Keyring()
	if err != nil {
		return nil, err
	}
	if c.ClusterIDSet {
		k.SetClusterID(c.ClusterID)
	}
	return k, nil
}
