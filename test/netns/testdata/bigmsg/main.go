// Command bigmsg is TestHeartbeatInteropBigMessage's API client: "send
// SOCKET N" signs on as client bigmsg and sends a message of type bigmsg
// with an N-byte repetitive field; "recv SOCKET" signs on as bigmsg and
// prints the length and SHA-256 of the first such message's field.
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hbd-ha/hbd/api"
	"github.com/hbd-ha/hbd/wire"
)

func main() {
	if len(os.Args) < 3 {
		fail("usage: bigmsg send|recv SOCKET [N]")
	}
	c, err := api.Dial(os.Args[2])
	if err != nil {
		fail(err.Error())
	}
	if err := c.SignOn("bigmsg"); err != nil {
		fail("sign on: " + err.Error())
	}
	switch os.Args[1] {
	case "send":
		n, _ := strconv.Atoi(os.Args[3])
		var b strings.Builder
		for i := 0; b.Len() < n; i++ {
			fmt.Fprintf(&b, `<lrm_rsc_op id="r%d_last_0" operation="monitor" rc-code="7" call-id="%d"/>`, i, i)
		}
		m := new(wire.Message)
		m.AddString(wire.FieldType, "bigmsg")
		m.AddString("data", b.String()[:n])
		if err := c.Send(m); err != nil {
			fail("send: " + err.Error())
		}
		time.Sleep(500 * time.Millisecond)
		sum := sha256.Sum256([]byte(b.String()[:n]))
		fmt.Printf("%d %x\n", n, sum)
	case "recv":
		fmt.Println("ready")
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			m, err := c.ReadMessage(time.Until(deadline))
			if err != nil {
				fail("read: " + err.Error())
			}
			if string(m.Type()) == "bigmsg" {
				d := m.Value("data")
				sum := sha256.Sum256(d)
				fmt.Printf("%d %x\n", len(d), sum)
				return
			}
		}
		fail("no bigmsg message")
	}
}

func fail(s string) {
	fmt.Fprintln(os.Stderr, "bigmsg:", s)
	os.Exit(1)
}
