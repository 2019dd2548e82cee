package pecase

import (
	"regexp"
	"sort"
	"strings"
)

var (
	roleMap = map[string]string{"Master": "Promoted", "Slave": "Unpromoted",
		"Masters": "Promoted", "Slaves": "Unpromoted"}
	roleWords = map[string]bool{"Started": true, "Stopped": true, "Promoted": true, "Unpromoted": true,
		"Master": true, "Slave": true, "Starting": true, "Stopping": true, "Migrating": true,
		"Promoting": true, "Demoting": true, "Monitoring": true, "Unknown": true, "Reloading": true}
	verbs = map[string]bool{"Start": true, "Stop": true, "Move": true, "Recover": true, "Restart": true,
		"Promote": true, "Demote": true, "Migrate": true, "Reload": true, "Re-promote": true}

	instRE     = regexp.MustCompile(`:\d+$`)
	sectionRE  = regexp.MustCompile(`(?i)^(Current cluster status|Transition Summary|Executing cluster transition|Revised cluster status):\s*$`)
	cloneHdr   = regexp.MustCompile(`^(?:Clone Set|Master/Slave Set): (\S+) \[(\S+)\](?: \([^)]*\))?:?$`)
	groupHdr   = regexp.MustCompile(`^Resource Group: (\S+?)(?: \([^)]*\))?:?$`)
	bundleHdr  = regexp.MustCompile(`^(?:Container bundle(?: set)?|Docker container|rkt container|podman container): (\S+) \[.*\]:?$`)
	replicaHdr = regexp.MustCompile(`^Replica\[\d+\]:?$`)
	listLine   = regexp.MustCompile(`^(Started|Promoted|Unpromoted|Stopped|Masters|Slaves)(?: \([^)]*\))?: \[ ?(.*?) ?\]$`)
	primLine   = regexp.MustCompile(`^(\S+)(?: \([^)]*\))?\t\(([^)]*)\):\t\s*(.*?)\s*$`)
	actionLine = regexp.MustCompile(`^(\S+)\s+(\S+)\s+\(\s*(.*?)\s*\)(?:\s+(.*?))?\s*$`)
	fenceLine  = regexp.MustCompile(`^Fence \(([^)]*)\) (\S+)`)
	parenRE    = regexp.MustCompile(`\([^)]*\)`)
	bracketRE  = regexp.MustCompile(`\[\s*(.*?)\s*\]`)
	rscListHdr = regexp.MustCompile(`^(Full List of Resources|Resource List|Active Resources)\s*:?$`)
	nodeListRE = regexp.MustCompile(`^Node List\s*:?$`)
)

func stripInst(name string) string { return instRE.ReplaceAllString(name, "") }

// HasRevisedStatus reports whether text has the section the canonical
// form's placement comes from.
func HasRevisedStatus(text string) bool {
	_, ok := splitSections(text)["revised cluster status"]
	return ok
}

func splitSections(text string) map[string][]string {
	sec := map[string][]string{}
	cur := ""
	for _, ln := range strings.Split(text, "\n") {
		ln = strings.TrimRight(ln, "\r")
		if m := sectionRE.FindStringSubmatch(ln); m != nil {
			cur = strings.ToLower(m[1])
			if _, ok := sec[cur]; !ok {
				sec[cur] = []string{}
			}
			continue
		}
		if cur != "" {
			sec[cur] = append(sec[cur], ln)
		}
	}
	return sec
}

type place struct{ rsc, role, node string }

func parseState(text string) (orphan, failed bool, role string, nodes []string) {
	s := parenRE.ReplaceAllString(text, " ")
	loc := bracketRE.FindStringSubmatchIndex(s)
	if loc != nil {
		nodes = strings.Fields(s[loc[2]:loc[3]])
		s = s[:loc[0]] + " " + s[loc[1]:]
	}
	var toks []string
	for _, t := range strings.Fields(s) {
		switch t {
		case "ORPHANED":
			orphan = true
		case "FAILED":
			failed = true
		default:
			toks = append(toks, t)
		}
	}
	if len(toks) > 0 && roleWords[toks[0]] {
		role = toks[0]
		if m, ok := roleMap[role]; ok {
			role = m
		}
		toks = toks[1:]
	}
	if loc == nil {
		if len(toks) > 0 {
			nodes = toks[:1]
		} else {
			nodes = nil
		}
	}
	return
}

type frame struct {
	indent int
	kind   string
	data   string
}

