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

// heartbeat 2.x's cib.xml (crm_feature_set 2.0, <attributes> wrappers).
const doc2x = `<cib generated="true" admin_epoch="0" have_quorum="true" num_peers="2" cib_feature_revision="2.0" crm_feature_set="2.0" epoch="7" num_updates="1">
 <configuration>
  <crm_config><cluster_property_set id="cib-bootstrap-options"><attributes>
   <nvpair id="o1" name="default-resource-stickiness" value="INFINITY"/>
  </attributes></cluster_property_set></crm_config>
  <nodes/>
  <resources><group id="group_1"><primitive class="ocf" id="IPaddr_1" provider="heartbeat" type="IPaddr">
   <instance_attributes id="IPaddr_1_ia"><attributes><nvpair id="IPaddr_1_ip" name="ip" value="10.0.0.1"/></attributes></instance_attributes>
  </primitive></group></resources>
  <constraints/>
 </configuration>
 <status/>
</cib>`

// TestLoadUpgrades is the start-up path of a node whose cib.xml heartbeat
// 2.x wrote: Load, then cib.ParseUpgraded (the store is an adapter and
// leaves the upgrade to crm/cib); the 2.x file stays until the next Save,
// which keeps it as a backup.
func TestLoadUpgrades(t *testing.T) {
	d := Dir{Path: filepath.Join(t.TempDir(), "crm")}
	if err := os.MkdirAll(d.Path, 0o750); err != nil {
		t.Fatal(err)
	}
	cur := filepath.Join(d.Path, "cib.xml")
	if err := os.WriteFile(cur, []byte(doc2x), 0o600); err != nil {
		t.Fatal(err)
	}
	load := func() (*cib.CIB, cib.UpgradeReport, error) {
		data, from, err := d.Load(cib.CheckDisk)
		if err != nil {
			return nil, cib.UpgradeReport{}, err
		}
		if from != cur {
			t.Fatalf("loaded %s", from)
		}
		return cib.ParseUpgraded(data)
	}
	c, up, err := load()
	if err != nil {
		t.Fatal(err)
	}
	if !up.Changed() || !strings.HasPrefix(up.String(), "upgraded the CIB from heartbeat 2.x (no validate-with, crm_feature_set 2.0) to pacemaker-1.0") {
		t.Fatalf("report %q", up)
	}
	if c.Root.Get("validate-with") != "pacemaker-1.0" || c.FindID("IPaddr_1_ip") == nil || c.FindID("IPaddr_1_ip").Parent.ID() != "IPaddr_1_ia" {
		t.Fatalf("not upgraded:\n%s", c.Bytes())
	}
	if b, _ := os.ReadFile(cur); string(b) != doc2x {
		t.Fatal("loading rewrote cib.xml")
	}
	if err := d.Save(c.DiskForm()); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(d.Path, "cib-0.raw")); string(b) != doc2x {
		t.Fatal("the 2.x file is not the backup")
	}
	if _, up, err := load(); err != nil || up.Changed() {
		t.Fatalf("the saved CIB upgraded again: %+v %v", up, err)
	}
	// A 2.x CIB that cannot be upgraded is refused with the element.
	bad := strings.Replace(doc2x, `id="IPaddr_1"`, `id="1IPaddr"`, 1)
	if err := os.WriteFile(cur, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(cur + ".sig")
	if _, _, err := load(); err == nil || !strings.Contains(err.Error(), "primitive[@id='1IPaddr']") {
		t.Fatalf("refusal: %v", err)
	}
}
