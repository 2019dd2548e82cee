// Package libplumb measures heartbeat's own message library, cluster-glue's
// libplumb (Debian package libplumb2-dev), next to hbd's wire codec on the
// same message in the same run, so the comparison is a ratio and not two
// numbers from two noisy moments.
//
// It needs cgo and the library, so it builds only with the libplumb tag:
//
//	make bench-libplumb
//	go test -tags libplumb -run '^$' -bench . -benchmem ./bench/libplumb
package libplumb
