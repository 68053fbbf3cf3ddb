package psaddir

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"
)

// TestClearOldScans: without the archive every per-source directory
// goes; with it those at MIN_ARCHIVE_DANGER_LEVEL and up move, replacing
// an archived one of the same name, and the rest stay. Other entries of
// PSAD_DIR are never touched.
func TestClearOldScans(t *testing.T) {
	setup := func(t *testing.T) (dir, archive string) {
		dir = t.TempDir()
		archive = filepath.Join(dir, "scan_archive")
		for name, dl := range map[string]string{"203.0.113.5": "3\n", "203.0.113.6": "1\n", "2001:db8::7": "4\n", "198.51.100.9": ""} {
			if err := os.MkdirAll(filepath.Join(dir, name), 0o700); err != nil {
				t.Fatal(err)
			}
			if dl != "" {
				if err := os.WriteFile(filepath.Join(dir, name, "danger_level"), []byte(dl), 0o600); err != nil {
					t.Fatal(err)
				}
				// SourceDir's spare, which an archive leaves out.
				if err := os.WriteFile(filepath.Join(dir, name, SpareName), []byte(dl), 0o600); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, f := range []string{"top_ports", "packet_ctr"} {
			if err := os.WriteFile(filepath.Join(dir, f), []byte("x\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.MkdirAll(filepath.Join(dir, "errs"), 0o700); err != nil {
			t.Fatal(err)
		}
		old := filepath.Join(archive, "203.0.113.5")
		if err := os.MkdirAll(old, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(old, "stale"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		return dir, archive
	}
	t.Run("delete", func(t *testing.T) {
		dir, _ := setup(t)
		moved, removed, err := ClearOldScans(dir, OldScans{})
		if err != nil || moved != 0 || removed != 4 {
			t.Fatalf("moved %d, removed %d, %v; want 0, 4, nil", moved, removed, err)
		}
		if got, want := entries(t, dir), []string{"errs", "packet_ctr", "scan_archive", "top_ports"}; !slices.Equal(got, want) {
			t.Errorf("PSAD_DIR holds %v, want %v", got, want)
		}
	})
	t.Run("archive", func(t *testing.T) {
		dir, archive := setup(t)
		moved, removed, err := ClearOldScans(dir, OldScans{Archive: true, ArchiveDir: archive, MinDL: 2})
		if err != nil || moved != 2 || removed != 0 {
			t.Fatalf("moved %d, removed %d, %v; want 2, 0, nil", moved, removed, err)
		}
		if got, want := entries(t, dir), []string{"198.51.100.9", "203.0.113.6", "errs", "packet_ctr", "scan_archive", "top_ports"}; !slices.Equal(got, want) {
			t.Errorf("PSAD_DIR holds %v, want %v", got, want)
		}
		if got, want := entries(t, archive), []string{"2001:db8::7", "203.0.113.5"}; !slices.Equal(got, want) {
			t.Errorf("the archive holds %v, want %v", got, want)
		}
		if got, want := entries(t, filepath.Join(archive, "203.0.113.5")), []string{"danger_level"}; !slices.Equal(got, want) {
			t.Errorf("the archived 203.0.113.5 holds %v, want the new directory %v", got, want)
		}
	})
	t.Run("no PSAD_DIR yet", func(t *testing.T) {
		if _, _, err := ClearOldScans(filepath.Join(t.TempDir(), "none"), OldScans{}); err != nil {
			t.Errorf("a missing PSAD_DIR: %v", err)
		}
	})
}

// TestRetireScan: the directory of a source the daemon forgot is
// removed, or archived at MIN_ARCHIVE_DANGER_LEVEL and up (replacing an
// older copy), under the name the alert files were written with; one
// below the level is removed even with the archive on, and a source that
// never had a directory is no error.
func TestRetireScan(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "scan_archive")
	v6 := netip.MustParseAddr("2001:db8::7")
	mk := func(a netip.Addr) string {
		p := filepath.Join(dir, fwlog.AddrString(a))
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"danger_level", SpareName} {
			if err := os.WriteFile(filepath.Join(p, f), []byte("3\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	gone := func(p string) bool {
		_, err := os.Lstat(p)
		return errors.Is(err, fs.ErrNotExist)
	}
	a, b := netip.MustParseAddr("203.0.113.5"), netip.MustParseAddr("203.0.113.6")
	pa, pb, p6 := mk(a), mk(b), mk(v6)
	if err := os.MkdirAll(filepath.Join(archive, "203.0.113.5", "stale"), 0o700); err != nil {
		t.Fatal(err)
	}
	o := OldScans{Archive: true, ArchiveDir: archive, MinDL: 3}

	if err := RetireScan(dir, a, 3, o); err != nil || !gone(pa) {
		t.Fatalf("DL 3 with the archive: %v, still there %v", err, !gone(pa))
	}
	if got, want := entries(t, filepath.Join(archive, "203.0.113.5")), []string{"danger_level"}; !slices.Equal(got, want) {
		t.Errorf("archived 203.0.113.5 holds %v, want the retired directory %v", got, want)
	}
	if err := RetireScan(dir, b, 2, o); err != nil || !gone(pb) {
		t.Fatalf("DL 2 with the archive at 3: %v, still there %v; want removed", err, !gone(pb))
	}
	if err := RetireScan(dir, v6, 5, OldScans{}); err != nil || !gone(p6) {
		t.Fatalf("IPv6 without the archive: %v, still there %v; want removed", err, !gone(p6))
	}
	for _, arch := range []bool{false, true} {
		if err := RetireScan(dir, netip.MustParseAddr("198.51.100.9"), 4, OldScans{Archive: arch, ArchiveDir: archive}); err != nil {
			t.Errorf("no directory (archive %v): %v", arch, err)
		}
	}
	if got, want := entries(t, archive), []string{"203.0.113.5"}; !slices.Equal(got, want) {
		t.Errorf("the archive holds %v, want %v", got, want)
	}
}

// entries lists dir's names, sorted (as os.ReadDir returns them).
func entries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}
