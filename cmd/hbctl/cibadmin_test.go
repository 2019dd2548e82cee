package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const cibadminSmall = `<cib admin_epoch="0" epoch="1" num_updates="25" validate-with="pacemaker-3.0"><configuration><crm_config/><nodes><node id="n1" uname="n1"/></nodes><resources/><constraints/></configuration><status/></cib>`

// cibadminSteps are command sequences run on one file each; every step is
// compared with Pacemaker's cibadmin on its own copy.
var cibadminSteps = [][][]string{
	{{"-Q"}, {"-Q", "-o", "nodes"}, {"-Q", "-o", "status"}, {"-Q", "-o", "bogus"}, {"-Q", "--xpath", "//node"},
		{"-Q", "--xpath", "//node|//crm_config"}, {"-Q", "-e", "--xpath", "//node"}, {"-Q", "--xpath", "//primitive"},
		{"-Q", "-o", "nodes", "-n"}, {"-Q", "--xpath", "/cib/configuration/nodes/node[@id='n1']"}},
	{{"-C", "-o", "resources", "-X", `<primitive id="d1" class="ocf" provider="heartbeat" type="Dummy"/>`},
		{"-C", "-o", "resources", "-X", `<primitive id="d1" class="ocf" provider="heartbeat" type="Dummy"/>`},
		{"-M", "-o", "resources", "-X", `<primitive id="d1" description="x"/>`},
		{"-M", "-o", "resources", "-X", `<primitive id="zz" description="x"/>`},
		{"--create", "--scope", "status", "--xml-text", `<node_state id="n1" uname="n1"/>`},
		{"-D", "-o", "resources", "-X", `<primitive id="d1"/>`},
		{"-D", "-o", "resources", "-X", `<primitive id="d1"/>`},
		{"-Q"}},
	{{"-R", "-o", "nodes", "-X", `<nodes><node id="n2" uname="n2"/></nodes>`},
		{"-C", "-X", `<primitive id="d2" class="ocf" provider="heartbeat" type="Dummy"/>`},
		{"-C", "-o", "resources", "-X", `<primitive id="d3" type="Dummy"/>`},
		{"-C", "-o", "resources", "-X", `<primitive class="ocf" provider="heartbeat" type="Dummy"/>`},
		{"-C", "-o", "bogus", "-X", `<x id="1"/>`},
		{"-B"}, {"-M", "-X", `<cib admin_epoch="admin_epoch++"/>`}, {"-M", "-X", `<cib have-quorum="1"/>`},
		{"-E"}, {"-E", "--force"}, {"-Q"}},
	{{"-D", "-o", "resources", "-X", `<primitive id="zz"/>`}, {"-Q"}, {"-D", "--xpath", "//node"}, {"-D", "--xpath", "//node"}},
	{{"-M", "-o", "nodes", "-X", `<node id="zz"/>`}, {"-M", "-o", "nodes", "-X", `<node id="n1" uname="n1"/>`}},
	{{"-R", "-X", `<cib admin_epoch="0" epoch="1" num_updates="2" validate-with="pacemaker-3.0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>`},
		{"-R", "-X", `<cib admin_epoch="0" epoch="1" num_updates="25" validate-with="pacemaker-3.0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>`},
		{"-R", "-l", "-X", `<cib admin_epoch="0" epoch="7" num_updates="3" validate-with="pacemaker-3.0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>`},
		{"-C", "-o", "resources"}, {"-Z"}, {}, {"-a"}, {"-C", "-o", "resources", "-X", "garbage"},
		{"-M", "-o", "resources", "-x", "/nonexistent/hbd.xml"}},
}

