package cli

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/psadgo/psad/internal/analysis"
	"github.com/psadgo/psad/internal/argv"
	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/csvout"
	"github.com/psadgo/psad/internal/figure"
	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/gnuplot"
	"github.com/psadgo/psad/internal/scan"
)

// runGnuplot is --gnuplot: the packets --CSV would select, written as a
// gnuplot data file and command file. Like --CSV it builds no engines.
func runGnuplot(o *argv.Options, args []string, s *config.Settings, env Env) int {
	pl, err := selectPipeline(o, s, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	input := inputPath(o, s)
	var f *os.File
	open := func() (io.Reader, error) {
		if o.CSVStdin || o.Stdin {
			return env.Stdin, nil
		}
		var err error
		if f, err = os.Open(input); err != nil {
			return nil, fmt.Errorf("[*] Could not open %s: %w", input, err)
		}
		return f, nil
	}
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	name := input
	if o.CSVStdin || o.Stdin {
		name = ""
	}
	err = gnuplot.Run(env.Stdout, open, gnuplot.Settings{
		Select: csvout.Settings{
			Fields: o.CSVFields, Regex: o.CSVRegex, NegRegex: o.CSVNegRegex,
			MaxLines: o.CSVMaxLines, StartLine: o.CSVStartLine, EndLine: o.CSVEndLine, Separator: o.PlotSeparator,
		},
		DatFile: o.GnuplotDatFile, PlotFile: o.GnuplotPlotFile, PNGFile: o.GnuplotPNGFile, FilePrefix: o.GnuplotFilePrefix,
		Title: o.GnuplotTitle, LegendTitle: o.GnuplotLegendTitle,
		XLabel: o.GnuplotXLabel, YLabel: o.GnuplotYLabel, ZLabel: o.GnuplotZLabel,
		XRange: o.GnuplotXRange, YRange: o.GnuplotYRange, ZRange: o.GnuplotZRange, View: o.GnuplotView,
		GraphStyle: o.GnuplotGraphStyle, SortStyle: o.GnuplotSortStyle,
		ThreeD: o.Gnuplot3D, Grayscale: o.GnuplotGrayscale, Interactive: o.GnuplotInteractive,
		Template: o.GnuplotTemplate, StoreFile: o.UseStoreFile,
		CommandLine: args, Version: Version, InputName: name,
	}, accepted(pl))
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return 255
	}
	return 0
}

// runAnalysis is -A, with --plot drawing the figure of the packets the
// analysis took once their sources have danger levels.
func runAnalysis(o *argv.Options, s analysis.Setup, env Env) int {
	if o.Plot == "" {
		return analysis.Run(s)
	}
	if _, err := figure.Format(o.Plot); err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	c := figure.NewCollector(now())
	var level func(netip.Addr) int
	if prev := s.Observe; prev != nil { // --debug-sid watches too
		s.Observe = func(p *fwlog.Packet) { prev(p); c.Add(p) }
	} else {
		s.Observe = c.Add
	}
	s.Finished = func(t *scan.Tracker) {
		level = func(a netip.Addr) int {
			if src := t.Source(a); src != nil {
				return src.DL
			}
			return 0
		}
	}
	code := analysis.Run(s)
	if code != 0 {
		return code
	}
	if err := c.Write(o.Plot, level); err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	fmt.Fprintf(env.Stdout, "[+] Plot of %d packets written to: %s\n", c.Packets(), o.Plot)
	return 0
}
