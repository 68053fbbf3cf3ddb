package scan

import (
	"net/netip"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"
)

func TestStyle(t *testing.T) {
	const (
		xmas = fwlog.FlagURG | fwlog.FlagPSH | fwlog.FlagFIN
		osp  = fwlog.FlagURG | fwlog.FlagPSH | fwlog.FlagSYN | fwlog.FlagFIN
		cwr  = fwlog.FlagCWR | fwlog.FlagECE | fwlog.FlagSYN
	)
	tcp := func(n int, f fwlog.TCPFlags) []fwlog.Packet {
		var ps []fwlog.Packet
		for i := 0; i < n; i++ {
			ps = append(ps, pkt("10.1.1.1", "10.2.2.2", fwlog.ProtoTCP, 100+i, f))
		}
		return ps
	}
	cat := func(parts ...[]fwlog.Packet) (all []fwlog.Packet) {
		for _, p := range parts {
			all = append(all, p...)
		}
		return all
	}
	udp := []fwlog.Packet{pkt("10.1.1.1", "10.2.2.2", fwlog.ProtoUDP, 200, 0)}
	var protos []fwlog.Packet
	for _, n := range []uint8{2, 47, 50, 51} {
		protos = append(protos, pkt("10.1.1.1", "10.2.2.2", n, -1, 0))
	}
	topera := tcp(3, fwlog.FlagSYN)
	for i := range topera {
		topera[i].Topera = true
		topera[i].IPv6 = true
	}
	tests := []struct {
		name string
		pkts []fwlog.Packet
		want string
	}{
		{"NULL", tcp(5, 0), "Nmap -sN scan"},
		{"OS probe", tcp(5, osp), "Nmap -O scan"},
		{"no label (psad's two blanks)", tcp(5, cwr), "Nmap  scan"},
		{"ACK scan", tcp(5, fwlog.FlagACK), "Nmap -sA scan"},
		{"mixed", cat(tcp(5, fwlog.FlagSYN), tcp(1, xmas), tcp(1, 0), tcp(1, fwlog.FlagFIN), udp),
			"Nmap -sT or -sS scan, -sF scan, -sN scan, -sX scan, -sU scan"},
		{"protocol scan", cat(protos, udp), "Nmap -sO IP protocol scan, -sU scan"},
		{"Topera", topera, "Topera SYN scan"},
		{"UDP only", cat(udp, udp), "-sU scan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTracker(DefaultSettings())
			for i := range tt.pkts {
				tr.Observe(t0, &tt.pkts[i])
			}
			tr.EndBatch()
			pair := tr.Source(netip.MustParseAddr("10.1.1.1")).Dst(netip.MustParseAddr("10.2.2.2"))
			if got := tr.Style(pair); got != tt.want {
				t.Errorf("style %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStyleSweep(t *testing.T) {
	tr := NewTracker(DefaultSettings())
	for i := 1; i <= 10; i++ {
		p := syn("10.1.1.1", netip.AddrFrom4([4]byte{10, 2, 2, byte(i)}).String(), 1083)
		tr.Observe(t0, &p)
	}
	tr.EndBatch()
	pair := tr.Source(netip.MustParseAddr("10.1.1.1")).Dst(netip.MustParseAddr("10.2.2.1"))
	if got := tr.Style(pair); got != "Port sweep SYN scan" {
		t.Errorf("style %q, want %q", got, "Port sweep SYN scan")
	}
}
