// Package store keeps a CIB on disk, the adapter under crm/cib (which is
// pure, and makes the bytes and digests written here): a CIB_file as Pacemaker's offline tools read and write it, and
// the node's own copy as heartbeat 2 and Pacemaker keep it — cib.xml
// with its cib.xml.sig digest, written atomically, the previous versions
// kept as cib-N.raw (with their .sig) numbered by cib.last.
package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// DefaultDir is where heartbeat keeps the node's CIB.
const DefaultDir = "/var/lib/heartbeat/crm"

// ReadFile reads a CIB file (CIB_file); cib.ParseCIB reads the tree.
func ReadFile(path string) ([]byte, error) { return os.ReadFile(path) }

// WriteFile replaces path with data (a CIB's Bytes) atomically: a
// temporary file in the same directory, synced, renamed over the old one,
// which is left whole if anything fails. An existing file's mode is kept;
// a new one is 0600.
func WriteFile(path string, data []byte) error { return writeAtomic(path, data) }

func writeAtomic(path string, data []byte) error {
	mode := os.FileMode(0o600)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Chmod(mode); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Dir is a node's CIB directory.
type Dir struct {
	Path string
	// Backups is how many earlier versions are kept (Pacemaker keeps 100).
	Backups int
}

func (d Dir) file(name string) string { return filepath.Join(d.Path, name) }

// Check decides whether a file and its digest (nil when there is no .sig)
// may be used: cib.CheckDisk.
type Check func(data, sig []byte) error

// Load reads cib.xml and has check judge it with cib.xml.sig. A file
// that fails is not used: Load then takes the newest backup that passes,
// and says which file it took; an absent cib.xml (and no backup) is
// (nil, "", nil).
func (d Dir) Load(check Check) (data []byte, from string, err error) {
	data, err = loadChecked(d.file("cib.xml"), check)
	if err == nil {
		return data, d.file("cib.xml"), nil
	}
	if os.IsNotExist(err) && !d.hasBackups() {
		return nil, "", nil
	}
	first := err
	for _, n := range d.backupsNewestFirst() {
		p := d.file("cib-" + strconv.Itoa(n) + ".raw")
		if b, err := loadChecked(p, check); err == nil {
			return b, p, nil
		}
	}
	return nil, "", first
}

func loadChecked(path string, check Check) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sig, err := os.ReadFile(path + ".sig")
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	if err := check(data, sig); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}
func (d Dir) hasBackups() bool { return len(d.backupsNewestFirst()) > 0 }

// backupsNewestFirst lists the backup numbers, the newest (just below
// cib.last, wrapping) first.
func (d Dir) backupsNewestFirst() []int {
	max := d.max()
	next := d.last()
	var out []int
	for i := 1; i <= max; i++ {
		n := ((next-i)%max + max) % max
		if _, err := os.Stat(d.file("cib-" + strconv.Itoa(n) + ".raw")); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func (d Dir) max() int {
	if d.Backups <= 0 {
		return 100
	}
	return d.Backups
}

func (d Dir) last() int {
	b, err := os.ReadFile(d.file("cib.last"))
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 0 {
		return 0
	}
	return n % d.max()
}

// Save writes the node's copy, data and its digest sig (cib.DiskForm):
// the current cib.xml (and .sig) become backup cib-N.raw (N from
// cib.last, which then moves on, wrapping at Backups), then the new
// cib.xml.sig and cib.xml are written, each atomically.
func (d Dir) Save(data []byte, sig string) error {
	if err := os.MkdirAll(d.Path, 0o750); err != nil {
		return err
	}
	cur := d.file("cib.xml")
	if _, err := os.Stat(cur); err == nil {
		n := d.last()
		bak := d.file("cib-" + strconv.Itoa(n) + ".raw")
		os.Remove(bak)
		os.Remove(bak + ".sig")
		if err := os.Link(cur, bak); err != nil {
			return fmt.Errorf("backup of cib.xml: %w", err)
		}
		if _, err := os.Stat(cur + ".sig"); err == nil {
			if err := os.Link(cur+".sig", bak+".sig"); err != nil {
				return fmt.Errorf("backup of cib.xml.sig: %w", err)
			}
		}
		if err := writeAtomic(d.file("cib.last"), []byte(strconv.Itoa((n+1)%d.max()))); err != nil {
			return err
		}
	}
	// The digest first: a crash between the two leaves a cib.xml that
	// fails its check, and Load takes the backup (the same file, with its
	// own digest) rather than a torn mix.
	if err := writeAtomic(cur+".sig", []byte(sig)); err != nil {
		return err
	}
	return writeAtomic(cur, data)
}
