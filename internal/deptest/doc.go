// Package deptest holds no code, only a test that keeps the module's import
// rules: golang.org/x/sys/unix is imported by internal/sysio alone (and by
// the _linux.go files of loop, media and rsc/ipaddr, and by the cilium/ebpf
// users under media/bpf), and the pure packages wire, master and config
// stay away from the network, the file system and raw system calls.
package deptest
