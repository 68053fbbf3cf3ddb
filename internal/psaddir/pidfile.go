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
	// psad 2.4.6 takes no lock: its pid file is only a number. A live
	// process by that number that is psad must not be taken over.
	if pid, cmd := Foreign(path); pid != 0 {
		f.Close()
		return nil, fmt.Errorf("%w: psad 2.4.6 (pid %d, %s) holds %s; stop it first (systemctl stop psad, or psad -K with the old psad)",
			ErrRunning, pid, cmd, path)
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
	pid, _, err := Daemon(path)
	return pid, err
}

// Daemon returns the pid of the daemon path records, or 0 when none runs,
// and, when that daemon is psad 2.4.6, its command line. Only the lock
// tells the two apart: psad-go's binary is named psad too, and it holds
// the lock, which psad 2.4.6 never takes.
func Daemon(path string) (pid int, psad246 string, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("pid file: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		pid, cmd := Foreign(path)
		return pid, cmd, nil
	}
	pid, err = ReadPid(path)
	return pid, "", err
}

// Foreign returns the pid and command line of a live process that is not
// this one, whose pid path records and which is a psad, or 0 and "". Call
// it only when nothing holds path's lock: then that psad is psad 2.4.6,
// which writes its pid file without a lock.
func Foreign(path string) (int, string) {
	pid, err := ReadPid(path)
	if err != nil || pid == os.Getpid() {
		return 0, ""
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return 0, ""
	}
	cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return 0, ""
	}
	args := strings.Split(strings.TrimRight(string(cmd), "\x00"), "\x00")
	for _, a := range args[:min(len(args), 3)] {
		// perl /usr/sbin/psad, or psad itself.
		if filepath.Base(a) == "psad" {
			return pid, strings.Join(args, " ")
		}
	}
	return 0, ""
}
