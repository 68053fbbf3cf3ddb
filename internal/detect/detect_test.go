package detect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/pipeline"
)

const synLine = "Feb 15 16:42:58 fw kernel: DROP IN=eth0 OUT= MAC=00:a0:cc:28:42:5a:00:03:6c:00:98:54:08:00 SRC=192.168.10.2 DST=192.168.10.1 LEN=48 TOS=0x00 PREC=0x00 TTL=110 ID=13383 DF PROTO=TCP SPT=1389 DPT=22 WINDOW=16384 RES=0x00 SYN URGP=0"

// settings returns the typed settings of the embedded psad.conf with
// extra lines placed before it (earlier definitions win), as a file
// configuration when extra is not empty.
func settings(t *testing.T, extra string) *config.Settings {
	t.Helper()
	var c *config.Config
	var err error
	if extra == "" {
		c, err = config.Default()
	} else {
		c, err = config.Parse("test.conf", append([]byte(extra+"\n"), config.DefaultText()...))
	}
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Settings()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBuildEmbedded(t *testing.T) {
	d, err := Build(settings(t, ""), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Engines == nil || d.Engines.Sigs == nil || d.Engines.P0F == nil {
		t.Fatalf("engines = %+v, want built-in signatures and fingerprints", d.Engines)
	}
	if d.AutoDL != nil {
		t.Error("the embedded configuration read an auto_dl file")
	}
	tr := d.NewTracker()
	if tr.Inspect == nil || tr.Fingerprint == nil || tr.AutoDL != nil {
		t.Errorf("hooks: Inspect %v, Fingerprint %v, AutoDL %v", tr.Inspect != nil, tr.Fingerprint != nil, tr.AutoDL != nil)
	}
	pl := d.NewPipeline(tr)
	if got := pl.Process([]byte(synLine)); got != pipeline.Accepted {
		t.Fatalf("Process = %v, want Accepted", got)
	}
	if tr.Sources() != 1 {
		t.Errorf("tracker has %d sources, want 1", tr.Sources())
	}
}

// TestAutoDL checks that an -a file reaches the tracker: level 0 makes
// the source's packets dropped.
func TestAutoDL(t *testing.T) {
	path := writeFile(t, "auto_dl", "192.168.10.2    0;\n")
	d, err := Build(settings(t, ""), Options{AutoDLFile: path})
	if err != nil {
		t.Fatal(err)
	}
	pl := d.NewPipeline(d.NewTracker())
	if got := pl.Process([]byte(synLine)); got != pipeline.Dropped {
		t.Errorf("Process = %v, want Dropped (auto_dl level 0)", got)
	}

	d, err = Build(settings(t, ""), Options{AutoDLFile: path, NoAutoDL: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.AutoDL != nil || d.NewTracker().AutoDL != nil {
		t.Error("--no-auto-dl still loaded the -a file")
	}
}

func TestAutoDLMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "auto_dl")
	// A missing -a file is an error: the user named it.
	if _, err := Build(settings(t, ""), Options{AutoDLFile: missing}); err == nil {
		t.Error("missing -a file: no error")
	}
	// A missing AUTO_DL_FILE is a warning: psad runs without one.
	var warns []string
	s := settings(t, "AUTO_DL_FILE "+missing+";\nPROTOCOLS_FILE "+writeFile(t, "protocols", "tcp 6 TCP\n")+";")
	d, err := Build(s, Options{NoSignatures: true, NoPassiveOS: true, NoICMPTypes: true, NoICMP6Types: true,
		Warn: func(w string) { warns = append(warns, w) }})
	if err != nil {
		t.Fatal(err)
	}
	if d.AutoDL != nil {
		t.Error("AutoDL set from a missing file")
	}
	want := "auto_dl file " + missing + " does not exist; no danger levels are pre-assigned"
	if !strings.Contains(strings.Join(warns, "\n"), want) {
		t.Errorf("warnings %q lack %q", warns, want)
	}
}

func TestNoEngines(t *testing.T) {
	d, err := Build(settings(t, ""), Options{NoEngines: true, AutoDLFile: "/nonexistent/auto_dl"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Engines != nil || d.AutoDL != nil {
		t.Error("NoEngines built engines or read auto_dl")
	}
	tr := d.NewTracker()
	if tr.Inspect != nil || tr.Fingerprint != nil || tr.AutoDL != nil {
		t.Error("NoEngines tracker has hooks")
	}
}

// TestHook checks that a reload's detector takes over a running tracker:
// new thresholds and new hooks, the scan state kept.
func TestHook(t *testing.T) {
	old, err := Build(settings(t, ""), Options{NoEngines: true})
	if err != nil {
		t.Fatal(err)
	}
	tr := old.NewTracker()
	old.NewPipeline(tr).Process([]byte(synLine))

	path := writeFile(t, "auto_dl", "192.168.10.2    0;\n")
	next, err := Build(settings(t, "DANGER_LEVEL1 7;"), Options{AutoDLFile: path})
	if err != nil {
		t.Fatal(err)
	}
	next.Hook(tr)
	if got := tr.Settings().DangerLevel[1]; got != 7 {
		t.Errorf("DangerLevel[1] after Hook = %d, want 7", got)
	}
	if tr.Inspect == nil || tr.AutoDL == nil {
		t.Error("Hook did not install the new engines")
	}
	if tr.Sources() != 1 {
		t.Errorf("Hook lost the scan state: %d sources", tr.Sources())
	}
}

func TestOptions(t *testing.T) {
	s := settings(t, "IGNORE_INTERFACES eth1, bad/name;")
	var warns []string
	d, err := Build(s, Options{NoEngines: true, Interface: "eth0", NoSnortSID: true, MaxSources: 42,
		Warn: func(w string) { warns = append(warns, w) }})
	if err != nil {
		t.Fatal(err)
	}
	if d.Rules.Interface != "eth0" || d.Parser.SIDMarker != nil || d.Scan.MaxSources != 42 {
		t.Errorf("Interface %q, SIDMarker %q, MaxSources %d", d.Rules.Interface, d.Parser.SIDMarker, d.Scan.MaxSources)
	}
	if !d.Rules.IgnoreInterfaces["eth1"] || len(warns) == 0 || !strings.Contains(warns[len(warns)-1], `"bad/name"`) {
		t.Errorf("IgnoreInterfaces %v, warnings %q", d.Rules.IgnoreInterfaces, warns)
	}
	if _, err := Build(s, Options{Restrict: "10.0.0.300"}); err == nil || !strings.Contains(err.Error(), "--restrict-ip") {
		t.Errorf("bad --restrict-ip: err = %v", err)
	}
}
