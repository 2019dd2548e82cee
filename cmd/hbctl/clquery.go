package main

import (
	"fmt"
	"strings"
)

// clQuery is a cl_status sub-command that asks heartbeat one thing and
// prints the answer. Its texts are heartbeat's, whose wording differs from
// one sub-command to the next.
type clQuery struct {
	operands int    // how many it needs
	tooFew   string // printed when they are missing
	ask      func(h *hbClient, ops []string) (answer string, ok bool)
	failed   clErr  // when ask fails
	human    string // -m's format, given the operands then the answer; "" has none
	codes    []clPrefix
	// otherwise is the exit code for an answer no prefix in codes
	// matches: clOK (0) when codes is nil.
	otherwise int
}

// clPrefix maps answers that start with prefix to an exit code.
type clPrefix struct {
	prefix string
	code   int
}

// query runs cmd.q on the operands ops.
func (cs *clStatus) query(cmd *clCmd, ops []string) int {
	q := cmd.q
	if len(ops) < q.operands {
		fmt.Fprint(cs.stderr, q.tooFew)
		return clParamError
	}
	answer, ok := q.ask(cs.hb, ops)
	if !ok {
		return cs.fail(q.failed, ops)
	}
	if cs.human && q.human != "" {
		cs.printf(q.human, append(anys(ops[:q.operands]), answer)...)
	} else {
		cs.printf("%s\n", answer)
	}
	for _, p := range q.codes {
		if strings.HasPrefix(answer, p.prefix) {
			return p.code
		}
	}
	return q.otherwise
}

// clErr is how a sub-command reports a failure.
type clErr struct {
	text   string // heartbeat's; %[1]s… stand for the operands
	logged bool   // through cl_log, followed by libhbclient's REASON; else bare on stderr
	code   int
}

// fail reports e about the operands ops and returns its exit code.
func (cs *clStatus) fail(e clErr, ops []string) int {
	text := e.text
	if strings.Contains(text, "%[") {
		text = fmt.Sprintf(text, anys(ops)...)
	}
	if !e.logged {
		fmt.Fprint(cs.stderr, text)
		return e.code
	}
	cs.log.errorf("%s", text)
	cs.log.errorf("REASON: %s", cs.hb.errmsg)
	return e.code
}

// anys makes operands into fmt arguments.
func anys(ops []string) []any {
	args := make([]any, len(ops), len(ops)+1)
	for i, o := range ops {
		args[i] = o
	}
	return args
}
