package config

import (
	"math"
	"testing"
)

func TestGetMsec(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"1", 1000},
		{"1000ms", 1000},
		{"1000MS", 1000},
		{"1000000us", 1000},
		{"0.1", 100},
		{"100ms", 100},
		{"100000us", 100},
		{"0.001", 1},
		{"1ms", 1},
		{"1000us", 1},
		{"499us", 0},
		{"501us", 1},
		{"1.5", 1500},
		{"1.2.3", 1200}, // atof stops at the second dot
		{".", 0},        // no conversion
		{".5", 500},
		{"5.", 5000},
		{"0.0005", 1}, // 0.5 ms rounds up
		{"0.0004", 0},
		{"3usec", 0},
		{"2usfoo", 0}, // any unit starting "us" is microseconds
		{"2msfoo", 2}, // ... and "ms" milliseconds
		{"7cl_g", 7},  // cluster-glue compares the unit with "cl_get_msec"
		{"7CL_GX", 7},
		{"", 0},      // strchr finds the terminating NUL
		{" 2", 2000}, // leading blanks are skipped
		{"2 ms", 2},  // blanks before the unit too
		{"2\n", 2000},
		{"2s", -1},
		{"2sec", -1},
		{"1e3", -1},
		{"0x10", -1},
		{"-1", -1},
		{"ms", -1},
		{"99999999999999999999", math.MinInt64}, // cvttsd2si overflow
		{"9223372036854", 9223372036854000},
	} {
		if got := getMsec(tc.in); got != tc.want {
			t.Errorf("getMsec(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestAtoi(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"42", 42}, {" 42", 42}, {"+7", 7}, {"-7", -7}, {"42abc", 42}, {"abc", 0},
		{"", 0}, {"0x10", 0}, {"2147483648", math.MinInt32}, {"4294967297", 1},
		{"99999999999999999999", -1}, // strtol clamps to LONG_MAX, then truncated
		{"-99999999999999999999", 0},
		{"\v\f\r12", 12},
	} {
		if got := atoi(tc.in); got != tc.want {
			t.Errorf("atoi(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestParseBool(t *testing.T) {
	for _, s := range []string{"true", "on", "yes", "y", "1", "TRUE", "On", "Y"} {
		if v, ok := ParseBool(s); !v || !ok {
			t.Errorf("ParseBool(%q) = %v, %v; want true", s, v, ok)
		}
	}
	for _, s := range []string{"false", "off", "no", "n", "0", "NO"} {
		if v, ok := ParseBool(s); v || !ok {
			t.Errorf("ParseBool(%q) = %v, %v; want false", s, v, ok)
		}
	}
	for _, s := range []string{"", "2", "yess", "enable", "t"} {
		if _, ok := ParseBool(s); ok {
			t.Errorf("ParseBool(%q) accepted", s)
		}
	}
}

func TestInetAton(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "" = invalid
	}{
		{"224.0.0.1", "224.0.0.1"},
		{"224.1", "224.0.0.1"},
		{"0xe0000001", "224.0.0.1"},
		{"0340.0.0.1", "224.0.0.1"},
		{"10.1.2", "10.1.0.2"},
		{"1.2.3.4.5", ""},
		{"1.2.3.", ""},
		{"256.1.1.1", ""},
		{"1.2.3.256", ""},
		{"08.1.1.1", ""},
		{"peer", ""},
		{"", ""},
	} {
		a, ok := inetAton(tc.in)
		got := ""
		if ok {
			got = a.String()
		}
		if got != tc.want {
			t.Errorf("inetAton(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLineReader(t *testing.T) {
	long := make([]byte, 12000)
	for i := range long {
		long[i] = 'x'
	}
	in := "a\n\nb\x00hidden\nc" + "\n" + string(long) + "\nd"
	r := newLineReader(in, maxLine)
	type piece struct {
		text string
		num  int
	}
	var got []piece
	for {
		text, num, ok := r.next()
		if !ok {
			break
		}
		got = append(got, piece{text, num})
	}
	want := []piece{
		{"a\n", 1}, {"\n", 2}, {"b", 3}, {"c\n", 4},
		{string(long[:5119]), 5}, {string(long[:5119]), 5}, {string(long[:12000-2*5119]) + "\n", 5},
		{"d", 6},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d pieces, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("piece %d = %q@%d, want %q@%d", i, abbrev(got[i].text), got[i].num, abbrev(want[i].text), want[i].num)
		}
	}
}

func abbrev(s string) string {
	if len(s) > 20 {
		return s[:10] + "…" + s[len(s)-5:]
	}
	return s
}
