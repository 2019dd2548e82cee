package apitest

import (
	"fmt"
	"os/user"
	"strconv"
)

func uidOf(name string) int {
	u, err := user.Lookup(name)
	if err != nil {
		return -2 // matches nobody
	}
	v, _ := strconv.Atoi(u.Uid)
	return v
}

func gidOf(name string) int {
	g, err := user.LookupGroup(name)
	if err != nil {
		return -2
	}
	v, _ := strconv.Atoi(g.Gid)
	return v
}

func sprintf(f string, args ...any) string { return fmt.Sprintf(f, args...) }
