package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/internal/statefile"
	"github.com/hbd-ha/hbd/master/own"
	"github.com/hbd-ha/hbd/node"
)

// detachedEnv marks the child a backgrounding hbd started: it runs as -f.
const detachedEnv = "HBD_DETACHED"

func pidfilePath(o options) string { return filepath.Join(o.rundir, "heartbeat.pid") }

// selfExe is the executable that a pidfile's process must run to count as
// our daemon (heartbeat's IsRunning test).
func selfExe() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return exe
}

// runDaemon starts the node: validate, refuse a second instance, detach
// (unless -f), write the pidfile, then run until SIGTERM.
func runDaemon(l *stderrLog, o options, name string) int {
	env := config.SystemEnv(o.confdir)
	env.Debug = o.debug
	cfg, diags, err := config.Load(o.confdir, env)
	for _, d := range diags {
		if d.Level != config.LevelInfo || err != nil {
			l.log(d.Level.String(), d.String())
		}
	}
	if err != nil {
		l.log(config.LevelError.String(), "Configuration error, heartbeat not started.")
		if errors.Is(err, fs.ErrPermission) {
			return exitPermission
		}
		return exitNotConfigured
	}
	pidfile := pidfilePath(o)
	// A pidfile naming our own pid is stale: in a PID namespace a
	// restarted daemon gets the pid its predecessor had.
	if pid, ok := statefile.Running(pidfile, selfExe()); ok && pid != os.Getpid() {
		l.log("info", fmt.Sprintf("heartbeat: already running [pid %d].", pid))
		return 0
	}
	if !o.foreground && os.Getenv(detachedEnv) == "" {
		return detach(l)
	}
	if err := statefile.WritePid(pidfile, os.Getpid()); err != nil {
		l.log("ERROR", fmt.Sprintf("Cannot write pidfile %s: %v", pidfile, err))
		return exitPermission
	}
	syscall.Setsid()
	log, err := hblog.New(hblog.Options{
		Entity: name, Host: l.host, Pid: os.Getpid(),
		LogFile: cfg.LogFile, DebugFile: cfg.DebugFile, Facility: cfg.LogFacility,
		SyslogMsgFmt: cfg.SyslogMsgFmt, Debug: max(cfg.Debug, o.debug),
		Logd: logdSender(cfg, name), LogdRetry: cfg.ConnLogdTime,
	})
	if err != nil {
		l.log("ERROR", err.Error())
		return 1
	}
	defer log.Close()
	n, err := node.New(node.Options{
		Config: cfg, StateDir: o.statedir, Log: log, ConfDir: o.confdir,
		Realtime: cfg.Realtime && !o.noRealtime,
		// For the idle benchmarks' side-by-side runs (bench/idle_test.go).
		LoopWait:        os.Getenv("HBD_LOOP_WAIT"),
		ManageResources: !o.noResources,
		// heartbeat: /var/run/heartbeat.pid and /var/run/heartbeat/register.
		APISocket: filepath.Join(o.rundir, "heartbeat", "register"),
		Reload: func() (*config.Config, config.Diagnostics, error) {
			env := config.SystemEnv(o.confdir)
			env.Debug = o.debug
			return config.Load(o.confdir, env)
		},
		Restart: restartState(o),
	})
	if err != nil {
		log.Logf(hblog.Error, "%v", err)
		l.log("ERROR", err.Error())
		return 1
	}
	err = n.Run()
	if errors.Is(err, node.ErrRestart) {
		if !restart(log, cfg, pidfile) {
			return 0
		}
	}
	var qr *node.RestartError
	if errors.As(err, &qr) {
		quickRestart(log, qr.State)
	}
	if err != nil {
		log.Logf(hblog.Error, "%v", err)
		return 1
	}
	return 0
}

// restart is heartbeat's full restart (cause_shutdown_restart): the
// resources are given up already; wait ceil(deadtime)+1 s so that every
// peer has declared us dead, remove the pidfile and run the daemon again
// with the same arguments. It returns true only if the exec fails, and
// false if SIGTERM or SIGINT came during the wait: the operator asked the
// daemon to stop, and a restarted one would not know.
func restart(log *hblog.Logger, cfg *config.Config, pidfile string) bool {
	wait := (cfg.Deadtime+time.Second-1)/time.Second*time.Second + time.Second
	log.Logf(hblog.Info, "Restarting heartbeat in %d seconds.", int(wait/time.Second))
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	var cancelled os.Signal
	select {
	case <-time.After(wait):
	case cancelled = <-stop:
	}
	signal.Stop(stop)
	os.Remove(pidfile)
	if cancelled != nil {
		log.Logf(hblog.Info, "Restart cancelled by signal %d: staying down (resources are given up).", cancelled.(syscall.Signal))
		return false
	}
	log.Log(hblog.Info, "Performing heartbeat restart exec.")
	log.Close()
	// Detached: the restarted daemon stays this process, as heartbeat's
	// exec does.
	err := syscall.Exec(selfExe(), os.Args, append(os.Environ(), detachedEnv+"=1"))
	fmt.Fprintf(os.Stderr, "heartbeat: restart exec failed: %v\n", err)
	return true
}

