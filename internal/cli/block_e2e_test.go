package cli

import (
	"context"
	"fmt"
	"github.com/psadgo/psad/internal/netnstest"
	"github.com/psadgo/psad/internal/respond"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/block"
	"github.com/psadgo/psad/internal/block/ipt"
	"github.com/psadgo/psad/internal/block/nft"
	"github.com/psadgo/psad/internal/config"
)

// TestNmapScanBlockedEndToEnd: a real nmap SYN scan from the attacker
// namespace, logged by the firewall namespace's kernel, read by the
// daemon from /dev/kmsg, reaches AUTO_IDS_DANGER_LEVEL 3 and is blocked
// in the firewall namespace; the attacker can no longer reach an open
// port there while a bystander can; --fw-list-auto names the attacker and
// --fw-rm-block-ip lets it back in. For psad's iptables layout and for
// nftables.
func TestNmapScanBlockedEndToEnd(t *testing.T) {
	lab := newScanLab(t)
	const port = 8080
	byst, bystAddr, fwBystAddr := lab.addBystander(t)
	// The open port: accepted before the lab's log-and-drop rules.
	cmd(t, "ip", "netns", "exec", lab.fw, "iptables", "-w", "-I", "INPUT", "1", "-p", "tcp", "--dport", fmt.Sprint(port), "-j", "ACCEPT")
	var ln net.Listener
	var err error
	netnstest.Do(t, lab.fw, func() { ln, err = net.Listen("tcp", fmt.Sprintf(":%d", port)) })
	must(t, err)
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

	// Rules that are not ours, which nothing may touch.
	cmd(t, "ip", "netns", "exec", lab.fw, "iptables", "-w", "-A", "INPUT", "-s", "10.99.99.99", "-j", "DROP")
	cmd(t, "ip", "netns", "exec", lab.fw, "nft", "add table inet foreign; add set inet foreign s { type ipv4_addr; }; add element inet foreign s { 10.99.99.98 }")
	foreign := func(t *testing.T) {
		t.Helper()
		out, _ := exec.Command("ip", "netns", "exec", lab.fw, "iptables-save").CombinedOutput()
		nout, _ := exec.Command("ip", "netns", "exec", lab.fw, "nft", "list", "table", "inet", "foreign").CombinedOutput()
		if !strings.Contains(string(out), "-A INPUT -s 10.99.99.99/32 -j DROP") || !strings.Contains(string(nout), "10.99.99.98") {
			t.Errorf("a foreign rule was touched:\n%s\n%s", out, nout)
		}
	}

	for _, tc := range []struct {
		name    string
		setting string
		backend func(t *testing.T, set *config.Settings) block.Backend
		// drift removes the block by hand, as an admin or a firewall
		// reload would.
		drift [][]string
		// reload removes what the block rules need to take effect (the
		// jump rule, our table), as a firewall reload does; restored
		// says whether it is back.
		reload   [][]string
		restored func(t *testing.T, b block.Backend) bool
	}{
		{"iptables", "IPTABLES_BLOCK_METHOD", func(t *testing.T, set *config.Settings) block.Backend {
			b, err := ipt.New(ipt.Config{Chains: set.Block.Chains, Prefix: []string{"ip", "netns", "exec", lab.fw}})
			must(t, err)
			return b
		}, [][]string{{"iptables", "-w", "-F", "PSAD_BLOCK_INPUT"}, {"iptables", "-w", "-F", "PSAD_BLOCK_OUTPUT"},
			{"iptables", "-w", "-F", "PSAD_BLOCK_FORWARD"}},
			[][]string{{"iptables", "-w", "-D", "INPUT", "-j", "PSAD_BLOCK_INPUT"}},
			func(t *testing.T, _ block.Backend) bool {
				return exec.Command("ip", "netns", "exec", lab.fw, "iptables", "-w", "-C", "INPUT", "-j", "PSAD_BLOCK_INPUT").Run() == nil
			}},
		{"nftables", "NFTABLES_BLOCK_METHOD", func(t *testing.T, set *config.Settings) block.Backend {
			f, err := os.Open("/run/netns/" + lab.fw)
			must(t, err)
			t.Cleanup(func() { f.Close() })
			b, err := nft.New(nft.Config{NetNS: int(f.Fd())})
			must(t, err)
			return b
		}, [][]string{{"nft", "flush", "set", "inet", "psad", "block4"}},
			[][]string{{"nft", "delete", "table", "inet", "psad"}},
			func(t *testing.T, b block.Backend) bool { return blocked(t, b, lab.attAddr) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var backend block.Backend
			old := respond.Backends
			respond.Backends = func(set *config.Settings) ([]block.Backend, error) {
				backend = tc.backend(t, set)
				return []block.Backend{backend}, nil
			}
			t.Cleanup(func() { respond.Backends = old })
			e := newTestEnv(t, map[string]string{
				"ENABLE_KMSG_READ": "Y", "CHECK_INTERVAL": "5", "ALERTING_METHODS": "noemail,nosyslog",
				"ENABLE_AUTO_IDS": "Y", "AUTO_IDS_DANGER_LEVEL": "3", "IPTABLES_BLOCK_METHOD": "N", tc.setting: "Y",
				"AUTO_BLOCK_RECONCILE_INTERVAL": "2",
			}, "")
			// Registered first, so it runs after the daemon has stopped.
			t.Cleanup(func() {
				if backend != nil {
					backend.Teardown(context.Background())
				}
			})
			startDaemon(t, e.conf, Env{})
			if !lab.connects(t, lab.att, lab.fwAddr, port) {
				t.Fatal("the attacker cannot connect before any scan")
			}

			start := time.Now()
			lab.nmap(t, "-sS", "1-200")
			scanned := time.Now()
			deadline := scanned.Add(10 * time.Second)
			for !blocked(t, backend, lab.attAddr) {
				if time.Now().After(deadline) {
					st, _, _ := e.run(t, "-S")
					t.Fatalf("attacker not blocked 10 s after the scan:\n%s", st)
				}
				time.Sleep(10 * time.Millisecond) // the kernel has no event for a new rule
			}
			t.Logf("%s: blocked %v after nmap finished (the scan took %v); psad 2.4.6 waits for its CHECK_INTERVAL",
				tc.name, time.Since(scanned).Round(time.Millisecond), scanned.Sub(start).Round(time.Millisecond))
			if lab.connects(t, lab.att, lab.fwAddr, port) {
				t.Error("the blocked attacker still connects to the open port")
			}
			if !lab.connects(t, byst, fwBystAddr, port) {
				t.Errorf("the bystander %s cannot connect", bystAddr)
			}
			// Drift: the block removed by hand is back within one
			// reconcile period (2 s here).
			for _, c := range tc.drift {
				cmd(t, append([]string{"ip", "netns", "exec", lab.fw}, c...)...)
			}
			if blocked(t, backend, lab.attAddr) {
				t.Fatal("the hand removal did not remove the block")
			}
			removed := time.Now()
			for !blocked(t, backend, lab.attAddr) {
				if time.Since(removed) > 5*time.Second {
					t.Fatal("a block removed by hand was not restored within 5 s (reconcile every 2 s)")
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Logf("%s: block removed by hand restored after %v", tc.name, time.Since(removed).Round(time.Millisecond))
			if st, _, _ := e.run(t, "-S"); !strings.Contains(st, "Drift repaired: 1,") {
				t.Errorf("-S does not count the repair:\n%s", st)
			}
			// A firewall reload that drops the jump rule or our table:
			// the block is back in effect within one reconcile period
			// (IPTABLES_PREREQ_CHECK 1, the default).
			for _, c := range tc.reload {
				cmd(t, append([]string{"ip", "netns", "exec", lab.fw}, c...)...)
			}
			if tc.restored(t, backend) {
				t.Fatal("the reload did not remove what the block needs")
			}
			reloaded := time.Now()
			for !tc.restored(t, backend) {
				if time.Since(reloaded) > 5*time.Second {
					t.Fatal("what the block needs was not restored within 5 s of the reload (reconcile every 2 s)")
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Logf("%s: restored %v after the reload", tc.name, time.Since(reloaded).Round(time.Millisecond))
			if lab.connects(t, lab.att, lab.fwAddr, port) {
				t.Error("the blocked attacker connects after the firewall reload was repaired")
			}
			foreign(t)
			out, _, code := e.run(t, "--fw-list-auto")
			if code != 0 || !strings.Contains(out, lab.attAddr+"/32") {
				t.Errorf("--fw-list-auto (exit %d):\n%s", code, out)
			}
			if st, _, _ := e.run(t, "-S"); !strings.Contains(st, lab.attAddr+"/32  DL: 3") {
				t.Errorf("-S does not list the block:\n%s", st)
			}
			if out, errOut, code := e.run(t, "--fw-rm-block-ip", lab.attAddr); code != 0 {
				t.Fatalf("--fw-rm-block-ip: exit %d %s%s", code, out, errOut)
			}
			if blocked(t, backend, lab.attAddr) || !lab.connects(t, lab.att, lab.fwAddr, port) {
				t.Error("the attacker is still blocked after --fw-rm-block-ip")
			}
			foreign(t)
		})
	}
}

// blocked reports whether the backend holds addr.
func blocked(t *testing.T, b block.Backend, addr string) bool {
	t.Helper()
	entries, err := b.List(t.Context())
	if err != nil {
		return false // chains not there yet
	}
	for _, e := range entries {
		if e.Prefix.Addr().String() == addr {
			return true
		}
	}
	return false
}

// addBystander adds a third namespace on its own link to the firewall.
func (lab *scanLab) addBystander(t *testing.T) (ns, addr, fwAddr string) {
	t.Helper()
	ns = fmt.Sprintf("psadtest-bys-%d", os.Getpid())
	exec := func(args ...string) { cmd(t, args...) }
	exec("ip", "netns", "add", ns)
	t.Cleanup(func() { cmd(t, "ip", "netns", "del", ns) })
	x := os.Getpid()%250 + 1
	addr, fwAddr = fmt.Sprintf("10.214.%d.1", x), fmt.Sprintf("10.214.%d.2", x)
	exec("ip", "link", "add", "psadbys0", "netns", ns, "type", "veth", "peer", "name", "psadfwb0", "netns", lab.fw)
	exec("ip", "-n", ns, "addr", "add", addr+"/30", "dev", "psadbys0")
	exec("ip", "-n", lab.fw, "addr", "add", fwAddr+"/30", "dev", "psadfwb0")
	for _, l := range [][2]string{{ns, "psadbys0"}, {ns, "lo"}, {lab.fw, "psadfwb0"}} {
		exec("ip", "-n", l[0], "link", "set", l[1], "up")
	}
	return ns, addr, fwAddr
}

// connects reports whether a TCP connection from namespace ns to
// addr:port succeeds within a second (a dropped SYN times out).
func (lab *scanLab) connects(t *testing.T, ns, addr string, port int) bool {
	t.Helper()
	ok := false
	netnstest.Do(t, ns, func() {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("%s:%d", addr, port), time.Second)
		if err == nil {
			c.Close()
			ok = true
		}
	})
	return ok
}
