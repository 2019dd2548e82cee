package main

import (
	"fmt"
	"os"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/wire"
)

// loadKeyring reads an authkeys file for decoding captures: operators work
// on copies, so heartbeat's permission rule is not applied here.
func loadKeyring(path string) (*wire.Keyring, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ak, _, err := config.ParseAuthkeys(path, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ak.Keyring()
}
