package cibipc

import (
	"reflect"
	"testing"
)

// FuzzDecode: no body makes the decoders panic, and whatever decodes
// encodes to a body that decodes to the same.
func FuzzDecode(f *testing.F) {
	f.Add(AppendRequest(nil, &Request{CallID: 1, Op: OpModify, Section: "nodes", Data: []byte("<node id='1'/>"), AllowCreate: true}))
	f.Add(AppendRequest(nil, &Request{Op: OpAttr, Node: "n", Name: "a", Value: "1", Delete: true, TimeoutMS: 5}))
	f.Add(AppendRequest(nil, &Request{Op: OpCleanup, Rsc: "d1", Operation: "monitor", IntervalMS: 10000, Refresh: true}))
	f.Add(AppendReply(nil, &Reply{CallID: 3, RC: -6, Detail: "x", Output: []byte("<cib/>")}))
	f.Add([]byte{kindRequest, version, tagOp, 1, 1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := DecodeRequest(b); err == nil {
			r2, err := DecodeRequest(AppendRequest(nil, &r))
			if err != nil || !reflect.DeepEqual(r, r2) {
				t.Fatalf("request %+v re-decoded as %+v (%v)", r, r2, err)
			}
		}
		if r, err := DecodeReply(b); err == nil {
			r2, err := DecodeReply(AppendReply(nil, &r))
			if err != nil || !reflect.DeepEqual(r, r2) {
				t.Fatalf("reply %+v re-decoded as %+v (%v)", r, r2, err)
			}
		}
	})
}
