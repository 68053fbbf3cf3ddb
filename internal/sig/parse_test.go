package sig

import (
	"bufio"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"
)

const okSig = `alert tcp any any -> any 80 (msg:"ok"; flags:S; psad_id:1;)`

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		compat bool
		lines  []string
		want   string
	}{
		{"missing msg", false, []string{`alert tcp any any -> any 80 (flags:S; psad_id:1;)`}, `t.sigs:1: missing msg`},
		{"unquoted msg", false, []string{`alert tcp any any -> any 80 (msg:hello; psad_id:1;)`}, `t.sigs:1: msg: want a quoted string, have "hello"`},
		{"missing psad_id", false, []string{"# comment", "", `alert tcp any any -> any 80 (msg:"x"; sid:5;)`}, `t.sigs:3: missing psad_id`},
		{"duplicate psad_id", false, []string{okSig, `alert tcp any any -> any 81 (msg:"y"; psad_id:1;)`}, `t.sigs:2: duplicate id 1 (also used on line 1)`},
		{"sid equals another psad_id", false, []string{okSig, `alert tcp any any -> any 81 (msg:"y"; sid:1; psad_id:2;)`}, `t.sigs:2: duplicate id 1 (also used on line 1)`},
		{"duplicate sid", false, []string{`alert tcp any any -> any 81 (msg:"y"; sid:9; psad_id:2;)`, `alert tcp any any -> any 81 (msg:"y"; sid:9; psad_id:3;)`}, `t.sigs:2: duplicate id 9 (also used on line 1)`},
		{"unknown protocol", false, []string{`alert udplite any any -> any 80 (msg:"x"; psad_id:1;)`}, `t.sigs:1: unknown protocol "udplite"`},
		{"icmp6", true, []string{`alert icmp6 any any -> any any (msg:"x"; psad_id:1;)`}, `t.sigs:1: unknown protocol "icmp6"`},
		{"bad range", false, []string{`alert tcp any any -> any 80 (msg:"x"; ttl:9:3; psad_id:1;)`}, `t.sigs:1: ttl: bad range "9:3"`},
		{"bad range compat", true, []string{`alert tcp any any -> any 80 (msg:"x"; icmp_seq:abc; psad_id:1;)`}, `t.sigs:1: icmp_seq: bad range "abc"`},
		{"bad port", false, []string{`alert tcp any any -> any 80:70 (msg:"x"; psad_id:1;)`}, `t.sigs:1: destination port: bad port "80:70": bad range "80:70"`},
		{"bad port compat", true, []string{`alert tcp any x -> any 80 (msg:"x"; psad_id:1;)`}, `t.sigs:1: source port: bad range "x"`},
		{"bracketed port list compat", true, []string{`alert tcp any any -> any [80,443] (msg:"x"; psad_id:1;)`}, `t.sigs:1: destination port: lists are not supported: "[80,443]"`},
		{"bad address", false, []string{`alert tcp 1.2.3 any -> any 80 (msg:"x"; psad_id:1;)`}, `t.sigs:1: source: bad address "1.2.3": "1.2.3" is not an IP address or network`},
		{"bad address compat", true, []string{`alert tcp any any -> foo 80 (msg:"x"; psad_id:1;)`}, `t.sigs:1: destination: unrecognized address "foo"`},
		{"unknown variable", false, []string{`alert tcp $NOPE any -> any 80 (msg:"x"; psad_id:1;)`}, `t.sigs:1: source: bad address "$NOPE": unknown variable $NOPE`},
		{"two variables compat", true, []string{`alert tcp $HOME_NET,$TWO_NETS any -> any 80 (msg:"x"; psad_id:1;)`}, `t.sigs:1: source: more than one variable in "$HOME_NET,$TWO_NETS"`},
		{"unsupported strict", false, []string{`alert tcp any any -> any 80 (msg:"x"; content:"abc"; psad_id:1;)`}, `t.sigs:1: unsupported rule option "content"`},
		{"unsupported strict compat", true, []string{`alert tcp any any -> any 80 (msg:"x"; pcre:"/a;b/"; psad_id:1;)`}, `t.sigs:1: unsupported rule option "pcre"`},
		{"unknown keyword", false, []string{`alert tcp any any -> any 80 (msg:"x"; ip_len:40; psad_id:1;)`}, `t.sigs:1: unsupported rule option "ip_len"`},
		{"case-sensitive keyword", false, []string{`alert tcp any any -> any 80 (msg:"x"; Flags:S; psad_id:1;)`}, `t.sigs:1: unsupported rule option "Flags"`},
		{"no options", false, []string{`alert tcp any any -> any 80`}, `t.sigs:1: bad signature: no " (" before the options`},
		{"no closing parenthesis", false, []string{`alert tcp any any -> any 80 (msg:"x"; psad_id:1;`}, `t.sigs:1: bad signature: no ")" after the options`},
		{"short header", false, []string{`alert tcp any any -> any (msg:"x"; psad_id:1;)`}, `t.sigs:1: bad signature header "alert tcp any any -> any": want "alert <proto> <src> <sport> <dir> <dst> <dport>"`},
		{"not alert", false, []string{`log tcp any any -> any 80 (msg:"x"; psad_id:1;)`}, `t.sigs:1: bad signature header "log tcp any any -> any 80": want "alert <proto> <src> <sport> <dir> <dst> <dport>"`},
		{"bad direction", false, []string{`alert tcp any any => any 80 (msg:"x"; psad_id:1;)`}, `t.sigs:1: bad direction "=>"`},
		{"bad psad_dl", false, []string{`alert tcp any any -> any 80 (msg:"x"; psad_id:1; psad_dl:7;)`}, `t.sigs:1: psad_dl: want 0..5, have "7"`},
		{"bad psad_id", false, []string{`alert tcp any any -> any 80 (msg:"x"; psad_id:x1;)`}, `t.sigs:1: psad_id: bad number "x1"`},
		{"ttl without value", false, []string{`alert tcp any any -> any 80 (msg:"x"; ttl; psad_id:1;)`}, `t.sigs:1: ttl: missing value`},
		{"unknown ipopts", false, []string{`alert ip any any -> any any (msg:"x"; ipopts:bogus; psad_id:1;)`}, `t.sigs:1: ipopts: unknown option "bogus"`},
		{"bad derived sids", false, []string{`alert ip any any -> any any (msg:"x"; psad_id:1; psad_derived_sids:1,x;)`}, `t.sigs:1: psad_derived_sids: bad number "x"`},
		{"leading option ignored by psad", true, []string{`alert tcp any any -> any 80 (psad_id:1; msg:"x";)`}, `t.sigs:1: missing psad_id`},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := snortOpts()
			o.PsadCompat = c.compat
			_, _, err := Parse(strings.NewReader(strings.Join(c.lines, "\n")), "t.sigs", o)
			if err == nil {
				t.Fatalf("Parse succeeded, want %q", c.want)
			}
			if err.Error() != c.want {
				t.Errorf("error\n got %q\nwant %q", err, c.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "t.sigs" {
				t.Errorf("error %T is not a *ParseError for t.sigs", err)
			}
		})
	}
}

