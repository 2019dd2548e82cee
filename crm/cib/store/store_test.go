package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hbd-ha/hbd/crm/cib"
)

const doc = `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status><node_state id="n1"/></status></cib>`

func TestSaveLoadBackups(t *testing.T) {
	d := Dir{Path: filepath.Join(t.TempDir(), "crm"), Backups: 3}
	if c, _, err := d.Load(cib.CheckDisk); c != nil || err != nil {
		t.Fatalf("empty dir: %v %v", c, err)
	}
	c, err := cib.ParseCIB([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var prev cib.Version
	for i := 0; i < 5; i++ {
		prev = c.Version()
		if _, err := c.Apply(cib.Request{Op: cib.OpModify, Data: cib.NewElement("cib", "epoch", "epoch++")}); err != nil {
			t.Fatal(err)
		}
		if err := d.Save(c.DiskForm()); err != nil {
			t.Fatal(err)
		}
	}
	load := func() (*cib.CIB, string, error) {
		data, from, err := d.Load(cib.CheckDisk)
		if err != nil {
			return nil, from, err
		}
		c, err := cib.ParseCIB(data)
		return c, from, err
	}
	got, from, err := load()
	if err != nil || got.Version() != c.Version() || !strings.HasSuffix(from, "cib.xml") {
		t.Fatalf("load: %v %v %s", err, got, from)
	}
	if got.Root.Child("status") != nil {
		t.Fatal("status written to disk")
	}
	raws, _ := filepath.Glob(filepath.Join(d.Path, "cib-*.raw"))
	if len(raws) != 3 {
		t.Fatalf("backups %v, want the last 3", raws)
	}
	// A cib.xml that no longer matches its digest is not used: the
	// newest backup is, the version before.
	f, _ := os.OpenFile(filepath.Join(d.Path, "cib.xml"), os.O_WRONLY|os.O_TRUNC, 0)
	f.WriteString(strings.Replace(string(c.Bytes()), `epoch="`, `epoch="9`, 1))
	f.Close()
	if _, err := loadChecked(filepath.Join(d.Path, "cib.xml"), cib.CheckDisk); !errors.Is(err, cib.ErrDigest) {
		t.Fatalf("tampered file: %v", err)
	}
	got, from, err = load()
	if err != nil || !strings.HasSuffix(from, ".raw") {
		t.Fatalf("fallback: %v %s", err, from)
	}
	if got.Version() != prev {
		t.Fatalf("fallback took %v, want %v", got.Version(), prev)
	}
}

func TestWriteFileAtomicKeepsMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cib.xml")
	os.WriteFile(p, []byte(doc), 0o644)
	data, err := ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cib.ParseCIB(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, c.Bytes()); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	b, _ := os.ReadFile(p)
	if st.Mode().Perm() != 0o644 || !strings.HasPrefix(string(b), "<cib admin_epoch=\"0\" epoch=\"1\"") || !strings.HasSuffix(string(b), "</cib>\n") {
		t.Fatalf("mode %v content %s", st.Mode(), b)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(p), ".cib.xml.tmp*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}
