package cib

import (
	"testing"
	"time"
)

func TestParseInterval(t *testing.T) {
	good := map[string]time.Duration{"20s": 20 * time.Second, "2min": 2 * time.Minute, "2m": 2 * time.Minute,
		"5": 5 * time.Second, " 10 SEC ": 10 * time.Second, "500ms": 500 * time.Millisecond, "1h": time.Hour,
		"1hr": time.Hour, "250msec": 250 * time.Millisecond, "7us": 7 * time.Microsecond}
	for s, want := range good {
		if d, ok := ParseInterval(s); !ok || d != want {
			t.Errorf("ParseInterval(%q) = %v, %v; want %v", s, d, ok, want)
		}
	}
	for _, s := range []string{"", "s", "-5s", "1.5s", "P1D", "5 days", "99999999999999999999", "9999999999999h"} {
		if d, ok := ParseInterval(s); ok {
			t.Errorf("ParseInterval(%q) = %v, want refused", s, d)
		}
	}
}

func FuzzParseInterval(f *testing.F) {
	for _, s := range []string{"20s", "2min", "5", "500ms", "1h", "-1", "9999999999999h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, ok := ParseInterval(s); ok && d < 0 {
			t.Fatalf("ParseInterval(%q) = %v: negative", s, d)
		}
	})
}
