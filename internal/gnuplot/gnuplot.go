// Package gnuplot is psad's --gnuplot mode (operations spec 9.5-9.7): it
// selects packets as --CSV does, turns the chosen fields into numbers
// gnuplot can plot and writes a data file and a gnuplot command file. It
// does not run gnuplot, so it works on hosts without it and the user can
// edit the command file first.
package gnuplot

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/psadgo/psad/internal/csvout"
	"github.com/psadgo/psad/internal/fieldexpr"
	"github.com/psadgo/psad/internal/fwlog"
)

// Default output names, in the current directory.
const (
	DefaultDat = "psad_iptables.dat"
	DefaultGnu = "psad_iptables.gnu"
	DefaultPNG = "psad_iptables.png"
)

// Settings are the --gnuplot options.
type Settings struct {
	// Select holds --CSV-fields (required, at least two fields), the
	// regexes and line bounds; its Separator is --plot-separator.
	Select csvout.Settings

	DatFile, PlotFile, PNGFile string // --gnuplot-dat-file, -plot-file, -png-file
	FilePrefix                 string // --gnuplot-file-prefix: P.dat, P.gnu, P.png; wins over the three

	Title, LegendTitle             string // --gnuplot-title, --gnuplot-legend-title
	XLabel, YLabel, ZLabel         string // --gnuplot-[xyz]-label
	XRange, YRange, ZRange         string // --gnuplot-[xyz]-range, "a:b"
	View                           string // --gnuplot-view, "a,b"
	GraphStyle                     string // --gnuplot-graph-style
	SortStyle                      string // --gnuplot-sort-style: value (default), time, other
	ThreeD, Grayscale, Interactive bool   // --gnuplot-3D, -grayscale, -interactive
	Template                       string // --gnuplot-template: copied as the command file
	StoreFile                      string // --use-store-file: cache of the selected records

	// CommandLine is the original arguments, for the file header.
	CommandLine []string
	Version     string
	// Now is the time stamp of the header and the reference for the year
	// of syslog time stamps; Loc is the zone they are read in (nil: Local).
	Now time.Time
	Loc *time.Location
	// InputName names the log in the progress line; "" says STDIN.
	InputName string
}

// ErrNoFields is psad's message for --gnuplot without --CSV-fields.
//
//lint:ignore ST1005 the message is printed as is, and psad's text ends with a full stop
var ErrNoFields = errors.New("[*] Must specify which iptables fields to plot with the --CSV-fields argument.")

//lint:ignore ST1005 psad's message, printed as is
var errMultiCount = errors.New("[*] Counts against multiple fields are not supported.")

// Files returns the data, command and PNG file names the settings select.
func (s *Settings) Files() (dat, gnu, png string) {
	if s.FilePrefix != "" {
		return s.FilePrefix + ".dat", s.FilePrefix + ".gnu", s.FilePrefix + ".png"
	}
	dat, gnu, png = s.DatFile, s.PlotFile, s.PNGFile
	if dat == "" {
		dat = DefaultDat
	}
	if gnu == "" {
		gnu = DefaultGnu
	}
	if png == "" {
		png = DefaultPNG
	}
	return dat, gnu, png
}

// token is one --CSV-fields token as the user wrote it.
type token struct {
	raw, name, count string
}

func parseTokens(spec string) []token {
	var ts []token
	for _, raw := range strings.Fields(spec) {
		name, crit, _ := strings.Cut(raw, ":")
		crit = strings.TrimSuffix(crit, ",")
		t := token{raw: raw, name: name}
		if countKeywords[crit] {
			t.count = crit
		} else if i := strings.LastIndexByte(crit, ','); i >= 0 && countKeywords[crit[i+1:]] {
			t.count = crit[i+1:]
		}
		ts = append(ts, t)
	}
	return ts
}

