package sim

import (
	"strings"
	"testing"
)

// A script's outputs come back in place; a wrong expectation is a diff,
// not an error; a layer's own command runs; a bad command is an error
// that names its line.
func TestScript(t *testing.T) {
	script := `# two nodes
cluster nodes=a,b keepalive=100ms deadtime=500ms initdead=1s seed=1
----
ok

start
----
wrong

nodes
----
2
`
	sc := &Script{Commands: map[string]func(*Script, []string, map[string]string) (string, error){
		"nodes": func(sc *Script, _ []string, _ map[string]string) (string, error) {
			return string(rune('0' + len(sc.Sim().Nodes))), nil
		},
	}}
	res, err := sc.Run("t.txt", []byte(script))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Diffs) != 1 || res.Diffs[0].Line != 6 || res.Diffs[0].Want != "wrong" {
		t.Fatalf("diffs %v, want one at line 6", res.Diffs)
	}
	if !strings.Contains(res.Text, "start\n----\n   0.000 a info: Local status now set to: 'up'\n") || !strings.HasSuffix(res.Text, "nodes\n----\n2\n") {
		t.Errorf("text:\n%s", res.Text)
	}
	if _, err := RunScript("bad.txt", []byte("cluster nodes=a keepalive=1s deadtime=3s\n----\nok\n\nfly a\n----\nok\n")); err == nil || !strings.Contains(err.Error(), `bad.txt:5: unknown command "fly"`) {
		t.Errorf("unknown command: %v", err)
	}
}
