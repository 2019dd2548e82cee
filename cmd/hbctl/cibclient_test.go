package main

import (
	"bytes"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hbd-ha/hbd/crm/cibipc"
	"github.com/hbd-ha/hbd/ipc"
)

// fakeCIB serves the CIB socket: answer decides each reply; the
// requests it got are kept.
type fakeCIB struct {
	mu     sync.Mutex
	reqs   []cibipc.Request
	answer func(n int, r cibipc.Request) cibipc.Reply
}

func (f *fakeCIB) got() []cibipc.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]cibipc.Request(nil), f.reqs...)
}

func serveFakeCIB(t *testing.T, f *fakeCIB) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, cibipc.SocketName)
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	t.Setenv("HBD_LRM_DIR", dir)
	t.Setenv("HBD_CIB_SOCKET", "")
	t.Setenv("CIB_file", "")
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var in []byte
				buf := make([]byte, 4096)
				for {
					body, n, err := ipc.SplitFrame(in, cibipc.MaxFrame)
					if err != nil {
						return
					}
					if n == 0 {
						m, err := c.Read(buf)
						if err != nil {
							return
						}
						in = append(in, buf[:m]...)
						continue
					}
					req, err := cibipc.DecodeRequest(body)
					in = in[n:]
					if err != nil {
						return
					}
					f.mu.Lock()
					f.reqs = append(f.reqs, req)
					k := len(f.reqs)
					f.mu.Unlock()
					r := f.answer(k, req)
					r.CallID = req.CallID
					b, start := ipc.BeginFrame(nil)
					b = cibipc.AppendReply(b, &r)
					b, _ = ipc.EndFrame(b, start, cibipc.MaxFrame)
					c.Write(b)
				}
			}()
		}
	}()
}

// Without CIB_file, cibadmin -M is one modify request to the node with
// the section, the data and --allow-create; a request that found no DC
// is sent again until the node has one.
func TestCibadminLiveModify(t *testing.T) {
	f := &fakeCIB{answer: func(n int, r cibipc.Request) cibipc.Reply {
		if n <= 2 {
			return cibipc.Reply{RC: cibipc.ErrNotConnected, Detail: "no DC"}
		}
		return cibipc.Reply{}
	}}
	serveFakeCIB(t, f)
	var out, errb bytes.Buffer
	rc := runCibadmin("cibadmin", []string{"-M", "-c", "-o", "crm_config", "-X", `<cluster_property_set id="o"/>`}, &out, &errb)
	if rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	reqs := f.got()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 2 refused for want of a DC and 1 applied", len(reqs))
	}
	r := reqs[2]
	if r.Op != cibipc.OpModify || r.Section != "crm_config" || !r.AllowCreate || !strings.Contains(string(r.Data), `id="o"`) {
		t.Errorf("request %+v (%s)", r, r.Data)
	}
}

// A refusal from the DC prints Pacemaker's text and exit code; a
// query prints the node's CIB as from a file; xpath deletes carry the
// xpath and --delete-all.
func TestCibadminLiveAnswers(t *testing.T) {
	const doc = `<cib epoch="3" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>`
	f := &fakeCIB{answer: func(n int, r cibipc.Request) cibipc.Reply {
		switch r.Op {
		case cibipc.OpQuery:
			return cibipc.Reply{Output: []byte(doc)}
		case cibipc.OpCreate:
			return cibipc.Reply{RC: -17}
		}
		return cibipc.Reply{}
	}}
	serveFakeCIB(t, f)
	var out, errb bytes.Buffer
	if rc := runCibadmin("cibadmin", []string{"-C", "-o", "resources", "-X", `<primitive id="x" class="ocf" provider="heartbeat" type="Dummy"/>`}, &out, &errb); rc != 108 || errb.String() != "Call failed: File exists\n" {
		t.Errorf("create refused: exit %d, %q", rc, errb.String())
	}
	out.Reset()
	if rc := runCibadmin("cibadmin", []string{"-Q", "-o", "configuration"}, &out, &errb); rc != 0 || !strings.HasPrefix(out.String(), "<configuration>") {
		t.Errorf("query: exit %d, %q", rc, out.String())
	}
	if rc := runCibadmin("cibadmin", []string{"-d", "--force", "-A", "//nvpair[@name='x']"}, &out, &errb); rc != 0 {
		t.Errorf("xpath delete: exit %d", rc)
	}
	reqs := f.got()
	last := reqs[len(reqs)-1]
	if last.Op != cibipc.OpXPathDelete || last.XPath != "//nvpair[@name='x']" || !last.All {
		t.Errorf("xpath delete sent %+v", last)
	}
}

// With no node running the CRM, the tools fail as Pacemaker's do
// without a cluster.
func TestCibadminLiveNoDaemon(t *testing.T) {
	t.Setenv("HBD_LRM_DIR", t.TempDir())
	t.Setenv("CIB_file", "")
	var out, errb bytes.Buffer
	if rc := runCibadmin("cibadmin", []string{"-Q"}, &out, &errb); rc != 102 || !strings.HasPrefix(errb.String(), "Could not connect to the CIB: Transport endpoint is not connected") {
		t.Errorf("exit %d, %q", rc, errb.String())
	}
}
