package psaddir

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
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

// namedPsad copies the program prog into dir under the name psad, the
// name the pid-file checks look for, and returns its path.
func namedPsad(t *testing.T, dir, prog string) string {
	t.Helper()
	path, err := exec.LookPath(prog)
	if err != nil {
		t.Skipf("no %s(1) to run under the name psad", prog)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fake := filepath.Join(dir, "psad")
	if err := os.WriteFile(fake, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return fake
}

// TestAcquireRefusesPsad246: psad 2.4.6 writes its pid file without a
// lock; a live psad process recorded there is not taken over, and
// Running reports it. A process named psad stands in for it: a copy of
// sleep(1) renamed.
func TestAcquireRefusesPsad246(t *testing.T) {
	dir := t.TempDir()
	fake := namedPsad(t, dir, "sleep")
	cmd := exec.Command(fake, "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Start returns after fork; until execve the child still shows this
	// test binary's command line, and nothing signals the exec.
	for deadline := time.Now().Add(5 * time.Second); ; {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", cmd.Process.Pid))
		if strings.HasPrefix(string(b), fake) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stand-in never ran: cmdline %q", b)
		}
		time.Sleep(time.Millisecond)
	}
	path := filepath.Join(dir, "psad.pid")
	if err := os.WriteFile(path, []byte(fmt.Sprintf("%d\n", cmd.Process.Pid)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(path); !errors.Is(err, ErrRunning) || !strings.Contains(err.Error(), "psad 2.4.6") {
		t.Fatalf("Acquire beside psad 2.4.6: %v", err)
	}
	if pid, err := Running(path); err != nil || pid != cmd.Process.Pid {
		t.Fatalf("Running = %d, %v; want %d", pid, err, cmd.Process.Pid)
	}
	if pid, psad246, err := Daemon(path); err != nil || pid != cmd.Process.Pid || !strings.HasPrefix(psad246, fake+" 60") {
		t.Fatalf("Daemon = %d, %q, %v; want %d and its command line", pid, psad246, err, cmd.Process.Pid)
	}
	// A stale pid of a process that is not psad is ours to replace.
	cmd.Process.Kill()
	cmd.Wait()
	p, err := Acquire(path)
	if err != nil {
		t.Fatalf("Acquire over a dead psad's pid file: %v", err)
	}
	p.Release()
}

// TestDaemonNamedPsadHoldingTheLock: psad-go is installed as psad too; a
// process named psad that holds the lock is psad-go's daemon, not psad
// 2.4.6 (psad -S once said it was). flock(1), renamed psad, holds the lock
// as a daemon of ours would.
func TestDaemonNamedPsadHoldingTheLock(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep(1) for flock(1) to run")
	}
	dir := t.TempDir()
	fake := namedPsad(t, dir, "flock")
	path := filepath.Join(dir, "psad.pid")
	cmd := exec.Command(fake, path, sleep, "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Ready when the lock is taken (flock(1) takes it before running sleep).
	for deadline := time.Now().Add(5 * time.Second); ; {
		if f, err := os.Open(path); err == nil {
			err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the stand-in never took the lock")
		}
		time.Sleep(time.Millisecond)
	}
	if err := os.WriteFile(path, []byte(fmt.Sprintf("%d\n", cmd.Process.Pid)), 0o600); err != nil {
		t.Fatal(err)
	}
	if pid, psad246, err := Daemon(path); err != nil || pid != cmd.Process.Pid || psad246 != "" {
		t.Errorf("Daemon = %d, %q, %v; want %d and no psad 2.4.6", pid, psad246, err, cmd.Process.Pid)
	}
	if _, err := Acquire(path); !errors.Is(err, ErrRunning) || strings.Contains(err.Error(), "psad 2.4.6") {
		t.Errorf("Acquire beside a daemon of ours: %v", err)
	}
}