func TestNonStrict(t *testing.T) {
	o := snortOpts()
	o.Strict = false
	s, warns, err := Parse(strings.NewReader(strings.Join([]string{
		`alert tcp any any -> any 80 (msg:"c"; content:"GET"; psad_id:1;)`,
		`alert tcp any any -> any 80 (msg:"no id"; sid:7;)`,
		`alert tcp any any -> any 81 (msg:"unknown"; foo:bar; psad_id:3;)`,
		`alert tcp any any -> any 82 (msg:"ok"; psad_id:4;)`,
	}, "\n")), "t.sigs", o)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 1 || s.Lookup(4) == nil {
		t.Errorf("loaded %d signatures, want only psad_id 4", s.Len())
	}
	want := []Warning{
		{"t.sigs", 1, `unsupported rule option "content"; signature skipped`},
		{"t.sigs", 2, `missing psad_id; signature skipped`},
		{"t.sigs", 3, `unsupported rule option "foo"; signature skipped`},
	}
	if !slices.Equal(warns, want) {
		t.Errorf("warnings\n got %v\nwant %v", warns, want)
	}
}

func TestWarnings(t *testing.T) {
	_, warns, err := Parse(strings.NewReader(strings.Join([]string{
		`alert udp any any -> any 80 (msg:"x"; flags:S; window:5; psad_id:1;)`,
		`alert ip any any -> any 80 (msg:"y"; dsize:5; psad_id:2;)`,
		`alert tcp $NOT_ANY any -> any 80 (msg:"z"; psad_id:3;)`,
	}, "\n")), "t.sigs", snortOpts())
	if err != nil {
		t.Fatal(err)
	}
	want := []Warning{
		{"t.sigs", 1, "window has no effect in a udp signature"},
		{"t.sigs", 1, "flags has no effect in a udp signature"},
		{"t.sigs", 2, "dsize has no effect in a ip signature"},
		{"t.sigs", 2, "destination port has no effect in a ip signature"},
		{"t.sigs", 3, `source address "$NOT_ANY" matches nothing (!any)`},
	}
	if !slices.Equal(warns, want) {
		t.Errorf("warnings\n got %q\nwant %q", warns, want)
	}
}

