package master

// UUID returns node i's uuid in its text form, once known (the API's
// getuuid).
func (m *Master) UUID(i int) (string, bool) {
	n := &m.nodes[i]
	if !n.hasUUID {
		return "", false
	}
	return string(unparseUUID(nil, n.uuid)), true
}
