//go:build race

package sysio

// The race detector allocates on its own; allocation counts mean nothing.
const raceEnabled = true
