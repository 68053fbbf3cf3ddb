// Package detect builds the detection engine from the typed settings once,
// in one place: the protocols table, the ignore rules, the tracker
// thresholds, the parser options, the signature/ICMP/OS engines and the
// auto_dl list. Every mode (-A, -B, --CSV and the daemon) asks Build for a
// Detector, so a log line is judged the same way whichever mode reads it,
// and a reload swaps in a whole new Detector.
package detect

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/psadgo/psad/internal/autodl"
	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/inspect"
	"github.com/psadgo/psad/internal/pipeline"
	"github.com/psadgo/psad/internal/protocols"
	"github.com/psadgo/psad/internal/scan"
)

// Options are the command-line switches that change detection.
type Options struct {
	Interface  string // -i: keep only this interface
	Restrict   string // --restrict-ip
	NoSnortSID bool   // --no-snort-sids: no SID marker, no fwsnort rules
	MaxSources int    // --max-sources (0: MAX_SCAN_SOURCES)

	NoSignatures bool   // --no-signatures
	NoICMPTypes  bool   // --no-icmp-types
	NoICMP6Types bool   // --no-icmp6-types
	NoPassiveOS  bool   // --no-passive-os
	SnortType    string // --snort-type

	NoAutoDL bool // --no-auto-dl
	// AutoDLFile is -a: an auto_dl file that must exist, read even with
	// the embedded configuration.
	AutoDLFile string

	// NoEngines builds only the parser, the ignore rules and the tracker
	// thresholds: no signature, ICMP or OS engines and no auto_dl. --CSV
	// only classifies lines, and -B times the parser and tracker alone.
	NoEngines bool

	// Warn receives what Build skips or replaces but can live with: bad
	// IGNORE_* entries, missing data files, an unreadable protocols file.
	// nil discards them.
	Warn func(string)
}

// Detector is one built engine. Its fields may be adjusted (for example
// Scan.NoBatchDetail) before the first NewTracker; after that it is read
// only and may be shared by the goroutine that owns the tracker and by
// readers of the report helpers.
type Detector struct {
	Protocols *protocols.Table
	Rules     pipeline.Rules
	Scan      scan.Settings
	Parser    fwlog.Options
	// Engines are the signature, ICMP and OS engines; nil with NoEngines.
	Engines *inspect.Engines
	// AutoDL is the auto_dl list; nil when there is none or it is empty.
	AutoDL *autodl.List
}

// Build makes a Detector from the settings and the command line. Its
// errors come from the command line (--restrict-ip), from a data file that
// cannot be parsed, or from an -a file that cannot be read, and already
// name the option or file:line concerned.
func Build(s *config.Settings, o Options) (*Detector, error) {
	warn := o.Warn
	if warn == nil {
		warn = func(string) {}
	}
	d := &Detector{Protocols: loadProtocols(s, warn)}
	ov := pipeline.Overrides{Interface: o.Interface, Restrict: o.Restrict, NoSnortSID: o.NoSnortSID, MaxSources: o.MaxSources}
	rules, warns, err := pipeline.RulesFrom(&s.Detect, d.Protocols, ov)
	if err != nil {
		return nil, err
	}
	for _, w := range warns {
		warn(w)
	}
	d.Rules = rules
	d.Scan = pipeline.SettingsFrom(&s.Detect, ov)
	d.Parser = pipeline.ParserOptionsFrom(&s.Detect, ov)
	if o.NoEngines {
		return d, nil
	}
	if !o.NoAutoDL {
		if d.AutoDL, err = loadAutoDL(s, o.AutoDLFile, warn); err != nil {
			return nil, err
		}
	}
	d.Engines, err = inspect.LoadSettings(&s.Detect, s.Embedded, inspect.Options{
		NoSignatures: o.NoSignatures, NoSnortSIDs: o.NoSnortSID, NoICMPTypes: o.NoICMPTypes,
		NoICMP6Types: o.NoICMP6Types, NoPassiveOS: o.NoPassiveOS, SnortType: o.SnortType, Warn: warn,
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// loadProtocols reads PROTOCOLS_FILE, which names IGNORE_PROTOCOLS
// entries and report lines. The embedded configuration, an unset path or
// an unreadable file gets the built-in table (psad-go's copy of
// /etc/protocols), since a scan report must not fail for want of names.
func loadProtocols(s *config.Settings, warn func(string)) *protocols.Table {
	path := s.Detect.ProtocolsFile.Path
	if s.Embedded && !s.Detect.ProtocolsFile.Given || path == "" {
		return protocols.Default()
	}
	t, err := protocols.Load(path)
	if err != nil {
		warn(fmt.Sprintf("%v; using the built-in protocol table", err))
		return protocols.Default()
	}
	return t
}

// LoadAutoDL reads AUTO_DL_FILE as the detector does (nil when there is
// none or it is empty), for a command that builds no detector, such as
// --fw-block-ip's check against level-0 entries.
func LoadAutoDL(s *config.Settings) (*autodl.List, error) {
	return loadAutoDL(s, "", func(string) {})
}

// loadAutoDL reads the auto_dl list: the -a file when given (it must
// exist), else AUTO_DL_FILE unless the configuration is the embedded one
// (whose /etc/psad path belongs to no installation). A missing
// AUTO_DL_FILE is only a warning, as psad runs without one.
func loadAutoDL(s *config.Settings, override string, warn func(string)) (*autodl.List, error) {
	path := override
	if path == "" && (!s.Embedded || s.Detect.AutoDLFile.Given) {
		path = s.Detect.AutoDLFile.Path
	}
	if path == "" {
		return nil, nil
	}
	l, warns, err := autodl.Load(path)
	if err != nil {
		if override == "" && errors.Is(err, fs.ErrNotExist) {
			warn(fmt.Sprintf("auto_dl file %s does not exist; no danger levels are pre-assigned", path))
			return nil, nil
		}
		return nil, err
	}
	for _, w := range warns {
		warn(fmt.Sprint(w))
	}
	if l.Len() == 0 {
		return nil, nil
	}
	return l, nil
}

// NewTracker returns a tracker with the detector's thresholds and hooks.
func (d *Detector) NewTracker() *scan.Tracker {
	t := scan.NewTracker(d.Scan)
	d.hooks(t)
	return t
}

// Hook points an existing tracker, with the scan state it holds, at this
// detector: its thresholds and its engines and auto_dl list. A reload
// builds a new Detector and calls Hook on the running tracker from the
// goroutine that owns it.
func (d *Detector) Hook(t *scan.Tracker) {
	t.SetSettings(d.Scan)
	d.hooks(t)
}

func (d *Detector) hooks(t *scan.Tracker) {
	t.Inspect, t.Fingerprint, t.AutoDL = nil, nil, nil
	if d.Engines != nil {
		t.Inspect, t.Fingerprint = d.Engines.Inspect, d.Engines.Fingerprint
	}
	if l := d.AutoDL; l != nil {
		t.AutoDL = func(p *fwlog.Packet, cur int) (int, bool, bool) {
			return l.Match(p.Src, cur, p.Proto, p.DstPort)
		}
	}
}

// NewPipeline returns a pipeline with a fresh parser and the detector's
// ignore rules, feeding t (nil: classification only, as --CSV wants).
func (d *Detector) NewPipeline(t *scan.Tracker) *pipeline.Pipeline {
	return pipeline.New(fwlog.NewParser(d.Parser), d.Rules, t)
}