func TestIgnoredByDesign(t *testing.T) {
	s := mustParse(t, snortOpts(),
		`alert tcp any any -> any 80 (msg:"x"; rev:2; gid:1; metadata:a b, c d; priority:2; depth:4; nocase; fast_pattern; flow:to_server; psad_id:1;)`)
	if got := hitIDs(s.Match(tcpPkt(1, 80, syn), nil)); !slices.Equal(got, []int{1}) {
		t.Errorf("Match = %v", got)
	}
}

func TestDL(t *testing.T) {
	dir := t.TempDir()
	classFile := filepath.Join(dir, "classification.config")
	write(t, classFile, "# c\nconfig classification: attempted-admin,Attempted Administrator Privilege Gain,1\n"+
		"config classification: misc-activity,Misc activity,3\nconfig classification: odd,Odd,10\nconfig classification: weird,Weird,4\n")
	class, err := LoadClassification(classFile)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"attempted-admin": 5, "misc-activity": 3, "odd": 1, "weird": 2}; !maps.Equal(class, want) {
		t.Errorf("LoadClassification = %v, want %v", class, want)
	}
	ruleFile := filepath.Join(dir, "snort_rule_dl")
	write(t, ruleFile, "# sid dl\n2284   3;\n100003 0\n100004\t5 trailing words\n100005 9\nabc 1\n100006\n")
	ruleDL, warns, err := LoadRuleDL(ruleFile)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int]int{2284: 3, 100003: 0, 100004: 5}; !maps.Equal(ruleDL, want) {
		t.Errorf("LoadRuleDL = %v, want %v", ruleDL, want)
	}
	if len(warns) != 2 || warns[0].Line != 5 || warns[1].Line != 7 {
		t.Errorf("LoadRuleDL warnings = %v, want lines 5 and 7", warns)
	}

	lines := []string{
		`alert tcp any any -> any 1011 (msg:"a"; classtype:attempted-admin; psad_id:100001;)`,
		`alert tcp any any -> any 1011 (msg:"b"; classtype:unknown-class; psad_id:100002;)`,
		`alert tcp any any -> any 1010 (msg:"c"; psad_id:100003; psad_dl:4;)`,
		`alert tcp any any -> any 1011 (msg:"d"; classtype:attempted-admin; psad_id:100004; psad_dl:1;)`,
		`alert tcp any any -> any 1011 (msg:"e"; sid:2284; psad_id:100005; psad_dl:1;)`,
	}
	o := compatOpts()
	o.ClassDL, o.RuleDL = class, ruleDL
	s := mustParse(t, o, lines...)
	for id, want := range map[int]int{100001: 5, 100002: 2, 100003: 0, 100004: 5, 2284: 3} {
		if got := s.Lookup(id).DL; got != want {
			t.Errorf("DL of %d = %d, want %d", id, got, want)
		}
	}
	// Without classification.config (--no-snort-sids, empty rules dir)
	// the classtype fallback gives 2.
	s = mustParse(t, compatOpts(), lines...)
	if got := s.Lookup(100001).DL; got != 2 {
		t.Errorf("DL without classification.config = %d, want 2", got)
	}
	h := mustParse(t, o, lines...).Match(tcpPkt(1, 1010, syn), nil)
	if len(h) != 1 || h[0].DL != 0 {
		t.Errorf("snort_rule_dl 0: hits %+v, want one with DL 0", h)
	}
}

