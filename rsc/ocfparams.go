package rsc

import (
	"fmt"
	"strings"
)

// parseOCFParams reads an OCF instance file (conf/OCF/<type>/<instance>),
// which resource.d/OCF sources as shell and whose every NAME= it
// exports. hbd reads, not runs, it: one NAME=value assignment per line
// (an "export " before it is allowed), the value one shell word built
// from plain characters, '…' and "…" (with \ escapes), blank lines and
// # comments. Expansions ($, `) and anything else are refused, naming
// the file and line. The result is NAME=value environment entries in
// file order.
func parseOCFParams(path string, data []byte) ([]string, error) {
	var env []string
	for n, line := range strings.Split(string(data), "\n") {
		kv, err := parseOCFLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %s", path, n+1, err)
		}
		if kv != "" {
			env = append(env, kv)
		}
	}
	return env, nil
}

const shellBlanks = " \t\r"

// parseOCFLine parses one line; "" for a line with no assignment.
func parseOCFLine(line string) (string, error) {
	s := strings.TrimLeft(line, shellBlanks)
	if s == "" || s[0] == '#' {
		return "", nil
	}
	if rest, ok := strings.CutPrefix(s, "export"); ok && rest != "" && strings.IndexByte(shellBlanks, rest[0]) >= 0 {
		s = strings.TrimLeft(rest, shellBlanks)
	}
	name := shellName(s)
	if name == "" || len(s) == len(name) || s[len(name)] != '=' {
		return "", fmt.Errorf("not a NAME=value assignment: %q", line)
	}
	value, rest, err := shellWord(s[len(name)+1:])
	if err != nil {
		return "", err
	}
	rest = strings.TrimLeft(rest, shellBlanks)
	if rest != "" && rest[0] != '#' {
		return "", fmt.Errorf("unexpected %q after the value of %s (one assignment per line, blanks need quotes)", rest, name)
	}
	return name + "=" + value, nil
}

// shellName is the longest prefix of s that is a shell variable name.
func shellName(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return s[:i]
	}
	return s
}

// shellWord reads one word up to an unquoted blank: plain characters,
// backslash escapes, '…' and "…". It returns the word's value and what
// follows it.
func shellWord(s string) (value, rest string, err error) {
	var b strings.Builder
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case strings.IndexByte(shellBlanks, c) >= 0:
			return b.String(), s[i:], nil
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return "", "", fmt.Errorf("unterminated ' quote")
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 2
		case c == '"':
			n, err := doubleQuoted(s[i+1:], &b)
			if err != nil {
				return "", "", err
			}
			i += n + 2
		case c == '\\':
			if i+1 == len(s) {
				return "", "", fmt.Errorf("line continuation is not supported")
			}
			b.WriteByte(s[i+1])
			i += 2
		case c == '$' || c == '`':
			return "", "", fmt.Errorf("shell expansion (%c) is not supported", c)
		case strings.IndexByte(";&|<>()", c) >= 0:
			return "", "", fmt.Errorf("unquoted %q", c)
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), "", nil
}

// doubleQuoted reads the inside of "…" (s starts after the opening
// quote) into b and returns its length up to the closing quote.
func doubleQuoted(s string, b *strings.Builder) (int, error) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return i, nil
		case '\\':
			// Inside "…" a backslash escapes only $ ` " \.
			if i+1 < len(s) && strings.IndexByte("$`\"\\", s[i+1]) >= 0 {
				b.WriteByte(s[i+1])
				i++
				continue
			}
			b.WriteByte(c)
		case '$', '`':
			return 0, fmt.Errorf("shell expansion (%c) is not supported", c)
		default:
			b.WriteByte(c)
		}
	}
	return 0, fmt.Errorf("unterminated \" quote")
}
