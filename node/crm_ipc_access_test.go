package node

import (
	"reflect"
	"testing"

	"github.com/hbd-ha/hbd/internal/sysio"
)

// Root, the cluster user and the cluster group's members (by primary or
// supplementary group) are admitted; anyone else is not, nor is anyone
// but root when the user and group do not exist.
func TestCIBAccessAdmits(t *testing.T) {
	a := cibAccess{uid: 102, gid: 105}
	for _, c := range []struct {
		cr     sysio.Cred
		groups []uint32
		want   bool
	}{
		{sysio.Cred{UID: 0, GID: 0}, nil, true},
		{sysio.Cred{UID: 102, GID: 1000}, nil, true},
		{sysio.Cred{UID: 1000, GID: 105}, nil, true},
		{sysio.Cred{UID: 1000, GID: 1000}, []uint32{27, 105}, true},
		{sysio.Cred{UID: 1000, GID: 1000}, []uint32{27, 1000}, false},
		{sysio.Cred{UID: 65534, GID: 65534}, nil, false},
	} {
		if got := a.admits(c.cr, c.groups); got != c.want {
			t.Errorf("admits(%+v, %v) = %v", c.cr, c.groups, got)
		}
	}
	none := cibAccess{uid: -1, gid: -1}
	if none.admits(sysio.Cred{UID: 1000, GID: 105}, []uint32{105}) || !none.admits(sysio.Cred{}, nil) {
		t.Error("without hacluster/haclient only root is admitted")
	}
}

func TestParseGroups(t *testing.T) {
	st := []byte("Name:\tcat\nUid:\t1000\t1000\t1000\t1000\nGroups:\t4 27 105 \nNSpid:\t1\n")
	if got := parseGroups(st); !reflect.DeepEqual(got, []uint32{4, 27, 105}) {
		t.Errorf("groups %v", got)
	}
	if got := parseGroups([]byte("Groups:\t\n")); len(got) != 0 {
		t.Errorf("no groups: %v", got)
	}
	if got := parseGroups([]byte("Name:\tx\n")); got != nil {
		t.Errorf("no Groups line: %v", got)
	}
}
