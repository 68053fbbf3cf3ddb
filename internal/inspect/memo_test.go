package inspect

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"

	"github.com/psadgo/psad/internal/osfp"
)

// TestMemoKeepsKeysApart: a key is only ever answered with its own
// result, also when another key takes its slot, and every field of the
// key counts.
func TestMemoKeepsKeysApart(t *testing.T) {
	var m fpMemo
	a := fpKey{ttl: 64, ipLen: 60, win: 29200, nopts: 20, df: true}
	copy(a.opts[:], "020405b40402080a")
	ra := fpResult{guess: osfp.Guess{Label: "Linux"}, ok: true}
	m.put(&a, ra)
	if r, ok := m.get(&a); !ok || r.guess.Label != "Linux" {
		t.Fatalf("get after put: %v %v", r, ok)
	}
	// Keys that differ from a in one field each.
	variants := []func(*fpKey){
		func(k *fpKey) { k.ttl++ }, func(k *fpKey) { k.ipLen++ }, func(k *fpKey) { k.win++ },
		func(k *fpKey) { k.tos++ }, func(k *fpKey) { k.tc++ }, func(k *fpKey) { k.df = false },
		func(k *fpKey) { k.v6 = true }, func(k *fpKey) { k.flags++ }, func(k *fpKey) { k.ipid = 1 },
		func(k *fpKey) { k.flow = 1 }, func(k *fpKey) { k.seq = 1 }, func(k *fpKey) { k.ack = 1 },
		func(k *fpKey) { k.opts[39] = 1 }, func(k *fpKey) { k.nopts++ }, func(k *fpKey) { k.ipOptsLen++ },
	}
	for i, change := range variants {
		b := a
		change(&b)
		if _, ok := m.get(&b); ok {
			t.Errorf("variant %d: answered with another key's result", i)
		}
	}
	// A key that falls on a's slot takes it; a is then not answered.
	b := a
	for b.ttl = 0; b.hash()%memoSlots != a.hash()%memoSlots || b == a; b.ttl++ {
	}
	m.put(&b, fpResult{guess: osfp.Guess{Label: "Windows"}, ok: true})
	if r, ok := m.get(&a); ok {
		t.Errorf("a answered with %v after b took its slot", r)
	}
	if r, ok := m.get(&b); !ok || r.guess.Label != "Windows" {
		t.Errorf("b: %v %v", r, ok)
	}
}

// TestMemoKeyTimestampClasses: SYNs whose memo keys are equal get equal
// fingerprints from both methods (psad's pf.os and p0f v3), among SYNs
// whose timestamp options carry fresh values, zeros, or sit in option
// texts either decoder reads oddly (cut-off options, bad lengths, EOL
// padding, digits that are not hex, lower case). A key that kept too
// little of the options fails here; one that kept the values would fail
// the count of distinct keys at the end.
func TestMemoKeyTimestampClasses(t *testing.T) {
	engines := tsEngines(t)

	rng := rand.New(rand.NewPCG(1, 2))
	ts := func() string {
		switch rng.IntN(5) {
		case 0:
			return "00000000"
		case 4: // zero in its first half
			return fmt.Sprintf("0000%04x", rng.IntN(1<<16))
		case 1:
			return fmt.Sprintf("%08x", rng.Uint32()|1)
		case 2:
			return fmt.Sprintf("%08X", rng.Uint32()|1<<31)
		}
		return fmt.Sprintf("%08X", rng.Uint32())
	}
	pieces := []func() string{
		func() string { return "020405B4" }, func() string { return "020405a0" },
		func() string { return "0402" }, func() string { return "01" }, func() string { return "030307" },
		func() string { return "080A" + ts() + ts() }, func() string { return "080a" + ts() + ts() },
		func() string { return "0808" + ts()[:4] + ts()[:8] },                                                  // wrong length
		func() string { return "080C" + ts() + ts() + "0000" },                                                 // long
		func() string { return "00" }, func() string { return "0001" }, func() string { return "080A" + ts() }, // cut off
		func() string { return "0G" }, func() string { return "0" },
	}
	var pkts []*fwlog.Packet
	for range 20000 {
		var o strings.Builder
		switch rng.IntN(3) {
		case 0: // a Linux SYN, its timestamp fresh or zero
			o.WriteString("020405B40402080A" + ts() + ts() + "01030307")
		default:
			for range 1 + rng.IntN(5) {
				o.WriteString(pieces[rng.IntN(len(pieces))]())
			}
		}
		var p fwlog.Packet
		p.Reset()
		p.Src, p.Dst = netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
		p.Proto, p.HasProto, p.Flags = fwlog.ProtoTCP, true, fwlog.FlagSYN
		p.IPLen, p.TTL, p.DF, p.IPID = 60, 60+rng.IntN(5), true, 1+rng.IntN(3)
		p.Window = []int{5840, 64240, 1460 * 4, (1460 - 12) * 4}[rng.IntN(4)]
		p.TCPOpts = []byte(o.String())
		pkts = append(pkts, &p)
	}
	for name, e := range engines {
		first := map[fpKey]*fwlog.Packet{}
		for _, p := range pkts {
			k, ok := keyFor(p)
			if !ok {
				continue
			}
			q, seen := first[k]
			if !seen {
				first[k] = p
				continue
			}
			if a, b := e.fingerprintOf(q), e.fingerprintOf(p); !reflect.DeepEqual(a, b) {
				t.Fatalf("%s: one key, two fingerprints:\n%s: %+v\n%s: %+v", name, q.TCPOpts, a, p.TCPOpts, b)
			}
		}
		if len(first) > len(pkts)/2 {
			t.Errorf("%s: %d keys for %d SYNs: timestamp values still in the key", name, len(first), len(pkts))
		}
	}
}

