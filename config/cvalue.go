package config

import (
	"math"
	"strconv"
	"strings"
)

// The C library behaviour heartbeat's parsers rely on, reproduced so that
// hbd accepts and rejects exactly the same values.

const (
	whitespace = " \t\n\r\f"  // heartbeat's WHITESPACE
	delims     = ", \t\n\r\f" // heartbeat's DELIMS: commas split tokens too
	numChars   = "0123456789."
)

// strspn returns the length of the prefix of s made of bytes in set.
func strspn(s, set string) int {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) < 0 {
			return i
		}
	}
	return len(s)
}

// strcspn returns the length of the prefix of s made of bytes not in set.
func strcspn(s, set string) int {
	if i := strings.IndexAny(s, set); i >= 0 {
		return i
	}
	return len(s)
}

// nextToken skips leading bytes in sep and returns the token up to the next
// byte in sep, and what follows it.
func nextToken(s, sep string) (tok, rest string) {
	s = s[strspn(s, sep):]
	n := strcspn(s, sep)
	return s[:n], s[n:]
}

// strtol is glibc's strtol(s, &end, 10): leading isspace, an optional sign,
// decimal digits, clamped to the int64 range. n is how many bytes it used
// (0 when there were no digits).
func strtol(s string) (v int64, n int) {
	i := strspn(s, " \t\n\v\f\r")
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var u uint64
	over := false
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if u > (math.MaxUint64-d)/10 {
			over = true
			continue
		}
		u = u*10 + d
	}
	if i == start {
		return 0, 0
	}
	switch {
	case neg && (over || u > 1<<63):
		return math.MinInt64, i
	case neg:
		return -int64(u), i
	case over || u > math.MaxInt64:
		return math.MaxInt64, i
	}
	return int64(u), i
}

// atoi is glibc's atoi: (int)strtol(s, NULL, 10), truncated to 32 bits.
func atoi(s string) int {
	v, _ := strtol(s)
	return int(int32(v))
}

// getMsec is cluster-glue's cl_get_msec: a decimal number (digits and
// dots) of seconds, or of milliseconds when followed by a unit starting
// with "ms" (or, by a copy-paste slip in cluster-glue, "cl_g"), or of
// microseconds after "us"; anything else after the number is invalid (-1).
// The result is rounded to the nearest millisecond exactly as the C code
// does it, in float64, including its conversion of huge values to
// math.MinInt64.
func getMsec(s string) int64 {
	cp := s[strspn(s, whitespace):]
	units := cp[strspn(cp, numChars):]
	units = units[strspn(units, whitespace):]
	// strchr(NUMCHARS, *cp) also matches the terminating NUL, so an
	// empty value passes this test and converts to 0.
	if cp != "" && strings.IndexByte(numChars, cp[0]) < 0 {
		return -1
	}
	mult, div := 1000.0, 1.0
	switch {
	case hasPrefixFold(units, "ms"), hasPrefixFold(units, "cl_g"):
		mult = 1
	case hasPrefixFold(units, "us"):
		mult, div = 1, 1000
	case units != "" && units[0] != '\n' && units[0] != '\r':
		return -1
	}
	d := atof(cp)*mult/div + 0.5
	if d >= 1<<63 || d != d {
		return math.MinInt64 // x86-64 cvttsd2si on overflow
	}
	return int64(d)
}

// atof parses the longest prefix of s that strtod would read, given that
// s starts with digits and dots: digits, an optional dot, digits.
func atof(s string) float64 {
	i := strspn(s, "0123456789")
	if i < len(s) && s[i] == '.' {
		i++
		i += strspn(s[i:], "0123456789")
	}
	f, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		return 0 // "." alone: no conversion
	}
	return f
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// ParseBool is cluster-glue's cl_str_to_boolean, which heartbeat and
// its tools use for every boolean word: ok is false for anything else.
func ParseBool(s string) (v, ok bool) {
	switch strings.ToLower(s) {
	case "true", "on", "yes", "y", "1":
		return true, true
	case "false", "off", "no", "n", "0":
		return false, true
	}
	return false, false
}

// asciiLower is glib's g_ascii_strdown: only A-Z change.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
