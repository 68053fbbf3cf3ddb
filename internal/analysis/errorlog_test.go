package analysis

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestErrorLogSavesEveryLine: the malformed lines reach fwerrorlog in
// order, buffered, once the summary or close has run.
func TestErrorLogSavesEveryLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "errs", "fwerrorlog")
	e := newErrorLog(path, false)
	var want strings.Builder
	for i := range 5000 {
		line := strings.Repeat("x", i%300) + " IN=eth0 bad"
		e.add("log", i+1, []byte(line), errors.New("bad"))
		want.WriteString(line + "\n")
	}
	var sum bytes.Buffer
	e.summary(&sum)
	e.close()
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want.String() {
		t.Errorf("fwerrorlog holds %d bytes (%v), want %d", len(got), err, want.Len())
	}
	if !strings.Contains(sum.String(), "5000 malformed firewall log lines, appended to "+path) {
		t.Errorf("summary:\n%s", sum.String())
	}
}

// TestErrorLogWriteFailure: a failed write is said in the summary, not
// lost in silence.
func TestErrorLogWriteFailure(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	e := newErrorLog("/dev/full", false)
	e.add("log", 1, []byte("bad line"), errors.New("bad"))
	var sum bytes.Buffer
	e.summary(&sum)
	e.close()
	if !strings.Contains(sum.String(), "not all saved (write /dev/full: no space left on device)") {
		t.Errorf("summary:\n%s", sum.String())
	}
}
