package sig

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// scanLines calls fn for every line of the file at path with its number.
func scanLines(path string, fn func(line string, ln int) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return scanReader(f, path, fn)
}

// scanReader is scanLines on an open reader; name is what errors cite.
// The loaders' line rules are kept apart from their files so the fuzz
// targets can give them any text.
func scanReader(r io.Reader, name string, fn func(line string, ln int) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	for ln := 1; sc.Scan(); ln++ {
		if err := fn(strings.TrimRight(sc.Text(), "\r"), ln); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// PriorityDL converts a Snort priority to a psad danger level (spec
// 12.2): 1->5, 2->4, 3->3, 4->2, anything else 1.
func PriorityDL(prio int) int {
	if prio >= 1 && prio <= 4 {
		return 6 - prio
	}
	return 1
}

// LoadClassification reads classification.config: lines
// "config classification: <name>,<description>,<priority>". It returns
// classtype -> DL. As psad, the priority is the last digit on the line.
func LoadClassification(path string) (map[string]int, error) {
	m := make(map[string]int)
	return m, scanLines(path, classificationLine(m))
}

// classificationLine is LoadClassification's rule for one line.
func classificationLine(m map[string]int) func(string, int) error {
	return func(line string, _ int) error {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "config classification:")
		if !ok {
			return nil
		}
		name, _, _ := strings.Cut(rest, ",")
		name = strings.TrimSpace(name)
		t := strings.TrimSpace(rest)
		if name == "" || t == "" || !isDigit(t[len(t)-1]) {
			return nil
		}
		m[name] = PriorityDL(int(t[len(t)-1] - '0'))
		return nil
	}
}

// LoadReferences reads reference.config: lines
// "config reference: <type> <base-url>". Types are lower-cased.
func LoadReferences(path string) (map[string]string, error) {
	m := make(map[string]string)
	return m, scanLines(path, referenceLine(m))
}

// referenceLine is LoadReferences' rule for one line.
func referenceLine(m map[string]string) func(string, int) error {
	return func(line string, _ int) error {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "config reference:")
		if !ok {
			return nil
		}
		f := strings.Fields(rest)
		if len(f) >= 2 {
			m[strings.ToLower(f[0])] = f[1]
		}
		return nil
	}
}

// LoadRuleDL reads snort_rule_dl (SNORT_RULE_DL_FILE, spec 12.3): lines
// starting with a digit are "<sid><blanks><dl>", a ";" after the dl and
// anything after that ignored. Other lines are comments. A dl outside
// 0..5 or a line without one is skipped with a warning.
func LoadRuleDL(path string) (map[int]int, []Warning, error) {
	m := make(map[int]int)
	var warns []Warning
	err := scanLines(path, ruleDLLine(m, &warns, path))
	return m, warns, err
}

// ruleDLLine is LoadRuleDL's rule for one line of the file name.
func ruleDLLine(m map[int]int, warns *[]Warning, name string) func(string, int) error {
	return func(line string, ln int) error {
		if line == "" || !isDigit(line[0]) {
			return nil
		}
		f := strings.Fields(line)
		sid, ok1 := parseNum(f[0])
		var dl int64
		ok2 := false
		if len(f) >= 2 {
			dl, ok2 = parseNum(strings.TrimSuffix(f[1], ";"))
		}
		switch {
		case !ok1 || sid > 1<<31-1 || !ok2:
			*warns = append(*warns, Warning{name, ln, fmt.Sprintf("want \"<sid> <dl>\", have %q; line skipped", line)})
		case dl > 5:
			*warns = append(*warns, Warning{name, ln, fmt.Sprintf("danger level %d for %d is not 0..5; line skipped", dl, sid)})
		default:
			m[int(sid)] = int(dl)
		}
		return nil
	}
}

