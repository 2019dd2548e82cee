//go:build !linux

package cpubench

const supported = false

func threadCPU() int64 { return 0 }
