package osfp

import (
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"
)

const debianP0F = "/etc/p0f/p0f.fp"

// tinyP0F exercises the matcher's rules; labels say what each tests.
const tinyP0F = `; test database
classes = win,unix,other

[mtu]
label = Ethernet
sig   = 1500

[tcp:request]
label = s:unix:Exact:mss*44
sig   = *:64:0:*:mss*44,7:mss,sok,ts,nop,ws:df,id+:0

label = g:unix:Generic:any window
sig   = *:64:0:*:*,*:mss,sok,ts,nop,ws:df,id+:0

label = s:unix:Mtu:multiple
sig   = 4:64:0:*:mtu*4,0:mss:df,id+:0

label = s:unix:Mod:1024
sig   = *:128:0:*:%1024,2:mss,nop,ws:df,id+:0

label = s:unix:V6only:
sig   = 6:64:0:*:mss*10,7:mss,sok,ts,nop,ws::0

label = s:unix:IPOpts:olen 4
sig   = 4:64:4:1460:1024,0:mss:df,id+:0

label = s:unix:Payload:
sig   = *:64:0:1400:1024,0:mss:df,id+:+

label = s:unix:Eol:pad 2
sig   = *:64:0:1400:2048,0:mss,eol+2:df,id+:0

label = s:!:Tool:random ttl
sig   = *:64-:0:1460:3072,0:mss::0

label = s:unix:Far:
sig   = *:255:0:1460:4096,0:mss:df,id+:0

label = s:unix:Near:
sig   = *:128:0:1460:4096,0:mss:df,id+:0

[tcp:response]
label = s:unix:Response:ignored
sig   = *:64:0:*:*,*:mss:df,id+:0
`

