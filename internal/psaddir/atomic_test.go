package psaddir

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "top_attackers")
	if err := os.WriteFile(path, []byte("old content, longer than the new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(path, []byte("new\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new\n" {
		t.Errorf("content = %q, %v; want %q", got, err, "new\n")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want 0640", fi.Mode().Perm())
	}
	assertOnly(t, dir, "top_attackers")
}

// TestWriteAtomicErrors makes the final rename fail (path is a non-empty
// directory) and the temporary file's creation fail (no such directory):
// each error names path, and nothing is left behind.
func TestWriteAtomicErrors(t *testing.T) {
	dir := t.TempDir()
	busy := filepath.Join(dir, "busy")
	if err := os.MkdirAll(filepath.Join(busy, "child"), 0o700); err != nil {
		t.Fatal(err)
	}
	err := WriteAtomic(busy, []byte("x"), 0o600)
	if err == nil || !strings.Contains(err.Error(), busy) {
		t.Errorf("rename over a directory: %v, want an error naming %s", err, busy)
	}
	assertOnly(t, dir, "busy")

	missing := filepath.Join(dir, "nodir", "file")
	err = WriteAtomic(missing, []byte("x"), 0o600)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing directory: %v, want ErrNotExist naming %s", err, missing)
	}
}

// assertOnly fails unless dir holds exactly the named entries: no
// temporary file survived.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	got := entries(t, dir)
	if strings.Join(got, " ") != strings.Join(names, " ") {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}
