package node

import (
	"strconv"
	"testing"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/cib/store"
	"github.com/hbd-ha/hbd/loop"
)

// The CIB written off the loop is the newest one saved, whole, with its
// digest, once the node waits for the writer (as it does when it stops).
func TestCRMSaveAsync(t *testing.T) {
	l, err := loop.New(loop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	n := &Node{loop: l}
	n.crm.dir = store.Dir{Path: t.TempDir(), Backups: 3}
	c, err := cib.ParseCIB([]byte(ipcTestCIB))
	if err != nil {
		t.Fatal(err)
	}
	n.crm.cib = c
	for i := range 50 {
		n.crm.cib.Root.Set("epoch", strconv.Itoa(100+i))
		n.crmSave()
	}
	n.crmSaveWait()
	data, _, err := n.crm.dir.Load(cib.CheckDisk)
	if err != nil {
		t.Fatal(err)
	}
	got, err := cib.ParseCIB(data)
	if err != nil {
		t.Fatal(err)
	}
	if v := got.Version(); v.Epoch != 149 {
		t.Errorf("cib.xml holds epoch %d, want the last saved, 149", v.Epoch)
	}
	if n.crm.saver.running {
		t.Error("the writer still runs after the wait")
	}
}
