package psaddir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ErrRunning is returned by Acquire when another live daemon holds the
// pid file.
var ErrRunning = errors.New("another psad process is already running")

// PidFile is a held pid file. The lock (flock) is taken before anything
// else happens at start-up, unlike psad, which truncated its counters and
// removed the running daemon's socket before noticing the other process.
type PidFile struct {
	path string
	f    *os.File
}

// Acquire creates and locks path and writes this process's pid into it
// ("<pid>\n", mode 0600, as psad).
func Acquire(path string) (*PidFile, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, pathError("create", filepath.Dir(path), "PSAD_RUN_DIR", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, pathError("create pid file", path, "PSAD_RUN_DIR", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid, _ := ReadPid(path)
			return nil, fmt.Errorf("%w (pid %d, %s)", ErrRunning, pid, path)
		}
		return nil, fmt.Errorf("pid file %s: lock: %w", path, err)
	}
	// Truncate then write, each checked: a pid file that silently stayed
	// empty or kept a dead daemon's pid would make -K and -S signal or
	// report the wrong process.
	if err := writePid(f); err != nil {
		// Still holding the lock, so the half-written file is ours to
		// remove; left behind it would only confuse ReadPid.
		os.Remove(path)
		f.Close()
		return nil, fmt.Errorf("pid file %s: %w", path, err)
	}
	return &PidFile{path: path, f: f}, nil
}

// writePid replaces f's content with "<pid>\n".
func writePid(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return fmt.Errorf("truncate: %w", err)
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// Release removes the pid file and drops the lock.
func (p *PidFile) Release() error {
	err := os.Remove(p.path)
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadPid returns the pid recorded in path.
func ReadPid(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("pid file %s: bad content %q", path, strings.TrimSpace(string(data)))
	}
	return pid, nil
}

// Running returns the pid of the daemon holding path's lock, or 0 when no
// daemon runs (a stale file left by a killed daemon is not locked).
func Running(path string) (int, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("pid file: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return 0, nil
	}
	return ReadPid(path)
}