var countKeywords = map[string]bool{
	"count": true, "countuniq": true, "countday": true, "counthour": true,
	"countmin": true, "countdayuniq": true, "counthouruniq": true,
	"countminuniq": true, "countabs": true,
}

// Run writes the data and command files for the packets of r (opened
// only when no store file is there), printing psad's progress lines on
// out. parse is as for csvout.Run.
func Run(out io.Writer, open func() (io.Reader, error), s Settings, parse func(line []byte, p *fwlog.Packet) bool) error {
	if strings.TrimSpace(s.Select.Fields) == "" {
		return ErrNoFields
	}
	toks := parseTokens(s.Select.Fields)
	if len(toks) < 2 {
		return fmt.Errorf("[*] --gnuplot needs at least two --CSV-fields, got %q", s.Select.Fields)
	}
	counter := -1
	for i, t := range toks {
		if t.count == "" {
			continue
		}
		if counter >= 0 {
			return errMultiCount
		}
		counter = i
	}
	if counter >= 0 && bucketOf(toks[counter].count) > 0 && toks[0].name != "timestamp" {
		return errors.New("[*] The first search field must be 'timestamp' for time-based counts")
	}
	if s.Loc == nil {
		s.Loc = time.Local
	}
	if s.Now.IsZero() {
		s.Now = time.Now()
	}
	fmt.Fprintln(out, "[+] Entering Gnuplot mode...")

	recs, fields, err := records(out, open, &s, parse)
	if err != nil {
		return err
	}
	dat, gnu, png := s.Files()
	fmt.Fprintf(out, "[+] Writing parsed iptables data to: %s\n", dat)
	var b bytes.Buffer
	writeHeader(&b, &s)
	writeData(&b, recs, fields, toks, counter, &s)
	if err := os.WriteFile(dat, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing gnuplot data file: %w", err)
	}

	if s.Template != "" {
		fmt.Fprintf(out, "[+] Using Gnuplot template file: %s\n", s.Template)
		t, err := os.ReadFile(s.Template)
		if err != nil {
			return fmt.Errorf("reading gnuplot template: %w", err)
		}
		if err := os.WriteFile(gnu, t, 0o644); err != nil {
			return fmt.Errorf("writing gnuplot command file: %w", err)
		}
		return nil
	}
	b.Reset()
	writeHeader(&b, &s)
	if err := writeCommands(&b, toks, counter, dat, png, &s); err != nil {
		return err
	}
	fmt.Fprintf(out, "[+] Writing gnuplot directive file: %s\n", gnu)
	if err := os.WriteFile(gnu, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing gnuplot command file: %w", err)
	}
	return nil
}

// store is the --use-store-file content: the selected records as text.
type store struct {
	Fields  []string
	Records [][]string
}

