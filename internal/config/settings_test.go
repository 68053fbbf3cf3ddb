package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestSettingsDefaults checks the typed values of the embedded psad.conf:
// each row is a field and the value psad's shipped configuration means.
func TestSettingsDefaults(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Settings()
	if err != nil {
		t.Fatal(err)
	}
	d, a := &s.Detect, &s.Alert
	tests := []struct {
		name      string
		got, want any
	}{
		{"Embedded", s.Embedded, true},
		{"DangerLevel", d.DangerLevel, [6]int{0, 5, 15, 150, 1500, 10000}},
		{"UniqueHosts", d.UniqueHosts, [6]int{0, 10, 20, 50, 100, 500}},
		{"PortRangeScanThreshold", d.PortRangeScanThreshold, 1},
		{"PortRangeSweepThreshold", d.PortRangeSweepThreshold, 0},
		{"ProtocolScanThreshold", d.ProtocolScanThreshold, 5},
		{"MaxScanIPPairs", d.MaxScanIPPairs, 0},
		{"MaxScanSources", d.MaxScanSources, DefaultMaxSources},
		{"ExpectTCPOptions", d.ExpectTCPOptions, true},
		{"HomeNet (any)", d.HomeNet == nil, true},
		{"IgnoreLogPrefixes (NONE)", d.IgnoreLogPrefixes == nil, true},
		{"IgnoreInterfaces (NONE)", d.IgnoreInterfaces, []string(nil)},
		{"IgnoreProtocols (NONE)", d.IgnoreProtocols, []string(nil)},
		{"IgnoreTCP (NONE)", d.IgnoreTCP, []PortRange(nil)},
		{"IgnoreConntrack", d.IgnoreConntrack, true},
		{"IPv6", d.IPv6, true},
		{"FWSearchAll", d.FWSearchAll, true},
		{"FWMsgSearch", len(d.FWMsgSearch), 0},
		{"SnortSIDStr", d.SnortSIDStr, "SID"},
		{"IgnoreKernelTimestamp", d.IgnoreKernelTimestamp, true},
		{"MaxHops", d.MaxHops, 20},
		{"SnortSigStrict", d.SnortSigStrict, true},
		{"SnortRuleSemantics", d.SnortRuleSemantics, true},
		{"SigsFile", d.SigsFile, DataFile{Var: "SIGS_FILE", Path: "/etc/psad/signatures"}},
		{"AutoDLFile", d.AutoDLFile, DataFile{Var: "AUTO_DL_FILE", Path: "/etc/psad/auto_dl"}},
		{"ProtocolsFile", d.ProtocolsFile, DataFile{Var: "PROTOCOLS_FILE", Path: "/etc/psad/protocols"}},
		{"SnortRulesDir", d.SnortRulesDir, "/etc/psad/snort_rules"},
		{"Vars HOME_NET", d.Vars["HOME_NET"], "any"},

		{"EmailAddresses", a.EmailAddresses, []string{"root@localhost"}},
		{"MinDangerLevel", a.MinDangerLevel, 1},
		{"EmailAlertDangerLevel", a.EmailAlertDangerLevel, 1},
		{"EmailLimit", a.EmailLimit, 0},
		{"NoMail", a.NoMail, false},
		{"NoSyslog", a.NoSyslog, false},
		{"MailFrom (NONE)", a.MailFrom, ""},
		{"SMTP", a.SMTP, SMTP{Port: 25, StartTLS: "opportunistic"}},
		{"Syslog server (NONE)", a.Syslog.Server + a.Syslog.Network, ""},
		{"WhoisTimeout", a.WhoisTimeout, 60 * time.Second},
		{"WhoisServer", a.WhoisServer, "whois.iana.org:43"},
		{"DNSServer (NONE)", a.DNSServer, ""},
		{"DShield.Interval", a.DShield.Interval, 6 * time.Hour},

		{"IPTSyslogFile", s.Inputs.IPTSyslogFile, "/var/log/messages"},
		{"KernelTags", s.Inputs.KernelTags, []string{"kernel"}},
		{"ListenUDP (NONE)", s.Inputs.ListenUDP, ""},
		{"FWMsgReadCommand", s.Inputs.FWMsgReadCommand, "/bin/journalctl"},

		{"PsadDir", s.Files.PsadDir, "/var/log/psad"},
		{"AnalysisModeDir", s.Files.AnalysisModeDir, "/var/log/psad/ipt_analysis"},
		{"Status", s.Status, Status{SigsThreshold: 50, IPThreshold: 25, PortsThreshold: 20}},
		{"Daemon", s.Daemon, Daemon{CheckInterval: 5 * time.Second, ScanTimeout: time.Hour, PersistenceCtrThreshold: 5,
			MinArchiveDL: 1, ArchiveDir: "/var/log/psad/scan_archive", IntfLocalNets: true, DiskMaxPercent: 95, DiskCheckEvery: 300 * time.Second}},
		{"Block", s.Block, Block{
			AutoIDSDangerLevel: 5,
			Timeout:            time.Hour,
			DLTimeout:          [6]time.Duration{0, time.Hour, time.Hour, time.Hour, time.Hour, 0},
			Emails:             true,
			IPTables:           true,
			FlushAtInit:        true,
			PrereqCheck:        1,
			Chains: []AutoChain{
				{"DROP", "src", "filter", "INPUT", 1, "PSAD_BLOCK_INPUT", 1},
				{"DROP", "dst", "filter", "OUTPUT", 1, "PSAD_BLOCK_OUTPUT", 1},
				{"DROP", "both", "filter", "FORWARD", 1, "PSAD_BLOCK_FORWARD", 1},
			},
			IPTFile:        "/var/log/psad/auto_blocked_iptables",
			TCPWrFile:      "/var/log/psad/auto_blocked_tcpwr",
			HostsDeny:      "/etc/hosts.deny",
			IPSetMaxElem:   65536,
			ReconcileEvery: time.Minute,
		}},
		{"Warnings", s.Warnings, []string(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
}

// TestSettingsValues checks the conversions: psad's numeric reading,
// NONE, the list splits and the fallbacks for values that would stop the
// daemon working. Load rejects "20abc" and a zero CHECK_INTERVAL, so
// those reach Settings only through Set (command-line overrides).
func TestSettingsValues(t *testing.T) {
	c := mustParse(t, `
MAX_SCAN_SOURCES  ;
MAX_HOPS 0;
SCAN_TIMEOUT 90;
HOME_NET 192.168.1.0/24, 10.0.0.0/8;
IGNORE_PORTS tcp/80-85, UDP/53, tcp/5-5;
IGNORE_INTERFACES lo, eth1 ,;
IGNORE_PROTOCOLS NONE;
IGNORE_LOG_PREFIXES ^ALLOW;
EMAIL_ADDRESSES a@example.org, b@example.org c@example.org;
ALERTING_METHODS noemail;
SYSLOG_KERNEL_TAGS kernel,kern  fw;
SYSLOG_LISTEN_UDP 127.0.0.1:514;
ENABLE_PERSISTENCE yes;
`)
	c.Set("DANGER_LEVEL2", "20abc")
	c.Set("CHECK_INTERVAL", "0")
	s, err := c.Settings()
	if err != nil {
		t.Fatal(err)
	}
	d := &s.Detect
	if d.DangerLevel[2] != 20 {
		t.Errorf("DANGER_LEVEL2 20abc: got %d, want 20 (Perl numeric reading)", d.DangerLevel[2])
	}
	if d.MaxScanSources != DefaultMaxSources {
		t.Errorf("blank MAX_SCAN_SOURCES: got %d, want %d", d.MaxScanSources, DefaultMaxSources)
	}
	if d.MaxHops != 20 {
		t.Errorf("MAX_HOPS 0: got %d, want 20", d.MaxHops)
	}
	if s.Daemon.CheckInterval != 5*time.Second || s.Daemon.ScanTimeout != 90*time.Second {
		t.Errorf("Daemon = %+v", s.Daemon)
	}
	if !s.Daemon.Persistence {
		t.Error("ENABLE_PERSISTENCE yes: Persistence false")
	}
	if d.HomeNet == nil || !d.HomeNet.Contains(netip.MustParseAddr("10.1.2.3")) || d.HomeNet.Contains(netip.MustParseAddr("172.16.0.1")) {
		t.Errorf("HomeNet = %v", d.HomeNet)
	}
	if want := []PortRange{{80, 85}}; !reflect.DeepEqual(d.IgnoreTCP, want) {
		t.Errorf("IgnoreTCP = %v, want %v", d.IgnoreTCP, want)
	}
	if want := []PortRange{{53, 53}}; !reflect.DeepEqual(d.IgnoreUDP, want) {
		t.Errorf("IgnoreUDP = %v, want %v", d.IgnoreUDP, want)
	}
	if want := []string{"lo", "eth1"}; !reflect.DeepEqual(d.IgnoreInterfaces, want) {
		t.Errorf("IgnoreInterfaces = %q, want %q", d.IgnoreInterfaces, want)
	}
	if d.IgnoreProtocols != nil {
		t.Errorf("IgnoreProtocols = %q, want none", d.IgnoreProtocols)
	}
	if d.IgnoreLogPrefixes == nil || !d.IgnoreLogPrefixes.MatchString("ALLOW IN") {
		t.Errorf("IgnoreLogPrefixes = %v", d.IgnoreLogPrefixes)
	}
	if want := []string{"a@example.org", "b@example.org", "c@example.org"}; !reflect.DeepEqual(s.Alert.EmailAddresses, want) {
		t.Errorf("EmailAddresses = %q, want %q", s.Alert.EmailAddresses, want)
	}
	if !s.Alert.NoMail || s.Alert.NoSyslog {
		t.Errorf("ALERTING_METHODS noemail: NoMail=%v NoSyslog=%v", s.Alert.NoMail, s.Alert.NoSyslog)
	}
	if want := []string{"kernel", "kern", "fw"}; !reflect.DeepEqual(s.Inputs.KernelTags, want) {
		t.Errorf("KernelTags = %q, want %q", s.Inputs.KernelTags, want)
	}
	if s.Inputs.ListenUDP != "127.0.0.1:514" {
		t.Errorf("ListenUDP = %q", s.Inputs.ListenUDP)
	}
	if s.Embedded {
		t.Error("a parsed file reports Embedded")
	}
}

// TestSettingsFWMsgSearch checks that the search patterns are compiled
// only when FW_SEARCH_ALL is N, and that a bad one is reported there.
func TestSettingsFWMsgSearch(t *testing.T) {
	base := defaultsWithout("FW_SEARCH_ALL", "FW_MSG_SEARCH")
	c, err := Parse("main.conf", []byte("FW_SEARCH_ALL N;\nFW_MSG_SEARCH DROP;\nFW_MSG_SEARCH REJ(ECT;\n"+base))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Settings()
	if want := "main.conf:2: FW_MSG_SEARCH: error parsing regexp: missing closing ): `REJ(ECT`"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}

	c, err = Parse("main.conf", []byte("FW_SEARCH_ALL N;\nFW_MSG_SEARCH DROP;\nFW_MSG_SEARCH REJECT;\n"+base))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Settings()
	if err != nil {
		t.Fatal(err)
	}
	if s.Detect.FWSearchAll || len(s.Detect.FWMsgSearch) != 2 || !s.Detect.FWMsgSearch[1].MatchString("x REJECT y") {
		t.Errorf("FWSearchAll=%v FWMsgSearch=%v", s.Detect.FWSearchAll, s.Detect.FWMsgSearch)
	}
}

// TestSettingsBlock checks the active-response variables: timeouts, the
// regex only when enabled, the chain list up to the first gap, psad-go's
// never-block settings and the warning for blocking with no firewall.
func TestSettingsBlock(t *testing.T) {
	base := defaultsWithout("ENABLE_AUTO_IDS", "IPTABLES_BLOCK_METHOD", "AUTO_BLOCK_DL3_TIMEOUT",
		"ENABLE_AUTO_IDS_REGEX", "AUTO_BLOCK_REGEX", "IPT_AUTO_CHAIN1", "IPT_AUTO_CHAIN2", "IPT_AUTO_CHAIN3",
		"FLUSH_IPT_AT_INIT", "ENABLE_RENEW_BLOCK_EMAILS", "IPTABLES_PREREQ_CHECK")
	c, err := Parse("main.conf", []byte(`
ENABLE_AUTO_IDS Y;
IPTABLES_BLOCK_METHOD N;
NFTABLES_BLOCK_METHOD Y;
IPSET_BLOCK_METHOD Y;
AUTO_BLOCK_DL3_TIMEOUT 120;
ENABLE_AUTO_IDS_REGEX Y;
AUTO_BLOCK_REGEX ESTAB;
IPT_AUTO_CHAIN1 REJECT, both, filter, FORWARD, 2, PSAD_FWD, 3;
IPT_AUTO_CHAIN2 DROP, src, mangle, PREROUTING, PSAD_PRE;
IPT_AUTO_CHAIN4 DROP, src, filter, INPUT, 1, NEVER_READ, 1;
FLUSH_IPT_AT_INIT N;
ENABLE_RENEW_BLOCK_EMAILS Y;
IPTABLES_PREREQ_CHECK 5;
AUTO_BLOCK_WHITELIST 192.0.2.0/24 2001:db8::/32,198.51.100.7;
AUTO_BLOCK_HOME_NET Y;
`+base))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Settings()
	if err != nil {
		t.Fatal(err)
	}
	b := s.Block
	if !b.AutoIDS || b.IPTables || !b.NFTables || !b.IPSet || b.TCPWrappers {
		t.Errorf("methods: %+v", b)
	}
	if b.DLTimeout[3] != 2*time.Minute || b.DLTimeout[5] != 0 || b.Timeout != time.Hour {
		t.Errorf("timeouts: %v %v", b.Timeout, b.DLTimeout)
	}
	if b.PrefixRegex == nil || !b.PrefixRegex.MatchString("SID123 ESTAB") {
		t.Errorf("PrefixRegex = %v", b.PrefixRegex)
	}
	want := []AutoChain{
		{"REJECT", "both", "filter", "FORWARD", 2, "PSAD_FWD", 3},
		{"DROP", "src", "mangle", "PREROUTING", 1, "PSAD_PRE", 1},
	}
	if !reflect.DeepEqual(b.Chains, want) {
		t.Errorf("Chains = %+v, want %+v (IPT_AUTO_CHAIN4 follows a gap)", b.Chains, want)
	}
	if b.FlushAtInit || !b.RenewEmails || b.PrereqCheck != 5 || !b.BlockHomeNet {
		t.Errorf("switches: %+v", b)
	}
	for a, in := range map[string]bool{"192.0.2.9": true, "2001:db8::1": true, "198.51.100.7": true, "198.51.100.8": false} {
		if got := b.Whitelist.Contains(netip.MustParseAddr(a)); got != in {
			t.Errorf("Whitelist.Contains(%s) = %v, want %v", a, got, in)
		}
	}
	if len(s.Warnings) != 0 {
		t.Errorf("Warnings = %q", s.Warnings)
	}

	base = defaultsWithout("ENABLE_AUTO_IDS", "IPTABLES_BLOCK_METHOD", "ENABLE_AUTO_IDS_REGEX", "AUTO_BLOCK_REGEX")
	c, err = Parse("main.conf", []byte("ENABLE_AUTO_IDS Y;\nIPTABLES_BLOCK_METHOD N;\nENABLE_AUTO_IDS_REGEX N;\nAUTO_BLOCK_REGEX (;\n"+base))
	if err != nil {
		t.Fatal(err)
	}
	if s, err = c.Settings(); err != nil {
		t.Fatalf("a bad AUTO_BLOCK_REGEX while ENABLE_AUTO_IDS_REGEX is N: %v", err)
	}
	if s.Block.PrefixRegex != nil {
		t.Error("PrefixRegex set while ENABLE_AUTO_IDS_REGEX is N")
	}
	wantWarn := []string{"config warning, ENABLE_AUTO_IDS=Y, but IPTABLES_BLOCK_METHOD, NFTABLES_BLOCK_METHOD, " +
		"IPSET_BLOCK_METHOD and TCPWRAPPERS_BLOCK_METHOD are all set to N."}
	if !reflect.DeepEqual(s.Warnings, wantWarn) {
		t.Errorf("Warnings = %q, want %q", s.Warnings, wantWarn)
	}
}

// TestPsadFeaturesTaken: settings psad-go once named as unsupported now
// take effect without a warning; a CUSTOM_SYSLOG_TS_RE that cannot give
// a timestamp and a host is refused with the variable's name.
func TestPsadFeaturesTaken(t *testing.T) {
	names := []string{"ENABLE_CUSTOM_SYSLOG_TS_RE", "DISK_MAX_PERCENTAGE", "EMAIL_THROTTLE", "ENABLE_EXT_BLOCK_SCRIPT_EXEC", "CUSTOM_SYSLOG_TS_RE"}
	base := defaultsWithout(names...)
	set := "ENABLE_CUSTOM_SYSLOG_TS_RE Y;\nDISK_MAX_PERCENTAGE 80;\nEMAIL_THROTTLE 3;\nENABLE_EXT_BLOCK_SCRIPT_EXEC Y;\n"
	c, err := Parse("main.conf", []byte(set+`CUSTOM_SYSLOG_TS_RE ^\s*((?:\S+\s+){2}\S+)\s+(\S+)\s+kernel\:;`+"\n"+base))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Settings()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Warnings) != 0 {
		t.Errorf("warnings %q", s.Warnings)
	}
	if s.Detect.CustomHeader == nil || s.Daemon.DiskMaxPercent != 80 || s.Alert.EmailThrottle != 3 || s.Block.Script != "/bin/true" {
		t.Errorf("header %v, disk %d, throttle %d, block script %q", s.Detect.CustomHeader, s.Daemon.DiskMaxPercent, s.Alert.EmailThrottle, s.Block.Script)
	}
	for _, re := range []string{`^(\S+) kernel:`, `^(\S+ (\S+) kernel:`} {
		c, err := Parse("main.conf", []byte(set+"CUSTOM_SYSLOG_TS_RE "+re+";\n"+base))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Settings(); err == nil || !strings.Contains(err.Error(), "CUSTOM_SYSLOG_TS_RE") {
			t.Errorf("%s: error %v, want one naming CUSTOM_SYSLOG_TS_RE", re, err)
		}
	}
}

// TestMailOptions: EMAIL_APPEND_HEADER becomes the mail program's
// leading arguments, split as psad's shell split it; EMAIL_THROTTLE and
// TOP_SCANS_CTR_THRESHOLD are read.
func TestMailOptions(t *testing.T) {
	base := defaultsWithout("EMAIL_APPEND_HEADER", "EMAIL_THROTTLE", "TOP_SCANS_CTR_THRESHOLD")
	for _, c := range []struct {
		header string
		want   []string
		err    string
	}{
		{header: "NONE"},
		{header: "-a From:psad@example.com", want: []string{"-a", "From:psad@example.com"}},
		{header: `-a "From: psad <psad@example.com>"  -r 'x y'`, want: []string{"-a", "From: psad <psad@example.com>", "-r", "x y"}},
		{header: `-a "From: x`, err: `EMAIL_APPEND_HEADER`},
	} {
		cfg, err := Parse("main.conf", []byte("EMAIL_APPEND_HEADER "+c.header+";\nEMAIL_THROTTLE 4;\nTOP_SCANS_CTR_THRESHOLD 3;\n"+base))
		if err != nil {
			t.Fatal(err)
		}
		s, err := cfg.Settings()
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want one naming %s", c.header, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", c.header, err)
		}
		if !reflect.DeepEqual(s.Alert.MailArgs, c.want) {
			t.Errorf("%q: MailArgs %q, want %q", c.header, s.Alert.MailArgs, c.want)
		}
		if s.Alert.EmailThrottle != 4 || s.Alert.TopEvery != 3 {
			t.Errorf("EmailThrottle %d, TopEvery %d", s.Alert.EmailThrottle, s.Alert.TopEvery)
		}
	}
}

