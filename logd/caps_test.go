package logd_test

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/ipc"
	"github.com/hbd-ha/hbd/logd"
	"github.com/hbd-ha/hbd/loop"
)

func serveLogd(t *testing.T, conf logd.Conf, opt logd.Options) (*logd.Server, string) {
	t.Helper()
	l, err := loop.New(loop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if opt.Socket == "" {
		opt.Socket = filepath.Join(t.TempDir(), "log_daemon")
	}
	srv, err := logd.Listen(l, conf, opt)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Run() }()
	t.Cleanup(func() {
		l.Stop()
		<-done
		srv.Close()
		l.Close()
	})
	return srv, opt.Socket
}

func closedSoon(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(time.Second))
	var b [64]byte
	for {
		_, err := c.Read(b[:])
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return false
		}
		if err != nil {
			return true // EOF, or a reset when our unread bytes were dropped
		}
	}
}

// A frame above the cap, a broken record and a client beyond MaxConns are
// closed; a flood larger than the queue to the writer is dropped,
// counted and said, never waited for.
func TestLogdCaps(t *testing.T) {
	dir := t.TempDir()
	conf := logd.DefaultConf()
	conf.LogFile = filepath.Join(dir, "ha.log")
	conf.Facility = "none"
	conf.SendQLen = 16
	srv, sock := serveLogd(t, conf, logd.Options{IPC: ipc.Options{MaxConns: 3, MaxFrame: 4096}, MaxRate: 1 << 30})

	dialT := func() net.Conn {
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	big := dialT()
	big.Write(ipc.AppendRawFrame(nil, 8192, ipc.Magic, make([]byte, 8192)))
	if !closedSoon(big) {
		t.Error("a frame above MaxFrame was kept")
	}
	broken := dialT()
	broken.Write(ipc.AppendRawFrame(nil, 10, ipc.Magic, make([]byte, 10)))
	if !closedSoon(broken) {
		t.Error("a broken record was kept")
	}
	var held []net.Conn
	for range 3 {
		held = append(held, dialT())
	}
	if !closedSoon(dialT()) {
		t.Error("a fourth client was kept with MaxConns 3")
	}
	for _, c := range held {
		c.Close()
	}
	time.Sleep(50 * time.Millisecond)

	s := &logd.Sender{Socket: sock, Entity: "flood", PID: 1}
	start := time.Now()
	for range 20000 {
		if err := s.Forward(time.Now(), prio.Info, "flood line"); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("20000 records took %v", d)
	}
	for deadline := time.Now().Add(5 * time.Second); srv.Dropped() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Skip("the writer kept up with 20000 records: nothing to drop on this machine")
		}
	}
	s2 := &logd.Sender{Socket: sock, Entity: "late", PID: 2}
	time.Sleep(100 * time.Millisecond)
	s2.Forward(time.Now(), prio.Info, "after the flood")
	s2.Close()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(conf.LogFile)
		if strings.Contains(string(b), "logd: ["+strconv.Itoa(os.Getpid())+"]: WARN: ") && strings.Contains(string(b), "log lines dropped (queue full)") && strings.Contains(string(b), "after the flood") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no drop line (dropped %d)", srv.Dropped())
		}
	}
}

// A client above its rate loses its excess, counted and said once it
// leaves; the others' lines are not crowded out.
func TestLogdRate(t *testing.T) {
	dir := t.TempDir()
	conf := logd.DefaultConf()
	conf.LogFile = filepath.Join(dir, "ha.log")
	conf.Facility = "none"
	conf.SendQLen = 1024
	srv, sock := serveLogd(t, conf, logd.Options{MaxRate: 100})
	s := &logd.Sender{Socket: sock, Entity: "flood", PID: 9}
	for range 300 {
		if err := s.Forward(time.Now(), prio.Info, "flood line"); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	quiet := &logd.Sender{Socket: sock, Entity: "quiet", PID: 10}
	quiet.Forward(time.Now(), prio.Info, "still heard")
	quiet.Close()
	var text string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(conf.LogFile)
		text = string(b)
		if strings.Contains(text, "still heard") && strings.Contains(text, "records dropped") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("log:\n%s", text)
		}
	}
	got := strings.Count(text, "flood: [9]: info: flood line")
	if dropped := srv.RateDropped(); got+int(dropped) != 300 || got < 100 {
		t.Errorf("%d written and %d dropped of 300 (rate 100/s)", got, dropped)
	}
	if !strings.Contains(text, "WARN: client pid "+strconv.Itoa(os.Getpid())+": ") {
		t.Errorf("the drop is not said:\n%s", text)
	}
}
