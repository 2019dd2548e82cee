package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/netnstest"
	"github.com/hbd-ha/hbd/wire"
)

const heartbeatBin = "/usr/libexec/heartbeat/heartbeat"

// heartbeatNode is a real heartbeat 3.0.6 running in a host namespace, in
// its own mount, UTS and PID namespaces, with a private /etc/ha.d,
// /var/lib/heartbeat and /run, and with reboot replaced by /bin/true.
type heartbeatNode struct {
	host *netnstest.Host
	dir  string
	log  string
	cmd  *exec.Cmd
}

// startHeartbeat writes a configuration for node name with haCF's media
// and node lines and starts heartbeat in h. It is stopped (TERM, then
// KILL) when the test ends.
func startHeartbeat(t *testing.T, h *netnstest.Host, name, haCF string) *heartbeatNode {
	t.Helper()
	for _, bin := range []string{heartbeatBin, "/usr/bin/unshare", "/bin/cp"} {
		if _, err := os.Stat(bin); err != nil {
			t.Skipf("interop: %s not installed", bin)
		}
	}
	dir := t.TempDir()
	hb := &heartbeatNode{host: h, dir: dir, log: filepath.Join(dir, "ha-log")}
	etc := filepath.Join(dir, "etc-ha.d")
	if out, err := exec.Command("cp", "-a", "/etc/ha.d", etc).CombinedOutput(); err != nil {
		t.Fatalf("copy /etc/ha.d: %v: %s", err, out)
	}
	files := map[string]string{
		"ha.cf": "logfile " + hb.log + "\nlogfacility none\nuse_logd no\nrealtime off\n" +
			"keepalive 200ms\ndeadtime 3\nwarntime 1\ninitdead 6\nudpport 694\nauto_failback on\n" + haCF,
		"authkeys":    "auth 1\n1 sha1 " + testKey + "\n",
		"haresources": "",
		"nodeinfo":    name + "\n",
	}
	for f, content := range files {
		if err := os.WriteFile(filepath.Join(etc, f), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var mkdirs []string
	for _, d := range []string{"api", "casual", "ccm", "ckpt", "crm", "lrm", "pengine", "cores/hacluster", "cores/nobody", "cores/root"} {
		mkdirs = append(mkdirs, filepath.Join(dir, "varlib", d))
	}
	for _, d := range []string{"heartbeat/ccm", "heartbeat/crm", "heartbeat/dopd", "crm", "resource-agents", "lock/subsys"} {
		mkdirs = append(mkdirs, filepath.Join(dir, "run", d))
	}
	for _, d := range mkdirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	reboot, err := filepath.EvalSymlinks("/sbin/reboot")
	if err != nil {
		t.Skipf("interop: no /sbin/reboot to neutralise: %v", err)
	}
	script := strings.Join([]string{
		"set -e",
		"hostname " + name,
		"mount --bind " + etc + " /etc/ha.d",
		"mount --bind " + filepath.Join(dir, "varlib") + " /var/lib/heartbeat",
		"mount --bind " + filepath.Join(dir, "run") + " /run",
		"mount --bind /bin/true " + reboot, // a failed resource stop reboots: never this machine
		"exec " + heartbeatBin + " -f",
	}, "\n")
	// --kill-child: heartbeat (and with it its PID namespace) dies with
	// unshare, and unshare with this test process (Pdeathsig), so that
	// nothing outlives a test binary that is killed.
	hb.cmd = h.Command("unshare", "--mount", "--uts", "--pid", "--fork", "--kill-child=SIGKILL", "--propagation", "private", "--", "sh", "-c", script)
	out, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	hb.cmd.Stdout, hb.cmd.Stderr = out, out
	hb.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := hb.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hb.stop(t); out.Close() })
	return hb
}

// stop ends heartbeat and everything it started. SIGTERM goes to the
// heartbeat master (the first process of its PID namespace; it does not
// stay in the process group this test started) and to that group, and
// heartbeat shuts down on its own. If it has not within 20 s, SIGKILL
// goes to the master, which takes every other process of its PID
// namespace with it.
func (hb *heartbeatNode) stop(t *testing.T) {
	master := hb.master()
	signal := func(sig syscall.Signal) {
		syscall.Kill(-hb.cmd.Process.Pid, sig)
		if master > 0 {
			syscall.Kill(master, sig)
		}
	}
	gone := func(timeout time.Duration) bool {
		for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if len(hb.host.PIDs()) == 0 {
				return true
			}
		}
		return false
	}
	signal(syscall.SIGTERM)
	if !gone(20 * time.Second) {
		t.Errorf("heartbeat did not stop within 20 s of SIGTERM; killing it")
		signal(syscall.SIGKILL)
		gone(5 * time.Second)
	}
	hb.cmd.Wait()
	if t.Failed() {
		logText, _ := os.ReadFile(hb.log)
		stdout, _ := os.ReadFile(filepath.Join(hb.dir, "stdout"))
		t.Logf("heartbeat log:\n%s\nheartbeat stdout:\n%s", logText, stdout)
	}
}

