//go:build race

package wire

// The race detector allocates on its own; allocation counts are meaningless.
const raceEnabled = true
