package osfp

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

const psadPFOS = "/etc/psad/pf.os"

// TestPFPsadFile reproduces spec 11.2's verified table with psad's pf.os.
func TestPFPsadFile(t *testing.T) {
	skipUnless(t, psadPFOS)
	db, err := LoadPF(psadPFOS)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		p    pkt
		want []string
	}{
		{"linux 2.6.8", pkt{len: 60, df: true, ttl: 60, win: 5840, opts: optsSpecLinux},
			[]string{"Linux:2.6:8:Linux 2.6.8 and newer (?)"}},
		{"linux W0", pkt{len: 60, df: true, ttl: 60, win: 5840, opts: "020405B40402080A000000000000000001030300"},
			[]string{"Linux:2.4::Linux 2.4/2.6 <= 2.6.7", "Linux:2.6:.1-7:Linux 2.4/2.6 <= 2.6.7"}},
		{"ttl above 64", pkt{len: 60, df: true, ttl: 128, win: 5840, opts: optsSpecLinux}, nil},
		{"windows xp", pkt{len: 48, df: true, ttl: 120, win: 65535, opts: "020405B401010402"},
			[]string{"@Windows:2000::Windows XP/2000", "@Windows:XP::Windows XP/2000",
				"Windows:2000:SP4:Windows 2000 SP4, XP SP1", "Windows:XP:SP1:Windows 2000 SP4, XP SP1"}},
		{"psad syn-scan sample", pkt{len: 44, ttl: 50, win: 4096, opts: optsMSS},
			[]string{"SunOS:4.1::SunOS 4.1.x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := db.Match(tc.p.packet(t), 20)
			if !slices.Equal(sorted(got), sorted(tc.want)) {
				t.Errorf("Match = %q; want %q", got, tc.want)
			}
		})
	}
}

// tinyPF exercises every field form psad understands.
const tinyPF = `# comment
   # indented comment

S4:64:1:60:M*,S,T,N,W7:		Linux:2.6:8:Linux test
S4:64:1:60:M*,S,T,N,W7:		Linux:2.6:8:Linux test
S4:64:1:60:M*,S,T,N,W7:		Other:same:sig:Second OS on one signature
T4:64:1:60:M*,S,T,N,W7:		Dropped:T::MTU window
S4:64:1:60:M*,S,T0,N,W7:	Ts:zero::TSval must be 0
%512:128:*:%4:M%4,N,W%2:	Mod:all::Modulo forms
*:255:0:*:.:			Any:opts::No option checked
1024:64:0:44:M1460:		Exact:window::Exact window
S2:64:0:44:N,M1460:		FirstOpt:only::S uses the first option only
2048:64:0:44:E,?3,M1460:	Unchecked:items::E and ?n are not checked
4096:64:0:44:M1460: 
nospace:64:0:44:M1460:Bad:line::no blank before the OS text
`

