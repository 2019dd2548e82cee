// Package wire is heartbeat 3.0.6's message format, byte for byte.
//
// A message is an ordered list of typed fields (string, binary, nested
// message, list, compressed). Heartbeat puts it on the wire in one of two
// forms: the netstring form ("###\n" … "%%%\n" followed by an auth
// netstring), which every 3.0.6 node sends on UDP, and the classic text form
// (">>>\n" … "<<<\n"), which older peers, the serial medium and the FIFO use.
// This package decodes both and encodes exactly what a Debian heartbeat
// 3.0.6 node sends, including the inner "auth" field of msgfmt classic and
// the trailing auth netstring (sha1, md5 or crc as heartbeat computes them).
//
// Decoding is zero-copy: [Message.Decode] fills a caller-owned Message whose
// field names and values are views into the packet, valid until the packet
// buffer is reused. Encoding appends into a caller's buffer
// (AppendXxx(dst []byte) []byte). After warm-up neither allocates: the
// heartbeat hot path (decode, verify, sign, encode) is checked to make zero
// allocations by tests.
//
// Input that crashes heartbeat's own parser (a field body that does not start
// with "(", a type digit 6–9, a NUL inside a string) is a plain error here.
//
// This package knows nothing about sockets, nodes or clocks: it must not
// import net, os or syscall.
package wire
