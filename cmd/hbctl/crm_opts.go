package main

import (
	"fmt"
	"strings"
)

// crmOpt is one option of a Pacemaker tool, parsed as GLib's
// GOptionContext parses them: -x VALUE, -xVALUE, --long VALUE,
// --long=VALUE, bundled short flags (-1rf), "--" ending the options.
type crmOpt struct {
	short byte
	long  string
	arg   bool
}

// crmParsed is a parse's outcome: each option's values in order (an
// option without an argument has "" per occurrence) and the operands.
type crmParsed struct {
	vals     map[string][]string
	operands []string
}

func (p *crmParsed) has(long string) bool { return len(p.vals[long]) > 0 }

// last returns an option's last value (GLib keeps the last one).
func (p *crmParsed) last(long string) string {
	v := p.vals[long]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// parseCrmOpts parses args against opts; the error is GLib's message, the
// tools print it as "PROG: MESSAGE" and exit 64.
func parseCrmOpts(opts []crmOpt, args []string) (*crmParsed, error) {
	p := &crmParsed{vals: map[string][]string{}}
	byLong := map[string]*crmOpt{}
	byShort := map[byte]*crmOpt{}
	for i := range opts {
		byLong[opts[i].long] = &opts[i]
		if opts[i].short != 0 {
			byShort[opts[i].short] = &opts[i]
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			p.operands = append(p.operands, args[i+1:]...)
			return p, nil
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			o := byLong[name]
			if o == nil {
				return nil, fmt.Errorf("Unknown option %s", a)
			}
			if !o.arg {
				if hasVal {
					return nil, fmt.Errorf("Unexpected value for option --%s", name)
				}
				p.vals[o.long] = append(p.vals[o.long], "")
				continue
			}
			if !hasVal {
				if i+1 >= len(args) {
					return nil, fmt.Errorf("Missing argument for %s", a)
				}
				i++
				val = args[i]
			}
			p.vals[o.long] = append(p.vals[o.long], val)
		case len(a) > 1 && a[0] == '-':
			for k := 1; k < len(a); k++ {
				o := byShort[a[k]]
				if o == nil {
					return nil, fmt.Errorf("Unknown option -%c", a[k])
				}
				if !o.arg {
					p.vals[o.long] = append(p.vals[o.long], "")
					continue
				}
				val := a[k+1:]
				if val == "" {
					if i+1 >= len(args) {
						return nil, fmt.Errorf("Missing argument for -%c", a[k])
					}
					i++
					val = args[i]
				}
				p.vals[o.long] = append(p.vals[o.long], val)
				break
			}
		default:
			p.operands = append(p.operands, a)
		}
	}
	return p, nil
}
