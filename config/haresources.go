package config

import (
	"fmt"
	"strings"
)

// Haresources is the haresources file: one resource group per logical
// line, except a line whose key (first resource) an earlier line has: that
// one is warned about and left out, so keys are unique.
type Haresources struct {
	Groups []Group
}

// Group is one haresources line as ResourceManager reads it.
type Group struct {
	Line int    // first physical line
	Node string // preferred node, lower-cased
	// Tokens are the line's fields after ResourceManager's normalisation
	// (comments stripped, continuations joined, blanks collapsed), node
	// field included and lower-cased: what its "ipres" prints.
	Tokens    []string
	Resources []Resource
}

// Key is the group's first resource, which names the group in
// ResourceManager (takegroup, givegroup, listkeys); "" when the line has
// no resource.
func (g Group) Key() string {
	if len(g.Resources) == 0 {
		return ""
	}
	return g.Resources[0].Token
}

// ParseHaresources reads a haresources file. Heartbeat itself only checks
// that each line's first word names a node (and stops at the first that
// does not); the groups are read the way ResourceManager reads them, and
// hbd adds the checks heartbeat lacks: every group's node (fatal), unique
// group keys (a warning: heartbeat starts with a duplicate key, and hbd
// keeps the first line). nodes are the configured nodes; nil skips the node checks. path
// is only used in messages.
func ParseHaresources(path string, data []byte, nodes []Node) (*Haresources, Diagnostics, error) {
	known := func(name string) bool {
		if nodes == nil {
			return true
		}
		name = asciiLower(name)
		for _, n := range nodes {
			if n.Name == name {
				return true
			}
		}
		return false
	}
	var diags Diagnostics
	fatal := func(line int, hbd bool, format string, args ...any) {
		diags = append(diags, Diagnostic{File: path, Line: line, Level: LevelError, Msg: fmt.Sprintf(format, args...), Fatal: true, Hbd: hbd})
	}
	text := string(data)
	// Heartbeat's own check comes first, with its wording; it stops at
	// the first unknown node.
	badLine, badNode, bad := checkNodeNames(text, known)
	if bad {
		fatal(badLine, false, "Bad nodename in %s [%s]", path, badNode)
	}
	hr := &Haresources{Groups: resourceManagerGroups(text)}
	diags = append(diags, haresourcesMonitorDiags(path, hr.Groups)...)
	keys := map[string]int{}
	var kept []Group
	for _, g := range hr.Groups {
		if !known(g.Node) && !(bad && g.Line == badLine) {
			fatal(g.Line, true, "Bad nodename in %s [%s] (the line as ResourceManager joins it)", path, g.Node)
		}
		key := g.Key()
		if key == "" {
			diags = append(diags, Diagnostic{File: path, Line: g.Line, Level: LevelWarn, Hbd: true,
				Msg: fmt.Sprintf("No resources for node [%s]", g.Node)})
			kept = append(kept, g)
			continue
		}
		if first, dup := keys[key]; dup {
			// Heartbeat starts with such a file; what its ResourceManager
			// then does (takegroup greps every line holding the key and
			// runs them as one list) cannot work, so hbd keeps the first.
			diags = append(diags, Diagnostic{File: path, Line: g.Line, Level: LevelWarn, Hbd: true,
				Msg: fmt.Sprintf("Duplicate resource group key [%s] (first used at line %d): hbd ignores this line; "+
					"heartbeat's ResourceManager would run both lines as one group, this line's node name [%s] "+
					"as a resource script, which fails the group's start and gives the whole group up",
					key, first, g.Node)})
			continue
		}
		keys[key] = g.Line
		kept = append(kept, g)
	}
	hr.Groups = kept
	if err := diags.err(); err != nil {
		return nil, diags, err
	}
	return hr, diags, nil
}

// checkNodeNames is heartbeat's parse_ha_resources: the first word of each
// line (comment lines aside) must be a node; lines after one ending in a
// backslash are skipped unread.
func checkNodeNames(text string, known func(string) bool) (line int, node string, bad bool) {
	r := newLineReader(text, maxLine-1)
	for {
		buf, num, ok := r.next()
		if !ok {
			return 0, "", false
		}
		bp := buf[strspn(buf, whitespace):]
		if bp == "" || bp[0] == '#' {
			continue
		}
		tok := bp[:strcspn(bp, whitespace)]
		if !known(tok) {
			return num, tok, true
		}
		// while (buf[strlen(buf)-2] == '\\'): the byte before the last.
		for len(buf) >= 2 && buf[len(buf)-2] == '\\' {
			if buf, _, ok = r.next(); !ok {
				return 0, "", false
			}
		}
	}
}

// resourceManagerGroups normalises the file as ResourceManager's ipres
// does (sed, then awk) and splits each resulting line into a group.
func resourceManagerGroups(text string) []Group {
	lines := strings.Split(text, "\n")
	if strings.HasSuffix(text, "\n") {
		lines = lines[:len(lines)-1]
	}
	var groups []Group
	for i := 0; i < len(lines); i++ {
		first := i + 1
		// s%#.*%%, then join lines while the text ends in a backslash:
		// only the first line's comment is stripped.
		pat := lines[i]
		if j := strings.IndexByte(pat, '#'); j >= 0 {
			pat = pat[:j]
		}
		lastLine := false
		if strings.HasSuffix(pat, "\\") {
			var b strings.Builder
			for strings.HasSuffix(pat, "\\") {
				if i+1 == len(lines) {
					// GNU sed's N on the last line prints and
					// quits: no blank handling below.
					lastLine = true
					break
				}
				i++
				b.WriteString(pat[:len(pat)-1])
				pat = lines[i]
			}
			b.WriteString(pat)
			pat = b.String()
		}
		if !lastLine && strings.Trim(pat, " \t") == "" {
			continue
		}
		fields := awkFields(pat)
		if len(fields) == 0 {
			continue
		}
		fields[0] = asciiLower(fields[0])
		g := Group{Line: first, Node: fields[0], Tokens: fields}
		for _, tok := range fields[1:] {
			g.Resources = append(g.Resources, parseResourceToken(tok))
		}
		groups = append(groups, g)
	}
	return groups
}

// awkFields splits as awk's default field separator does: runs of spaces,
// tabs and newlines, ignoring leading and trailing ones.
func awkFields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' })
}
