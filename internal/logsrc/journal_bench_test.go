package logsrc

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/psadgo/psad/internal/loggen"
)

// journalExport turns n lines of the busy-firewall generator into the
// records `journalctl -k -o export` prints for them, with the fields a
// real kernel record carries.
func journalExport(tb testing.TB, n int, bootID string) []byte {
	tb.Helper()
	var log bytes.Buffer
	if err := loggen.Mixed(&log, n, 1); err != nil {
		tb.Fatal(err)
	}
	var out []byte
	sc := bufio.NewScanner(&log)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for i := 0; sc.Scan(); i++ {
		msg := sc.Bytes()
		if j := bytes.Index(msg, []byte("kernel: ")); j >= 0 {
			msg = msg[j+len("kernel: "):]
		}
		out = fmt.Appendf(out, "__CURSOR=s=6c2f0d1a9b7e4c3d8f1a2b3c4d5e6f70;i=%x;b=0f1e2d3c4b5a69788796a5b4c3d2e1f0;m=%x;t=%x;x=1a2b3c4d5e6f7081\n"+
			"__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n__SEQNUM=%d\n__SEQNUM_ID=6c2f0d1a9b7e4c3d8f1a2b3c4d5e6f70\n"+
			"_BOOT_ID=%s\n_TRANSPORT=kernel\nPRIORITY=4\nSYSLOG_FACILITY=0\nSYSLOG_IDENTIFIER=kernel\n"+
			"_SOURCE_MONOTONIC_TIMESTAMP=%d\n_MACHINE_ID=5d4c3b2a19081726354453627180a9b8\n_HOSTNAME=fw\n_RUNTIME_SCOPE=system\n",
			i, 1000000+i, 1700000000000000+int64(i), 1700000000000000+int64(i), 1000000+i, i, bootID, 999000+i)
		out = exportField(out, "MESSAGE", msg, !exportPrintable(msg))
		out = append(out, '\n')
	}
	return out
}

// BenchmarkReadJournal is the daemon's journal input without journalctl:
// reading its export records and writing each as the syslog line the
// parser reads.
func BenchmarkReadJournal(b *testing.B) {
	data := journalExport(b, 20000, "0f1e2d3c4b5a69788796a5b4c3d2e1f0")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	records := 0
	for range b.N {
		var line []byte
		readJournal(context.Background(), bytes.NewReader(data), func(r JournalRecord) {
			line = JournalLine(line[:0], r)
			records++
		})
	}
	if records != 20000*b.N {
		b.Fatalf("%d records, want %d", records, 20000*b.N)
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkRealJournalctl is the daemon's journal input end to end: the
// real journalctl -k -f -o export reading 20,000 kernel records from a
// journal that systemd-journal-remote stored, and readJournal turning
// them into syslog lines.
func BenchmarkRealJournalctl(b *testing.B) {
	jctl, jdir, bootID := realJournal(b)
	const n = 20000
	storeJournal(b, jdir, journalExport(b, n, bootID))
	b.ResetTimer()
	records := 0
	for range b.N {
		ctx, cancel := context.WithCancel(context.Background())
		got := 0
		var line []byte
		_, err := Journal(ctx, JournalOptions{Command: jctl, Args: []string{"--directory=" + jdir, "--lines=all"}}, func(r JournalRecord) {
			line = JournalLine(line[:0], r)
			if got++; got == n {
				cancel()
			}
		})
		cancel()
		if err != nil || got != n {
			b.Fatalf("%d records of %d: %v", got, n, err)
		}
		records += got
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(0, "ns/op")
}
