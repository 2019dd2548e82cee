//go:build race

package layer

const raceEnabled = true
