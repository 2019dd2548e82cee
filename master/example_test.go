package master_test

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/wire"
)

// Two nodes on one broadcast medium, each driven as a daemon would drive
// it, with the network being a function call.
func Example() {
	names := []string{"node1", "node2"}
	var ms []*master.Master
	for i, name := range names {
		keys := wire.NewKeyring()
		_ = keys.SetKey(1, wire.SHA1, []byte("secret"))
		_ = keys.SetSigner(1)
		m, err := master.New(master.Config{
			Local:      name,
			UUID:       [16]byte{byte(i + 1)},
			Generation: 1,
			Nodes:      []master.NodeConfig{{Name: "node1"}, {Name: "node2"}},
			Media:      []master.MediumConfig{{Name: "eth0"}},
			Keepalive:  100 * time.Millisecond,
			Deadtime:   500 * time.Millisecond,
			Initdead:   2 * time.Second,
			HopFudge:   1,
			InnerAuth:  true,
			Keys:       keys,
			Rand:       rand.NewPCG(1, uint64(i)),
		})
		if err != nil {
			panic(err)
		}
		ms = append(ms, m)
	}
	now := master.Time{Mono: 0, Wall: 1_795_316_771}
	// The network: broadcasts reach both nodes, in the order sent.
	var inflight [][]byte
	take := func(i int) {
		rd := ms[i].Ready()
		for _, l := range rd.Logs {
			fmt.Printf("%s: %s\n", names[i], l)
		}
		for _, p := range rd.Packets {
			inflight = append(inflight, append([]byte(nil), p.Data...))
		}
		ms[i].Advance()
	}
	deliver := func(from int) {
		take(from)
		for len(inflight) > 0 {
			p := inflight[0]
			inflight = inflight[1:]
			for to := range ms {
				ms[to].Receive(now, 0, p)
				take(to)
			}
		}
	}
	ms[0].Start(now)
	deliver(0)
	now.Mono += int64(50 * time.Millisecond)
	ms[1].Start(now)
	deliver(1)
	for range 5 {
		// Tick whichever node is due next.
		next := 0
		if ms[1].Deadline() < ms[0].Deadline() {
			next = 1
		}
		now.Mono = ms[next].Deadline()
		ms[next].Tick(now)
		deliver(next)
	}
	fmt.Println(ms[0].NodeStatus(1), ms[1].NodeStatus(0))
	// Output:
	// node1: info: Local status now set to: 'up'
	// node1: info: Link node1:eth0 up.
	// node2: info: Local status now set to: 'up'
	// node1: info: Link node2:eth0 up.
	// node1: info: Status update for node node2: status up
	// node2: info: Link node2:eth0 up.
	// node2: info: Link node1:eth0 up.
	// node1: info: Comm_now_up(): updating status to active
	// node1: info: Local status now set to: 'active'
	// node2: info: Status update for node node1: status active
	// node2: info: Comm_now_up(): updating status to active
	// node2: info: Local status now set to: 'active'
	// node1: info: Status update for node node2: status active
	// active active
}
