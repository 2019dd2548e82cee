package rsc

import (
	"os/exec"
	"strings"
	"testing"
)

func TestParseOCFParams(t *testing.T) {
	for _, c := range []struct {
		line, want string // want "" = no assignment; "!<msg>" = error
	}{
		{"OCF_RESKEY_ip=198.18.0.1", "OCF_RESKEY_ip=198.18.0.1"},
		{"  OCF_RESKEY_ip=198.18.0.1   # the VIP", "OCF_RESKEY_ip=198.18.0.1"},
		{"export OCF_RESKEY_x=1", "OCF_RESKEY_x=1"},
		{"OCF_RESKEY_msg='a b  c'", "OCF_RESKEY_msg=a b  c"},
		{`OCF_RESKEY_msg="say \"hi\" \$5 \x"`, `OCF_RESKEY_msg=say "hi" $5 \x`},
		{`OCF_RESKEY_w=a'b c'"d"\ e`, "OCF_RESKEY_w=ab cd e"},
		{"OCF_RESKEY_hash=a#b", "OCF_RESKEY_hash=a#b"},
		{"OCF_RESKEY_empty=", "OCF_RESKEY_empty="},
		{"OCF_RESKEY_q=''", "OCF_RESKEY_q="},
		{"HA_RSCTMP=/run/x", "HA_RSCTMP=/run/x"},
		{"", ""},
		{"   # comment", ""},
		{"OCF_RESKEY_a=$HOME", "!shell expansion ($) is not supported"},
		{`OCF_RESKEY_a="$HOME"`, "!shell expansion ($) is not supported"},
		{"OCF_RESKEY_a=`id`", "!shell expansion (`) is not supported"},
		{"OCF_RESKEY_a=1 OCF_RESKEY_b=2", `!unexpected "OCF_RESKEY_b=2" after the value of OCF_RESKEY_a (one assignment per line, blanks need quotes)`},
		{"OCF_RESKEY_a=x;reboot", `!unquoted ';'`},
		{"OCF_RESKEY_a='open", "!unterminated ' quote"},
		{`OCF_RESKEY_a="open`, `!unterminated " quote`},
		{`OCF_RESKEY_a=x\`, "!line continuation is not supported"},
		{"1X=2", `!not a NAME=value assignment: "1X=2"`},
		{"echo hello", `!not a NAME=value assignment: "echo hello"`},
		{"OCF_RESKEY_a = 1", `!not a NAME=value assignment: "OCF_RESKEY_a = 1"`},
	} {
		got, err := parseOCFLine(c.line)
		if err != nil {
			got = "!" + err.Error()
		}
		if got != c.want {
			t.Errorf("%q: got %q, want %q", c.line, got, c.want)
		}
		// Every accepted assignment means what the wrapper's shell
		// would make of it.
		if err == nil && got != "" {
			name, _, _ := strings.Cut(got, "=")
			out, err := exec.Command("/bin/sh", "-c", c.line+"\nprintf %s \"$"+name+"\"").Output()
			if err != nil || name+"="+string(out) != got {
				t.Errorf("%q: sh says %s=%q (%v), we say %q", c.line, name, out, err, got)
			}
		}
	}
}

func TestParseOCFParamsFileLine(t *testing.T) {
	env, err := parseOCFParams("/etc/ha.d/conf/OCF/Dummy/d1", []byte("# x\nOCF_RESKEY_a=1\n\nOCF_RESKEY_b=2\n"))
	if err != nil || strings.Join(env, " ") != "OCF_RESKEY_a=1 OCF_RESKEY_b=2" {
		t.Errorf("got %q, %v", env, err)
	}
	_, err = parseOCFParams("/etc/ha.d/conf/OCF/Dummy/d1", []byte("OCF_RESKEY_a=1\n\nOCF_RESKEY_b=$x\n"))
	if want := "/etc/ha.d/conf/OCF/Dummy/d1:3: shell expansion ($) is not supported"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}