func loadTiny(t testing.TB) *P0F {
	t.Helper()
	db, err := ParseP0F(strings.NewReader(tinyP0F), "tiny.fp")
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestP0FTiny(t *testing.T) {
	db := loadTiny(t)
	if db.Len() != 11 {
		t.Errorf("Len = %d; want 11", db.Len())
	}
	for _, tc := range []struct {
		name    string
		p       pkt
		label   string // best; "" for no match
		fuzzy   bool
		generic bool
		dist    int
		n       int // number of matches
	}{
		{"exact beats generic", pkt{df: true, id: 7, ttl: 57, win: 64240, opts: optsLinux},
			"Exact mss*44", false, false, 7, 2},
		{"generic alone", pkt{df: true, id: 7, ttl: 57, win: 29200, opts: optsLinux},
			"Generic any window", false, true, 7, 1},
		{"missing id+ is fuzzy", pkt{df: true, id: 0, ttl: 57, win: 64240, opts: optsLinux},
			"Exact mss*44", true, false, 7, 2},
		{"missing df is fuzzy", pkt{id: 7, ttl: 57, win: 64240, opts: optsLinux},
			"Exact mss*44", true, false, 7, 2},
		{"ecn added is fuzzy", pkt{df: true, id: 7, ttl: 57, win: 64240, opts: optsLinux, flags: "CWR ECE SYN"},
			"Exact mss*44", true, false, 7, 2},
		{"exact generic beats fuzzy specific", pkt{df: true, id: 7, ttl: 100, win: 64240, opts: optsLinux},
			"Exact mss*44", true, false, 28, 2},
		{"other quirks do not match", pkt{df: true, id: 7, ttl: 57, win: 64240, opts: optsLinux, flags: "PSH SYN"}, "", false, false, 0, 0},
		{"ttl far below is fuzzy", pkt{df: true, id: 7, ttl: 20, win: 64240, opts: optsLinux},
			"Exact mss*44", true, false, 12, 2},
		{"ACK is not a SYN", pkt{df: true, id: 7, ttl: 57, win: 64240, opts: optsLinux, flags: "ACK SYN"}, "", false, false, 0, 0},
		{"mtu multiple", pkt{df: true, id: 1, ttl: 60, win: 4 * 1500, opts: optsMSS},
			"Mtu multiple", false, false, 4, 1},
		{"mss multiple is not mtu", pkt{df: true, id: 1, ttl: 60, win: 4 * 1460, opts: optsMSS}, "", false, false, 0, 0},
		{"modulo window", pkt{df: true, id: 1, ttl: 120, win: 8192, opts: "020405B401030302"},
			"Mod 1024", false, false, 8, 1},
		{"version 6 only", pkt{v6: true, ttl: 60, win: 14400, opts: "020405A00402080A00A1B2C30000000001030307"},
			"V6only", false, false, 4, 2},
		{"version 6 sig on IPv4", pkt{df: true, id: 1, ttl: 60, win: 14600, opts: optsLinux},
			"Generic any window", false, true, 4, 1},
		{"ip options length", pkt{df: true, id: 1, ttl: 60, win: 1024, opts: optsMSS, ipOpts: "94040000"},
			"IPOpts olen 4", false, false, 4, 1},
		{"payload class +", pkt{df: true, id: 1, ttl: 60, win: 1024, opts: "02040578", len: 60},
			"Payload", false, false, 4, 1},
		{"payload class + needs data", pkt{df: true, id: 1, ttl: 60, win: 1024, opts: "02040578"}, "", false, false, 0, 0},
		{"eol padding", pkt{df: true, id: 1, ttl: 60, win: 2048, opts: "02040578000000"}, "Eol pad 2", false, false, 4, 1},
		{"eol padding differs", pkt{df: true, id: 1, ttl: 60, win: 2048, opts: "020405780000"}, "", false, false, 0, 0},
		{"random ttl", pkt{ttl: 41, id: 9, win: 3072, opts: optsMSS}, "Tool random ttl", false, false, 23, 1},
		{"random ttl above", pkt{ttl: 65, id: 9, win: 3072, opts: optsMSS}, "", false, false, 0, 0},
		{"no fuzzy for tools", pkt{ttl: 41, id: 0, win: 3072, opts: optsMSS}, "", false, false, 0, 0},
		{"nearer ttl wins", pkt{df: true, id: 1, ttl: 120, win: 4096, opts: optsMSS}, "Near", false, false, 8, 2},
		{"only the far one in range", pkt{df: true, id: 1, ttl: 240, win: 4096, opts: optsMSS}, "Far", false, false, 15, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p.packet(t)
			best, all, ok := db.Match(p)
			if tc.label == "" {
				if ok {
					t.Fatalf("matched %+v", best)
				}
				return
			}
			if !ok {
				t.Fatal("no match")
			}
			if best.Label != tc.label || best.Fuzzy != tc.fuzzy || best.Generic != tc.generic || best.Distance != tc.dist || len(all) != tc.n {
				t.Errorf("best = %+v (of %d); want %q fuzzy=%v generic=%v dist=%d of %d", best, len(all), tc.label, tc.fuzzy, tc.generic, tc.dist, tc.n)
			}
			b, ok := db.Best(p)
			if !ok || b.Label != best.Label || b.Line != best.Line || b.Distance != best.Distance {
				t.Errorf("Best = %+v; Match's best = %+v", b, best)
			}
		})
	}
}

func TestP0FWhy(t *testing.T) {
	db := loadTiny(t)
	best, all, _ := db.Match(pkt{df: true, id: 0, ttl: 57, win: 64240, opts: optsLinux}.packet(t))
	for _, want := range []string{"tiny.fp line 10", ": fuzzy", "TTL 57 = ittl 64 - 7 hops", "window 64240 = mss*44",
		"quirks missing: id+", "best of 2 matches"} {
		if !strings.Contains(best.Why, want) {
			t.Errorf("Why %q lacks %q", best.Why, want)
		}
	}
	if !strings.Contains(all[1].Why, "generic signature") {
		t.Errorf("generic Why %q", all[1].Why)
	}
	b, _ := db.Best(pkt{df: true, id: 0, ttl: 57, win: 64240, opts: optsLinux}.packet(t))
	if b.Why != "tiny.fp line 10 (sig *:64:0:*:mss*44,7:mss,sok,ts,nop,ws:df,id+:0): fuzzy quirks" {
		t.Errorf("Best.Why = %q", b.Why)
	}
	// Unobservable quirks are named as ignored.
	_, all, ok := DefaultP0F().Match(pkt{ttl: 50, id: 5, win: 3, opts: "03030A01020405B404020101", flags: "CWR ECE SYN"}.packet(t))
	if !ok || !strings.Contains(all[0].Why, "not visible in the log, ignored: uptr+") {
		t.Errorf("ECN probe: %v %+v", ok, all)
	}
}

