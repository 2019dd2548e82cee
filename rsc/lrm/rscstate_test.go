package lrm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hbctl's view through Client: resources from getall/getrsc, and with
// hbd_rscstate the LRM's whole history (operations asked for through
// the protocol and directly, as the haresources monitor asks) and the
// recurring monitor between runs.
func TestClientState(t *testing.T) {
	wd, _ := os.Getwd()
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "resource.d", "test"), 0o755)
	os.Symlink(filepath.Join(wd, "testdata", "naughty"), filepath.Join(root, "resource.d", "test", "naughty"))
	g := newSrvRig(t, func(o *ServeOptions) { o.LRM.ResourceDir = filepath.Join(wd, "testdata"); o.LRM.OCFRoot = root })
	lc, err := dialLRM(g.srv.opt.Dir, "crmd")
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	state := filepath.Join(t.TempDir(), "hb")
	if err := lc.addrsc("web", "heartbeat", "hbtest", "", Param{"1", state}); err != nil {
		t.Fatal(err)
	}
	if m, err := lc.op("web", "start", 20000, 0, "crmd"); err != nil || string(m.Value("lrm_rc")) != "0" {
		t.Fatalf("start: %v %v", m, err)
	}
	g.do(func() {
		g.srv.LRM().Add(Resource{ID: "garbage", Class: ClassOCF, Provider: "test", Type: "naughty", Params: []Param{{"mode", "garbage"}}})
		g.srv.LRM().Perform(Op{Rsc: "web", Name: "monitor", Interval: time.Hour, Timeout: 5 * time.Second})
	})
	// The first monitor run ends at once; then it waits an hour.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var h []*Result
		g.do(func() { h = g.srv.LRM().History("web") })
		if len(h) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("history %v", h)
		}
		time.Sleep(10 * time.Millisecond)
	}

	if m, err := lc.op("garbage", "monitor", 20000, 0, "crmd"); err != nil || string(m.Value("lrm_rc")) != "1" {
		t.Fatalf("garbage monitor: %v %v", m, err)
	}
	// hbctl registers with its own pid (here the test's, so the other
	// session ends first).
	lc.Close()
	c, err := Dial(g.srv.opt.Dir, "hbctl", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ids, err := c.Resources()
	if err != nil || strings.Join(ids, " ") != "web garbage" {
		t.Fatalf("resources %v, %v", ids, err)
	}
	r, err := c.Resource("web")
	if err != nil || r.Class != "heartbeat" || r.Type != "hbtest" || len(r.Params) != 1 || r.Params[0].Value != state {
		t.Fatalf("resource %+v, %v", r, err)
	}
	if _, err := c.Resource("nonesuch"); err != ErrNoResource {
		t.Errorf("unknown resource: %v", err)
	}
	busy, ops, err := c.State("web")
	if err != nil || busy || len(ops) != 3 {
		t.Fatalf("state: busy %v, ops %+v, %v", busy, ops, err)
	}
	st, mon, rec := ops[0], ops[1], ops[2]
	if st.Kind != KindLast || st.Op != "start" || st.RC != 0 || st.Status != StatusDone || st.CallID != 2 || st.Digest == "" || st.Run.IsZero() || st.ExecTime <= 0 {
		t.Errorf("start %+v", st)
	}
	if mon.Kind != KindLast || mon.Op != "monitor" || mon.Interval != time.Hour || mon.RC != 0 || mon.Data != "hbtest is running" {
		t.Errorf("monitor %+v", mon)
	}
	if rec.Kind != KindRecurring || rec.Op != "monitor" || rec.Interval != time.Hour || rec.CallID != mon.CallID {
		t.Errorf("recurring %+v", rec)
	}
	if _, _, err := c.State("nonesuch"); err != ErrNoResource {
		t.Errorf("state of an unknown resource: %v", err)
	}
	// An agent's garbage output reaches hbctl as printable text.
	_, ops, err = c.State("garbage")
	if err != nil || len(ops) != 1 {
		t.Fatalf("garbage: %+v %v", ops, err)
	}
	for _, b := range []byte(ops[0].Data) {
		if b < ' ' || b > '~' {
			t.Fatalf("data %q", ops[0].Data)
		}
	}
}
