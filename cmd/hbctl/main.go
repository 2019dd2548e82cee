// Command hbctl is hbd's operator tool. Today it has one command:
//
//	hbctl wire decode [--authkeys FILE] FILE...
//
// which decodes captured heartbeat UDP payloads. Later it also answers as
// cl_status, hb_standby and hb_takeover when invoked under those names.
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `usage: hbctl <command> [arguments]

commands:
  wire decode [--authkeys FILE] FILE...
        decode captured heartbeat UDP payloads: print each packet's fields,
        whether its auth verifies, and whether re-encoding reproduces it
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) >= 2 && args[0] == "wire" && args[1] == "decode" {
		return wireDecode(args[2:], stdout, stderr)
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "hbctl: unknown command %q\n%s", args, usage)
	return 2
}