func TestP0FParseErrors(t *testing.T) {
	for _, tc := range []struct {
		text, msg string
	}{
		{"[tcp:request]\nsig = *:64:0:*:*,*:mss::0\n", "tiny:2: sig before any label"},
		{"[tcp:request]\nlabel = x:unix:A:\n", "tiny:2: label"},
		{"[tcp:request]\nlabel = s:unix:A\n", "want type:class:name:flavor"},
		{"[tcp:request]\nlabel = s::A:b\n", "empty class or name"},
		{"[tcp:request\n", "malformed section"},
		{"[tcp:request]\nlabel s:unix:A:\n", "want \"key = value\""},
		{"[tcp:request]\nlabel = s:unix:A:\nbogus = 1\n", "unknown directive \"bogus\""},
	} {
		_, err := ParseP0F(strings.NewReader(tc.text), "tiny")
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ParseP0F(%q) = %v; want %q", tc.text, err, tc.msg)
		}
	}
	for _, sig := range []string{
		"5:64:0:*:*,*:mss::0", "*:0:0:*:*,*:mss::0", "*:256:0:*:*,*:mss::0", "*:250+10:0:*:*,*:mss::0",
		"*:64:x:*:*,*:mss::0", "*:64:0:70000:*,*:mss::0", "*:64:0:*:%1,*:mss::0", "*:64:0:*:mss*0,*:mss::0",
		"*:64:0:*:mtu*1001,*:mss::0", "*:64:0:*:65536,*:mss::0", "*:64:0:*:*,256:mss::0",
		"*:64:0:*:*,*:mss,foo::0", "*:64:0:*:*,*:eol+1,mss::0", "*:64:0:*:*,*:?256::0",
		"*:64:0:*:*,*:mss:bogus:0", "6:64:0:*:*,*:mss:df:0", "4:64:0:*:*,*:mss:flow:0",
		"*:64:0:*:*,*:mss::x", "*:64:0:*:*,*:mss::", "*:64:0:*:*,*:mss", "*:64:0:*:*",
		"*:64:0:*:*,*:" + strings.Repeat("nop,", 24) + "nop::0",
	} {
		_, err := ParseP0F(strings.NewReader("[tcp:request]\nlabel = s:unix:A:\nsig = "+sig+"\n"), "t")
		if err == nil || !strings.Contains(err.Error(), "t:3: sig") {
			t.Errorf("sig %q: err = %v", sig, err)
		}
	}
	for _, sig := range []string{"*:54+10:0:*:*,*:mss::0", "*:64-:0:*:*,*:::*", "4:64:0:0:0,0:?30,eol+0:df,id+,id-,ecn,0+,seq-,ack+,ack-,uptr+,urgf+,pushf+,ts1-,ts2+,opt+,exws,bad:+"} {
		if _, err := ParseP0F(strings.NewReader("[tcp:request]\nlabel = s:unix:A:\nsig = "+sig+"\n"), "t"); err != nil {
			t.Errorf("sig %q: %v", sig, err)
		}
	}
}

