// Package csvout implements psad's --CSV mode (operations spec 9.1-9.4):
// it selects firewall log lines and prints chosen packet fields of each,
// one separator-joined line per packet.
package csvout

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/psadgo/psad/internal/fieldexpr"
	"github.com/psadgo/psad/internal/fwlog"
)

// DefaultFields are the fields printed when Settings.Fields is blank.
const DefaultFields = "timestamp src dst sp dp proto flags ip_len intf chain log_prefix"

// DefaultSeparator is psad's --plot-separator default.
const DefaultSeparator = ", "

// maxLine bounds the length of one input line.
const maxLine = 1 << 20

// ErrStartAfterEnd is returned when both line bounds are given and the
// start line lies after the end line. Its text is psad's.
//
//lint:ignore ST1005 the message is printed as is, and psad's text ends with a full stop
var ErrStartAfterEnd = errors.New("[*] Cannot have start line > end line.")

// Settings are the --CSV options.
type Settings struct {
	Fields    string // --CSV-fields; blank means DefaultFields
	Regex     string // --CSV-regex: the raw line must match
	NegRegex  string // --CSV-neg-regex: the raw line must not match
	Unique    bool   // --CSV-unique-lines
	MaxLines  int    // --CSV-max-lines: stop after this many matching lines (0: all)
	StartLine int    // --CSV-start-line: first input line used (1-based; 0: 1)
	EndLine   int    // --CSV-end-line: stop before this input line (0: none)
	Separator string // --plot-separator; "" means DefaultSeparator
}

// Run reads firewall log lines from r and writes the CSV lines to w.
//
// parse fills p (already Reset) from line and reports whether the line
// is a usable packet; it returns false for malformed lines and lines the
// detection engine ignores (ignore lists, -i, FW_MSG_SEARCH), which are
// skipped. The line and the packet's byte slices are only valid during
// the call chain for that line.
//
// Lines are selected as Select does. Errors in the settings are returned
// before anything is read, with psad's messages where psad has one.
func Run(w io.Writer, r io.Reader, s Settings, parse func(line []byte, p *fwlog.Packet) bool) error {
	sep := s.Separator
	if sep == "" {
		sep = DefaultSeparator
	}
	bw := bufio.NewWriter(w)
	var (
		out  []byte
		seen map[string]bool
		werr error
	)
	if s.Unique {
		seen = map[string]bool{}
	}
	_, err := Select(r, s, parse, func(expr *fieldexpr.Expr, p *fwlog.Packet) bool {
		out = expr.AppendRecord(out[:0], sep, p, nil)
		out = append(out, '\n')
		if seen == nil || !seen[string(out)] {
			if seen != nil {
				seen[string(out)] = true
			}
			if _, werr = bw.Write(out); werr != nil {
				return false
			}
		}
		return true
	})
	if err == nil {
		err = werr
	}
	if err != nil {
		bw.Flush()
		return err
	}
	return bw.Flush()
}

// Select reads firewall log lines from r and calls yield with the parsed
// expression of Settings.Fields and each selected packet, until yield
// returns false; --CSV and --gnuplot share it so both pick the same
// packets. It returns the number of input lines read. Unique and
// Separator are not used here.
//
// Per input line, in psad's order: the start and end line bounds, the
// "IN.*OUT" pre-filter, parse (see Run), --CSV-regex and --CSV-neg-regex
// on the raw line, removal of non-word characters from the log prefix,
// the field criteria of Settings.Fields, then yield.
func Select(r io.Reader, s Settings, parse func(line []byte, p *fwlog.Packet) bool, yield func(expr *fieldexpr.Expr, p *fwlog.Packet) bool) (int, error) {
	if s.StartLine > 0 && s.EndLine > 0 && s.StartLine > s.EndLine {
		return 0, ErrStartAfterEnd
	}
	fields := s.Fields
	if strings.TrimSpace(fields) == "" {
		fields = DefaultFields
	}
	expr, err := fieldexpr.Parse(fields, false)
	if err != nil {
		return 0, err
	}
	var re, negRe *regexp.Regexp
	if s.Regex != "" {
		if re, err = regexp.Compile(s.Regex); err != nil {
			return 0, fmt.Errorf("[*] Invalid --CSV-regex %q: %w", s.Regex, err)
		}
	}
	if s.NegRegex != "" {
		if negRe, err = regexp.Compile(s.NegRegex); err != nil {
			return 0, fmt.Errorf("[*] Invalid --CSV-neg-regex %q: %w", s.NegRegex, err)
		}
	}

	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	var (
		p       fwlog.Packet
		prefix  []byte
		matched int
		lineNo  int
	)
	for sc.Scan() {
		lineNo++
		if s.StartLine > 0 && lineNo < s.StartLine {
			continue
		}
		if s.EndLine > 0 && lineNo >= s.EndLine {
			break
		}
		line := sc.Bytes()
		if !inOut(line) {
			continue
		}
		p.Reset()
		if !parse(line, &p) {
			continue
		}
		if re != nil && !re.Match(line) {
			continue
		}
		if negRe != nil && negRe.Match(line) {
			continue
		}
		prefix = appendWordChars(prefix[:0], p.Prefix)
		p.Prefix = prefix
		if !expr.Match(&p, nil) {
			continue
		}
		matched++
		if !yield(expr, &p) {
			return lineNo, nil
		}
		// psad stops before printing line M (QUIRK, spec 9.2); we print
		// M lines.
		if s.MaxLines > 0 && matched >= s.MaxLines {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return lineNo, fmt.Errorf("reading line %d: %w", lineNo+1, err)
	}
	return lineNo, nil
}

// inOut reports whether line matches psad's pre-filter regex "IN.*OUT".
func inOut(line []byte) bool {
	i := bytes.Index(line, []byte("IN"))
	return i >= 0 && bytes.Contains(line[i+2:], []byte("OUT"))
}

// appendWordChars appends the characters of b that Perl's \w matches in
// byte mode (letters, digits, underscore); psad strips all others from
// the log prefix in CSV output ("DROP INVALID" becomes "DROPINVALID").
func appendWordChars(dst, b []byte) []byte {
	for _, c := range b {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' {
			dst = append(dst, c)
		}
	}
	return dst
}
