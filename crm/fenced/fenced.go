package fenced

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/pe"
)

// HostCheck is how a device tells whether it can fence a node
// (pcmk_host_check).
type HostCheck int

const (
	// CheckDynamicList asks the device for its hosts (stonith -l).
	CheckDynamicList HostCheck = iota
	// CheckStaticList takes pcmk_host_list and pcmk_host_map's nodes.
	CheckStaticList
	// CheckNone: the device can fence every node.
	CheckNone
)

func (c HostCheck) String() string {
	switch c {
	case CheckStaticList:
		return "static-list"
	case CheckNone:
		return "none"
	}
	return "dynamic-list"
}

// Param is one of a device's parameters, as its agent gets it.
type Param struct{ Name, Value string }

// Device is a fencing device: one class="stonith" primitive.
type Device struct {
	ID    string
	Agent string // the primitive's type, e.g. "external/ssh"
	// Params are the instance attributes but Pacemaker's own (pcmk_*,
	// which the fencer keeps for itself), by name.
	Params []Param
	Check  HostCheck
	// Targets are pcmk_host_list's names and pcmk_host_map's nodes'
	// ports, for a static-list check (Pacemaker adds the map's ports).
	Targets []string
	Aliases []Alias // pcmk_host_map
	// RebootAction and OffAction are what the agent runs for a reboot or
	// an off (pcmk_reboot_action, pcmk_off_action).
	RebootAction, OffAction string
}

// Equal reports whether d and o are the same device definition.
func (d *Device) Equal(o *Device) bool {
	return d.ID == o.ID && d.Agent == o.Agent && d.Check == o.Check &&
		d.RebootAction == o.RebootAction && d.OffAction == o.OffAction &&
		slices.Equal(d.Params, o.Params) && slices.Equal(d.Targets, o.Targets) && slices.Equal(d.Aliases, o.Aliases)
}

// Port is what the agent is told to fence for target: its pcmk_host_map
// alias, or the name itself.
func (d *Device) Port(target string) string {
	for _, a := range d.Aliases {
		if strings.EqualFold(a.Node, target) {
			return a.Port
		}
	}
	return target
}

// Action is what the agent runs for a fencing op ("reboot", "off").
func (d *Device) Action(op string) string {
	switch op {
	case "reboot":
		return d.RebootAction
	case "off":
		return d.OffAction
	}
	return op
}