// TestDefaultP0F matches SYNs shaped like those of common systems and
// scanners against the built-in database.
func TestDefaultP0F(t *testing.T) {
	db := DefaultP0F()
	for _, tc := range []struct {
		name  string
		p     pkt
		label string
		dist  int
	}{
		{"linux 6.x", pkt{df: true, id: 31337, ttl: 57, win: 64240, opts: optsLinux}, "Linux 4.19-6.x", 7},
		{"linux mss 1448", pkt{df: true, id: 2, ttl: 64, win: 65160, opts: "020405A80402080A00A1B2C30000000001030307"}, "Linux 4.19-6.x", 0},
		{"linux 4.9", pkt{df: true, id: 2, ttl: 50, win: 29200, opts: optsLinux}, "Linux 3.11-4.18", 14},
		{"linux 3.2", pkt{df: true, id: 2, ttl: 50, win: 14600, opts: optsLinux}, "Linux 3.0-3.10", 14},
		{"linux loopback", pkt{df: true, id: 2, ttl: 64, win: 65495, opts: "0204FFD70402080A00A1B2C30000000001030307"}, "Linux (loopback)", 0},
		{"linux ipv6", pkt{v6: true, ttl: 60, win: 64800, flow: 12345, opts: "020405A00402080A00A1B2C30000000001030307"}, "Linux 4.19-6.x", 4},
		{"android", pkt{df: true, id: 2, ttl: 60, win: 65535, opts: "020405B40402080A00A1B2C30000000001030309"}, "Android (or Linux with large receive buffers)", 4},
		{"linux no timestamps", pkt{df: true, id: 2, ttl: 60, win: 64240, opts: "020405B40101040201030307"}, "Linux", 4},
		{"windows 10", pkt{df: true, id: 2, ttl: 116, win: 64240, opts: optsWindows}, "Windows 10/11", 12},
		{"windows 10 old", pkt{df: true, id: 2, ttl: 128, win: 65535, opts: optsWindows}, "Windows 10/11", 0},
		{"windows 7", pkt{df: true, id: 2, ttl: 120, win: 8192, opts: optsWindows}, "Windows 7/8", 8},
		{"windows other", pkt{df: true, id: 2, ttl: 120, win: 1000, opts: optsWindows}, "Windows", 8},
		{"macos", pkt{df: true, id: 2, ttl: 52, win: 65535, opts: optsMac}, "macOS/iOS", 12},
		{"freebsd", pkt{df: true, id: 2, ttl: 63, win: 65535, opts: optsFreeBSD}, "FreeBSD 9 or newer", 1},
		{"nmap -sS", pkt{ttl: 43, id: 51234, win: 1024, opts: optsMSS}, "nmap SYN scan", 21},
		{"nmap -sS 4096", pkt{ttl: 58, id: 5, win: 4096, opts: optsMSS}, "nmap SYN scan", 6},
		{"nmap seq 1", pkt{ttl: 45, id: 5, win: 1, opts: "03030A01020405B4080AFFFFFFFF000000000402"}, "nmap OS detection probe", 19},
		{"nmap seq 1 with ACK logged", pkt{ttl: 45, id: 5, win: 1, seqAck: "SEQ=1234 ACK=5678", opts: "03030A01020405B4080AFFFFFFFF000000000402"}, "nmap OS detection probe", 19},
		{"nmap seq 4", pkt{ttl: 45, id: 5, win: 4, opts: "0402080AFFFFFFFF0000000003030A00"}, "nmap OS detection probe", 19},
		{"nmap ecn", pkt{ttl: 50, id: 5, win: 3, flags: "CWR ECE SYN", opts: "03030A01020405B404020101"}, "nmap OS detection probe", 14},
		{"nmap T3", pkt{ttl: 50, id: 5, win: 256, flags: "URG PSH SYN FIN", opts: "03030A0102040109080AFFFFFFFF000000000402"}, "nmap OS detection probe", 14},
		{"masscan", pkt{ttl: 243, id: 777, win: 1024}, "masscan SYN scan", 12},
		{"masscan with mss", pkt{ttl: 243, id: 777, win: 1024, opts: optsMSS}, "masscan SYN scan", 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			best, all, ok := db.Match(tc.p.packet(t))
			if !ok {
				t.Fatal("no match")
			}
			if best.Label != tc.label || best.Distance != tc.dist || best.Fuzzy {
				t.Errorf("best = %+v; want %q at distance %d, exact\nall: %+v", best, tc.label, tc.dist, all)
			}
		})
	}
	// ack+ is compared when the line shows the ACK number.
	if _, _, ok := db.Match(pkt{ttl: 45, id: 5, win: 1, seqAck: "SEQ=1234 ACK=0", opts: "03030A01020405B4080AFFFFFFFF000000000402"}.packet(t)); ok {
		t.Error("nmap probe without ack+ matched")
	}
}

