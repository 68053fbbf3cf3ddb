package logsrc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/psadgo/psad/internal/loggen"
)

// journalJSON turns n lines of the busy-firewall generator into the
// records `journalctl -k -o json` prints for them, with the fields a real
// kernel record carries.
func journalJSON(tb testing.TB, n int) []byte {
	tb.Helper()
	var log bytes.Buffer
	if err := loggen.Mixed(&log, n, 1); err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(&log)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for i := 0; sc.Scan(); i++ {
		line := sc.Text()
		msg := line
		if j := bytes.Index([]byte(line), []byte("kernel: ")); j >= 0 {
			msg = line[j+len("kernel: "):]
		}
		m, _ := json.Marshal(msg)
		fmt.Fprintf(&out, `{"__CURSOR":"s=6c2f0d1a9b7e4c3d8f1a2b3c4d5e6f70;i=%x;b=0f1e2d3c4b5a69788796a5b4c3d2e1f0;m=%x;t=%x;x=1a2b3c4d5e6f7081","__REALTIME_TIMESTAMP":"%d","__MONOTONIC_TIMESTAMP":"%d","__SEQNUM":"%d","__SEQNUM_ID":"6c2f0d1a9b7e4c3d8f1a2b3c4d5e6f70","_BOOT_ID":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","_TRANSPORT":"kernel","PRIORITY":"4","SYSLOG_FACILITY":"0","SYSLOG_IDENTIFIER":"kernel","_SOURCE_MONOTONIC_TIMESTAMP":"%d","_MACHINE_ID":"5d4c3b2a19081726354453627180a9b8","_HOSTNAME":"fw","_RUNTIME_SCOPE":"system","MESSAGE":%s}`+"\n",
			i, 1000000+i, 1700000000000000+i, 1700000000000000+i, 1000000+i, i, 999000+i, m)
	}
	return out.Bytes()
}

// BenchmarkReadJournal is the daemon's journal input without journalctl:
// decoding its JSON records and writing each as the syslog line the
// parser reads.
func BenchmarkReadJournal(b *testing.B) {
	data := journalJSON(b, 20000)
	lines := bytes.Count(data, []byte("\n"))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		n := 0
		var line []byte
		readJournal(context.Background(), bytes.NewReader(data), func(r JournalRecord) {
			line = JournalLine(line[:0], r)
			n++
		})
		if n == 0 {
			b.Fatal("no records")
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(0, "ns/op")
}
