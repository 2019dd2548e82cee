package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestHbdDirectives(t *testing.T) {
	c := mustParse(t, base)
	if c.SelfFence != nil || c.ActionTimeout != 0 || c.IPAgent != "builtin" || c.OCFIPAgent != "" || c.RscWorkers != 0 || c.MetricsListen != "" {
		t.Errorf("defaults: fence %q timeout %v agent %q workers %d metrics %q", c.SelfFence, c.ActionTimeout, c.IPAgent, c.RscWorkers, c.MetricsListen)
	}
	c = mustParse(t, base+
		"hbd_self_fence /usr/lib/heartbeat/ipfail --x a,b  c # comment\n"+
		"hbd_action_timeout 1500ms\n"+
		"hbd_ip_agent script\n"+
		"hbd_ocf_ip_agent script\n"+
		"hbd_rsc_workers 8\n"+
		"hbd_ucast_bind 127.0.0.3\n"+
		"hbd_metrics_listen [::1]:9100\n")
	if want := []string{"/usr/lib/heartbeat/ipfail", "--x", "a,b", "c"}; !reflect.DeepEqual(c.SelfFence, want) {
		t.Errorf("SelfFence = %q, want %q (split on blanks only)", c.SelfFence, want)
	}
	if c.ActionTimeout != 1500*time.Millisecond || c.IPAgent != "script" || c.RscWorkers != 8 || c.UcastBind.String() != "127.0.0.3" || c.MetricsListen != "[::1]:9100" {
		t.Errorf("timeout %v agent %q workers %d bind %v metrics %q", c.ActionTimeout, c.IPAgent, c.RscWorkers, c.UcastBind, c.MetricsListen)
	}
	if c.OCFIPAgent != "script" {
		t.Errorf("hbd_ocf_ip_agent script: %q", c.OCFIPAgent)
	}
	if c := mustParse(t, base+"hbd_ocf_ip_agent builtin\n"); c.OCFIPAgent != "builtin" || c.IPAgent != "builtin" {
		t.Errorf("hbd_ocf_ip_agent builtin: %q (hbd_ip_agent %q)", c.OCFIPAgent, c.IPAgent)
	}
	for _, name := range []string{"hbd_self_fence", "hbd_action_timeout", "hbd_ip_agent", "hbd_ocf_ip_agent", "hbd_rsc_workers", "hbd_ucast_bind", "hbd_metrics_listen"} {
		if _, ok := c.Params.Get(name); ok {
			t.Errorf("%s recorded as a parameter: heartbeat's children would see HA_%s", name, name)
		}
	}
	// The last line wins; time syntax as deadtime's.
	c = mustParse(t, base+"hbd_self_fence /bin/true 1\nhbd_self_fence /bin/true 2\nhbd_action_timeout 3\n")
	if want := []string{"/bin/true", "2"}; !reflect.DeepEqual(c.SelfFence, want) || c.ActionTimeout != 3*time.Second {
		t.Errorf("SelfFence = %q, timeout %v", c.SelfFence, c.ActionTimeout)
	}
	if c = mustParse(t, base+"hbd_hook_timeout 1500ms\n"); c.HookTimeout != 1500*time.Millisecond {
		t.Errorf("hbd_hook_timeout 1500ms: %v", c.HookTimeout)
	}
}

