module github.com/hbd-ha/hbd

go 1.26.0

require github.com/klauspost/compress v1.20.3

require (
	github.com/vishvananda/netlink v1.3.1
	golang.org/x/sys v0.49.0
)

require github.com/vishvananda/netns v0.0.5 // indirect
