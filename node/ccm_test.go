package node

import (
	"testing"

	"github.com/hbd-ha/hbd/config"
)

// A respawn line running ccm is replaced by the built-in CCM unless
// hbd_ccm respawn asks for the binary; pacemaker ccm-only asks for ccm
// without a line, and with hbd_ccm respawn gets the binary's line.
func TestTakeCCM(t *testing.T) {
	ccmLine := config.Client{User: "hacluster", Command: "/usr/lib/heartbeat/ccm", Path: "/usr/lib/heartbeat/ccm"}
	other := config.Client{User: "root", Command: "/bin/true", Path: "/bin/true"}
	for _, c := range []struct {
		name     string
		cfg      config.Config
		clients  []config.Client
		want     bool // built-in
		wantLine int  // clients left
	}{
		{"respawn line", config.Config{}, []config.Client{other, ccmLine}, true, 1},
		{"no ccm", config.Config{}, []config.Client{other}, false, 1},
		{"hbd_ccm respawn", config.Config{CCM: "respawn"}, []config.Client{other, ccmLine}, false, 2},
		{"ccm-only", config.Config{CCMOnly: true}, []config.Client{other}, true, 1},
		{"ccm-only, hbd_ccm respawn", config.Config{CCMOnly: true, CCM: "respawn"}, []config.Client{other}, false, 2},
		{"ccm-only and a line, hbd_ccm respawn", config.Config{CCMOnly: true, CCM: "respawn"}, []config.Client{ccmLine}, false, 1},
	} {
		n := &Node{cfg: &c.cfg}
		got := n.takeCCM(c.clients)
		if n.ccm.want != c.want || len(got) != c.wantLine {
			t.Errorf("%s: built-in %v, %d clients %v; want %v, %d", c.name, n.ccm.want, len(got), got, c.want, c.wantLine)
		}
		for _, cl := range got {
			if n.ccm.want && isCCMLine(cl) {
				t.Errorf("%s: the built-in CCM runs and so does %s", c.name, cl.Command)
			}
		}
	}
}