func TestHbdDirectiveErrors(t *testing.T) {
	for _, tc := range []struct {
		line, want string
		hbd        bool
	}{
		{"hbd_self_fence reboot -f", "hbd_self_fence command [reboot] is not a full pathname", true},
		{"hbd_self_fence /sbin/nosuch -f", "hbd_self_fence command [/sbin/nosuch] is not executable", true},
		{"hbd_action_timeout soon", "Invalid hbd_action_timeout value [soon]", true},
		{"hbd_action_timeout 5min", "Invalid hbd_action_timeout value [5min]", true},
		{"hbd_action_timeout 9300000000000", "Invalid hbd_action_timeout value [9300000000000]", true},
		{"hbd_ip_agent netlink", "hbd_ip_agent [netlink] must be builtin or script", true},
		{"hbd_ocf_ip_agent on", "hbd_ocf_ip_agent [on] must be builtin or script", true},
		{"hbd_rsc_workers 0", "hbd_rsc_workers [0] must be a number from 1 to 256", true},
		{"hbd_rsc_workers 4x", "hbd_rsc_workers [4x] must be a number from 1 to 256", true},
		{"hbd_ucast_bind ::1", "hbd_ucast_bind [::1] must be an IPv4 address", true},
		{"hbd_ucast_bind node1", "hbd_ucast_bind [node1] must be an IPv4 address", true},
		{"hbd_metrics_listen 9100", "hbd_metrics_listen [9100] must be host:port with a port from 1 to 65535", true},
		{"hbd_metrics_listen :0", "hbd_metrics_listen [:0] must be host:port with a port from 1 to 65535", true},
		{"hbd_metrics_listen :65536", "hbd_metrics_listen [:65536] must be host:port with a port from 1 to 65535", true},
		{"hbd_metrics_listen :http", "hbd_metrics_listen [:http] must be host:port with a port from 1 to 65535", true},
		{"hbd_metrics_listen :+80", "hbd_metrics_listen [:+80] must be host:port with a port from 1 to 65535", true},
		{"hbd_metrics_listen ::1:9100", "hbd_metrics_listen [::1:9100] must be host:port with a port from 1 to 65535", true},
		{"hbd_cluster_id 4294967296", "hbd_cluster_id [4294967296] must be a number from 0 to 4294967295 (decimal or 0x hex)", true},
		{"hbd_cluster_id blue", "hbd_cluster_id [blue] must be a number from 0 to 4294967295 (decimal or 0x hex)", true},
		{"hbd_bpf_filter yes", "hbd_bpf_filter [yes] must be auto, on or off", true},
		{"hbd_beacon_socket maybe", "hbd_beacon_socket [maybe] must be on or off", true},
		{"hbd_ipfail binary", "hbd_ipfail [binary] must be builtin or respawn", true},
		{"hbd_ccm binary", "hbd_ccm [binary] must be builtin or respawn", true},
		{"hbd_hook_timeout 0", "Invalid hbd_hook_timeout value [0]", true},
		{"msgfmt binary", "Invalid msgfmt value [binary]", true},
	} {
		t.Run(tc.line, func(t *testing.T) {
			_, _, err := ParseHACF(testPath, []byte(base+tc.line+"\n"), testEnv())
			var d Diagnostic
			if !errors.As(err, &d) {
				t.Fatalf("err = %v, want a Diagnostic", err)
			}
			if d.Msg != tc.want || d.Line != 4 || d.Hbd != tc.hbd {
				t.Errorf("first fatal = %q at line %d (hbd %v), want %q at line 4", d.Msg, d.Line, d.Hbd, tc.want)
			}
			if !strings.HasPrefix(d.Error(), testPath+":4: ") {
				t.Errorf("Error() = %q, want the file:line prefix", d.Error())
			}
		})
	}
}

// msgfmt decides when native packets may go out: no line lets the nodes
// agree (auto), native forces them, and an explicit heartbeat format
// keeps heartbeat's bytes. Native keeps classic's inner auth for the
// packets that still go out in heartbeat's form (ping, serial).
func TestMsgfmtNative(t *testing.T) {
	for _, c := range []struct {
		line   string
		mode   NativeMode
		msgfmt string
	}{
		{"", NativeAuto, "classic"},
		{"msgfmt native\n", NativeOn, "classic"},
		{"msgfmt classic\n", NativeOff, "classic"},
		{"msgfmt netstring\n", NativeOff, "netstring"},
	} {
		cfg := mustParse(t, base+c.line)
		if cfg.Native != c.mode || cfg.MsgFmt != c.msgfmt {
			t.Errorf("%q: native %v msgfmt %q, want %v %q", c.line, cfg.Native, cfg.MsgFmt, c.mode, c.msgfmt)
		}
	}
	cfg := mustParse(t, base+"hbd_cluster_id 0x2a\nhbd_bpf_filter off\nhbd_ipfail respawn\nhbd_beacon_socket off\n")
	if !cfg.ClusterIDSet || cfg.ClusterID != 42 || cfg.BPFFilter != "off" || cfg.IPFail != "respawn" || !cfg.NoBeaconSocket {
		t.Errorf("cluster id %v/%d filter %q ipfail %q", cfg.ClusterIDSet, cfg.ClusterID, cfg.BPFFilter, cfg.IPFail)
	}
	cfg = mustParse(t, base+"hbd_ccm respawn\n")
	if cfg.CCM != "respawn" || cfg.CCMOnly {
		t.Errorf("hbd_ccm respawn: ccm %q, ccm-only %v", cfg.CCM, cfg.CCMOnly)
	}
	cfg = mustParse(t, base+"crm ccm-only\n")
	if !cfg.CCMOnly || !cfg.ManageResources || cfg.CCM != "" {
		t.Errorf("crm ccm-only: ccm-only %v, manage resources %v, ccm %q", cfg.CCMOnly, cfg.ManageResources, cfg.CCM)
	}
}

func TestHbdDirectivesReparse(t *testing.T) {
	c := mustParse(t, base+"hbd_self_fence /bin/true a,b\nhbd_action_timeout 2.5\nhbd_ip_agent script\nhbd_rsc_workers 3\nhbd_ucast_bind 127.0.0.2\nhbd_metrics_listen 127.0.0.1:9100\n")
	again := mustParse(t, recordedHACF(c))
	if diff := compareRecorded(c, again); diff != "" {
		t.Error(diff)
	}
}
