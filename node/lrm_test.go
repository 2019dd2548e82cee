package node

import (
	"net"
	"path/filepath"
	"testing"

	"github.com/hbd-ha/hbd/rsc/lrm"
)

// An lrmd that answers keeps its socket; a stale socket (nobody
// listening) or none is taken over.
func TestLrmdAlive(t *testing.T) {
	dir := t.TempDir()
	if lrmdAlive(dir) {
		t.Fatal("no socket: alive")
	}
	ln, err := net.Listen("unix", filepath.Join(dir, lrm.CmdSock))
	if err != nil {
		t.Fatal(err)
	}
	if !lrmdAlive(dir) {
		t.Error("a listening lrmd: not alive")
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if lrmdAlive(dir) {
		t.Error("a stale socket: alive")
	}
}
