// Package contrib holds no code: its test checks the service files
// shipped beside it (systemd/hbd.service, init.d/hbd) against the real
// systemd-analyze, sh and hbd.
package contrib