// TestJournalArgs: FW_MSG_READ_CMD_ARGS reach journalctl less what the
// reader sets itself; the output format and start are named as ignored.
func TestJournalArgs(t *testing.T) {
	base := defaultsWithout("FW_MSG_READ_CMD_ARGS", "USE_FW_MSG_READ_CMD_ARGS")
	for _, c := range []struct {
		args, use string
		keep      []string
		warn      string
	}{
		{args: "-f -k", use: "Y"},
		{args: "-f -k --directory=/srv/journal -M 'web 1'", use: "Y", keep: []string{"--directory=/srv/journal", "-M", "web 1"}},
		{args: "-k -o short -n 100 --since=today --dmesg", use: "Y", warn: "FW_MSG_READ_CMD_ARGS: -o short -n 100 --since=today ignored"},
		{args: "--directory=/srv/journal", use: "N"},
	} {
		cfg, err := Parse("main.conf", []byte("FW_MSG_READ_CMD_ARGS "+c.args+";\nUSE_FW_MSG_READ_CMD_ARGS "+c.use+";\n"+base))
		if err != nil {
			t.Fatal(err)
		}
		s, err := cfg.Settings()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(s.Inputs.FWMsgReadArgs, c.keep) {
			t.Errorf("%q: args %q, want %q", c.args, s.Inputs.FWMsgReadArgs, c.keep)
		}
		if w := strings.Join(s.Warnings, "\n"); c.warn == "" && w != "" || !strings.Contains(w, c.warn) {
			t.Errorf("%q: warnings %q, want %q", c.args, w, c.warn)
		}
	}
}
