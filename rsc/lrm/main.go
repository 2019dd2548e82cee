package lrm

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"syscall"

	"github.com/hbd-ha/hbd/loop"
)

// Main is "hbd lrm" (cmd/hbd's subcommand is to call it with the
// arguments after "lrm"): the local resource manager alone on a loop of
// its own, serving lrmd's sockets, as "lrmd -r" runs (in the
// foreground, until SIGTERM or SIGINT). It returns the exit status.
func Main(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("hbd lrm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", DefaultDir, "directory of lrm_cmd_sock and lrm_callback_sock")
	children := fs.Int("max-children", DefaultMaxChildren, "agents run at once")
	maxRsc := fs.Int("max-resources", DefaultMaxResources, "resources managed at most")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	lg := log.New(stderr, fmt.Sprintf("hbd-lrm[%d]: ", os.Getpid()), log.LstdFlags)
	var srv *Server
	l, err := loop.New(loop.Options{WakeHandler: func() {
		if srv != nil {
			srv.Poll()
		}
	}})
	if err != nil {
		lg.Print(err)
		return 1
	}
	defer l.Close()
	// Signals first: a SIGTERM that comes once the sockets exist must stop
	// the loop cleanly, not kill the process with its sockets left behind.
	if err := l.Signals(func(os.Signal) { l.Stop() }, syscall.SIGTERM, syscall.SIGINT); err != nil {
		lg.Print(err)
		return 1
	}
	srv, err = Serve(l, ServeOptions{Dir: *dir, Logf: lg.Printf,
		LRM: Options{MaxChildren: *children, MaxResources: *maxRsc, Env: os.Environ()}})
	if err != nil {
		lg.Print(err)
		return 1
	}
	lg.Printf("max-children set to %d; Started.", *children)
	err = l.Run()
	srv.Close()
	if err != nil {
		lg.Print(err)
		return 1
	}
	return 0
}
