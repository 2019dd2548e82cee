// Package masterconf builds a master.Config (and, for haresources, an
// own.Config) from a validated ha.cf and authkeys (package config). It is apart from master so that master
// itself imports nothing that reaches the system: config reads files.
package masterconf

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/master/own"
	"github.com/hbd-ha/hbd/wire"
)

// FromConfig returns the master configuration for c, with this start's
// uuid and generation (which the daemon keeps in hb_uuid and
// hb_generation) and a random source.
func FromConfig(c *config.Config, uuid [wire.UUIDLen]byte, gen uint64, rnd rand.Source) (master.Config, error) {
	if c.Authkeys == nil {
		return master.Config{}, errors.New("masterconf: no authkeys")
	}
	if c.AutoJoin != "" && c.AutoJoin != "none" {
		return master.Config{}, fmt.Errorf("masterconf: autojoin %s is not supported (haresources clusters need none)", c.AutoJoin)
	}
	keys, err := c.Keyring()
	if err != nil {
		return master.Config{}, fmt.Errorf("masterconf: %w", err)
	}
	mc := master.Config{
		Local:          c.LocalNode,
		UUID:           uuid,
		Generation:     gen,
		Keepalive:      c.Keepalive,
		Deadtime:       c.Deadtime,
		Warntime:       c.Warntime,
		Initdead:       c.Initdead,
		Deadping:       c.Deadping,
		MaxRexmitDelay: c.MaxRexmitDelay,
		HopFudge:       c.HopFudge,
		InnerAuth:      c.MsgFmt != "netstring",
		Native:         nativeMode(c.Native),
		Keys:           keys,
		Rand:           rnd,

		// compression_threshold is in KiB, as heartbeat reads it.
		CompressionThreshold:   c.CompressionThreshold * 1024,
		TraditionalCompression: c.TraditionalCompression,
	}
	if alg, ok := wire.ParseCompression([]byte(c.Compression)); ok {
		mc.Compression = alg
	}
	for _, n := range c.Nodes {
		t := master.Normal
		if n.Type == config.PingNode {
			t = master.Ping
		}
		mc.Nodes = append(mc.Nodes, master.NodeConfig{Name: n.Name, Type: t})
	}
	for _, md := range c.Media {
		switch md.Type {
		case "ping", "ping6", "ping_group":
			mc.Media = append(mc.Media, master.MediumConfig{Name: md.Name, Ping: true})
		case "serial":
			mc.Media = append(mc.Media, master.MediumConfig{Name: md.Name, Text: true})
		default:
			mc.Media = append(mc.Media, master.MediumConfig{Name: md.Name})
		}
	}
	return mc, nil
}

// Own returns the resource-ownership configuration for c (package
// master/own), and whether c manages resources at all (haresources, and
// no -M); without, the daemon runs membership alone.
func Own(c *config.Config) (own.Config, bool) {
	if !c.ManageResources || c.Haresources == nil {
		return own.Config{}, false
	}
	oc := own.Config{Failback: own.FailbackMode(c.AutoFailback), Stonith: c.Stonith != nil}
	for _, g := range c.Haresources.Groups {
		if key := g.Key(); key != "" {
			oc.Groups = append(oc.Groups, own.GroupConfig{Key: key, Node: g.Node})
		}
	}
	return oc, true
}

func nativeMode(m config.NativeMode) master.NativeMode {
	switch m {
	case config.NativeOn:
		return master.NativeOn
	case config.NativeOff:
		return master.NativeOff
	}
	return master.NativeAuto
}
