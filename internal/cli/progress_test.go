package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/bench"
)

// screen is what a terminal shows after text: per line, what the last
// carriage return left, with the clear-to-end sequences applied (every
// redraw ends with one).
func screen(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if i := strings.LastIndexByte(l, '\r'); i >= 0 {
			l = l[i+1:]
		}
		out = append(out, strings.ReplaceAll(l, "\033[K", ""))
	}
	return out
}

func TestProgressTermErasesBarBeforeStdout(t *testing.T) {
	var term, out bytes.Buffer
	bar, stdout := withProgress(&term, &out)
	bar.Write([]byte("\r[+]  10% 1/10 lines\033[K"))
	stdout.Write([]byte("[+] Processed 1 packets...\n"))
	stdout.Write([]byte("[+] Processed 2 packets...\n"))
	if got := term.String(); got != "\r[+]  10% 1/10 lines\033[K\r\033[K" {
		t.Errorf("terminal got %q: the bar must be erased once, before the first stdout line", got)
	}
	if out.String() != "[+] Processed 1 packets...\n[+] Processed 2 packets...\n" {
		t.Errorf("stdout changed: %q", out.String())
	}
	bar.Write(eraseLine) // the bar's finish
	term.Reset()
	stdout.Write([]byte("report\n"))
	if term.Len() != 0 {
		t.Errorf("erased again after the bar finished: %q", term.String())
	}
}

// bigLog writes a log long enough for the progress bar: -B's one-source
// scan, whose report is short, so the test's time goes to the lines.
func bigLog(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "big.log")
	must(t, os.WriteFile(path, bench.Synthetic(nil, 205000), 0o600))
	return path
}

// TestAnalysisProgress: on a terminal (stdout and stderr on one screen) a
// long -A run shows one updating line with the percentage, lines/s and
// time left, and psad's "Processed N packets" lines each on a line of
// their own; off a terminal there is no bar and stdout has psad's lines.
func TestAnalysisProgress(t *testing.T) {
	log := bigLog(t)
	e := newTestEnv(t, nil, "")
	args := []string{"-c", e.conf, "-A", "-m", log, "--no-rdns", "--no-whois", "--no-netstat"}

	var tty bytes.Buffer
	if code := Run(args, Env{Stdin: strings.NewReader(""), Stdout: &tty, Stderr: &tty, StderrTTY: true}); code != 0 {
		t.Fatalf("exit %d:\n%s", code, tty.String())
	}
	raw := tty.String()
	if !strings.Contains(raw, "% ") || !strings.Contains(raw, " lines/s, ") || !strings.Contains(raw, " left\033[K") {
		t.Fatalf("no progress bar on the terminal:\n%.2000q", raw)
	}
	processed := 0
	for _, l := range screen(raw) {
		if strings.Contains(l, "lines/s") {
			t.Errorf("bar left on the screen: %q", l)
		}
		if strings.Contains(l, "Processed") {
			processed++
			if !strings.HasPrefix(l, "[+] Processed ") || !strings.HasSuffix(l, " packets...") {
				t.Errorf("a Processed line shares the bar's line: %q", l)
			}
		}
	}
	if processed < 5 {
		t.Errorf("%d Processed lines on the screen, want psad's about ten", processed)
	}

	var out, errb bytes.Buffer
	if code := Run(args, Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}); code != 0 {
		t.Fatalf("exit %d:\n%s", code, errb.String())
	}
	if strings.ContainsAny(out.String()+errb.String(), "\r\033") {
		t.Errorf("terminal control characters without a terminal:\n%.2000q", errb.String())
	}
	if n := strings.Count(out.String(), "[+] Processed "); n != processed {
		t.Errorf("%d Processed lines on stdout off a terminal, %d on one", n, processed)
	}
}
