package rsc

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hbd-ha/hbd/config"
)

// agent starts, stops and checks one resource. The script runner, the
// native OCF runner and the built-in IP agent (rsc/ipaddr) all satisfy
// it. Start and Stop fail when the resource did not reach the state;
// Running is the ownership test.
type agent interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	Running(ctx context.Context) (bool, error)
	String() string
}

// resolve finds the agent for r, as ResourceManager's scriptpath does.
// It runs once, when the Manager is made: heartbeat looks again at each
// action, so a script added later takes effect only after a restart.
func (m *Manager) resolve(r *config.Resource) (agent, error) {
	switch {
	case r.Script == "OCF":
		return m.newOCF(r)
	case (r.Script == "IPaddr" || r.Script == "IPaddr2") && m.opt.IPAgent == IPAgentBuiltin:
		return m.newBuiltinIP(r)
	}
	path, err := m.scriptPath(r.Script)
	if err != nil {
		return nil, err
	}
	return &script{m: m, res: r, path: path, name: r.Script}, nil
}

// errNoScript is ResourceManager's message for a script it cannot find.
type errNoScript string

func (e errNoScript) Error() string { return "Cannot locate resource script " + string(e) }

// scriptPath is ResourceManager's scriptpath: a regular executable file
// in the resource directory, then in the init directory.
func (m *Manager) scriptPath(name string) (string, error) {
	for _, dir := range [...]string{m.opt.ResourceDir, m.opt.InitDir} {
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p, nil
		}
	}
	return "", errNoScript(name)
}

// where names a haresources line in errors: "<confdir>/haresources:<n>".
func (m *Manager) where(g *config.Group) string {
	return fmt.Sprintf("%s:%d", filepath.Join(m.opt.ConfDir, "haresources"), g.Line)
}

// isExecutable is the shell's [ -f p -a -x p ]: a regular file after
// symlinks, and executable; for root, whom hbd runs as, any execute bit
// will do.
func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}
