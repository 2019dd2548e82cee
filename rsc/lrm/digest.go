package lrm

import (
	"crypto/md5"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Digest is Pacemaker's op-digest of an operation's parameters
// (pcmk__filter_op_for_digest, then pcmk__digest_operation): the md5 of
// " <parameters a=\"1\" b=\"2\"/>\n" with the attributes sorted by name,
// every CRM_meta_* attribute and a few bookkeeping ones left out, and
// CRM_meta_timeout put back for a recurring operation.
func Digest(params []Param, interval, timeout time.Duration) string {
	kept := make([]Param, 0, len(params)+1)
	seen := make(map[string]bool, len(params))
	for i := len(params) - 1; i >= 0; i-- { // the last of duplicates wins
		p := params[i]
		if seen[p.Name] || filtered(p.Name) {
			continue
		}
		seen[p.Name] = true
		kept = append(kept, p)
	}
	if interval > 0 {
		kept = append(kept, Param{"CRM_meta_timeout", strconv.FormatInt(timeout.Milliseconds(), 10)})
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].Name < kept[j].Name })
	var b strings.Builder
	b.WriteString(" <parameters")
	for _, p := range kept {
		b.WriteByte(' ')
		b.WriteString(p.Name)
		b.WriteString(`="`)
		escapeAttr(&b, p.Value)
		b.WriteByte('"')
	}
	b.WriteString("/>\n")
	sum := md5.Sum([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

func filtered(name string) bool {
	if strings.HasPrefix(name, "CRM_meta_") {
		return true
	}
	switch name {
	case "id", "crm_feature_set", "op-digest", "on_node", "on_node_uuid", "pcmk_external_ip":
		return true
	}
	return false
}

// escapeAttr escapes as libxml2-compatible pcmk__xml_string does for
// attribute values.
func escapeAttr(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		case '\n':
			b.WriteString("&#10;")
		case '\r':
			b.WriteString("&#13;")
		case '\t':
			b.WriteString("&#9;")
		default:
			b.WriteByte(c)
		}
	}
}
