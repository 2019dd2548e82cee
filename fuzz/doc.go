// Package fuzz holds fuzz targets that span packages, seeded from real
// heartbeat 3.0.6 captures (testdata/vectors): what a node does with a
// datagram from the moment it arrives. Per-package targets live beside their
// code (wire, config); `make fuzz-smoke` runs them all briefly.
package fuzz
