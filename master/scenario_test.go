package master_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hbd-ha/hbd/master/sim"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of master/testdata/*.txt scenarios")

// TestScenarios runs the scripted N-node scenarios in testdata/*.txt with
// the simulator's script interpreter (sim.Script documents the commands);
// -rewrite writes the actual output back instead of comparing.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenarios found")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			res, err := sim.RunScript(file, data)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range res.Violations {
				t.Errorf("%s: invariant: %s", file, v)
			}
			if *rewrite {
				if err := os.WriteFile(file, []byte(res.Text), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, d := range res.Diffs {
				t.Errorf("%s:%s", file, d)
			}
		})
	}
}
