package wire

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// vectorDir holds real UDP payloads captured from heartbeat 3.0.6 nodes,
// with the authkeys that signed them (see testdata/vectors/README.md).
const vectorDir = "../testdata/vectors"

type vector struct {
	name string
	data []byte
}

type scenario struct {
	name    string
	keys    *Keyring
	vectors []vector
}

func loadScenarios(t testing.TB) []scenario {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(vectorDir, "*", "authkeys"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no vector scenarios under %s: %v", vectorDir, err)
	}
	var out []scenario
	for _, ak := range dirs {
		dir := filepath.Dir(ak)
		sc := scenario{name: filepath.Base(dir), keys: testKeyring(t, ak)}
		bins, _ := filepath.Glob(filepath.Join(dir, "*.bin"))
		for _, b := range bins {
			data, err := os.ReadFile(b)
			if err != nil {
				t.Fatal(err)
			}
			sc.vectors = append(sc.vectors, vector{filepath.Base(b), data})
		}
		if len(sc.vectors) < 100 {
			t.Fatalf("%s: only %d vectors", dir, len(sc.vectors))
		}
		out = append(out, sc)
	}
	return out
}

// testKeyring reads an authkeys file with the bare minimum of parsing; the
// config package owns the real parser and its rules.
func testKeyring(t testing.TB, path string) *Keyring {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	k := NewKeyring()
	sign := -1
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		if len(w) == 0 || strings.HasPrefix(w[0], "#") {
			continue
		}
		if w[0] == "auth" {
			sign, _ = strconv.Atoi(w[1])
			continue
		}
		n, _ := strconv.Atoi(w[0])
		m, ok := ParseMethod(w[1])
		if !ok {
			t.Fatalf("%s: method %q", path, w[1])
		}
		var key []byte
		if len(w) > 2 {
			key = []byte(w[2])
		}
		if err := k.SetKey(n, m, key); err != nil {
			t.Fatal(err)
		}
	}
	if err := k.SetSigner(sign); err != nil {
		t.Fatal(err)
	}
	return k
}

// Every captured packet decodes, authenticates, and re-signs and re-encodes
// to the very same bytes: what hbd sends is what heartbeat sends.
func TestVectorsRoundTrip(t *testing.T) {
	for _, sc := range loadScenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			var p Packet
			var out []byte
			for _, v := range sc.vectors {
				if err := p.Decode(v.data); err != nil {
					t.Fatalf("%s: decode: %v", v.name, err)
				}
				if p.Format != Netstring {
					t.Errorf("%s: format %v, heartbeat 3.0.6 always sends netstring", v.name, p.Format)
				}
				if err := sc.keys.Verify(&p); err != nil {
					t.Fatalf("%s: verify: %v", v.name, err)
				}
				inner := p.Msg.Index(FieldAuth) >= 0
				if inner {
					if err := sc.keys.VerifyInner(&p.Msg); err != nil {
						t.Fatalf("%s: inner auth: %v", v.name, err)
					}
				}
				// Re-sign from the fields alone: drop the received auth
				// value so both digests are recomputed.
				var m Message
				m.CopyFrom(&p.Msg)
				if inner {
					m.SetString(FieldAuth, "x")
				}
				var err error
				out, err = sc.keys.AppendPacket(out[:0], &m, inner)
				if err != nil {
					t.Fatalf("%s: encode: %v", v.name, err)
				}
				if !bytes.Equal(out, v.data) {
					t.Fatalf("%s: re-encoded packet differs\n got %q\nwant %q", v.name, out, v.data)
				}
			}
		})
	}
}

// Flipping any byte of a real packet makes it fail decoding or
// authentication.
func TestVectorsTamper(t *testing.T) {
	for _, sc := range loadScenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			var p Packet
			for _, v := range sc.vectors {
				b := bytes.Clone(v.data)
				for i := range b {
					for _, mask := range []byte{0x01, 0x20, 0xff} {
						b[i] ^= mask
						if err := p.Decode(b); err == nil {
							if err := sc.keys.Verify(&p); err == nil {
								t.Fatalf("%s: byte %d ^ %#x still decodes and verifies", v.name, i, mask)
							}
						}
						b[i] ^= mask
					}
				}
			}
		})
	}
}

// The fields the index says each vector holds are the fields decoded.
func TestVectorsIndex(t *testing.T) {
	for _, sc := range loadScenarios(t) {
		idx, err := os.ReadFile(filepath.Join(vectorDir, sc.name, "index.tsv"))
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string][]byte{}
		for _, v := range sc.vectors {
			byName[v.name] = v.data
		}
		lines := strings.Split(strings.TrimSpace(string(idx)), "\n")
		var p Packet
		for _, line := range lines[1:] {
			col := strings.Split(line, "\t")
			// file t_offset phase src dst size t st src_node seq dt format note
			data := byName[col[0]]
			if err := p.Decode(data); err != nil {
				t.Fatalf("%s/%s: %v", sc.name, col[0], err)
			}
			if strconv.Itoa(len(data)) != col[5] {
				t.Errorf("%s/%s: size %d, index says %s", sc.name, col[0], len(data), col[5])
			}
			for _, c := range []struct{ field, want string }{
				{FieldType, col[6]}, {FieldStatus, col[7]}, {FieldSrc, col[8]}, {FieldSeq, col[9]}, {FieldDeadtime, col[10]},
			} {
				got := string(p.Msg.Value(c.field))
				if c.want == "-" {
					if got != "" {
						t.Errorf("%s/%s: %s=%q, index says none", sc.name, col[0], c.field, got)
					}
					continue
				}
				if got != c.want {
					t.Errorf("%s/%s: %s=%q, index says %q", sc.name, col[0], c.field, got, c.want)
				}
			}
		}
	}
}
