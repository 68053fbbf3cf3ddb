package pipeline

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/netset"
	"github.com/psadgo/psad/internal/scan"
)

// Overrides are the command-line options that change the pipeline.
type Overrides struct {
	Interface  string // -i
	Restrict   string // --restrict-ip
	NoSnortSID bool   // --no-snort-sids
	MaxSources int    // --max-sources (0: the config's value)
}

// RulesFromConfig compiles psad.conf's ignore rules. Warnings are for
// entries psad skips with a syslog message.
func RulesFromConfig(c *config.Config, names ProtoNamer, o Overrides) (Rules, []string, error) {
	r := DefaultRules()
	var warn []string
	var err error
	if r.IgnoreLogPrefixes, err = ParsePrefixRegexp(c.Str("IGNORE_LOG_PREFIXES")); err != nil {
		return r, nil, confErr(c, "IGNORE_LOG_PREFIXES", err)
	}
	var w []string
	r.IgnoreInterfaces, w = ParseInterfaces(c.Str("IGNORE_INTERFACES"))
	warn = append(warn, w...)
	r.IgnoreProto, w = ParseIgnoreProtocols(c.Str("IGNORE_PROTOCOLS"), names)
	warn = append(warn, w...)
	if r.IgnoreTCP, r.IgnoreUDP, err = ParseIgnorePorts(c.Str("IGNORE_PORTS")); err != nil {
		return r, nil, confErr(c, "IGNORE_PORTS", err)
	}
	r.Conntrack = c.Y("IGNORE_CONNTRACK_BUG_PKTS")
	r.IPv6 = c.Y("ENABLE_IPV6_DETECTION")
	r.FWSearchAll = c.FWSearchAll()
	if !r.FWSearchAll {
		for _, s := range c.FWMsgSearch() {
			re, err := regexp.Compile(s)
			if err != nil {
				return r, nil, confErr(c, "FW_MSG_SEARCH", err)
			}
			r.FWMsgSearch = append(r.FWMsgSearch, re)
		}
	}
	r.Interface = o.Interface
	if o.Restrict != "" {
		if r.Restrict, err = ParseRestrict(o.Restrict); err != nil {
			return r, nil, err
		}
	}
	return r, warn, nil
}

func confErr(c *config.Config, name string, err error) error {
	file, line := c.Line(name)
	if file == "" {
		return err
	}
	return fmt.Errorf("%s:%d: %w", file, line, err)
}

// ParserOptions returns the parser options psad.conf selects.
func ParserOptions(c *config.Config, o Overrides) fwlog.Options {
	opts := fwlog.Options{StripKernelTS: c.Y("IGNORE_KERNEL_TIMESTAMP")}
	if sid := c.Str("SNORT_SID_STR"); sid != "" && !o.NoSnortSID {
		opts.SIDMarker = []byte(sid)
	}
	return opts
}

// DefaultMaxSources bounds the scan state when psad.conf does not set
// MAX_SCAN_SOURCES: a million sources is far beyond any real scan log yet
// keeps a spoofed-source flood from taking all memory.
const DefaultMaxSources = 1000000

// SettingsFromConfig reads the tracker thresholds from psad.conf.
func SettingsFromConfig(c *config.Config, o Overrides) (scan.Settings, error) {
	s := scan.DefaultSettings()
	for n := 1; n <= 5; n++ {
		s.DangerLevel[n] = c.Int(fmt.Sprintf("DANGER_LEVEL%d", n))
		s.UniqueHosts[n] = c.Int(fmt.Sprintf("DL%d_UNIQUE_HOSTS", n))
	}
	s.PortRangeScanThreshold = c.Int("PORT_RANGE_SCAN_THRESHOLD")
	s.PortRangeSweepThreshold = c.Int("PORT_RANGE_SWEEP_THRESHOLD")
	s.ProtocolScanThreshold = c.Int("PROTOCOL_SCAN_THRESHOLD")
	s.MaxScanIPPairs = c.Int("MAX_SCAN_IP_PAIRS")
	s.ExpectTCPOptions = c.Y("EXPECT_TCP_OPTIONS")
	s.MaxSources = DefaultMaxSources
	if v, ok := c.Get("MAX_SCAN_SOURCES"); ok && strings.TrimSpace(v) != "" {
		s.MaxSources = c.Int("MAX_SCAN_SOURCES")
	}
	if o.MaxSources > 0 {
		s.MaxSources = o.MaxSources
	}
	home := strings.TrimSpace(c.Str("HOME_NET"))
	if home != "" && !strings.EqualFold(home, "any") && !strings.Contains(home, "CHANGEME") {
		set, err := netset.Parse(home)
		if err != nil {
			return s, confErr(c, "HOME_NET", err)
		}
		if !set.Any() {
			s.HomeNet = set.Contains
		}
	}
	return s, nil
}