func TestDebianP0F(t *testing.T) {
	skipUnless(t, debianP0F)
	db, err := LoadP0F(debianP0F)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		p     pkt
		label string
	}{
		{"linux 3.11+", pkt{df: true, id: 2, ttl: 57, win: 29200, opts: optsLinux}, "Linux 3.11 and newer"},
		{"linux 6.x", pkt{df: true, id: 2, ttl: 57, win: 64240, opts: optsLinux}, "Linux"},
		{"windows", pkt{df: true, id: 2, ttl: 120, win: 8192, opts: optsWindows}, "Windows 7 or 8"},
		{"nmap", pkt{ttl: 43, id: 51234, win: 1024, opts: optsMSS}, "NMap SYN scan"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			best, _, ok := db.Match(tc.p.packet(t))
			if !ok || !strings.HasPrefix(best.Label, tc.label) {
				t.Errorf("best = %+v, %v; want a %q label", best, ok, tc.label)
			}
		})
	}
}

func TestP0FBestNoAllocs(t *testing.T) {
	p := pkt{df: true, id: 31337, ttl: 57, win: 64240, opts: optsLinux}.packet(t)
	db := DefaultP0F()
	if n := testing.AllocsPerRun(100, func() { sinkGuess, _ = db.Best(p) }); n != 0 {
		t.Errorf("Best allocates %v times", n)
	}
}

// FuzzParseP0F: no database text panics the parser, and an accepted one
// matches packets without panicking, Best agreeing with Match.
func FuzzParseP0F(f *testing.F) {
	f.Add(tinyP0F)
	f.Add(defaultText)
	f.Add("[tcp:request]\nlabel = s:!:T:x\nsig = *:64-:0:1460:1024,0:mss::0\n")
	pkts := []pkt{
		{df: true, id: 31337, ttl: 57, win: 64240, opts: optsLinux},
		{ttl: 43, win: 1024, opts: optsMSS},
		{v6: true, ttl: 60, win: 14400, opts: optsMac},
		{ttl: 200, win: 0, opts: "0800"},
	}
	var ps []*fwlog.Packet
	for _, p := range pkts {
		ps = append(ps, p.packet(f))
	}
	f.Fuzz(func(t *testing.T, text string) {
		db, err := ParseP0F(strings.NewReader(text), "fuzz")
		if err != nil {
			return
		}
		for _, p := range ps {
			best, all, ok := db.Match(p)
			b, ok2 := db.Best(p)
			if ok != ok2 || ok && (b.Line != best.Line || len(all) == 0) {
				t.Fatalf("Best %+v %v, Match %+v %v", b, ok2, best, ok)
			}
		}
	})
}

var sinkGuess Guess

func BenchmarkP0F(b *testing.B) {
	dbs := []struct {
		name string
		db   *P0F
	}{{"default", DefaultP0F()}}
	if db, err := LoadP0F(debianP0F); err == nil {
		dbs = append(dbs, struct {
			name string
			db   *P0F
		}{"debian", db})
	}
	p := pkt{df: true, id: 31337, ttl: 57, win: 64240, opts: optsLinux}.packet(b)
	for _, d := range dbs {
		b.Run(d.name+"/Best", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkGuess, _ = d.db.Best(p)
			}
		})
		b.Run(d.name+"/Match", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkGuess, _, _ = d.db.Match(p)
			}
		})
	}
	b.Run("DecodeOptions", func(b *testing.B) {
		b.ReportAllocs()
		h := []byte(optsLinux)
		for b.Loop() {
			o, _ := DecodeOptions(h)
			sinkGuess.Label = o.Layout
		}
	})
}
