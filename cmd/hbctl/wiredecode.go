package main

import (
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/hbd-ha/hbd/wire"
)

// wireDecode prints each captured payload's fields, checks its auth
// against an authkeys file, and re-signs and re-encodes it to check that
// hbd would have sent the very same bytes. It exits 1 if any packet fails.
func wireDecode(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hbctl wire decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	authkeys := fs.String("authkeys", "", "authkeys `file` to verify and re-sign with (its permissions are not checked)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: hbctl wire decode [--authkeys FILE] FILE...")
		return 2
	}
	var keys *wire.Keyring
	if *authkeys != "" {
		var err error
		if keys, err = loadKeyring(*authkeys); err != nil {
			fmt.Fprintf(stderr, "hbctl: %v\n", err)
			return 1
		}
	}
	failed := 0
	for _, name := range fs.Args() {
		data, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(stderr, "hbctl: %v\n", err)
			failed++
			continue
		}
		if !decodeOne(stdout, name, data, keys) {
			failed++
		}
	}
	fmt.Fprintf(stdout, "%d packets, %d passed, %d failed\n", fs.NArg(), fs.NArg()-failed, failed)
	if failed > 0 {
		return 1
	}
	return 0
}

func decodeOne(w io.Writer, name string, data []byte, keys *wire.Keyring) bool {
	var p wire.Packet
	if err := p.Decode(data); err != nil {
		fmt.Fprintf(w, "%s: %d bytes: FAIL decode: %v\n\n", name, len(data), err)
		return false
	}
	fmt.Fprintf(w, "%s: %d bytes, %s, %d fields\n", name, len(data), p.Format, p.Msg.Len())
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for i := range p.Msg.Len() {
		f := p.Msg.At(i)
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.Name, f.Type, showValue(f))
	}
	tw.Flush()
	ok := true
	if keys == nil {
		fmt.Fprintln(w, "  auth: not checked (no --authkeys)")
	} else {
		ok = reportAuth(w, &p, keys) && ok
	}
	ok = reportReencode(w, &p, data, keys) && ok
	fmt.Fprintln(w)
	return ok
}

func showValue(f wire.Field) string {
	switch f.Type {
	case wire.String:
		return strconv.Quote(string(f.AppendText(nil)))
	case wire.Binary, wire.Compressed:
		return hex.EncodeToString(f.Value)
	}
	return strconv.Quote(string(f.Value))
}

func reportAuth(w io.Writer, p *wire.Packet, keys *wire.Keyring) bool {
	what := "trailer"
	if p.Format == wire.Classic {
		what = "inner auth field"
	}
	ok := true
	if err := keys.Verify(p); err != nil {
		fmt.Fprintf(w, "  auth: FAIL %s: %v\n", what, err)
		ok = false
	} else {
		fmt.Fprintf(w, "  auth: ok (%s %q)\n", what, p.Auth)
	}
	if p.Format == wire.Netstring && p.Msg.Index(wire.FieldAuth) >= 0 {
		if err := keys.VerifyInner(&p.Msg); err != nil {
			fmt.Fprintf(w, "  inner auth field: FAIL: %v\n", err)
			ok = false
		} else {
			fmt.Fprintln(w, "  inner auth field: ok")
		}
	}
	return ok
}

// reportReencode rebuilds the packet from its fields, re-signing it when
// keys are given, and compares with the captured bytes.
func reportReencode(w io.Writer, p *wire.Packet, data []byte, keys *wire.Keyring) bool {
	var m wire.Message
	m.CopyFrom(&p.Msg)
	inner := m.Index(wire.FieldAuth) >= 0
	var out []byte
	var err error
	var want []byte
	switch {
	case keys == nil && p.Format == wire.Netstring:
		out, err = wire.AppendNetstring(nil, &m)
		want = p.Signed
	case keys == nil:
		out, err = wire.AppendClassic(nil, &m)
		want = data
	case p.Format == wire.Netstring:
		if inner {
			m.SetString(wire.FieldAuth, "") // recomputed from the fields
		}
		out, err = keys.AppendPacket(nil, &m, inner)
		want = data
	default:
		out, err = keys.AppendClassicPacket(nil, &m)
		want = data
	}
	if err != nil {
		fmt.Fprintf(w, "  re-encode: FAIL: %v\n", err)
		return false
	}
	// Classic datagrams may or may not carry their trailing NUL.
	if p.Format == wire.Classic {
		out = bytes.TrimRight(out, "\x00")
		want = bytes.TrimRight(want, "\x00")
	}
	if !bytes.Equal(out, want) {
		fmt.Fprintf(w, "  re-encode: FAIL: differs at byte %d\n", firstDiff(out, want))
		return false
	}
	if keys == nil {
		fmt.Fprintln(w, "  re-encode: identical (without auth)")
	} else {
		fmt.Fprintln(w, "  re-encode: identical")
	}
	return true
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
