// Package deptest holds no code, only tests that keep the module's layer
// table (DESIGN.md, "Layers and the contract between them"; the table is
// layers in layers_test.go):
//
//   - pure layers (wire, master/..., internal/layer, internal/prio,
//     internal/ipfail, config's parser, ccm, crm/...) import only each other,
//     the standard library and known-pure libraries; they touch no system:
//     no os, syscall, x/sys or net/... package, of net only its parsers
//     (net.SplitHostPort, net.ParseIP, ...), no clock or timer from time,
//     no process-wide random source, no goroutine;
//   - adapters (loop, media, ipc, api, rsc, metrics, internal/proc, ...) use
//     of a pure layer only its value types (valueTypes), and never import a
//     driver;
//   - only drivers (node, cmd/...) import both sides;
//   - nothing but tests and tool packages (xxxtest helpers, test/...,
//     bench/...) imports package testing or a tool package;
//   - golang.org/x/sys/unix is imported by internal/sysio alone (and the
//     _linux.go files of loop, media and rsc/ipaddr, and cilium/ebpf's users
//     under media/bpf).
//
// The rules are checked on the syntax (imports and pkg.Ident selectors), so
// a violation is named by file, line and identifier. A package missing from
// the table fails the test until it is given its place.
package deptest
