package psaddir

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestPidFileSingleInstance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run", "psad.pid")
	p, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if string(data) != strconv.Itoa(os.Getpid())+"\n" {
		t.Errorf("pid file holds %q", data)
	}
	if _, err := Acquire(path); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Acquire: %v, want ErrRunning", err)
	}
	if pid, err := Running(path); err != nil || pid != os.Getpid() {
		t.Errorf("Running = %d, %v", pid, err)
	}
	if err := p.Release(); err != nil {
		t.Fatal(err)
	}
	if pid, _ := Running(path); pid != 0 {
		t.Errorf("Running after release = %d", pid)
	}
	// A stale, unlocked file (a killed daemon) does not block a new start.
	os.WriteFile(path, []byte("999999\n"), 0o600)
	if pid, _ := Running(path); pid != 0 {
		t.Errorf("stale file reported running pid %d", pid)
	}
	p, err = Acquire(path)
	if err != nil {
		t.Fatalf("Acquire over a stale file: %v", err)
	}
	p.Release()
}

// TestAcquireReportsFailedWrite makes the pid write really fail: with the
// file-size limit at one byte the kernel accepts the first byte of "<pid>\n"
// and refuses the rest with EFBIG. Acquire must report that instead of
// returning a held lock over a pid file with a truncated pid.
func TestAcquireReportsFailedWrite(t *testing.T) {
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "psad.pid")
	// The limit is process-wide: this test is not parallel and restores it
	// before doing anything else that writes files. The Go runtime catches
	// SIGXFSZ, so exceeding the limit yields EFBIG rather than a core dump.
	limit := syscall.Rlimit{Cur: 1, Max: old.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
		t.Fatal(err)
	}
	p, err := Acquire(path)
	if rerr := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); rerr != nil {
		t.Fatal(rerr)
	}
	if err == nil {
		p.Release()
		t.Fatal("Acquire succeeded with a pid file it could not write")
	}
	if !errors.Is(err, syscall.EFBIG) || !strings.Contains(err.Error(), path) {
		t.Errorf("Acquire error = %v, want EFBIG naming %s", err, path)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed Acquire left the pid file behind (stat: %v)", err)
	}
	// The lock was dropped with the file: a retry succeeds.
	p, err = Acquire(path)
	if err != nil {
		t.Fatalf("Acquire after the failure: %v", err)
	}
	p.Release()
}
