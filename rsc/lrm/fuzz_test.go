package lrm

import (
	"testing"

	"github.com/hbd-ha/hbd/wire"
)

// FuzzDecodeRequest: no input makes the request decoder panic, and a
// request it accepts re-encodes to one that decodes to the same type.
func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(">>>\nlrm_t=reg\nlrm_app=lrmadmin\nlrm_pid=11610\nlrm_gid=0\nlrm_uid=0\n<<<\n\x00"))
	f.Add([]byte("###\n15:(0)lrm_t=addrsc,17:(0)lrm_rid=dummy1,17:(0)lrm_rclass=ocf,18:(0)lrm_rtype=Dummy,26:(0)lrm_rprovider=heartbeat,54:(2)lrm_param=###\n29:(0)state=/run/v2-dummy1.state,%%%\n,%%%\n"))
	f.Add([]byte(">>>\nlrm_t=getstate\nlrm_rid=dummy1\n<<<\n\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m wire.Message
		typ, err := DecodeRequest(b, &m)
		if err != nil {
			return
		}
		enc := frame(&m)
		if enc == nil {
			return
		}
		var m2 wire.Message
		typ2, err := DecodeRequest(enc[8:], &m2)
		if err != nil || typ2 != typ {
			t.Fatalf("re-encoded %q: %q %v (was %q)", enc[8:], typ2, err, typ)
		}
	})
}
