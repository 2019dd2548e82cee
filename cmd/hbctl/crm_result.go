package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/cibipc"
)

// This file reports a failed live request as Pacemaker 2.1.5's tools do
// (pcmk__output_and_clear_error): as text, "prog: message" on stderr; with
// --output-as=xml, the message goes into the pacemaker-result's
// <status code= message=><errors><error> on stdout.

// crmExitText is crm_exit_str: the status element's message.
func crmExitText(code int) string {
	switch code {
	case 0:
		return "OK"
	case 1:
		return "Error occurred"
	case 2:
		return "Invalid parameter"
	case 3:
		return "Unimplemented"
	case 4:
		return "Insufficient privileges"
	case 64:
		return "Incorrect usage"
	case 65:
		return "Invalid data given"
	case 66:
		return "Input file not available"
	case 76:
		return "Protocol violated"
	case 78:
		return "Invalid configuration"
	case 102:
		return "Not connected"
	case 103:
		return "Update was older than existing configuration"
	case 105:
		return "No such object"
	case 107:
		return "Operation not safe"
	case 108:
		return "Requested item already exists"
	case 124:
		return "Timeout occurred"
	}
	return "Unknown exit status"
}

// crmRequest is the command line the tools echo as the result's request.
var crmRequest string

// crmFail prints a tool's failure, msg already worded as Pacemaker's
// ("Error performing operation: No such object"), and returns code.
func crmFail(prog string, p *crmParsed, stdout, stderr io.Writer, code int, msg string) int {
	if p != nil && p.last("output-as") == "xml" {
		fmt.Fprint(stdout, crmResultXML(crmRequest, code, []string{prog + ": " + msg}))
		return code
	}
	fmt.Fprintf(stderr, "%s: %s\n", prog, msg)
	return code
}

// crmResultXML is the pacemaker-result of a command that printed nothing
// else, as xml_finish writes it.
func crmResultXML(request string, code int, errs []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<pacemaker-result api-version=\"2.25\" request=\"%s\">\n", xmlEsc(request))
	fmt.Fprintf(&b, "  <status code=\"%d\" message=\"%s\"", code, xmlEsc(crmExitText(code)))
	if len(errs) == 0 {
		b.WriteString("/>\n</pacemaker-result>\n")
		return b.String()
	}
	b.WriteString(">\n    <errors>\n")
	for _, e := range errs {
		fmt.Fprintf(&b, "      <error>%s</error>\n", xmlEscText(e))
	}
	b.WriteString("    </errors>\n  </status>\n</pacemaker-result>\n")
	return b.String()
}

func xmlEscText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func xmlEsc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// noAccess: the node refused this user the CIB socket.
func noAccess(err error) bool {
	var e *cib.Error
	return errors.As(err, &e) && e.Code == cib.ErrPermission
}

// liveTransportError is the error of a socket nobody answers on.
func liveTransportError() error {
	return &cib.Error{Code: cib.Code(cibipc.ErrNotConnected)}
}

// liveReport prints a failed live request as crm_resource's main does:
// "Error performing operation: " and the exit status's text
// (crm_exit_str), after "Could not connect to the CIB: " and the code's
// own text when the connection was refused or nobody answers.
func liveReport(prog string, p *crmParsed, stdout, stderr io.Writer, err error) int {
	text, exit := liveErrExit(err)
	msg := "Error performing operation: " + crmExitText(exit)
	var e *cib.Error
	if !errors.As(err, &e) || e.Code == cib.ErrPermission || int32(e.Code) == cibipc.ErrNotConnected && e.Detail == "" {
		msg = "Could not connect to the CIB: " + text + "\n" + msg
	}
	return crmFail(prog, p, stdout, stderr, exit, msg)
}
