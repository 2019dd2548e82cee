//go:build !race

package respawn

const raceEnabled = false
