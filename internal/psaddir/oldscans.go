package psaddir

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/psadgo/psad/internal/fwlog"
)

// OldScans says what a starting daemon does with the per-source
// directories an earlier run left in PSAD_DIR (psad's start-up step for
// IMPORT_OLD_SCANS N): move those of MinDL and up to ArchiveDir when
// Archive (ENABLE_SCAN_ARCHIVE), delete them all otherwise.
type OldScans struct {
	Archive    bool
	ArchiveDir string // SCAN_DATA_ARCHIVE_DIR
	MinDL      int    // MIN_ARCHIVE_DANGER_LEVEL
}

// ClearOldScans applies o to the per-source directories of dir, those
// named after an IPv4 or IPv6 address, and returns how many it moved and
// removed. Without this the files of sources the new run knows nothing
// of (its scans were cleared) stayed beside the live ones for good.
//
// Archived, a directory replaces one of the same name in the archive;
// one below MinDL or without a readable danger_level stays where it is,
// as with psad. An error for one directory does not stop the others;
// the errors are joined.
func ClearOldScans(dir string, o OldScans) (moved, removed int, err error) {
	names, err := sourceDirs(dir)
	if err != nil {
		return 0, 0, pathError("read", dir, "PSAD_DIR", err)
	}
	var errs []error
	if o.Archive {
		if err := os.MkdirAll(o.ArchiveDir, 0o700); err != nil {
			return 0, 0, pathError("create", o.ArchiveDir, "SCAN_DATA_ARCHIVE_DIR", err)
		}
	}
	for _, name := range names {
		path := filepath.Join(dir, name)
		if !o.Archive {
			if err := os.RemoveAll(path); err != nil {
				errs = append(errs, pathError("remove", path, "PSAD_DIR", err))
				continue
			}
			removed++
			continue
		}
		b, err := os.ReadFile(filepath.Join(path, "danger_level"))
		if err != nil {
			continue
		}
		dl, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || dl < o.MinDL {
			continue
		}
		if err := archive(path, name, o.ArchiveDir); err != nil {
			errs = append(errs, err)
			continue
		}
		moved++
	}
	return moved, removed, errors.Join(errs...)
}

// archive moves the per-source directory path, named name, into
// archiveDir, replacing one of the same name there, without its spare
// file (see SourceDir).
func archive(path, name, archiveDir string) error {
	// The spare holds a stale copy of some file: not part of the record.
	if err := os.Remove(filepath.Join(path, SpareName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return pathError("archive", path, "SCAN_DATA_ARCHIVE_DIR", err)
	}
	to := filepath.Join(archiveDir, name)
	if err := os.RemoveAll(to); err != nil {
		return pathError("replace", to, "SCAN_DATA_ARCHIVE_DIR", err)
	}
	if err := os.Rename(path, to); err != nil {
		return pathError("archive", path, "SCAN_DATA_ARCHIVE_DIR", err)
	}
	return nil
}

// RetireScan removes the per-source directory of a source the running
// daemon forgot (evicted for MAX_SCAN_SOURCES, or expired), or moves it
// to the archive when o.Archive and dl, the source's last danger level,
// is at least o.MinDL: what a restart does with an earlier run's
// directories, except that one below MinDL is removed too, since no
// scan state is left to describe it. A directory that is not there (the
// source never had files) is not an error.
//
// Why: the state database and memory let go of such a source, and its
// files, left behind, piled up with every flood a daemon saw.
func RetireScan(dir string, addr netip.Addr, dl int, o OldScans) error {
	name := fwlog.AddrString(addr)
	path := filepath.Join(dir, name)
	if o.Archive && dl >= o.MinDL {
		if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err := os.MkdirAll(o.ArchiveDir, 0o700); err != nil {
			return pathError("create", o.ArchiveDir, "SCAN_DATA_ARCHIVE_DIR", err)
		}
		return archive(path, name, o.ArchiveDir)
	}
	if err := os.RemoveAll(path); err != nil {
		return pathError("remove", path, "PSAD_DIR", err)
	}
	return nil
}

// sourceDirs returns the names of dir's per-source directories, those
// named after an IPv4 or IPv6 address; none when dir does not exist.
func sourceDirs(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if _, err := netip.ParseAddr(e.Name()); err == nil && e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}
