//go:build !race

package controld

const raceEnabled = false
