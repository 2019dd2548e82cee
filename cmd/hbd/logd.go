package main

import (
	"os"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/logd"
)

// logdSender is hblog's forwarder to a running logd when ha.cf says
// use_logd yes; nil otherwise.
func logdSender(cfg *config.Config, entity string) hblog.Forwarder {
	if !cfg.UseLogd {
		return nil
	}
	fac, ok := hblog.Facility(cfg.LogFacility)
	if !ok {
		fac = 3 << 3 // daemon, cl_log's default
	}
	return &logd.Sender{Entity: entity, PID: os.Getpid(), Facility: fac}
}
