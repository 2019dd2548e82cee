package master

import (
	"testing"

	"github.com/hbd-ha/hbd/config"
)

// master cannot import config (it stays pure), so it keeps its own copy
// of the node limit; the two must agree, or an ha.cf that config accepts
// would be refused by New.
func TestNodeLimitMatchesConfig(t *testing.T) {
	if maxNodes != config.MaxNodes {
		t.Errorf("master's maxNodes %d, config.MaxNodes %d", maxNodes, config.MaxNodes)
	}
}
