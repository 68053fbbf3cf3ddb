package source

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// The test binary doubles as a fake journalctl (the helper-process
// pattern of golang/go src/os/exec/exec_test.go): with SOURCE_FAKE_JOURNALCTL
// set, TestMain runs the named scenario instead of the tests.
const fakeEnv = "SOURCE_FAKE_JOURNALCTL"

func TestMain(m *testing.M) {
	if s := os.Getenv(fakeEnv); s != "" {
		os.Exit(fakeJournalctl(s, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// journalMsgs are the kernel records the fake journal holds; record i
// has cursor "s=ab;i=<i+1>".
var journalMsgs = []string{
	"DROP IN=eth0 OUT= SRC=192.0.2.1 DST=198.51.100.1 PROTO=TCP SPT=1 DPT=22 SYN ",
	"DROP IN=eth0 OUT= SRC=192.0.2.2 DST=198.51.100.1 PROTO=TCP SPT=1 DPT=23 SYN ",
	"e1000e eth0: NIC Link is Up",
	"DROP IN=eth0 OUT= SRC=192.0.2.4 DST=198.51.100.1 PROTO=UDP SPT=1 DPT=53 ",
}

// journalRecord is record i as journalctl -o export writes it.
func journalRecord(i int, msg string) string {
	return fmt.Sprintf("__CURSOR=s=ab;i=%d\n__REALTIME_TIMESTAMP=%d\n_HOSTNAME=fw\n_TRANSPORT=kernel\nSYSLOG_FACILITY=0\nMESSAGE=%s\n\n",
		i, time.Date(2026, 3, 1, 20, 0, i, 0, time.Local).UnixMicro(), msg)
}

// fakeJournalctl prints the records after --after-cursor (all with -n 0:
// the fake journal is empty when the reader starts, and these are logged
// after), a forged one among them, then a marker record; then, like
// journalctl -f, it waits to be killed. Scenario "exit" exits instead
// when started without a cursor.
func fakeJournalctl(scenario string, args []string) int {
	after := 0
	for _, a := range args {
		if c, ok := strings.CutPrefix(a, "--after-cursor=s=ab;i="); ok {
			fmt.Sscan(c, &after)
		}
	}
	for i, m := range journalMsgs {
		if i+1 > after {
			fmt.Print(journalRecord(i+1, m))
		}
		if i == 1 {
			fmt.Print("__CURSOR=s=ab;i=99\n_TRANSPORT=syslog\nSYSLOG_IDENTIFIER=kernel\nMESSAGE=DROP IN=eth0 OUT= forged\n\n")
		}
	}
	if scenario == "exit" && after == 0 {
		return 1
	}
	fmt.Print(journalRecord(100, fmt.Sprintf("marker after %d", after)))
	time.Sleep(time.Minute) // killed by the reader
	return 0
}

func newJournal(t *testing.T, scenario string, restart time.Duration, pos []byte) *Journal {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(fakeEnv, scenario)
	t.Setenv("GORACE", "atexit_sleep_ms=0") // the race runtime otherwise lingers 1s at exit
	j := NewJournal(JournalConfig{Command: exe, Restart: restart}, nil)
	if err := j.Resume(pos); err != nil {
		t.Fatalf("Resume(%q): %v", pos, err)
	}
	return j
}

func journalWant(from, marker int) []string {
	var want []string
	for i := from; i < len(journalMsgs); i++ {
		want = append(want, time.Date(2026, 3, 1, 20, 0, i+1, 0, time.Local).Format(time.Stamp)+" fw kernel: "+journalMsgs[i])
	}
	return append(want, time.Date(2026, 3, 1, 20, 0, 100, 0, time.Local).Format(time.Stamp)+fmt.Sprintf(" fw kernel: marker after %d", marker))
}

func TestJournal(t *testing.T) {
	j := newJournal(t, "records", 0, nil)
	r := start(t, j)
	all := r.next(t, len(journalMsgs)+1)
	r.stop(t)
	equal(t, "lines", lines(all), journalWant(0, 0))
	if n := j.Rejected(); n != 1 {
		t.Errorf("Rejected() = %d, want 1", n)
	}
	for i, g := range all[:len(journalMsgs)] {
		if want := fmt.Sprintf("\x01js=ab;i=%d", i+1); string(g.pos) != want {
			t.Errorf("line %d: pos %q, want %q", i, g.pos, want)
		}
	}
	for k := range len(journalMsgs) {
		t.Run(fmt.Sprint("resume after ", k), func(t *testing.T) {
			r := start(t, newJournal(t, "records", 0, all[k].pos))
			equal(t, "resumed", lines(r.next(t, len(journalMsgs)-k)), journalWant(k+1, k+1))
		})
	}
	t.Run("legacy", func(t *testing.T) {
		r := start(t, newJournal(t, "records", 0, []byte(`"s=ab;i=3"`)))
		equal(t, "resumed", lines(r.next(t, 2)), journalWant(3, 3))
	})
}

// TestJournalRestart checks that journalctl is started again after it
// exits, after the last record read.
func TestJournalRestart(t *testing.T) {
	r := start(t, newJournal(t, "exit", time.Millisecond, nil))
	got := r.next(t, len(journalMsgs)+1)
	want := journalWant(0, len(journalMsgs))
	equal(t, "lines", lines(got), want)

	j := newJournal(t, "exit", 0, nil)
	err := j.Run(t.Context(), func(line, pos []byte) bool { return true })
	if err == nil || !strings.Contains(err.Error(), "exit status 1") {
		t.Errorf("Run without restart = %v, want the exit status", err)
	}
}

func TestJournalMalformedPosition(t *testing.T) {
	j := NewJournal(JournalConfig{}, nil)
	checkMalformed(t, j, append(garbage,
		[]byte(`"unterminated`),
		[]byte{posVersion, kindJournal},
		[]byte{posVersion, kindFile, 1, 2, 3},
	)...)
	if err := j.Resume([]byte(`"s=ab;i=3"`)); err != nil || errors.Is(err, ErrPosition) {
		t.Errorf("legacy cursor: %v", err)
	}
}
