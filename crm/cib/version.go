package cib

import "strconv"

// Version is a CIB's version: admin_epoch, epoch, num_updates, compared
// in that order (the newer CIB wins when partitions merge). epoch counts
// configuration changes, num_updates the status changes since the last
// one; admin_epoch only moves by hand (and on erase).
type Version struct {
	AdminEpoch, Epoch, NumUpdates int
}

// VersionOf reads the version attributes of a <cib> element (absent ones
// are 0, as in Pacemaker).
func VersionOf(root *Element) Version {
	if root == nil {
		return Version{}
	}
	return Version{intAttr(root, "admin_epoch"), intAttr(root, "epoch"), intAttr(root, "num_updates")}
}

// Compare is -1, 0 or 1 as v is older than, the same as or newer than o.
func (v Version) Compare(o Version) int {
	for _, d := range [3][2]int{{v.AdminEpoch, o.AdminEpoch}, {v.Epoch, o.Epoch}, {v.NumUpdates, o.NumUpdates}} {
		if d[0] < d[1] {
			return -1
		}
		if d[0] > d[1] {
			return 1
		}
	}
	return 0
}

// String is "admin_epoch.epoch.num_updates", as Pacemaker logs it.
func (v Version) String() string {
	return strconv.Itoa(v.AdminEpoch) + "." + strconv.Itoa(v.Epoch) + "." + strconv.Itoa(v.NumUpdates)
}

// setOn writes v's three attributes on a <cib> element.
func (v Version) setOn(root *Element) {
	root.Set("admin_epoch", strconv.Itoa(v.AdminEpoch))
	root.Set("epoch", strconv.Itoa(v.Epoch))
	root.Set("num_updates", strconv.Itoa(v.NumUpdates))
}
