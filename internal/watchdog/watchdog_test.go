package watchdog

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
)

func TestTickleReachesDeviceAtOnce(t *testing.T) {
	dev := mkfifo(t)
	r := openReader(t, dev)
	var l logs
	w := Open(dev, Options{Log: l.log, Deadtime: 2 * time.Second})
	if !w.Enabled() {
		t.Fatalf("Open(%s) with a reader is disabled; logged %v", dev, l.get())
	}
	got := record(r)

	// Heartbeat tickles once on open; then once per keepalive. Each
	// keepalive must reach the device by itself, when it is made.
	if c, _ := next(t, got); c.data != "\x00" {
		t.Fatalf("after Open read %q, want one NUL", c.data)
	}
	const keepalives = 5
	for i := range keepalives {
		before := time.Now()
		w.Tickle()
		c, ok := next(t, got)
		if !ok || c.data != "\x00" {
			t.Fatalf("keepalive %d: read %q (open %v), want one NUL", i, c.data, ok)
		}
		if c.at.Before(before) {
			t.Fatalf("keepalive %d arrived at %v, before Tickle at %v", i, c.at, before)
		}
	}
	w.MagicClose()
	if c, ok := next(t, got); !ok || c.data != "V" {
		t.Fatalf("at close read %q (open %v), want the magic V", c.data, ok)
	}
	if c, ok := next(t, got); ok {
		t.Fatalf("after the magic V read %q, want end of file (writer closed)", c.data)
	}
	if w.Enabled() {
		t.Error("Enabled after MagicClose")
	}
	l.expect(t,
		line{prio.Notice, "Using watchdog device: " + dev},
		line{prio.Debug, "Successful watchdog 'V' write"},
		line{prio.Debug, "Successful watchdog close"})
}

func TestMagicCloseOnce(t *testing.T) {
	dev := filepath.Join(t.TempDir(), "watchdog")
	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var l logs
	w := Open(dev, Options{Log: l.log})
	w.Tickle()
	w.Tickle()
	w.MagicClose()
	w.MagicClose()
	w.Tickle() // closed: must not write
	if w.Enabled() {
		t.Error("Enabled after MagicClose")
	}
	data, err := os.ReadFile(dev)
	if err != nil {
		t.Fatal(err)
	}
	// One NUL from Open, two from Tickle, one V.
	if want := "\x00\x00\x00V"; string(data) != want {
		t.Errorf("device got %q, want %q", data, want)
	}
	l.expect(t,
		line{prio.Notice, "Using watchdog device: " + dev},
		line{prio.Debug, "Successful watchdog 'V' write"},
		line{prio.Debug, "Successful watchdog close"})
}

func TestWriteFailureDisables(t *testing.T) {
	dev := mkfifo(t)
	r := openReader(t, dev)
	var l logs
	w := Open(dev, Options{Log: l.log})
	fd := w.fd
	r.Close() // the reader goes: the next write fails with EPIPE

	// SIGPIPE goes to the Go runtime, which ignores it on this
	// descriptor; the write's error is what counts.
	w.Tickle()
	if w.Enabled() {
		t.Fatal("still enabled after a failed write")
	}
	failed := []line{
		{prio.Notice, "Using watchdog device: " + dev},
		{prio.Error, "Watchdog write failure: closing " + dev + "!: Broken pipe"},
		{prio.Error, "Watchdog write magic character failure: closing " + dev + "!: Broken pipe"},
		{prio.Debug, "Successful watchdog close"},
	}
	l.expect(t, failed...)
	if target, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd)); err == nil && target == dev {
		t.Errorf("descriptor %d still open on %s", fd, dev)
	}
	// Disabled: no more writes, no more lines.
	w.Tickle()
	w.MagicClose()
	l.expect(t, failed...)
}

func TestOpenFailure(t *testing.T) {
	dir := t.TempDir()
	for name, dev := range map[string]string{
		"missing":         filepath.Join(dir, "missing"),
		"directory":       dir,
		"fifo, no reader": mkfifo(t),
		"empty path":      "",
		"under a non-dir": filepath.Join(mkfifo(t), "x"),
	} {
		t.Run(name, func(t *testing.T) {
			var l logs
			done := make(chan *Watchdog, 1)
			go func() { done <- Open(dev, Options{Log: l.log}) }()
			var w *Watchdog
			select {
			case w = <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("Open(%q) blocked", dev)
			}
			if w.Enabled() {
				t.Fatalf("Open(%q) is enabled", dev)
			}
			w.Tickle()
			w.MagicClose()
			l.expect(t, line{prio.Error, "Cannot open watchdog device: " + dev})
		})
	}
}

func TestSlowReaderSkipsTickles(t *testing.T) {
	dev := mkfifo(t)
	r := openReader(t, dev)
	var l logs
	w := Open(dev, Options{Log: l.log})
	// More tickles than a pipe holds (64 KiB by default) while nobody
	// reads: the loop must neither block nor lose the device.
	const tickles = 1 << 17
	for range tickles {
		w.Tickle()
	}
	if !w.Enabled() {
		t.Fatalf("disabled by a full FIFO; logged %v", l.get())
	}
	l.expect(t, line{prio.Notice, "Using watchdog device: " + dev})

	w.MagicClose()
	data, err := readAll(r)
	if err != nil {
		t.Fatal(err)
	}
	// Some tickles got through, the rest were skipped, not queued.
	if len(data) == 0 || len(data) >= tickles {
		t.Fatalf("read %d bytes after %d tickles", len(data), tickles+1)
	}
	if i := bytes.IndexFunc(data, func(r rune) bool { return r != 0 }); i >= 0 {
		t.Fatalf("byte %d is %q, want only NULs", i, data[i])
	}
	// The FIFO was still full when MagicClose ran: the V was refused.
	if want := "Watchdog write magic character failure: closing " + dev + "!: Resource temporarily unavailable"; !hasLine(l.get(), prio.Error, want) {
		t.Errorf("logged %v, want %q", l.get(), want)
	}
}

// readAll drains the FIFO's read end up to end of file.
func readAll(f *os.File) ([]byte, error) {
	var out []byte
	buf := make([]byte, 1<<16)
	for {
		n, err := f.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
	}
}

func hasLine(lines []line, level prio.Level, msg string) bool {
	for _, l := range lines {
		if l.level == level && l.msg == msg {
			return true
		}
	}
	return false
}
