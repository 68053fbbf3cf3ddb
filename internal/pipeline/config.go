package pipeline

import (
	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/scan"
)

// Overrides are the command-line options that change the pipeline.
type Overrides struct {
	Interface  string // -i
	Restrict   string // --restrict-ip
	NoSnortSID bool   // --no-snort-sids
	MaxSources int    // --max-sources (0: the config's value)
}

// RulesFrom builds the ignore rules from the typed settings and the
// command line. Warnings are for entries psad skips with a syslog
// message; the only error is a bad --restrict-ip, since the settings were
// checked when they were built.
func RulesFrom(d *config.Detect, names ProtoNamer, o Overrides) (Rules, []string, error) {
	r := DefaultRules()
	var warn, w []string
	r.IgnoreLogPrefixes = d.IgnoreLogPrefixes
	r.IgnoreInterfaces, w = interfaces(d.IgnoreInterfaces)
	warn = append(warn, w...)
	r.IgnoreProto, w = ignoreProtocols(d.IgnoreProtocols, names)
	warn = append(warn, w...)
	r.IgnoreTCP, r.IgnoreUDP = portSet(d.IgnoreTCP), portSet(d.IgnoreUDP)
	r.Conntrack = d.IgnoreConntrack
	r.IPv6 = d.IPv6
	r.FWSearchAll = d.FWSearchAll
	r.FWMsgSearch = d.FWMsgSearch
	r.Interface = o.Interface
	if o.Restrict != "" {
		var err error
		if r.Restrict, err = ParseRestrict(o.Restrict); err != nil {
			return r, nil, err
		}
	}
	return r, warn, nil
}

// ParserOptionsFrom returns the parser options the settings select.
func ParserOptionsFrom(d *config.Detect, o Overrides) fwlog.Options {
	opts := fwlog.Options{StripKernelTS: d.IgnoreKernelTimestamp, Header: d.CustomHeader}
	if d.SnortSIDStr != "" && !o.NoSnortSID {
		opts.SIDMarker = []byte(d.SnortSIDStr)
	}
	return opts
}

// DefaultMaxSources is [config.DefaultMaxSources], kept here for callers
// that predate the typed settings.
const DefaultMaxSources = config.DefaultMaxSources

// SettingsFrom returns the tracker thresholds of the settings, with
// --max-sources applied.
func SettingsFrom(d *config.Detect, o Overrides) scan.Settings {
	s := scan.DefaultSettings()
	for n := 1; n <= 5; n++ {
		s.DangerLevel[n] = d.DangerLevel[n]
		s.UniqueHosts[n] = d.UniqueHosts[n]
	}
	s.PortRangeScanThreshold = d.PortRangeScanThreshold
	s.PortRangeSweepThreshold = d.PortRangeSweepThreshold
	s.ProtocolScanThreshold = d.ProtocolScanThreshold
	s.MaxScanIPPairs = d.MaxScanIPPairs
	s.ExpectTCPOptions = d.ExpectTCPOptions
	s.MaxSources = d.MaxScanSources
	s.ForgetBelowDL = d.DirFilesMinDL
	if o.MaxSources > 0 {
		s.MaxSources = o.MaxSources
	}
	if d.HomeNet != nil {
		s.HomeNet = d.HomeNet.Contains
	}
	return s
}
