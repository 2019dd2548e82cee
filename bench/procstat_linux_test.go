package bench

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/hbd-ha/hbd/internal/netnstest"
)

// usage is what a node's daemon processes used, summed: CPU time of every
// thread (schedstat, in ns), resident memory, and how many processes.
type usage struct {
	cpu  time.Duration
	user time.Duration // utime, all threads (clock ticks of 10 ms)
	sys  time.Duration // stime: in the kernel, which on veth includes
	// delivering what the process sends to its receivers
	rssKB          int64
	anonKB, fileKB int64 // RssAnon, RssFile: the heap and stacks; the binary's pages
	procs          int
}

// daemonUsage sums the processes named comm in host h's network
// namespace (the daemon and its children with the same name; unshare and
// shells are left out).
func daemonUsage(h *netnstest.Host, comm string) usage {
	var u usage
	for _, pid := range h.PIDs() {
		c, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || strings.TrimSpace(string(c)) != comm {
			continue
		}
		u.procs++
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
		for _, t := range tasks {
			b, err := os.ReadFile(t)
			if err != nil {
				continue
			}
			if f := strings.Fields(string(b)); len(f) > 0 {
				ns, _ := strconv.ParseInt(f[0], 10, 64)
				u.cpu += time.Duration(ns)
			}
		}
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			// Fields after the command's closing parenthesis: utime is
			// the 12th, stime the 13th.
			if i := strings.LastIndexByte(string(b), ')'); i > 0 {
				if f := strings.Fields(string(b[i+1:])); len(f) > 12 {
					ut, _ := strconv.ParseInt(f[11], 10, 64)
					stt, _ := strconv.ParseInt(f[12], 10, 64)
					u.user += time.Duration(ut) * 10 * time.Millisecond
					u.sys += time.Duration(stt) * 10 * time.Millisecond
				}
			}
		}
		st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		for _, l := range strings.Split(string(st), "\n") {
			kb := func(rest string) int64 {
				v, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				return v
			}
			if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
				u.rssKB += kb(rest)
			} else if rest, ok := strings.CutPrefix(l, "RssAnon:"); ok {
				u.anonKB += kb(rest)
			} else if rest, ok := strings.CutPrefix(l, "RssFile:"); ok {
				u.fileKB += kb(rest)
			}
		}
	}
	return u
}

// txCounters reads what host h sent on eth0: packets and bytes.
func txCounters(b testing.TB, h *netnstest.Host) (packets, bytes uint64) {
	b.Helper()
	out, err := h.Exec("ip", "-s", "-j", "link", "show", "dev", "eth0")
	if err != nil {
		b.Fatalf("ip -s link: %v", err)
	}
	var links []struct {
		Stats64 struct {
			TX struct {
				Bytes   uint64 `json:"bytes"`
				Packets uint64 `json:"packets"`
			} `json:"tx"`
		} `json:"stats64"`
	}
	if err := json.Unmarshal(out, &links); err != nil || len(links) == 0 {
		b.Fatalf("ip -s -j link: %v: %s", err, out)
	}
	return links[0].Stats64.TX.Packets, links[0].Stats64.TX.Bytes
}

// gapMeter records when datagrams from one source reach a quiet host's
// heartbeat port, stamped by the kernel on arrival (SO_TIMESTAMPNS), so a
// starved test process does not stretch the gaps it measures.
type gapMeter struct {
	mu   sync.Mutex
	from netip.Addr
	at   []time.Time
	conn *net.UDPConn
}

func meterGaps(b testing.TB, h *netnstest.Host, from netip.Addr) *gapMeter {
	b.Helper()
	g := &gapMeter{from: from}
	var err error
	h.Run(func() { g.conn, err = net.ListenUDP("udp4", &net.UDPAddr{Port: 694}) })
	if err != nil {
		b.Fatal(err)
	}
	raw, err := g.conn.SyscallConn()
	if err != nil {
		b.Fatal(err)
	}
	raw.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1) })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { g.conn.Close() })
	go func() {
		buf, oob := make([]byte, 65536), make([]byte, 128)
		for {
			_, oobn, _, src, err := g.conn.ReadMsgUDPAddrPort(buf, oob)
			if err != nil {
				return
			}
			if src.Addr().Unmap() != g.from {
				continue
			}
			at := time.Now()
			if msgs, err := syscall.ParseSocketControlMessage(oob[:oobn]); err == nil {
				for _, m := range msgs {
					if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SO_TIMESTAMPNS && len(m.Data) >= 16 {
						ts := *(*syscall.Timespec)(unsafe.Pointer(&m.Data[0]))
						at = time.Unix(ts.Sec, ts.Nsec)
					}
				}
			}
			g.mu.Lock()
			g.at = append(g.at, at)
			g.mu.Unlock()
		}
	}()
	return g
}

// gaps returns the intervals between consecutive arrivals since since, in ms.
func (g *gapMeter) gaps(since time.Time) []float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []float64
	var prev time.Time
	for _, at := range g.at {
		if at.Before(since) {
			continue
		}
		if !prev.IsZero() {
			out = append(out, float64(at.Sub(prev).Microseconds())/1000)
		}
		prev = at
	}
	return out
}
