package statefile

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// UUIDLen is the size of a node uuid.
const UUIDLen = 16

// LoadUUID reads the node uuid file (16 raw bytes, heartbeat's hb_uuid),
// creating it with a new random (version 4) uuid if it does not exist.
// created reports that, so the caller can log heartbeat's
// "No uuid found for current node - generating a new uuid."
func LoadUUID(path string) (u [UUIDLen]byte, created bool, err error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil && len(b) == UUIDLen:
		copy(u[:], b)
		return u, false, nil
	case err == nil:
		return u, false, fmt.Errorf("%s: %d bytes, want %d", path, len(b), UUIDLen)
	case !errors.Is(err, fs.ErrNotExist):
		return u, false, err
	}
	if _, err := rand.Read(u[:]); err != nil {
		return u, false, err
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return u, false, err
	}
	if err := writeSync(path, u[:]); err != nil {
		return u, false, err
	}
	return u, true, nil
}

// writeSync writes a small state file and syncs it, as heartbeat writes
// its generation (O_SYNC and fsync): a crash must not lose it.
func writeSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_SYNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteSync writes path with O_SYNC and fsync (the generation file).
func WriteSync(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return writeSync(path, data)
}
