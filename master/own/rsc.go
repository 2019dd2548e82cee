package own

import (
	"errors"
	"fmt"
	"strings"
)

// FailbackMode is ha.cf's auto_failback.
type FailbackMode uint8

// Failback modes.
const (
	FailbackLegacy FailbackMode = iota // "legacy": ip-request protocol, automatic failback
	FailbackOn                         // "on": nice_failback, the holder hands groups back
	FailbackOff                        // "off": nice_failback, groups stay where they are
)

// Config is what the resource protocol needs to know. Without
// resources to manage (-M, or no haresources) there is no Own: the
// membership runs alone.
type Config struct {
	Failback FailbackMode
	Groups   []GroupConfig // in haresources order
	// Stonith says a STONITH device is configured: a dead peer that must
	// be fenced is reset (Ready.Fences) before its groups are taken over.
	Stonith bool
	// Pid, when set, is logged in "Heartbeat shutdown in progress. (pid)"
	// at the point heartbeat logs it.
	Pid int
	// Restart, when set, makes this start heartbeat's quick restart
	// (heartbeat -R -C): the groups it lists are held already, no initial
	// acquisition runs, and the node is stable again as soon as its peers
	// have answered. It is what the old process's PrepareRestart returned.
	Restart *Restart
}

// GroupConfig is one haresources line: its key (the first resource) and
// its preferred node (lower-cased).
type GroupConfig struct{ Key, Node string }

// ActionKind says whether an Action starts or stops groups.
type ActionKind uint8

// Action kinds.
const (
	ActionTake ActionKind = iota // ResourceManager takegroup, key by key
	ActionGive                   // ResourceManager givegroup, key by key
)

func (k ActionKind) String() string {
	if k == ActionGive {
		return "give"
	}
	return "take"
}

// Action is resource work for the caller's executor: run the groups'
// scripts, one action at a time, in the order they appear in Ready, and
// report each with ActionDone.
type Action struct {
	ID   uint64
	Kind ActionKind
	Keys []string // group keys, in the order to run them; valid until Advance
	// Why names the protocol step, for logs and metrics: "mach_down",
	// "ip-request-resp", "ip-request", "standby", "shutdown", "shutdone",
	// "partition", "failback".
	Why string
}

func (a Action) String() string {
	return fmt.Sprintf("action %d %s %s [%s]", a.ID, a.Kind, a.Why, strings.Join(a.Keys, " "))
}

// Holdings as heartbeat's 2-bit rsc_hold: local (groups whose preferred
// node is the sender), foreign (all the others).
const (
	holdNone    uint8 = 0
	holdLocal   uint8 = 1
	holdForeign uint8 = 2
	holdAll     uint8 = 3
)

var holdNames = [...]string{"none", "local", "foreign", "all"}

// parseHold is heartbeat's encode_resources: unknown words are "none"
// (heartbeat logs them).
func parseHold(b []byte) (uint8, bool) {
	for i, n := range holdNames {
		if string(b) == n {
			return uint8(i), true
		}
	}
	return holdNone, false
}

func (c Config) validate() error {
	if c.Failback > FailbackOff {
		return fmt.Errorf("bad failback mode %d", c.Failback)
	}
	var errs []error
	seen := map[string]bool{}
	for i, g := range c.Groups {
		switch {
		case g.Key == "" || strings.ContainsAny(g.Key, " \t\r\n"):
			errs = append(errs, fmt.Errorf("group %d: bad key %q", i, g.Key))
		case seen[g.Key]:
			errs = append(errs, fmt.Errorf("group key %q listed twice", g.Key))
		}
		seen[g.Key] = true
	}
	if err := validateRestart(c.Restart); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Holding is what cl_status rscstatus and the API's getrsc report: "none",
// "local", "foreign" or "all" when the resource protocol is stable, else
// "transition". In legacy mode heartbeat keeps no holdings: "none" unless
// resource work is running.
func (o *Own) Holding() string {
	r := &o.rsc
	if !o.rscStable() {
		return "transition"
	}
	return holdNames[r.iHold&holdAll]
}

// Holds reports whether this node holds group key: its start finished
// and no stop has finished since (hbd's own per-group view, which, unlike
// Holding, legacy mode keeps too).
func (o *Own) Holds(key string) bool {
	if k := o.groupIndex(key); k >= 0 {
		return o.rsc.held[k]
	}
	return false
}

// HeldGroups appends the keys this node holds to dst, in file order.
func (o *Own) HeldGroups(dst []string) []string {
	for k, g := range o.rsc.groups {
		if o.rsc.held[k] {
			dst = append(dst, g.Key)
		}
	}
	return dst
}

func (o *Own) groupIndex(key string) int {
	for k := range o.rsc.groups {
		if o.rsc.groups[k].Key == key {
			return k
		}
	}
	return -1
}
