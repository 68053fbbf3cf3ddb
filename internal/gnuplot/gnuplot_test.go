package gnuplot

import (
	"bytes"
	"flag"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/csvout"
	"github.com/psadgo/psad/internal/fwlog"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func logPath(name string) string {
	return filepath.Join(logDir, name+".log")
}

// logDir is absolute because the tests change directory.
var logDir, _ = filepath.Abs(filepath.Join("..", "..", "testdata", "logs"))

// run runs gnuplot mode in a fresh directory over a sample log and
// returns that directory and the progress output.
func run(t *testing.T, log string, s Settings) (string, string, error) {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	s.Version = "2.4.6"
	s.Now = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	s.Loc = time.UTC
	if s.CommandLine == nil {
		s.CommandLine = []string{"--gnuplot", "--CSV-fields", s.Select.Fields}
	}
	s.InputName = log + ".log"
	parser := fwlog.NewParser(fwlog.Options{StripKernelTS: true, SIDMarker: []byte("SID")})
	var out bytes.Buffer
	open := func() (io.Reader, error) { return os.Open(logPath(log)) }
	err := Run(&out, open, s, func(line []byte, p *fwlog.Packet) bool {
		return parser.Parse(line, p) == nil
	})
	return dir, out.String(), err
}

func TestGolden(t *testing.T) {
	wd, _ := os.Getwd()
	tests := []struct {
		name, log string
		s         Settings
	}{
		{"dst_dp", "syn_sweep", Settings{Select: csvout.Settings{Fields: "dst dp"}}},
		{"timestamp_count", "sample", Settings{Select: csvout.Settings{Fields: "timestamp dp:count"}}},
		{"src_countuniq", "sample", Settings{Select: csvout.Settings{Fields: "src dp:countuniq"}, SortStyle: "time"}},
		{"countmin", "sample", Settings{Select: csvout.Settings{Fields: "timestamp proto:countmin"}, XRange: "1:2"}},
		{"proto_flags_3d", "sample", Settings{Select: csvout.Settings{Fields: "proto flags:count", MaxLines: 50}, ThreeD: true, YRange: "0:9"}},
		{"three", "syn_sweep", Settings{Select: csvout.Settings{Fields: "src dst dp"}, View: "60,30", Grayscale: true,
			Title: "My T", XLabel: "XL", ZRange: "1:100", GraphStyle: "dots", FilePrefix: "three"}},
		{"interactive", "proto_scan", Settings{Select: csvout.Settings{Fields: "intf log_prefix", Separator: " "},
			Interactive: true, LegendTitle: "L", YLabel: "Y", DatFile: "d.dat", PlotFile: "p.gnu"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, out, err := run(t, tt.log, tt.s)
			if err != nil {
				t.Fatal(err)
			}
			dat, gnu, _ := tt.s.Files()
			if !strings.Contains(out, "[+] Writing gnuplot directive file: "+gnu+"\n") {
				t.Errorf("progress output:\n%s", out)
			}
			for _, f := range []struct{ name, ext string }{{dat, ".dat"}, {gnu, ".gnu"}} {
				got, err := os.ReadFile(filepath.Join(dir, f.name))
				if err != nil {
					t.Fatal(err)
				}
				golden := filepath.Join(wd, "testdata", tt.name+f.ext)
				if *update {
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from %s:\n%s", f.name, golden, got)
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name    string
		s       Settings
		want    string
		datMade bool
	}{
		{"no fields", Settings{}, "[*] Must specify which iptables fields to plot with the --CSV-fields argument.", false},
		{"one field", Settings{Select: csvout.Settings{Fields: "dp"}}, `at least two`, false},
		{"two counts", Settings{Select: csvout.Settings{Fields: "src dp:count sp:count"}}, "[*] Counts against multiple fields are not supported.", false},
		{"time count", Settings{Select: csvout.Settings{Fields: "src dp:counthour"}}, "[*] The first search field must be 'timestamp' for time-based counts", false},
		{"range", Settings{Select: csvout.Settings{Fields: "src dp"}, YRange: "a:b"}, "[*] range argument must be formatted as <start>:<end>, e.g. 1:10", true},
		{"time range", Settings{Select: csvout.Settings{Fields: "timestamp dp"}, XRange: "nocolon"}, "[*] range argument must be formatted as <start>:<end>", true},
		{"view", Settings{Select: csvout.Settings{Fields: "src dst dp"}, View: "60"}, "[*] View must be a coordinate pair such as 60,30", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, _, err := run(t, "syn_sweep", tt.s)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			_, statErr := os.Stat(filepath.Join(dir, DefaultDat))
			if (statErr == nil) != tt.datMade {
				t.Errorf("data file written: %v, want %v", statErr == nil, tt.datMade)
			}
		})
	}
}

// TestStoreFile: the second run reads the store, not the log.
func TestStoreFile(t *testing.T) {
	s := Settings{Select: csvout.Settings{Fields: "src dp"}, StoreFile: "store"}
	dir, out, err := run(t, "syn_sweep", s)
	if err != nil || !strings.Contains(out, "[+] Storing Gnuplot data to: store") {
		t.Fatalf("%v\n%s", err, out)
	}
	first, _ := os.ReadFile(filepath.Join(dir, DefaultDat))
	parser := fwlog.NewParser(fwlog.Options{StripKernelTS: true, SIDMarker: []byte("SID")})
	var buf bytes.Buffer
	s.Version, s.Now, s.Loc = "2.4.6", time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC), time.UTC
	s.CommandLine = []string{"--gnuplot", "--CSV-fields", s.Select.Fields}
	err = Run(&buf, func() (io.Reader, error) { t.Error("log opened despite the store"); return nil, os.ErrNotExist }, s,
		func(line []byte, p *fwlog.Packet) bool { return parser.Parse(line, p) == nil })
	if err != nil || !strings.Contains(buf.String(), "[+] Retrieved Gnuplot array from: store") {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	second, _ := os.ReadFile(filepath.Join(dir, DefaultDat))
	if !bytes.Equal(first, second) || len(first) < 500 {
		t.Errorf("data from the store differs:\n%s\n---\n%s", first, second)
	}
}

// TestGnuplotRendersPair runs the real gnuplot on the written pair, 2-D
// and 3-D, and checks it made a PNG of the usual size.
func TestGnuplotRendersPair(t *testing.T) {
	gp, err := exec.LookPath("gnuplot")
	if err != nil {
		t.Skip("gnuplot is not installed (apt-get install gnuplot-nox); the .gnu files are still checked by TestGolden")
	}
	for _, fields := range []string{"timestamp dp:count", "src dst dp"} {
		t.Run(fields, func(t *testing.T) {
			dir, _, err := run(t, "sample", Settings{Select: csvout.Settings{Fields: fields}})
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(gp, DefaultGnu)
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("gnuplot: %v\n%s", err, out)
			}
			f, err := os.Open(filepath.Join(dir, DefaultPNG))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 250 {
				t.Errorf("PNG is %v", b)
			}
		})
	}
}