func parseResources(block []string, groups map[string][]string) (places []place, known []string) {
	inRsc := false
	var stack []frame
	for _, raw := range block {
		if strings.TrimSpace(raw) == "" {
			continue
		}
		body := strings.TrimLeft(raw, " ")
		indent := len(raw) - len(body)
		body = strings.TrimPrefix(body, "* ")
		body = strings.TrimRight(body, " \t\r\n")
		if rscListHdr.MatchString(body) {
			inRsc = true
			stack = nil
			continue
		}
		if nodeListRE.MatchString(body) {
			inRsc = false
			continue
		}
		if !inRsc {
			if strings.Contains(body, "\t(") || cloneHdr.MatchString(body) || groupHdr.MatchString(body) || bundleHdr.MatchString(body) {
				inRsc = true
			} else {
				continue
			}
		}
		for len(stack) > 0 && stack[len(stack)-1].indent >= indent {
			stack = stack[:len(stack)-1]
		}
		if m := cloneHdr.FindStringSubmatch(body); m != nil {
			stack = append(stack, frame{indent, "clone", stripInst(m[2])})
			continue
		}
		if m := groupHdr.FindStringSubmatch(body); m != nil {
			stack = append(stack, frame{indent, "group", stripInst(m[1])})
			continue
		}
		if bundleHdr.MatchString(body) || replicaHdr.MatchString(body) {
			stack = append(stack, frame{indent, "bundle", ""})
			continue
		}
		if m := listLine.FindStringSubmatch(body); m != nil {
			clone := ""
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i].kind == "clone" {
					clone = stack[i].data
					break
				}
			}
			if clone == "" {
				continue
			}
			members, ok := groups[clone]
			if !ok {
				members = []string{clone}
			}
			word := m[1]
			if r, ok := roleMap[word]; ok {
				word = r
			}
			known = append(known, members...)
			if word == "Stopped" {
				continue
			}
			for _, node := range strings.Fields(m[2]) {
				for _, mem := range members {
					places = append(places, place{mem, word, node})
				}
			}
			continue
		}
		if m := primLine.FindStringSubmatch(body); m != nil {
			name := stripInst(m[1])
			orphan, failed, role, nodes := parseState(m[3])
			if !orphan {
				known = append(known, name)
			}
			if failed {
				r := "FAILED"
				if role != "" && role != "Started" && role != "Unpromoted" {
					r = "FAILED:" + role
				}
				if len(nodes) == 0 {
					nodes = []string{"-"}
				}
				for _, n := range nodes {
					places = append(places, place{name, r, n})
				}
			} else if role != "" && role != "Stopped" && len(nodes) > 0 {
				for _, n := range nodes {
					places = append(places, place{name, role, n})
				}
			}
		}
	}
	return places, known
}

func parseActions(block []string) []string {
	var out []string
	for _, raw := range block {
		body := strings.TrimSpace(raw)
		if strings.HasPrefix(body, "* ") {
			body = strings.TrimSpace(body[2:])
		}
		if body == "" {
			continue
		}
		if m := fenceLine.FindStringSubmatch(body); m != nil {
			out = append(out, "fence "+m[1]+" "+m[2])
			continue
		}
		m := actionLine.FindStringSubmatch(body)
		if m == nil || !verbs[m[1]] {
			continue
		}
		line := "action " + m[1] + " " + stripInst(m[2]) + " " + strings.Join(strings.Fields(m[3]), " ")
		tail := strings.TrimSpace(m[4])
		if tail == "blocked" || strings.HasSuffix(tail, "(blocked)") {
			line += " blocked"
		}
		out = append(out, line)
	}
	return out
}

// Normalize reduces crm_simulate text to canonical lines. groups maps a
// group id to its member primitives (from the CIB), so that a cloned group
// listed as "Started: [ n1 ]" expands into its members; nil is allowed.
func Normalize(text string, groups map[string][]string, placementOnly bool) []string {
	sec := splitSections(text)
	places, known := parseResources(sec["revised cluster status"], groups)
	active := map[string]bool{}
	var lines []string
	for _, p := range places {
		active[p.rsc] = true
		lines = append(lines, "place "+p.rsc+" "+p.role+" "+p.node)
	}
	seen := map[string]bool{}
	for _, k := range known {
		if !active[k] && !seen[k] {
			seen[k] = true
			lines = append(lines, "place "+k+" Stopped -")
		}
	}
	sort.Strings(lines)
	if !placementOnly {
		acts := parseActions(sec["transition summary"])
		var fences, others []string
		for _, a := range acts {
			if strings.HasPrefix(a, "fence ") {
				fences = append(fences, a)
			} else {
				others = append(others, a)
			}
		}
		sort.Strings(fences)
		sort.Strings(others)
		lines = append(lines, fences...)
		lines = append(lines, others...)
	}
	return lines
}
