package sig

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"
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

// BenchmarkMatch runs Match, and beside it a naive evaluation of every
// signature, over psad's shipped signatures (when installed) and a
// synthetic 500-rule set.
func BenchmarkMatch(b *testing.B) {
	sets := []struct {
		name string
		load func(b *testing.B) *Set
	}{
		{"psad", func(b *testing.B) *Set {
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
		}},
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
