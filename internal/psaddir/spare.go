package psaddir

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// SpareName is the hidden file a per-source directory keeps for
// [SourceDir.Replace] to write into.
const SpareName = ".psad-spare"

// SourceDir writes the files of one per-source directory under
// PSAD_DIR, which every alert rewrites. Each file is replaced
// atomically, as [WriteAtomic] does, but without making a new file:
// the content goes into the directory's spare file, which is then
// exchanged with the file (renameat2 RENAME_EXCHANGE), so that the file
// has the new content and the spare the old, to be overwritten next
// time. Why: a rename over the old file frees it, and ext4 passes over
// recently freed inodes when it makes a file: on the build machine's
// root file system, after a spell of such replacements, making a file
// cost 140-210 us of CPU (30 us once it settled), and a busy
// firewall's daemon spent most of its CPU making the files of its
// alerts. The exchange frees and makes nothing. A file that is
// new, or a file system without the exchange, takes the spare itself by
// a plain rename, and the next write makes a new spare.
//
// Not safe for concurrent use, nor for two SourceDirs on one directory.
type SourceDir struct {
	dir    string
	fd     int
	buf    []byte
	noSwap bool // the file system refused RENAME_EXCHANGE
}

// OpenSourceDir opens dir, making it (0700) when it is missing.
func OpenSourceDir(dir string) (*SourceDir, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		if err = os.MkdirAll(dir, 0o700); err == nil {
			fd, err = unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		}
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	return &SourceDir{dir: dir, fd: fd}, nil
}

// Close closes the directory; the spare stays for the next alert.
func (d *SourceDir) Close() error { return unix.Close(d.fd) }

// Holds reports whether name is already a 0600 regular file holding
// exactly data. Reading a file back cost 16 us here, so files that
// usually come out the same (a source's danger level, a pair's start
// time) are read before they are written.
func (d *SourceDir) Holds(name string, data []byte) bool {
	fd, err := unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode != unix.S_IFREG|0o600 || st.Size != int64(len(data)) {
		return false
	}
	// One byte more than data, to see the file end where data does.
	if cap(d.buf) < len(data)+1 {
		d.buf = make([]byte, len(data)+1)
	}
	b := d.buf[:len(data)+1]
	n := 0
	for n < len(b) {
		m, err := unix.Read(fd, b[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false
		}
		if m == 0 {
			break
		}
		n += m
	}
	return n == len(data) && bytes.Equal(b[:n], data)
}

// Replace makes name, a file of the directory, hold data (mode 0600).
// A reader sees the old content or the new, never a mix; a directory in
// name's place is an error, a symbolic link is replaced.
func (d *SourceDir) Replace(name string, data []byte) error {
	if name == SpareName {
		return fmt.Errorf("%s/%s: the spare's own name", d.dir, name)
	}
	if err := d.fillSpare(data); err != nil {
		return fmt.Errorf("writing %s/%s: %w", d.dir, SpareName, err)
	}
	var st unix.Stat_t
	if !d.noSwap && unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG {
		err := exchange(d.fd, SpareName, name)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.ENOENT) {
			// EINVAL or ENOTSUP: this file system cannot exchange.
			d.noSwap = true
		}
	}
	if err := unix.Renameat(d.fd, SpareName, d.fd, name); err != nil {
		return fmt.Errorf("renaming %s/%s to %s: %w", d.dir, SpareName, name, err)
	}
	return nil
}

// fillSpare writes data into the spare, making it when there is none;
// a spare that is not a private regular file of its own (a link, a
// file with other names, a directory) is removed and made again.
func (d *SourceDir) fillSpare(data []byte) error {
	for try := 0; ; try++ {
		fd, err := unix.Openat(d.fd, SpareName, unix.O_WRONLY|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0o600)
		var st unix.Stat_t
		if err == nil {
			if err = unix.Fstat(fd, &st); err == nil && (st.Mode&unix.S_IFMT != unix.S_IFREG || st.Nlink != 1) {
				err = unix.EEXIST
			}
			if err == nil && st.Mode&0o7777 != 0o600 {
				err = unix.Fchmod(fd, 0o600)
			}
			if err == nil {
				err = writeAll(fd, data)
			}
			if err == nil && st.Size > int64(len(data)) {
				err = unix.Ftruncate(fd, int64(len(data)))
			}
			if cerr := unix.Close(fd); err == nil {
				err = cerr
			}
			if err == nil {
				return nil
			}
		}
		if try > 0 {
			return err
		}
		if rerr := unix.Unlinkat(d.fd, SpareName, 0); rerr != nil && !errors.Is(rerr, unix.ENOENT) {
			if rerr = unix.Unlinkat(d.fd, SpareName, unix.AT_REMOVEDIR); rerr != nil {
				return errors.Join(err, rerr)
			}
		}
	}
}

// writeAll writes data at the start of fd.
func writeAll(fd int, data []byte) error {
	for off := 0; off < len(data); {
		n, err := unix.Pwrite(fd, data[off:], int64(off))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		off += n
	}
	return nil
}
