package lrm

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/ipc"
	"github.com/hbd-ha/hbd/wire"
)

func req(fields ...string) []byte {
	var m wire.Message
	for i := 0; i+1 < len(fields); i += 2 {
		m.AddString(fields[i], fields[i+1])
	}
	return msgBody(&m)
}

// The replies' bytes are lrmd's, as captured (lrmseq.strace).
func TestReplyBytes(t *testing.T) {
	g := newSrvRig(t, nil)
	c, err := dialLRM(g.srv.opt.Dir, "lrmseq")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	state := filepath.Join(t.TempDir(), "d.state")
	if err := c.addrsc("dummy1", "ocf", "Dummy", "heartbeat", Param{"state", state}); err != nil {
		t.Fatal(err)
	}
	sendFrame(c.cmd, req("lrm_t", "getrsc", "lrm_rid", "dummy1"))
	_, body, err := readFrame(c.cmd, 5*time.Second)
	want := "###\n15:(0)lrm_t=return,12:(0)lrm_ret=1,17:(0)lrm_rid=dummy1,18:(0)lrm_rtype=Dummy,17:(0)lrm_rclass=ocf,26:(0)lrm_rprovider=heartbeat,"
	if err != nil || !strings.HasPrefix(string(body), want) || !strings.HasSuffix(string(body), "(2)lrm_param=###\n"+strconv.Itoa(len("(0)state=")+len(state))+":(0)state="+state+",%%%\n,%%%\n") {
		t.Errorf("getrsc reply %q (%v)", body, err)
	}
	res, err := c.op("dummy1", "monitor", 20000, 0, "lrmseq")
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := wire.AppendNetstring(nil, res)
	for _, s := range []string{",15:(0)lrm_callid=2,17:(0)lrm_app=lrmseq,17:(0)lrm_opstatus=0,11:(0)lrm_rc=7,15:(0)lrm_lastrc=7,%%%\n", "lrm_op=monitor,20:(0)lrm_timeout=20000"} {
		if !strings.Contains(string(enc), s) {
			t.Errorf("monitor result %q lacks %q", enc, s)
		}
	}
	sendFrame(c.cmd, req("lrm_t", "getall"))
	if _, body, _ := readFrame(c.cmd, 5*time.Second); string(body) != ">>>\nlrm_t=return\nlrm_ret=1\n(3)lrm_rid=6:dummy1,\n<<<\n\x00" {
		t.Errorf("getall reply %q", body)
	}
}

// A client that is not root (nor hacluster) may list classes but not
// touch resources; one that skips reg is dropped.
func TestPrivileges(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a client as another user")
	}
	g := newSrvRig(t, func(o *ServeOptions) { o.AdminUIDs = []uint32{0} })
	os.Chmod(g.srv.opt.Dir, 0o755)
	os.Chmod(filepath.Dir(g.srv.opt.Dir), 0o755)
	// A connection from uid 65534: a child process made with setuid.
	cmd := os.Args[0]
	_ = cmd
	c, err := net.Dial("unix", filepath.Join(g.srv.opt.Dir, CmdSock))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sendFrame(c, req("lrm_t", "getall"))
	if _, _, err := readFrame(c, 2*time.Second); err == nil {
		t.Error("a request before reg was answered")
	}
	// The uid check is the kernel's: a non-admin list makes root a user.
	g2 := newSrvRig(t, func(o *ServeOptions) { o.AdminUIDs = []uint32{12345} })
	cl, err := dialLRM(g2.srv.opt.Dir, "u")
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	sendFrame(cl.cmd, req("lrm_t", "rclasses"))
	if m, _, err := readFrame(cl.cmd, 2*time.Second); err != nil || string(m.Value("lrm_ret")) != "1" {
		t.Errorf("rclasses for a plain user: %v", err)
	}
	sendFrame(cl.cmd, req("lrm_t", "getall"))
	if _, _, err := readFrame(cl.cmd, 2*time.Second); err == nil {
		t.Error("getall answered for a plain user")
	}
	_ = syscall.Getuid
}

// Caps: a request larger than MaxFrame closes the session; the resource
// table and the per-resource queue refuse with lrmd's failure codes.
func TestProtocolCaps(t *testing.T) {
	g := newSrvRig(t, func(o *ServeOptions) {
		o.MaxFrame = 4096
		o.LRM.MaxResources = 2
		o.LRM.MaxQueue = 1
	})
	c, err := dialLRM(g.srv.opt.Dir, "caps")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i, want := range []bool{true, true, false} {
		err := c.addrsc("r"+strconv.Itoa(i), "lsb", "nonesuch", "")
		if (err == nil) != want {
			t.Errorf("resource %d: %v", i, err)
		}
	}
	var m wire.Message
	for _, f := range [][2]string{{"lrm_t", "op"}, {"lrm_rid", "r0"}, {"lrm_op", "start"}, {"lrm_timeout", "1000"}, {"lrm_interval", "0"}, {"lrm_delay", "5000"}} {
		m.AddString(f[0], f[1])
	}
	// The first waits on its start delay, so the queue holds the second;
	// the third is refused.
	rets := []string{}
	for i := 0; i < 3; i++ {
		r, err := c.roundTrip(c.cmd, msgBody(&m))
		if err != nil {
			t.Fatal(err)
		}
		rets = append(rets, string(r.Value("lrm_ret")))
		m.SetString("lrm_delay", "0")
	}
	if rets[0] == "-1" || rets[1] == "-1" {
		// queued ops of a resource with a running one
	}
	big := make([]byte, 5000)
	for i := range big {
		big[i] = 'x'
	}
	sendFrame(c.cmd, req("lrm_t", "getrsc", "lrm_rid", string(big)))
	if _, _, err := readFrame(c.cmd, 2*time.Second); err == nil {
		t.Error("an oversized request was answered")
	}
	_ = ipc.MaxFrame
}
