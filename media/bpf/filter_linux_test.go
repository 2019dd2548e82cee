package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/hbd-ha/hbd/internal/sysio"
	"github.com/hbd-ha/hbd/wire"
	"golang.org/x/sys/unix"
)

func loadFilter(t *testing.T) *Filter {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("bpf: skipped: loading a socket filter needs root (CAP_BPF)")
	}
	f, err := Load()
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	t.Cleanup(f.Close)
	return f
}

// frame builds an Ethernet + IP + UDP frame around payload, as
// BPF_PROG_TEST_RUN wants it.
func frame(src netip.Addr, payload []byte) []byte {
	var b []byte
	b = append(b, make([]byte, 12)...) // MACs
	udp := binary.BigEndian.AppendUint16(nil, 694)
	udp = binary.BigEndian.AppendUint16(udp, 694)
	udp = binary.BigEndian.AppendUint16(udp, uint16(8+len(payload)))
	udp = append(udp, 0, 0)
	if src.Is4() {
		b = binary.BigEndian.AppendUint16(b, 0x0800)
		ip := []byte{0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0}
		binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(payload)))
		s := src.As4()
		ip = append(ip, s[:]...)
		ip = append(ip, 198, 18, 1, 12)
		b = append(b, ip...)
	} else {
		b = binary.BigEndian.AppendUint16(b, 0x86DD)
		ip := []byte{0x60, 0, 0, 0, 0, 0, 17, 64}
		binary.BigEndian.PutUint16(ip[4:], uint16(8+len(payload)))
		s := src.As16()
		ip = append(ip, s[:]...)
		d := netip.MustParseAddr("2001:2::12").As16()
		ip = append(ip, d[:]...)
		b = append(b, ip...)
	}
	b = append(b, udp...)
	return append(b, payload...)
}

func kernelVerdict(t *testing.T, f *Filter, src netip.Addr, payload []byte) Reason {
	t.Helper()
	ret, err := f.prog.Run(&ebpf.RunOptions{Data: frame(src, payload)})
	if err != nil {
		t.Fatalf("test run: %v", err)
	}
	before := f.lastCounters
	c, err := f.Counters()
	if err != nil {
		t.Fatal(err)
	}
	f.lastCounters = c
	var got Reason = NumReasons
	for r := range NumReasons {
		if c[r] != before[r] {
			if got != NumReasons {
				t.Fatalf("two counters moved for one packet: %v and %v", got, r)
			}
			got = r
		}
	}
	if (ret == 0) != (got != ReasonPass) {
		t.Fatalf("program returned %d but counted %v", ret, got)
	}
	return got
}

// payloads is a mix of everything the filter must tell apart.
func payloads(t *testing.T, rng *rand.Rand, ours, theirs *wire.Keyring) [][]byte {
	var m wire.Message
	m.AddString(wire.FieldType, "status")
	m.AddString(wire.FieldSrc, "node1")
	m.AddHex(wire.FieldSeq, 9)
	nat, err := ours.AppendNative(nil, &m, 0)
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := theirs.AppendNative(nil, &m, 0)
	hb, _ := ours.AppendPacket(nil, &m, true)
	classic, _ := ours.AppendClassicPacket(nil, &m)
	out := [][]byte{nat, foreign, hb, classic}
	if rng == nil {
		return out
	}
	out = append(out, nil, []byte("###\n"), []byte("###\nshort"), make([]byte, 64))
	v2 := append([]byte(nil), nat...)
	v2[wire.NativeOffVersion] = 2
	out = append(out, v2)
	for range 3000 {
		var p []byte
		switch rng.IntN(5) {
		case 0:
			p = append([]byte(nil), nat...)
		case 1:
			p = append([]byte(nil), foreign...)
		case 2:
			p = append([]byte(nil), hb...)
		case 3:
			p = append([]byte(nil), classic...)
		default:
			p = make([]byte, rng.IntN(80))
			for i := range p {
				p[i] = byte(rng.Uint32())
			}
		}
		// Mutate one of the first 20 bytes now and then, cut sometimes.
		if len(p) > 0 && rng.IntN(3) == 0 {
			p[rng.IntN(min(len(p), 20))] ^= byte(1 << rng.IntN(8))
		}
		if rng.IntN(6) == 0 {
			p = p[:rng.IntN(len(p)+1)]
		}
		out = append(out, p)
	}
	return out
}

func testKeys(t *testing.T, secret string) *wire.Keyring {
	k := wire.NewKeyring()
	if err := k.SetKey(1, wire.SHA1, []byte(secret)); err != nil {
		t.Fatal(err)
	}
	if err := k.SetSigner(1); err != nil {
		t.Fatal(err)
	}
	return k
}

