package layer

// Time is the moment an input happens at. A pure layer never reads a
// clock: every input carries one.
type Time struct {
	// Mono is a monotonic clock in nanoseconds (CLOCK_MONOTONIC). Every
	// timing decision uses it. It must never go backwards.
	Mono int64
	// Wall is the wall clock in seconds since the epoch (time(NULL)). It
	// only goes where a protocol writes the wall clock on the wire (the
	// "ts" field heartbeat puts on every message).
	Wall int64
}
