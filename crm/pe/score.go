package pe

import (
	"strconv"
	"strings"
)

// Infinity is Pacemaker's score cap (CRM_SCORE_INFINITY). Scores are plain
// ints kept within [-Infinity, Infinity].
const Infinity = 1000000

// Node health colours as scores (node-score-red etc. are cluster options;
// these are Pacemaker's defaults for the strings "red", "yellow", "green").
const (
	scoreRed    = -Infinity
	scoreYellow = 0
	scoreGreen  = 0
)

// AddScores adds two scores as Pacemaker does: -INFINITY wins over
// everything (including +INFINITY), then +INFINITY, and finite sums
// saturate at the cap.
func AddScores(a, b int) int {
	switch {
	case a <= -Infinity || b <= -Infinity:
		return -Infinity
	case a >= Infinity || b >= Infinity:
		return Infinity
	}
	return clampScore(a + b)
}

func clampScore(s int) int {
	if s >= Infinity {
		return Infinity
	}
	if s <= -Infinity {
		return -Infinity
	}
	return s
}

// ParseScore reads a score as Pacemaker's char2score does: "INFINITY",
// "+INFINITY", "-INFINITY" (any case), the health colours, otherwise the
// leading integer (0 when there is none), clamped to ±Infinity.
func ParseScore(s string) int {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "":
		return 0
	case "-infinity":
		return -Infinity
	case "infinity", "+infinity":
		return Infinity
	case "red":
		return scoreRed
	case "yellow":
		return scoreYellow
	case "green":
		return scoreGreen
	}
	n, ok := leadingInt(t)
	if !ok {
		return 0
	}
	return clampScore64(n)
}

func clampScore64(n int64) int {
	if n > Infinity {
		return Infinity
	}
	if n < -Infinity {
		return -Infinity
	}
	return int(n)
}

// leadingInt parses an optional sign and decimal digits at the start of s,
// as strtoll does; large values saturate rather than wrap.
func leadingInt(s string) (int64, bool) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var n int64
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if n < 1<<50 {
			n = n*10 + int64(s[i]-'0')
		}
		i++
	}
	if i == start {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// scoreString prints a score as Pacemaker's pcmk_readable_score does.
func scoreString(s int) string {
	switch {
	case s >= Infinity:
		return "+INFINITY"
	case s <= -Infinity:
		return "-INFINITY"
	}
	return itoa(s)
}

func itoa(n int) string { return strconv.Itoa(n) }
