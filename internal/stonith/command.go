package stonith

import (
	"bytes"
	"context"
	"encoding/xml"
	"os/exec"
	"strings"
	"syscall"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/proc"
)

// maxOutput bounds what is kept of one command's output.
const maxOutput = 64 << 10

// deviceArgs returns the arguments that name and configure dev: a
// stonith_host line's parameters go as one -p string, as heartbeat hands
// them to stonith_set_config_info; a stonith line's file goes to -F.
func deviceArgs(dev *config.Stonith) []string {
	if dev.Host != "" || dev.ConfigFile == "" {
		return []string{"-t", dev.Type, "-p", dev.Params}
	}
	return []string{"-t", dev.Type, "-F", dev.ConfigFile}
}

// outcome is how one command ended.
type outcome struct {
	code   int            // exit code; -1 if it did not exit normally
	err    error          // why it could not be run or waited for
	stdout []byte         // bounded by maxOutput
	stderr []byte         // bounded by maxOutput
	sig    syscall.Signal // the signal that killed it, if one did
}

// command runs the stonith command with f's device arguments (unless
// bare) and extra, through internal/proc: in its own process group
// (heartbeat's child calls setpgid), with stdin on /dev/null (so it logs
// through cl_log). ctx's end kills the group with SIGKILL.
func (f *Fencer) command(ctx context.Context, bare bool, extra ...string) outcome {
	args := []string{f.opt.Command}
	if !bare {
		args = append(args, f.args...)
	}
	args = append(args, extra...)
	r := proc.Run(ctx, &proc.Spec{
		Path: f.opt.Command, Args: args, Env: f.opt.Env,
		CaptureStdout: true, CaptureStderr: true, Cap: maxOutput, PipeWait: waitDelay,
	})
	o := outcome{stdout: r.Stdout, stderr: r.Stderr, code: r.ExitCode(), sig: r.Signal()}
	switch {
	case r.Err != nil:
		o.code, o.err = -1, r.Err
	case r.PipeHeld && o.code == 0:
		// A child of the command still holds its output: the outcome
		// is not known.
		o.code, o.err = -1, exec.ErrWaitDelay
	}
	return o
}

// deviceID returns what heartbeat prints for the device: the plugin's
// ST_DEVICEID, which stonith(8) -m prints as the first shortdesc. It is
// asked once; if the command cannot tell, the type stands in (heartbeat
// would print "(null)"). An external plugin's trailing newline is dropped
// so that a log line stays one line.
func (f *Fencer) deviceID(ctx context.Context) string {
	if f.bad != "" {
		return f.dev.Type
	}
	f.idMu.Lock()
	defer f.idMu.Unlock()
	if f.id != "" {
		return f.id
	}
	o := f.command(ctx, true, "-t", f.dev.Type, "-m")
	if o.err == nil && o.code == 0 {
		f.id = shortDesc(o.stdout)
	}
	if f.id == "" {
		return f.dev.Type
	}
	return f.id
}

// shortDesc returns the text of the first <shortdesc> element of a
// stonith(8) -m document, unescaped and without trailing white space; ""
// if there is none.
func shortDesc(doc []byte) string {
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = false
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "shortdesc" {
			var s string
			if d.DecodeElement(&s, &se) != nil {
				return ""
			}
			return strings.TrimRight(s, " \t\r\n")
		}
	}
}
