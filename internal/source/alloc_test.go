package source

import (
	"testing"
	"time"

	"github.com/psadgo/psad/internal/logsrc"
)

// TestLineNoAllocs checks that handing a line on (forgery check, line
// formatting, position encoding) allocates nothing once the input's
// buffers have grown: it runs for every line the daemon reads.
func TestLineNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	var sunk int
	sink := func(line, pos []byte) bool { sunk += len(line) + len(pos); return true }

	f := NewFile(FileConfig{Path: "/var/log/messages"}, nil)
	for name, line := range map[string][]byte{
		"kernel":  []byte(kernelLine(1)),
		"other":   []byte("Mar  1 20:35:11 fw sshd[42]: Accepted publickey"),
		"forgery": []byte("Mar  1 20:35:11 fw root: DROP IN=eth0 OUT= SRC=203.0.113.9"),
	} {
		p := logsrc.Pos{Dev: 2049, Inode: 131077, Offset: 1 << 30}
		if n := testing.AllocsPerRun(100, func() { f.line(line, p, sink) }); n != 0 {
			t.Errorf("file, %s line: %v allocs, want 0", name, n)
		}
	}

	k := NewKmsg(KmsgConfig{BootID: "9c1f6a52-8d7e-4a4b-9a55-3f3a6f0e2b11", Boot: time.Unix(1.7e9, 0), Host: "fw"}, nil)
	rec := logsrc.KmsgRecord{Seq: 123456, Usec: 98765432, Msg: []byte("DROP IN=eth0 OUT= SRC=192.0.2.1 DST=198.51.100.1 PROTO=TCP SPT=1 DPT=22 SYN ")}
	if n := testing.AllocsPerRun(100, func() { k.record(rec, sink) }); n != 0 {
		t.Errorf("kmsg: %v allocs, want 0", n)
	}

	j := NewJournal(JournalConfig{}, nil)
	jr := logsrc.JournalRecord{Cursor: []byte("s=0123456789abcdef;i=4d2;b=fedcba;m=12345;t=5f;x=abc"), Realtime: time.Unix(1.7e9, 0), Host: "fw", Msg: rec.Msg}
	if n := testing.AllocsPerRun(100, func() { j.record(jr, sink) }); n != 0 {
		t.Errorf("journal: %v allocs, want 0", n)
	}
}