// records returns the field values of the selected packets, from the
// store file when there is one, else from the log (saving the store).
func records(out io.Writer, open func() (io.Reader, error), s *Settings, parse func([]byte, *fwlog.Packet) bool) ([][]string, []string, error) {
	if s.StoreFile != "" {
		data, err := os.ReadFile(s.StoreFile)
		switch {
		case err == nil:
			var st store
			if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&st); err != nil {
				return nil, nil, fmt.Errorf("reading store file %s: %w", s.StoreFile, err)
			}
			fmt.Fprintf(out, "[+] Retrieved Gnuplot array from: %s\n", s.StoreFile)
			return st.Records, st.Fields, nil
		case !errors.Is(err, fs.ErrNotExist):
			return nil, nil, fmt.Errorf("reading store file: %w", err)
		}
	}
	if s.InputName == "" {
		fmt.Fprintln(out, "[+] Parsing iptables log messages from STDIN")
	} else {
		fmt.Fprintf(out, "[+] Parsing iptables log messages from file: %s\n", s.InputName)
	}
	r, err := open()
	if err != nil {
		return nil, nil, err
	}
	var (
		recs   [][]string
		fields []string
		buf    []byte
	)
	n, err := csvout.Select(r, s.Select, parse, func(e *fieldexpr.Expr, p *fwlog.Packet) bool {
		if fields == nil {
			fields = e.Fields()
		}
		rec := make([]string, len(fields))
		for i, f := range fields {
			buf = fieldexpr.AppendValue(buf[:0], f, p, nil)
			rec[i] = string(buf)
		}
		recs = append(recs, rec)
		return true
	})
	if err != nil {
		return nil, nil, err
	}
	if fields == nil {
		if e, err := fieldexpr.Parse(s.Select.Fields, false); err == nil {
			fields = e.Fields()
		}
	}
	if s.StoreFile != "" {
		var b bytes.Buffer
		if err := gob.NewEncoder(&b).Encode(store{Fields: fields, Records: recs}); err != nil {
			return nil, nil, fmt.Errorf("encoding store file: %w", err)
		}
		if err := os.WriteFile(s.StoreFile, b.Bytes(), 0o644); err != nil {
			return nil, nil, fmt.Errorf("writing store file: %w", err)
		}
		fmt.Fprintf(out, "[+] Storing Gnuplot data to: %s\n", s.StoreFile)
	} else {
		fmt.Fprintf(out, "[+] Parsed %d iptables log messages.\n", n)
	}
	return recs, fields, nil
}

// rule is the 76-character line of the file header.
var rule = strings.Repeat("#", 76)

func writeHeader(b *bytes.Buffer, s *Settings) {
	fmt.Fprintf(b, "#\n%s\n#\n# Generated by psad v%s\n# Command line: 'psad %s'\n# Time stamp:  %s\n#\n%s\n#\n\n",
		rule, s.Version, lineBreaks.Replace(strings.Join(s.CommandLine, " ")), s.Now.Format("Mon Jan _2 15:04:05 2006"), rule)
}

var (
	rangeRE     = regexp.MustCompile(`^\d+:\d+$`)
	timeRangeRE = regexp.MustCompile(`^\S+:\S+$`)
	viewRE      = regexp.MustCompile(`^\d+,\d+`)
	// viewChars and styleChars are what a view and a graph style may be
	// made of past psad's own check: they go into the file unquoted,
	// where a ";" or a line break would start a command of its own.
	viewChars  = regexp.MustCompile(`^[0-9.,+\- ]*$`)
	styleChars = regexp.MustCompile(`^[A-Za-z0-9.,#+\- ]*$`)
)

// The user's texts (titles, labels, ranges, file names) are written
// into a file that gnuplot runs, so a text must stay text there: psad
// wrote them as given, and a double quote, a back quote (which gnuplot
// runs as a shell command even inside double quotes) or a line break
// in a title ran whatever followed it. A text without those characters
// is written exactly as psad wrote it.

// lineBreaks spells out line breaks, for the header's comment lines.
var lineBreaks = strings.NewReplacer("\n", `\n`, "\r", `\r`)

