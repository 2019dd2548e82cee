package media

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/hbd-ha/hbd/wire"
)

func newPinger(t *testing.T, info, src string) *pinger {
	return &pinger{info: info, src: src, ident: 0x1234, keys: testKeyring(t)}
}

// wantNSst builds, without the wire package, the NS_st payload heartbeat
// sends (wire spec §11.6, §4, §5): the fields in order, the inner auth
// over their classic text, the netstring form and the trailer over it.
func wantNSst(info, src, ts string) []byte {
	mac := func(b string) string {
		h := hmac.New(sha1.New, []byte(testKey))
		h.Write([]byte(b))
		return "1 " + hex.EncodeToString(h.Sum(nil))
	}
	fields := [][2]string{{"t", "NS_st"}, {"st", "ping"}, {"info", info}, {"src", src}, {"ts", ts}}
	var classic, ns strings.Builder
	for _, f := range fields {
		classic.WriteString(f[0] + "=" + f[1] + "\n")
	}
	fields = append(fields, [2]string{"auth", mac(classic.String())})
	ns.WriteString("###\n")
	for _, f := range fields {
		body := "(0)" + f[0] + "=" + f[1]
		fmt.Fprintf(&ns, "%d:%s,", len(body), body)
	}
	ns.WriteString("%%%\n")
	trailer := mac(ns.String())
	fmt.Fprintf(&ns, "%d:%s,", len(trailer), trailer)
	return []byte(ns.String())
}

func TestEchoRequest(t *testing.T) {
	p := newPinger(t, "ping", "10.0.0.9")
	for seq := range 3 {
		echo, err := p.echoRequest(statusPacket(t, p.keys, testNode, uint64(seq+1), 0x66d0a4f0))
		if err != nil {
			t.Fatal(err)
		}
		if want := wantNSst("ping", "10.0.0.9", "66d0a4f0"); !bytes.Equal(echo[icmpHeaderLen:], want) {
			t.Fatalf("payload\n%q\nwant\n%q", echo[icmpHeaderLen:], want)
		}
		if echo[0] != icmpEcho || echo[6] != 0 || int(echo[7]) != seq || inetChecksum(echo) != 0 {
			t.Errorf("echo %d header % x", seq, echo[:8])
		}
	}
	if _, err := p.echoRequest(ackPacket(t, p.keys, testNode)); err != errNotStatus {
		t.Errorf("NS_ackmsg: %v, want errNotStatus", err)
	}
	forged := statusPacket(t, testKeyringKey(t, "other"), testNode, 9, 1)
	if _, err := p.echoRequest(forged); err == nil {
		t.Error("a status that does not authenticate made an echo request")
	}
	if _, err := p.echoRequest([]byte("garbage")); err == nil {
		t.Error("garbage made an echo request")
	}
	if p.seq != 3 {
		t.Errorf("seq = %d after 3 requests", p.seq)
	}
}

func testKeyringKey(t *testing.T, key string) *wire.Keyring {
	k := wire.NewKeyring()
	if err := k.SetKey(1, wire.SHA1, []byte(key)); err != nil {
		t.Fatal(err)
	}
	if err := k.SetSigner(1); err != nil {
		t.Fatal(err)
	}
	return k
}

// asReply turns an echo request into what the ping node's kernel sends
// back, behind a 20-byte IPv4 header.
func asReply(echo []byte) []byte {
	r := append(append([]byte{0x45}, make([]byte, 19)...), echo...)
	r[20] = icmpEchoReply
	return r
}

func TestReply(t *testing.T) {
	p := newPinger(t, "ping", "10.0.0.9")
	echo, err := p.echoRequest(statusPacket(t, p.keys, testNode, 1, 5))
	if err != nil {
		t.Fatal(err)
	}
	good := asReply(echo)
	if got := p.reply(good, true); !bytes.Equal(got, echo[icmpHeaderLen:]) {
		t.Errorf("reply = %q", got)
	}
	otherIdent := bytes.Clone(good)
	otherIdent[24] ^= 1
	tampered := bytes.Clone(good)
	tampered[len(tampered)-3] ^= 1
	long := append(bytes.Clone(good), make([]byte, pingReadMax)...)
	for name, r := range map[string][]byte{
		"another identifier": otherIdent, "tampered": tampered, "longer than heartbeat reads": long,
		"request": echo,
	} {
		if got := p.reply(r, true); got != nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if got := newPinger(t, "ping_group", "10.0.0.9").reply(good, true); got != nil {
		t.Error("ping_group took a ping reply (info=ping)")
	}
}

func TestReplyGroupSlots(t *testing.T) {
	p := newPinger(t, "ping_group", "gw")
	replies := make([][]byte, 200)
	for i := range replies {
		echo, err := p.echoRequest(statusPacket(t, p.keys, testNode, uint64(i+1), 5))
		if err != nil {
			t.Fatal(err)
		}
		replies[i] = asReply(bytes.Clone(echo))
	}
	for _, step := range []struct {
		seq    int
		member bool
		want   bool
	}{
		{0, true, false},  // slot 0 starts out holding 0
		{1, false, false}, // not a member: not even remembered
		{1, true, true},   //
		{1, true, false},  // another member's answer to the same echo
		{2, true, true},   //
		{129, true, true}, // same slot as 1, another number
		{1, true, true},   // slot 1 now holds 129: 1 passes again
		{128, true, true}, // slot 0
		{0, true, true},   // slot 0 holds 128 now
	} {
		if got := p.reply(replies[step.seq], step.member) != nil; got != step.want {
			t.Errorf("seq %d (member %v): accepted %v, want %v", step.seq, step.member, got, step.want)
		}
	}
}
