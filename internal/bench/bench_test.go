package bench

import (
	"bytes"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/psadgo/psad/internal/detecttest"
)

// TestBenchRunsFullEngine: -B on a log with a signature match must run
// the signature engine (the match count is not zero) and report lines/s.
func TestBenchRunsFullEngine(t *testing.T) {
	set := detecttest.Settings(t)
	var out, errb bytes.Buffer
	code := Run(Setup{
		Settings: set, Input: filepath.Join("..", "..", "testdata", "logs", "ms_sql_server_sig_match.log"),
		Stdout: &out, Stderr: &errb,
	})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, re := range []string{
		`Engines: \d+ signatures.*; [1-9]\d* signature matches\.`,
		`Processed \d+ lines in [0-9.]+ s: \d+ lines/s\.`,
	} {
		if !regexp.MustCompile(re).MatchString(out.String()) {
			t.Errorf("output lacks %s:\n%s", re, out.String())
		}
	}
}
