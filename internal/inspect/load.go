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

// LoadSettings builds the engines the settings ask for. With the embedded
// default configuration (embedded true: no psad installed) it uses this
// project's own data; with a real psad.conf it reads psad's files,
// falling back to our data (and saying so) when a named file is missing.
func LoadSettings(d *config.Detect, embedded bool, o Options) (*Engines, error) {
	warn := o.Warn
	if warn == nil {
		warn = func(string) {}
	}
	e := &Engines{MaxHops: d.MaxHops, FwsnortOn: !o.NoSnortSIDs}
	// file returns the configured path of a data file, or "" to use our
	// built-in data (embedded config, or the file is missing).
	file := func(f config.DataFile) string {
		if embedded && !f.Given || f.Path == "" {
			return ""
		}
		if _, err := os.Stat(f.Path); errors.Is(err, fs.ErrNotExist) {
			warn(fmt.Sprintf("%s %s does not exist; using psad-go's built-in data", f.Var, f.Path))
			return ""
		}
		return f.Path
	}

	// Signatures and the files that tune them.
	rulesDirs := []string{d.SnortRulesDir, d.FwsnortRulesDir}
	var classDL map[string]int
	if !embedded {
		var err error
		classDL, err = sig.LoadClassification(filepath.Join(d.SnortRulesDir, "classification.config"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		e.Classification = err == nil
		refPath := filepath.Join(d.SnortRulesDir, "reference.config")
		refs, err := sig.LoadReferences(refPath)
		switch {
		case err == nil:
			e.RefURLs = refs
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("reference types: %w", err)
		}
	}
	if p := file(d.SnortRuleDLFile); p != "" {
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
		e.SnortRulesDir = d.SnortRulesDir
	}
	if !o.NoSignatures {
		so := sig.Options{
			Vars:       d.Var,
			Strict:     d.SnortSigStrict,
			ClassDL:    classDL,
			RuleDL:     e.RuleDL,
			PsadCompat: !d.SnortRuleSemantics,
		}
		if p := file(d.IPOptsFile); p != "" {
			opts, err := sig.LoadIPOptions(p)
			if err != nil {
				return nil, err
			}
			so.IPOpts = opts
		}
		var set *sig.Set
		var warns []sig.Warning
		var err error
		if p := file(d.SigsFile); p != "" {
			set, warns, err = sig.Load(p, so)
			e.SigsFrom = p
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
		if p := file(d.ICMPTypesFile); p != "" {
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
		if p := file(d.ICMP6TypesFile); p != "" {
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
	p0f := d.P0FFile.Path
	if embedded && !d.P0FFile.Given {
		p0f = ""
	}
	switch {
	case p0f != "" && fileExists(p0f) && !isP0F3(p0f):
		db, err := osfp.LoadPF(p0f)
		if err != nil {
			return nil, err
		}
		e.PF = db
		if p := file(d.PosfFile); p != "" {
			pdb, err := osfp.LoadPosf(p)
			if err != nil {
				return nil, err
			}
			e.Posf = pdb
		}
	case p0f != "" && fileExists(p0f):
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
		if p0f != "" {
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
