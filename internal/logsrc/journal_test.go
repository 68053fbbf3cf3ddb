package logsrc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as a fake journalctl (the helper-process
// pattern of golang/go src/os/exec/exec_test.go): with
// LOGSRC_FAKE_JOURNALCTL set it runs the named scenario instead of the
// tests. Journal's own arguments come first on its command line, so the
// switch is an environment variable rather than -test.run.
const fakeEnv = "LOGSRC_FAKE_JOURNALCTL"

func TestMain(m *testing.M) {
	if s := os.Getenv(fakeEnv); s != "" {
		os.Exit(fakeJournalctl(s, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeRecords are `journalctl -o export` records: what the kernel
// logged, and what a forger tried.
var fakeRecords = []string{
	exportRecord("__CURSOR=s=ab;i=1", "__REALTIME_TIMESTAMP=1709325311123456", "_HOSTNAME=fw", "_TRANSPORT=kernel", "SYSLOG_FACILITY=0", "PRIORITY=4", "MESSAGE=DROP IN=eth0 OUT= SRC=192.0.2.7 DST=198.51.100.1 PROTO=TCP SPT=1 DPT=22 SYN "),
	// logger -t kernel 'DROP IN=eth0 ...'
	exportRecord("__CURSOR=s=ab;i=2", "__REALTIME_TIMESTAMP=1709325312000000", "_HOSTNAME=fw", "_TRANSPORT=syslog", "SYSLOG_IDENTIFIER=kernel", "MESSAGE=DROP IN=eth0 OUT= SRC=203.0.113.9 DST=198.51.100.1 PROTO=TCP SPT=1 DPT=23 SYN "),
	exportRecord("__CURSOR=s=ab;i=3", "__REALTIME_TIMESTAMP=1709325313000000", "_HOSTNAME=fw", "_TRANSPORT=stdout", "MESSAGE=DROP IN=eth0 OUT="),
	// root writing to /dev/kmsg: transport kernel, but facility user.
	exportRecord("__CURSOR=s=ab;i=4", "__REALTIME_TIMESTAMP=1709325314000000", "_HOSTNAME=fw", "_TRANSPORT=kernel", "SYSLOG_FACILITY=1", "MESSAGE=DROP IN=eth0 OUT="),
	// A message with a control character: journalctl writes it binary.
	exportRecord("__CURSOR=s=ab;i=5", "__REALTIME_TIMESTAMP=1709325315000000", "_HOSTNAME=fw", "_TRANSPORT=kernel", "MESSAGE=DROP\x01IN="),
	"not the export format\n\n",
	exportRecord("__CURSOR=s=ab;i=6", "_TRANSPORT=kernel"),
	// A field present twice: the first counts.
	exportRecord("__CURSOR=s=ab;i=7", "__REALTIME_TIMESTAMP=1709325317000000", "_TRANSPORT=kernel", "MESSAGE=first", "MESSAGE=sec"),
}

func fakeJournalctl(scenario string, args []string) int {
	switch scenario {
	case "records":
		for _, r := range fakeRecords {
			fmt.Print(r)
		}
		return 0
	case "args":
		fmt.Print(exportRecord("_TRANSPORT=kernel", "MESSAGE="+strings.Join(args, " ")))
		return 0
	case "fail":
		fmt.Fprintln(os.Stderr, "Failed to get journal fields: no such file")
		return 1
	case "hang", "stubborn":
		if scenario == "stubborn" {
			signal.Ignore(syscall.SIGTERM)
		}
		fmt.Print(exportRecord("_TRANSPORT=kernel", fmt.Sprintf("MESSAGE=%d", os.Getpid())))
		time.Sleep(time.Minute)
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown scenario %q\n", scenario)
	return 2
}

// fakeJournal sets up o to run scenario.
func fakeJournal(t *testing.T, scenario string) JournalOptions {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(fakeEnv, scenario)
	t.Setenv("GORACE", "atexit_sleep_ms=0") // the race runtime otherwise lingers 1s at exit
	return JournalOptions{Command: exe}
}

func TestJournalFilter(t *testing.T) {
	var got []JournalRecord
	var lines []string
	rejected, err := Journal(context.Background(), fakeJournal(t, "records"), func(r JournalRecord) {
		lines = append(lines, string(JournalLine(nil, r)))
		r.Msg, r.Cursor = []byte(string(r.Msg)), []byte(string(r.Cursor))
		got = append(got, r)
	})
	if err == nil || !strings.Contains(err.Error(), "exit status 0") {
		t.Errorf("journalctl exiting: got error %v, want one saying it exited", err)
	}
	if rejected != 5 {
		t.Errorf("rejected = %d, want 5 (syslog, stdout, facility 1, not the format, no MESSAGE)", rejected)
	}
	want := []struct{ cursor, host, msg string }{
		{"s=ab;i=1", "fw", "DROP IN=eth0 OUT= SRC=192.0.2.7 DST=198.51.100.1 PROTO=TCP SPT=1 DPT=22 SYN "},
		{"s=ab;i=5", "fw", "DROP\x01IN="},
		{"s=ab;i=7", "", "first"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d: %q", len(got), len(want), lines)
	}
	for i, w := range want {
		if string(got[i].Cursor) != w.cursor || got[i].Host != w.host || string(got[i].Msg) != w.msg {
			t.Errorf("record %d = %q %q %q, want %q %q %q", i, got[i].Cursor, got[i].Host, got[i].Msg, w.cursor, w.host, w.msg)
		}
	}
	if ts := got[0].Realtime; !ts.Equal(time.UnixMicro(1709325311123456)) {
		t.Errorf("realtime = %v", ts)
	}
	wantLine := time.UnixMicro(1709325311123456).Format(time.Stamp) + " fw kernel: DROP IN=eth0"
	if !strings.HasPrefix(lines[0], wantLine) {
		t.Errorf("line = %q, want prefix %q", lines[0], wantLine)
	}
	if !strings.Contains(lines[2], " localhost kernel: first") {
		t.Errorf("line without host = %q", lines[2])
	}
}

func TestJournalArgs(t *testing.T) {
	tests := []struct {
		cursor, want string
	}{
		{"", "-k -f -o export -n 0 --extra"},
		{"s=ab;i=9", "-k -f -o export --after-cursor=s=ab;i=9 --extra"},
	}
	for _, tt := range tests {
		o := fakeJournal(t, "args")
		o.AfterCursor, o.Args = tt.cursor, []string{"--extra"}
		var got string
		Journal(context.Background(), o, func(r JournalRecord) { got = string(r.Msg) })
		if got != tt.want {
			t.Errorf("cursor %q: args %q, want %q", tt.cursor, got, tt.want)
		}
	}
}

func TestJournalFails(t *testing.T) {
	_, err := Journal(context.Background(), fakeJournal(t, "fail"), func(JournalRecord) {})
	if err == nil || !strings.Contains(err.Error(), "exit status 1") || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("got %v, want exit status 1 and journalctl's message", err)
	}
	_, err = Journal(context.Background(), JournalOptions{Command: "/nonexistent/journalctl"}, func(JournalRecord) {})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing command: got %v", err)
	}
}

// TestJournalCancel checks that cancelling ends Journal and the process,
// also one that ignores SIGTERM.
func TestJournalCancel(t *testing.T) {
	for _, scenario := range []string{"hang", "stubborn"} {
		t.Run(scenario, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			pid := make(chan int, 1)
			done := make(chan error, 1)
			o := fakeJournal(t, scenario)
			go func() {
				_, err := Journal(ctx, o, func(r JournalRecord) {
					n, _ := strconv.Atoi(string(r.Msg))
					pid <- n
				})
				done <- err
			}()
			var p int
			select {
			case p = <-pid:
			case <-time.After(5 * time.Second):
				t.Fatal("no record from the fake journalctl")
			}
			start := time.Now()
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Journal after cancel: %v", err)
				}
			case <-time.After(journalGrace + 2*time.Second):
				t.Fatal("Journal did not return after cancel")
			}
			t.Logf("returned %v after cancel", time.Since(start))
			// Journal has waited for it, so it is gone, not a zombie.
			if err := syscall.Kill(p, 0); !errors.Is(err, syscall.ESRCH) {
				t.Errorf("fake journalctl (pid %d) still exists: kill 0 = %v", p, err)
			}
		})
	}
}
