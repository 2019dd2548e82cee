package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/hbd-ha/hbd/api"
	"github.com/hbd-ha/hbd/api/apitest"
)

// hbctl status --json reports exactly the backend's state.
func TestStatusJSON(t *testing.T) {
	apitest.RequireRoot(t)
	b := apitest.NewBackend()
	s := apitest.Start(t, b, api.Options{})
	out := hbctl(t, s.Path, "status", "--json")
	var got clusterState
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := clusterState{Node: b.Local, Version: b.Ver, DeadtimeMS: b.DT.Milliseconds(), KeepaliveMS: b.KA.Milliseconds(), Resources: b.Hold, Nodes: b.NodeList}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("status --json:\n got %+v\nwant %+v", got, want)
	}
	var nodes []api.NodeInfo
	if err := json.Unmarshal(hbctl(t, s.Path, "nodes", "--json"), &nodes); err != nil {
		t.Fatal(err)
	}
	if len(nodes) != len(b.NodeList) {
		t.Fatalf("nodes --json: %d nodes, want %d", len(nodes), len(b.NodeList))
	}
	for i, n := range nodes {
		w := b.NodeList[i]
		if n.Name != w.Name || n.Type != w.Type || n.Status != w.Status || n.Weight != w.Weight || n.Site != w.Site || n.Links != nil {
			t.Errorf("node %d: %+v, want %+v without links", i, n, w)
		}
	}
	var rsc map[string]string
	if err := json.Unmarshal(hbctl(t, s.Path, "resources", "--json"), &rsc); err != nil || rsc["resources"] != b.Hold {
		t.Errorf("resources --json: %v %v", rsc, err)
	}
}

// hbctl runs the built binary with HBD_API_SOCKET set.
func hbctl(t *testing.T, sock string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "hbctl"), args...)
	cmd.Env = append(cmd.Environ(), "HBD_API_SOCKET="+sock)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("hbctl %v: %v\n%s", args, err, errb.String())
	}
	return out
}

func TestStatusNoDaemon(t *testing.T) {
	cmd := exec.Command(filepath.Join(binDir, "hbctl"), "status")
	cmd.Env = append(cmd.Environ(), "HBD_API_SOCKET="+filepath.Join(t.TempDir(), "none"))
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("status with no daemon succeeded: %s", out)
	} else if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("status with no daemon: %v, want exit 1", err)
	}
}
