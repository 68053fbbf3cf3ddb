// The tests here check the repository's own rules: every package
// documents itself and imports only what its place in the layout allows
// (../shared/STYLE.md), checked by the compiler's view of the code rather
// than by memory.
package layout

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/psadgo/psad/"

// allowed lists, for every package of the tree, the project packages it
// may import. A package missing here fails TestEveryPackageListed, so a
// new package states its place before it lands (../shared/DESIGN.md).
var allowed = map[string][]string{
	// The hot path and the engines: no I/O of their own, few imports.
	"internal/fwlog":     {},
	"internal/netset":    {},
	"internal/protocols": {},
	"internal/icmptype":  {},
	"internal/config":    {"internal/netset"},
	"internal/autodl":    {"internal/netset"},
	"internal/hugepage":  {},
	"internal/scan":      {"internal/fwlog"},
	"internal/sig":       {"internal/fwlog"},
	"internal/osfp":      {"internal/fwlog"},
	"internal/fieldexpr": {"internal/fwlog"},
	"internal/dshield":   {"internal/fwlog"},
	"internal/report":    {"internal/fwlog", "internal/scan"},
	// jsonout is the JSON twin of report (docs/json.md).
	"internal/report/jsonout": {"internal/fwlog", "internal/report", "internal/scan"},
	// explain turns one source's state and the settings into words.
	"internal/explain":  {"internal/fwlog", "internal/pipeline", "internal/scan"},
	"internal/alert":    {"internal/fwlog", "internal/scan"},
	"internal/csvout":   {"internal/fwlog", "internal/fieldexpr"},
	"internal/inspect":  {"internal/config", "internal/fwlog", "internal/icmptype", "internal/osfp", "internal/scan", "internal/sig"},
	"internal/pipeline": {"internal/config", "internal/fieldexpr", "internal/fwlog", "internal/logsrc", "internal/scan"},
	"internal/gnuplot":  {"internal/csvout", "internal/fwlog", "internal/fieldexpr"},
	"internal/figure":   {"internal/fwlog"},
	"internal/detect": {"internal/config", "internal/fwlog", "internal/scan", "internal/pipeline", "internal/inspect",
		"internal/autodl", "internal/protocols"},
	// The built-in detector for other packages' tests.
	"internal/detecttest": {"internal/config", "internal/detect"},

	// Side effects, each in its own package.
	"internal/logsrc":    {},
	"internal/syslogd":   {},
	"internal/lookup":    {},
	"internal/sdnotify":  {},
	"internal/netnstest": {},
	"internal/metrics":   {},
	"internal/localnet":  {"internal/netset"},
	"internal/respond": {"internal/alert/extscript", "internal/block", "internal/block/ipset", "internal/block/ipt", "internal/block/nft",
		"internal/block/tcpwrappers", "internal/config", "internal/ctl", "internal/detect", "internal/psaddir", "internal/scan", "internal/argv", "internal/report/jsonout",
		"internal/netset"},
	"internal/ctl":                 {},
	"internal/alert/mail":          {},
	"internal/alert/mail/mailtest": {},
	"internal/block":               {"internal/netset", "internal/scan"},
	"internal/alert/extscript":     {},
	"internal/alert/syslogout":     {},
	"internal/source":              {"internal/fwlog", "internal/logsrc", "internal/syslogd"},
	"internal/psaddir":             {"internal/block", "internal/fwlog", "internal/scan"},
	"internal/inputsel":            {"internal/config"},
	"internal/ci/testsummary":      {},
	"internal/loggen":              {},
	"internal/layout":              {},
	"internal/block/ipt":           {"internal/block", "internal/block/nftgen", "internal/config"},
	"internal/block/nft":           {"internal/block", "internal/block/nftgen"},
	"internal/block/nftgen":        {},
	// block decides and keeps blocks; it takes a plain Config, so it does
	// not read psad.conf, and reaches firewalls through its Backend seam.
	"internal/notify": {"internal/alert", "internal/alert/mail", "internal/dshield", "internal/fwlog", "internal/report",
		"internal/scan", "internal/lookup", "internal/inspect", "internal/protocols", "internal/psaddir"},

	// Active response: the contract, and the firewall backends that
	// implement it and import nothing else of ours.
	"internal/block/ipset":       {"internal/block", "internal/block/nftgen"},
	"internal/block/tcpwrappers": {"internal/block"},
	// fwcheck analyses firewall listings; collect.go runs the listing
	// programs.
	"internal/fwcheck": {},

	// The daemon owns the tracker and its goroutines and reaches every
	// side effect through the seams it declares: it imports the engine
	// only.
	"internal/daemon": {"internal/detect", "internal/fwlog", "internal/inspect", "internal/pipeline", "internal/scan"},

	// One-shot modes.
	"internal/analysis": {"internal/alert", "internal/alert/mail", "internal/config", "internal/detect", "internal/fwlog",
		"internal/hugepage", "internal/inspect", "internal/logsrc", "internal/notify", "internal/pipeline", "internal/protocols",
		"internal/report", "internal/scan"},
	"internal/bench": {"internal/config", "internal/detect", "internal/hugepage", "internal/logsrc", "internal/pipeline", "internal/scan"},

	// cli builds the concrete parts and dispatches; main only calls it.
	"internal/cli": {"internal/alert", "internal/alert/extscript", "internal/alert/mail", "internal/alert/syslogout",
		"internal/analysis", "internal/argv", "internal/bench", "internal/block", "internal/config", "internal/csvout", "internal/ctl", "internal/daemon",
		"internal/detect", "internal/explain", "internal/report/jsonout", "internal/fieldexpr", "internal/figure", "internal/fwcheck", "internal/fwlog", "internal/gnuplot", "internal/hugepage", "internal/inputsel", "internal/localnet", "internal/lookup", "internal/metrics", "internal/notify",
		"internal/pipeline", "internal/psaddir", "internal/report", "internal/respond", "internal/scan", "internal/sdnotify", "internal/sig", "internal/sigtrace", "internal/sigupdate", "internal/source"},
	// --sig-update: fetch, check with the signature parser, install.
	"internal/sigupdate": {"internal/psaddir", "internal/sig"},
	// --debug-sid: one signature's verdict on every packet, in words.
	"internal/sigtrace": {"internal/fwlog", "internal/sig"},
	"internal/argv":     {},
	"cmd/psad":          {"internal/cli"},
	"cmd/psad-data":     {"internal/icmptype", "internal/osfp", "internal/protocols", "internal/sig"},
	"cmd/psad-loggen":   {"internal/loggen"},
	"cmd/psad-speed":    {"internal/loggen"},
	// Build tools: the manual page and completion from the option and
	// variable tables, and the .deb from a staged install.
	"cmd/psad-docs": {"internal/argv", "internal/config"},
	"cmd/psad-pkg":  {},
	// Tests of the repository as a user meets it (README, make install).
	"internal/pkgtest": {},
	"cmd/psad-flood":   {"internal/config", "internal/loggen"},
}

