package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"syscall"
	"time"

	"github.com/hbd-ha/hbd/apphb"
	"github.com/hbd-ha/hbd/apphb/core"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/internal/statefile"
	"github.com/hbd-ha/hbd/logd"
	"github.com/hbd-ha/hbd/loop"
	"github.com/hbd-ha/hbd/node"
	"github.com/hbd-ha/hbd/recovery"
	"github.com/hbd-ha/hbd/rsc/lrm"
)

// exitConfig is what ha_logd and apphbd exit with on a bad config file
// (LSB_EXIT_NOTCONFIGURED).
const exitConfig = 6

// helperCommand runs "hbd logd …", "hbd apphbd …" and "hbd lrm …" (the
// LRM alone, as "lrmd -r"); ok is false for any other argv.
func helperCommand(argv []string, stdout, stderr io.Writer) (code int, ok bool) {
	if len(argv) < 2 {
		return 0, false
	}
	switch argv[1] {
	case "logd":
		return logdCommand(argv[2:], stdout, stderr), true
	case "apphbd":
		return apphbdCommand(argv[2:], stdout, stderr), true
	case "lrm":
		return lrm.Main(argv[2:], stderr), true
	}
	return 0, false
}

// pidControl is what -s and -k do with a helper's pidfile.
func pidControl(pidfile, name string, status, kill bool, stdout, stderr io.Writer, running, stopped string) int {
	pid, alive := statefile.Running(pidfile, "")
	if status {
		if alive {
			fmt.Fprintf(stdout, running+"\n", pid)
			return 0
		}
		fmt.Fprintln(stdout, stopped)
		return 3 // LSB: not running
	}
	if kill {
		if !alive {
			fmt.Fprintf(stderr, "%s: not running\n", name)
			return 0
		}
		syscall.Kill(pid, syscall.SIGTERM)
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if _, alive := statefile.Running(pidfile, ""); !alive {
				return 0
			}
		}
		fmt.Fprintf(stderr, "%s: pid %d did not stop\n", name, pid)
		return 1
	}
	return -1
}

// stopOnSignals makes SIGTERM and SIGINT stop l. Helpers call it before
// they create sockets or pidfiles, so a signal that comes as soon as those
// exist still ends the process cleanly and removes them.
func stopOnSignals(l *loop.Loop) error {
	return l.Signals(func(os.Signal) { l.Stop() }, syscall.SIGTERM, syscall.SIGINT)
}

// logdCommand is ha_logd in the foreground: hbd logd [-c FILE] [-s] [-k].
func logdCommand(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("hbd logd", flag.ContinueOnError)
	fl.SetOutput(stderr)
	conf := fl.String("c", "", "logd.cf (default /etc/logd.cf if it exists)")
	status := fl.Bool("s", false, "say whether a logd runs")
	kill := fl.Bool("k", false, "stop the running logd")
	fl.Bool("d", false, "accepted for ha_logd's sake: hbd logd stays in the foreground")
	sock := fl.String("S", logd.DefaultSocket, "socket (hbd only)")
	pidfile := fl.String("p", "/var/run/logd.pid", "pidfile (hbd only)")
	if err := fl.Parse(args); err != nil || fl.NArg() > 0 {
		return exitUsage
	}
	if c := pidControl(*pidfile, "logd", *status, *kill, stdout, stderr, "logging daemon is running [pid = %d].", "logging daemon is stopped."); c >= 0 {
		return c
	}
	cf := logd.DefaultConf()
	path := *conf
	if path == "" {
		if _, err := os.Stat("/etc/logd.cf"); err == nil {
			path = "/etc/logd.cf"
		}
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err == nil {
			cf, err = logd.ParseConf(path, data)
		}
		if err != nil {
			fmt.Fprintf(stderr, "hbd logd: %v\nConfig file [%s] is incorrect.\n", err, path)
			return exitConfig
		}
	}
	host, _ := os.Hostname()
	l, err := loop.New(loop.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "hbd logd: %v\n", err)
		return 1
	}
	defer l.Close()
	if err := stopOnSignals(l); err != nil {
		fmt.Fprintf(stderr, "hbd logd: %v\n", err)
		return 1
	}
	srv, err := logd.Listen(l, cf, logd.Options{Socket: *sock, Host: host})
	if err != nil {
		fmt.Fprintf(stderr, "hbd logd: %v\n", err)
		return 1
	}
	defer srv.Close()
	if err := statefile.WritePid(*pidfile, os.Getpid()); err != nil {
		fmt.Fprintf(stderr, "hbd logd: pidfile: %v\n", err)
		return 1
	}
	defer os.Remove(*pidfile)
	if err := l.Run(); err != nil {
		fmt.Fprintf(stderr, "hbd logd: %v\n", err)
		return 1
	}
	return 0
}