func TestPFTiny(t *testing.T) {
	db, err := ParsePF(strings.NewReader(tinyPF), "tiny")
	if err != nil {
		t.Fatal(err)
	}
	if n := db.Len(); n != 10 {
		t.Errorf("Len = %d; want 10 (T line and pattern misses dropped)", n)
	}
	for _, tc := range []struct {
		name    string
		p       pkt
		maxHops int
		want    []string
	}{
		{"both texts of a signature, deduplicated", pkt{len: 60, df: true, ttl: 50, win: 5840, opts: optsLinux}, 20,
			[]string{"Linux:2.6:8:Linux test", "Other:same:sig:Second OS on one signature"}},
		{"T0 needs TSval 0", pkt{len: 60, df: true, ttl: 50, win: 5840, opts: optsSpecLinux}, 20,
			[]string{"Linux:2.6:8:Linux test", "Other:same:sig:Second OS on one signature", "Ts:zero::TSval must be 0"}},
		{"DF must agree", pkt{len: 60, ttl: 50, win: 5840, opts: optsLinux}, 20, nil},
		{"TTL exactly sig", pkt{len: 60, df: true, ttl: 64, win: 5840, opts: optsLinux}, 20,
			[]string{"Linux:2.6:8:Linux test", "Other:same:sig:Second OS on one signature"}},
		{"TTL at sig-MAX_HOPS is out", pkt{len: 60, df: true, ttl: 44, win: 5840, opts: optsLinux}, 20, nil},
		{"TTL just inside", pkt{len: 60, df: true, ttl: 45, win: 5840, opts: optsLinux}, 20,
			[]string{"Linux:2.6:8:Linux test", "Other:same:sig:Second OS on one signature"}},
		{"MAX_HOPS widens", pkt{len: 60, df: true, ttl: 30, win: 5840, opts: optsLinux}, 40,
			[]string{"Linux:2.6:8:Linux test", "Other:same:sig:Second OS on one signature"}},
		{"window not S4", pkt{len: 60, df: true, ttl: 50, win: 5841, opts: optsLinux}, 20, nil},
		{"modulo forms, df wildcard", pkt{len: 48, ttl: 120, win: 1024, opts: "020405B4010303020000"}, 20,
			[]string{"Mod:all::Modulo forms"}},
		{"modulo size misses", pkt{len: 50, ttl: 120, win: 1024, opts: "020405B4010303020000"}, 20, nil},
		{"modulo scale misses", pkt{len: 48, ttl: 120, win: 1024, opts: "020405B4010303030000"}, 20, nil},
		{"dot matches any options", pkt{len: 40, ttl: 250, win: 7, opts: "01010101"}, 20,
			[]string{"Any:opts::No option checked"}},
		{"broken options still try dot", pkt{len: 40, ttl: 250, win: 7, opts: "0800"}, 20,
			[]string{"Any:opts::No option checked"}},
		{"exact window and mss", pkt{len: 44, ttl: 60, win: 1024, opts: optsMSS}, 20,
			[]string{"Exact:window::Exact window"}},
		{"S window needs MSS first", pkt{len: 44, ttl: 60, win: 2920, opts: "01020405B4"}, 20, nil},
		{"S window with MSS first", pkt{len: 44, ttl: 60, win: 2920, opts: "020405B401"}, 20, nil},
		{"unchecked items", pkt{len: 44, ttl: 60, win: 2048, opts: "0101020405B4"}, 20,
			[]string{"Unchecked:items::E and ?n are not checked"}},
		{"empty OS text kept", pkt{len: 44, ttl: 60, win: 4096, opts: optsMSS}, 20, []string{""}},
		{"not SYN", pkt{len: 60, df: true, ttl: 50, win: 5840, opts: optsLinux, flags: "ACK"}, 20, nil},
		{"no options", pkt{len: 40, ttl: 250, win: 7}, 20, nil},
		{"IPv6 is not fingerprinted", pkt{v6: true, ttl: 250, win: 7, opts: "01010101"}, 20, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := db.Match(tc.p.packet(t), tc.maxHops)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Match = %q; want %q", got, tc.want)
			}
		})
	}
}

// TestPFFirstOption pins psad's "first option only" rule for S windows.
func TestPFFirstOption(t *testing.T) {
	db, err := ParsePF(strings.NewReader("S2:64:0:*:*:\tFirst:opt::x\n"), "t")
	if err != nil {
		t.Fatal(err)
	}
	if got := db.Match(pkt{ttl: 60, win: 2920, opts: "020405B4"}.packet(t), 20); len(got) != 1 {
		t.Errorf("MSS first: %q", got)
	}
	if got := db.Match(pkt{ttl: 60, win: 2920, opts: "01020405B4"}.packet(t), 20); len(got) != 0 {
		t.Errorf("MSS second: %q", got)
	}
}

