package ipaddr

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/netnstest"
	"github.com/hbd-ha/hbd/internal/prio"
)

// logLines collects what a Resource logs.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logf(p prio.Level, format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, p.String()+": "+fmt.Sprintf(format, v...))
}

func (l *logLines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

func newResource(t testing.TB, script, arg string, opt Options) *Resource {
	t.Helper()
	r, err := New(script, config.ParseIPAddr(arg), opt)
	if err != nil {
		t.Fatalf("New(%s, %s): %v", script, arg, err)
	}
	return r
}

// in runs op on r inside the host's namespace.
func in(h *netnstest.Host, f func(ctx context.Context) error) error {
	var err error
	h.Run(func() { err = f(context.Background()) })
	return err
}

func running(h *netnstest.Host, r *Resource) (bool, error) {
	var ok bool
	var err error
	h.Run(func() { ok, err = r.Running(context.Background()) })
	return ok, err
}

// agent runs the real resource.d wrapper in the host, isolated: its
// temporary files and log go to dir.
func agent(h *netnstest.Host, dir, script, arg, op string) (string, error) {
	cmd := h.Command(filepath.Join("/etc/ha.d/resource.d", script), arg, op)
	cmd.Env = []string{
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"HA_RSCTMP=" + dir,
		"HA_LOGFILE=" + filepath.Join(dir, "ha-log"),
		"HA_LOGFACILITY=none",
		"HA_LOGD=no",
	}
	// A file, not a pipe: the agent's background send_arp would hold a
	// pipe open, and Wait with it, until the burst ends.
	f, err := os.CreateTemp(dir, "out")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	err = cmd.Run()
	out, _ := os.ReadFile(f.Name())
	return string(out), err
}

func needAgent(t testing.TB, script string) {
	t.Helper()
	for _, p := range []string{"/etc/ha.d/resource.d/" + script, "/usr/lib/ocf/resource.d/heartbeat/" + script} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s is not installed (heartbeat, resource-agents): %v", p, err)
		}
	}
}

// waitIdle waits until nothing runs in the host's namespace any more (the
// agent's background send_arp), so that netnstest can remove it.
func waitIdle(t testing.TB, h *netnstest.Host) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if len(h.PIDs()) == 0 {
			return
		}
	}
	t.Errorf("processes still running in %s: %v", h.Name(), h.PIDs())
}

// addrLines is "ip -o -f inet addr show" without the interface numbers.
func addrLines(t testing.TB, h *netnstest.Host) []string {
	t.Helper()
	out, err := h.Exec("ip", "-o", "-f", "inet", "addr", "show")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if _, rest, ok := strings.Cut(l, ": "); ok {
			lines = append(lines, strings.Join(strings.Fields(rest), " "))
		}
	}
	return lines
}

// added returns the lines of now that were not in before.
func added(before, now []string) []string {
	var out []string
	for _, l := range now {
		if !slices.Contains(before, l) {
			out = append(out, l)
		}
	}
	return out
}

func mustExec(t testing.TB, h *netnstest.Host, args ...string) {
	t.Helper()
	if _, err := h.Exec(args...); err != nil {
		t.Fatal(err)
	}
}

func macOf(t testing.TB, h *netnstest.Host, ifname string) net.HardwareAddr {
	t.Helper()
	var mac net.HardwareAddr
	var err error
	h.Run(func() {
		var ifi *net.Interface
		if ifi, err = net.InterfaceByName(ifname); err == nil {
			mac = ifi.HardwareAddr
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return mac
}

// arpSeen is one ARP packet a host received.
type arpSeen struct {
	at       time.Time
	op       int
	ethSrc   net.HardwareAddr
	sha, tha net.HardwareAddr
	spa, tpa netip.Addr
	size     int
}

// arpWatch captures the ARP packets arriving on a host's interface with
// a packet socket, until the test ends.
type arpWatch struct {
	mu   sync.Mutex
	seen []arpSeen
}

func watchARP(t testing.TB, h *netnstest.Host, ifname string) *arpWatch {
	t.Helper()
	proto := int(htons(0x0806)) // ETH_P_ARP
	var fd int
	var err error
	h.Run(func() {
		var ifi *net.Interface
		if ifi, err = net.InterfaceByName(ifname); err != nil {
			return
		}
		if fd, err = syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, proto); err != nil {
			return
		}
		err = syscall.Bind(fd, &syscall.SockaddrLinklayer{Protocol: uint16(proto), Ifindex: ifi.Index})
	})
	if err != nil {
		t.Fatalf("packet socket in %s: %v", h.Name(), err)
	}
	tv := syscall.NsecToTimeval((50 * time.Millisecond).Nanoseconds())
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	w := &arpWatch{}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			select {
			case <-stop:
				return
			default:
			}
			n, _, err := syscall.Recvfrom(fd, buf, 0)
			at := time.Now()
			if err != nil || n < 42 {
				continue
			}
			p := buf[14:]
			s := arpSeen{
				at: at, op: int(p[7]), size: n,
				ethSrc: slices.Clone(net.HardwareAddr(buf[6:12])),
				sha:    slices.Clone(net.HardwareAddr(p[8:14])),
				tha:    slices.Clone(net.HardwareAddr(p[18:24])),
				spa:    netip.AddrFrom4([4]byte(p[14:18])),
				tpa:    netip.AddrFrom4([4]byte(p[24:28])),
			}
			w.mu.Lock()
			w.seen = append(w.seen, s)
			w.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
		syscall.Close(fd)
	})
	return w
}

// about returns the packets announcing ip, in arrival order.
func (w *arpWatch) about(ip netip.Addr) []arpSeen {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []arpSeen
	for _, s := range w.seen {
		if s.spa == ip {
			out = append(out, s)
		}
	}
	return out
}

// waitFor waits until n packets announced ip, or the timeout passes.
func (w *arpWatch) waitFor(ip netip.Addr, n int, timeout time.Duration) []arpSeen {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if len(w.about(ip)) >= n {
			break
		}
	}
	return w.about(ip)
}

// agentDir is a directory for the real agent's HA_RSCTMP and log. Its
// background send_arp may still write there (pid file, log lines) after
// the test: t.TempDir's single RemoveAll then fails on a loaded machine,
// so the cleanup retries until the burst has ended.
func agentDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hbd-ipaddr-agent")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for {
			err := os.RemoveAll(dir)
			if err == nil || time.Now().After(deadline) {
				if err != nil {
					t.Logf("leaving %s: %v", dir, err)
				}
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	return dir
}
