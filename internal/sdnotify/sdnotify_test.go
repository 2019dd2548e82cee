package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/sysio"
)

// listen opens a unix datagram socket as systemd does and points
// NOTIFY_SOCKET at it.
func listen(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", name)
	return c
}

func recv(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 4096)
	n, err := c.Read(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(b[:n])
}

func TestMessages(t *testing.T) {
	for _, name := range []string{
		filepath.Join(t.TempDir(), "notify"),
		fmt.Sprintf("@hbd-sdnotify-test-%d", os.Getpid()),
	} {
		c := listen(t, name)
		for _, tc := range []struct {
			send func() error
			want string
		}{
			{Ready, "READY=1"},
			{Stopping, "STOPPING=1"},
			{Watchdog, "WATCHDOG=1"},
			{func() error { return Status("2 nodes up") }, "STATUS=2 nodes up"},
		} {
			if err := tc.send(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got := recv(t, c); got != tc.want {
				t.Errorf("%s: got %q, want %q", name, got, tc.want)
			}
		}
		before := sysio.Monotonic() / 1000
		if err := Reloading(); err != nil {
			t.Fatal(err)
		}
		after := sysio.Monotonic() / 1000
		got := recv(t, c)
		v, ok := strings.CutPrefix(got, "RELOADING=1\nMONOTONIC_USEC=")
		usec, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil || usec < before || usec > after {
			t.Errorf("%s: got %q, want RELOADING=1 and MONOTONIC_USEC in [%d, %d]", name, got, before, after)
		}
	}
}

func TestUnsetIsNoop(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	for _, f := range []func() error{Ready, Stopping, Watchdog, Reloading} {
		if err := f(); err != nil {
			t.Errorf("without NOTIFY_SOCKET: %v", err)
		}
	}
}

func TestErrors(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "vsock:2:1234")
	if err := Ready(); !errors.Is(err, ErrUnsupported) {
		t.Errorf("vsock address: %v, want ErrUnsupported", err)
	}
	missing := filepath.Join(t.TempDir(), "nobody-listens")
	t.Setenv("NOTIFY_SOCKET", missing)
	if err := Ready(); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("no listener: %v, want an error naming the socket", err)
	}
}

func TestWatchdogEnabled(t *testing.T) {
	pid := strconv.Itoa(os.Getpid())
	for _, tc := range []struct {
		usec, pid string
		want      time.Duration
		ok        bool
	}{
		{"", "", 0, false},
		{"3000000", "", 3 * time.Second, true},
		{"500", pid, 500 * time.Microsecond, true},
		{"3000000", "1", 0, false}, // another process's watchdog
		{"0", "", 0, false},
		{"-5", "", 0, false},
		{"12x", "", 0, false},
		{"99999999999999999999", "", 0, false},
	} {
		t.Setenv("WATCHDOG_USEC", tc.usec)
		t.Setenv("WATCHDOG_PID", tc.pid)
		if got, ok := WatchdogEnabled(); got != tc.want || ok != tc.ok {
			t.Errorf("WATCHDOG_USEC=%q WATCHDOG_PID=%q: %v, %v; want %v, %v", tc.usec, tc.pid, got, ok, tc.want, tc.ok)
		}
	}
}

func TestWatchdogAllocatesNothing(t *testing.T) {
	c := listen(t, filepath.Join(t.TempDir(), "notify"))
	go func() {
		b := make([]byte, 64)
		for {
			if _, err := c.Read(b); err != nil {
				return
			}
		}
	}()
	if n := testing.AllocsPerRun(100, func() { Watchdog() }); n != 0 {
		t.Errorf("Watchdog allocates %.0f times", n)
	}
}

func BenchmarkWatchdog(b *testing.B) {
	name := filepath.Join(b.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	go func() {
		buf := make([]byte, 64)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
		}
	}()
	b.Setenv("NOTIFY_SOCKET", name)
	b.ReportAllocs()
	for b.Loop() {
		if err := Watchdog(); err != nil {
			b.Fatal(err)
		}
	}
}