// detach starts this command again in the background as its own session,
// with stdio on /dev/null, and returns at once, as heartbeat's parent
// exits after fork.
func detach(l *stderrLog) int {
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		l.log("ERROR", err.Error())
		return 1
	}
	defer devnull.Close()
	cmd := exec.Command(selfExe(), os.Args[1:]...)
	cmd.Args[0] = os.Args[0]
	cmd.Env = append(os.Environ(), detachedEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		l.log("ERROR", fmt.Sprintf("Cannot start daemon: %v", err))
		return 1
	}
	return 0
}

// stopDaemon is heartbeat -k: SIGTERM the daemon named by the pidfile and
// wait until it is gone.
func stopDaemon(stderr io.Writer, o options) int {
	pid, ok := statefile.Running(pidfilePath(o), selfExe())
	if !ok {
		fmt.Fprintln(stderr, "INFO: Heartbeat already stopped.")
		return 0
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		fmt.Fprintf(stderr, "ERROR: Could not kill pid %d: %v\n", pid, err)
		if errors.Is(err, syscall.EPERM) {
			return exitPermission
		}
		return 1
	}
	// heartbeat polls once a second; a finer poll returns sooner.
	for syscall.Kill(pid, 0) == nil {
		time.Sleep(50 * time.Millisecond)
	}
	return 0
}

// statusDaemon is heartbeat -s.
func statusDaemon(stdout io.Writer, o options, host string) int {
	pidfile := pidfilePath(o)
	pid, ok := statefile.Running(pidfile, selfExe())
	if ok {
		node := strings.ToLower(host)
		if b, err := os.ReadFile(filepath.Join(o.confdir, "nodeinfo")); err == nil {
			node = config.LocalNodeName(host, b)
		}
		fmt.Fprintf(stdout, "heartbeat OK [pid %d et al] is running on %s [%s]...\n", pid, strings.ToLower(host), node)
		return 0
	}
	fmt.Fprintln(stdout, "heartbeat is stopped. No process")
	if _, err := os.Stat(pidfile); err != nil {
		return 3
	}
	return 1
}

// reloadDaemon is heartbeat -r: with no daemon running it starts one; else
// it validates the configuration and signals the daemon (SIGHUP) to reread
// it, or refuses when the files are broken.
func reloadDaemon(l *stderrLog, o options, name string) int {
	pid, ok := statefile.Running(pidfilePath(o), selfExe())
	if !ok {
		return runDaemon(l, o, name)
	}
	env := config.SystemEnv(o.confdir)
	env.Debug = o.debug
	_, diags, err := config.Load(o.confdir, env)
	if err != nil {
		for _, d := range diags {
			l.log(d.Level.String(), d.String())
		}
		l.log("ERROR", fmt.Sprintf("Config errors: Heartbeat pid %d NOT restarted", pid))
		if errors.Is(err, fs.ErrPermission) {
			return exitPermission
		}
		return 1
	}
	l.log("info", fmt.Sprintf("Signalling heartbeat pid %d to reread config files", pid))
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		l.log("ERROR", fmt.Sprintf("Could not signal pid %d: %v", pid, err))
		if errors.Is(err, syscall.EPERM) {
			return exitPermission
		}
		return 1
	}
	return 0
}

// restartGroupsEnv carries the group keys a quick-restarting daemon held
// to the new process (heartbeat's -C says only local/foreign/all).
const restartGroupsEnv = "HBD_RESTART_GROUPS"

// restartState is what -R -C (and the environment) say the previous
// process held; nil when this is not a quick restart.
func restartState(o options) *own.Restart {
	if !o.restarting {
		return nil
	}
	r := &own.Restart{Holding: cmp.Or(o.current, "none")}
	r.Groups = strings.Fields(os.Getenv(restartGroupsEnv))
	os.Unsetenv(restartGroupsEnv)
	return r
}

// quickRestart is heartbeat's restart after SIGHUP with a changed ha.cf:
// exec the daemon again with -R -C <holdings>, resources untouched. It
// returns only if the exec fails.
func quickRestart(log *hblog.Logger, st own.Restart) {
	// The master has logged heartbeat's lines, up to "Current resources".
	log.Close()
	args := []string{os.Args[0]}
	for i := 1; i < len(os.Args); i++ {
		switch a := os.Args[i]; {
		case a == "-R":
		case a == "-C":
			i++ // and its value
		case strings.HasPrefix(a, "-C"):
		default:
			args = append(args, a)
		}
	}
	args = append(args, "-R")
	if st.Holding != "" { // legacy mode: heartbeat passes no -C
		args = append(args, "-C", st.Holding)
	}
	env := append(os.Environ(), detachedEnv+"=1", restartGroupsEnv+"="+strings.Join(st.Groups, " "))
	err := syscall.Exec(selfExe(), args, env)
	fmt.Fprintf(os.Stderr, "heartbeat: restart exec failed: %v\n", err)
}
