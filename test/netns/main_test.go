package netns

import (
	"fmt"
	"os"
	"testing"

	"github.com/hbd-ha/hbd/internal/clustertest"
)

func TestMain(m *testing.M) {
	os.Exit(func() int {
		if os.Geteuid() != 0 {
			return m.Run() // every test skips
		}
		cleanup, err := clustertest.Build()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer cleanup()
		return m.Run()
	}())
}
