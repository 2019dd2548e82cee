package node

import (
	"bufio"
	"bytes"
	"os"
	"os/user"
	"strconv"

	"github.com/hbd-ha/hbd/internal/sysio"
)

// Who may use the CIB socket, as Pacemaker's cib manager admits its
// clients: root, the cluster user (hacluster) and the members of the
// cluster group (haclient). The socket is root:haclient 0660 when the
// group exists (root-only 0600 otherwise); the peer's credentials
// (SO_PEERCRED, and its supplementary groups from /proc/PID/status) are
// checked again at connection, so that a socket made wider by hand or
// reached through a descriptor passed on admits nobody else. A refused
// client's requests are answered with Pacemaker's "Permission denied"
// (-EACCES). Pacemaker's ACLs (what an admitted non-root user may read or
// write) are not implemented: an admitted user may do what root may.

// Pacemaker's cluster user and group (CRM_DAEMON_USER, CRM_DAEMON_GROUP).
const (
	clusterUser  = "hacluster"
	clusterGroup = "haclient"
)

// cibAccess is who is admitted besides root: -1 when there is no such
// user or group.
type cibAccess struct {
	uid, gid int64
}

// lookupCIBAccess reads the cluster user's uid and group's gid (the CIB
// socket's and the ccm socket directory's owners).
func lookupCIBAccess() cibAccess {
	a := cibAccess{uid: -1, gid: -1}
	if u, err := user.Lookup(clusterUser); err == nil {
		if v, err := strconv.ParseInt(u.Uid, 10, 64); err == nil {
			a.uid = v
		}
	}
	if g, err := user.LookupGroup(clusterGroup); err == nil {
		if v, err := strconv.ParseInt(g.Gid, 10, 64); err == nil {
			a.gid = v
		}
	}
	return a
}

// admits decides for a peer with credentials cr and supplementary groups.
func (a cibAccess) admits(cr sysio.Cred, groups []uint32) bool {
	switch {
	case cr.UID == 0:
		return true
	case a.uid >= 0 && int64(cr.UID) == a.uid:
		return true
	case a.gid < 0:
		return false
	case int64(cr.GID) == a.gid:
		return true
	}
	for _, g := range groups {
		if int64(g) == a.gid {
			return true
		}
	}
	return false
}

// peerGroups reads a process's supplementary groups (the Groups: line of
// /proc/PID/status); nil when the process is gone.
func peerGroups(pid int32) []uint32 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(int(pid)) + "/status")
	if err != nil {
		return nil
	}
	return parseGroups(b)
}

// parseGroups reads the Groups: line of a /proc/PID/status.
func parseGroups(status []byte) []uint32 {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("Groups:"))
		if !ok {
			continue
		}
		var out []uint32
		for _, f := range bytes.Fields(rest) {
			if v, err := strconv.ParseUint(string(f), 10, 32); err == nil {
				out = append(out, uint32(v))
			}
		}
		return out
	}
	return nil
}

// cibSocketAccess makes the socket root:haclient 0660 when the group
// exists.
func cibSocketAccess(path string, a cibAccess) error {
	if a.gid < 0 {
		return nil
	}
	if err := os.Chown(path, 0, int(a.gid)); err != nil {
		return err
	}
	return os.Chmod(path, 0o660)
}
