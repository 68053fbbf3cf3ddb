package logsrc

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRealJournalctl reads a journal through the real journalctl: the
// records are written in the export format, stored by
// systemd-journal-remote into a journal directory the test owns, and
// Journal runs journalctl -k -f -o export on that directory. It checks
// what journalctl makes of each form of record (text and binary
// messages, the kernel transport with a user facility, a forged syslog
// record), and that resuming after a cursor journalctl gave starts with
// the next record.
func TestRealJournalctl(t *testing.T) {
	jctl, jdir, bootID := realJournal(t)
	base := time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC).UnixMicro()
	rec := func(i int64, fields ...string) string {
		head := []string{
			"__REALTIME_TIMESTAMP=" + strconv.FormatInt(base+i, 10), "__MONOTONIC_TIMESTAMP=" + strconv.FormatInt(1000000+i, 10),
			"_BOOT_ID=" + bootID, "_HOSTNAME=fw", "PRIORITY=4", "SYSLOG_IDENTIFIER=kernel",
		}
		return exportRecord(append(head, fields...)...)
	}
	msgs := []string{
		"DROP IN=eth0 OUT= SRC=192.0.2.1 DST=198.51.100.1 PROTO=TCP SPT=1 DPT=22 SYN ",
		"DROP\x01IN=eth0 OUT= SRC=192.0.2.2 DST=198.51.100.1 PROTO=TCP SPT=1 DPT=23 SYN ",
		"DROP\xff IN=eth0 OUT= SRC=192.0.2.3 DST=198.51.100.1 PROTO=UDP SPT=1 DPT=53 ",
	}
	export := rec(1, "_TRANSPORT=kernel", "SYSLOG_FACILITY=0", "MESSAGE="+msgs[0]) +
		rec(2, "_TRANSPORT=syslog", "SYSLOG_FACILITY=4", "MESSAGE=DROP IN=eth0 OUT= SRC=203.0.113.9 forged") +
		rec(3, "_TRANSPORT=kernel", "SYSLOG_FACILITY=1", "MESSAGE=DROP IN=eth0 OUT= SRC=203.0.113.10 from user space") +
		rec(4, "_TRANSPORT=kernel", "SYSLOG_FACILITY=0", "MESSAGE="+msgs[1]) +
		rec(5, "_TRANSPORT=kernel", "MESSAGE="+msgs[2])
	storeJournal(t, jdir, []byte(export))

	read := func(o JournalOptions, want int) ([]JournalRecord, int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var got []JournalRecord
		rejected, err := Journal(ctx, o, func(r JournalRecord) {
			got = append(got, cloneJournal(r))
			if len(got) == want {
				cancel()
			}
		})
		if err != nil {
			t.Fatalf("Journal: %v", err)
		}
		if len(got) != want {
			t.Fatalf("got %d records before the time-out, want %d: %s", len(got), want, fmtJournals(got))
		}
		return got, rejected
	}
	got, rejected := read(JournalOptions{Command: jctl, Args: []string{"--directory=" + jdir, "--lines=all"}}, 3)
	if rejected != 1 {
		t.Errorf("rejected %d, want 1 (the kernel transport with facility 1; -k leaves out the syslog one)", rejected)
	}
	for i, r := range got {
		if string(r.Msg) != msgs[i] || r.Host != "fw" || !r.Realtime.Equal(time.UnixMicro(base+[]int64{1, 4, 5}[i])) || len(r.Cursor) == 0 {
			t.Errorf("record %d = %s, want message %q from fw at %v with a cursor", i, fmtJournal(r), msgs[i], time.UnixMicro(base+[]int64{1, 4, 5}[i]))
		}
	}
	if t.Failed() {
		return
	}
	again, _ := read(JournalOptions{Command: jctl, Args: []string{"--directory=" + jdir}, AfterCursor: string(got[0].Cursor)}, 2)
	if !bytes.Equal(again[0].Msg, got[1].Msg) || !bytes.Equal(again[1].Msg, got[2].Msg) {
		t.Errorf("after the first record's cursor: %s, want the second and third", fmtJournals(again))
	}
}

// journalRemote stores export-format records into a journal file.
const journalRemote = "/lib/systemd/systemd-journal-remote"

// realJournal finds journalctl and systemd-journal-remote, or skips, and
// returns journalctl, an empty journal directory and this boot's id, which
// records must carry for journalctl -k to show them.
func realJournal(tb testing.TB) (jctl, dir, bootID string) {
	tb.Helper()
	jctl, err := exec.LookPath("journalctl")
	if err != nil {
		tb.Skip("journalctl not installed")
	}
	if _, err := os.Stat(journalRemote); err != nil {
		tb.Skip("systemd-journal-remote not installed (Debian: systemd-journal-remote): it builds the journal the test reads")
	}
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		tb.Skipf("no boot id: %v", err)
	}
	return jctl, tb.TempDir(), strings.ReplaceAll(strings.TrimSpace(string(boot)), "-", "")
}

// storeJournal has systemd-journal-remote store the records in dir.
func storeJournal(tb testing.TB, dir string, export []byte) {
	tb.Helper()
	in := filepath.Join(tb.TempDir(), "records.export")
	if err := os.WriteFile(in, export, 0o600); err != nil {
		tb.Fatal(err)
	}
	if out, err := exec.Command(journalRemote, "--output="+filepath.Join(dir, "remote.journal"), in).CombinedOutput(); err != nil {
		tb.Fatalf("systemd-journal-remote: %v\n%s", err, out)
	}
}
