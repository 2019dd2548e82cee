//go:build libplumb

package libplumb

/*
#cgo LDFLAGS: -lplumb
#include <stdlib.h>

// Declarations of the libplumb entry points used (cluster-glue 1.0.12).
struct ha_msg;
struct ha_msg *netstring2msg(const char *s, size_t len, int needauth);
char *msg2netstring_noauth(const struct ha_msg *m, size_t *slen);
void ha_msg_del(struct ha_msg *m);

// decode parses buf n times, as heartbeat's read path does.
static int decode(const char *buf, size_t len, int n) {
	for (int i = 0; i < n; i++) {
		struct ha_msg *m = netstring2msg(buf, len, 0);
		if (m == NULL) return -1;
		ha_msg_del(m);
	}
	return 0;
}

// encode serializes the message parsed from buf n times.
static int encode(const char *buf, size_t len, int n) {
	struct ha_msg *m = netstring2msg(buf, len, 0);
	if (m == NULL) return -1;
	for (int i = 0; i < n; i++) {
		size_t sz;
		char *s = msg2netstring_noauth(m, &sz);
		if (s == NULL) { ha_msg_del(m); return -1; }
		free(s);
	}
	ha_msg_del(m);
	return 0;
}
*/
import "C"

import (
	"errors"
	"unsafe"
)

var errLibplumb = errors.New("libplumb refused the message")

// Decode runs libplumb's netstring2msg over msg n times.
func Decode(msg []byte, n int) error {
	p := C.CBytes(msg)
	defer C.free(p)
	if C.decode((*C.char)(p), C.size_t(len(msg)), C.int(n)) != 0 {
		return errLibplumb
	}
	return nil
}

// Encode parses msg once, then runs libplumb's msg2netstring_noauth n times.
func Encode(msg []byte, n int) error {
	p := C.CBytes(msg)
	defer C.free(p)
	if C.encode((*C.char)(p), C.size_t(len(msg)), C.int(n)) != 0 {
		return errLibplumb
	}
	return nil
}

var _ = unsafe.Pointer(nil)
