package wire

import "bytes"

// Format is the form a packet arrived in.
type Format uint8

const (
	Netstring Format = iota + 1 // "###\n" … "%%%\n" + auth netstring
	Classic                     // ">>>\n" … "<<<\n", auth inside
	Native                      // hbd's binary form (docs/wire-native.md)
)

func (f Format) String() string {
	switch f {
	case Netstring:
		return "netstring"
	case Classic:
		return "classic"
	case Native:
		return "native"
	}
	return "unknown"
}

// Packet is a decoded datagram: the message plus what its authentication
// covers. Reuse one Packet per reader; decoding into it allocates nothing
// once its message has grown to size.
type Packet struct {
	Msg    Message
	Format Format
	// Signed is the part the auth covers: for netstring, the bytes from
	// "###" through "%%%\n"; for classic, nil (the digest covers a
	// re-serialization of the fields, see Keyring.Verify); for native,
	// the header and body.
	Signed []byte
	// Auth is the "N digest" text: the trailer's for netstring, the inner
	// auth field's for classic; for native, the 32-byte MAC. Nil if absent.
	Auth []byte
}

// Decode parses one datagram. A packet starting with the native magic is
// hbd's native form; one starting with "###\n" is netstring
// and must carry an auth trailer; anything else is parsed as classic. It
// does not authenticate: call Keyring.Verify. Views point into b.
func (p *Packet) Decode(b []byte) error {
	if len(b) >= MaxMessage {
		return errTooLarge
	}
	p.Msg.Reset()
	p.Msg.src = b
	p.Signed, p.Auth = nil, nil
	if IsNative(b) {
		return p.decodeNative(b)
	}
	if bytes.HasPrefix(b, []byte(netstringStart)) {
		p.Format = Netstring
		n, err := p.Msg.decodeNetstring(b, 0)
		if err != nil {
			return err
		}
		p.Signed = b[:n]
		auth, terr := parseTrailer(b[n:])
		if terr != nil {
			terr.Offset += n
			return terr
		}
		p.Auth = auth
		return nil
	}
	p.Format = Classic
	if _, err := p.Msg.decodeClassic(b, 0); err != nil {
		return err
	}
	if f, ok := p.Msg.Get(FieldAuth); ok {
		p.Auth = f.Value
	}
	return nil
}

// parseTrailer reads the auth netstring "ALEN:N digest," at the start of b.
// Bytes after it are ignored, as heartbeat ignores them.
func parseTrailer(b []byte) ([]byte, *Error) {
	const op = "decode auth trailer"
	n, digits, ok := parseLength(b)
	if !ok || digits >= len(b) || b[digits] != ':' {
		return nil, &Error{Op: op, Offset: 0, Reason: "missing or malformed auth netstring"}
	}
	start := digits + 1
	if n == 0 || n > maxAuthString || n > len(b)-start-1 || b[start+n] != ',' {
		return nil, &Error{Op: op, Offset: 0, Reason: "malformed auth netstring"}
	}
	return b[start : start+n], nil
}

// Verify authenticates a decoded packet as heartbeat does: a netstring
// packet by its trailer over Signed, a classic packet by its inner auth
// field over the re-serialized fields. Errors wrap ErrAuth.
//
// Heartbeat 3.0.6 checks a netstring trailer with slot N's algorithm but
// the key of its own signing slot (wire spec §5.4), so key rollover breaks
// there; hbd uses slot N's key, which accepts everything heartbeat accepts
// when the nodes share authkeys, and also correct rollovers.
func (k *Keyring) Verify(p *Packet) error {
	if p.Auth == nil {
		return errAuthNone
	}
	switch p.Format {
	case Netstring:
		return k.verify(p.Auth, p.Signed)
	case Native:
		return k.verifyNative(p)
	}
	return k.VerifyInner(&p.Msg)
}

// VerifyInner checks a message's inner (classic) auth field.
func (k *Keyring) VerifyInner(m *Message) error {
	f, ok := m.Get(FieldAuth)
	if !ok {
		return errAuthNone
	}
	var err error
	k.body, err = appendClassicBody(k.body[:0], m)
	if err != nil {
		return errAuthSyntax
	}
	return k.verify(f.Value, k.body)
}

// SignInner sets m's inner auth field ("auth=N digest", computed over the
// classic text of the other fields) by modify-or-append, as msgfmt classic
// does for every message without nested fields.
func (k *Keyring) SignInner(m *Message) error {
	var err error
	k.body, err = appendClassicBody(k.body[:0], m)
	if err != nil {
		return err
	}
	var buf [8 + 2*64]byte
	auth, err := k.appendAuth(buf[:0], k.body)
	if err != nil {
		return err
	}
	m.Set(FieldAuth, String, auth)
	return nil
}

// AppendPacket appends m as heartbeat 3.0.6 puts it on a UDP medium: with
// innerAuth (msgfmt classic) and no nested field, m first gets its inner
// auth field; then the netstring form and the auth trailer over it.
func (k *Keyring) AppendPacket(dst []byte, m *Message, innerAuth bool) ([]byte, error) {
	if innerAuth && !m.hasNested() {
		if err := k.SignInner(m); err != nil {
			return dst, err
		}
	}
	start := len(dst)
	dst, err := AppendNetstring(dst, m)
	if err != nil {
		return dst[:start], err
	}
	if len(dst)-start >= MaxMessage {
		// Heartbeat would compress the whole message (Message.Compress);
		// no datagram medium carries this much anyway.
		return dst[:start], errTooLarge
	}
	return k.AppendTrailer(dst, dst[start:])
}

var errTooLarge = &Error{Op: "packet", Offset: -1, Reason: "message of 256 KiB or more (MAXMSG)"}

// AppendTrailer appends the auth netstring over signed ("ALEN:N digest,").
func (k *Keyring) AppendTrailer(dst, signed []byte) ([]byte, error) {
	var buf [8 + 2*64]byte
	auth, err := k.appendAuth(buf[:0], signed)
	if err != nil {
		return dst, err
	}
	dst = appendDecimal(dst, uint64(len(auth)))
	dst = append(dst, ':')
	dst = append(dst, auth...)
	return append(dst, ','), nil
}

// AppendClassicPacket appends m as a classic datagram, as pre-1.0.10
// peers send it: inner auth set, ">>>\n" … "<<<\n", then a NUL.
func (k *Keyring) AppendClassicPacket(dst []byte, m *Message) ([]byte, error) {
	if err := k.SignInner(m); err != nil {
		return dst, err
	}
	start := len(dst)
	dst, err := AppendClassic(dst, m)
	if err != nil {
		return dst[:start], err
	}
	return append(dst, 0), nil
}
