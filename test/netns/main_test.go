package netns

import (
	"os"
	"testing"

	"github.com/hbd-ha/hbd/internal/clustertest"
)

func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }
