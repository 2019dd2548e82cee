package prio

import "testing"

func TestWords(t *testing.T) {
	for l := Emerg; l <= Debug; l++ {
		got, ok := Parse(l.String())
		if !ok || got != l {
			t.Errorf("Parse(%q) = %v, %v", l.String(), got, ok)
		}
	}
	if Warn.String() != "WARN" || Info.String() != "info" || Error != 3 || Debug != 7 {
		t.Error("levels are not heartbeat's words in syslog order")
	}
	if _, ok := Parse("warning"); ok {
		t.Error("parsed a word heartbeat does not print")
	}
}
