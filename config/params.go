package config

// Param is one recorded directive value.
type Param struct {
	Name  string
	Value string
	Line  int // ha.cf line that set it; 0 for defaults and computed values
}

// Params is heartbeat's parameter table: every recorded directive value
// (last value wins), the defaults filled in after parsing and the values
// heartbeat computes (warntime, initdead, deadping, udpport, hbversion).
// Heartbeat exports each as HA_<Name>=<Value> to every child.
type Params []Param

// Get returns the value recorded for name.
func (ps Params) Get(name string) (string, bool) {
	for _, p := range ps {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// Line returns the ha.cf line that recorded name, 0 if none.
func (ps Params) Line(name string) int {
	for _, p := range ps {
		if p.Name == name {
			return p.Line
		}
	}
	return 0
}

// Environ returns the parameters as HA_<name>=<value> strings, in order.
func (ps Params) Environ() []string {
	env := make([]string, len(ps))
	for i, p := range ps {
		env[i] = "HA_" + p.Name + "=" + p.Value
	}
	return env
}

// set records a value, keeping the position of an earlier one.
func (ps *Params) set(name, value string, line int) {
	for i := range *ps {
		if (*ps)[i].Name == name {
			(*ps)[i].Value, (*ps)[i].Line = value, line
			return
		}
	}
	*ps = append(*ps, Param{Name: name, Value: value, Line: line})
}