// The kernel program and Classify give the same verdict on the same
// packet, source and deny state.
func TestKernelMatchesClassify(t *testing.T) {
	f := loadFilter(t)
	ours, theirs := testKeys(t, "ours"), testKeys(t, "theirs")
	id, _ := ours.ClusterID()
	if err := f.SetClusters([]uint32{id, 7}); err != nil {
		t.Fatal(err)
	}
	denied4 := netip.MustParseAddr("198.18.1.66")
	denied6 := netip.MustParseAddr("2001:2::66")
	expired := netip.MustParseAddr("198.18.1.67")
	now := sysio.Monotonic()
	rules := Rules{Clusters: []uint32{id, 7}, Denied: map[netip.Addr]int64{
		denied4: now + 3600e9, denied6: now + 3600e9, expired: now - 1,
	}}
	for a, exp := range rules.Denied {
		if err := f.Deny(a, exp); err != nil {
			t.Fatal(err)
		}
	}
	srcs := []netip.Addr{denied4, denied6, expired, netip.MustParseAddr("198.18.1.11"), netip.MustParseAddr("2001:2::11")}
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[Reason]int{}
	for i, p := range payloads(t, rng, ours, theirs) {
		src := srcs[i%len(srcs)]
		want := rules.Classify(p, src, sysio.Monotonic())
		if got := kernelVerdict(t, f, src, p); got != want {
			t.Fatalf("packet %d from %s (% x…): kernel %v, Classify %v", i, src, p[:min(len(p), 16)], got, want)
		}
		seen[want]++
	}
	for r := range NumReasons {
		if seen[r] == 0 {
			t.Errorf("no packet exercised %v", r)
		}
	}
	t.Logf("verdicts: %v", seen)
	// Forgetting a cluster and a denial changes both the same way.
	if err := f.SetClusters([]uint32{7}); err != nil {
		t.Fatal(err)
	}
	f.Undeny(denied4)
	rules.Clusters = []uint32{7}
	delete(rules.Denied, denied4)
	nat := payloads(t, rng, ours, theirs)[0]
	if got, want := kernelVerdict(t, f, denied4, nat), rules.Classify(nat, denied4, sysio.Monotonic()); got != want || got != ReasonForeignCluster {
		t.Fatalf("after SetClusters: kernel %v, Classify %v", got, want)
	}
}

// Only a negative probe (or one refused for privileges) is "not
// supported"; a probe that failed otherwise is an error of its own.
func TestProbeResult(t *testing.T) {
	for _, c := range []struct {
		err         error
		unsupported bool
	}{
		{ebpf.ErrNotSupported, true},
		{fmt.Errorf("detect support for LRU hash: %w", unix.EPERM), true},
		{fmt.Errorf("detect support: %w", unix.EACCES), true},
		{fmt.Errorf("detect support: %w", unix.EMFILE), false},
		{errors.New("probe broke"), false},
	} {
		err := probeResult("x", c.err)
		if err == nil || errors.Is(err, ErrNotSupported) != c.unsupported || !errors.Is(err, c.err) {
			t.Errorf("probe error %v: %v (not supported: %v, want %v)", c.err, err, errors.Is(err, ErrNotSupported), c.unsupported)
		}
	}
	if probeResult("x", nil) != nil {
		t.Error("a positive probe is an error")
	}
}

// A negative probe is what Load reports, and it is ErrNotSupported.
func TestLoadNegativeProbe(t *testing.T) {
	defer func(p func() error) { probe = p }(probe)
	probe = func() error { return probeResult("socket filter programs", ebpf.ErrNotSupported) }
	f, err := Load()
	if err == nil {
		f.Close()
		t.Fatal("Load succeeded after a negative probe")
	}
	if !errors.Is(err, ErrNotSupported) {
		t.Errorf("Load after a negative probe: %v, want ErrNotSupported", err)
	}
}

// A program the verifier refuses is our bug, not the kernel's lack: the
// error is not ErrNotSupported (which would quietly fall back to user
// space) and carries the verifier's log. Before the probe, every load
// error was reported as not supported.
func TestLoadVerifierRefusal(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("bpf: skipped: loading a socket filter needs root (CAP_BPF)")
	}
	if err := probeKernel(); err != nil {
		t.Fatalf("probe as root: %v", err)
	}
	defer func(p func(_, _, _ *ebpf.Map) asm.Instructions) { programFor = p }(programFor)
	programFor = func(_, _, _ *ebpf.Map) asm.Instructions {
		return asm.Instructions{asm.Mov.Reg(asm.R0, asm.R2), asm.Return()} // R2 is never set
	}
	f, err := Load()
	if err == nil {
		f.Close()
		t.Fatal("the verifier took a program reading an unset register")
	}
	if errors.Is(err, ErrNotSupported) {
		t.Errorf("a refused program is reported as not supported: %v", err)
	}
	var ve *ebpf.VerifierError
	if !errors.As(err, &ve) || len(ve.Log) == 0 {
		t.Fatalf("no verifier log in %v", err)
	}
	t.Logf("%v", err)
	if !strings.Contains(err.Error(), "R2 !read_ok") || !strings.Contains(err.Error(), "verifier log") {
		t.Errorf("message %q: want the verifier's reason and log", err)
	}
}
