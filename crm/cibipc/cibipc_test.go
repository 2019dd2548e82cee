package cibipc

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	reqs := []Request{
		{CallID: 1, Op: OpQuery},
		{CallID: 1 << 40, Op: OpModify, Section: "crm_config", Data: []byte("<cluster_property_set id='x'/>"), AllowCreate: true, TimeoutMS: 30000},
		{CallID: 3, Op: OpXPathDelete, XPath: "//nvpair[@name='a']", All: true},
		{CallID: 4, Op: OpAttr, Node: "n1", Name: "fail-count-d1", Value: "value++", Delete: true},
		{CallID: 5, Op: OpCleanup, Rsc: "d1", Node: "n2"},
		{CallID: 7, Op: OpCleanup, Rsc: "d1", Operation: "monitor", IntervalMS: 10000, Refresh: true},
		{CallID: 6, Op: OpCreate, Data: []byte{}},
	}
	for _, r := range reqs {
		got, err := DecodeRequest(AppendRequest(nil, &r))
		if err != nil {
			t.Fatalf("%+v: %v", r, err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Errorf("got %+v, want %+v", got, r)
		}
	}
	for _, r := range []Reply{{CallID: 9}, {CallID: 1, RC: -205, Detail: "old", Output: []byte("<cib/>")}, {RC: ErrNotConnected}, {RC: 1 << 30}, {RC: -1 << 31}} {
		got, err := DecodeReply(AppendReply(nil, &r))
		if err != nil {
			t.Fatalf("%+v: %v", r, err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Errorf("got %+v, want %+v", got, r)
		}
	}
}

// TestCaps: what a local client can make the node hold or believe is
// bounded: the body, the short fields, duplicated fields, unknown ops.
func TestCaps(t *testing.T) {
	big := make([]byte, MaxFrame+1)
	big[0], big[1] = kindRequest, version
	if _, err := DecodeRequest(big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("body past MaxFrame: %v", err)
	}
	long := AppendRequest(nil, &Request{Op: OpQuery, Section: strings.Repeat("s", maxText+1)})
	if _, err := DecodeRequest(long); !errors.Is(err, ErrTooLarge) {
		t.Errorf("section past %d: %v", maxText, err)
	}
	long = AppendRequest(nil, &Request{Op: OpCleanup, Operation: strings.Repeat("m", maxText+1)})
	if _, err := DecodeRequest(long); !errors.Is(err, ErrTooLarge) {
		t.Errorf("operation past %d: %v", maxText, err)
	}
	iv := appendUint(AppendRequest(nil, &Request{Op: OpCleanup}), tagInterval, 1<<32)
	if _, err := DecodeRequest(iv); !errors.Is(err, ErrTooLarge) {
		t.Errorf("interval past 32 bits: %v", err)
	}
	dup := AppendRequest(nil, &Request{Op: OpQuery})
	dup = appendUint(dup, tagOp, uint64(OpErase))
	if _, err := DecodeRequest(dup); !errors.Is(err, ErrDuplicate) {
		t.Errorf("op twice: %v", err)
	}
	for _, op := range []uint64{0, uint64(opEnd), 255} {
		b := append([]byte{kindRequest, version}, 0)
		b = appendUint(b[:2], tagOp, op)
		if _, err := DecodeRequest(b); !errors.Is(err, ErrBadOp) {
			t.Errorf("op %d: %v", op, err)
		}
	}
	// A length past the body is refused, not read past.
	b := AppendRequest(nil, &Request{Op: OpQuery, Data: []byte("abcdef")})
	if _, err := DecodeRequest(b[:len(b)-1]); !errors.Is(err, ErrShort) {
		t.Errorf("truncated: %v", err)
	}
	if _, err := DecodeReply(AppendRequest(nil, &Request{Op: OpQuery})); !errors.Is(err, ErrKind) {
		t.Errorf("request read as reply: %v", err)
	}
	// A later version's field is skipped.
	b = appendField(AppendRequest(nil, &Request{Op: OpQuery, CallID: 7}), 200, []byte("future"))
	if r, err := DecodeRequest(b); err != nil || r.CallID != 7 {
		t.Errorf("unknown tag: %+v %v", r, err)
	}
	if MaxPending < 1 || MaxFrame != 64<<20 {
		t.Errorf("caps changed: pending %d frame %d", MaxPending, MaxFrame)
	}
}

// The decoded data is the caller's: the body may be reused.
func TestDecodeCopies(t *testing.T) {
	b := AppendRequest(nil, &Request{Op: OpModify, Data: []byte("<x/>")})
	r, _ := DecodeRequest(b)
	for i := range b {
		b[i] = 0
	}
	if !bytes.Equal(r.Data, []byte("<x/>")) {
		t.Errorf("data aliased the body: %q", r.Data)
	}
}

// A clean-up without a scope encodes as before the scope's fields came
// (a node of the earlier version reads it the same), and the scope's
// fields are ones that version skips.
func TestCleanupScopeCompatible(t *testing.T) {
	plain := AppendRequest(nil, &Request{CallID: 5, Op: OpCleanup, Rsc: "d1", Node: "n2"})
	want := []byte{kindRequest, version, tagCallID, 1, 5, tagOp, 1, byte(OpCleanup), tagNode, 2, 'n', '2', tagRsc, 2, 'd', '1'}
	if !bytes.Equal(plain, want) {
		t.Errorf("unscoped cleanup encodes as % x, want % x", plain, want)
	}
	if tagOperation <= tagOutput || tagInterval <= tagOutput || flagRefresh <= flagDelete {
		t.Error("the scope's tags or flag do not follow version 1's first fields")
	}
}
