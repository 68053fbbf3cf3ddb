package config

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

//go:embed psad.conf
var defaultConf []byte

// DefaultName is the file name Default reports in errors and MainFile.
const DefaultName = "(embedded psad.conf)"

// source is the text of one config file.
type source struct {
	name string
	data []byte
}

// Load reads the -O override files in order (each must exist), then the
// main file, and returns the checked configuration. Errors are *Error.
func Load(mainPath string, overrides []string) (*Config, error) {
	srcs, err := readOverrides(overrides)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(mainPath)
	if err != nil {
		return nil, &Error{File: mainPath, Msg: "[*] Could not open config file " + mainPath + ": " + sysText(err), Err: err}
	}
	return build(source{mainPath, data}, srcs, false)
}

// LoadEmbeddedWith is Load with the built-in psad.conf as the main file,
// for machines without a psad installation that still pass -O files.
func LoadEmbeddedWith(overrides []string) (*Config, error) {
	srcs, err := readOverrides(overrides)
	if err != nil {
		return nil, err
	}
	return build(source{DefaultName, defaultConf}, srcs, true)
}

func readOverrides(paths []string) ([]source, error) {
	var srcs []source
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, &Error{File: p, Msg: "[*] Override config file " + p + " does not exist", Err: err}
			}
			return nil, &Error{File: p, Msg: "[*] Could not open config file " + p + ": " + sysText(err), Err: err}
		}
		srcs = append(srcs, source{p, data})
	}
	return srcs, nil
}

// sysText returns the C library's wording for the system error in err
// ("No such file or directory"), which is what psad prints via Perl's $!.
func sysText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	// Without an errno, still leave out the Go operation name ("open",
	// "read") the path error carries: the message already names the file.
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Parse is Load for text already in memory: data is the main file, known
// as name, and each override is read before it as "(override N)".
func Parse(name string, data []byte, overrides ...[]byte) (*Config, error) {
	srcs := make([]source, len(overrides))
	for i, o := range overrides {
		srcs[i] = source{fmt.Sprintf("(override %d)", i+1), o}
	}
	return build(source{name, data}, srcs, false)
}

// Default returns the built-in configuration: every variable and command
// path psad 2.4.6 knows, at psad's shipped values. It goes through the same
// checks as a file named DefaultName. Each call returns a new Config.
func Default() (*Config, error) {
	return build(source{DefaultName, defaultConf}, nil, true)
}

// DefaultText returns the text of the built-in psad.conf, for writing out
// a starting configuration.
func DefaultText() []byte { return append([]byte(nil), defaultConf...) }

// isSpace matches Perl's \s for the ASCII bytes psad's files contain.
func isSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' || b == '\v'
}

// lexLine splits one psad.conf line into name and value, reproducing
// psad's pattern: optional blanks, a name (a run of non-blanks), at least
// one blank, then the value, which is the shortest text up to the next ';'.
// Comment lines, blank lines and lines that do not fit (no blank after the
// name, no ';') report ok false and are ignored, as psad ignores them. The
// value keeps blanks before the ';' and quotes have no meaning.
func lexLine(s string) (name, value string, ok bool) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i == len(s) || s[i] == '#' {
		return "", "", false
	}
	j := i
	for j < len(s) && !isSpace(s[j]) {
		j++
	}
	if j == len(s) {
		return "", "", false
	}
	name = s[i:j]
	for j < len(s) && isSpace(s[j]) {
		j++
	}
	end := strings.IndexByte(s[j:], ';')
	if end < 0 {
		return "", "", false
	}
	return name, s[j : j+end], true
}

// cmdKey reports whether a setting line defines an external command path:
// its name ends in "Cmd" and the value has a '/' with something after it.
// Such lines live in their own namespace, keyed by the name minus "Cmd".
func cmdKey(name, value string) (string, bool) {
	key, found := strings.CutSuffix(name, "Cmd")
	if !found || key == "" {
		return "", false
	}
	if i := strings.IndexByte(value, '/'); i < 0 || i == len(value)-1 {
		return "", false
	}
	return key, true
}