// tsEngines are fingerprint engines whose databases tell timestamps
// apart by class: inline pf.os lines with "T" and "T0" items (and psad's
// pf.os when installed), an inline p0f v3 file with the ts1-, ts2+ and
// bad quirks and a window that is a multiple of the MSS less a
// timestamp, and the built-in p0f v3 file.
func tsEngines(tb testing.TB) map[string]*Engines {
	tb.Helper()
	pf, err := osfp.ParsePF(strings.NewReader(
		"S4:64:1:60:M*,S,T,N,W7:\tTsSet:x::TSval set\n"+
			"S4:64:1:60:M*,S,T0,N,W7:\tTsZero:x::TSval zero\n"+
			"*:64:1:*:T0:\tTsFirst:x::timestamp first\n"+
			"*:64:1:*:T:\tTsFirstSet:x::timestamp first, set\n"+
			"*:64:*:*:.:\tAny:x::anything\n"), "t")
	if err != nil {
		tb.Fatal(err)
	}
	v3, err := osfp.ParseP0F(strings.NewReader(`[tcp:request]
label = s:unix:TsZero:
sig   = *:64:0:*:*,*:mss,sok,ts,nop,ws:df,id+,ts1-:0
label = s:unix:TsEcr:
sig   = *:64:0:*:*,*:mss,sok,ts,nop,ws:df,id+,ts2+:0
label = s:unix:MssLessTs:
sig   = *:64:0:*:mss*4,7:mss,sok,ts,nop,ws:df,id+:0
label = s:unix:Bad:
sig   = *:64:0:*:*,*:mss,sok,ts,nop,ws:df,id+,bad:0
label = g:unix:Generic:
sig   = *:64:0:*:*,*:mss,sok,ts,nop,ws:df,id+:0
`), "t.fp")
	if err != nil {
		tb.Fatal(err)
	}
	engines := map[string]*Engines{
		"pf inline":       {PF: pf, MaxHops: 20},
		"p0f v3 inline":   {P0F: v3, MaxHops: 20},
		"p0f v3 built-in": {P0F: osfp.DefaultP0F(), MaxHops: 20},
	}
	if real, err := osfp.LoadPF("/etc/psad/pf.os"); err == nil {
		engines["pf /etc/psad/pf.os"] = &Engines{PF: real, MaxHops: 20}
	} else {
		tb.Logf("psad's pf.os not installed (%v): the inline pf.os only", err)
	}
	return engines
}
