package netns

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

// scrape fetches a metrics page from inside h's network namespace.
func scrape(h *netnstest.Host, addr string) (string, error) {
	var body string
	var err error
	h.Run(func() {
		var c net.Conn
		if c, err = net.DialTimeout("tcp", addr, time.Second); err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err = io.WriteString(c, "GET /metrics HTTP/1.0\r\nHost: hbd\r\n\r\n"); err != nil {
			return
		}
		var resp *http.Response
		if resp, err = http.ReadResponse(bufio.NewReader(c), nil); err != nil {
			return
		}
		defer resp.Body.Close()
		var b []byte
		b, err = io.ReadAll(resp.Body)
		body = string(b)
	})
	return body, err
}

// The metrics endpoint follows the cluster: a peer's death shows within a
// second of the daemon's verdict, with its link, and heartbeats are
// counted in the inter-arrival histogram.
func TestMetricsNodeDeath(t *testing.T) {
	const addr = "127.0.0.1:9694"
	spec := clustertest.Spec{Nodes: 2, Media: "bcast", Keepalive: "100ms", Deadtime: "1", Initdead: "10"}
	net := netnstest.New(t, netnstest.Config{Hosts: 2})
	n1 := clustertest.NewHBD(t, net.Host(1), "node1", func(log string) string {
		return spec.HaCF(net, 1, log) + "hbd_metrics_listen " + addr + "\n"
	})
	n2 := clustertest.NewHBD(t, net.Host(2), "node2", func(log string) string { return spec.HaCF(net, 2, log) })
	net.Host(1).Exec("ip", "link", "set", "lo", "up")
	n1.Start()
	n2.Start()
	n1.Log.Wait(t, "Status update for node node2: status active", time.Now().Add(-time.Minute), 20*time.Second)
	waitMetric(t, net.Host(1), addr, `hbd_node_status{node="node2",status="active"} 1`, 5*time.Second)
	waitMetric(t, net.Host(1), addr, `hbd_link_up{link="eth0",node="node2"} 1`, 5*time.Second)
	// The first status after a join has no interval yet; later ones count.
	const count = `hbd_heartbeat_interval_seconds_count{node="node2"} `
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		page := waitMetric(t, net.Host(1), addr, count, time.Second)
		if !strings.Contains(page, count+"0\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no heartbeat from node2 counted:\n%s", grepLines(page, "hbd_heartbeat_interval_seconds_count"))
		}
	}
	time.Sleep(6 * time.Second)
	killed := n2.Kill9()
	dead := n1.Log.Wait(t, "node node2: is dead", killed, 5*time.Second)
	waitMetric(t, net.Host(1), addr, `hbd_node_status{node="node2",status="dead"} 1`, 5*time.Second)
	if seen := time.Since(dead.At); seen > time.Second+200*time.Millisecond {
		t.Errorf("the metric showed node2 dead %v after the daemon declared it (want within 1 s)", seen)
	}
	waitMetric(t, net.Host(1), addr, `hbd_link_up{link="eth0",node="node2"} 0`, time.Second)
}

// waitMetric polls the endpoint until a line starts with want.
func waitMetric(t *testing.T, h *netnstest.Host, addr, want string, timeout time.Duration) string {
	t.Helper()
	var page string
	var err error
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if page, err = scrape(h, addr); err == nil {
			for _, l := range strings.Split(page, "\n") {
				if strings.HasPrefix(l, want) {
					return page
				}
			}
		}
	}
	t.Fatalf("no metric %q within %v (err %v):\n%s", want, timeout, err, grepLines(page, "hbd_"))
	return ""
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