// build runs psad's loading steps over the override sources and then the
// main source.
func build(main source, overrides []source, embedded bool) (*Config, error) {
	c := &Config{
		vars:     map[string]*setting{},
		cmds:     map[string]*setting{},
		mainFile: main.name,
		embedded: embedded,
	}
	fwSearchMode := ""
	var unknown []*Error
	for _, src := range slices.Concat(overrides, []source{main}) {
		lines := strings.Split(string(src.data), "\n")
		for n, line := range lines {
			name, value, ok := lexLine(line)
			if !ok {
				if name, bad := lacksSemicolon(line); bad {
					return nil, &Error{File: src.name, Line: n + 1, Var: name, Msg: "missing ';' at the end of the line"}
				}
				continue
			}
			at := &setting{value: value, file: src.name, line: n + 1}
			if key, isCmd := cmdKey(name, value); isCmd {
				if _, dup := c.cmds[key]; !dup {
					c.cmds[key] = at
				}
				continue
			}
			if !isKnown(name) {
				unknown = append(unknown, &Error{File: src.name, Line: n + 1, Var: name})
			}
			if _, dup := c.vars[name]; !dup {
				c.vars[name] = at
			}
		}
	}
	if err := c.checkUnknown(unknown); err != nil {
		return nil, err
	}
	// FW_MSG_SEARCH and FW_SEARCH_ALL come from a separate scan of the main
	// file only.
	for _, line := range strings.Split(string(main.data), "\n") {
		name, value, ok := lexLine(line)
		if !ok {
			continue
		}
		switch name {
		case "FW_MSG_SEARCH":
			c.fwMsgSearch = append(c.fwMsgSearch, value)
		case "FW_SEARCH_ALL":
			if value == "Y" || value == "N" {
				fwSearchMode = value
			}
		}
	}

	if err := c.expand(); err != nil {
		return nil, err
	}
	c.fillDefaults()
	for _, name := range required {
		if _, ok := c.vars[name]; !ok {
			return nil, &Error{
				File: main.name,
				Var:  name,
				Msg:  "[*] The config file \"" + main.name + "\" does not contain the\nvariable: \"" + name + "\". Exiting!",
			}
		}
	}
	if err := c.validate(); err != nil {
		return nil, err
	}

	if fwSearchMode == "" {
		if v, _ := c.Get("FW_SEARCH_ALL"); v == "Y" || v == "N" {
			fwSearchMode = v
		} else {
			fwSearchMode = "Y"
		}
	}
	c.fwSearchAll = fwSearchMode == "Y"
	if s := c.vars["FW_SEARCH_ALL"]; s.value != fwSearchMode {
		// The main file's Y or N beat an override's value; show what is
		// in force.
		c.vars["FW_SEARCH_ALL"] = &setting{value: fwSearchMode, file: main.name}
	}
	return c, nil
}

// maxPasses is psad's limit on expansion passes: a value that still holds
// a $NAME after this many rounds of substitution is an error.
const maxPasses = 19

// maxValueLen bounds a value during expansion. psad has no such limit, but
// values that reference each other several times can double in length on
// every pass; no real configuration comes near this.
const maxValueLen = 1 << 20

// findRef returns the position of the first "$NAME" (NAME being letters,
// digits and '_') in s, or -1.
func findRef(s string) (start, end int) {
	for i := 0; i+1 < len(s); i++ {
		if s[i] != '$' || !isWord(s[i+1]) {
			continue
		}
		j := i + 1
		for j < len(s) && isWord(s[j]) {
			j++
		}
		return i, j
	}
	return -1, -1
}

