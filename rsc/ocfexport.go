package rsc

// ParseOCFParams reads an OCF instance file as the OCF runner does (see
// parseOCFParams): the daemon's LRM gives the same parameters to the
// agent when it monitors an OCF::<type>::<instance> resource.
func ParseOCFParams(path string, data []byte) ([]string, error) { return parseOCFParams(path, data) }
