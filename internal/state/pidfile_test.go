package state

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
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
