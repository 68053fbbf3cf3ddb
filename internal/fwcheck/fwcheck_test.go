package fwcheck

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files (and, with PSAD_NETNS_TESTS=1, the generated rulesets)")

type namedOptions struct {
	name string
	opts Options
}

// goldenOptions are the settings every ruleset is checked with: psad's
// defaults (FW_SEARCH_ALL=Y) and FW_SEARCH_ALL=N with the shipped
// FW_MSG_SEARCH of DROP.
func goldenOptions(rs *Ruleset) []namedOptions {
	fwd := rs.FiltersForward()
	return []namedOptions{
		{"FW_SEARCH_ALL=Y", Options{IPv6: true, Forward: fwd, SearchAll: true}},
		{"FW_SEARCH_ALL=N FW_MSG_SEARCH=DROP", Options{IPv6: true, Forward: fwd, MsgSearch: []*regexp.Regexp{regexp.MustCompile("DROP")}}},
	}
}

func rulesFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/*.rules")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata rulesets: %v", err)
	}
	return files
}

// TestGolden checks every testdata ruleset and compares the findings
// with its .golden file.
func TestGolden(t *testing.T) {
	for _, file := range rulesFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			text, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			rs, err := Parse(string(text))
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, o := range goldenOptions(rs) {
				res := Check(rs, o.opts)
				fmt.Fprintf(&b, "== %s (forward checked: %v) ok=%v\n%s", o.name, o.opts.Forward, res.OK(), res)
			}
			golden := strings.TrimSuffix(file, ".rules") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != string(want) {
				t.Errorf("findings differ from %s (go test -update to accept):\n--- got\n%s\n--- want\n%s", golden, b.String(), want)
			}
		})
	}
}

// TestVerdicts pins the one verdict per ruleset that matters most, so a
// golden file accepted carelessly cannot hide a wrong answer.
func TestVerdicts(t *testing.T) {
	tests := []struct {
		file string
		// codes are the first finding code of each checked path, in order
		// (IPv4 input, [IPv4 forward,] IPv6 input, [IPv6 forward]).
		codes []string
	}{
		{"iptables-legacy-logdrop", []string{"logged", "logged"}},
		{"iptables-nft-reject-nolog", []string{"not-logged", "not-logged"}},
		{"iptables-nft-userchain", []string{"logged", "not-logged", "no-chain", "no-chain"}},
		{"nft-inet-logdrop", []string{"logged", "not-logged", "logged", "not-logged"}},
		{"nft-accept-loggroup", []string{"not-dropped", "not-logged"}},
		{"ufw-logging-low", []string{"logged", "logged", "logged", "logged"}},
		{"ufw-logging-off", []string{"not-logged", "not-logged", "not-logged", "not-logged"}},
		{"firewalld-default", []string{"not-logged", "not-logged", "not-logged", "not-logged"}},
		{"firewalld-log-denied", []string{"logged", "logged", "logged", "logged"}},
		{"firewalld-iptables-log-denied", []string{"logged", "logged", "logged", "logged"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			text, err := os.ReadFile(filepath.Join("testdata", tt.file+".rules"))
			if err != nil {
				t.Fatal(err)
			}
			rs, err := Parse(string(text))
			if err != nil {
				t.Fatal(err)
			}
			res := Check(rs, goldenOptions(rs)[0].opts)
			var got []string
			for _, f := range res.Findings {
				if f.Code != "logs-accepted" {
					got = append(got, f.Code)
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.codes, " ") {
				t.Errorf("codes %q, want %q\n%s", got, tt.codes, res)
			}
			wantOK := true
			for _, c := range tt.codes {
				wantOK = wantOK && c == "logged"
			}
			if res.OK() != wantOK {
				t.Errorf("OK() = %v, want %v", res.OK(), wantOK)
			}
		})
	}
}

func TestParseRules(t *testing.T) {
	tests := []struct {
		name, text    string
		chain         string
		match, prefix string
		log, userlog  bool
		verdict       Verdict
		target        string
		handle        int
	}{
		{"ipt limit is no match", "*filter\n:INPUT DROP [0:0]\n-A INPUT -m limit --limit 3/min --limit-burst 10 -j LOG --log-prefix \"[UFW BLOCK] \"\nCOMMIT\n",
			"INPUT", "", "[UFW BLOCK] ", true, false, Continue, "", 0},
		{"ipt counters and match", "*filter\n:INPUT ACCEPT [0:0]\n[3:180] -A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n",
			"INPUT", "-s 10.0.0.0/8 -p tcp --dport 22", "", false, false, Accept, "", 0},
		{"ipt any is no match", "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 0.0.0.0/0 -p all -j DROP\nCOMMIT\n",
			"INPUT", "", "", false, false, Drop, "", 0},
		{"ipt goto", "*filter\n:INPUT ACCEPT [0:0]\n:X - [0:0]\n-A INPUT -i eth0 -g X\nCOMMIT\n",
			"INPUT", "-i eth0", "", false, false, Goto, "X", 0},
		{"ipt nflog", "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j NFLOG --nflog-group 2\nCOMMIT\n",
			"INPUT", "", "", false, true, Continue, "", 0},
		{"nft log and drop in one rule", "table inet f { # handle 4\n chain c { # handle 1\n  type filter hook input priority filter; policy accept;\n  counter packets 1 bytes 2 log prefix \"a b\" level info flags tcp sequence,options drop # handle 9\n }\n}\n",
			"c", "", "a b", true, false, Drop, "", 9},
		{"nft limit rate over is a match", "table ip f {\n chain c {\n  limit rate over 10/second burst 5 packets drop\n }\n}\n",
			"c", "limit rate over 10/second burst 5 packets", "", false, false, Drop, "", 0},
		{"nft vmap hides verdicts", "table ip f {\n chain c {\n  ct state vmap { established : accept, invalid : drop }\n }\n}\n",
			"c", "ct state vmap { established : accept, invalid : drop }", "", false, false, Continue, "", 0},
		{"nft multi-line set", "table ip f {\n chain c {\n  ip saddr { 10.0.0.1,\n  10.0.0.2 } reject with icmp type host-prohibited # handle 3\n }\n}\n",
			"c", "ip saddr { 10.0.0.1, 10.0.0.2 }", "", false, false, Reject, "", 3},
		{"nft log group", "table ip f {\n chain c {\n  log group 3 prefix \"x\" jump d\n }\n chain d {\n }\n}\n",
			"c", "", "x", false, true, Jump, "d", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := Parse(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			c := rs.Tables[0].Chain(tt.chain)
			if c == nil || len(c.Rules) != 1 {
				t.Fatalf("chain %q: %+v", tt.chain, c)
			}
			r := c.Rules[0]
			if r.Match != tt.match || r.LogPrefix != tt.prefix || r.Log != tt.log || r.Userlog != tt.userlog ||
				r.Verdict != tt.verdict || r.Target != tt.target || r.Handle != tt.handle {
				t.Errorf("got match %q prefix %q log %v userlog %v verdict %v target %q handle %d",
					r.Match, r.LogPrefix, r.Log, r.Userlog, r.Verdict, r.Target, r.Handle)
			}
		})
	}
}

func TestParseChains(t *testing.T) {
	rs, err := Parse("table inet fw {\n chain in { type filter hook input priority filter + 10; policy drop; }\n}\n")
	if err == nil {
		t.Fatalf("one-line chain parsed: %+v", rs)
	}
	rs, err = Parse("# Generated by ip6tables-save v1.8.9 (nf_tables)\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\nCOMMIT\n" +
		"table inet fw {\n chain in {\n  type filter hook input priority filter + 10; policy drop;\n }\n chain pre {\n  type nat hook prerouting priority dstnat; policy accept;\n }\n}\n")
	if err != nil {
		t.Fatal(err)
	}
	ipt, nft := rs.Tables[0], rs.Tables[1]
	if ipt.Tool != IPTablesNFT || ipt.Families[0] != IPv6 || ipt.Chain("FORWARD").Policy != Drop || ipt.Chain("FORWARD").Hook != Forward {
		t.Errorf("iptables table: %+v", ipt)
	}
	if in := nft.Chain("in"); in.Hook != Input || in.Priority != 10 || in.Policy != Drop || len(nft.Families) != 2 {
		t.Errorf("nft input chain: %+v", in)
	}
	if pre := nft.Chain("pre"); pre.Hook != OtherHook || pre.Priority != -100 {
		t.Errorf("nft nat chain: %+v", pre)
	}
	if !rs.FiltersForward() {
		t.Error("FiltersForward is false with a FORWARD DROP policy")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{"", "no iptables-save or nft table found"},
		{"Chain INPUT (policy ACCEPT)\n", `line 1: neither an iptables-save nor an nft table: "Chain INPUT (policy ACCEPT)"`},
		{"*filter\n:INPUT ACCEPT [0:0]\n-A FOO -j DROP\nCOMMIT\n", `line 3: rule for chain "FOO", which the table does not declare: "-A FOO -j DROP"`},
		{"*filter\n:INPUT ACCEPT [0:0]\n", `line 1: table has no COMMIT line: "*filter"`},
		{"table ipx t {\n}\n", `line 1: unknown nft family "ipx": "table ipx t {"`},
		{"table ip t {\n chain c {\n  type filter hook input priority filter; policy reject;\n }\n}\n", `line 3: chain policy "reject" is neither accept nor drop: "type filter hook input priority filter; policy reject;"`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.text)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) error %v, want %q", tt.text, err, tt.want)
		}
	}
}

// TestDedupe: with iptables-nft-save and nft listings of the same tables,
// each table is checked once, from the iptables text.
func TestDedupe(t *testing.T) {
	text, err := os.ReadFile("testdata/iptables-nft-reject-nolog.rules")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Parse(string(text))
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range rs.Tables {
		if tb.Tool == NFT && (tb.Name == "filter") {
			t.Errorf("nft table %s %s kept beside iptables-nft-save's", tb.NFTFamily, tb.Name)
		}
	}
}

// TestLoop: a jump loop in a hand-written file ends the walk instead of
// recursing forever.
func TestLoop(t *testing.T) {
	rs, err := Parse("*filter\n:INPUT DROP [0:0]\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -j B\n-A B -j A\nCOMMIT\n")
	if err != nil {
		t.Fatal(err)
	}
	if res := Check(rs, Options{SearchAll: true}); res.Findings[0].Code != "not-logged" {
		t.Errorf("loop: %s", res)
	}
}

// docAddr is where every address of a scrubbed text must come from.
var docNets = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32"),
}

// anyAddr finds IPv4 and IPv6 addresses independently of Scrub's own
// pattern.
var anyAddr = regexp.MustCompile(`\b\d{1,3}(?:\.\d{1,3}){3}\b|[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}`)

func TestScrub(t *testing.T) {
	var all strings.Builder
	for _, f := range rulesFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	in := all.String() + "\n-A INPUT -s 10.9.8.7 -d 10.9.8.7/32 -m mac --mac-source 52:54:00:AB:cd:01 -j DROP\n" +
		"ip6 saddr { fe80::1%eth0, ::ffff:10.1.2.3, 2a01:4f8::/29 } drop. Last: 172.16.0.1.\n"
	out := Scrub(in)
	seen := 0
	for _, m := range anyAddr.FindAllString(out, -1) {
		a, err := netip.ParseAddr(m)
		if err != nil {
			continue // a time or a MAC fragment
		}
		seen++
		if a.IsUnspecified() {
			continue
		}
		ok := false
		for _, n := range docNets {
			ok = ok || n.Contains(a)
		}
		if !ok {
			t.Errorf("address %s survived scrubbing", a)
		}
	}
	if seen == 0 {
		t.Fatal("no address left at all: the test pattern finds nothing")
	}
	for _, leak := range []string{"52:54:00", "fe80", "10.9.8.7", "2a01", "172.16"} {
		if strings.Contains(strings.ToLower(out), leak) {
			t.Errorf("%q survived scrubbing", leak)
		}
	}
	// The same address gets the same stand-in, a different one another.
	one := Scrub("10.0.0.1 10.0.0.2 10.0.0.1/32 ::1 ::1")
	if one != "192.0.2.1 192.0.2.2 192.0.2.1/32 2001:db8::1 2001:db8::1" {
		t.Errorf("Scrub consistency: %q", one)
	}
	if keep := "0.0.0.0/0 ::/0 [0:0] v1.8.9 08:59:24 3/min"; Scrub(keep) != keep {
		t.Errorf("Scrub changed %q to %q", keep, Scrub(keep))
	}
}
