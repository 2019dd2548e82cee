package config

import (
	"fmt"
	"io"
	"strings"
)

// WriteDefaults prints the directives that have a default value, as
// "heartbeat -D" does (wiki false) or "heartbeat -DW" (wiki true):
// heartbeat's directives in heartbeat's order, then hbd's own.
func WriteDefaults(w io.Writer, wiki bool) error {
	var rows []directive
	lmax, cmax, rmax := 0, 0, 0
	for _, d := range directives {
		if d.def == "" {
			continue
		}
		rows = append(rows, d)
		lmax, cmax, rmax = max(lmax, len(d.name)), max(cmax, len(d.def)), max(rmax, len(d.explain))
	}
	var b strings.Builder
	if wiki {
		b.WriteString("##Put this output in the ha.cf/DefaultValues page\n")
		b.WriteString("The [wiki:ha.cf ha.cf] directives with default values are shown below - along with a brief description.\n")
		fmt.Fprintf(&b, "This was produced by {{{heartbeat -DW}}} ''# (version %s)''\n\n", HeartbeatVersion)
		b.WriteString("||''Directive''||''Default''||''Description''||\n")
		for _, d := range rows {
			fmt.Fprintf(&b, "||[wiki:ha.cf/%sDirective %s]||%s||%s||\n", wikiName(d.name), d.name, d.def, d.explain)
		}
	} else {
		lmax, cmax, rmax = max(lmax, len("Directive")), max(cmax, len("Default")), max(rmax, len("Description"))
		fmt.Fprintf(&b, "%-*s  %-*s  %s\n", lmax, "Directive", cmax, "Default", "Description")
		// heartbeat's dash string is 80 characters long
		b.WriteString(strings.Repeat("-", min(80, lmax+cmax+rmax+4)) + "\n")
		for _, d := range rows {
			fmt.Fprintf(&b, "%-*s  %-*s  %s\n", lmax, d.name, cmax, d.def, d.explain)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// wikiName is "max_rexmit_delay" → "MaxRexmitDelay".
func wikiName(name string) string {
	parts := strings.Split(name, "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}