func isWord(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// expand replaces $NAME references as psad does: each pass substitutes the
// first reference in every value (variables, then command paths, each in
// name order) using the referenced variable's current value, until no
// value holds a reference. $INSTALL_ROOT is empty when INSTALL_ROOT is "/",
// so "$INSTALL_ROOT/var/log/psad" becomes "/var/log/psad".
func (c *Config) expand() error {
	varNames := c.Names()
	cmdNames := c.CmdNames()
	for pass := 0; ; pass++ {
		pending := false
		for _, m := range []map[string]*setting{c.vars, c.cmds} {
			for _, s := range m {
				if i, _ := findRef(s.value); i >= 0 {
					pending = true
				}
			}
		}
		if !pending {
			return nil
		}
		if pass == maxPasses {
			return &Error{File: c.mainFile, Msg: "[*] Exceeded maximum variable resolution counter."}
		}
		for _, name := range varNames {
			if err := c.substitute(name, c.vars[name], true); err != nil {
				return err
			}
		}
		for _, name := range cmdNames {
			if err := c.substitute(name, c.cmds[name], false); err != nil {
				return err
			}
		}
	}
}

// substitute replaces the first reference in s, the value of variable (or
// command, when isVar is false) name.
func (c *Config) substitute(name string, s *setting, isVar bool) error {
	i, j := findRef(s.value)
	if i < 0 {
		return nil
	}
	ref := s.value[i+1 : j]
	if isVar && ref == name {
		return &Error{File: s.file, Line: s.line, Var: name,
			Msg: fmt.Sprintf("[*] sub-ver %s not allowed within same variable %s", ref, name)}
	}
	sub, ok := c.vars[ref]
	if !ok {
		return &Error{File: s.file, Line: s.line, Var: name,
			Msg: fmt.Sprintf("[*] sub-var \"%s\" not defined in config for var: %s.", ref, name)}
	}
	repl := sub.value
	if ref == "INSTALL_ROOT" && repl == "/" {
		repl = ""
	}
	if len(s.value)-(j-i)+len(repl) > maxValueLen {
		return &Error{File: s.file, Line: s.line, Var: name,
			Msg: fmt.Sprintf("value longer than %d bytes after $%s expansion", maxValueLen, ref)}
	}
	s.value = s.value[:i] + repl + s.value[j:]
	return nil
}

// fillDefaults gives the variables psad uses without requiring them the
// value its shipped psad.conf has. psad itself leaves them undefined and
// then misbehaves or dies; defaults that refer to a missing variable are
// left out, as the required-variable check reports that one. IPT_AUTO_CHAIN2
// and later are deliberately not filled in: psad stops at the first missing
// number, so leaving one out is how a user limits blocking to fewer chains.
func (c *Config) fillDefaults() {
	for _, d := range optionalDefaults {
		if _, ok := c.vars[d.name]; ok {
			continue
		}
		v := d.value
		if i, j := findRef(v); i >= 0 {
			sub, ok := c.vars[v[i+1:j]]
			if !ok {
				continue
			}
			v = v[:i] + sub.value + v[j:]
		}
		c.vars[d.name] = &setting{value: v}
	}
}

// validate applies psad's start-up value checks that depend only on the
// configuration (items 1, 2 and 7 of the checks psad runs after loading).
func (c *Config) validate() error {
	// Every ENABLE_* switch must be Y, N, YES or NO in any case. psad then
	// compares with exactly "Y", so a YES would silently mean "off"; we
	// store Y or N instead. Surrounding blanks are tolerated.
	for _, name := range c.Names() {
		if !strings.HasPrefix(name, "ENABLE_") {
			continue
		}
		s := c.vars[name]
		switch strings.ToUpper(strings.TrimSpace(s.value)) {
		case "Y", "YES":
			s.value = "Y"
		case "N", "NO":
			s.value = "N"
		default:
			return c.errAt(name, fmt.Sprintf("[*] %s variable must be 'Y' or 'N'", name))
		}
	}
	for _, r := range intRanges {
		v := strings.TrimSpace(c.vars[r.name].value)
		if !inRange(v, r.min, r.max) {
			return c.errAt(r.name, fmt.Sprintf("[*] %s must be an integer >= %d and <= %d", r.name, r.min, r.max))
		}
	}
	// Only the local0..local7 facilities are possible; the match is a
	// case-insensitive substring test, as in psad.
	if !containsAnyFold(c.vars["SYSLOG_FACILITY"].value, syslogFacilities) {
		return c.errAt("SYSLOG_FACILITY", "[*] Unrecognized SYSLOG_FACILITY, see psad.conf")
	}
	if !containsAnyFold(c.vars["SYSLOG_PRIORITY"].value, syslogPriorities) {
		return c.errAt("SYSLOG_PRIORITY", "[*] Unrecognized SYSLOG_PRIORITY, see psad.conf")
	}
	return c.validateNumbers()
}

// validateNumbers applies psad-go's checks of numeric variables (see
// numRanges and ascending), which psad does not make.
func (c *Config) validateNumbers() error {
	for _, r := range numRanges {
		s, ok := c.vars[r.name]
		v := ""
		if ok {
			v = strings.TrimSpace(s.value)
		}
		if r.optional && v == "" {
			continue
		}
		if !inRange(v, r.min, r.max) {
			// An unbounded variable names its maximum only when the
			// value is a number above it.
			want := fmt.Sprintf(">= %d", r.min)
			if r.max != unbounded || allDigits(v) && !inRange(v, 0, r.min) {
				want = fmt.Sprintf(">= %d and <= %d", r.min, r.max)
			}
			return c.errAt(r.name, fmt.Sprintf("[*] %s must be an integer %s, not %q", r.name, want, v))
		}
	}
	for _, series := range ascending {
		for i := 1; i < len(series); i++ {
			lo, hi := c.Int(series[i-1]), c.Int(series[i])
			if hi <= lo {
				return c.errAt(series[i], fmt.Sprintf("[*] %s must be greater than %s (%d), not %q",
					series[i], series[i-1], lo, strings.TrimSpace(c.vars[series[i]].value)))
			}
		}
	}
	return nil
}

func allDigits(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return v != ""
}

func (c *Config) errAt(name, msg string) *Error {
	s := c.vars[name]
	return &Error{File: s.file, Line: s.line, Var: name, Msg: msg}
}

// inRange reports whether v is all digits with a value in [min, max].
func inRange(v string, min, max int) bool {
	if !allDigits(v) {
		return false
	}
	t := strings.TrimLeft(v, "0")
	if len(t) > 9 {
		return false // larger than any bound below
	}
	n, err := strconv.Atoi("0" + t)
	return err == nil && n >= min && n <= max
}

func containsAnyFold(v string, words []string) bool {
	v = strings.ToUpper(v)
	for _, w := range words {
		if strings.Contains(v, w) {
			return true
		}
	}
	return false
}

var (
	syslogFacilities = []string{"LOG_LOCAL7", "LOG_LOCAL6", "LOG_LOCAL5", "LOG_LOCAL4",
		"LOG_LOCAL3", "LOG_LOCAL2", "LOG_LOCAL1", "LOG_LOCAL0"}
	syslogPriorities = []string{"LOG_INFO", "LOG_DEBUG", "LOG_NOTICE", "LOG_WARNING",
		"LOG_ERR", "LOG_CRIT", "LOG_ALERT", "LOG_EMERG"}
)
