// Package logtail follows a growing log file and stamps each line with
// the time it appeared, so that a test or the demo can time what a daemon
// logged more finely than the log's own second-resolution stamps.
package logtail

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// Line is one log line and when it was seen.
type Line struct {
	At   time.Time
	Text string
}

// Tail reads a file every millisecond until Stop. The file may appear
// after Start.
type Tail struct {
	mu    sync.Mutex
	lines []Line
	stop  chan struct{}
	done  chan struct{}
}

// Start follows path.
func Start(path string) *Tail {
	t := &Tail{stop: make(chan struct{}), done: make(chan struct{})}
	go t.run(path)
	return t
}

func (t *Tail) run(path string) {
	defer close(t.done)
	var f *os.File
	var r *bufio.Reader
	var partial string
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			if f != nil {
				f.Close()
			}
			return
		case <-tick.C:
		}
		if f == nil {
			var err error
			if f, err = os.Open(path); err != nil {
				continue
			}
			r = bufio.NewReader(f)
		}
		for {
			s, err := r.ReadString('\n')
			partial += s
			if err != nil {
				break // a partial line waits for its end
			}
			t.mu.Lock()
			t.lines = append(t.lines, Line{time.Now(), strings.TrimSuffix(partial, "\n")})
			t.mu.Unlock()
			partial = ""
		}
	}
}

// Stop ends the reading; the lines stay readable. It may be called more
// than once.
func (t *Tail) Stop() {
	select {
	case <-t.stop:
	default:
		close(t.stop)
	}
	<-t.done
}

// Since returns the lines seen at or after since.
func (t *Tail) Since(since time.Time) []Line {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Line
	for _, l := range t.lines {
		if !l.At.Before(since) {
			out = append(out, l)
		}
	}
	return out
}

// Find returns the first line containing s seen at or after since.
func (t *Tail) Find(s string, since time.Time) (Line, bool) {
	for _, l := range t.Since(since) {
		if strings.Contains(l.Text, s) {
			return l, true
		}
	}
	return Line{}, false
}

// Text returns every line, each prefixed with the time it was seen.
func (t *Tail) Text() string {
	var b strings.Builder
	for _, l := range t.Since(time.Time{}) {
		fmt.Fprintf(&b, "%s %s\n", l.At.Format("15:04:05.000"), l.Text)
	}
	return b.String()
}
