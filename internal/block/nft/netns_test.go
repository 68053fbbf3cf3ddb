package nft

import (
	"context"
	"fmt"
	"github.com/psadgo/psad/internal/netnstest"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The tests in this file run against the real kernel, only inside network
// namespaces they create, and only when PSAD_NETNS_TESTS=1 as root.

var nsSeq atomic.Int64

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// netns is one namespace the test made; fd stays open for the backend.
type netns struct {
	name string
	fd   int
}

func newNetns(t *testing.T, role string) *netns {
	t.Helper()
	name := fmt.Sprintf("psadnft-%d-%d-%s", os.Getpid(), nsSeq.Add(1), role)
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	fd, err := unix.Open("/run/netns/"+name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open netns %q: %v", name, err)
	}
	t.Cleanup(func() { _ = unix.Close(fd) })
	run(t, "ip", "-n", name, "link", "set", "lo", "up")
	return &netns{name: name, fd: fd}
}

// do runs f on a thread switched into ns, switching back before the
// thread is released; if switching back fails the thread is left locked,
// so the runtime discards it rather than reuse it in the wrong namespace.
func (ns *netns) do(t *testing.T, f func()) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			done <- err
			return
		}
		defer unix.Close(orig)
		if err := unix.Setns(ns.fd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			done <- err
			return
		}
		f()
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			done <- err
			return
		}
		runtime.UnlockOSThread()
		done <- nil
	}()
	if err := <-done; err != nil {
		t.Fatalf("in netns %q: %v", ns.name, err)
	}
}

// lab is the test network: fw (running the backend and a TCP listener),
// attacker and bystander, each on its own veth link to fw.
type lab struct {
	fw, attacker, bystander *netns
	port                    string
}

const (
	fwA4, atk4 = "10.201.1.1", "10.201.1.2"
	fwB4, by4  = "10.201.2.1", "10.201.2.2"
	fwA6, atk6 = "fd00:201:1::1", "fd00:201:1::2"
	fwB6, by6  = "fd00:201:2::1", "fd00:201:2::2"
)

func newLab(t *testing.T) *lab {
	t.Helper()
	netnstest.Require(t, "ip")
	l := &lab{fw: newNetns(t, "fw"), attacker: newNetns(t, "atk"), bystander: newNetns(t, "by")}
	link := func(fwIf, peerIf string, peer *netns, fw4, p4, fw6, p6 string) {
		run(t, "ip", "-n", l.fw.name, "link", "add", fwIf, "type", "veth", "peer", "name", peerIf, "netns", peer.name)
		run(t, "ip", "-n", l.fw.name, "addr", "add", fw4+"/24", "dev", fwIf)
		run(t, "ip", "-n", l.fw.name, "addr", "add", fw6+"/64", "dev", fwIf, "nodad")
		run(t, "ip", "-n", peer.name, "addr", "add", p4+"/24", "dev", peerIf)
		run(t, "ip", "-n", peer.name, "addr", "add", p6+"/64", "dev", peerIf, "nodad")
		run(t, "ip", "-n", l.fw.name, "link", "set", fwIf, "up")
		run(t, "ip", "-n", peer.name, "link", "set", peerIf, "up")
	}
	link("va", "vb", l.attacker, fwA4, atk4, fwA6, atk6)
	link("vc", "vd", l.bystander, fwB4, by4, fwB6, by6)

	var ln net.Listener
	var err error
	l.fw.do(t, func() { ln, err = net.Listen("tcp", "[::]:0") })
	if err != nil {
		t.Fatalf("listen in fw: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, l.port, _ = net.SplitHostPort(ln.Addr().String())
	return l
}

// dial connects from ns to addr on the lab's port; a dropped SYN shows as
// a timeout, so blocked dials use a short one.
func (l *lab) dial(t *testing.T, from *netns, addr string, timeout time.Duration) error {
	t.Helper()
	var err error
	from.do(t, func() {
		var c net.Conn
		c, err = net.DialTimeout("tcp", net.JoinHostPort(addr, l.port), timeout)
		if err == nil {
			c.Close()
		}
	})
	return err
}

func (l *lab) mustConnect(t *testing.T, from *netns, addr string) {
	t.Helper()
	if err := l.dial(t, from, addr, 5*time.Second); err != nil {
		t.Fatalf("connect from %s to %s: %v, want success", from.name, addr, err)
	}
}

func (l *lab) mustBeBlocked(t *testing.T, from *netns, addr string) {
	t.Helper()
	err := l.dial(t, from, addr, 300*time.Millisecond)
	if err == nil {
		t.Fatalf("connect from %s to %s succeeded, want it dropped", from.name, addr)
	}
	var ne net.Error
	if !errorsAs(err, &ne) || !ne.Timeout() {
		t.Fatalf("connect from %s to %s: %v, want a timeout (dropped SYN)", from.name, addr, err)
	}
}

func (l *lab) backend(t *testing.T, cfg Config) *Backend {
	t.Helper()
	cfg.NetNS = l.fw.fd
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	return b
}

func (l *lab) ruleset(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft binary not installed: cannot compare the listing")
	}
	return run(t, "ip", "netns", "exec", l.fw.name, "nft", "list", "ruleset")
}