// Rule is one rule imported from a fwsnort/Snort rules directory (spec
// 12.1), for reporting fwsnort SID matches.
type Rule struct {
	SID       int
	Msg       string
	Proto     string // the word after "alert", lower-cased
	Classtype string
	// Priority is the priority option converted to a DL with PriorityDL,
	// 0 when the rule has none. psad does not use it for the DL of a
	// fwsnort match (that is snort_rule_dl or 2).
	Priority int
	Metadata []string
	// Content holds the content: and uricontent: strings as written
	// between the quotes, "!" first for a negated one.
	Content []string
	Refs    []Ref
}

// LoadRulesDirs reads every *.rules file (only <onlyType>.rules when
// onlyType is set) of each directory in dirs, in order and by file name
// within a directory; later files override earlier ones for the same
// sid. Missing directories are skipped. Lines that do not start with
// "alert" or lack a sid are ignored.
func LoadRulesDirs(dirs []string, onlyType string) (map[int]*Rule, []Warning, error) {
	rules := make(map[int]*Rule)
	var warns []Warning
	for _, dir := range dirs {
		ents, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, warns, err
		}
		var names []string
		for _, e := range ents {
			n := e.Name()
			if e.IsDir() || !strings.HasSuffix(n, ".rules") || onlyType != "" && n != onlyType+".rules" {
				continue
			}
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			path := filepath.Join(dir, n)
			err := scanLines(path, func(line string, ln int) error {
				r, w := parseRule(line)
				if w != "" {
					warns = append(warns, Warning{path, ln, w})
				}
				if r != nil {
					rules[r.SID] = r
				}
				return nil
			})
			if err != nil {
				return nil, warns, err
			}
		}
	}
	return rules, warns, nil
}

// parseRule imports one rules-file line, or returns nil.
func parseRule(line string) (*Rule, string) {
	if !strings.HasPrefix(line, "alert") {
		return nil, ""
	}
	hdr, body, ok := strings.Cut(line, "(")
	if !ok {
		return nil, ""
	}
	if i := strings.LastIndexByte(body, ')'); i >= 0 {
		body = body[:i]
	}
	r := &Rule{}
	if f := strings.Fields(hdr); len(f) > 1 {
		r.Proto = strings.ToLower(f[1])
	}
	haveSID, haveMsg := false, false
	for _, o := range splitOptions(body) {
		switch o.key {
		case "sid":
			n, ok := parseNum(o.val)
			if !ok || n == 0 || n > 1<<31-1 {
				return nil, fmt.Sprintf("bad sid %q; rule skipped", o.val)
			}
			if !haveSID {
				r.SID, haveSID = int(n), true
			}
		case "msg":
			if !haveMsg {
				r.Msg, haveMsg = unquoteLoose(o.val), true
			}
		case "classtype":
			if r.Classtype == "" {
				r.Classtype = strings.TrimSpace(o.val)
			}
		case "metadata":
			for m := range strings.SplitSeq(o.val, ",") {
				if m = strings.TrimSpace(m); m != "" {
					r.Metadata = append(r.Metadata, m)
				}
			}
		case "priority":
			if n, ok := parseNum(o.val); ok && r.Priority == 0 {
				r.Priority = PriorityDL(int(min(n, 1000)))
			}
		case "content", "uricontent":
			v := o.val
			neg := strings.HasPrefix(v, "!")
			v = strings.TrimSpace(strings.TrimPrefix(v, "!"))
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if neg {
				v = "!" + v
			}
			r.Content = append(r.Content, v)
		case "reference":
			typ, val, _ := strings.Cut(unescape(o.val), ",")
			r.Refs = append(r.Refs, Ref{strings.TrimSpace(typ), strings.TrimSpace(val)})
		}
	}
	if !haveSID {
		return nil, ""
	}
	return r, ""
}

// unquoteLoose unquotes a msg value, keeping it as is when not quoted.
func unquoteLoose(v string) string {
	if s, ok := unquote(v); ok {
		return s
	}
	return strings.Trim(v, `"`)
}
