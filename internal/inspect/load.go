package inspect

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/icmptype"
	"github.com/psadgo/psad/internal/osfp"
	"github.com/psadgo/psad/internal/sig"
)

// Options are the command-line switches that turn engines off.
type Options struct {
	NoSignatures bool   // --no-signatures
	NoSnortSIDs  bool   // --no-snort-sids
	NoICMPTypes  bool   // --no-icmp-types
	NoICMP6Types bool   // --no-icmp6-types
	NoPassiveOS  bool   // --no-passive-os
	SnortType    string // --snort-type
	// Warn receives notes about fallbacks (missing files, skipped rules).
	Warn func(string)
}

// DefaultP0FPath is where Debian's p0f package keeps its database; used
// when psad.conf names no fingerprint file of its own.
const DefaultP0FPath = "/etc/p0f/p0f.fp"

// Load builds the engines psad.conf asks for. With the embedded default
// configuration (no psad installed) it uses this project's own data;
// with a real psad.conf it reads psad's files, falling back to our data
// (and saying so) when a named file is missing.
func Load(c *config.Config, o Options) (*Engines, error) {
	warn := o.Warn
	if warn == nil {
		warn = func(string) {}
	}
	e := &Engines{MaxHops: c.Int("MAX_HOPS"), FwsnortOn: !o.NoSnortSIDs}
	if e.MaxHops == 0 {
		e.MaxHops = 20
	}
	embedded := c.Embedded()
	// file returns the configured path of a data file, or "" to use our
	// built-in data (embedded config, or the file is missing).
	file := func(name string) string {
		p := c.Str(name)
		if embedded || p == "" {
			return ""
		}
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			warn(fmt.Sprintf("%s %s does not exist; using psad-go's built-in data", name, p))
			return ""
		}
		return p
	}

	// Signatures and the files that tune them.
	rulesDirs := []string{c.Str("SNORT_RULES_DIR"), c.Str("FWSNORT_RULES_DIR")}
	var classDL map[string]int
	if !embedded {
		var err error
		classDL, err = sig.LoadClassification(filepath.Join(c.Str("SNORT_RULES_DIR"), "classification.config"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		refPath := filepath.Join(c.Str("SNORT_RULES_DIR"), "reference.config")
		refs, err := sig.LoadReferences(refPath)
		switch {
		case err == nil:
			e.RefURLs = refs
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("reference types: %w", err)
		}
	}
	if p := file("SNORT_RULE_DL_FILE"); p != "" {
		dl, warns, err := sig.LoadRuleDL(p)
		if err != nil {
			return nil, err
		}
		warnAll(warn, warns)
		e.RuleDL = dl
	}
	if !o.NoSnortSIDs && !embedded {
		rules, warns, err := sig.LoadRulesDirs(rulesDirs, o.SnortType)
		if err != nil {
			return nil, err
		}
		warnAll(warn, warns)
		e.Rules = rules
	}
	if !o.NoSignatures {
		so := sig.Options{
			Vars:       c.Get,
			Strict:     c.Y("ENABLE_SNORT_SIG_STRICT"),
			ClassDL:    classDL,
			RuleDL:     e.RuleDL,
			PsadCompat: !c.Y("ENABLE_SNORT_RULE_SEMANTICS"),
		}
		if p := file("IP_OPTS_FILE"); p != "" {
			opts, err := sig.LoadIPOptions(p)
			if err != nil {
				return nil, err
			}
			so.IPOpts = opts
		}
		var set *sig.Set
		var warns []sig.Warning
		var err error
		if p := file("SIGS_FILE"); p != "" {
			set, warns, err = sig.Load(p, so)
		} else {
			set, warns, err = sig.ParseDefault(so)
		}
		if err != nil {
			return nil, err
		}
		warnAll(warn, warns)
		e.Sigs = set
	}

	// ICMP type/code tables; the switches disable the check itself (psad
	// instead flags every ICMP packet, see docs/compat.md).
	if !o.NoICMPTypes {
		if p := file("ICMP_TYPES_FILE"); p != "" {
			t, err := icmptype.Load(p)
			if err != nil {
				return nil, err
			}
			e.ICMP4 = t
		} else {
			e.ICMP4 = icmptype.IPv4()
		}
	}
	if !o.NoICMP6Types {
		if p := file("ICMP6_TYPES_FILE"); p != "" {
			t, err := icmptype.Load(p)
			if err != nil {
				return nil, err
			}
			e.ICMP6 = t
		} else {
			e.ICMP6 = icmptype.IPv6()
		}
	}

	// Passive OS fingerprinting.
	if o.NoPassiveOS {
		return e, nil
	}
	p0f := c.Str("P0F_FILE")
	switch {
	case !embedded && p0f != "" && fileExists(p0f) && !isP0F3(p0f):
		db, err := osfp.LoadPF(p0f)
		if err != nil {
			return nil, err
		}
		e.PF = db
		if p := file("POSF_FILE"); p != "" {
			pdb, err := osfp.LoadPosf(p)
			if err != nil {
				return nil, err
			}
			e.Posf = pdb
		}
	case !embedded && p0f != "" && fileExists(p0f):
		db, err := osfp.LoadP0F(p0f)
		if err != nil {
			return nil, err
		}
		e.P0F = db
	case fileExists(DefaultP0FPath):
		db, err := osfp.LoadP0F(DefaultP0FPath)
		if err != nil {
			warn(fmt.Sprintf("%v; using psad-go's built-in fingerprints", err))
			e.P0F = osfp.DefaultP0F()
		} else {
			e.P0F = db
		}
	default:
		if !embedded && p0f != "" {
			warn(fmt.Sprintf("P0F_FILE %s does not exist; using psad-go's built-in fingerprints", p0f))
		}
		e.P0F = osfp.DefaultP0F()
	}
	return e, nil
}

// warnAll passes data-file warnings on as "file:line: message".
func warnAll(warn func(string), ws []sig.Warning) {
	for _, w := range ws {
		warn(fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Msg))
	}
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// Describe is a one-line summary of the engines for --debug output.
func (e *Engines) Describe() string {
	var parts []string
	if e.Sigs != nil {
		parts = append(parts, fmt.Sprintf("%d signatures", e.Sigs.Len()))
	}
	if len(e.Rules) > 0 {
		parts = append(parts, fmt.Sprintf("%d fwsnort rules", len(e.Rules)))
	}
	if e.ICMP4 != nil || e.ICMP6 != nil {
		parts = append(parts, "ICMP type checks")
	}
	switch {
	case e.P0F != nil:
		parts = append(parts, "p0f v3 fingerprints")
	case e.PF != nil:
		parts = append(parts, "pf.os fingerprints")
	}
	return strings.Join(parts, ", ")
}
