// The tests here check the repository's own rules: every package
// documents itself and imports only what its place in the layout allows
// (../shared/STYLE.md), checked by the compiler's view of the code rather
// than by memory.
package layout

import (
	"go/build"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/psadgo/psad/"

// allowed lists, per package, the project packages it may import; a
// package not listed may import any project package.
var allowed = map[string][]string{
	"internal/fwlog":     {},
	"internal/netset":    {},
	"internal/logsrc":    {},
	"internal/protocols": {},
	"internal/config":    {"internal/netset"},
	"internal/autodl":    {"internal/netset"},
	"internal/scan":      {"internal/fwlog"},
	"internal/report":    {"internal/fwlog", "internal/scan"},
	"internal/fieldexpr": {"internal/fwlog"},
	"internal/csvout":    {"internal/fwlog", "internal/fieldexpr"},
	"internal/sig":       {"internal/fwlog"},
	"internal/syslogd":   {},
	"internal/source":    {"internal/fwlog", "internal/logsrc", "internal/syslogd"},
	"internal/dshield":   {"internal/fwlog"},
	"internal/daemon":    {"internal/fwlog", "internal/pipeline", "internal/scan"},
	"internal/icmptype":  {},
	"internal/osfp":      {"internal/fwlog"},
	"internal/psaddir":   {"internal/scan"},
	"internal/inspect":   {"internal/config", "internal/fwlog", "internal/icmptype", "internal/osfp", "internal/scan", "internal/sig"},
	"internal/detect": {"internal/config", "internal/fwlog", "internal/scan", "internal/pipeline", "internal/inspect",
		"internal/autodl", "internal/protocols", "internal/netset"},
	// notify runs the alert cycle's I/O but no program of its own (mail
	// and EXTERNAL_SCRIPT are exec'd by their packages), and it never
	// sees the daemon, which uses it through a seam.
	"internal/notify": {"internal/alert", "internal/alert/mail", "internal/dshield", "internal/fwlog", "internal/report",
		"internal/scan", "internal/lookup", "internal/inspect", "internal/protocols"},
}

// execOK lists the packages made for running commands: the mail and
// sendmail sender and the journalctl reader.
var execOK = []string{"internal/alert/mail", "internal/alert/extscript", "internal/logsrc"}

// noOS lists packages that must do no I/O of their own.
var noOS = []string{"internal/fwlog", "internal/scan", "internal/report", "internal/fieldexpr", "internal/dshield"}

func packages(t *testing.T) map[string]*build.Package {
	t.Helper()
	root := filepath.Join("..", "..")
	var dirs []string
	err := filepath.WalkDir(filepath.Join(root, "internal"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() != "testdata" {
			dirs = append(dirs, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	cmds, _ := filepath.Glob(filepath.Join(root, "cmd", "*"))
	out := map[string]*build.Package{}
	for _, d := range append(dirs, cmds...) {
		pkg, err := build.ImportDir(d, build.ImportComment)
		if err != nil {
			if _, ok := err.(*build.NoGoError); ok {
				continue
			}
			t.Fatalf("%s: %v", d, err)
		}
		rel, _ := filepath.Rel(root, d)
		out[filepath.ToSlash(rel)] = pkg
	}
	return out
}

func TestPackageDocs(t *testing.T) {
	for name, pkg := range packages(t) {
		if strings.TrimSpace(pkg.Doc) == "" {
			t.Errorf("%s has no package doc comment", name)
		}
	}
}

func TestImportRules(t *testing.T) {
	for name, pkg := range packages(t) {
		ok, limited := allowed[name]
		for _, imp := range pkg.Imports {
			if strings.HasPrefix(imp, module) {
				dep := strings.TrimPrefix(imp, module)
				if limited && !contains(ok, dep) {
					t.Errorf("%s imports %s; allowed: %v", name, dep, ok)
				}
				continue
			}
			if imp == "os/exec" && !strings.HasPrefix(name, "cmd/") && !contains(execOK, name) {
				t.Errorf("%s imports os/exec; commands are run only by the packages made for it", name)
			}
			if contains(noOS, name) && (imp == "os" || imp == "net" || imp == "os/exec") {
				t.Errorf("%s imports %s but must do no I/O", name, imp)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
