package psaddir

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestListenUnixPrivate creates the socket under umask 0, where a plain
// bind would make it 0777, and checks it is 0600 as soon as ListenUnix
// returns, inside a 0700 directory it created, reachable, and alone in
// that directory (the temporary directory is gone).
func TestListenUnixPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	path := filepath.Join(dir, "psad.sock")
	old := syscall.Umask(0) // process-wide: this test is not parallel
	l, err := ListenUnix(path)
	syscall.Umask(old)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode = %v, want socket 0600", fi.Mode())
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o700 {
		t.Errorf("directory mode = %v, want 0700", di.Mode().Perm())
	}
	assertOnly(t, dir, "psad.sock")
	if a := l.Addr().String(); a != path {
		t.Errorf("Addr = %q, want %q", a, path)
	}
	roundTrip(t, l, path)

	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("Close left the socket (lstat: %v)", err)
	}
}

// TestListenUnixStale replaces the socket of a killed daemon (a socket
// file nobody listens on), and refuses to replace a file that is not a
// socket.
func TestListenUnixStale(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "psad.sock")
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()

	l, err := ListenUnix(path)
	if err != nil {
		t.Fatalf("over a stale socket: %v", err)
	}
	roundTrip(t, l, path)
	l.Close()

	regular := filepath.Join(dir, "not-a-socket")
	if err := os.WriteFile(regular, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if l, err := ListenUnix(regular); err == nil {
		l.Close()
		t.Fatal("ListenUnix replaced a regular file")
	} else if !strings.Contains(err.Error(), regular) {
		t.Errorf("error %q does not name %s", err, regular)
	}
	if data, _ := os.ReadFile(regular); string(data) != "keep me" {
		t.Errorf("regular file now holds %q", data)
	}
}

// TestListenUnixCloseKeepsSuccessor: a listener closed after another one
// took over path does not remove its successor's socket.
func TestListenUnixCloseKeepsSuccessor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "psad.sock")
	first, err := ListenUnix(path)
	if err != nil {
		t.Fatal(err)
	}
	second, err := ListenUnix(path)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	first.Close()
	roundTrip(t, second, path)
}

// roundTrip connects to path and checks l accepts that connection.
func roundTrip(t *testing.T, l net.Listener, path string) {
	t.Helper()
	done := make(chan string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			done <- "accept: " + err.Error()
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		done <- string(b)
	}()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "ping")
	c.Close()
	if got := <-done; got != "ping" {
		t.Errorf("server read %q, want ping", got)
	}
}
