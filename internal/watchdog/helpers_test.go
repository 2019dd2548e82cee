package watchdog

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
)

// line is one logged line.
type line struct {
	level prio.Level
	msg   string
}

func (l line) String() string { return l.level.String() + " " + strconv.Quote(l.msg) }

// logs collects what a Watchdog logs.
type logs struct {
	mu    sync.Mutex
	lines []line
}

func (l *logs) log(level prio.Level, msg string) {
	l.mu.Lock()
	l.lines = append(l.lines, line{level, msg})
	l.mu.Unlock()
}

func (l *logs) get() []line {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

// expect fails unless exactly want was logged so far.
func (l *logs) expect(t *testing.T, want ...line) {
	t.Helper()
	if got := l.get(); !slices.Equal(got, want) {
		t.Fatalf("logged %v, want %v", got, want)
	}
}

// mkfifo makes a FIFO in the test's own directory.
func mkfifo(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "watchdog")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatalf("mkfifo %s: %v", path, err)
	}
	return path
}

// openReader opens the FIFO's read end without waiting for a writer, so
// that the Watchdog's non-blocking open finds a reader.
func openReader(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatalf("open %s for reading: %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// chunk is what one read of the FIFO returned, and when.
type chunk struct {
	data string
	at   time.Time
}

// record reads f until end of file (the writer closed) or an error,
// sending each read's bytes with the time they arrived. Start it only
// once a writer has the FIFO open: before that a read is end of file.
func record(f *os.File) <-chan chunk {
	ch := make(chan chunk, 16)
	go func() {
		defer close(ch)
		buf := make([]byte, 64)
		for {
			n, err := f.Read(buf)
			if n > 0 {
				ch <- chunk{string(buf[:n]), time.Now()}
			}
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) {
					ch <- chunk{data: "read error: " + err.Error()}
				}
				return
			}
		}
	}()
	return ch
}

// next waits for the next chunk; ok is false at end of file.
func next(t *testing.T, ch <-chan chunk) (c chunk, ok bool) {
	t.Helper()
	select {
	case c, ok = <-ch:
		return c, ok
	case <-time.After(10 * time.Second):
		t.Fatal("nothing read from the FIFO in 10 s")
		return chunk{}, false
	}
}
