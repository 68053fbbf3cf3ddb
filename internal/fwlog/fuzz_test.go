package fwlog

import (
	"testing"
)

// FuzzParse checks that Parse never panics and that every accepted line,
// rendered again by AppendLine and re-parsed, gives the same Packet.
func FuzzParse(f *testing.F) {
	for _, s := range []string{lineSYNOpts, lineUDP, lineV6TCP, lineICMP, lineNftAll, base} {
		f.Add([]byte(s))
	}
	first := NewParser(Options{StripKernelTS: true, SIDMarker: []byte("SID")})
	// The re-render carries the already stripped prefix; stripping again
	// would remove a second stamp.
	again := NewParser(Options{SIDMarker: []byte("SID")})
	f.Fuzz(func(t *testing.T, line []byte) {
		var p, q Packet
		if first.Parse(line, &p) != nil {
			return
		}
		out := AppendLine(nil, &p)
		if err := again.Parse(out, &q); err != nil {
			t.Fatalf("re-parse failed: %v\nin:  %q\nout: %q", err, line, out)
		}
		if d := diffPacket(&q, &p); d != "" {
			t.Fatalf("re-parsed packet differs:%s\nin:  %q\nout: %q", d, line, out)
		}
	})
}
