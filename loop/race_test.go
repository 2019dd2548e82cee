//go:build race

package loop

// The race detector allocates on its own; allocation counts mean nothing.
const raceEnabled = true
