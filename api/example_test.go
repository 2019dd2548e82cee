package api_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hbd-ha/hbd/api"
	"github.com/hbd-ha/hbd/api/apitest"
	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/loop"
)

// A server on the daemon's loop and a Go client asking it what cl_status
// asks.
func Example() {
	dir, _ := os.MkdirTemp("", "api-example-")
	defer os.RemoveAll(dir)

	state := apitest.NewBackend()                    // the daemon's view of the cluster
	state.Rules = []config.APIAuth{{Client: "anon"}} // admit every casual client
	l, _ := loop.New(loop.Options{})
	srv, err := api.Listen(l, filepath.Join(dir, "register"), state, api.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error)
	go func() { done <- l.Run() }()
	defer func() { l.Stop(); <-done; srv.Close(); l.Close() }()

	c, err := api.Dial(srv.Path())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	if err := c.SignOn(""); err != nil { // casual, as cl_status
		fmt.Println(err)
		return
	}
	fmt.Println("local node:", c.Info().Node, "deadtime:", c.Info().Deadtime)
	nodes, _ := c.Nodes()
	for _, n := range nodes {
		fmt.Println(n.Name, n.Type, n.Status)
	}
	links, _ := c.Links("node1")
	fmt.Println("node1 links:", links)
	held, _ := c.Holding()
	fmt.Println("holding:", held)
	c.SignOff()
	// Output:
	// local node: node1 deadtime: 30s
	// node1 normal active
	// node2 normal dead
	// node3 normal active
	// 198.18.0.254 ping ping
	// node1 links: [{eth0 up} {eth1 dead}]
	// holding: local
}
