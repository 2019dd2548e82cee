package clustertest

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/netnstest"
)

// KeepalivedBin is Debian's keepalived (the bench's VRRP reference).
const KeepalivedBin = "/usr/sbin/keepalived"

// RequireKeepalived skips t unless keepalived is installed.
func RequireKeepalived(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath(KeepalivedBin); err != nil {
		t.Skip("keepalived is not installed (make bench-cluster installs it)")
	}
}

// NewKeepalived prepares a keepalived node running one VRRPv3 instance
// for vip on eth0: priority prio (the highest is master, and takes the
// address back when it returns), adverts every advert.
func NewKeepalived(t testing.TB, h *netnstest.Host, name string, prio int, advert time.Duration, vip netip.Addr) *Daemon {
	t.Helper()
	return NewKeepalivedRT(t, h, name, prio, advert, vip, 0)
}

// NewKeepalivedRT is NewKeepalived with the VRRP process at real-time
// priority rtprio (global_defs vrrp_rt_priority; 0: keepalived's default,
// the normal class), for comparisons with a realtime hbd.
func NewKeepalivedRT(t testing.TB, h *netnstest.Host, name string, prio int, advert time.Duration, vip netip.Addr, rtprio int) *Daemon {
	t.Helper()
	dir := t.TempDir()
	rt := ""
	if rtprio > 0 {
		rt = fmt.Sprintf("\tvrrp_rt_priority %d\n", rtprio)
	}
	conf := fmt.Sprintf(`global_defs {
	router_id %s
	vrrp_version 3
	script_user root
	enable_script_security
%s}
vrrp_instance VI_1 {
	state BACKUP
	interface eth0
	virtual_router_id 51
	priority %d
	advert_int %g
	virtual_ipaddress {
		%s/24 dev eth0
	}
}
`, name, rt, prio, advert.Seconds(), vip)
	if err := os.WriteFile(filepath.Join(dir, "keepalived.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	logfile := filepath.Join(dir, "log")
	if err := os.WriteFile(logfile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	d := &Daemon{t: t, Name: name, Host: h, Dir: dir, Log: watchLog(t, logfile), keepalived: true}
	d.args = []string{filepath.Join(dir, "keepalived.conf"), dir, logfile}
	return d
}

// Keepalived reports whether d is a keepalived node.
func (d *Daemon) Keepalived() bool { return d.keepalived }

// startKeepalived runs keepalived in the foreground (VRRP only, logging
// to the console, which goes to the log file) in its own PID and mount
// namespace.
func (d *Daemon) startKeepalived() {
	d.t.Helper()
	// A killed instance leaves its pid files: the new one, pid 1 again in
	// its own namespace, would take them for a running daemon.
	script := `rm -f "$2/keepalived.pid" "$2/vrrp.pid"; exec ` + KeepalivedBin + ` --dont-fork --log-console --log-detail --vrrp -f "$1" -p "$2/keepalived.pid" -r "$2/vrrp.pid" >>"$3" 2>&1`
	d.startCmd(append([]string{"unshare", "--pid", "--fork", "--mount", "--mount-proc", "--kill-child", "--", "/bin/sh", "-c", script, "sh"}, d.args...))
}
