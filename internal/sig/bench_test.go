package sig

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/loggen"
)

var sinkHits []Hit

// benchPackets are the packets of BenchmarkMatch: what a firewall log
// mostly holds.
func benchPackets() []struct {
	name string
	p    *fwlog.Packet
} {
	ext := func(p *fwlog.Packet) *fwlog.Packet {
		p.Src = mustAddr("203.0.113.9")
		p.Dst = mustAddr("192.168.10.1")
		return p
	}
	return []struct {
		name string
		p    *fwlog.Packet
	}{
		{"syn-1433", ext(tcpPkt(51000, 1433, syn))},
		{"syn-high", ext(tcpPkt(51000, 48123, syn))},
		{"udp-53", ext(udpPkt(5353, 53, 40))},
		{"icmp-echo", ext(icmpPkt(8, 0, 84))},
	}
}

// psadSet loads psad's shipped signatures, with its psad.conf's
// variables and HOME_NET a local network, or skips b when psad is not
// installed.
func psadSet(b *testing.B) *Set {
	path := "/etc/psad/signatures"
	if _, err := os.Stat(path); err != nil {
		b.Skipf("psad not installed: %v", err)
	}
	conf := filepath.Join(filepath.Dir(path), "psad.conf")
	vars := func(n string) (string, bool) {
		switch n {
		case "HOME_NET":
			return "192.168.10.0/24", true
		case "EXTERNAL_NET":
			return "any", true
		}
		return "", false
	}
	if _, err := os.Stat(conf); err == nil {
		get := psadConfVars(b, conf)
		inner := vars
		vars = func(n string) (string, bool) {
			if v, ok := inner(n); ok {
				return v, ok
			}
			return get(n)
		}
	}
	s, _, err := Load(path, Options{Vars: vars, Strict: true, PsadCompat: true})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkMatch runs Match, and beside it a naive evaluation of every
// signature, over psad's shipped signatures (when installed) and a
// synthetic 500-rule set.
func BenchmarkMatch(b *testing.B) {
	sets := []struct {
		name string
		load func(b *testing.B) *Set
	}{
		{"psad", psadSet},
		{"synthetic500", func(b *testing.B) *Set {
			return mustParse(b, snortOpts(), syntheticRules(500, 1)...)
		}},
	}
	for _, set := range sets {
		b.Run(set.name, func(b *testing.B) {
			s := set.load(b)
			for _, in := range benchPackets() {
				dst := make([]Hit, 0, 32)
				b.Run(in.name, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						dst = s.Match(in.p, dst[:0])
					}
					sinkHits = dst
				})
				b.Run(in.name+"/naive", func(b *testing.B) {
					b.ReportAllocs()
					s.matchNaive(in.p, nil) // fill the order cache
					for b.Loop() {
						dst = s.matchNaive(in.p, dst[:0])
					}
					sinkHits = dst
				})
			}
		})
	}
}

// BenchmarkMatchMixed runs Match over the packets of a 200,000-line busy
// firewall log from the project's generator: the mix of protocols, ports
// and addresses that -A meets, which the four packets of BenchmarkMatch
// do not show. The sets are the built-in one, with HOME_NET and
// EXTERNAL_NET "any" (psad.conf's defaults), and psad's (as
// BenchmarkMatch loads it).
func BenchmarkMatchMixed(b *testing.B) {
	var buf bytes.Buffer
	if err := loggen.Mixed(&buf, 200000, 1); err != nil {
		b.Fatal(err)
	}
	p := fwlog.NewParser(fwlog.Options{StripKernelTS: true})
	var pkts []fwlog.Packet
	for line := range bytes.Lines(buf.Bytes()) {
		var pkt fwlog.Packet
		if p.Parse(bytes.Clone(line), &pkt) == nil {
			pkts = append(pkts, pkt)
		}
	}
	builtin := func(b *testing.B) *Set {
		vars := func(n string) (string, bool) {
			if n == "HOME_NET" || n == "EXTERNAL_NET" {
				return "any", true
			}
			return testVars(n)
		}
		s, _, err := ParseDefault(Options{Vars: vars, Strict: true, PsadCompat: true})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	for _, set := range []struct {
		name string
		load func(b *testing.B) *Set
	}{{"builtin", builtin}, {"psad", psadSet}} {
		b.Run(set.name, func(b *testing.B) {
			s := set.load(b)
			dst := make([]Hit, 0, 32)
			b.ReportAllocs()
			for b.Loop() {
				for i := range pkts {
					dst = s.Match(&pkts[i], dst[:0])
				}
			}
			sinkHits = dst
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pkts)), "ns/pkt")
		})
	}
}
