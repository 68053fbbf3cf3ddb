package inspect

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/psadgo/psad/internal/config"
)

// TestEmbeddedConfigUsesGivenFiles: on a machine without psad.conf the
// built-in defaults' /etc/psad paths are replaced by built-in data, but a
// signatures or fingerprint file the operator names (--signatures,
// --passive-os-sigs, a -O file) is read.
func TestEmbeddedConfigUsesGivenFiles(t *testing.T) {
	dir := t.TempDir()
	sigs := filepath.Join(dir, "signatures")
	one := `alert tcp any any -> any any (msg:"TEST one"; flags:S; psad_id:100001; psad_dl:2;)` + "\n"
	if err := os.WriteFile(sigs, []byte(one), 0o600); err != nil {
		t.Fatal(err)
	}
	load := func(set func(*config.Config)) *Engines {
		t.Helper()
		cfg, err := config.Default()
		if err != nil {
			t.Fatal(err)
		}
		set(cfg)
		s, err := cfg.Settings()
		if err != nil {
			t.Fatal(err)
		}
		if !s.Embedded {
			t.Fatal("config.Default is not the embedded configuration")
		}
		e, err := LoadSettings(&s.Detect, s.Embedded, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	builtIn := load(func(*config.Config) {}).Sigs.Len()
	if builtIn <= 1 {
		t.Fatalf("built-in signatures: %d", builtIn)
	}
	if n := load(func(c *config.Config) { c.Set("SIGS_FILE", sigs) }).Sigs.Len(); n != 1 {
		t.Errorf("SIGS_FILE given with the embedded config: %d signatures, want the file's 1 (built-in has %d)", n, builtIn)
	}
	// A given fingerprint file that is missing is said, and built-in
	// fingerprints are used.
	var warned []string
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Set("P0F_FILE", filepath.Join(dir, "missing.fp"))
	s, err := cfg.Settings()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSettings(&s.Detect, true, Options{Warn: func(w string) { warned = append(warned, w) }}); err != nil {
		t.Fatal(err)
	}
	if len(warned) == 0 && !fileExists(DefaultP0FPath) {
		t.Errorf("missing P0F_FILE given with the embedded config: no warning")
	}
}
