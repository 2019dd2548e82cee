// Package apitest runs an api.Server on its own event loop for tests,
// backed by a fixed cluster state (the daemon's state provider, not the
// thing under test), and runs heartbeat's real clients against it.
package apitest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/api"
	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/loop"
	"github.com/hbd-ha/hbd/wire"
)

// Backend is a fixed cluster state. Fields may be set before the server
// starts; afterwards only the loop reads them.
type Backend struct {
	Local     string
	NodeList  []api.NodeInfo
	Params    map[string]string
	Hold      string
	DT, KA    time.Duration
	Ver       string
	UUIDs     map[string]string
	Rules     []config.APIAuth
	RefuseAll string // when set, every sign-on is refused with this reason

	mu   sync.Mutex
	sent []string // messages the server sent to the cluster, classic text
}

// NewBackend returns a three-node cluster with a ping node: node1 (us,
// active), node2 (dead, weight 50, site east), node3 (active), and
// 198.18.0.254 (ping). Its apiauth rules are heartbeat's defaults plus
// "testclient uid=0" (root may sign on under that name).
func NewBackend() *Backend {
	return &Backend{
		Local: "node1",
		NodeList: []api.NodeInfo{
			{Name: "node1", Type: "normal", Status: "active", Weight: 100, Links: []api.LinkInfo{{Name: "eth0", Status: "up"}, {Name: "eth1", Status: "dead"}}},
			{Name: "node2", Type: "normal", Status: "dead", Weight: 50, Site: "east", Links: []api.LinkInfo{{Name: "eth0", Status: "dead"}, {Name: "eth1", Status: "dead"}}},
			{Name: "node3", Type: "normal", Status: "active", Weight: 100, Links: []api.LinkInfo{{Name: "eth0", Status: "up"}, {Name: "eth1", Status: "up"}}},
			{Name: "198.18.0.254", Type: "ping", Status: "ping", Weight: 100, Links: []api.LinkInfo{{Name: "198.18.0.254", Status: "up"}}},
		},
		Params: map[string]string{"keepalive": "2", "deadtime": "30", "logfacility": "daemon", "hbversion": "3.0.6", "auto_failback": "on"},
		Hold:   "local",
		DT:     30 * time.Second,
		KA:     2 * time.Second,
		Ver:    "3.0.6 (node: 958e11be8686759f1b99204c17812f2c2633b169)",
		UUIDs:  map[string]string{"node1": "3d430f49-b915-4e6c-b8fa-5ab0e1cf1a2d"},
		Rules: []config.APIAuth{
			{Client: "testclient", UIDs: []int{0}},
			{Client: "ipfail", UIDs: []int{uidOf("hacluster")}},
			{Client: "ping", GIDs: []int{gidOf("haclient")}},
			{Client: "anon", UIDs: []int{0}, GIDs: []int{gidOf("haclient")}},
		},
	}
}

func (b *Backend) LocalNode() string               { return b.Local }
func (b *Backend) Nodes() []api.NodeInfo           { return b.NodeList }
func (b *Backend) Holding() string                 { return b.Hold }
func (b *Backend) Deadtime() time.Duration         { return b.DT }
func (b *Backend) Keepalive() time.Duration        { return b.KA }
func (b *Backend) Version() string                 { return b.Ver }
func (b *Backend) UUID(node string) (string, bool) { u, ok := b.UUIDs[node]; return u, ok }
func (b *Backend) Param(name string) (string, bool) {
	v, ok := b.Params[name]
	return v, ok
}

func (b *Backend) Send(m *wire.Message) error {
	out, err := wire.AppendClassic(nil, m)
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.sent = append(b.sent, string(out))
	b.mu.Unlock()
	return nil
}

func (b *Backend) Authorize(client string, casual bool, uid, gid uint32) error {
	if b.RefuseAll != "" {
		return refusal(b.RefuseAll)
	}
	return api.Authorize(b.Rules, client, casual, uid, gid)
}

