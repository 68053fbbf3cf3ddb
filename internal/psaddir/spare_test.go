package psaddir

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

func openDir(t *testing.T) (*SourceDir, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "192.0.2.1")
	d, err := OpenSourceDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, dir
}

func mustHold(t *testing.T, path, want string) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != want || fi.Mode() != 0o600 {
		t.Fatalf("%s: %q %v mode %v, want %q 0600", path, b, err, fi.Mode(), want)
	}
}

func TestSourceDirReplace(t *testing.T) {
	d, dir := openDir(t)
	path := filepath.Join(dir, "198.51.100.7_email_alert")
	for _, data := range []string{"first, a new file\n", "second, shorter\n", "third, which is longer than both\n", ""} {
		if err := d.Replace("198.51.100.7_email_alert", []byte(data)); err != nil {
			t.Fatal(err)
		}
		mustHold(t, path, data)
	}
	// The spare is the file's old inode, kept for the next write.
	mustHold(t, filepath.Join(dir, SpareName), "third, which is longer than both\n")
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("%d entries, want the file and the spare", len(ents))
	}

	if !d.Holds("198.51.100.7_email_alert", nil) || d.Holds("198.51.100.7_email_alert", []byte("x")) || d.Holds("missing", nil) {
		t.Error("Holds is wrong about the empty file or a missing one")
	}

	// A symbolic link in the file's place is replaced; what it points
	// at is not written.
	outside := filepath.Join(t.TempDir(), "outside")
	os.WriteFile(outside, []byte("keep\n"), 0o644)
	link := filepath.Join(dir, "danger_level")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	if d.Holds("danger_level", []byte("keep\n")) {
		t.Error("Holds followed a symbolic link")
	}
	if err := d.Replace("danger_level", []byte("3\n")); err != nil {
		t.Fatal(err)
	}
	mustHold(t, link, "3\n")
	if b, _ := os.ReadFile(outside); string(b) != "keep\n" {
		t.Errorf("the link's target was written: %q", b)
	}

	// A directory in the file's place is an error.
	os.Mkdir(filepath.Join(dir, "p0f_guess"), 0o700)
	if err := d.Replace("p0f_guess", []byte("Linux\n")); err == nil {
		t.Error("Replace over a directory did not fail")
	}
	if err := d.Replace(SpareName, []byte("x")); err == nil {
		t.Error("Replace of the spare's own name did not fail")
	}
}

// TestSourceDirSpareNotTrusted: a spare that is a symbolic link, has a
// second name, or is a directory is made again, and nothing outside it
// is written.
func TestSourceDirSpareNotTrusted(t *testing.T) {
	d, dir := openDir(t)
	spare := filepath.Join(dir, SpareName)
	outside := filepath.Join(t.TempDir(), "outside")
	for _, tt := range []struct {
		name  string
		plant func()
	}{
		{"symbolic link", func() { os.WriteFile(outside, []byte("keep\n"), 0o600); os.Symlink(outside, spare) }},
		{"hard link", func() { os.WriteFile(outside, []byte("keep\n"), 0o600); os.Link(outside, spare) }},
		{"directory", func() { os.Mkdir(spare, 0o700) }},
		{"mode 0644", func() { os.WriteFile(spare, []byte("old"), 0o644) }},
	} {
		os.Remove(spare)
		os.Remove(outside)
		tt.plant()
		if err := d.Replace("f", []byte(tt.name+"\n")); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		mustHold(t, filepath.Join(dir, "f"), tt.name+"\n")
		if b, err := os.ReadFile(outside); err == nil && string(b) != "keep\n" {
			t.Errorf("%s: a file outside the spare was written: %q", tt.name, b)
		}
	}
}

// TestSourceDirAtomic: a reader of a file that is being replaced over
// and over sees one whole version or the other, never a mix or a
// missing file.
func TestSourceDirAtomic(t *testing.T) {
	d, dir := openDir(t)
	a := bytes.Repeat([]byte("a"), 700)
	b := bytes.Repeat([]byte("b"), 300)
	if err := d.Replace("f", a); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var bad atomic.Value
	reads := 0
	wg.Go(func() {
		for !stop.Load() {
			got, err := os.ReadFile(filepath.Join(dir, "f"))
			if err != nil || !bytes.Equal(got, a) && !bytes.Equal(got, b) {
				bad.Store(fmt.Sprintf("%q %v", got, err))
				return
			}
			reads++
		}
	})
	for i := range 20000 {
		data := a
		if i%2 == 0 {
			data = b
		}
		if err := d.Replace("f", data); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if v := bad.Load(); v != nil {
		t.Fatalf("a reader saw %s", v)
	}
	t.Logf("%d reads during 20,000 replacements", reads)
}
