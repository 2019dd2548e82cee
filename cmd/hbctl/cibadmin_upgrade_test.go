package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hbd-ha/hbd/crm/cib"
)

// cibadmin -u on a CIB_file: a heartbeat 2.x CIB is upgraded in place
// (its versions kept); a CIB at the newest schema needs nothing, as
// Pacemaker says; one in between is refused, not half-done.
func TestCibadminUpgrade(t *testing.T) {
	old, err := os.ReadFile("../../crm/cib/testdata/upgrade/heartbeat-2.1.4.xml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cib.xml")
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CIB_file", path)
	var out, errb bytes.Buffer
	if rc := runCibadmin("cibadmin", []string{"--upgrade", "--force"}, &out, &errb); rc != 0 {
		t.Fatalf("upgrade of a 2.x CIB: exit %d: %s", rc, errb.String())
	}
	data, _ := os.ReadFile(path)
	c, err := cib.ParseCIB(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Root.Get("validate-with"); got != cib.UpgradeTarget || c.Version().Epoch != 12 {
		t.Errorf("after -u: validate-with %q, epoch %d", got, c.Version().Epoch)
	}
	if !strings.Contains(errb.String(), "upgraded the CIB from heartbeat 2.x") {
		t.Errorf("no report of the upgrade: %q", errb.String())
	}
	// pacemaker-1.0: Pacemaker would go on to the newest schema; hbd
	// says it does not, and leaves the file.
	out.Reset()
	errb.Reset()
	if rc := runCibadmin("cibadmin", []string{"-u"}, &out, &errb); rc != 3 || !strings.HasPrefix(errb.String(), "Call failed: Operation not supported") {
		t.Errorf("-u of a pacemaker-1.0 CIB: exit %d, %q", rc, errb.String())
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, data) {
		t.Error("a refused upgrade changed the file")
	}
	latest := cib.Empty(cib.LatestSchema)
	if err := os.WriteFile(path, latest.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if rc := runCibadmin("cibadmin", []string{"-u"}, &out, &errb); rc != 0 || out.String() != "Upgrade unnecessary: Schema is already the latest available\n" {
		t.Errorf("-u of a %s CIB: exit %d, %q", cib.LatestSchema, rc, out.String())
	}
}
