//go:build race

package controld

// raceEnabled: the race detector slows the simulator about tenfold; the
// randomised test runs fewer seeds under it.
const raceEnabled = true
