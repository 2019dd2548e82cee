//go:build !race

package stonith

const raceEnabled = false
