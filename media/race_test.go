//go:build race

package media

// The race detector allocates on its own; allocation counts mean nothing.
const raceEnabled = true