func TestPFNoAllocs(t *testing.T) {
	skipUnless(t, psadPFOS)
	db, err := LoadPF(psadPFOS)
	if err != nil {
		t.Fatal(err)
	}
	p := pkt{len: 48, df: true, ttl: 120, win: 65535, opts: "020405B401010402"}.packet(t)
	buf := make([]string, 0, 16)
	if n := testing.AllocsPerRun(100, func() { buf = db.AppendMatch(buf[:0], p, 20) }); n != 0 {
		t.Errorf("AppendMatch allocates %v times", n)
	}
}

func BenchmarkPF(b *testing.B) {
	skipUnless(b, psadPFOS)
	db, err := LoadPF(psadPFOS)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		p    pkt
	}{
		{"linux", pkt{len: 60, df: true, ttl: 60, win: 5840, opts: optsSpecLinux}},
		{"windows", pkt{len: 48, df: true, ttl: 120, win: 65535, opts: "020405B401010402"}},
	} {
		p := bc.p.packet(b)
		b.Run(bc.name+"/AppendMatch", func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]string, 0, 16)
			for b.Loop() {
				buf = db.AppendMatch(buf[:0], p, 20)
			}
			sinkStrings = buf
		})
		b.Run(bc.name+"/Match", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkStrings = db.Match(p, 20)
			}
		})
	}
}

var sinkStrings []string

const orderPF = `S4:64:1:*:M*:	A:any:1:any size
S4:64:1:60:M*:	B:exact:2:exact size
S4:64:1:%4:M*:	C:mod:3:modulo size
S4:64:1:60:M1460:	D:exact:4:exact again
`

// TestPFSizeIndexLikeScan: the size index gives what a scan of every
// signature in file order gives, OS texts in the same order, on the tiny
// file and (when installed) psad's.
func TestPFSizeIndexLikeScan(t *testing.T) {
	dbs := map[string]*PFDB{}
	tiny, err := ParsePF(strings.NewReader(tinyPF), "tiny")
	if err != nil {
		t.Fatal(err)
	}
	dbs["tiny"] = tiny
	// Exact and other sizes interleaved: the OS texts keep file order.
	order, err := ParsePF(strings.NewReader(orderPF), "order")
	if err != nil {
		t.Fatal(err)
	}
	dbs["order"] = order
	want := []string{"A:any:1:any size", "B:exact:2:exact size", "C:mod:3:modulo size", "D:exact:4:exact again"}
	if got := order.Match(pkt{len: 60, df: true, ttl: 64, win: 5840, opts: optsMSS}.packet(t), 20); !slices.Equal(got, want) {
		t.Errorf("order: Match = %q, want %q", got, want)
	}
	if psad, err := LoadPF(psadPFOS); err == nil {
		dbs["psad"] = psad
	}
	optSets := []string{optsSpecLinux, optsMSS, "020405B40402080A000000000000000001030300", "020405B401010402",
		"020405B4010303070402080A0000000000000000", "0204059C"}
	rng := rand.New(rand.NewPCG(3, 4))
	for name, db := range dbs {
		scan := *db
		scan.bySize, scan.anySize = nil, nil
		for i := range db.sigs {
			scan.anySize = append(scan.anySize, int32(i))
		}
		matched := 0
		for range 3000 {
			p := pkt{len: 40 + 4*rng.IntN(8), df: rng.IntN(2) == 0, ttl: []int{50, 60, 64, 120, 128, 250}[rng.IntN(6)],
				win: []int{512, 1024, 4096, 5840, 8192, 16384, 65535, 5840 * 2}[rng.IntN(8)], opts: optSets[rng.IntN(len(optSets))]}
			if rng.IntN(10) == 0 {
				p.len = 41 + rng.IntN(100)
			}
			pk := p.packet(t)
			got, want := db.Match(pk, 20), scan.Match(pk, 20)
			if !slices.Equal(got, want) {
				t.Fatalf("%s: %+v: indexed %q, scan %q", name, p, got, want)
			}
			if len(got) > 0 {
				matched++
			}
		}
		if matched == 0 {
			t.Errorf("%s: no packet matched anything; the comparison says nothing", name)
		}
	}
}
