package logd

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

// captured is the body ha_logger sent to the real ha_logd
// (ha_logger -t v2test "hello through ha_logd", pid 9302).
const captured = "0200000008000000060000001600000000000000562400007632746573740000" +
	"0000000000000000000000000000000000000000000000000000000000000000" +
	"00000000000000000000000000000000000000000000000024f6156b00000000" +
	"68656c6c6f207468726f7567682068615f6c6f676400"

func TestDecodeCaptured(t *testing.T) {
	body, _ := hex.DecodeString(captured)
	var r Record
	if err := Decode(body, &r); err != nil {
		t.Fatal(err)
	}
	if r.Facility != 8 || r.Priority != 6 || r.UsePriStr || r.PID != 9302 || string(r.Entity) != "v2test" ||
		r.Time != 1796601380 || string(r.Text) != "hello through ha_logd" {
		t.Fatalf("decoded %+v", r)
	}
	if got := AppendRecord(nil, &r); !bytes.Equal(got, body) {
		t.Fatalf("re-encoded\n%x\nwant\n%x", got, body)
	}
	line := AppendLine(nil, &r, "node1", time.UTC)
	if want := "Dec 06 23:56:20 node1 v2test: [9302]: hello through ha_logd\n"; string(line) != want {
		t.Fatalf("line %q, want %q", line, want)
	}
	r.UsePriStr = true
	if line := AppendLine(nil, &r, "node1", time.UTC); !strings.Contains(string(line), "]: info: hello") {
		t.Fatalf("with use_pri_str: %q", line)
	}
}

func TestDecodeErrors(t *testing.T) {
	body, _ := hex.DecodeString(captured)
	var r Record
	for _, c := range []struct {
		name string
		b    []byte
		want error
	}{
		{"short", body[:95], ErrShort},
		{"type", append([]byte{3}, body[1:]...), ErrType},
		{"text longer than frame", body[:len(body)-1], ErrTextLen},
		{"no text", body[:HeaderSize], ErrTextLen},
	} {
		if err := Decode(c.b, &r); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestParseConf(t *testing.T) {
	c, err := ParseConf("logd.cf", []byte("# comment\nlogfile /a\ndebugfile /b # trailing\nlogfacility none\nentity me\nsendqlen 7\nlogmode 0600\nuseapphbd yes\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.LogFile != "/a" || c.DebugFile != "/b" || c.Facility != "none" || c.Entity != "me" || c.SendQLen != 7 || c.LogMode != 0o600 || !c.UseApphbd {
		t.Fatalf("%+v", c)
	}
	for _, bad := range []string{"bogus 1\n", "logfile\n", "sendqlen -1\n", "logmode 999\n", "useapphbd maybe\n"} {
		_, err := ParseConf("x.cf", []byte("logfile /a\n"+bad))
		if err == nil || !strings.HasPrefix(err.Error(), "x.cf:2: ") {
			t.Errorf("%q: %v, want an error at x.cf:2", bad, err)
		}
	}
}

// Decode never panics, and what decodes re-encodes to a record that
// decodes the same (an entity or text cut at a NUL is the same cut).
func FuzzDecode(f *testing.F) {
	body, _ := hex.DecodeString(captured)
	f.Add(body)
	f.Add(AppendRecord(nil, &Record{Priority: 7, UsePriStr: true, PID: 1, Entity: []byte("heartbeat"), Time: 1, Text: []byte("x")}))
	f.Add(make([]byte, HeaderSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Record
		if Decode(b, &r) != nil {
			return
		}
		enc := AppendRecord(nil, &r)
		var r2 Record
		if err := Decode(enc, &r2); err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if r2.Facility != r.Facility || r2.Priority != r.Priority || r2.UsePriStr != r.UsePriStr || r2.PID != r.PID ||
			r2.Time != r.Time || !bytes.Equal(r2.Entity, r.Entity) || !bytes.Equal(r2.Text, r.Text) {
			t.Fatalf("%+v re-decoded as %+v", r, r2)
		}
		AppendLine(nil, &r, "node", time.UTC)
	})
}
