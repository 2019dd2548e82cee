package master

import "testing"

func TestGenerationFile(t *testing.T) {
	b := AppendGeneration(nil, 1795316772)
	if string(b) != "     1795316772\n" || len(b) != GenerationFileLen {
		t.Fatalf("AppendGeneration = %q", b)
	}
	for _, c := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"     1795316772\n", 1795316772, true},
		{"1\n", 1, true},
		{"  +42xyz", 42, true},
		{"\t7", 7, true},
		{"", 0, false},
		{"garbage\n", 0, false},
		{"               \n", 0, false},
		{"              12345", 12, true}, // only the first 16 bytes count
	} {
		got, ok := ParseGeneration([]byte(c.in))
		if got != c.want || ok != c.ok {
			t.Errorf("ParseGeneration(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestNextGeneration(t *testing.T) {
	const now = 1795316771
	for _, c := range []struct {
		name  string
		file  string
		found bool
		gen   uint64
		logs  []string
	}{
		{"missing", "", false, now + 1, []string{"WARN: No Previous generation - starting at 1795316772", "info: Heartbeat generation: 1795316772"}},
		{"empty", "", true, now + 1, []string{"WARN: No Previous generation - starting at 1795316772", "info: Heartbeat generation: 1795316772"}},
		{"next", "     1795316772\n", true, 1795316773, []string{"info: Heartbeat generation: 1795316773"}},
		{"broken", "xx\n", true, 1, []string{"WARN: BROKEN previous generation - starting at 1795316772", "info: Heartbeat generation: 1"}},
	} {
		gen, out, logs := NextGeneration([]byte(c.file), c.found, now)
		if gen != c.gen {
			t.Errorf("%s: gen %d, want %d", c.name, gen, c.gen)
		}
		if back, ok := ParseGeneration(out); !ok || back != gen || len(out) != GenerationFileLen {
			t.Errorf("%s: writes %q", c.name, out)
		}
		var got []string
		for _, l := range logs {
			got = append(got, l.String())
		}
		if len(got) != len(c.logs) {
			t.Errorf("%s: logs %q, want %q", c.name, got, c.logs)
			continue
		}
		for i := range got {
			if got[i] != c.logs[i] {
				t.Errorf("%s: log %q, want %q", c.name, got[i], c.logs[i])
			}
		}
	}
}
