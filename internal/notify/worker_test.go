package notify

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestWriteFilesSkipsSameContent: a steady file that already holds
// what an alert writes is left alone (the same inode, no temporary
// file), and any difference (content, length, mode, a link in its
// place) rewrites it; other files are always written.
func TestWriteFilesSkipsSameContent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "192.0.2.1")
	n := &Notifier{}
	write := func(name, data string) {
		t.Helper()
		if done, failed := n.writeFiles(dir, []file{{name: name, data: []byte(data), steady: !strings.HasSuffix(name, "_packet_ctr")}}, true); done != 1 || failed != 0 {
			t.Fatalf("writeFiles(%s) = %d done, %d failed", name, done, failed)
		}
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != data {
			t.Fatalf("%s holds %q, %v; want %q", name, b, err, data)
		}
	}
	inode := func(name string) uint64 {
		t.Helper()
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	path := filepath.Join(dir, "198.51.100.7_start_time")
	write("198.51.100.7_start_time", "1700000000\n")
	first := inode("198.51.100.7_start_time")
	write("198.51.100.7_start_time", "1700000000\n")
	if inode("198.51.100.7_start_time") != first {
		t.Error("the same content was written again")
	}
	for _, tt := range []struct {
		name    string
		prepare func()
		data    string
	}{
		{"other content", func() {}, "1700000001\n"},
		{"longer", func() {}, "1700000001\n\n"},
		{"shorter", func() {}, "1700000001\n"[:5]},
		{"mode", func() { os.Chmod(path, 0o644) }, "17000"},
		{"symbolic link", func() {
			target := filepath.Join(t.TempDir(), "elsewhere")
			os.WriteFile(target, []byte("link\n"), 0o600)
			os.Remove(path)
			os.Symlink(target, path)
		}, "link\n"},
	} {
		tt.prepare()
		before := inode("198.51.100.7_start_time")
		write("198.51.100.7_start_time", tt.data)
		if inode("198.51.100.7_start_time") == before {
			t.Errorf("%s: the file was not rewritten", tt.name)
		}
		if fi, err := os.Lstat(path); err != nil || fi.Mode() != 0o600 {
			t.Errorf("%s: mode %v, %v after the write", tt.name, fi.Mode(), err)
		}
	}
	write("198.51.100.7_packet_ctr", "INPUT_eth0_tcp:  1\n")
	ctr := inode("198.51.100.7_packet_ctr")
	write("198.51.100.7_packet_ctr", "INPUT_eth0_tcp:  1\n")
	if inode("198.51.100.7_packet_ctr") == ctr {
		t.Error("a file that is not steady was not written")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(m) != 0 {
		t.Errorf("temporary files left: %q", m)
	}
}
