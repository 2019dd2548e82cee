package rsc

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// The environment a script sees: the caller's, plus what
// ResourceManager's shell would have exported.
func TestScriptEnvironment(t *testing.T) {
	f := newFixture(t)
	f.write(filepath.Join(f.rdir, "EnvDump"), "#!/bin/sh\nenv >\"$TEST_DIR/env\"\n")
	f.opt.Env = append(f.opt.Env, "LANGUAGE=fr", "LC_ALL=fr_FR.UTF-8", "HA_DATEFMT=%Y/%m/%d_%T\t", "HA_CURHOST=node1")
	m := f.start("node1 EnvDump\n")
	if _, err := m.Status(context.Background(), "EnvDump"); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, kv := range strings.Split(string(readFile(t, filepath.Join(f.dir, "env"))), "\n") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	for k, v := range map[string]string{
		"HA_CURHOST":     "node1",         // the caller's
		"HA_DATEFMT":     "%Y/%m/%d_%T\t", // the caller's wins over the default
		"HA_DIR":         f.dir,           // ResourceManager's from here
		"HA_RESOURCEDIR": f.rdir,
		"HA_FUNCS":       f.dir + "/shellfuncs",
		"OCF_ROOT":       "/usr/lib/ocf",
		"OCF_AGENTS":     "/usr/lib/ocf/resource.d/heartbeat/",
		"LC_ALL":         "C", // forced
		"PATH":           "/usr/sbin:/usr/share/heartbeat:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	} {
		if env[k] != v {
			t.Errorf("%s=%q, want %q", k, env[k], v)
		}
	}
	if _, ok := env["LANGUAGE"]; ok {
		t.Error("LANGUAGE is set; ResourceManager unsets it")
	}
}

func TestStopRetryMax(t *testing.T) {
	for _, c := range []struct {
		env  []string
		want int
	}{
		{nil, 10},
		{[]string{"HA_STOPRETRYMAX=3"}, 3},
		{[]string{"HA_STOPRETRYMAX=3", "HA_STOPRETRYMAX=4"}, 4},
		{[]string{"HA_STOPRETRYMAX=0"}, -1},
		{[]string{"HA_STOPRETRYMAX=-2"}, -1},
		{[]string{"HA_STOPRETRYMAX=x"}, 10},
		{[]string{"HA_STOPRETRYMAXX=3"}, 10},
	} {
		if got := (Options{Env: c.env}).withDefaults().StopRetries; got != c.want {
			t.Errorf("%q: %d, want %d", c.env, got, c.want)
		}
	}
	if got := (Options{Env: []string{"HA_STOPRETRYMAX=3"}, StopRetries: 2}).withDefaults().StopRetries; got != 2 {
		t.Errorf("Options.StopRetries overridden by the environment: %d", got)
	}
}
