package inspect

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/osfp"
	"github.com/psadgo/psad/internal/scan"
)

// TestPosfStateOnlyForSYNs: a source keeps no posf state until it sends
// a packet posf counts (an IPv4 SYN without TCP options), so the UDP,
// ICMP and ACK sources of a busy log or a flood carry none; the guess
// from its SYNs is the same as before.
func TestPosfStateOnlyForSYNs(t *testing.T) {
	db, err := osfp.ParsePosf(strings.NewReader("OS Small;\nNUMPKTS 2;\nTOS 0x00;\nLEN 44;\nTTL 64;\nID SMALLINCR;\nWINDOW 512;\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	e := &Engines{Posf: db}
	src, pair := &scan.Source{}, &scan.Pair{}
	pkt := func(proto uint8, flags fwlog.TCPFlags, opts string, id int) *fwlog.Packet {
		var p fwlog.Packet
		p.Reset()
		p.Src, p.Dst = netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
		p.Proto, p.HasProto, p.Flags, p.TCPOpts = proto, true, flags, []byte(opts)
		p.IPLen, p.TTL, p.IPID, p.Window = 44, 60, id, 512
		return &p
	}
	for _, p := range []*fwlog.Packet{pkt(fwlog.ProtoUDP, 0, "", 1), pkt(fwlog.ProtoICMP, 0, "", 2),
		pkt(fwlog.ProtoTCP, fwlog.FlagACK, "", 3), pkt(fwlog.ProtoTCP, fwlog.FlagSYN, "020405B4", 4)} {
		e.Fingerprint(p, src, pair)
	}
	if src.OS() != nil {
		t.Fatalf("OS state %+v kept for a source that sent no plain SYN", src.OS())
	}
	e.Fingerprint(pkt(fwlog.ProtoTCP, fwlog.FlagSYN, "", 10), src, pair)
	if stateIn(src) == nil || src.PosfGuess() != "" {
		t.Fatalf("after one SYN: state %v, guess %q; want state and no guess yet", stateIn(src), src.PosfGuess())
	}
	e.Fingerprint(pkt(fwlog.ProtoTCP, fwlog.FlagSYN, "", 11), src, pair)
	if src.PosfGuess() != "Small" {
		t.Errorf("after two SYNs: guess %q, want Small", src.PosfGuess())
	}

	// A source with guesses of its own (saved state, the p0f method)
	// keeps them when posf's state is made for it.
	other := &scan.Source{}
	other.MakeOS().Guesses = []string{"Linux 2.6"}
	e.Fingerprint(pkt(fwlog.ProtoTCP, fwlog.FlagSYN, "", 20), other, pair)
	if stateIn(other) == nil || !slices.Equal(other.OSGuesses(), []string{"Linux 2.6"}) {
		t.Errorf("after a SYN: state %v, guesses %q; want state and the guesses kept", stateIn(other), other.OSGuesses())
	}
}