// dq quotes s for gnuplot's double quotes. A backslash escape the user
// wrote (such as \n for a two-line title) is kept, as psad kept it.
func dq(s string) string {
	if !strings.ContainsAny(s, "\"`\\\n\r") {
		return `"` + s + `"`
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) && s[i+1] != '\n' && s[i+1] != '\r' {
				b.WriteString(s[i : i+2])
				i++
			} else {
				b.WriteString(`\\`)
			}
		case '"', '`':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// sq quotes s for gnuplot's single quotes, which have no escapes but a
// doubled quote and no back-quote substitution; a line break, which
// they cannot hold, becomes a blank.
func sq(s string) string { return "'" + singleQuoted.Replace(s) + "'" }

var singleQuoted = strings.NewReplacer("'", "''", "\n", " ", "\r", " ")

func checkRange(r string) error {
	if !rangeRE.MatchString(r) {
		return errors.New("[*] range argument must be formatted as <start>:<end>, e.g. 1:10")
	}
	return nil
}

func clean(s string) string { return strings.ReplaceAll(s, "_", "") }

// writeCommands writes the gnuplot directives after the header.
func writeCommands(b *bytes.Buffer, toks []token, counter int, dat, png string, s *Settings) error {
	if strings.ContainsAny(dat+png, "\n\r") {
		return errors.New("[*] Gnuplot file names must not hold line breaks")
	}
	threeD := len(toks) >= 3 || s.ThreeD
	title := s.Title
	if title == "" {
		title = "psad iptables log visualization: " + clean(s.Select.Fields)
	}
	fmt.Fprintf(b, "reset\nset title %s\n", dq(title))
	if !s.Interactive {
		if s.Grayscale {
			b.WriteString("set terminal png transparent xffffff x000000 x606060 x606060 x606060 x606060 x606060 x606060 nocrop enhanced\n")
		} else {
			b.WriteString("set terminal png transparent nocrop enhanced\n")
		}
		fmt.Fprintf(b, "set output %s\n", dq(png))
	}
	label := func(given string, i int) string {
		if given != "" {
			return given
		}
		if i < len(toks) {
			return clean(toks[i].raw)
		}
		return ""
	}
	if toks[0].name == "timestamp" {
		b.WriteString("set xdata time\nset timefmt \"%s\"\nset format x \"%m/%d\"\n")
		xl := s.XLabel
		if xl == "" {
			xl = "time"
		}
		fmt.Fprintf(b, "set xlabel %s\n", dq(xl))
		if s.XRange != "" {
			if !timeRangeRE.MatchString(s.XRange) {
				return errors.New("[*] range argument must be formatted as <start>:<end>")
			}
			a, z, _ := strings.Cut(s.XRange, ":")
			fmt.Fprintf(b, "set xrange [%s:%s]\n", dq(a), dq(z))
		}
	} else {
		fmt.Fprintf(b, "set xlabel %s\n", dq(label(s.XLabel, 0)))
		if s.XRange != "" {
			if err := checkRange(s.XRange); err != nil {
				return err
			}
			fmt.Fprintf(b, "set xrange [%s]\n", s.XRange)
		}
	}
	fmt.Fprintf(b, "set ylabel %s\n", dq(label(s.YLabel, 1)))
	if s.YRange != "" {
		if err := checkRange(s.YRange); err != nil {
			return err
		}
		fmt.Fprintf(b, "set yrange [%s]\n", s.YRange)
	}
	names := make([]string, len(toks))
	for i, t := range toks {
		names[i] = clean(t.name)
	}
	legend := s.LegendTitle
	if legend == "" {
		legend = "(" + strings.Join(names, ",") + ")"
	}
	style := s.GraphStyle
	if !styleChars.MatchString(style) {
		return errors.New("[*] The graph style must be a gnuplot style such as lines, points or dots")
	}
	if !threeD {
		if style == "" {
			style = "linespoints"
		}
		fmt.Fprintf(b, "plot %s using 1:2 with %s title %s\n", sq(dat), style, sq(legend))
		return nil
	}
	zl := s.ZLabel
	if zl == "" {
		if counter >= 0 {
			zl = toks[counter].count
		} else {
			zl = label("", 2)
		}
	}
	fmt.Fprintf(b, "set zlabel %s\n", dq(zl))
	if s.ZRange != "" {
		if err := checkRange(s.ZRange); err != nil {
			return err
		}
		fmt.Fprintf(b, "set zrange [%s]\n", s.ZRange)
	}
	if s.View != "" {
		if !viewRE.MatchString(s.View) || !viewChars.MatchString(s.View) {
			return errors.New("[*] View must be a coordinate pair such as 60,30")
		}
		fmt.Fprintf(b, "set view %s\n", s.View)
	}
	if style == "" {
		style = "points"
	}
	fmt.Fprintf(b, "splot %s using 1:2:3 with %s title %s\n", sq(dat), style, sq(legend))
	return nil
}
