package fwcheck

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
)

// netnsTestsEnv turns on the tests that load rules into a kernel, each in
// a network namespace of its own.
const netnsTestsEnv = "PSAD_NETNS_TESTS"

// generated are the rulesets loaded into a fresh namespace with the real
// tools; their listings are the testdata files named by the key. Each step
// is one program with its arguments, run inside the namespace.
var generated = map[string]struct {
	steps [][]string
	save  [][]string
}{
	"iptables-legacy-logdrop": {
		steps: append(basicPolicy("iptables-legacy"), basicPolicy("ip6tables-legacy")...),
		save:  [][]string{{"iptables-legacy-save"}, {"ip6tables-legacy-save"}},
	},
	"iptables-nft-reject-nolog": {
		steps: [][]string{
			{"iptables-nft", "-A", "INPUT", "-i", "lo", "-j", "ACCEPT"},
			{"iptables-nft", "-A", "INPUT", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"},
			{"iptables-nft", "-A", "INPUT", "-s", "198.18.7.9/32", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"},
			{"iptables-nft", "-A", "INPUT", "-p", "tcp", "-j", "LOG", "--log-prefix", "TCP DROP "},
			{"iptables-nft", "-A", "INPUT", "-j", "REJECT", "--reject-with", "icmp-host-prohibited"},
			{"ip6tables-nft", "-P", "INPUT", "DROP"},
			{"ip6tables-nft", "-A", "INPUT", "-s", "fd00:5::17", "-j", "ACCEPT"},
			{"ip6tables-nft", "-A", "INPUT", "-j", "NFLOG", "--nflog-group", "5"},
		},
		save: [][]string{{"iptables-nft-save"}, {"ip6tables-nft-save"}, {"nft", "-a", "list", "ruleset"}},
	},
	"iptables-nft-userchain": {
		steps: [][]string{
			{"iptables-nft", "-N", "LOGDROP"},
			{"iptables-nft", "-A", "LOGDROP", "-m", "limit", "--limit", "5/min", "-j", "LOG", "--log-prefix", "fw-denied "},
			{"iptables-nft", "-A", "LOGDROP", "-j", "DROP"},
			{"iptables-nft", "-A", "INPUT", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"},
			{"iptables-nft", "-A", "INPUT", "-p", "tcp", "--dport", "443", "-j", "ACCEPT"},
			{"iptables-nft", "-A", "INPUT", "-j", "LOGDROP"},
			{"iptables-nft", "-P", "FORWARD", "DROP"},
			{"iptables-nft", "-A", "FORWARD", "-i", "veth0", "-o", "veth1", "-j", "ACCEPT"},
		},
		save: [][]string{{"iptables-nft-save"}},
	},
	"nft-inet-logdrop": {
		steps: [][]string{{"nft", "-f", "nft-inet-logdrop.nft"}},
		save:  [][]string{{"nft", "-a", "list", "ruleset"}},
	},
	"nft-accept-loggroup": {
		steps: [][]string{{"nft", "-f", "nft-accept-loggroup.nft"}},
		save:  [][]string{{"nft", "-a", "list", "ruleset"}},
	},
}

// nftScripts are the nft -f inputs of the generated nft rulesets.
var nftScripts = map[string]string{
	"nft-inet-logdrop.nft": `table inet filter {
	set trusted { type ipv4_addr; elements = { 198.18.0.1, 198.18.0.2 } }
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iif "lo" accept
		ip saddr @trusted tcp dport 22 accept
		ip6 saddr fd00:1::/64 tcp dport { 22, 80, 443 } accept
		meta l4proto ipv6-icmp accept
		limit rate 10/minute burst 20 packets log prefix "DROP " level info
		counter drop
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
	}
}
`,
	"nft-accept-loggroup.nft": `table ip early {
	chain pre {
		type filter hook input priority -10; policy accept;
		tcp flags syn log group 2
	}
}
table ip6 guard {
	chain input {
		type filter hook input priority filter; policy accept;
		ip6 saddr 2001:db8:77::/48 drop
		log group 3 prefix "v6 " drop
	}
}
`,
}

// basicPolicy is the classic psad-friendly policy in one family: accept
// what is wanted, log the rest, drop it by policy.
func basicPolicy(tool string) [][]string {
	return [][]string{
		{tool, "-A", "INPUT", "-i", "lo", "-j", "ACCEPT"},
		{tool, "-A", "INPUT", "-m", "state", "--state", "RELATED,ESTABLISHED", "-j", "ACCEPT"},
		{tool, "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"},
		{tool, "-A", "INPUT", "-j", "LOG", "--log-prefix", "DROP "},
		{tool, "-P", "INPUT", "DROP"},
	}
}

var nsSeq atomic.Int32

func requireNetns(t *testing.T) {
	t.Helper()
	if os.Getenv(netnsTestsEnv) != "1" {
		t.Skipf("skipping: loads rules into a kernel firewall; set %s=1 to run it as root (in namespaces it creates)", netnsTestsEnv)
	}
	if os.Geteuid() != 0 {
		t.Skip("skipping: creating network namespaces needs root")
	}
	for _, p := range []string{"ip", "nft", "iptables-legacy", "iptables-nft", "ip6tables-legacy", "ip6tables-nft"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("skipping: %s not installed: %v", p, err)
		}
	}
}

func newNetns(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("psadfwcheck-%d-%d", os.Getpid(), nsSeq.Add(1))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v %s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v %s", name, err, out)
		}
	})
	return name
}

func inNetns(t *testing.T, ns string, argv ...string) string {
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s in %s: %v %s", argv, ns, err, stderr.String())
	}
	return stdout.String()
}

// TestGenerated loads each ruleset with the real tools and checks that its
// listing means what the stored testdata file means (the listings carry
// dates, so the text itself differs); -update stores the new listing.
func TestGenerated(t *testing.T) {
	requireNetns(t)
	dir := t.TempDir()
	for name, text := range nftScripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for name, g := range generated {
		t.Run(name, func(t *testing.T) {
			ns := newNetns(t)
			for _, step := range g.steps {
				if step[0] == "nft" && step[1] == "-f" {
					step = []string{"nft", "-f", filepath.Join(dir, step[2])}
				}
				inNetns(t, ns, step...)
			}
			var b strings.Builder
			for _, s := range g.save {
				b.WriteString(inNetns(t, ns, s...))
			}
			file := filepath.Join("testdata", name+".rules")
			if *update {
				if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			stored, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(b.String())
			if err != nil {
				t.Fatalf("parse live listing: %v\n%s", err, b.String())
			}
			want, err := Parse(string(stored))
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range goldenOptions(got) {
				g, w := Check(got, o.opts), Check(want, o.opts)
				if !reflect.DeepEqual(g, w) {
					t.Errorf("%s: live listing checks as\n%s\nstored testdata as\n%s", o.name, g, w)
				}
			}
		})
	}
}
