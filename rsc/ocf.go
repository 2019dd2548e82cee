package rsc

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/prio"
)

// ocf runs an OCF::<type>::<instance> resource's agent directly, in place
// of resource.d/OCF (see the package doc for why): the agent's verbs are
// start, stop and monitor, its parameters come from
// <confdir>/conf/OCF/<type>/<instance>.
type ocf struct {
	m         *Manager
	typ, inst string
	path      string   // the agent
	env       []string // heartbeat's, the instance parameters, the OCF variables
}

// OCF return codes that the ownership test distinguishes.
const (
	ocfSuccess    = 0
	ocfNotRunning = 7
)

// ocfCodes are the OCF return codes' names, for log lines.
var ocfCodes = [...]string{"OCF_SUCCESS", "OCF_ERR_GENERIC", "OCF_ERR_ARGS", "OCF_ERR_UNIMPLEMENTED",
	"OCF_ERR_PERM", "OCF_ERR_INSTALLED", "OCF_ERR_CONFIGURED", "OCF_NOT_RUNNING",
	"OCF_RUNNING_MASTER", "OCF_FAILED_MASTER"}

func ocfCode(rc int) string {
	if rc >= 0 && rc < len(ocfCodes) {
		return ocfCodes[rc]
	}
	return "unknown"
}

// newOCF checks what resource.d/OCF checks before it runs anything:
// exactly a type and an instance, the agent and the instance file.
func (m *Manager) newOCF(r *config.Resource) (agent, error) {
	if len(r.Args) != 2 {
		return nil, fmt.Errorf("%s needs exactly a type and an instance: OCF::<type>::<instance>", r.Token)
	}
	o := &ocf{m: m, typ: r.Args[0], inst: r.Args[1]}
	var err error
	if o.path, err = ocfAgentPath(m.opt.OCFRoot, o.typ); err != nil {
		return nil, err
	}
	file := filepath.Join(m.opt.ConfDir, "conf", "OCF", o.typ, o.inst)
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("OCF instance parameters: %w", err)
	}
	params, err := parseOCFParams(file, data)
	if err != nil {
		return nil, err
	}
	// The parameters may not override the OCF variables.
	o.env = make([]string, 0, len(m.env)+len(params)+5)
	o.env = append(o.env, m.env...)
	o.env = append(o.env, params...)
	o.env = append(o.env,
		"OCF_ROOT="+m.opt.OCFRoot,
		"OCF_RA_VERSION_MAJOR=1",
		"OCF_RA_VERSION_MINOR=0",
		"OCF_RESOURCE_INSTANCE="+o.inst,
		"OCF_TYPE="+o.typ,
	)
	return o, nil
}

// String is "<agent> <instance>": the instance stands where
// ResourceManager's "Running" line shows a script's arguments.
func (o *ocf) String() string { return o.path + " " + o.inst }

// ocfAgentPath is <root>/resource.d/<provider>/<type>, the heartbeat
// provider first, then the others in name order (what the wrapper's
// "ls $OCF_AGENTS/*/<type> | head -n 1" meant to find).
func ocfAgentPath(root, typ string) (string, error) {
	base := filepath.Join(root, "resource.d")
	providers := []string{"heartbeat"}
	if ents, err := os.ReadDir(base); err == nil {
		for _, e := range ents {
			if e.Name() != "heartbeat" {
				providers = append(providers, e.Name())
			}
		}
	}
	for _, p := range providers {
		if path := filepath.Join(base, p, typ); isExecutable(path) {
			return path, nil
		}
	}
	return "", fmt.Errorf("no OCF resource agent %s in %s/*/", typ, base)
}

func (o *ocf) Start(ctx context.Context) error { return o.act(ctx, "start") }
func (o *ocf) Stop(ctx context.Context) error  { return o.act(ctx, "stop") }

func (o *ocf) act(ctx context.Context, verb string) error {
	rc, err := o.run(ctx, verb)
	switch {
	case err != nil:
		return err
	case rc != ocfSuccess:
		return &exitError{rc: rc, path: o.path}
	}
	return nil
}

func (o *ocf) run(ctx context.Context, verb string) (int, error) {
	rc, _, err := o.m.run(ctx, &action{path: o.path, argv: []string{verb}, env: o.env, what: o.String() + " " + verb})
	return rc, err
}

// Running is monitor: 0 running, 7 cleanly stopped; anything else is an
// error the agent reports, logged, and not ownership.
func (o *ocf) Running(ctx context.Context) (bool, error) {
	rc, err := o.run(ctx, "monitor")
	switch {
	case err != nil:
		return false, err
	case rc == ocfSuccess:
		return true, nil
	case rc == ocfNotRunning:
		return false, nil
	}
	o.m.logf(prio.Error, "%s monitor returned %d (%s): taken as not running", o, rc, ocfCode(rc))
	return false, nil
}
