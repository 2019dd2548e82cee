package config

import (
	"errors"
	"testing"
)

// The built-in helpers' directives: parsed, defaulted off, bad values
// refused at their line.
func TestHelperDirectives(t *testing.T) {
	cfg := mustParse(t, base)
	if cfg.Logd || cfg.Apphbd || cfg.ApphbdAllowReboot || cfg.RecoveryConfig != "" {
		t.Errorf("helpers on by default: %+v", cfg)
	}
	cfg = mustParse(t, base+"hbd_logd on\nhbd_logd_config /etc/ha.d/logd.cf\nhbd_apphbd yes\nhbd_apphbd_config /etc/ha.d/apphbd.cf\nhbd_apphbd_allow_reboot on\nhbd_recovery_config /etc/ha.d/recovery.conf\n")
	if !cfg.Logd || cfg.LogdConfig != "/etc/ha.d/logd.cf" || !cfg.Apphbd || cfg.ApphbdConfig != "/etc/ha.d/apphbd.cf" ||
		!cfg.ApphbdAllowReboot || cfg.RecoveryConfig != "/etc/ha.d/recovery.conf" {
		t.Errorf("parsed %+v", cfg)
	}
	for line, want := range map[string]string{
		"hbd_logd maybe":                "hbd_logd [maybe] must be on or off",
		"hbd_apphbd_allow_reboot often": "hbd_apphbd_allow_reboot [often] must be on or off",
		"hbd_recovery_config rules":     "hbd_recovery_config [rules] must be an absolute path",
	} {
		_, _, err := ParseHACF(testPath, []byte(base+line+"\n"), testEnv())
		var d Diagnostic
		if !errors.As(err, &d) || d.Msg != want || d.Line != 4 {
			t.Errorf("%q: %v, want %q at line 4", line, err, want)
		}
	}
}
