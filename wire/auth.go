package wire

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash"
)

// Method is an authkeys method.
type Method uint8

const (
	NoMethod Method = iota
	CRC             // CRC-32/CKSUM, no key
	MD5             // HMAC-MD5
	SHA1            // HMAC-SHA1
)

// ParseMethod maps an authkeys method name to a Method.
func ParseMethod(name string) (Method, bool) {
	switch name {
	case "crc":
		return CRC, true
	case "md5":
		return MD5, true
	case "sha1":
		return SHA1, true
	}
	return NoMethod, false
}

func (m Method) String() string {
	switch m {
	case CRC:
		return "crc"
	case MD5:
		return "md5"
	case SHA1:
		return "sha1"
	}
	return "none"
}

// MaxSlots is the number of authkeys slots (MAXAUTH).
const MaxSlots = 16

type slot struct {
	method Method
	mac    hash.Hash // keyed HMAC, Reset before each use; nil for crc
	// native is the keyed HMAC-SHA256 of the native format, with the
	// key derived from the slot's secret; cluster is the slot's cluster id.
	native  hash.Hash
	cluster uint32
}

// Keyring holds the authkeys slots and the signing slot. It computes
// digests without allocating, so it is not safe for concurrent use: give
// each goroutine its own (the event loop owns one).
type Keyring struct {
	slots [MaxSlots]slot
	sign  int // signing slot, -1 if none
	// cluster, when set, replaces every slot's derived cluster id
	// (hbd_cluster_id).
	cluster    uint32
	clusterSet bool
	sum        [64]byte
	body       []byte // scratch: the classic text the inner auth covers
}

// NewKeyring returns a keyring with no slots and no signing slot.
func NewKeyring() *Keyring { return &Keyring{sign: -1} }

// SetKey defines slot n. crc takes no key; md5 and sha1 need one.
func (k *Keyring) SetKey(n int, method Method, key []byte) error {
	if n < 0 || n >= MaxSlots {
		return fmt.Errorf("wire: auth slot %d out of range", n)
	}
	s := slot{method: method}
	switch method {
	case CRC:
		if len(key) > 0 {
			return fmt.Errorf("wire: auth method crc takes no key")
		}
	case MD5:
		s.mac = hmac.New(md5.New, key)
	case SHA1:
		s.mac = hmac.New(sha1.New, key)
	default:
		return fmt.Errorf("wire: invalid auth method %d", method)
	}
	if (method == MD5 || method == SHA1) && len(key) == 0 {
		return fmt.Errorf("wire: auth method %s requires a key", method)
	}
	s.native = hmac.New(sha256.New, nativeKey(key))
	s.cluster = ClusterID(key)
	if k.clusterSet {
		s.cluster = k.cluster
	}
	k.slots[n] = s
	return nil
}

// SetClusterID makes id the cluster id of every slot, defined or to come,
// instead of the ids derived from the secrets (ha.cf's hbd_cluster_id).
func (k *Keyring) SetClusterID(id uint32) {
	k.cluster, k.clusterSet = id, true
	for i := range k.slots {
		k.slots[i].cluster = id
	}
}

// ClusterID returns the signing slot's cluster id, the one native packets
// carry; 0 and false without a signing slot.
func (k *Keyring) ClusterID() (uint32, bool) {
	if k.sign < 0 {
		return 0, false
	}
	return k.slots[k.sign].cluster, true
}

// AppendClusterIDs appends the distinct cluster ids of the defined slots:
// the ids whose native packets this keyring can authenticate.
func (k *Keyring) AppendClusterIDs(dst []uint32) []uint32 {
	start := len(dst)
next:
	for i := range k.slots {
		if k.slots[i].method == NoMethod {
			continue
		}
		for _, id := range dst[start:] {
			if id == k.slots[i].cluster {
				continue next
			}
		}
		dst = append(dst, k.slots[i].cluster)
	}
	return dst
}

// Replace makes k hold from's slots and signing slot, as when authkeys
// is read again; k keeps its own scratch space. from must not be used
// afterwards (the keyed hash states are shared, not copied).
func (k *Keyring) Replace(from *Keyring) {
	k.slots = from.slots
	k.sign = from.sign
	k.cluster, k.clusterSet = from.cluster, from.clusterSet
}

// SetSigner chooses the slot outgoing messages are signed with.
func (k *Keyring) SetSigner(n int) error {
	if n < 0 || n >= MaxSlots || k.slots[n].method == NoMethod {
		return fmt.Errorf("wire: auth key [%d] not defined", n)
	}
	k.sign = n
	return nil
}

// Signer returns the signing slot, or -1.
func (k *Keyring) Signer() int { return k.sign }

// appendDigest appends slot n's lowercase hex digest of data to dst.
func (k *Keyring) appendDigest(dst []byte, n int, data []byte) ([]byte, bool) {
	if n < 0 || n >= MaxSlots {
		return dst, false
	}
	s := &k.slots[n]
	switch s.method {
	case CRC:
		return appendHex(dst, uint64(crcCksum(data))), true
	case MD5, SHA1:
		s.mac.Reset()
		s.mac.Write(data)
		sum := s.mac.Sum(k.sum[:0])
		return hex.AppendEncode(dst, sum), true
	}
	return dst, false
}

// appendAuth appends the auth string "N <digest>" of data, signed with the
// signing slot, as heartbeat writes it ("%d %s").
func (k *Keyring) appendAuth(dst, data []byte) ([]byte, error) {
	if k.sign < 0 {
		return dst, errNoSigner
	}
	dst = appendDecimal(dst, uint64(k.sign))
	dst = append(dst, ' ')
	dst, _ = k.appendDigest(dst, k.sign, data)
	return dst, nil
}

// verify checks an auth string "N <digest>" against data.
func (k *Keyring) verify(auth, data []byte) error {
	n, digits, ok := parseLength(auth)
	if !ok || digits > 2 || digits >= len(auth) || auth[digits] != ' ' {
		return errAuthSyntax
	}
	if n >= MaxSlots || k.slots[n].method == NoMethod {
		return errAuthSlot
	}
	want := auth[digits+1:]
	var buf [2 * 64]byte
	got, _ := k.appendDigest(buf[:0], n, data)
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return errAuthDigest
	}
	return nil
}

// Authentication failures are preallocated: a flood of forged packets must
// not cost an allocation each.
var (
	errNoSigner   = &Error{Op: "sign", Offset: -1, Reason: "no signing key (auth N)"}
	errAuthSyntax = fmt.Errorf("%w: malformed auth string", ErrAuth)
	errAuthSlot   = fmt.Errorf("%w: unknown auth slot", ErrAuth)
	errAuthDigest = fmt.Errorf("%w: digest mismatch", ErrAuth)
	errAuthNone   = fmt.Errorf("%w: no auth", ErrAuth)
)

// crcTable is CRC-32 with polynomial 0x04C11DB7, MSB first (not reflected),
// as heartbeat's crc plugin computes it.
var crcTable = func() (t [256]uint32) {
	for i := range t {
		c := uint32(i) << 24
		for range 8 {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04C11DB7
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// crcCksum is CRC-32/CKSUM without the length that cksum(1) appends:
// init 0, not reflected, xorout 0xFFFFFFFF.
func crcCksum(data []byte) uint32 {
	var c uint32
	for _, b := range data {
		c = c<<8 ^ crcTable[byte(c>>24)^b]
	}
	return ^c
}
