package main

import (
	"io"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/cibipc"
)

// cibadminLive is cibadmin without CIB_file: a query is answered from the
// running node's replica and printed as from a file; a write is one
// request that the DC applies.
func cibadminLive(o cibadminOpts, input *cib.Element, stdout, stderr io.Writer) int {
	k, err := dialCIB(o.timeout)
	if noAccess(err) {
		return liveFail(stderr, cibipc.Reply{RC: int32(cib.ErrPermission)})
	}
	if err != nil {
		return noCIB(stderr)
	}
	defer k.Close()
	if o.cmd == 'Q' {
		r, err := k.call(cibipc.Request{Op: cibipc.OpQuery})
		if err != nil {
			return noCIB(stderr)
		}
		if r.RC != 0 {
			return liveFail(stderr, r)
		}
		root, err := cib.ParseKeepComments(r.Output)
		var c *cib.CIB
		if err == nil {
			c, err = cib.New(root)
		}
		if err != nil {
			return liveFail(stderr, cibipc.Reply{RC: cibipc.ErrProto})
		}
		return cibadminDo(o, nil, c, "", stdout, stderr)
	}
	req := cibipc.Request{Section: o.scope, AllowCreate: o.allowCreate}
	if input != nil {
		req.Data = input.AppendXML(nil)
	}
	switch o.cmd {
	case 'C':
		req.Op = cibipc.OpCreate
	case 'M':
		req.Op = cibipc.OpModify
	case 'R':
		req.Op = cibipc.OpReplace
	case 'D', 'd':
		req.Op = cibipc.OpDelete
		if o.xpath != "" && input == nil {
			req.Op, req.XPath, req.All, req.Section = cibipc.OpXPathDelete, o.xpath, o.cmd == 'd', ""
		}
	case 'E':
		req.Op = cibipc.OpErase
	case 'B':
		req.Op = cibipc.OpBump
	case 'P':
		req.Op = cibipc.OpPatch
	default:
		return cibExitUsage
	}
	r, err := k.call(req)
	if err != nil {
		return noCIB(stderr)
	}
	if r.RC != 0 {
		return liveFail(stderr, r)
	}
	return 0
}
