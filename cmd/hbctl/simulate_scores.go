package main

import (
	"io"
	"strings"

	"github.com/hbd-ha/hbd/crm/pe"
)

// crm_simulate -s: Pacemaker 2.1.5 forces its "fancy" text (section
// headers, indented "* " items) only when neither -s nor -U is given, so
// with -s every section comes out plain: no list headers, no indentation
// or bullets, and a list item's label dropped ("Online: [ n1 ]" is
// "[ n1 ]"). -s also implies processing: the transition summary is printed
// even without -R or -S. The score lines come between the current status
// and the transition summary, after a blank line.

// plainText turns crm_simulate's fancy text into its plain text.
func plainText(fancy string) string {
	if fancy == "" {
		return ""
	}
	trailing := strings.HasSuffix(fancy, "\n")
	lines := strings.Split(strings.TrimSuffix(fancy, "\n"), "\n")
	var b strings.Builder
	for _, l := range lines {
		t := strings.TrimLeft(l, " ")
		t = strings.TrimPrefix(t, "* ")
		if strings.HasSuffix(t, ":") {
			continue // a list header (begin_list prints it only when fancy)
		}
		b.WriteString(dropItemLabel(t))
		b.WriteByte('\n')
	}
	out := b.String()
	if !trailing {
		out = strings.TrimSuffix(out, "\n")
	}
	return out
}

// itemLabels are the ids crm_simulate's node list passes to list_item: the
// fancy text prints them as "Label: ", the plain text not at all.
var itemLabels = []string{"Online", "OFFLINE", "RemoteOnline", "RemoteOFFLINE", "GuestOnline"}

func dropItemLabel(t string) string {
	for _, id := range itemLabels {
		if rest, ok := strings.CutPrefix(t, id+": ["); ok {
			return "[" + rest
		}
	}
	return t
}

// writeScores prints the -s output: the plain current status (unless
// quiet), the score lines after a blank line, then the plain transition
// summary, and with -S the executed transition and the revised status.
// current and rest are the fancy texts of the current status and of what
// follows it.
func writeScores(w io.Writer, quiet bool, current string, scores []string, rest string) {
	if !quiet {
		io.WriteString(w, plainText(current))
		io.WriteString(w, "\n")
	}
	for _, l := range scores {
		io.WriteString(w, l+"\n")
	}
	io.WriteString(w, plainText(rest))
}

// simulateScores is runSimulate's output with -s: the sections of -R (or
// -S) as fancy text, made plain, with the score lines inserted.
func simulateScores(stdout io.Writer, o simOpts, res *pe.Result, g *pe.Graph) int {
	text := res.Text()
	summary, revised, _ := strings.Cut(text, "\nRevised Cluster Status:\n")
	if o.quiet {
		// Quiet: the scores alone, and the spacer -S prints before the
		// (silent) transition.
		writeScores(stdout, true, "", res.Scores(), "")
		if o.simulate {
			io.WriteString(stdout, "\n")
		}
		return simExitOK
	}
	var rest strings.Builder
	rest.WriteString("\n" + summary)
	if o.simulate {
		rest.WriteString("\nExecuting Cluster Transition:\n")
		for _, l := range executeAll(g) {
			rest.WriteString(l + "\n")
		}
		rest.WriteString("\nRevised Cluster Status:\n" + revised)
	}
	writeScores(stdout, false, res.CurrentText(), res.Scores(), rest.String())
	return simExitOK
}
