package rsc

import (
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
)

// Options configure a Manager. The zero value of each field is
// heartbeat's behaviour.
type Options struct {
	// ConfDir is heartbeat's HA_DIR (default /etc/ha.d): haresources
	// errors name ConfDir/haresources, OCF instance parameters are read
	// from ConfDir/conf/OCF.
	ConfDir string
	// ResourceDir and InitDir are searched for resource scripts, in that
	// order (defaults ConfDir/resource.d and /etc/init.d).
	ResourceDir string
	InitDir     string
	// OCFRoot is where OCF agents live (default /usr/lib/ocf).
	OCFRoot string
	// IPAgent chooses how IPaddr and IPaddr2 resources run: "builtin"
	// (the default, package rsc/ipaddr) or "script" (resource.d).
	IPAgent string

	// Env is the environment every agent starts from: heartbeat's child
	// environment (HA_CURHOST, HA_<directive>, OCF_ROOT, …).
	Env []string
	// Output receives the agents' stdout and stderr (heartbeat's
	// $HA_DEBUGLOG), opened for appending at each action; "" is
	// /dev/null.
	Output string
	// Log receives the lines ResourceManager logs, in its words. It is
	// called from any goroutine. nil discards them.
	Log func(level prio.Level, msg string)
	// Wake is called (from a worker goroutine) when a batch has
	// finished and its Result waits in Results: the loop's wake-up.
	Wake func()

	// Workers bounds the agents that run at once (default 4).
	Workers int
	// Timeout bounds each action (start, stop, status); 0 waits for
	// ever, as heartbeat does. On expiry the agent's process group gets
	// SIGTERM, then SIGKILL after KillGrace, and the action has failed.
	Timeout time.Duration
	// KillGrace is the time between SIGTERM and SIGKILL (default 5 s).
	KillGrace time.Duration
	// CloseGrace is how long Close lets running agents finish before
	// killing them (default 10 s).
	CloseGrace time.Duration
	// StopRetries is how many more times a failed stop is tried, one
	// second apart: 0 takes HA_STOPRETRYMAX from Env, else 10, as
	// ResourceManager does; negative retries for ever (heartbeat's
	// HA_STOPRETRYMAX ≤ 0).
	StopRetries int
	// SelfFence is the command (argv) run when a resource cannot be
	// stopped and is still running. nil is heartbeat's: /sbin/reboot
	// -nf, then /sbin/init 6 if that fails. Tests must set it.
	SelfFence []string

	// retryEvery is the pause between stop attempts (1 s; tests shorten
	// it).
	retryEvery time.Duration
}

// Heartbeat's defaults.
const (
	defaultConfDir    = "/etc/ha.d"
	defaultInitDir    = "/etc/init.d"
	defaultOCFRoot    = "/usr/lib/ocf"
	defaultWorkers    = 4
	defaultKillGrace  = 5 * time.Second
	defaultCloseGrace = 10 * time.Second
	defaultStopRetry  = 10 // ResourceManager's HA_STOPRETRYMAX
	stopRetryEvery    = time.Second
)

// IP agent choices.
const (
	IPAgentBuiltin = "builtin"
	IPAgentScript  = "script"
)

// withDefaults fills in the zero fields.
func (o Options) withDefaults() Options {
	if o.ConfDir == "" {
		o.ConfDir = defaultConfDir
	}
	if o.ResourceDir == "" {
		o.ResourceDir = filepath.Join(o.ConfDir, "resource.d")
	}
	if o.InitDir == "" {
		o.InitDir = defaultInitDir
	}
	if o.OCFRoot == "" {
		o.OCFRoot = defaultOCFRoot
	}
	if o.IPAgent == "" {
		o.IPAgent = IPAgentBuiltin
	}
	if o.Workers <= 0 {
		o.Workers = defaultWorkers
	}
	if o.KillGrace <= 0 {
		o.KillGrace = defaultKillGrace
	}
	if o.CloseGrace <= 0 {
		o.CloseGrace = defaultCloseGrace
	}
	if o.StopRetries == 0 {
		o.StopRetries = stopRetryMax(o.Env)
	}
	if o.retryEvery <= 0 {
		o.retryEvery = stopRetryEvery
	}
	return o
}

// stopRetryMax is ResourceManager's ${HA_STOPRETRYMAX=10}: ha.cf's
// "env STOPRETRYMAX=n" reaches it through the environment. A value the
// shell's test could not compare counts as unset.
func stopRetryMax(env []string) int {
	v, ok := lookupEnv(env, "HA_STOPRETRYMAX")
	if !ok {
		return defaultStopRetry
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	switch {
	case err != nil:
		return defaultStopRetry
	case n <= 0:
		return -1 // for ever
	}
	return n
}

// lookupEnv finds name in env; the last entry wins, as in os/exec.
func lookupEnv(env []string, name string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], name); ok && strings.HasPrefix(v, "=") {
			return v[1:], true
		}
	}
	return "", false
}
