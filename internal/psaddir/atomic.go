package psaddir

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteAtomic replaces path with data, mode perm. Readers (psad -S, an
// operator's cat, a restarted daemon) see the old content or the new, never
// a truncated mix, and after a crash the file is one or the other: the data
// goes to a temporary file in the same directory (rename is atomic only
// within one file system), is flushed to disk, and is then renamed over
// path; the directory is synced last so the rename itself survives a power
// loss. On error the temporary file is removed and path is untouched.
func WriteAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// CreateTemp made the file 0600; set perm exactly (umask does not
	// apply to Chmod), before any data is in it.
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: close: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		// The new content is in place; only its durability is in doubt.
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// syncDir flushes dir's entries, making a rename in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
