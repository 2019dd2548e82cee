// Command hbd-demo shows hbd failing over, on one machine and without
// root: it starts three hbd nodes on loopback (ucast on 127.0.0.1–3, a
// high UDP port), lets the first take a resource group, kills it with
// SIGKILL, and prints the timeline of the survivors' detection and
// takeover with millisecond timestamps. It exits 0 when exactly one
// survivor took the group over.
//
//	hbd-demo [-hbd path/to/hbd] [-keep]
//
// The resource is a heartbeat-style script that needs no privileges: it
// records which node runs the "service" in a file.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/hbd-ha/hbd/internal/logtail"
)

const (
	nodes     = 3
	udpport   = 17694
	keepalive = "50ms"
	deadtime  = "300ms"
)

// haCF is every node's ha.cf, as a heartbeat user writes it, plus the one
// hbd directive that lets three nodes share a machine: each binds its own
// loopback address.
const haCF = `# hbd demo node %[1]d
logfile %[2]s/log
logfacility none
use_logd no
udpport %[3]d
keepalive %[4]s
deadtime %[5]s
warntime 200ms
initdead 2
ucast lo 127.0.0.1
ucast lo 127.0.0.2
ucast lo 127.0.0.3
auto_failback off
node node1 node2 node3
hbd_ucast_bind 127.0.0.%[1]d
`

// service is the resource: started, it writes "<node> <time>" into the
// shared state file; its status says "running" only on the node named
// there, as heartbeat's text-based status test expects.
const service = `#!/bin/sh
state=%s
case "$1" in
start)  echo "$HA_CURHOST $(date +%%s.%%N)" > "$state";;
stop)   if [ "$(cut -d' ' -f1 "$state" 2>/dev/null)" = "$HA_CURHOST" ]; then rm -f "$state"; fi;;
status) if [ "$(cut -d' ' -f1 "$state" 2>/dev/null)" = "$HA_CURHOST" ]; then echo "demo-service is running"; else echo "demo-service is stopped"; fi;;
esac
exit 0
`

func main() {
	hbd := flag.String("hbd", defaultHBD(), "the hbd binary")
	keep := flag.Bool("keep", false, "keep the demo's directory (configs and logs)")
	flag.Parse()
	if err := run(*hbd, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "hbd-demo:", err)
		os.Exit(1)
	}
}

// defaultHBD is hbd next to this program, else the one on PATH.
func defaultHBD() string {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "hbd")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "hbd"
}

// node is one running demo node.
type node struct {
	name string
	dir  string
	cmd  *exec.Cmd
	log  *logtail.Tail
}

func run(hbd string, keep bool) error {
	root, err := os.MkdirTemp("", "hbd-demo-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Printf("demo directory: %s\n", root)
	} else {
		defer os.RemoveAll(root)
	}
	state := filepath.Join(root, "service")
	var ns []*node
	defer func() {
		for _, n := range ns {
			n.stop()
		}
	}()
	for i := 1; i <= nodes; i++ {
		n, err := setup(root, i, state)
		if err != nil {
			return err
		}
		ns = append(ns, n)
	}
	begin := time.Now()
	fmt.Printf("Starting %d hbd nodes on 127.0.0.1-%d, udpport %d, keepalive %s, deadtime %s.\n", nodes, nodes, udpport, keepalive, deadtime)
	for _, n := range ns {
		if err := n.start(hbd); err != nil {
			return err
		}
	}
	holder, at, err := waitHolder(state, "", 20*time.Second)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, ns[0].log.Text())
	}
	fmt.Printf("%8.3fs  %s runs demo-service\n", at.Sub(begin).Seconds(), holder)
	// A starting node asks its peers for a longer deadtime for its first
	// seconds, as heartbeat does; fail over after that.
	time.Sleep(time.Until(begin.Add(6 * time.Second)))
	victim := ns[nodeIndex(holder)]
	killed := time.Now()
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	victim.cmd.Wait()
	fmt.Printf("\nkill -9 %s (pid %d), the holder. Timeline from the kill:\n", victim.name, victim.cmd.Process.Pid)
	fmt.Printf("%8.3fms %-6s %s\n", 0.0, victim.name, "killed")
	taker, took, err := waitHolder(state, holder, 10*time.Second)
	time.Sleep(200 * time.Millisecond) // let the last lines reach the logs
	var lines []line
	for _, n := range ns {
		if n != victim {
			lines = append(lines, n.since(killed)...)
		}
	}
	if err == nil {
		lines = append(lines, line{at: took, node: taker, text: "demo-service started (the script's own clock)"})
	}
	slices.SortStableFunc(lines, func(a, b line) int { return a.at.Compare(b.at) })
	for _, l := range lines {
		if interesting(l.text) {
			fmt.Printf("%8.1fms %-6s %s\n", ms(l.at.Sub(killed)), l.node, l.text)
		}
	}
	if err != nil {
		return err
	}
	fmt.Printf("\ndemo-service moved from %s to %s in %.1f ms (deadtime %s).\n", holder, taker, ms(took.Sub(killed)), deadtime)
	return checkSingleTaker(ns, victim, killed)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func nodeIndex(name string) int {
	var i int
	fmt.Sscanf(name, "node%d", &i)
	return i - 1
}

