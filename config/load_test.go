package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeDir writes a configuration directory; authkeys gets mode 0600.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		mode := fs.FileMode(0o644)
		if name == "authkeys" {
			mode = 0o600
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func validFiles() map[string]string {
	return map[string]string{
		"ha.cf":       "node node1 node2\nbcast eth0\nlogfacility local0\nauto_failback on\n",
		"authkeys":    "auth 1\n1 sha1 secret\n",
		"haresources": "node1 10.0.0.1/24/eth0 httpd\nnode2 IPaddr2::10.0.0.2\n",
	}
}

func TestLoad(t *testing.T) {
	dir := writeDir(t, validFiles())
	c, ds, err := Load(dir, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	if c.Dir != dir || c.Authkeys.Active != 1 || c.Authkeys.Keys[1].Key != "secret" {
		t.Errorf("Dir %q authkeys %+v", c.Dir, c.Authkeys)
	}
	if len(c.Haresources.Groups) != 2 || c.Haresources.Groups[1].Resources[0].IP.IP != "10.0.0.2" {
		t.Errorf("haresources %+v", c.Haresources)
	}
	last := ds[len(ds)-1]
	if last.Msg != "Configuration validated. Starting heartbeat 3.0.6" || last.Level != LevelInfo {
		t.Errorf("last diagnostic %v", last)
	}
	for _, d := range ds {
		if d.Fatal {
			t.Errorf("fatal diagnostic on success: %v", d)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(files map[string]string)
		mode   fs.FileMode // authkeys mode, 0 = 0600
		want   string      // first fatal diagnostic, with the tempdir as <dir>
		cause  error
	}{
		{"no ha.cf", func(f map[string]string) { delete(f, "ha.cf") }, 0,
			"<dir>//ha.cf: Cannot open config file [<dir>//ha.cf]", fs.ErrNotExist},
		{"bad directive", func(f map[string]string) { f["ha.cf"] += "bogus\n" }, 0,
			"<dir>//ha.cf:5: Illegal directive [bogus] in <dir>//ha.cf", nil},
		{"no authkeys", func(f map[string]string) { delete(f, "authkeys") }, 0,
			"<dir>//authkeys: Cannot open keyfile [<dir>//authkeys].  Stop.", fs.ErrNotExist},
		{"authkeys 0644", nil, 0o644,
			"<dir>//authkeys: Bad permissions on keyfile [<dir>//authkeys], 600 recommended.", nil},
		{"auth 2 without key", func(f map[string]string) { f["authkeys"] = "auth 2\n1 crc\n" }, 0,
			"<dir>//authkeys: Auth Key [2] not found in keyfile [<dir>//authkeys]", nil},
		{"deadtime", func(f map[string]string) { f["ha.cf"] += "keepalive 2\ndeadtime 4\n" }, 0,
			"<dir>//ha.cf:6: Dead time [4000] is too small compared to keeplive [2000]", nil},
		{"no haresources", func(f map[string]string) { delete(f, "haresources") }, 0,
			"<dir>//haresources: Cannot open resources file [<dir>//haresources]", fs.ErrNotExist},
		{"haresources node", func(f map[string]string) { f["haresources"] += "node3 x\n" }, 0,
			"<dir>//haresources:3: Bad nodename in <dir>//haresources [node3]", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := validFiles()
			if tc.change != nil {
				tc.change(files)
			}
			dir := writeDir(t, files)
			if tc.mode != 0 {
				if err := os.Chmod(filepath.Join(dir, "authkeys"), tc.mode); err != nil {
					t.Fatal(err)
				}
			}
			c, _, err := Load(dir, testEnv())
			if c != nil {
				t.Error("got a Config with an error")
			}
			var d Diagnostic
			if !errors.As(err, &d) {
				t.Fatalf("err = %v, want a Diagnostic", err)
			}
			if got := strings.ReplaceAll(d.String(), dir, "<dir>"); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("error does not wrap %v", tc.cause)
			}
		})
	}
}

// TestLoadStages checks heartbeat's summary line for each failing stage.
func TestLoadStages(t *testing.T) {
	files := validFiles()
	files["ha.cf"] += "bogus\n"
	files["authkeys"] = ""
	_, ds, _ := Load(writeDir(t, files), testEnv())
	if last := ds[len(ds)-1]; last.Msg != "Heartbeat not started: configuration error." || last.File != "" {
		t.Errorf("last = %#v", last)
	}
	for _, d := range ds {
		if strings.Contains(d.File, "authkeys") {
			t.Errorf("authkeys read after an ha.cf error: %v", d)
		}
	}
	files = validFiles()
	files["authkeys"] = ""
	_, ds, _ = Load(writeDir(t, files), testEnv())
	if last := ds[len(ds)-1]; last.Msg != "Authentication configuration error." {
		t.Errorf("last = %#v", last)
	}
}

func TestLoadNodeNameError(t *testing.T) {
	env := testEnv()
	boom := errors.New("boom")
	env.NodeName = func() (string, error) { return "", boom }
	if _, _, err := Load(t.TempDir(), env); !errors.Is(err, boom) {
		t.Errorf("err = %v, want it to wrap %v", err, boom)
	}
}

// TestDebianExample loads Debian's example files with a node line added:
// heartbeat refuses them for the missing auth line; with the example's own
// "auth 1", "1 crc" and "bcast eth0" lines uncommented they load.
func TestDebianExample(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", "debian", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	files := map[string]string{
		"ha.cf":       read("ha.cf") + "node node1\n",
		"authkeys":    read("authkeys"),
		"haresources": read("haresources"),
	}
	_, _, err := Load(writeDir(t, files), testEnv())
	var d Diagnostic
	if !errors.As(err, &d) || !strings.HasSuffix(d.Msg, "Missing auth directive in keyfile ["+d.File+"]") {
		t.Fatalf("err = %v, want the missing auth directive", err)
	}
	files["authkeys"] = strings.Replace(strings.Replace(files["authkeys"], "#auth 1", "auth 1", 1), "#1 crc", "1 crc", 1)
	files["ha.cf"] = strings.Replace(files["ha.cf"], "#bcast\teth0", "bcast\teth0", 1)
	c, _, err := Load(writeDir(t, files), testEnv())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Media) != 1 || c.AutoFailback != FailbackOn || c.LogFacility != "local0" || len(c.Haresources.Groups) != 0 {
		t.Errorf("media %v failback %v facility %q groups %v", c.Media, c.AutoFailback, c.LogFacility, c.Haresources.Groups)
	}
}

// pacemaker on: hbd's CRM manages the resources; haresources is not read
// (a broken one fails nothing), with heartbeat's two warnings when it
// exists.
func TestLoadCRM(t *testing.T) {
	files := validFiles()
	files["ha.cf"] += "pacemaker on\n"
	files["haresources"] = "nosuchnode bogus::\n"
	dir := writeDir(t, files)
	c, ds, err := Load(dir, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	if !c.CRM || c.ManageResources || c.Haresources != nil {
		t.Errorf("CRM %v, ManageResources %v, haresources %+v", c.CRM, c.ManageResources, c.Haresources)
	}
	var warned []string
	for _, d := range ds {
		if d.Level == LevelWarn && strings.Contains(d.Msg, "haresources") || strings.Contains(d.Msg, "crm is enabled") {
			warned = append(warned, d.Msg)
		}
	}
	want := []string{"File " + dir + "//haresources exists.", "This file is not used because crm is enabled"}
	if strings.Join(warned, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings %q, want %q", warned, want)
	}
}
