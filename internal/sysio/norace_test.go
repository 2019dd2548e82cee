//go:build !race

package sysio

const raceEnabled = false
