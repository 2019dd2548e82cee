//go:build race

package watchdog

// The race detector allocates on its own; allocation counts mean nothing.
const raceEnabled = true
