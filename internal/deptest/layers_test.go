package deptest

import "strings"

// kind is a package's side in the layer table.
type kind int

const (
	// unlisted is a package the table does not know; the test asks for it
	// to be added.
	unlisted kind = iota
	// pure: protocol state machines and their values. They
	// import only each other, the standard library and a few pure
	// third-party libraries (pureThirdParty); they never touch the system
	// (no os, syscall, x/sys, net I/O, clock, goroutine) and never import
	// adapters, drivers or tools.
	pure
	// adapter: does I/O and holds no protocol decisions. It may import
	// other adapters, and of pure layers only their value types
	// (valueTypes).
	adapter
	// driver: node and cmd, which import both sides and wire them together.
	driver
	// tool: tests, benchmarks and test helpers; unchecked, but nothing
	// of the other kinds may import them (they link package testing).
	tool
)

func (k kind) String() string {
	return [...]string{"unlisted", "pure", "adapter", "driver", "tool"}[k]
}

// layers is the layer table of DESIGN.md ("Layers and the contract between
// them"), by package directory relative to the module root; "x/..." is x
// and everything under it, and the longest pattern wins. Packages that do
// not exist yet are listed so that they are covered when they appear.
var layers = map[string]kind{
	// Pure layers.
	"wire":            pure,
	"master/...":      pure, // master, master/own, master/masterconf, master/sim (a pure simulator)
	"internal/layer":  pure, // shared plumbing of pure layers
	"internal/prio":   pure,
	"internal/ipfail": pure,
	"config":          pure, // its parser; configSystemFiles are its system look-ups
	"ccm/...":         pure,
	"crm/cib/...":     pure,
	"crm/cibipc":      pure, // the local CIB socket's requests and replies
	"crm/pe/...":      pure,
	"crm/te/...":      pure,
	"crm/controld":    pure, // the controller: election, join, attributes, the DC's reaction loop
	"crm/mon":         pure, // crm_mon's rendering
	"crm/fenced":      pure, // the fencer's device table and fencing plans
	"apphb/core":      pure, // apphbd's requests, timers and log lines

	// Adapters.
	"loop":               adapter,
	"media/...":          adapter,
	"ipc/...":            adapter,
	"api/...":            adapter,
	"rsc/...":            adapter, // rsc, rsc/ipaddr, rsc/lrm
	"metrics":            adapter,
	"logd/...":           adapter,
	"apphb/...":          adapter, // apphbd's socket; apphb/core is pure
	"recovery":           adapter, // apphb events to internal/proc
	"internal/proc":      adapter,
	"internal/sysio":     adapter,
	"internal/hblog":     adapter,
	"internal/respawn":   adapter,
	"internal/stonith":   adapter,
	"internal/watchdog":  adapter,
	"internal/sdnotify":  adapter,
	"internal/statefile": adapter,
	"internal/logtail":   adapter, // hbd-demo tails node logs with it
	"crm/cib/store":      adapter, // the CIB's files; crm/cib is pure

	// Drivers.
	"node":    driver,
	"cmd/...": driver,

	// Tools.
	"cmd/hbd-benchplot":    tool, // draws bench results
	"api/apitest":          tool,
	"internal/clustertest": tool,
	"internal/netnstest":   tool,
	"internal/deptest":     tool,
	"internal/cpubench":    tool, // benchmarks' cpu-ns/op
	"test/...":             tool,
	"bench/...":            tool,
	"fuzz/...":             tool,
	"contrib/...":          tool, // systemd units and their test
}

// kindOf returns the kind of the package in dir (slash-separated,
// relative to the module root).
func kindOf(dir string) kind {
	best, kind := -1, unlisted
	for pat, k := range layers {
		root, tree := strings.CutSuffix(pat, "/...")
		if dir == root || (tree && strings.HasPrefix(dir, root+"/")) {
			if len(pat) > best {
				best, kind = len(pat), k
			}
		}
	}
	return kind
}

// configSystemFiles are the file name prefixes of config's system
// look-ups (uname, /etc/services, users, interfaces): the one place a pure
// package may use the system.
var configSystemFiles = []string{"sysenv", "env_system"}

// pureThirdParty are the import path prefixes of outside libraries that
// are pure themselves (a codec).
var pureThirdParty = []string{"github.com/klauspost/compress/"}

// valueTypes are what an adapter may use of each pure layer: its value
// types (and their constants), never its state machines or parsers. "*"
// allows the whole package: wire is the message format every side speaks
// (the Message value and its codec, no state), prio the log levels.
var valueTypes = map[string][]string{
	"wire":          {"*"},
	"internal/prio": {"*"},
	// ParseIPAddr only splits an IPaddr argument into its value type: the
	// LRM's built-in IP agent gets its arguments from lrmd clients, not ha.cf.
	"config": {"Config", "Medium", "Group", "Resource", "IPAddr", "ParseIPAddr", "APIAuth", "Client", "Stonith",
		"Level", "LevelDebug", "LevelInfo", "LevelNotice", "LevelWarn", "LevelError", "LevelCrit"},
	"master": {"Stats"},
	"apphb/core": {"Event", "EventKind", "EventFailed", "EventResumed", "EventLate", "EventHangup", "EventUnreg",
		"ParseEvent"},
}

// deniedStd are the standard packages a pure layer may not import (with
// everything under them): they reach the system whatever is called.
var deniedStd = []string{"os", "syscall", "log", "crypto/rand", "io/ioutil", "plugin", "runtime/debug", "runtime/pprof"}

// netAllowed are the identifiers of package net a pure layer may use: its
// parsers and address values, not its I/O. net/netip is allowed whole;
// every other package under net/ is denied.
var netAllowed = []string{"SplitHostPort", "JoinHostPort", "ParseIP", "ParseCIDR", "ParseMAC", "IP", "IPNet", "IPMask",
	"IPv4", "IPv4Mask", "CIDRMask", "IPv4len", "IPv6len", "HardwareAddr", "ParseError", "AddrError"}

// deniedIdents are identifiers of allowed standard packages that a pure
// layer may not use: the clock (it is given now), timers and sleeps, the
// file system through path/filepath, and the process-wide random source
// (it is given a rand.Source).
var deniedIdents = map[string][]string{
	"time":          {"Now", "Since", "Until", "Sleep", "After", "AfterFunc", "NewTimer", "NewTicker", "Tick", "LoadLocation", "Local"},
	"path/filepath": {"Glob", "Walk", "WalkDir", "Abs", "EvalSymlinks"},
}

// randAllowed are the identifiers of math/rand and math/rand/v2 a pure
// layer may use: constructors and types of sources it is handed, not the
// package-level functions that draw from the process-wide source.
var randAllowed = []string{"New", "NewPCG", "NewChaCha8", "NewSource", "NewZipf", "Rand", "Source", "PCG", "ChaCha8", "Zipf"}
