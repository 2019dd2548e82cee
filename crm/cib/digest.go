package cib

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"strings"
	"time"
)

// Digest is the on-disk digest Pacemaker (and heartbeat 2's CIB before
// it) writes into cib.xml.sig: the MD5, in hex, of a space, the document
// as compact XML, and a newline.
func Digest(root *Element) string {
	b := make([]byte, 0, 4096)
	b = append(b, ' ')
	b = root.appendCompactPcmk(b)
	b = append(b, '\n')
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// appendCompactPcmk is AppendXML with Pacemaker's escaping, the text its
// digests are taken of.
func (e *Element) appendCompactPcmk(dst []byte) []byte {
	if e.IsComment() {
		return appendComment(dst, e.Comment)
	}
	dst = append(dst, '<')
	dst = append(dst, e.Name...)
	for _, a := range e.Attrs {
		dst = appendAttr(dst, a.Name.Local, a.Value, true)
	}
	if len(e.Children) == 0 {
		return append(dst, "/>"...)
	}
	dst = append(dst, '>')
	for _, c := range e.Children {
		dst = c.appendCompactPcmk(dst)
	}
	dst = append(dst, "</"...)
	dst = append(dst, e.Name...)
	return append(dst, '>')
}

// LastWritten formats a time as Pacemaker's cib-last-written attribute
// (ctime's form, without the newline), for Request.LastWritten.
func LastWritten(t time.Time) string {
	return t.Format("Mon Jan _2 15:04:05 2006")
}

// DiskForm is the CIB as a node keeps it on disk (store.Dir.Save): the
// formatted document without its status section, which is rebuilt from
// the nodes at start as in Pacemaker, and its digest for cib.xml.sig.
func (c *CIB) DiskForm() (data []byte, sig string) {
	disk := c.Root.Clone()
	if st := disk.Child("status"); st != nil {
		st.Remove()
	}
	return disk.Format(), Digest(disk)
}

// ErrDigest is a cib.xml whose content does not match its cib.xml.sig.
var ErrDigest = errors.New("cib.xml does not match its digest in cib.xml.sig")

// CheckDisk is store.Dir.Load's check: the file parses as a CIB and, when
// it has a digest, matches it.
func CheckDisk(data, sig []byte) error {
	c, err := ParseCIB(data)
	if err != nil {
		return err
	}
	if sig != nil && strings.TrimSpace(string(sig)) != Digest(c.Root) {
		return ErrDigest
	}
	return nil
}
