package masterconf

import (
	"flag"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/master/own"
)

// go test ./master/... -rewrite reaches every package of the tree.
var _ = flag.Bool("rewrite", false, "unused here")

// LoadVector loads the ha.cf and authkeys a captured heartbeat node ran
// with, as that node.
func loadVector(t *testing.T, dir, node string) *config.Config {
	t.Helper()
	env := config.Env{
		ReadFile: func(path string) ([]byte, fs.FileMode, error) {
			name := filepath.Base(path)
			if name == "ha.cf" {
				name = node + ".ha.cf"
			}
			b, err := os.ReadFile(filepath.Join(dir, name))
			return b, 0o600, err
		},
		NodeName:  func() (string, error) { return node, nil },
		Interface: func(string) (config.Interface, bool) { return config.Interface{Index: 2, HasIPv4: true}, true },
	}
	c, _, err := config.Load(dir, env)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFromConfig(t *testing.T) {
	c := loadVector(t, "../../testdata/vectors/bcast-sha1", "node1")
	mc, err := FromConfig(c, [16]byte{1}, 42, rand.NewPCG(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	if mc.Local != "node1" || len(mc.Nodes) != 2 || mc.Nodes[1].Name != "node2" || mc.Nodes[1].Type != master.Normal {
		t.Errorf("nodes: local %q, %+v", mc.Local, mc.Nodes)
	}
	if len(mc.Media) != 1 || mc.Media[0] != (master.MediumConfig{Name: "eth0"}) {
		t.Errorf("media: %+v", mc.Media)
	}
	if mc.Keepalive != 100*time.Millisecond || mc.Deadtime != 500*time.Millisecond || mc.Warntime != 250*time.Millisecond {
		t.Errorf("times: keepalive %v deadtime %v warntime %v", mc.Keepalive, mc.Deadtime, mc.Warntime)
	}
	if mc.Initdead != 12*time.Second || mc.HopFudge != 1 || !mc.InnerAuth || mc.Keys.Signer() != 3 {
		t.Errorf("initdead %v hopfudge %d innerauth %v signer %d", mc.Initdead, mc.HopFudge, mc.InnerAuth, mc.Keys.Signer())
	}
	if _, err := master.New(mc); err != nil {
		t.Errorf("master.New: %v", err)
	}
	c.AutoJoin = "any"
	if _, err := FromConfig(c, [16]byte{1}, 42, rand.NewPCG(1, 2)); err == nil {
		t.Error("autojoin any accepted")
	}
}

// The failback modes are converted by value.
func TestFailbackModes(t *testing.T) {
	for _, c := range []struct {
		cfg  config.AutoFailback
		want own.FailbackMode
	}{{config.FailbackLegacy, own.FailbackLegacy}, {config.FailbackOn, own.FailbackOn}, {config.FailbackOff, own.FailbackOff}} {
		if own.FailbackMode(c.cfg) != c.want {
			t.Errorf("%v: %d, want %d", c.cfg, own.FailbackMode(c.cfg), c.want)
		}
	}
}
