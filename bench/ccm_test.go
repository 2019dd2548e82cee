package bench

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/ccm"
	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

// ccmBinary is Debian's ccm (package heartbeat).
const ccmBinary = "/usr/libexec/heartbeat/ccm"

// ccmRuns is how many kills and starts each configuration is measured
// over (HBD_BENCH_RUNS, default 5: a real ccm start takes seconds).
func ccmRuns() int {
	if n, err := strconv.Atoi(os.Getenv("HBD_BENCH_RUNS")); err == nil && n > 0 {
		return n
	}
	return 5
}

// BenchmarkCCM measures, on three nodes, how long membership takes to
// reach a ccm client: from kill -9 of a member to the survivor's client
// getting the membership without it ("loss"), also counted from the
// survivor's dead verdict ("after dead"), and from a node's start to its
// own client getting the membership with all three ("join"). hbd's
// built-in CCM against heartbeat 3.0.6 with its real ccm, at keepalive
// 100 ms / deadtime 500 ms, and hbd at 10 ms / 30 ms. Run with
// -benchtime 1x. "after dead" is counted from the dead line's appearance
// in the log, which hbd writes from a queue: hbd's values around 0 (even
// slightly negative) mean its CCM answered within the same millisecond.
//
// On a 2-vCPU VM (p50 of 5; loss / after dead / join): hbd 100/500 ms
// 496 / 0 / 22 ms, heartbeat + ccm 100/500 ms 972 / 341 / 3587 ms, hbd
// 10/30 ms 25 / 0 / 20 ms.
func BenchmarkCCM(b *testing.B) {
	for _, c := range []struct {
		name                string
		heartbeat           bool
		keepalive, deadtime string
		realtime            bool
	}{
		{"hbd/100ms-500ms", false, "100ms", "500ms", false},
		{"heartbeat+ccm/100ms-500ms", true, "100ms", "500ms", false},
		{"hbd/10ms-30ms", false, "10ms", "30ms", true},
	} {
		b.Run(c.name, func(b *testing.B) {
			if c.heartbeat {
				clustertest.RequireHeartbeat(b)
			}
			if _, err := os.Stat(ccmBinary); err != nil {
				b.Skipf("%s is not installed (Debian package heartbeat)", ccmBinary)
			}
			spec := clustertest.Spec{Nodes: 3, Media: "bcast", Keepalive: c.keepalive, Deadtime: c.deadtime,
				Initdead: "10", Realtime: c.realtime, Extra: "auto_failback off\nrespawn hacluster " + ccmBinary + "\n"}
			nw := netnstest.New(b, netnstest.Config{Hosts: 3})
			mk := clustertest.NewHBD
			if c.heartbeat {
				mk = clustertest.NewHeartbeat
			}
			var ds []*clustertest.Daemon
			for i := 1; i <= 3; i++ {
				d := mk(b, nw.Host(i), fmt.Sprintf("node%d", i), func(log string) string { return spec.HaCF(nw, i, log) })
				ccmDir(b, d)
				ds = append(ds, d)
			}
			observer, victim := ds[0], ds[2]
			ds[0].Start()
			ds[1].Start()
			obs := probeCCM(b, observer)
			// The victim joins an established membership of two.
			obs.wait(b, time.Time{}, 2, 60*time.Second)
			var join, loss, afterDead []time.Duration
			for range ccmRuns() {
				started := time.Now()
				victim.Start()
				vp := probeCCM(b, victim)
				at, _ := vp.wait(b, started, 3, 60*time.Second)
				join = append(join, at.Sub(started))
				obs.wait(b, started, 3, 60*time.Second)
				// A starting node asks for deadtime + 2 s for 5 s.
				time.Sleep(6 * time.Second)
				killed := victim.Kill9()
				vp.close()
				at, _ = obs.wait(b, killed, 2, 60*time.Second)
				loss = append(loss, at.Sub(killed))
				dead := observer.Log.Wait(b, "node node3: is dead", killed, 10*time.Second)
				afterDead = append(afterDead, at.Sub(dead.At))
			}
			report := func(what string, lat []time.Duration) {
				slices.Sort(lat)
				p50, worst := lat[len(lat)/2], lat[len(lat)-1]
				b.ReportMetric(ms(p50), what+"-p50-ms")
				b.ReportMetric(ms(worst), what+"-max-ms")
				b.Logf("%s: %s over %d runs: min %.1f p50 %.1f max %.1f ms", c.name, what, len(lat), ms(lat[0]), ms(p50), ms(worst))
			}
			report("loss", loss)
			report("after-dead", afterDead)
			report("join", join)
		})
	}
}

// ccmDir makes the daemon's /run/heartbeat and its ccm directory as
// Debian's package does: the real ccm, running as hacluster, reaches the
// API socket there and creates its own.
func ccmDir(b testing.TB, d *clustertest.Daemon) {
	b.Helper()
	if err := os.MkdirAll(filepath.Join(d.Dir, "run", "heartbeat"), 0o755); err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(d.Dir, "run", "heartbeat", "ccm")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		b.Fatal(err)
	}
	u, err1 := user.Lookup("hacluster")
	g, err2 := user.LookupGroup("haclient")
	if err := errors.Join(err1, err2); err != nil {
		b.Skipf("no hacluster:haclient: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(g.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		b.Fatal(err)
	}
}

// ccmProbe is a ccm client reading the daemon's socket from here (both
// daemons keep it under their run directory): every membership, stamped
// when it was read.
type ccmProbe struct {
	mu     sync.Mutex
	seen   []probed
	conn   net.Conn
	closed bool
}

type probed struct {
	at      time.Time
	members int
}

// probeCCM connects (every 2 ms until ccm's socket answers) and reads
// until close; a broken connection is dialled again.
func probeCCM(b testing.TB, d *clustertest.Daemon) *ccmProbe {
	p := &ccmProbe{}
	path := filepath.Join(d.Dir, "run", "heartbeat", "ccm", "ccm")
	go func() {
		for {
			p.mu.Lock()
			if p.closed {
				p.mu.Unlock()
				return
			}
			p.mu.Unlock()
			c, err := net.Dial("unix", path)
			if err != nil {
				time.Sleep(2 * time.Millisecond)
				continue
			}
			p.mu.Lock()
			p.conn = c
			closed := p.closed
			p.mu.Unlock()
			if closed {
				c.Close()
				return
			}
			p.read(c)
			c.Close()
		}
	}()
	b.Cleanup(p.close)
	return p
}

func (p *ccmProbe) read(c net.Conn) {
	var buf []byte
	tmp := make([]byte, 4096)
	for {
		n, err := c.Read(tmp)
		at := time.Now()
		if err != nil {
			return
		}
		buf = append(buf, tmp[:n]...)
		for {
			f, k, err := ccm.DecodeClientFrame(buf)
			if err != nil {
				return
			}
			if k == 0 {
				break
			}
			buf = buf[k:]
			if f.Kind == ccm.EventMembership {
				p.mu.Lock()
				p.seen = append(p.seen, probed{at, len(f.Membership.Members)})
				p.mu.Unlock()
			}
		}
	}
}

func (p *ccmProbe) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.conn != nil {
		p.conn.Close()
	}
}

// wait returns when the first membership of members members read after
// since arrived.
func (p *ccmProbe) wait(b testing.TB, since time.Time, members int, timeout time.Duration) (time.Time, bool) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		for _, s := range p.seen {
			if !s.at.Before(since) && s.members == members {
				p.mu.Unlock()
				return s.at, true
			}
		}
		p.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	b.Fatalf("no membership of %d members within %v", members, timeout)
	return time.Time{}, false
}
