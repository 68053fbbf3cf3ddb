// Package netnstest is what the real-kernel tests share: the opt-in check
// and a way to run code inside a network namespace the test made. The
// tests that change firewalls work only in namespaces of their own, and
// only when PSAD_NETNS_TESTS=1 asks for them (.ci/run does).
package netnstest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Env is the variable that turns the real-kernel tests on.
const Env = "PSAD_NETNS_TESTS"

// Require skips t unless the real-kernel tests are asked for, the test
// runs as root, and every program in progs is installed.
func Require(t testing.TB, progs ...string) {
	t.Helper()
	if os.Getenv(Env) != "1" {
		t.Skipf("real-kernel test: set %s=1 and run as root (it works in its own network namespaces only)", Env)
	}
	if os.Geteuid() != 0 {
		t.Skip("real-kernel test: needs root to create network namespaces")
	}
	for _, p := range progs {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("real-kernel test: %s not installed", p)
		}
	}
}

// Do runs fn on an OS thread switched into namespace ns (a name under
// /run/netns). The thread is never unlocked, so it ends with its
// goroutine and nothing else ever runs in the namespace; sockets fn
// creates stay in it.
func Do(t testing.TB, ns string, fn func()) {
	t.Helper()
	done := make(chan error)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open("/run/netns/" + ns)
		if err != nil {
			done <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- fmt.Errorf("setns %q: %w", ns, err)
			return
		}
		fn()
		done <- nil
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// IptablesFlavour points iptables, ip6tables and their -restore programs
// in dir at the given flavour's ("nft" or "legacy"), as
// update-alternatives does with /usr/sbin's links, so that a test can
// switch the flavour under a running backend without touching the
// system's own links.
func IptablesFlavour(t testing.TB, dir, flavour string) {
	t.Helper()
	for _, p := range []string{"iptables", "ip6tables", "iptables-restore", "ip6tables-restore"} {
		target, err := exec.LookPath(strings.Replace(p, "tables", "tables-"+flavour, 1))
		if err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, p)
		if err := os.Remove(link); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
}