// master finds the heartbeat master: the process in the host's namespace
// that is PID 1 of its own PID namespace.
func (hb *heartbeatNode) master() int {
	for _, pid := range hb.host.PIDs() {
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(status), "\n") {
			if f := strings.Fields(line); len(f) > 2 && f[0] == "NSpid:" && f[len(f)-1] == "1" {
				return pid
			}
		}
	}
	return 0
}

// waitLog waits until heartbeat's log contains want, calling tick (or
// sleeping) between looks.
func (hb *heartbeatNode) waitLog(want string, timeout time.Duration, tick func()) bool {
	deadline := time.Now().Add(timeout)
	for {
		if b, _ := os.ReadFile(hb.log); bytes.Contains(b, []byte(want)) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		if tick != nil {
			tick()
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// hbdStatus is the status hbd node name sends: what a heartbeat 3.0.6
// node sends, built with the wire package.
func hbdStatus(keys *wire.Keyring, name string, seq uint64) ([]byte, error) {
	var m wire.Message
	m.AddString(wire.FieldType, "status")
	m.AddString(wire.FieldStatus, "active")
	m.AddHex(wire.FieldDeadtime, 3000)
	m.AddString(wire.FieldProtocol, "1")
	m.AddControl(&wire.Control{
		Src: []byte(name), SrcUUID: [16]byte{0x68, 0x62, 0x64, 2, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 2},
		Seq: seq, Gen: 1, TS: uint64(time.Now().Unix()), Load: []byte("0.00 0.00 0.00 1/1 1"), TTL: 4,
	})
	return keys.AppendPacket(nil, &m, true)
}

// Heartbeat 3.0.6 and hbd on one segment, over each UDP medium: hbd's
// medium receives and authenticates heartbeat's packets, heartbeat takes
// hbd's status, and both log the same lines when their media start. Over
// bcast, heartbeat also pings the hbd host, and hbd's ping payload must be
// byte for byte the one heartbeat sends.
func TestInteropHeartbeat(t *testing.T) {
	if testing.Short() {
		t.Skip("interop with heartbeat 3.0.6 takes seconds")
	}
	t.Parallel()
	for _, typ := range []string{"bcast", "ucast", "mcast"} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			interop(t, typ)
		})
	}
}

func interop(t *testing.T, typ string) {
	n := netnstest.New(t, netnstest.Config{Hosts: 2})
	hbHost, hbdHost := n.Host(1), n.Host(2)
	keys, sendKeys := testKeyring(t), testKeyring(t)
	var ours config.Medium
	hbCF := "node hb1\nnode hbd2\n"
	switch typ {
	case "bcast":
		ours = bcastMedium("eth0")
		hbCF += fmt.Sprintf("bcast eth0\nping %s\n", hbdHost.Addr(0))
	case "ucast":
		ours = ucastMedium("eth0", hbHost.Addr(0))
		hbCF += fmt.Sprintf("ucast eth0 %s\n", hbdHost.Addr(0))
	case "mcast":
		ours = mcastMedium("eth0", testMCast, 1, false)
		hbCF += fmt.Sprintf("mcast eth0 %s %d 1 0\n", testMCast, hbPort)
	}
	m := open(t, hbdHost, 0, ours, Options{})
	icmp := openRawICMP(t, hbdHost)
	hb := startHeartbeat(t, hbHost, "hb1", hbCF)

	// hbd sends its status every keepalive (200 ms) while it listens.
	seq := uint64(0)
	var heard []received
	tick := func() {
		seq++
		pkt, err := hbdStatus(sendKeys, "hbd2", seq)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Send(pkt); err != nil {
			t.Fatalf("sending hbd's status: %v", err)
		}
		heard = append(heard, collect(t, m, 1000, 0, 200*time.Millisecond)...)
	}

	// 1. hbd receives heartbeat's packets and they authenticate.
	var status *wire.Packet
	types := map[string]int{}
	for deadline := time.Now().Add(15 * time.Second); status == nil && time.Now().Before(deadline); {
		tick()
		for _, r := range heard {
			var p wire.Packet
			if err := p.Decode(r.data); err != nil {
				t.Fatalf("heartbeat's packet does not decode: %v\n%q", err, r.data)
			}
			if field(&p, "src") != "hb1" {
				continue // our own, looped back
			}
			if err := keys.Verify(&p); err != nil {
				t.Fatalf("heartbeat's packet does not authenticate: %v\n%q", err, r.data)
			}
			if err := keys.VerifyInner(&p.Msg); err != nil {
				t.Fatalf("heartbeat's inner auth (msgfmt classic) does not check: %v", err)
			}
			types[field(&p, "t")]++
			if field(&p, "t") == "status" && status == nil {
				status = &p
				t.Logf("heartbeat's status, %d bytes from %s: %q", len(r.data), r.from, r.data)
			}
		}
		heard = heard[:0]
	}
	if status == nil {
		t.Fatalf("no status from heartbeat within 15 s (saw %v)", types)
	}
	var names []string
	for i := range status.Msg.Len() {
		names = append(names, string(status.Msg.At(i).Name))
	}
	if got, want := strings.Join(names, " "), "t st dt protocol src srcuuid seq hg ts ld ttl auth"; got != want {
		t.Errorf("status fields %q, want %q (wire spec §9.1, §8.1)", got, want)
	}

	// 2. heartbeat takes hbd's status: the link comes up and the node's
	// status is logged.
	for _, want := range []string{"Link hbd2:eth0 up.", "Status update for node hbd2: status active"} {
		if !hb.waitLog(want, 10*time.Second, tick) {
			t.Errorf("heartbeat never logged %q", want)
		}
	}
	// The lines heartbeat logged when its media started are the ones
	// hbd's media return (ours differ only in the peer's address).
	started := m.Started()
	if typ == "bcast" {
		started = append(started, open(t, hbdHost, 1, pingMedium(hbHost.Addr(0)), Options{Keyring: keys}).Started()...)
	}
	for _, l := range started {
		line := l.Level.String() + ": " + strings.ReplaceAll(l.Msg, hbHost.Addr(0).String(), hbdHost.Addr(0).String())
		if !hb.waitLog("]: "+line+"\n", 0, nil) {
			t.Errorf("heartbeat did not log %q", line)
		}
	}
	// Heartbeat hears itself over bcast (its broadcasts loop back: wire
	// spec §13 open point 4), and not over ucast or mcast with loop 0.
	if own := hb.waitLog("Link hb1:eth0 up.", 0, nil); own != (typ == "bcast") {
		t.Errorf("heartbeat logged its own link up: %v", own)
	}
	if typ == "bcast" {
		checkPingPayload(t, hb, icmp, hbHost, hbdHost, keys)
	}
}

