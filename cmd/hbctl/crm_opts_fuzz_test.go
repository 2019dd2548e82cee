package main

import (
	"strings"
	"testing"
)

// FuzzCrmOpts: no argument list makes the Pacemaker tools' option parser
// panic, and whatever it accepts is a value of a declared option or an
// operand from the list.
func FuzzCrmOpts(f *testing.F) {
	for _, s := range []string{"-1", "-1rfA", "--output-as=xml", "--output-as xml", "-i5 -r", "--resource X --locate",
		"-r", "--bogus", "-- -1", "-xfile -Q", "--one-shot=1", "-"} {
		f.Add(s)
	}
	opts := append(append([]crmOpt(nil), crmMonOpts...), crmOpt{'x', "xml-file", true})
	f.Fuzz(func(t *testing.T, line string) {
		// The tools' value parsers: --lifetime, --interval, -I.
		parseISODuration(line)
		parseInterval(line)
		opIntervalMS(line)
		args := strings.Fields(line)
		p, err := parseCrmOpts(opts, args)
		if err != nil {
			return
		}
		known := map[string]bool{}
		for _, o := range opts {
			known[o.long] = true
		}
		for k := range p.vals {
			if !known[k] {
				t.Fatalf("undeclared option %q from %q", k, args)
			}
		}
		if len(p.operands) > len(args) {
			t.Fatalf("more operands than arguments: %q", args)
		}
	})
}

func TestCrmOpts(t *testing.T) {
	p, err := parseCrmOpts(crmMonOpts, []string{"-1rf", "--output-as", "xml", "-i5", "op"})
	if err != nil {
		t.Fatal(err)
	}
	if !p.has("one-shot") || !p.has("inactive") || !p.has("failcounts") || p.last("output-as") != "xml" ||
		p.last("interval") != "5" || len(p.operands) != 1 {
		t.Errorf("parsed %+v", p)
	}
	if _, err := parseCrmOpts(crmMonOpts, []string{"--bogus"}); err == nil || err.Error() != "Unknown option --bogus" {
		t.Errorf("--bogus: %v", err)
	}
	if _, err := parseCrmOpts(crmMonOpts, []string{"-i"}); err == nil {
		t.Error("-i without a value accepted")
	}
}
