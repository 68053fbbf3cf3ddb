package psaddir

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestDirErrorNotADirectory: a directory that cannot be created because
// a regular file is in the way is named, without Go's operation words
// and without the root hint (root would not help).
func TestDirErrorNotADirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Acquire(filepath.Join(file, "run", "psad.pid"))
	want := "cannot create " + file + ": not a directory"
	if err == nil || err.Error() != want {
		t.Errorf("Acquire: %v, want %q", err, want)
	}
	_, err = OpenStore(filepath.Join(file, "fifo", "psad_state.db"))
	if err == nil || err.Error() != want {
		t.Errorf("OpenStore: %v, want %q", err, want)
	}
}

// TestDirErrorPermission runs Acquire and OpenStore as an unprivileged
// user in a child process (root ignores directory modes, and tests run
// as root) under a 0500 directory, and checks the messages say which
// directory could not be created and that the daemon needs root.
func TestDirErrorPermission(t *testing.T) {
	if dir := os.Getenv("PSADDIR_UNPRIV_DIR"); dir != "" {
		_, err := Acquire(filepath.Join(dir, "run", "psad.pid"))
		fmt.Println(err)
		_, err = OpenStore(filepath.Join(dir, "fifo", "psad_state.db"))
		fmt.Println(err)
		os.Exit(0)
	}
	if os.Getuid() != 0 {
		t.Skip("needs root to start a child as another user")
	}
	base, err := os.MkdirTemp("", "psaddir-perm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	ro := filepath.Join(base, "ro")
	if err := os.Mkdir(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	// The child (uid 65534) must reach ro, and itself run.
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(ro, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	// The build directory is private to root: run a copy from base.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(base, "psaddir.test")
	if err := os.WriteFile(exe, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestDirErrorPermission$")
	cmd.Env = append(os.Environ(), "PSADDIR_UNPRIV_DIR="+ro)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("cannot run the test binary as uid 65534 (%v); %s", err, out)
	}
	want := "cannot create " + filepath.Join(ro, "run") + ": permission denied (the daemon needs root, or set PSAD_RUN_DIR to a directory it may write)\n" +
		"cannot create " + filepath.Join(ro, "fifo") + ": permission denied (the daemon needs root, or set PSAD_FIFO_DIR to a directory it may write)\n"
	if got := string(out); !strings.HasPrefix(got, want) {
		t.Errorf("as uid 65534:\n got %q\nwant %q", got, want)
	}
}
