package psaddir

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// ListenUnix listens on a unix stream socket at path that is private
// (mode 0600) from the moment path exists, replacing a stale socket left by
// a killed daemon; the pid lock, taken first, guarantees that no live
// daemon owns it.
//
// bind(2) creates the socket file with the process umask, so binding at
// path and then calling chmod leaves a window in which another local user
// may connect to the control socket. Changing the umask around bind is no
// fix in Go: the umask is per process and other goroutines create files
// at the same time. Instead the socket is bound inside a fresh directory
// that is 0700 from its creation (mkdir applies the umask, which can only
// remove bits), set to 0600 there, and renamed onto path. rename(2) is
// atomic and replaces a stale socket in the same step, so path never
// names a socket with wider permissions and there is no moment when a
// client finds nothing to connect to because of the replacement.
//
// The temporary name is about 20 bytes longer than path, so path must be
// that much shorter than the kernel's 108-byte limit for socket names.
// A path that exists and is not a socket is an error, never replaced.
// Close on the returned listener removes path, unless it has been
// replaced by another socket meanwhile.
func ListenUnix(path string) (net.Listener, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, pathError("create", dir, "PSAD_RUN_DIR", err)
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode().Type() != os.ModeSocket {
		return nil, fmt.Errorf("control socket %s: exists and is not a socket (%v)", path, fi.Mode().Type())
	}
	tmpDir, err := os.MkdirTemp(dir, ".sock")
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, "s")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	// The socket file moves away from the name the listener knows.
	l.SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		l.Close()
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	return &unixListener{UnixListener: l, path: path, fi: fi}, nil
}

// unixListener is a [net.UnixListener] whose socket file was renamed to
// path after binding.
type unixListener struct {
	*net.UnixListener
	path string
	fi   os.FileInfo // the socket file as created, to recognise it at Close
}

// Addr returns path, not the temporary name the socket was bound at.
func (l *unixListener) Addr() net.Addr { return &net.UnixAddr{Name: l.path, Net: "unix"} }

// Close stops listening and removes the socket file if it is still the
// one this listener created.
func (l *unixListener) Close() error {
	err := l.UnixListener.Close()
	if fi, serr := os.Lstat(l.path); serr == nil && os.SameFile(fi, l.fi) {
		if rerr := os.Remove(l.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
			err = fmt.Errorf("control socket: %w", rerr)
		}
	}
	return err
}
