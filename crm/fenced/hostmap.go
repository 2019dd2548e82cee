package fenced

import (
	"strings"
)

// Caps on what one parameter may make the table hold: a CIB is bounded
// in size, but a host map of single-character pairs would still make a
// large map for nothing.
const (
	// MaxAliases bounds the pairs kept from one pcmk_host_map.
	MaxAliases = 1024
	// MaxTargets bounds the names kept from one host list (pcmk_host_list
	// or a device's list output).
	MaxTargets = 4096
)

// Alias maps a node name to the name the device knows it by (its port).
type Alias struct{ Node, Port string }

// ParseHostMap reads pcmk_host_map as Pacemaker 2.1.5's fencer does
// (build_port_aliases): pairs "node:port" or "node=port" separated by ';',
// space or tab; a backslash escapes the next character, and is dropped
// from the port. A later pair for the same node (case-insensitively)
// replaces the earlier one; a pair cut off by a trailing backslash is
// dropped, as Pacemaker drops it. At most MaxAliases pairs are kept.
func ParseHostMap(s string) []Alias {
	var out []Alias
	name, haveName := "", false
	last := 0
	for i := 0; i <= len(s); i++ {
		c := byte(0)
		if i < len(s) {
			c = s[i]
		}
		switch c {
		case '\\':
			i++
			if i >= len(s) {
				return out
			}
			continue
		case '=', ':':
			if i > last {
				name, haveName = s[last:i], true
			}
			last = i + 1
		case 0, ';', ' ', '\t':
			if haveName {
				out = addAlias(out, name, strings.ReplaceAll(s[last:i], `\`, ""))
				name, haveName = "", false
				if len(out) >= MaxAliases {
					return out
				}
			}
			last = i + 1
		}
		if i == len(s) {
			break
		}
	}
	return out
}

// addAlias sets node's port, replacing an earlier pair for it (Pacemaker's
// alias table has case-insensitive keys).
func addAlias(out []Alias, node, port string) []Alias {
	for i := range out {
		if strings.EqualFold(out[i].Node, node) {
			out[i] = Alias{Node: node, Port: port}
			return out
		}
	}
	return append(out, Alias{Node: node, Port: port})
}

// ParseTargets reads a host list as Pacemaker's fencer does
// (stonith__parse_targets): pcmk_host_list, or what a device lists.
// Lines end at a newline or a literal "\n"; a line that says "invalid" or
// "variable" is a complaint, not hosts; entries are separated by white
// space, ',' or ';', and each is its leading run of letters, digits, '_',
// '-' and '.'; "on" and "off" (a status, not a host) are skipped. At most
// MaxTargets names are kept.
func ParseTargets(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		end := i == len(s)
		if !end && s[i] != '\n' && !(s[i] == '\\' && i+1 < len(s) && s[i+1] == 'n') {
			continue
		}
		out = parseListLine(s[start:i], out)
		if len(out) >= MaxTargets {
			return out[:MaxTargets]
		}
		if !end && s[i] == '\\' {
			i++
		}
		start = i + 1
	}
	return out
}

// parseListLine appends one line's entries to out.
func parseListLine(line string, out []string) []string {
	if line == "" || strings.Contains(line, "invalid") || strings.Contains(line, "variable") {
		return out
	}
	for _, f := range strings.FieldsFunc(line, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\r' || r == '\v' || r == '\f' || r == ',' || r == ';'
	}) {
		n := 0
		for n < len(f) && targetChar(f[n]) {
			n++
		}
		e := f[:n]
		if e == "" || strings.EqualFold(e, "on") || strings.EqualFold(e, "off") {
			continue
		}
		out = append(out, e)
	}
	return out
}

func targetChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}
