package metrics

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/master"
)

func TestServeLifecycle(t *testing.T) {
	m := New("node1", testNodes, testLinks)
	if m.Addr() != "" {
		t.Errorf("Addr before Serve = %q", m.Addr())
	}
	stop, err := m.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := m.Addr()
	if host, port, err := net.SplitHostPort(addr); err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("Addr = %q: want 127.0.0.1 and the port the kernel chose", addr)
	}
	if _, err := m.Serve("127.0.0.1:0"); err == nil {
		t.Error("a second Serve succeeded")
	}
	// Another endpoint on the same port fails at once, naming the address.
	other := New("node1", testNodes, testLinks)
	if _, err := other.Serve(addr); err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("Serve on a taken port: %v, want an error naming %s", err, addr)
	}
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "/metrics") {
		t.Errorf("GET / = %s %q", resp.Status, body)
	}
	if resp, err := http.Get("http://" + addr + "/nosuch"); err != nil || resp.StatusCode != 404 {
		t.Errorf("GET /nosuch = %v %v, want 404", resp, err)
	} else {
		resp.Body.Close()
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Errorf("second stop: %v", err)
	}
	if m.Addr() != "" {
		t.Errorf("Addr after stop = %q", m.Addr())
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("still listening after stop")
	}
	// The port is free again, and the same Metrics can serve again.
	stop, err = m.Serve(addr)
	if err != nil {
		t.Fatalf("Serve after stop: %v", err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestServeBadAddress(t *testing.T) {
	m := New("node1", testNodes, testLinks)
	for _, addr := range []string{"127.0.0.1", "127.0.0.1:99999", "[::1"} {
		if stop, err := m.Serve(addr); err == nil {
			stop()
			t.Errorf("Serve(%q) succeeded", addr)
		}
	}
}

// The loop writes while scrapers read: run with -race. Every scrape sees
// counters that only grow.
func TestScrapeWhileLoopRuns(t *testing.T) {
	m := newTest(t)
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		var st master.Stats
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			st.Received++
			m.Stats(st)
			m.Heartbeat(i%3, time.Second, time.Second)
			m.NodeStatus(1, statuses[i%len(statuses)])
			m.LinkStatus(0, i%2, i%4 < 2)
			m.Holding(holdings[i%len(holdings)])
		}
	})
	last := -1.0
	for range 20 {
		v := scrape(t, m).value(t, "hbd_packets_received_total")
		if v < last {
			t.Errorf("received went from %v back to %v", last, v)
		}
		last = v
	}
	close(done)
	wg.Wait()
	if last <= 0 {
		t.Errorf("received = %v after 20 scrapes of a running loop", last)
	}
}

// Whatever a client sends, it gets an HTTP answer or a closed connection,
// never a hung goroutine: bad request lines, other methods, oversized
// heads, and a client that sends nothing (cut off by the read timeout's
// job: here the test closes it).
func TestServeBadRequests(t *testing.T) {
	m := newTest(t)
	for _, c := range []struct{ req, want string }{
		{"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK"},
		{"HEAD /metrics HTTP/1.0\r\n\r\n", "HTTP/1.1 200 OK"},
		{"POST /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 405 "},
		{"GET /nosuch HTTP/1.1\r\n\r\n", "HTTP/1.1 404 "},
		{"hello\r\n\r\n", "HTTP/1.1 400 "},
		{"GET metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 400 "}, // not a path: no 404 for it
		// The server closes with the rest of the head unread: the 400
		// may be lost to the reset that follows, but the call returns.
		{"GET /metrics HTTP/1.1\r\nX: " + strings.Repeat("a", 20000) + "\r\n\r\n", "HTTP/1.1 400 |"},
	} {
		conn, err := net.DialTimeout("tcp", m.Addr(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(conn, c.req)
		got, _ := io.ReadAll(conn)
		conn.Close()
		want, orNothing := strings.CutSuffix(c.want, "|")
		if !strings.HasPrefix(string(got), want) && !(orNothing && len(got) == 0) {
			t.Errorf("%.40q: answer %.60q, want %q", c.req, got, c.want)
		}
	}
	idle, err := net.DialTimeout("tcp", m.Addr(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if v := scrape(t, m).value(t, "hbd_info", "node=node1"); v != 1 {
		t.Errorf("scrape beside an idle connection: hbd_info = %v", v)
	}
}

// The text is what Prometheus' client library wrote before hbd wrote its
// own, line for line where scripts grep it: labels sorted by name, le
// last, HELP and TYPE before each family.
func TestExpositionText(t *testing.T) {
	m := newTest(t)
	m.Heartbeat(1, 100*time.Millisecond, time.Second)
	resp, err := http.Get("http://" + m.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	for _, want := range []string{
		"# HELP hbd_link_up 1 while the node's link is up.\n# TYPE hbd_link_up gauge\n",
		"\nhbd_link_up{link=\"eth1\",node=\"node2\"} 0\n",
		"\nhbd_resource_actions_total{kind=\"take\",reason=\"mach_down\",result=\"ok\"} 0\n",
		"\nhbd_heartbeat_interval_seconds_bucket{node=\"node2\",le=\"0.1\"} 1\n",
		"\nhbd_heartbeat_interval_seconds_bucket{node=\"node2\",le=\"+Inf\"} 1\n",
		"\nhbd_heartbeat_interval_seconds_count{node=\"node2\"} 1\n",
		"\n# TYPE process_cpu_seconds_total counter\n",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("no %q in the exposition", want)
		}
	}
}
