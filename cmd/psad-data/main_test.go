package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/psadgo/psad/internal/icmptype"
	"github.com/psadgo/psad/internal/osfp"
	"github.com/psadgo/psad/internal/protocols"
	"github.com/psadgo/psad/internal/sig"
)

// TestInstalledFilesLoad: every installed file loads through the same
// readers psad uses for a psad install's files.
func TestInstalledFilesLoad(t *testing.T) {
	dir := t.TempDir()
	if err := install(dir, false); err != nil {
		t.Fatal(err)
	}
	if err := install(dir, false); err == nil {
		t.Error("second install without -f did not refuse to overwrite")
	}
	vars := func(n string) (string, bool) { return "any", n == "HOME_NET" || n == "EXTERNAL_NET" }
	set, _, err := sig.Load(filepath.Join(dir, "signatures"), sig.Options{Vars: vars, Strict: true})
	if err != nil || set.Len() < 150 {
		t.Errorf("signatures: %v (%d rules)", err, set.Len())
	}
	for _, f := range []string{"icmp_types", "icmp6_types"} {
		if _, err := icmptype.Load(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if _, err := osfp.LoadP0F(filepath.Join(dir, "p0f.fp")); err != nil {
		t.Error(err)
	}
	tab, err := protocols.Load(filepath.Join(dir, "protocols"))
	if err != nil || tab.Len() < 140 {
		t.Errorf("protocols: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "signatures")); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("signatures file mode: %v %v", fi, err)
	}
}
