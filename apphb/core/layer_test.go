package core

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

const ms = int64(time.Millisecond)

func lines(l *Layer) (out []string, evs []Event) {
	rd := l.Ready()
	for _, ln := range rd.Log.Lines {
		out = append(out, ln.String())
	}
	evs = append(evs, rd.Events...)
	l.Advance()
	return out, evs
}

func reg(t *testing.T, l *Layer, now int64, id ConnID, inst string) {
	t.Helper()
	l.Open(now, id, 100, 0, 0)
	if rc, reply, signed := l.Request(now, id, AppendReg(nil, "app", inst, "/", 100, 0, 0)); rc != OK || !reply || !signed {
		t.Fatalf("reg: %d %v %v", rc, reply, signed)
	}
}

// A timer fires exactly at its deadline, never before; each heartbeat
// pushes it back; one failure is reported per silence.
func TestTimerExact(t *testing.T) {
	l := New(Config{})
	reg(t, l, 0, 1, "i")
	l.Request(0, 1, AppendInt(nil, KindSetInt, 100))
	l.Request(50*ms, 1, AppendBare(nil, KindHB))
	if d, ok := l.Deadline(); !ok || d != 150*ms {
		t.Fatalf("deadline %d %v, want 150 ms", d, ok)
	}
	lines(l)
	l.Tick(150*ms - 1)
	if out, _ := lines(l); len(out) != 0 {
		t.Fatalf("fired early: %q", out)
	}
	l.Tick(150 * ms)
	out, evs := lines(l)
	if len(out) != 1 || out[0] != "WARN: apphb client 'app' / 'i' (pid 100) failed to heartbeat" || evs[0].Kind != EventFailed || evs[0].Due != 150*ms {
		t.Fatalf("at the deadline: %q %+v", out, evs)
	}
	l.Tick(10000 * ms)
	if out, _ := lines(l); len(out) != 0 {
		t.Fatalf("a second failure for one silence: %q", out)
	}
	l.Request(400*ms, 1, AppendBare(nil, KindHB))
	if out, _ := lines(l); strings.Join(out, "|") != "info: apphb client 'app' / 'i' (pid 100) resumed heartbeats" {
		t.Fatalf("resume: %q", out)
	}
}

func TestLateAndNoTimer(t *testing.T) {
	l := New(Config{})
	reg(t, l, 0, 1, "i")
	l.Request(0, 1, AppendInt(nil, KindSetWarn, 100))
	l.Request(0, 1, AppendInt(nil, KindSetInt, 0)) // no timer
	if _, ok := l.Deadline(); ok {
		t.Fatal("setint 0 left a timer")
	}
	l.Request(100*ms, 1, AppendBare(nil, KindHB)) // exactly the warn time: not late
	l.Request(250*ms, 1, AppendBare(nil, KindHB))
	out, evs := lines(l)
	if len(out) != 2 || out[1] != "info: apphb client 'app' / 'i' (pid 100) late heartbeat: 150 ms" || evs[0].Kind != EventLate {
		t.Fatalf("%q", out)
	}
}

// unreg removes the client without a hangup; a later close says nothing.
func TestUnregThenClose(t *testing.T) {
	l := New(Config{})
	reg(t, l, 0, 1, "i")
	lines(l)
	if rc, _, _ := l.Request(0, 1, AppendBare(nil, KindUnreg)); rc != OK {
		t.Fatal(rc)
	}
	l.Close(0, 1)
	out, evs := lines(l)
	if strings.Join(out, "|") != "info: apphb_client_remove: client: 100" || len(evs) != 1 || evs[0].Kind != EventUnreg {
		t.Fatalf("%q %+v", out, evs)
	}
	if l.Clients() != 0 || l.timers.Len() != 0 {
		t.Fatal("client kept")
	}
}

func TestReadyTwicePanics(t *testing.T) {
	l := New(Config{})
	l.Ready()
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	l.Ready()
}

// A heartbeat allocates nothing.
func TestHeartbeatAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	l := New(Config{})
	reg(t, l, 0, 1, "i")
	l.Request(0, 1, AppendInt(nil, KindSetInt, 1000))
	hb := AppendBare(nil, KindHB)
	now := int64(0)
	lines(l)
	if n := testing.AllocsPerRun(1000, func() {
		now += ms
		l.Request(now, 1, hb)
		l.Tick(now)
		l.Ready()
		l.Advance()
	}); n != 0 {
		t.Fatalf("%v allocations per heartbeat", n)
	}
}

func TestParseConf(t *testing.T) {
	c, err := ParseConf("apphbd.cf", []byte("debug_level 1\nlogfile /x\nrealtime no\nnotify_plugin recmgr\n"))
	if err != nil || c.DebugLevel != 1 || c.LogFile != "/x" || c.Realtime || len(c.NotifyPlugins) != 1 {
		t.Fatalf("%+v %v", c, err)
	}
	for bad, want := range map[string]string{
		"frobnicate 1\n":        "a.cf:2: Illegal directive [frobnicate] in a.cf",
		"debug_level x\n":       "a.cf:2: debug_level: \"x\" is not a number",
		"notify_plugin other\n": "a.cf:2: notify_plugin other: no such plugin",
		"realtime maybe\n":      "a.cf:2: realtime",
	} {
		_, err := ParseConf("a.cf", []byte("# c\n"+bad))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: %v, want %q", bad, err, want)
		}
	}
}

// Requests decode as the captured session sent them: setwarn 600.
func TestDecodeCaptured(t *testing.T) {
	var r Req
	body := []byte("setwarn\x00\x58\x02\x00\x00\x00\x00\x00\x00")
	if !Decode(body, &r) || r.Kind != KindSetWarn || r.Value != 600 {
		t.Fatalf("%+v", r)
	}
	if !bytes.Equal(AppendInt(nil, KindSetWarn, 600), body) {
		t.Fatal("re-encoding differs")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(AppendReg(nil, "heartbeat", "master_control_process", "/", 28064, 0, 0))
	f.Add(AppendInt(nil, KindSetInt, 1000))
	f.Add(AppendBare(nil, KindHB))
	f.Add([]byte("setboot"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Req
		ok := Decode(b, &r)
		if !ok || r.Kind == KindUnknown || len(r.Name) == NameLen || len(r.Instance) == NameLen || len(r.Curdir) == NameLen {
			return // a field without its NUL is cut when encoded (the layer refuses it)
		}
		// What decodes re-encodes to a body that decodes the same.
		var enc []byte
		switch r.Kind {
		case KindReg:
			enc = AppendReg(nil, string(r.Name), string(r.Instance), string(r.Curdir), r.PID, r.UID, r.GID)
		case KindSetInt, KindSetWarn, KindSetBoot:
			enc = AppendInt(nil, r.Kind, r.Value)
		default:
			enc = AppendBare(nil, r.Kind)
		}
		var r2 Req
		if !Decode(enc, &r2) || r2.Kind != r.Kind || r2.Value != r.Value || r2.PID != r.PID ||
			!bytes.Equal(r2.Name, r.Name) || !bytes.Equal(r2.Instance, r.Instance) {
			t.Fatalf("%+v re-decoded as %+v", r, r2)
		}
		// Any body through the layer never panics.
		l := New(Config{})
		l.Open(0, 1, r.PID, r.UID, r.GID)
		l.Request(0, 1, b)
		l.Request(1, 1, b)
		l.Tick(int64(DefaultInterval) + 2)
		l.Close(3, 1)
	})
}