// CanFence reports whether d can fence target, as Pacemaker's
// can_fence_host_with_device decides: static-list — target is in the host
// list or has an alias; dynamic-list — target's port is in hosts, the
// device's own list (case-insensitively); none — always.
func (d *Device) CanFence(target string, hosts []string) bool {
	switch d.Check {
	case CheckNone:
		return true
	case CheckStaticList:
		if containsFold(d.Targets, target) {
			return true
		}
		for _, a := range d.Aliases {
			if strings.EqualFold(a.Node, target) {
				return true
			}
		}
		return false
	}
	return containsFold(hosts, d.Port(target))
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// Level is one fencing-topology level: every device must succeed.
type Level struct {
	Index   int
	Devices []string
}

// topology is the levels of one fencing-level target.
type topology struct {
	target  string         // the node name, for a by-name target
	pattern *regexp.Regexp // target-pattern
	attr    string         // target-attribute
	value   string         // target-value
	levels  []Level        // by index
}

// maxLevel is Pacemaker's highest level index (ST_LEVEL_MAX - 1).
const maxLevel = 9

// Table is the fencing configuration of a CIB.
type Table struct {
	Devices  []*Device // in CIB order
	topo     []*topology
	attrs    map[string]map[string]string // node name → its permanent attributes
	Warnings []string                     // what was left out, and why
}

// Build reads the fencing devices and topology from a CIB (root is its
// <cib> element; now is the time for rules, in seconds since the epoch).
// Like Pacemaker's fencer it takes every class="stonith" primitive, those
// in groups too and a clone's first instance, except those disabled
// (target-role=Stopped, or Unpromoted in a promotable clone).
func Build(root *cib.Element, now int64) (*Table, error) {
	c, err := pe.Unpack(root, now)
	if err != nil {
		return nil, err
	}
	t := &Table{attrs: map[string]map[string]string{}}
	for _, n := range c.Nodes {
		t.attrs[strings.ToLower(n.Name)] = n.Attrs
	}
	seen := map[string]bool{}
	var walk func(r *pe.Resource)
	walk = func(r *pe.Resource) {
		switch r.Kind {
		case pe.KindGroup:
			for _, ch := range r.Children {
				walk(ch)
			}
			return
		case pe.KindClone:
			if len(r.Children) > 0 {
				walk(r.Children[0])
			}
			return
		}
		if !strings.EqualFold(r.Class, "stonith") || seen[r.ID] {
			return
		}
		seen[r.ID] = true
		if disabled(r) {
			t.Warnings = append(t.Warnings, "Device "+r.ID+" has been disabled")
			return
		}
		t.Devices = append(t.Devices, newDevice(deviceName(r), r.Type, r.Params))
	}
	for _, r := range cibOrder(root, c) {
		walk(r)
	}
	if cfg := root.Child("configuration"); cfg != nil {
		t.unpackTopology(cfg.Child("fencing-topology"))
	}
	return t, nil
}

// cibOrder returns the top-level resources in CIB order (Cluster.Resources
// is in priority order).
func cibOrder(root *cib.Element, c *pe.Cluster) []*pe.Resource {
	var out []*pe.Resource
	cfg := root.Child("configuration")
	if cfg == nil {
		return nil
	}
	rs := cfg.Child("resources")
	if rs == nil {
		return nil
	}
	for _, e := range rs.Children {
		if r := c.Resource(e.ID()); r != nil && r.Parent == nil {
			out = append(out, r)
		}
	}
	return out
}

// deviceName is a clone instance's name without its instance number, as
// Pacemaker's rsc_name gives it for an anonymous clone.
func deviceName(r *pe.Resource) string {
	if r.Parent != nil && r.Parent.Kind == pe.KindClone {
		if id, _, ok := strings.Cut(r.ID, ":"); ok {
			return id
		}
	}
	return r.ID
}

// disabled is Pacemaker's pe__resource_is_disabled.
func disabled(r *pe.Resource) bool {
	role := strings.ToLower(r.Meta["target-role"])
	if role == "stopped" {
		return true
	}
	if role == "unpromoted" || role == "slave" {
		for top := r; top != nil; top = top.Parent {
			if top.Parent == nil && top.Promotable {
				return true
			}
		}
	}
	return false
}

// newDevice builds a device from a primitive's instance attributes.
func newDevice(id, agent string, params map[string]string) *Device {
	d := &Device{ID: id, Agent: agent, RebootAction: "reboot", OffAction: "off"}
	for k, v := range params {
		if !strings.HasPrefix(k, "pcmk_") {
			d.Params = append(d.Params, Param{k, v})
		}
	}
	slices.SortFunc(d.Params, func(a, b Param) int { return strings.Compare(a.Name, b.Name) })
	if v := params["pcmk_reboot_action"]; v != "" {
		d.RebootAction = v
	}
	if v := params["pcmk_off_action"]; v != "" {
		d.OffAction = v
	}
	list, haveList := params["pcmk_host_list"]
	hmap, haveMap := params["pcmk_host_map"]
	if haveList {
		d.Targets = ParseTargets(list)
	}
	d.Aliases = ParseHostMap(hmap)
	for _, a := range d.Aliases {
		if len(d.Targets) < MaxTargets {
			d.Targets = append(d.Targets, a.Port)
		}
	}
	switch check, set := params["pcmk_host_check"]; {
	case !set && (haveList || haveMap):
		d.Check = CheckStaticList
	case !set:
		d.Check = CheckDynamicList
	case strings.EqualFold(check, "static-list"):
		d.Check = CheckStaticList
	case strings.EqualFold(check, "none"), strings.EqualFold(check, "status"):
		d.Check = CheckNone
	default:
		d.Check = CheckDynamicList
	}
	if d.Check != CheckStaticList {
		d.Targets = nil
	}
	return d
}

// unpackTopology reads the fencing-level elements. A level with the same
// target and index as an earlier one replaces it, as a re-registration
// does in Pacemaker.
func (t *Table) unpackTopology(ft *cib.Element) {
	if ft == nil {
		return
	}
	for _, e := range ft.All("fencing-level") {
		idx, err := strconv.Atoi(e.Get("index"))
		if err != nil || idx < 1 || idx > maxLevel {
			t.Warnings = append(t.Warnings, fmt.Sprintf("fencing-level %s: index %q is not 1-%d", e.ID(), e.Get("index"), maxLevel))
			continue
		}
		var devs []string
		for _, d := range strings.Split(e.Get("devices"), ",") {
			if d = strings.TrimSpace(d); d != "" {
				devs = append(devs, d)
			}
		}
		if len(devs) == 0 {
			t.Warnings = append(t.Warnings, "fencing-level "+e.ID()+": no devices")
			continue
		}
		tp := &topology{target: e.Get("target")}
		key := "name:" + strings.ToLower(tp.target)
		switch {
		case e.Get("target-pattern") != "":
			re, err := regexp.Compile(e.Get("target-pattern"))
			if err != nil {
				t.Warnings = append(t.Warnings, "fencing-level "+e.ID()+": bad target-pattern: "+err.Error())
				continue
			}
			tp.pattern, key = re, "pattern:"+e.Get("target-pattern")
		case e.Get("target-attribute") != "":
			tp.attr, tp.value = e.Get("target-attribute"), e.Get("target-value")
			key = "attr:" + tp.attr + "=" + tp.value
		case tp.target == "":
			t.Warnings = append(t.Warnings, "fencing-level "+e.ID()+": no target")
			continue
		}
		tp = t.topologyFor(key, tp)
		lv := Level{Index: idx, Devices: devs}
		if i := slices.IndexFunc(tp.levels, func(l Level) bool { return l.Index == idx }); i >= 0 {
			tp.levels[i] = lv
		} else {
			tp.levels = append(tp.levels, lv)
			slices.SortFunc(tp.levels, func(a, b Level) int { return a.Index - b.Index })
		}
	}
}

// topologyFor returns the table's topology of key, adding tp as it if
// there is none yet.
func (t *Table) topologyFor(key string, tp *topology) *topology {
	for _, x := range t.topo {
		if x.key() == key {
			return x
		}
	}
	t.topo = append(t.topo, tp)
	return tp
}

func (tp *topology) key() string {
	switch {
	case tp.pattern != nil:
		return "pattern:" + tp.pattern.String()
	case tp.attr != "":
		return "attr:" + tp.attr + "=" + tp.value
	}
	return "name:" + strings.ToLower(tp.target)
}

// Levels returns target's fencing-topology levels in index order, nil if
// no topology names it: a by-name target first, as Pacemaker looks it up
// first, then the first pattern or attribute match in CIB order.
func (t *Table) Levels(target string) []Level {
	for _, tp := range t.topo {
		if tp.pattern == nil && tp.attr == "" && strings.EqualFold(tp.target, target) {
			return tp.levels
		}
	}
	for _, tp := range t.topo {
		switch {
		case tp.pattern != nil && tp.pattern.MatchString(target):
			return tp.levels
		case tp.attr != "":
			if v, ok := t.attrs[strings.ToLower(target)][tp.attr]; ok && v == tp.value {
				return tp.levels
			}
		}
	}
	return nil
}

// Device returns the device id, nil if there is none.
func (t *Table) Device(id string) *Device {
	for _, d := range t.Devices {
		if d.ID == id {
			return d
		}
	}
	return nil
}

// Plan returns how to fence target: steps to try in order until one
// succeeds, each a list of devices that must all succeed. With a
// topology for target, the steps are its levels (a level naming a device
// that is not configured, or that cannot fence target, is skipped);
// without one, each device that can fence target is a step of its own,
// in CIB order. hosts gives a dynamic-list device's host list, ok false
// when it is not known: then need names the devices to ask first, and the
// plan is incomplete until they have answered.
func (t *Table) Plan(target string, hosts func(id string) (list []string, ok bool)) (steps [][]string, need []string) {
	can := func(id string) bool {
		d := t.Device(id)
		if d == nil {
			return false
		}
		var list []string
		if d.Check == CheckDynamicList {
			l, ok := hosts(id)
			if !ok {
				if !slices.Contains(need, id) {
					need = append(need, id)
				}
				return false
			}
			list = l
		}
		return d.CanFence(target, list)
	}
	if levels := t.Levels(target); levels != nil {
		for _, lv := range levels {
			all := true
			for _, id := range lv.Devices {
				if !can(id) {
					all = false
				}
			}
			if all {
				steps = append(steps, lv.Devices)
			}
		}
		return steps, need
	}
	for _, d := range t.Devices {
		if can(d.ID) {
			steps = append(steps, []string{d.ID})
		}
	}
	return steps, need
}

// Configured reports whether the CIB configures any fencing: a
// class="stonith" primitive (in a group or clone too) or a
// fencing-topology level. It allocates nothing, so that a node can skip
// Build (which unpacks the whole configuration) on each change of a CIB
// without fencing devices.
func Configured(root *cib.Element) bool {
	cfg := root.Child("configuration")
	if cfg == nil {
		return false
	}
	if ft := cfg.Child("fencing-topology"); ft != nil && ft.Child("fencing-level") != nil {
		return true
	}
	var has func(e *cib.Element) bool
	has = func(e *cib.Element) bool {
		for _, ch := range e.Children {
			switch ch.Name {
			case "primitive":
				if strings.EqualFold(ch.Get("class"), "stonith") {
					return true
				}
			case "group", "clone", "master":
				if has(ch) {
					return true
				}
			}
		}
		return false
	}
	rs := cfg.Child("resources")
	return rs != nil && has(rs)
}
