package netns

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/clustertest"
	"github.com/hbd-ha/hbd/internal/netnstest"
)

// bigmsgCmd runs the bigmsg API client (testdata/bigmsg) against d's API
// socket, inside d's PID namespace (the server checks the client's pid).
func bigmsgCmd(bin string, d *clustertest.Daemon, args ...string) *exec.Cmd {
	sock := filepath.Join(d.Dir, "run", "heartbeat", "register")
	return exec.Command("nsenter", append([]string{"-t", fmt.Sprint(d.Pid()), "-p", "--", bin, args[0], sock}, args[1:]...)...)
}

// A 200 KB message an hbd client sends reaches a client of heartbeat
// 3.0.6 intact: hbd compresses it whole, as it is more than a datagram
// (the API carries less than 256 KiB, from which heartbeat itself would
// compress), and heartbeat decompresses it. Before, hbd could not send it.
func TestHeartbeatInteropBigMessage(t *testing.T) {
	clustertest.RequireHeartbeat(t)
	bin := filepath.Join(t.TempDir(), "bigmsg")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/bigmsg").CombinedOutput(); err != nil {
		t.Fatalf("build bigmsg: %v\n%s", err, out)
	}
	// Named clients need an apiauth line, in heartbeat as in hbd.
	spec := interopSpec(2)
	spec.Extra = "apiauth bigmsg uid=root\n"
	net := netnstest.New(t, netnstest.Config{Hosts: 2})
	hb := clustertest.NewHeartbeat(t, net.Host(1), "node1", func(log string) string { return spec.HaCF(net, 1, log) })
	hd := clustertest.NewHBD(t, net.Host(2), "node2", func(log string) string { return spec.HaCF(net, 2, log) })
	hb.Start()
	hd.Start()
	hd.Log.Wait(t, "Status update for node node1: status active", time.Now().Add(-time.Minute), 20*time.Second)
	hb.WaitNodeStatus("node2", "active", 20*time.Second)
	recv := bigmsgCmd(bin, hb, "recv")
	var rerr bytes.Buffer
	recv.Stderr = &rerr
	out, err := recv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := recv.Start(); err != nil {
		t.Fatal(err)
	}
	defer recv.Process.Kill()
	lines := bufio.NewScanner(out)
	if !lines.Scan() || lines.Text() != "ready" {
		recv.Wait()
		t.Fatalf("heartbeat's client did not sign on: %q %s", lines.Text(), rerr.String())
	}
	sent, err := bigmsgCmd(bin, hd, "send", "200000").CombinedOutput()
	if err != nil {
		t.Fatalf("hbd's client: %v\n%s", err, sent)
	}
	got := make(chan string, 1)
	go func() {
		if lines.Scan() {
			got <- lines.Text()
		}
		close(got)
	}()
	select {
	case g := <-got:
		if want := strings.TrimSpace(string(sent)); g != want {
			recv.Wait()
			t.Fatalf("heartbeat's client got %q, hbd's sent %q; %s", g, want, rerr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("heartbeat's client got nothing within 20 s")
	}
	recv.Wait()
	clustertest.CheckHeartbeatLog(t, hb)
}