func TestLoadReferences(t *testing.T) {
	p := filepath.Join(t.TempDir(), "reference.config")
	write(t, p, "# refs\nconfig reference: bugtraq   http://www.securityfocus.com/bid/\nconfig reference: CVE http://cve.example/?name=\nconfig reference: broken\n")
	m, err := LoadReferences(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"bugtraq": "http://www.securityfocus.com/bid/", "cve": "http://cve.example/?name="}; !maps.Equal(m, want) {
		t.Errorf("LoadReferences = %v", m)
	}
	if _, err := LoadReferences(filepath.Join(t.TempDir(), "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestIPOpts covers psad's option stepping (spec 9.5).
func TestIPOpts(t *testing.T) {
	tab := newOptTable(nil)
	kw := func(m optMask) []string {
		var out []string
		for name, km := range tab.kw {
			if m.hits(&km) {
				out = append(out, name)
			}
		}
		slices.Sort(out)
		return out
	}
	for _, c := range []struct {
		hex  string
		want []string
	}{
		{fullRR, []string{"eol", "rr"}},                 // psad lands on the last byte of the option
		{"0727" + "04" + strings.Repeat("00", 10), nil}, // truncated: not recorded
		{"07", nil},   // no length byte
		{"072", nil},  // odd length
		{"0701", nil}, // a length below 2 stops the walk
		{"01010727" + "04" + strings.Repeat("00", 36), []string{"eol", "nop", "rr"}},
		{"94040000", []string{"rtralt"}}, // router alert, fixed length 4
		{"890b" + strings.Repeat("00", 9), []string{"eol", "ssrr"}},
		{"zz", nil},
	} {
		if got := kw(tab.decode([]byte(c.hex))); !slices.Equal(got, c.want) {
			t.Errorf("decode(%s) = %v, want %v", c.hex, got, c.want)
		}
	}

	// The same through a real LOG line.
	line := "Mar 11 20:35:11 gw kernel: DROP IN=eth0 OUT= SRC=10.1.1.1 DST=10.2.2.2 LEN=84 TOS=0x00 PREC=0x00 TTL=64 ID=7 OPT (%s) PROTO=ICMP TYPE=8 CODE=0 ID=1 SEQ=1 "
	s := mustParse(t, compatOpts(), `alert icmp any any -> any any (msg:"rr"; ipopts:rr; itype:8; psad_id:1;)`)
	ps := fwlog.NewParser(fwlog.Options{})
	for _, c := range []struct {
		hex  string
		want []int
	}{
		{fullRR, []int{1}},
		{"0727" + "04" + strings.Repeat("00", 20), []int{}},
	} {
		var p fwlog.Packet
		if err := ps.Parse([]byte(strings.Replace(line, "%s", c.hex, 1)), &p); err != nil {
			t.Fatal(err)
		}
		if got := hitIDs(s.Match(&p, nil)); !slices.Equal(got, c.want) {
			t.Errorf("OPT (%s): Match = %v, want %v", c.hex, got, c.want)
		}
	}

	p := filepath.Join(t.TempDir(), "ip_options")
	write(t, p, "# value len kw desc\n7 -1 rr Record Route\n148 4 ralert Router Alert\n\n0 1 eol End\n")
	m, err := LoadIPOptions(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 3 || m[148] != (IPOption{"ralert", 4, "Router Alert"}) {
		t.Errorf("LoadIPOptions = %v", m)
	}
	o := compatOpts()
	o.IPOpts = m
	if _, _, err := Parse(strings.NewReader(`alert ip any any -> any any (msg:"x"; ipopts:ralert; psad_id:1;)`), "t.sigs", o); err != nil {
		t.Errorf("ipopts from a loaded table: %v", err)
	}
	write(t, p, "7 x rr\n")
	if _, err := LoadIPOptions(p); err == nil || !strings.Contains(err.Error(), ":1: ") {
		t.Errorf("bad ip_options line: %v", err)
	}
}

func TestLoadRulesDirs(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	write(t, filepath.Join(d1, "a.rules"), `# alert tcp any any -> any any (msg:"disabled"; sid:1;)
alert tcp $EXTERNAL_NET any -> $HOME_NET 1433 (msg:"MS-SQL probe"; flow:to_server,established; content:"|12 01|"; content:!"x\;y"; uricontent:"/q"; reference:cve,2002-0649; reference:url,example.org; classtype:attempted-admin; metadata:policy balanced, service sql; priority:2; sid:2003; rev:8;)
alert udp any any -> any 53 (msg:"old"; sid:2004;)
alert ip any any -> any any (msg:"no sid";)
`)
	write(t, filepath.Join(d1, "b.rules"), `alert UDP any any -> any 53 (msg:"newer"; sid:2004;)
alert tcp any any -> any any (msg:"bad"; sid:abc;)
`)
	write(t, filepath.Join(d1, "notes.txt"), `alert tcp any any -> any any (msg:"not a rules file"; sid:5;)`)
	write(t, filepath.Join(d2, "a.rules"), `alert icmp any any -> any any (msg:"from dir 2"; sid:2005;)`)

	rules, warns, err := LoadRulesDirs([]string{d1, filepath.Join(d1, "missing"), d2}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 3 {
		t.Fatalf("got %d rules: %v", len(rules), rules)
	}
	r := rules[2003]
	want := Rule{SID: 2003, Msg: "MS-SQL probe", Proto: "tcp", Classtype: "attempted-admin", Priority: 4,
		Metadata: []string{"policy balanced", "service sql"}, Content: []string{"|12 01|", `!x\;y`, "/q"},
		Refs: []Ref{{"cve", "2002-0649"}, {"url", "example.org"}}}
	if r == nil || r.SID != want.SID || r.Msg != want.Msg || r.Proto != want.Proto || r.Classtype != want.Classtype ||
		r.Priority != want.Priority || !slices.Equal(r.Metadata, want.Metadata) || !slices.Equal(r.Content, want.Content) || !slices.Equal(r.Refs, want.Refs) {
		t.Errorf("rule 2003 = %+v\nwant %+v", r, want)
	}
	if r := rules[2004]; r.Msg != "newer" || r.Proto != "udp" {
		t.Errorf("later file does not override: %+v", r)
	}
	if len(warns) != 1 || warns[0].Line != 2 || !strings.HasSuffix(warns[0].File, "b.rules") {
		t.Errorf("warnings = %v", warns)
	}

	rules, _, err = LoadRulesDirs([]string{d1, d2}, "b")
	if err != nil || len(rules) != 1 || rules[2004] == nil {
		t.Errorf("onlyType b: %v %v", rules, err)
	}
}

// TestPsadFiles loads psad's own files when psad is installed.
func TestPsadFiles(t *testing.T) {
	const dir = "/etc/psad"
	sigFile := filepath.Join(dir, "signatures")
	if _, err := os.Stat(sigFile); err != nil {
		t.Skipf("psad not installed: %v", err)
	}
	vars := psadConfVars(t, filepath.Join(dir, "psad.conf"))
	o := Options{Vars: vars, Strict: true, PsadCompat: true}
	if m, err := LoadIPOptions(filepath.Join(dir, "ip_options")); err == nil {
		o.IPOpts = m
	} else if !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if m, _, err := LoadRuleDL(filepath.Join(dir, "snort_rule_dl")); err == nil {
		o.RuleDL = m
	} else if !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	want := countAlerts(t, sigFile)
	for _, compat := range []bool{true, false} {
		o.PsadCompat = compat
		s, warns, err := Load(sigFile, o)
		if err != nil {
			t.Fatalf("compat=%v: %v", compat, err)
		}
		if s.Len() != want {
			t.Errorf("compat=%v: loaded %d signatures, the file has %d alert lines", compat, s.Len(), want)
		}
		for _, w := range warns {
			t.Logf("compat=%v: %v", compat, w)
		}
		// Every signature must be reachable through the index.
		for _, g := range s.All() {
			if s.Lookup(g.ID) != g {
				t.Errorf("Lookup(%d) does not return the signature of line %d", g.ID, g.Line)
			}
		}
		if s.NextID() <= 1 {
			t.Errorf("NextID = %d", s.NextID())
		}
	}
	rules, _, err := LoadRulesDirs([]string{filepath.Join(dir, "snort_rules")}, "")
	if err != nil {
		t.Errorf("LoadRulesDirs: %v (%d rules)", err, len(rules))
	}
}

func countAlerts(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fs := strings.Fields(sc.Text()); len(fs) > 0 && fs[0] == "alert" {
			n++
		}
	}
	return n
}

// psadConfVars reads "NAME value;" lines of a psad.conf and expands
// $NAME references, enough for the signature variables.
func psadConfVars(t testing.TB, path string) func(string) (string, bool) {
	t.Helper()
	raw := map[string]string{}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("no psad.conf: %v", err)
	}
	for l := range strings.SplitSeq(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l[0] == '#' {
			continue
		}
		name, val, ok := strings.Cut(strings.ReplaceAll(l, "\t", " "), " ")
		if !ok {
			continue
		}
		val, _, _ = strings.Cut(strings.TrimSpace(val), ";")
		raw[name] = strings.TrimSpace(val)
	}
	var get func(string, int) (string, bool)
	get = func(name string, depth int) (string, bool) {
		v, ok := raw[name]
		if !ok || depth > 8 {
			return "", false
		}
		out, err := expandVars(v, func(n string) (string, bool) { return get(n, depth+1) }, 0)
		return out, err == nil
	}
	return func(n string) (string, bool) { return get(n, 0) }
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
