package config_test

import (
	"errors"
	"fmt"

	"github.com/hbd-ha/hbd/config"
)

// Errors name the file and line, in heartbeat's words.
func ExampleParseHACF() {
	env := config.Env{NodeName: func() (string, error) { return "node1", nil }}
	hacf := "node node1 node2\nkeepalive 2\ndeadtime 3\nbogus yes\n"
	_, _, err := config.ParseHACF("/etc/ha.d//ha.cf", []byte(hacf), env)
	var d config.Diagnostic
	if errors.As(err, &d) {
		fmt.Println(d)
	}
	// Output: /etc/ha.d//ha.cf:4: Illegal directive [bogus] in /etc/ha.d//ha.cf
}

func ExampleParseAuthkeys() {
	ak, _, err := config.ParseAuthkeys("authkeys", []byte("auth 2\n1 md5 old\n2 sha1 new\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	k := ak.Keys[ak.Active]
	fmt.Println(ak.Active, k.Method, k.Key)
	// Output: 2 sha1 new
}

func ExampleParseResource() {
	r := config.ParseResource("10.0.0.10/24/eth0/10.0.0.255")
	fmt.Println(r.Script, r.Args, r.IP.Iface, r.IP.Bits, r.IP.Broadcast)
	// Output: IPaddr [10.0.0.10/24/eth0/10.0.0.255] eth0 24 10.0.0.255
}
