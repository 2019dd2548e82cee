package loop_test

import (
	"fmt"
	"time"

	"github.com/hbd-ha/hbd/internal/sysio"
	"github.com/hbd-ha/hbd/loop"
)

// A peer whose deadline is pushed back by every heartbeat it sends; the
// Timer lives inside the peer, so resetting it allocates nothing.
type peer struct {
	name     string
	deadline loop.Timer
}

func Example() {
	l, err := loop.New(loop.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()

	r, w, err := sysio.Pipe() // stands in for a media socket
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sysio.Close(r)
	defer sysio.Close(w)

	const deadtime = 15 * time.Millisecond
	p := &peer{name: "node2"}
	p.deadline.Init(func(now int64) {
		fmt.Println(p.name, "missed its deadline")
		l.Stop()
	})
	l.After(&p.deadline, deadtime)

	buf := make([]byte, 64)
	l.Register(r, loop.Readable, loop.HandlerFunc(func(loop.Events) {
		n, _ := sysio.Read(r, buf)
		fmt.Printf("heartbeat %q\n", buf[:n])
		l.After(&p.deadline, deadtime) // alive: push the deadline back
	}))

	sysio.Write(w, []byte("node2 alive"))
	if err := l.Run(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// heartbeat "node2 alive"
	// node2 missed its deadline
}