// execOK lists the packages made for running commands: the mail and
// sendmail sender, the journalctl reader, the iptables backend and the
// ipset backend (which installs the rules matching its sets with the
// iptables commands), fwcheck's collector of firewall listings, and
// netnstest, which looks the tests' programs up on PATH.
var execOK = []string{"internal/alert/mail", "internal/alert/extscript", "internal/logsrc", "internal/block/ipt", "internal/block/ipset", "internal/netnstest", "internal/fwcheck"}

// noOS lists packages that must do no I/O of their own.
var noOS = []string{"internal/fwlog", "internal/scan", "internal/report", "internal/fieldexpr", "internal/dshield",
	"internal/report/jsonout", "internal/explain"}

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
		ok := allowed[name]
		for _, imp := range pkg.Imports {
			if strings.HasPrefix(imp, module) {
				dep := strings.TrimPrefix(imp, module)
				if !contains(ok, dep) {
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

// TestEveryPackageListed keeps the import rules complete: a package the
// map does not name would otherwise import anything.
func TestEveryPackageListed(t *testing.T) {
	pkgs := packages(t)
	for name := range pkgs {
		if _, ok := allowed[name]; !ok {
			t.Errorf("%s is not listed in allowed (internal/layout/layout_test.go): say what it may import", name)
		}
	}
	for name := range allowed {
		if _, ok := pkgs[name]; !ok {
			t.Errorf("allowed lists %s, which does not exist", name)
		}
	}
}

// TestCLIStartsNoGoroutine: the command line parses, builds and
// dispatches; every goroutine of the daemon belongs to internal/daemon,
// which stops them all (../shared/DESIGN.md).
func TestCLIStartsNoGoroutine(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "cli", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if g, ok := n.(*ast.GoStmt); ok {
				t.Errorf("%s: a go statement in internal/cli; goroutines belong to internal/daemon", fset.Position(g.Pos()))
			}
			return true
		})
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
