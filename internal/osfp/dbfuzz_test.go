package osfp

import (
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"
)

// dbFuzzPackets are SYNs of several shapes the parsed databases are
// matched against: a database that loads must match without a panic.
func dbFuzzPackets(t testing.TB) []*fwlog.Packet {
	return []*fwlog.Packet{
		pkt{ttl: 64, id: 1, df: true, win: 64240, opts: optsLinux}.packet(t),
		pkt{ttl: 128, id: 2, win: 65535, opts: optsWindows}.packet(t),
		pkt{ttl: 52, id: 3, win: 1024, opts: optsMSS}.packet(t),
		pkt{ttl: 250, id: 4, win: 512}.packet(t),
		pkt{ttl: 60, id: 5, win: 512, len: 44}.packet(t),
	}
}

// FuzzParsePosf checks that a posf file of any text (POSF_FILE is read
// at start-up and on every reload) loads or is refused without a
// panic, and that what loads guesses from SYNs without one.
func FuzzParsePosf(f *testing.F) {
	f.Add(tinyPosf)
	f.Add("OS x;\nNUMPKTS 1;\nTOS 0x00;\nLEN 44;\nTTL 64;\nID RANDOM;\nWINDOW 512;\n")
	pkts := dbFuzzPackets(f)
	f.Fuzz(func(t *testing.T, text string) {
		db, err := ParsePosf(strings.NewReader(text), "fuzz")
		if err != nil {
			return
		}
		var st PosfState
		for range 3 {
			for _, p := range pkts {
				db.Observe(&st, p)
			}
		}
	})
}

// FuzzParsePF does the same for pf.os (p0f v2 signatures, PF_FILE).
func FuzzParsePF(f *testing.F) {
	f.Add(tinyPF)
	f.Add(orderPF)
	f.Add("S2:64:0:*:*:\tFirst:opt::x\n")
	pkts := dbFuzzPackets(f)
	f.Fuzz(func(t *testing.T, text string) {
		db, err := ParsePF(strings.NewReader(text), "fuzz")
		if err != nil {
			return
		}
		for _, p := range pkts {
			db.AppendMatch(nil, p, 30)
		}
	})
}