// TestCibadminParity runs Debian's cibadmin (Pacemaker 2.1.5) and hbd's
// on copies of the same CIB, command after command, and compares what
// each prints, its exit code and the file it leaves.
func TestCibadminParity(t *testing.T) {
	real, err := exec.LookPath("cibadmin")
	if err != nil {
		t.Skip("Pacemaker's cibadmin is not installed (apt-get install pacemaker-cli-utils)")
	}
	dir := t.TempDir()
	docs := map[string][]byte{"small": []byte(cibadminSmall),
		"comments": []byte("<!-- before -->\n<cib admin_epoch=\"0\" epoch=\"1\" num_updates=\"0\" validate-with=\"pacemaker-3.0\">\n<!-- top -->\n<configuration><crm_config/><nodes/><resources>\n  <!-- the resources -->\n<primitive id=\"a\" class=\"lsb\" type=\"a\"/><!--after a--></resources><constraints/></configuration><status/></cib>\n<!-- after -->\n")}
	cases, _ := filepath.Glob(filepath.Join("..", "..", "crm", "pe", "testdata", "cases", "*", "cib.xml"))
	if len(cases) > 6 {
		cases = cases[:6] // each run of Pacemaker's cibadmin costs a fraction of a second
	}
	for _, p := range cases {
		if b, err := os.ReadFile(p); err == nil {
			docs[filepath.Base(filepath.Dir(p))] = b
		}
	}
	n := 0
	for name, doc := range docs {
		seqs := cibadminSteps
		if name != "small" {
			// The scheduler cases: queries, and a change of each kind.
			seqs = [][][]string{{{"-Q"}, {"-Q", "-o", "resources"}, {"-Q", "--xpath", "//nvpair"},
				{"-M", "-X", `<cib epoch="epoch++"/>`}, {"-D", "-o", "constraints", "-X", `<rsc_location/>`},
				{"-d", "--xpath", "//meta_attributes/nvpair"}, {"-d", "--force", "--xpath", "//meta_attributes/nvpair"},
				{"-C", "-o", "crm_config", "-X", `<cluster_property_set id="hbd-x"><nvpair id="hbd-x-1" name="a" value="b"/></cluster_property_set>`},
				{"-E", "--force"}}}
		}
		for si, seq := range seqs {
			mine, theirs := filepath.Join(dir, "mine.xml"), filepath.Join(dir, "theirs.xml")
			os.WriteFile(mine, doc, 0o600)
			os.WriteFile(theirs, doc, 0o600)
			for _, args := range seq {
				cmd := exec.Command(real, args...)
				cmd.Env = append(os.Environ(), "CIB_file="+theirs, "LC_ALL=C")
				var rout, rerr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &rout, &rerr
				rrc := 0
				if err := cmd.Run(); err != nil {
					ee, ok := err.(*exec.ExitError)
					if !ok {
						t.Fatal(err)
					}
					rrc = ee.ExitCode()
				}
				t.Setenv("CIB_file", mine)
				var out, errb bytes.Buffer
				rc := runCibadmin("cibadmin", args, &out, &errb)
				what := name + " seq " + string(rune('0'+si)) + " cibadmin " + strings.Join(args, " ")
				if rc != rrc {
					t.Errorf("%s: exit %d, Pacemaker's %d (stderr %q / %q)", what, rc, rrc, errb.String(), rerr.String())
				}
				if out.String() != rout.String() {
					t.Errorf("%s: stdout\n%s\nPacemaker's\n%s", what, out.String(), rout.String())
				}
				// Messages are compared when Pacemaker's are short and
				// stable (its usage text and libxml2's noise are not).
				if rrc != 64 && !strings.Contains(rerr.String(), "Relax-NG") && errb.String() != rerr.String() {
					t.Errorf("%s: stderr\n%s\nPacemaker's\n%s", what, errb.String(), rerr.String())
				}
				a, _ := os.ReadFile(mine)
				b, _ := os.ReadFile(theirs)
				if !bytes.Equal(a, b) {
					t.Fatalf("%s: file\n%s\nPacemaker's\n%s", what, a, b)
				}
				n++
			}
		}
	}
	t.Logf("%d commands compared on %d CIBs", n, len(docs))
}

// hbctl is cibadmin when invoked so, and has it and haresources2cib as
// subcommands.
func TestCibadminPersonality(t *testing.T) {
	f := filepath.Join(t.TempDir(), "cib.xml")
	os.WriteFile(f, []byte(cibadminSmall), 0o600)
	t.Setenv("CIB_file", f)
	var a, b, e bytes.Buffer
	if rc := dispatch("/usr/sbin/cibadmin", []string{"-Q", "-o", "nodes"}, &a, &e); rc != 0 || a.String() != "<nodes>\n  <node id=\"n1\" uname=\"n1\"/>\n</nodes>\n" {
		t.Fatalf("cibadmin -Q: %d %q %q", rc, a.String(), e.String())
	}
	if rc := dispatch("hbctl", []string{"cibadmin", "-Q", "-o", "nodes"}, &b, &e); rc != 0 || b.String() != a.String() {
		t.Fatalf("hbctl cibadmin -Q: %d %q", rc, b.String())
	}
	var h bytes.Buffer
	if rc := dispatch("hbctl", []string{"haresources2cib", "--stdout", "-c", filepath.Join("..", "..", "testdata", "sample-ha.d", "ha.cf")}, &h, &e); rc != 0 || !strings.Contains(h.String(), `<group id="group_1">`) {
		t.Fatalf("hbctl haresources2cib: %d %q %q", rc, h.String(), e.String())
	}
}