// checkPingPayload compares heartbeat's echo request to the hbd host with
// the one hbd's ping medium builds for the same status.
func checkPingPayload(t *testing.T, hb *heartbeatNode, icmp *rawICMP, hbHost, hbdHost *netnstest.Host, keys *wire.Keyring) {
	req := icmp.nextEchoRequest(t, hbHost.Addr(0), 10*time.Second)
	var hbPayload wire.Packet
	if err := hbPayload.Decode(req[icmpHeaderLen:]); err != nil {
		t.Fatalf("heartbeat's ping payload: %v", err)
	}
	ident := binary.NativeEndian.Uint16(req[4:6])
	t.Logf("heartbeat's echo request: header % x, identifier %d in host order; payload %q", req[:8], ident, req[8:])
	if ident != 1 {
		// Heartbeat is PID 1 in its PID namespace: its identifier is 1 in
		// host byte order (wire spec §13 open point 5).
		t.Errorf("identifier bytes % x: want 1 in host byte order", req[4:6])
	}
	p := &pinger{info: "ping", src: hbdHost.Addr(0).String(), ident: ident, keys: keys}
	p.seq = binary.BigEndian.Uint16(req[6:8])
	ts, _ := hbPayload.Msg.Hex("ts")
	var st wire.Message
	st.AddString(wire.FieldType, "status")
	st.AddHex(wire.FieldTimestamp, ts)
	stPkt, err := keys.AppendPacket(nil, &st, true)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := p.echoRequest(stPkt)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours, req) {
		t.Errorf("hbd's echo request differs from heartbeat's:\nhbd       %q\nheartbeat %q", ours, req)
	}
	if !hb.waitLog("Status update for node "+hbdHost.Addr(0).String()+": status ping", 5*time.Second, nil) {
		t.Errorf("heartbeat never saw its ping node")
	}
}

// rawICMP is a raw ICMP socket that sees the echo requests others send to
// its host (the kernel answers them itself).
type rawICMP struct{ fd int }

func openRawICMP(t *testing.T, h *netnstest.Host) *rawICMP {
	t.Helper()
	var fd int
	var err error
	h.Run(func() {
		fd, err = syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, syscall.IPPROTO_ICMP)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	return &rawICMP{fd}
}

// nextEchoRequest returns the next ICMP echo request from src, without its
// IP header.
func (r *rawICMP) nextEchoRequest(t *testing.T, src netip.Addr, timeout time.Duration) []byte {
	t.Helper()
	tv := syscall.NsecToTimeval(int64(200 * time.Millisecond))
	syscall.SetsockoptTimeval(r.fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	buf := make([]byte, 65536)
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); {
		n, from, err := syscall.Recvfrom(r.fd, buf, 0)
		if err != nil {
			continue
		}
		sa, ok := from.(*syscall.SockaddrInet4)
		if !ok || netip.AddrFrom4(sa.Addr) != src || n < 28 {
			continue
		}
		hlen := int(buf[0]&0x0f) * 4
		if buf[hlen] == icmpEcho {
			return bytes.Clone(buf[hlen:n])
		}
	}
	t.Fatalf("no echo request from %s within %v", src, timeout)
	return nil
}
