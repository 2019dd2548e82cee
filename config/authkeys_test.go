package config

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

const akPath = "/etc/ha.d//authkeys"

func TestParseAuthkeys(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		active   int
		keys     map[int]AuthKey
	}{
		{"crc", "auth 1\n1 crc\n", 1, map[int]AuthKey{1: {"crc", "", 2}}},
		{"rollover", "# keys\nauth 2\n1 md5 old\n2 sha1 new\n", 2,
			map[int]AuthKey{1: {"md5", "old", 3}, 2: {"sha1", "new", 4}}},
		{"compact forms", "auth3\n+3crc\n", 3, map[int]AuthKey{3: {"crc", "", 2}}},
		{"key ends at a blank; # is part of it", "auth 0\n0 sha1 k#1 trailing words\n", 0,
			map[int]AuthKey{0: {"sha1", "k#1", 2}}},
		{"later line wins", "auth 1\n1 md5 a\n1 sha1 b\n", 1, map[int]AuthKey{1: {"sha1", "b", 3}}},
		// The signing slot is the one matched while reading, not the
		// last auth line.
		{"auth switch", "auth 1\n1 md5 k\nauth 2\n", 1, map[int]AuthKey{1: {"md5", "k", 2}}},
		{"slot 15, CRLF", "auth 15\r\n15 md5 key\r\n", 15, map[int]AuthKey{15: {"md5", "key", 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ak, _, err := ParseAuthkeys(akPath, []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if ak.Active != tc.active {
				t.Errorf("Active = %d, want %d", ak.Active, tc.active)
			}
			for i, k := range ak.Keys {
				if k != tc.keys[i] {
					t.Errorf("slot %d = %+v, want %+v", i, k, tc.keys[i])
				}
			}
		})
	}
}

// The messages below were checked against heartbeat 3.0.6 (see
// testdata/heartbeat/auth-*.txt).
func TestParseAuthkeysErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string // fatal diagnostics, String() form
	}{
		{"empty", "", []string{akPath + ": Missing auth directive in keyfile [" + akPath + "]"}},
		{"no key", "auth 2\n1 crc\n", []string{akPath + ": Auth Key [2] not found in keyfile [" + akPath + "]"}},
		{"auth after key", "1 sha1 k\nauth 1\n", []string{akPath + ": Auth Key [1] not found in keyfile [" + akPath + "]"}},
		{"bad auth line", "  auth x\n1 crc\n", []string{
			akPath + ":1: Invalid auth line [  auth x\n] in " + akPath,
			akPath + ": Missing auth directive in keyfile [" + akPath + "]"}},
		{"slots", "auth 1\n1 crc\n16 crc\n-1 md5 k\n", []string{
			akPath + ":3: Invalid authnum [16] in " + akPath,
			akPath + ":4: Invalid authnum [-1] in " + akPath}},
		{"methods", "auth 1\n1 sha1 k\n2 SHA1 k\n", []string{
			akPath + ":3: LoadPlugin on SHA1 returned 5: No such plugin/interface/interface type",
			akPath + ":3: Lookup extended#2 returned FALSE for SHA1",
			akPath + ":3: Table size: 1",
			akPath + ":3: Invalid authtype [SHA1]"}},
		{"keys", "auth 1\n1 crc\n2 crc k\n3 md5\n", []string{
			akPath + ":3: Auth method [crc] doesn't use a key",
			akPath + ":4: Auth method [md5] requires a key"}},
		{"short", "auth 1\n1 crc\n2\nxyz", []string{
			akPath + ":3: Auth line [2\n] is invalid.",
			akPath + ":4: Auth line [xyz] is invalid."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseAuthkeys(akPath, []byte(tc.in))
			var ds Diagnostics
			if !errors.As(err, &ds) {
				t.Fatalf("err = %v, want Diagnostics", err)
			}
			var got []string
			for _, d := range ds {
				got = append(got, d.String())
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestKeyfileModeOK(t *testing.T) {
	for mode, ok := range map[fs.FileMode]bool{
		0o600: true, 0o400: true, 0o700: true, 0o602: true, 0o620: true, 0o000: true,
		0o640: false, 0o604: false, 0o644: false, 0o444: false,
	} {
		if KeyfileModeOK(mode) != ok {
			t.Errorf("KeyfileModeOK(%o) = %v, want %v", mode, !ok, ok)
		}
	}
}
