package lrm

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/loop"
)

// srvRig is a Server on a loop of its own goroutine.
type srvRig struct {
	l   *loop.Loop
	srv *Server
	dir string
	mu  sync.Mutex
	fns []func()
}

func newSrvRig(t *testing.T, tweak func(*ServeOptions)) *srvRig {
	t.Helper()
	g := &srvRig{dir: t.TempDir()}
	var srv *Server
	l, err := loop.New(loop.Options{WakeHandler: func() {
		if srv != nil {
			srv.Poll()
		}
		g.mu.Lock()
		fns := g.fns
		g.fns = nil
		g.mu.Unlock()
		for _, f := range fns {
			f()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	// The test's own user manages resources, as root and hacluster do in
	// the daemon, so that the tests pass for a user who is not root.
	opt := ServeOptions{Dir: filepath.Join(g.dir, "run"), LRM: Options{KillGrace: 200 * time.Millisecond},
		AdminUIDs: []uint32{0, uint32(os.Geteuid())}}
	if tweak != nil {
		tweak(&opt)
	}
	srv, err = Serve(l, opt)
	if err != nil {
		t.Fatal(err)
	}
	g.l, g.srv = l, srv
	done := make(chan struct{})
	go func() { l.Run(); close(done) }()
	t.Cleanup(func() {
		g.do(func() { srv.Close() })
		l.Stop()
		<-done
		l.Close()
	})
	return g
}

func (g *srvRig) do(f func()) {
	ch := make(chan struct{})
	g.mu.Lock()
	g.fns = append(g.fns, func() { f(); close(ch) })
	g.mu.Unlock()
	g.l.Wake()
	<-ch
}

const helperScript = `
set -e
mount -t tmpfs none /run
mkdir -p /run/heartbeat /run/resource-agents
if [ -n "$HBD_LRM_DIR" ]; then
	mount --bind "$HBD_LRM_DIR" /run/heartbeat
else
	/usr/lib/heartbeat/lrmd -r >/dev/null 2>&1 &
	echo "lrmd $!" >&3
	i=0; while [ ! -S /run/heartbeat/lrm_callback_sock ] && [ $i -lt 200 ]; do sleep 0.01; i=$((i+1)); done
	[ -n "$HBD_WAIT" ] && read x <&4
fi
set +e
"$@"
echo "rc=$?"
`

// lrmadminIn runs lrmadmin in a mount namespace of its own whose
// /run/heartbeat is dir (hbd), or holds a fresh real lrmd (dir ""),
// prepared by setup through /proc/<lrmd>/root before lrmadmin runs.
func lrmadminIn(t *testing.T, dir string, setup func(sockdir string), args ...string) string {
	t.Helper()
	cmd := exec.Command("unshare", append([]string{"-m", "--propagation", "private", "sh", "-c", helperScript, "sh", "lrmadmin"}, args...)...)
	cmd.Env = append(os.Environ(), "HBD_LRM_DIR="+dir)
	pr, pw, _ := os.Pipe()
	gr, gw, _ := os.Pipe()
	cmd.ExtraFiles = []*os.File{pw, gr}
	if dir == "" && setup != nil {
		cmd.Env = append(cmd.Env, "HBD_WAIT=1")
	}
	var out strings.Builder
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	gr.Close()
	lrmdPid := 0
	if dir == "" {
		buf := make([]byte, 64)
		n, _ := pr.Read(buf)
		fmt.Sscanf(string(buf[:n]), "lrmd %d", &lrmdPid)
		if setup != nil {
			sock := fmt.Sprintf("/proc/%d/root/run/heartbeat", lrmdPid)
			for i := 0; i < 200; i++ {
				if _, err := os.Stat(filepath.Join(sock, CallbackSock)); err == nil {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			setup(sock)
		}
	} else if setup != nil {
		setup(dir)
	}
	gw.Write([]byte("go\n"))
	gw.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Errorf("lrmadmin %v: timed out; output %q", args, out.String())
	}
	if lrmdPid > 0 {
		exec.Command("kill", "-9", fmt.Sprint(lrmdPid)).Run()
	}
	pr.Close()
	return out.String()
}

var (
	logPrefix = regexp.MustCompile(`(?m)^[A-Z][a-z][a-z] \d\d \d\d:\d\d:\d\d \S+ lrmadmin: \[\d+\]: `)
	volatile  = regexp.MustCompile(`call_id=\d+|run at: .*|last rc change at: .*|queue time: \d+ms, exec time: \d+ms`)
)

// normalize drops what differs between runs: log prefixes, times, call
// ids, the state files' directories.
func normalize(s string, paths ...string) string {
	s = logPrefix.ReplaceAllString(s, "")
	s = volatile.ReplaceAllStringFunc(s, func(m string) string {
		if i := strings.IndexAny(m, "=:"); i >= 0 {
			return m[:i+1] + "…"
		}
		return m
	})
	for _, p := range paths {
		s = strings.ReplaceAll(s, p, "STATE")
	}
	return s
}

// Debian's lrmadmin, one command per run, against hbd's lrm (one server
// for the whole sequence) and against a fresh real lrmd per command
// brought to the same state by a liblrm session of our own.
func TestLrmadminAgainstRealLrmd(t *testing.T) {
	for _, p := range []string{"/usr/sbin/lrmadmin", "/usr/lib/heartbeat/lrmd", "/usr/bin/unshare", "/usr/lib/ocf/resource.d/heartbeat/Dummy"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s missing", p)
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root (mount namespaces)")
	}
	g := newSrvRig(t, nil)
	tmp := t.TempDir()
	hbdState, realState := filepath.Join(tmp, "hbd.state"), filepath.Join(tmp, "real.state")
	// What the real lrmd must have been through before each command.
	type state struct{ added, started bool }
	var st state
	prepare := func(s state) func(string) {
		return func(dir string) {
			if !s.added {
				return
			}
			c, err := dialLRM(dir, "lrmadmin")
			if err != nil {
				t.Errorf("setup: %v", err)
				return
			}
			// Kept open: the real lrmd dies when a client leaves.
			t.Cleanup(c.Close)
			if err := c.addrsc("d1", "ocf", "Dummy", "heartbeat", Param{"state", realState}); err != nil {
				t.Errorf("setup: %v", err)
			}
			if s.started {
				if _, err := c.op("d1", "start", 20000, 0, "lrmadmin"); err != nil {
					t.Errorf("setup start: %v", err)
				}
				if _, err := c.op("d1", "monitor", 20000, 0, "lrmadmin"); err != nil {
					t.Errorf("setup monitor: %v", err)
				}
			}
		}
	}
	steps := []struct {
		args  []string
		after state
		sets  bool // compare as sorted line sets (hash-table order in lrmd)
	}{
		{args: []string{"-C"}},
		{args: []string{"-P", "ocf", "Dummy"}, sets: true},
		{args: []string{"-M", "ocf", "Dummy", "heartbeat"}},
		{args: []string{"-L"}},
		{args: []string{"-I", "d1"}},
		{args: []string{"-A", "d1", "ocf", "Dummy", "heartbeat", "state=STATE"}, after: state{added: true}},
		{args: []string{"-A", "d1", "ocf", "Dummy", "heartbeat", "state=STATE"}, after: state{added: true}},
		{args: []string{"-L"}, after: state{added: true}},
		{args: []string{"-I", "d1"}, after: state{added: true}},
		{args: []string{"-E", "d1", "monitor", "20000", "0", "EVERYTIME"}, after: state{added: true}},
		{args: []string{"-E", "d1", "start", "20000", "0", "EVERYTIME"}, after: state{added: true, started: true}},
		{args: []string{"-E", "d1", "monitor", "20000", "0", "EVERYTIME"}, after: state{added: true, started: true}},
		{args: []string{"-S", "d1"}, after: state{added: true, started: true}},
		{args: []string{"-E", "nosuch", "start", "20000", "0", "EVERYTIME"}, after: state{added: true, started: true}},
		{args: []string{"-E", "d1", "stop", "20000", "0", "EVERYTIME"}, after: state{added: true}},
		{args: []string{"-g", "max-children"}, after: state{added: true}},
		{args: []string{"-D", "d1"}},
		{args: []string{"-D", "d1"}},
		{args: []string{"-L"}},
	}
	matched := 0
	for _, s := range steps {
		hargs := make([]string, len(s.args))
		rargs := make([]string, len(s.args))
		for i, a := range s.args {
			hargs[i] = strings.ReplaceAll(a, "STATE", hbdState)
			rargs[i] = strings.ReplaceAll(a, "STATE", realState)
		}
		real := normalize(lrmadminIn(t, "", prepare(st), rargs...), realState)
		hbd := normalize(lrmadminIn(t, g.srv.opt.Dir, nil, hargs...), hbdState)
		st = s.after
		if s.args[0] == "-C" {
			// Deliberate: hbd runs the stonith class too.
			hbd = strings.Replace(strings.Replace(hbd, "There are 4 RA", "There are 3 RA", 1), "stonith\n", "", 1)
		}
		if s.sets {
			real, hbd = sortedLines(real), sortedLines(hbd)
		}
		if real != hbd {
			t.Errorf("lrmadmin %s:\nreal lrmd:\n%s\nhbd:\n%s", strings.Join(s.args, " "), real, hbd)
		} else {
			matched++
		}
	}
	t.Logf("%d of %d lrmadmin commands answered as the real lrmd", matched, len(steps))
}

func sortedLines(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	for i := 1; i < len(l); i++ {
		for j := i; j > 0 && l[j] < l[j-1]; j-- {
			l[j], l[j-1] = l[j-1], l[j]
		}
	}
	return strings.Join(l, "\n")
}