// interesting picks the lines that tell the failover's story.
func interesting(s string) bool {
	for _, k := range []string{"is dead", "Link node", "Taking over", "Acquiring resource group", "Resources being acquired",
		"takeover complete", "acquisition complete", "demo-service", "STONITH", "No STONITH", "Shared disks"} {
		if strings.Contains(s, k) {
			return true
		}
	}
	return false
}

// checkSingleTaker fails unless exactly one survivor acquired the group.
func checkSingleTaker(ns []*node, victim *node, since time.Time) error {
	var takers []string
	for _, n := range ns {
		if n == victim {
			continue
		}
		for _, l := range n.since(since) {
			if strings.Contains(l.text, "Acquiring resource group") {
				takers = append(takers, n.name)
				break
			}
		}
	}
	if len(takers) != 1 {
		return fmt.Errorf("%d survivors acquired the group (%v), want exactly one", len(takers), takers)
	}
	return nil
}

// waitHolder waits until the state file names a node other than not and
// returns it with the time its start recorded.
func waitHolder(state, not string, timeout time.Duration) (string, time.Time, error) {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		b, err := os.ReadFile(state)
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) != 2 || f[0] == not {
			continue
		}
		var sec, nsec int64
		if _, err := fmt.Sscanf(f[1], "%d.%d", &sec, &nsec); err != nil {
			continue
		}
		return f[0], time.Unix(sec, nsec), nil
	}
	return "", time.Time{}, errors.New("demo-service was not started within " + timeout.String())
}

func setup(root string, i int, state string) (*node, error) {
	n := &node{name: fmt.Sprintf("node%d", i), dir: filepath.Join(root, fmt.Sprintf("node%d", i))}
	files := map[string]struct {
		content string
		mode    os.FileMode
	}{
		"etc/ha.cf":                   {fmt.Sprintf(haCF, i, n.dir, udpport, keepalive, deadtime), 0o644},
		"etc/authkeys":                {"auth 1\n1 sha1 hbd-demo-secret\n", 0o600},
		"etc/haresources":             {"node1 demo-service\n", 0o644},
		"etc/nodeinfo":                {n.name + "\n", 0o644},
		"etc/resource.d/demo-service": {fmt.Sprintf(service, state), 0o755},
	}
	for rel, f := range files {
		p := filepath.Join(n.dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte(f.content), f.mode); err != nil {
			return nil, err
		}
	}
	for _, d := range []string{"state", "run"} {
		if err := os.MkdirAll(filepath.Join(n.dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	n.log = logtail.Start(filepath.Join(n.dir, "log"))
	return n, nil
}

func (n *node) start(hbd string) error {
	n.cmd = exec.Command(hbd, "-f", "--confdir", filepath.Join(n.dir, "etc"),
		"--statedir", filepath.Join(n.dir, "state"), "--rundir", filepath.Join(n.dir, "run"))
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	n.cmd.Stderr = nil
	if err := n.cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", n.name, err)
	}
	return nil
}

// stop ends the node and everything it started (its process group).
func (n *node) stop() {
	n.log.Stop()
	if n.cmd == nil || n.cmd.Process == nil || n.cmd.ProcessState != nil {
		return
	}
	syscall.Kill(-n.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { n.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// line is one log line of a node, stamped when it appeared.
type line struct {
	at   time.Time
	node string
	text string
}

// since returns the node's log lines seen at or after at, without
// heartbeat's "Mon DD HH:MM:SS host prog: [pid]: " prefix.
func (n *node) since(at time.Time) []line {
	var out []line
	for _, l := range n.log.Since(at) {
		out = append(out, line{at: l.At, node: n.name, text: message(l.Text)})
	}
	return out
}

// message strips heartbeat's "Mon DD HH:MM:SS host prog: [pid]: " prefix.
func message(s string) string {
	if i := strings.Index(s, "]: "); i >= 0 {
		return s[i+3:]
	}
	return s
}
