package api

import "os"

// sysUID is the daemon's uid: besides root, the one user whose clients may
// see debug treatments.
var sysUID = os.Getuid()
