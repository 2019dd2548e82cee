package config

import (
	"bytes"
	"os"
	"testing"
)

// TestWriteDefaults compares with the real "heartbeat -D" and "-DW" output,
// saved from the Debian binary.
func TestWriteDefaults(t *testing.T) {
	for _, tc := range []struct {
		wiki bool
		file string
	}{{false, "../testdata/heartbeat-D.txt"}, {true, "../testdata/heartbeat-DW.txt"}} {
		want, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := WriteDefaults(&got, tc.wiki); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("WriteDefaults(wiki=%v) differs from %s:\ngot:\n%s\nwant:\n%s", tc.wiki, tc.file, got.Bytes(), want)
		}
	}
}

func TestWikiName(t *testing.T) {
	for in, want := range map[string]string{
		"cluster": "Cluster", "max_rexmit_delay": "MaxRexmitDelay", "conn_logd_time": "ConnLogdTime",
	} {
		if got := wikiName(in); got != want {
			t.Errorf("wikiName(%q) = %q, want %q", in, got, want)
		}
	}
}
