package logtail

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Lines are seen as they are completed, a partial line only once it
// ends, and a file that appears late is followed too.
func TestTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	tl := Start(path)
	defer tl.Stop()
	time.Sleep(5 * time.Millisecond)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	begin := time.Now()
	f.WriteString("first line\nsec")
	wait(t, tl, "first line", begin)
	if _, ok := tl.Find("sec", begin); ok {
		t.Fatal("a partial line was reported")
	}
	f.WriteString("ond line\n")
	l := wait(t, tl, "second line", begin)
	if l.Text != "second line" || l.At.Before(begin) {
		t.Errorf("got %+v", l)
	}
	if n := len(tl.Since(begin)); n != 2 {
		t.Errorf("%d lines since the start, want 2", n)
	}
	if _, ok := tl.Find("first", time.Now().Add(time.Hour)); ok {
		t.Error("Find ignores since")
	}
}

func wait(t *testing.T, tl *Tail, s string, since time.Time) Line {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if l, ok := tl.Find(s, since); ok {
			return l
		}
	}
	t.Fatalf("no line %q", s)
	return Line{}
}
