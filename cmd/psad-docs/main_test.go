package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/argv"
	"github.com/psadgo/psad/internal/config"
)

// manText renders the generated page the way roff shows it, minus
// hyphen escapes and font changes, so names can be searched for.
func manText(t *testing.T) string {
	t.Helper()
	var b bytes.Buffer
	if err := writeMan(&b, "2026-01-01"); err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(b.String(), `\-`, "-")
	return regexp.MustCompile(`\\f[BIR]`).ReplaceAllString(s, "")
}

func TestManCoversEveryOption(t *testing.T) {
	man := manText(t)
	for _, d := range argv.OptionDocs() {
		for _, n := range d.Names {
			spelled := "--" + n
			if len(n) == 1 {
				spelled = "-" + n
			}
			if !regexp.MustCompile(`(?m)(^|, )` + regexp.QuoteMeta(spelled) + `( |,|$)`).MatchString(man) {
				t.Errorf("manual page does not list option %s", spelled)
			}
		}
	}
}

func TestManCoversEveryVariable(t *testing.T) {
	man := manText(t)
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	names := append(cfg.Names(), cfg.CmdNames()...)
	if len(names) < 150 {
		t.Fatalf("only %d variables in the default configuration", len(names))
	}
	for _, n := range names {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(n) + ` \(default: `).MatchString(man) {
			t.Errorf("manual page does not describe psad.conf variable %s", n)
		}
	}
	// The psad-go-only variable's comment block becomes its description.
	if !strings.Contains(man, "MAX_SCAN_SOURCES (default: 1000000)\npsad-go only:") {
		t.Errorf("MAX_SCAN_SOURCES lost its description")
	}
}

// TestManRenders runs man(1) on the page when it is installed, so roff
// mistakes (warnings) fail the test.
func TestManRenders(t *testing.T) {
	if _, err := exec.LookPath("groff"); err != nil {
		t.Skip("groff not installed")
	}
	dir := t.TempDir()
	man, compl := filepath.Join(dir, "psad.8"), filepath.Join(dir, "psad")
	if err := run(man, compl, "2026-01-01"); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("groff", "-man", "-Tutf8", "-ww", "-z", man).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("groff: %v\n%s", err, out)
	}
	if _, err := exec.LookPath("bash"); err == nil {
		// Source the completion and complete "--Anal" and "-c <file>".
		script := `. "$1"; COMP_WORDS=(psad --Anal); COMP_CWORD=1; _psad; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "`
		out, err := exec.Command("bash", "-c", script, "bash", compl).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "--Analyze-msgs" {
			t.Errorf("completion of --Anal: %v %q", err, out)
		}
		script = `. "$1"; cd "$2"; COMP_WORDS=(psad -c ps); COMP_CWORD=2; _psad; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "`
		out, err = exec.Command("bash", "-c", script, "bash", compl, dir).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "psad psad.8" {
			t.Errorf("completion of -c ps: %v %q", err, out)
		}
	}
	if _, err := os.Stat(compl); err != nil {
		t.Error(err)
	}
}
