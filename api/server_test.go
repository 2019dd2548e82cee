package api_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/api"
	"github.com/hbd-ha/hbd/api/apitest"
	"github.com/hbd-ha/hbd/ipc"
	"github.com/hbd-ha/hbd/wire"
)

// rawConn is a client that writes whatever frames a test wants.
type rawConn struct {
	t testing.TB
	net.Conn
	c *api.Client // reads replies through the real framing
}

func dialRaw(t testing.TB, s *apitest.Server) *rawConn {
	t.Helper()
	c, err := net.Dial("unix", s.Path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return &rawConn{t: t, Conn: c}
}

func msg(kv ...string) *wire.Message {
	m := new(wire.Message)
	for i := 0; i+1 < len(kv); i += 2 {
		m.AddString(kv[i], kv[i+1])
	}
	return m
}

func (r *rawConn) send(m *wire.Message) {
	r.t.Helper()
	f, err := api.AppendFrame(nil, m, false)
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.Write(f); err != nil {
		r.t.Fatal(err)
	}
}

// reply reads one frame and decodes it.
func (r *rawConn) reply() *wire.Message {
	r.t.Helper()
	var buf []byte
	tmp := make([]byte, 4096)
	for {
		body, n, err := ipc.SplitFrame(buf, ipc.MaxFrame)
		if err != nil {
			r.t.Fatal(err)
		}
		if n > 0 {
			m := new(wire.Message)
			if _, err := m.Decode(body); err != nil {
				r.t.Fatal(err)
			}
			return m
		}
		k, err := r.Read(tmp)
		if err != nil {
			r.t.Fatalf("reading reply: %v", err)
		}
		buf = append(buf, tmp[:k]...)
	}
}

// closed reports whether the server closed the connection.
func (r *rawConn) closed() bool {
	r.SetReadDeadline(time.Now().Add(2 * time.Second))
	var b [64]byte
	for {
		_, err := r.Read(b[:])
		if err != nil {
			var ne net.Error
			return !(errors.As(err, &ne) && ne.Timeout())
		}
	}
}

func signOnMsg(kv ...string) *wire.Message {
	base := []string{"t", "hbapi-req", "reqtype", "signon", "dest", "node1", "pid", strconv.Itoa(os.Getpid()),
		"from_id", strconv.Itoa(os.Getpid()), "uid", strconv.Itoa(os.Geteuid()), "gid", strconv.Itoa(os.Getegid())}
	for i := 0; i+1 < len(kv); i += 2 {
		replaced := false
		for j := 0; j+1 < len(base); j += 2 {
			if base[j] == kv[i] {
				base[j+1], replaced = kv[i+1], true
			}
		}
		if !replaced {
			base = append(base, kv[i], kv[i+1])
		}
	}
	m := new(wire.Message)
	for i := 0; i+1 < len(base); i += 2 {
		if base[i+1] != "<absent>" {
			m.AddString(base[i], base[i+1])
		}
	}
	return m
}

// stillServes checks that a fresh client gets answers.
func stillServes(t *testing.T, s *apitest.Server) {
	t.Helper()
	c := s.SignOn(t, "")
	defer c.Close() // a process has one casual client at a time
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if st, err := c.NodeStatus("node1"); err != nil || st != "active" {
		t.Fatalf("after bad input, nodestatus = %q, %v", st, err)
	}
}

func TestSignOnReply(t *testing.T) {
	apitest.RequireRoot(t) // the default anon rule admits root or haclient
	b := apitest.NewBackend()
	s := apitest.Start(t, b, api.Options{})
	r := dialRaw(t, s)
	r.send(signOnMsg())
	got := r.reply()
	want := "t=hbapi-resp\nreqtype=signon\nresult=OK\ndeadtime=7530\nkeepalive=7d0\nnode=node1\nhbversion=" + b.Ver + "\npacemaker=false\nlogfacility=24\n"
	if text := classicBody(t, got); text != want {
		t.Errorf("signon reply:\n%s\nwant:\n%s", text, want)
	}
}

func classicBody(t *testing.T, m *wire.Message) string {
	b, err := wire.AppendClassic(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(strings.TrimPrefix(string(b), ">>>\n"), "<<<\n")
}

// Refused sign-ons get heartbeat's reason and lose their connection;
// the server goes on serving everyone else.
func TestSignOnRefusals(t *testing.T) {
	apitest.RequireRoot(t)
	b := apitest.NewBackend()
	s := apitest.Start(t, b, api.Options{})
	s.SignOn(t, "testclient") // its id is taken for "duplicate id"
	for _, c := range []struct {
		name   string
		m      *wire.Message
		reason string
	}{
		{"pid of nobody", signOnMsg("pid", "8388608", "from_id", "8388608"), "bad pid"},
		{"no pid", signOnMsg("pid", "<absent>"), "bad pid"},
		{"other pid", signOnMsg("pid", "1", "from_id", "1"), "pid mismatch"},
		{"wrong uid", signOnMsg("uid", "4242"), "incorrect/false credentials"},
		{"wrong gid", signOnMsg("gid", "4242"), "incorrect/false credentials"},
		{"no uid", signOnMsg("uid", "<absent>"), "invalid id info"},
		{"uid not a number", signOnMsg("uid", "root"), "invalid id info"},
		{"duplicate id", signOnMsg("from_id", "testclient"), "duplicate add request"},
		{"no apiauth entry", signOnMsg("from_id", "stranger"), "no default client auth"},
		{"not allowed", signOnMsg("from_id", "ipfail"), "client failed authorization"},
	} {
		r := dialRaw(t, s)
		r.send(c.m)
		got := r.reply()
		if res, info := string(got.Value("result")), string(got.Value("info")); res != "badreq" || info != c.reason {
			t.Errorf("%s: result=%s info=%q, want badreq %q", c.name, res, info, c.reason)
		}
		if got.Value("deadtime") == nil || string(got.Value("node")) != "node1" {
			t.Errorf("%s: a refusal still carries deadtime and node: %s", c.name, classicBody(t, got))
		}
		if !r.closed() {
			t.Errorf("%s: connection left open", c.name)
		}
	}
	stillServes(t, s)
	// The named client joined the cluster with heartbeat's notice.
	if sent := b.Sent(); len(sent) == 0 || !strings.Contains(sent[0], "t=hbapi-clstat\nst=join\nfrom_id=testclient\nto_id=testclient\nsrc=node1\ninfo=signon\n") {
		t.Errorf("join notice: %q", sent)
	}
}

func TestBadRequests(t *testing.T) {
	apitest.RequireRoot(t)
	s := apitest.Start(t, apitest.NewBackend(), api.Options{})
	r := dialRaw(t, s)
	r.send(signOnMsg())
	if res := string(r.reply().Value("result")); res != "OK" {
		t.Fatalf("sign-on: %s", res)
	}
	pid := strconv.Itoa(os.Getpid())
	req := func(kv ...string) *wire.Message {
		return msg(append([]string{"t", "hbapi-req", "reqtype", kv[0], "pid", pid, "from_id", pid}, kv[1:]...)...)
	}
	for _, c := range []struct {
		m    *wire.Message
		want string // the reply's fields after t and reqtype
	}{
		{req("frobnicate"), "result=badreq\n"},
		{req("nodestatus", "node", "nosuch"), "result=badreq\ninfo=EINVAL\n"},
		{req("nodestatus"), "result=badreq\ninfo=EINVAL\n"},
		{req("ifstatus", "node", "node1", "ifname", "nosuch"), "result=badreq\ninfo=EINVAL\n"},
		{req("setfilter", "fmask", "0"), "result=badreq\ninfo=EINVAL\n"},
		{req("setfilter", "fmask", "zz"), "result=badreq\ninfo=EINVAL\n"},
		{req("setsignal", "signal", "9"), "result=badreq\ninfo=EINVAL\n"},
		{req("setsignal"), "result=badreq\n"},
		{req("getparm"), "result=badreq\ninfo=EINVAL\n"},
		{req("getuuid"), "result=badreq\ninfo=no query node name found\n"},
		{req("iflist", "node", "nosuch"), "result=badreq\ninfo=EINVAL\n"},
		{req("nodeweight", "node", "node2"), "weight=50\nresult=OK\n"},
		{req("numnodes"), "numnodes=3\nresult=OK\n"},
		{req("getparm", "pname", "crm"), "pvalue=false\nresult=OK\n"},
		{req("getparm", "pname", "nosuch"), "result=OK\n"},
		{req("getuuid", "queryname", "node1"), "(1)queryuuid=PUMPSbkVTmy4+lqw4c8aLQ==\nresult=OK\n"},
		{req("clientstatus", "node", "node1", "cn", "nobody"), "subt=respond-cstatus\ncs=offline\nresult=OK\n"},
		{req("setsignal", "signal", "0"), "result=OK\n"},
	} {
		r.send(c.m)
		got := classicBody(t, r.reply())
		rt := string(c.m.Value("reqtype"))
		if want := "t=hbapi-resp\nreqtype=" + rt + "\n" + c.want; got != want {
			t.Errorf("%s: reply\n%s\nwant\n%s", rt, got, want)
		}
	}
	// A request naming another client is impersonation: no reply.
	r.send(msg("t", "hbapi-req", "reqtype", "numnodes", "pid", "1", "from_id", "1"))
	r.send(req("numnodes"))
	if got := string(r.reply().Value("numnodes")); got != "3" {
		t.Errorf("after an impersonation attempt the next reply is %q", got)
	}
	// A casual client may not send cluster messages: it is dropped.
	r.send(msg("t", "mymessage", "x", "1"))
	if !r.closed() {
		t.Error("casual client sending a cluster message kept its connection")
	}
	stillServes(t, s)
}

// A named client's own messages go to the cluster marked with its id.
func TestNamedClientSends(t *testing.T) {
	apitest.RequireRoot(t)
	b := apitest.NewBackend()
	s := apitest.Start(t, b, api.Options{})
	c := s.SignOn(t, "testclient")
	if err := c.Send(msg("t", "hello", "payload", "42")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.NumNodes(); err != nil { // a round trip: the message was handled
		t.Fatal(err)
	}
	sent := b.Sent()
	if len(sent) != 2 || sent[1] != ">>>\nt=hello\npayload=42\nfrom_id=testclient\nto_id=testclient\nclient_gen=0\n<<<\n" {
		t.Errorf("sent %q", sent)
	}
	c.SignOff()
	c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for len(b.Sent()) < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if sent := b.Sent(); len(sent) < 3 || !strings.Contains(sent[2], "st=leave\nfrom_id=testclient") {
		t.Errorf("no leave notice: %q", sent)
	}
}

func TestBrokenFraming(t *testing.T) {
	apitest.RequireRoot(t)
	s := apitest.Start(t, apitest.NewBackend(), api.Options{})
	body := []byte(">>>\nt=hbapi-req\n<<<\n\x00")
	for _, c := range []struct {
		name  string
		bytes []byte
	}{
		{"bad magic", ipc.AppendRawFrame(nil, int32(len(body)), 0xdead, body)},
		{"negative length", ipc.AppendRawFrame(nil, -1, ipc.Magic, body)},
		{"oversized", ipc.AppendRawFrame(nil, ipc.MaxFrame+1, ipc.Magic, body)},
		{"not a message", ipc.AppendRawFrame(nil, 5, ipc.Magic, []byte("hello"))},
		{"random bytes", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")},
	} {
		r := dialRaw(t, s)
		r.Write(c.bytes)
		if !r.closed() {
			t.Errorf("%s: connection left open", c.name)
		}
	}
	// A short frame just waits for the rest; closing it is a plain EOF.
	r := dialRaw(t, s)
	r.Write(ipc.AppendRawFrame(nil, 100, ipc.Magic, []byte(">>>\n"))[:10])
	stillServes(t, s)
	r.Close()
	// A frame of exactly MaxMessage bytes is read (and is no message).
	big := make([]byte, ipc.MaxFrame)
	r = dialRaw(t, s)
	r.Write(ipc.AppendRawFrame(nil, ipc.MaxFrame, ipc.Magic, big))
	if !r.closed() {
		t.Error("a max-size frame that is not a message left the connection open")
	}
	stillServes(t, s)
	if logs := s.Logs.Text(); !strings.Contains(logs, "magic 0xdead") || !strings.Contains(logs, "outside [0, 262144]") {
		t.Errorf("framing errors not logged:\n%s", logs)
	}
}

// A client that never reads is dropped once its queue is full; the server
// does not wait for it.
func TestSlowClientDropped(t *testing.T) {
	apitest.RequireRoot(t)
	s := apitest.Start(t, apitest.NewBackend(), api.Options{IPC: ipc.Options{SendQLen: 4}})
	r := dialRaw(t, s)
	r.send(signOnMsg())
	r.reply()
	pid := strconv.Itoa(os.Getpid())
	var burst []byte
	nodelist := msg("t", "hbapi-req", "reqtype", "nodelist", "pid", pid, "from_id", pid)
	for range 2000 {
		burst, _ = api.AppendFrame(burst, nodelist, false)
	}
	go r.Write(burst) // never reads a reply
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.Logs.Text(), "send queue full") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(s.Logs.Text(), "send queue full") {
		t.Fatal("slow client never dropped")
	}
	stillServes(t, s)
}

// A connection that never signs on is closed after the IPC layer's
// unsigned time; heartbeat's sign-on counts as signing on there, so a
// client that signed on stays.
func TestUnsignedClientClosed(t *testing.T) {
	apitest.RequireRoot(t)
	s := apitest.Start(t, apitest.NewBackend(), api.Options{IPC: ipc.Options{UnsignedTimeout: 200 * time.Millisecond}})
	idle := dialRaw(t, s)
	c := s.SignOn(t, "")
	if !idle.closed() {
		t.Fatal("a connection that never signed on is still open")
	}
	time.Sleep(300 * time.Millisecond)
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if st, err := c.NodeStatus("node1"); err != nil || st != "active" {
		t.Fatalf("signed-on client after the unsigned time: %q, %v", st, err)
	}
	if logs := s.Logs.Text(); !strings.Contains(logs, "api: client pid ") || !strings.Contains(logs, "did not sign on within 200ms: closing") {
		t.Errorf("log:\n%s", logs)
	}
}

// set_sendqlen is logged at info as heartbeat does (ccm sends it at every
// start); it went to the error log.
func TestSendQLenLoggedAtInfo(t *testing.T) {
	apitest.RequireRoot(t)
	var mu sync.Mutex
	var infos []string
	s := apitest.Start(t, apitest.NewBackend(), api.Options{Infof: func(f string, args ...any) {
		mu.Lock()
		infos = append(infos, fmt.Sprintf(f, args...))
		mu.Unlock()
	}})
	c := s.SignOn(t, "testclient")
	defer c.Close()
	if err := c.SetSendQLen(1024); err != nil {
		t.Fatal(err)
	}
	if _, err := c.NumNodes(); err != nil { // a round trip: the request was handled
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := "the send queue length from heartbeat to client testclient is set to 1024"
	if len(infos) != 1 || infos[0] != want {
		t.Errorf("info lines %q, want %q", infos, want)
	}
	if strings.Contains(s.Logs.Text(), "send queue length") {
		t.Errorf("also logged as an error: %s", s.Logs.Text())
	}
}

// A client the daemon runs in-process (hbd's built-in CCM) is online for
// clientstatus, as a signed-on one; others stay offline.
func TestInProcessClientOnline(t *testing.T) {
	apitest.RequireRoot(t)
	s := apitest.Start(t, apitest.NewBackend(), api.Options{InProcess: func(id string) bool { return id == "ccm" }})
	var ccm, other string
	s.Do(func() { ccm, other = s.ClientStatus("ccm"), s.ClientStatus("ipfail") })
	if ccm != api.StatusOnline || other != api.StatusOffline {
		t.Errorf("ccm %s, ipfail %s; want online, offline", ccm, other)
	}
}