// apphbdCommand is apphbd in the foreground: hbd apphbd [-c FILE] [-d]…
// [-s|-k|-r], plus -R RECOVERY_CONF for the recovery manager.
func apphbdCommand(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("hbd apphbd", flag.ContinueOnError)
	fl.SetOutput(stderr)
	conf := fl.String("c", "./apphbd.cf", "apphbd.cf")
	status := fl.Bool("s", false, "say whether apphbd runs")
	kill := fl.Bool("k", false, "stop the running apphbd")
	restart := fl.Bool("r", false, "stop the running apphbd, then run")
	var debug int
	fl.Func("d", "more debug (repeatable)", func(string) error { debug++; return nil })
	rconf := fl.String("R", "", "recovery configuration (hbd only)")
	sock := fl.String("S", apphb.DefaultSocket, "socket (hbd only)")
	pidfile := fl.String("p", "/var/run/apphbd.pid", "pidfile (hbd only)")
	// -d takes no value: rewrite it to the Func form.
	for i, a := range args {
		if a == "-d" {
			args[i] = "-d=1"
		}
	}
	if err := fl.Parse(args); err != nil || fl.NArg() > 0 {
		return exitUsage
	}
	if c := pidControl(*pidfile, "apphbd", *status, *kill, stdout, stderr, "apphbd is running [pid: %d]", "apphbd is stopped"); c >= 0 {
		return c
	}
	if *restart {
		if c := pidControl(*pidfile, "apphbd", false, true, stdout, stderr, "", ""); c != 0 {
			return c
		}
	}
	data, err := os.ReadFile(*conf)
	if err != nil {
		fmt.Fprintf(stderr, "hbd apphbd: %v\n", err)
		if errors.Is(err, fs.ErrNotExist) {
			return exitConfig
		}
		return 1
	}
	cf, err := core.ParseConf(*conf, data)
	if err != nil {
		fmt.Fprintf(stderr, "hbd apphbd: %v\n", err)
		return exitConfig
	}
	var rc recovery.Conf
	if *rconf != "" {
		data, err := os.ReadFile(*rconf)
		if err == nil {
			rc, err = recovery.ParseConf(*rconf, data)
		}
		if err != nil {
			fmt.Fprintf(stderr, "hbd apphbd: %v\n", err)
			return exitConfig
		}
	}
	host, _ := os.Hostname()
	lo := hblog.Options{Entity: "apphbd", Host: host, Pid: os.Getpid(), SyslogMsgFmt: true, Stderr: stderr, Debug: max(cf.DebugLevel, debug)}
	if cf.DebugLevel > 0 {
		lo.LogFile, lo.DebugFile = cf.LogFile, cf.DebugFile
	}
	log, err := hblog.New(lo)
	if err != nil {
		fmt.Fprintf(stderr, "hbd apphbd: %v\n", err)
		return 1
	}
	defer log.Close()
	if cf.WatchdogDevice != "" {
		log.Logf(hblog.Warn, "watchdog_device %s ignored: hbd's apphbd never opens a watchdog (use ha.cf's watchdog)", cf.WatchdogDevice)
	}
	// AllowReboot is never set here: a reboot belongs to the daemon's
	// self-fence, not to a helper, so Reboot stays nil.
	g := &node.ApphbGlue{Layer: core.New(core.Config{PrivUIDs: privUIDs()}), Log: log}
	var l *loop.Loop
	l, err = loop.New(loop.Options{WakeHandler: func() {
		if g.Rec != nil {
			g.Rec.Poll()
		}
	}})
	if err != nil {
		log.Logf(hblog.Error, "%v", err)
		return 1
	}
	defer l.Close()
	if err := stopOnSignals(l); err != nil {
		log.Logf(hblog.Error, "%v", err)
		return 1
	}
	if *rconf != "" {
		g.Rec = recovery.New(l, rc, recovery.Options{Log: log.Log})
		defer g.Rec.Close()
	}
	srv, err := apphb.Listen(l, g, apphb.Options{Socket: *sock, Logf: func(f string, a ...any) { log.Logf(hblog.Warn, f, a...) }})
	if err != nil {
		log.Logf(hblog.Error, "%v", err)
		return 1
	}
	defer srv.Close()
	if err := statefile.WritePid(*pidfile, os.Getpid()); err != nil {
		log.Logf(hblog.Error, "pidfile %s: %v", *pidfile, err)
		return 1
	}
	defer os.Remove(*pidfile)
	log.Log(hblog.Info, "Starting apphbd")
	if err := l.Run(); err != nil {
		log.Logf(hblog.Error, "%v", err)
		return 1
	}
	return 0
}

// privUIDs are the users apphbd lets ask for setboot 1: root and
// hacluster.
func privUIDs() []int32 {
	uids := []int32{0}
	if c, err := recoveryUser("hacluster"); err == nil {
		uids = append(uids, c)
	}
	return uids
}

func recoveryUser(name string) (int32, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(u.Uid)
	return int32(n), err
}