type refusal string

func (r refusal) Error() string { return string(r) }

// Sent returns the messages sent to the cluster so far, in classic text.
func (b *Backend) Sent() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.sent...)
}

// Server is an api.Server on a loop running in its own goroutine.
type Server struct {
	*api.Server
	L    *loop.Loop
	Dir  string // the socket's directory
	Path string
	Logs *Lines
	done chan error
	wake chan func()
}

// Lines collects log lines from the server.
type Lines struct {
	mu sync.Mutex
	l  []string
}

func (l *Lines) add(s string) { l.mu.Lock(); l.l = append(l.l, s); l.mu.Unlock() }

// Text returns every line so far.
func (l *Lines) Text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.l, "\n")
}

// Start runs a server for b on a socket named "register" in a new
// temporary directory, until the test ends.
func Start(t testing.TB, b api.Backend, opt api.Options) *Server {
	t.Helper()
	dir := t.TempDir()
	logs := &Lines{}
	opt.Logf = func(f string, args ...any) {
		logs.add(sprintf(f, args...))
	}
	s := &Server{Dir: dir, Path: filepath.Join(dir, "register"), Logs: logs, done: make(chan error, 1), wake: make(chan func(), 16)}
	l, err := loop.New(loop.Options{WakeHandler: s.runQueued})
	if err != nil {
		t.Fatal(err)
	}
	s.L = l
	if s.Server, err = api.Listen(l, s.Path, b, opt); err != nil {
		l.Close()
		t.Fatal(err)
	}
	go func() { s.done <- l.Run() }()
	t.Cleanup(func() {
		s.Do(func() { s.Server.Close() })
		l.Stop()
		if err := <-s.done; err != nil {
			t.Errorf("loop: %v", err)
		}
		l.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.Text())
		}
	})
	return s
}

func (s *Server) runQueued() {
	for {
		select {
		case f := <-s.wake:
			f()
		default:
			return
		}
	}
}

// Do runs f on the loop goroutine and waits for it.
func (s *Server) Do(f func()) {
	done := make(chan struct{})
	s.wake <- func() { f(); close(done) }
	s.L.Wake()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		panic("apitest: loop did not run the function within 5 s")
	}
}

// SignOn connects an api.Client as client id ("" for a casual client) and
// signs it on, failing the test otherwise; the connection closes when the
// test ends. The sign-on must be answered within 5 s; later calls have no
// deadline.
func (s *Server) SignOn(t testing.TB, id string) *api.Client {
	t.Helper()
	c, err := api.Dial(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := c.SignOn(id); err != nil {
		t.Fatalf("sign-on as %q: %v", id, err)
	}
	c.SetDeadline(time.Time{})
	return c
}

// Result is one command's outcome.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// RunIsolated runs argv in a private mount namespace where the server's
// socket directory is bound over /run/heartbeat, so heartbeat's clients,
// which know no other path, find it. It needs root (unshare).
func RunIsolated(t testing.TB, sockDir string, env []string, argv ...string) Result {
	t.Helper()
	script := `mount --bind "$0" /run/heartbeat && exec "$@"`
	cmd := exec.Command("unshare", append([]string{"--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, sockDir}, argv...)...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("%v: %v", argv, err)
		}
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("%v: killed by %v; stderr:\n%s", argv, ws.Signal(), errb.String())
		}
		code = ee.ExitCode()
	}
	return Result{out.String(), errb.String(), code}
}

// RequireRoot skips tests that need unshare and SO_PEERCRED-checked
// sign-on as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: runs heartbeat's clients in a private mount namespace; CI runs as root")
	}
}

// RequireClStatus skips when heartbeat's cl_status is not installed.
func RequireClStatus(t testing.TB) string {
	t.Helper()
	const bin = "/usr/bin/cl_status"
	if _, err := os.Stat(bin); err != nil {
		t.Skip("cl_status is not installed (Debian package heartbeat); CI installs it")
	}
	return bin
}
