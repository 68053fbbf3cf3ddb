package dshield

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
)

func TestReport(t *testing.T) {
	loc := time.FixedZone("X", -5*3600)
	now := time.Date(2026, 3, 11, 20, 35, 11, 0, loc)
	c := New("1234", 6*time.Hour, 0, now)
	var p fwlog.Packet
	p.Reset()
	p.Src, p.Dst = netip.MustParseAddr("192.0.2.55"), netip.MustParseAddr("198.51.100.1")
	p.Proto, p.HasProto, p.SrcPort, p.DstPort, p.Flags = fwlog.ProtoTCP, true, 56247, 1025, fwlog.FlagURG|fwlog.FlagPSH|fwlog.FlagFIN
	c.Add(now, &p)
	p.Proto, p.ICMPType, p.ICMPCode = fwlog.ProtoICMP, 8, 2
	c.Add(now, &p)
	if c.Due(now.Add(time.Hour)) {
		t.Error("due before the interval")
	}
	if !c.Due(now.Add(6 * time.Hour)) {
		t.Error("not due after the interval")
	}
	subj, body, n := c.Report(now, "2.4.6", nil)
	if subj != "FORMAT DSHIELD USERID 1234 TZ -05:00 psad Version 2.4" || n != 2 {
		t.Errorf("subject %q, %d records", subj, n)
	}
	want := "2026-03-11 20:35:11 -05:00\t1234\t1\t192.0.2.55\t56247\t198.51.100.1\t1025\ttcp\tURG,PSH,FIN\n" +
		"2026-03-11 20:35:11 -05:00\t1234\t1\t192.0.2.55\t8\t198.51.100.1\t2\ticmp\n"
	if string(body) != want {
		t.Errorf("body:\n%s\nwant:\n%s", body, want)
	}
	if c.Due(now.Add(7*time.Hour)) || !strings.Contains(c.Counters(), "total packets: 2") {
		t.Errorf("after report: due=%v counters %q", c.Due(now.Add(7*time.Hour)), c.Counters())
	}
	// DSHIELD_DL_THRESHOLD: only sources at or above it.
	c = New("1", time.Hour, 3, now)
	c.Add(now, &p)
	if _, body, n := c.Report(now, "2.4.6", func(netip.Addr) int { return 2 }); n != 0 || len(body) != 0 {
		t.Errorf("threshold 3 sent %d records", n)
	}
}
