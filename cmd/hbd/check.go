package main

import (
	"errors"
	"io/fs"

	"github.com/hbd-ha/hbd/config"
)

// Exit codes heartbeat uses when its configuration is refused (LSB).
const (
	exitNotConfigured = 6
	exitPermission    = 4
)

// checkConfig validates the configuration in confdir as heartbeat does at
// start and logs what heartbeat would log. It returns the exit code.
func checkConfig(l *stderrLog, confdir string, debug int) int {
	env := config.SystemEnv(confdir)
	env.Debug = debug
	_, diags, err := config.Load(confdir, env)
	for _, d := range diags {
		l.log(d.Level.String(), d.String())
	}
	if err == nil {
		return 0
	}
	var ds config.Diagnostics
	if !errors.As(err, &ds) {
		// Not about the files: the system could not be asked (uname).
		l.log(config.LevelError.String(), err.Error())
	}
	l.log(config.LevelError.String(), "Configuration error, heartbeat not started.")
	if errors.Is(err, fs.ErrPermission) {
		return exitPermission
	}
	return exitNotConfigured
}
