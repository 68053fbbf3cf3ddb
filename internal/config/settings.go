package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/psadgo/psad/internal/netset"
)

// Settings is a loaded configuration turned into typed values: numbers
// parsed, Y/N switches as bools, lists split, "NONE" turned into "" and
// durations carrying their unit. It is built once by [Config.Settings],
// which is the only code that names psad.conf variables, so every default
// and range lives beside the field it fills. A Settings is never mutated
// after it is built; a reload builds a new one.
type Settings struct {
	// Embedded reports whether the configuration is the built-in
	// psad.conf: no psad is installed, so the data files it names (under
	// /etc/psad) must not be read and psad-go's own data is used instead.
	Embedded bool
	// MainFile is the main config file, for messages.
	MainFile string

	Detect Detect
	Alert  Alert
	Inputs Inputs
	Files  Files
	Status Status
	Daemon Daemon
	Block  Block
	// MetricsAddress is METRICS_ADDRESS (psad-go): host:port of the
	// Prometheus endpoint, "" (NONE) for none.
	MetricsAddress string
	// FWLoggingCheck is ENABLE_FW_LOGGING_CHECK: the daemon checks at start
	// that the firewall logs what it drops.
	FWLoggingCheck bool
	// SigUpdate is where --sig-update fetches signatures from and whom it
	// trusts to serve them.
	SigUpdate SigUpdate

	// Warnings are problems psad reports as "config warning" and runs on
	// with; the daemon logs them at start and on reload.
	Warnings []string
}

// SigUpdate holds the --sig-update settings.
type SigUpdate struct {
	URL string // SIG_UPDATE_URL
	// CAFile is SIG_UPDATE_CA_FILE (psad-go): PEM certificates trusted
	// instead of the system's, for a mirror with a private CA; "" (NONE)
	// trusts the system roots.
	CAFile     string
	ArchiveDir string // CONF_ARCHIVE_DIR: where the replaced file is kept
}

// Detect is what decides whether a log line is a packet worth keeping and
// how scans are scored: ignore rules, thresholds and the data files of the
// signature, ICMP and OS engines.
type Detect struct {
	// DangerLevel[n] is DANGER_LEVELn, the packet count that raises a
	// source to level n (index 0 unused).
	DangerLevel [6]int
	// UniqueHosts[n] is DLn_UNIQUE_HOSTS, the distinct destinations that
	// raise a source to level n (0: not used).
	UniqueHosts [6]int

	PortRangeScanThreshold  int // PORT_RANGE_SCAN_THRESHOLD
	PortRangeSweepThreshold int // PORT_RANGE_SWEEP_THRESHOLD
	ProtocolScanThreshold   int // PROTOCOL_SCAN_THRESHOLD
	MaxScanIPPairs          int // MAX_SCAN_IP_PAIRS (0: unlimited)
	// MaxScanSources is MAX_SCAN_SOURCES, or DefaultMaxSources when the
	// variable is absent or blank.
	MaxScanSources int
	// DirFilesMinDL is PSAD_DIR_FILES_MIN_DL (psad-go), or
	// DefaultDirFilesMinDL when absent or blank: the danger level from
	// which a source gets its files under PSAD_DIR and outlives the
	// expiry of its scans.
	DirFilesMinDL    int
	ExpectTCPOptions bool // EXPECT_TCP_OPTIONS

	// HomeNet is HOME_NET; nil when every address is home ("any", an
	// empty value, or psad's unedited "CHANGEME" placeholder).
	HomeNet *netset.Set

	// IgnoreLogPrefixes is IGNORE_LOG_PREFIXES compiled; nil for NONE.
	IgnoreLogPrefixes *regexp.Regexp
	// IgnoreInterfaces are the IGNORE_INTERFACES entries, trimmed, empty
	// entries dropped; checking the names (psad skips bad ones with a
	// warning) is the pipeline's job.
	IgnoreInterfaces []string
	// IgnoreProtocols are the IGNORE_PROTOCOLS entries, trimmed; they are
	// resolved against the protocols table by the pipeline.
	IgnoreProtocols []string
	// IgnoreTCP and IgnoreUDP are the IGNORE_PORTS destination port
	// ranges, already reduced to psad's rule that a range counts only
	// when low < high.
	IgnoreTCP, IgnoreUDP []PortRange
	IgnoreConntrack      bool // IGNORE_CONNTRACK_BUG_PKTS
	IPv6                 bool // ENABLE_IPV6_DETECTION

	// FWSearchAll and FWMsgSearch are FW_SEARCH_ALL and the compiled
	// FW_MSG_SEARCH patterns (see [Config.FWSearchAll]); FWMsgSearch is
	// nil when FWSearchAll is true because it is then never consulted.
	FWSearchAll bool
	FWMsgSearch []*regexp.Regexp

	SnortSIDStr           string // SNORT_SID_STR ("" turns fwsnort SIDs off)
	IgnoreKernelTimestamp bool   // IGNORE_KERNEL_TIMESTAMP
	// CustomHeader is CUSTOM_SYSLOG_TS_RE when ENABLE_CUSTOM_SYSLOG_TS_RE
	// is Y (nil otherwise): group 1 the timestamp, group 2 the host.
	CustomHeader *regexp.Regexp

	// MaxHops is MAX_HOPS, psad's bound on the hop distance guessed from
	// the TTL; 0 in the file means psad's shipped 20.
	MaxHops            int
	SnortSigStrict     bool // ENABLE_SNORT_SIG_STRICT
	SnortRuleSemantics bool // ENABLE_SNORT_RULE_SEMANTICS

	// Data files. Each keeps its variable name for "does not exist"
	// messages.
	SigsFile        DataFile // SIGS_FILE
	AutoDLFile      DataFile // AUTO_DL_FILE
	PosfFile        DataFile // POSF_FILE
	P0FFile         DataFile // P0F_FILE
	IPOptsFile      DataFile // IP_OPTS_FILE
	ICMPTypesFile   DataFile // ICMP_TYPES_FILE
	ICMP6TypesFile  DataFile // ICMP6_TYPES_FILE
	SnortRuleDLFile DataFile // SNORT_RULE_DL_FILE
	ProtocolsFile   DataFile // PROTOCOLS_FILE
	SnortRulesDir   string   // SNORT_RULES_DIR
	FwsnortRulesDir string   // FWSNORT_RULES_DIR

	// Vars holds every variable as loaded, for the $NAME references in
	// signatures ($HOME_NET, $HTTP_PORTS, ...), which may name any of them.
	Vars map[string]string
}

// Var looks up a variable for signature $NAME expansion; it has the shape
// sig.Options.Vars wants.
func (d *Detect) Var(name string) (string, bool) {
	v, ok := d.Vars[name]
	return v, ok
}

// DataFile is the path of a data file together with the psad.conf
// variable that names it, so a loader's message can say which setting
// points at a missing file.
type DataFile struct {
	Var  string
	Path string // "" when unset
	// Given reports that the operator named the file (a command-line
	// option, a -O override file or the main file) rather than the
	// built-in defaults: with no psad.conf, built-in data replaces the
	// defaults' paths, never a file the operator asked for.
	Given bool
}

// PortRange is an inclusive range of destination ports.
type PortRange struct{ Lo, Hi uint16 }

// DefaultMaxSources bounds the scan state when psad.conf does not set
// MAX_SCAN_SOURCES: a million sources is far beyond any real scan log yet
// keeps a spoofed-source flood from taking all memory.
const DefaultMaxSources = 1000000

// DefaultDirFilesMinDL is PSAD_DIR_FILES_MIN_DL when psad.conf does not
// set it. psad writes a directory of files for every source it alerts
// on, DL 1 included; a spoofed flood of one-packet sources then makes
// tens of thousands of directories. A DL 1 source is one that sent a few
// packets, whose alert (syslog, mail) still goes out; from DL 2 on the
// files are written as psad writes them.
const DefaultDirFilesMinDL = 2

// Alert is how and when alerts go out: thresholds, mail, syslog, lookups,
// the external script, DShield and the top files.
type Alert struct {
	// EmailAddresses is EMAIL_ADDRESSES split on commas and blanks.
	EmailAddresses        []string
	MinDangerLevel        int  // MIN_DANGER_LEVEL
	EmailAlertDangerLevel int  // EMAIL_ALERT_DANGER_LEVEL
	AlertAll              bool // ALERT_ALL
	EmailLimit            int  // EMAIL_LIMIT (0: unlimited)
	EmailLimitPerDst      bool // ENABLE_EMAIL_LIMIT_PER_DST
	EmailLimitStatusMsg   bool // EMAIL_LIMIT_STATUS_MSG
	// EmailThrottle is EMAIL_THROTTLE: above 1, one alert mail in N per
	// source (or source and destination) is sent.
	EmailThrottle int
	// MailArgs is EMAIL_APPEND_HEADER split into arguments (nil for
	// NONE): options the mail program gets before its own.
	MailArgs              []string
	SigMsgSyslog          bool // ENABLE_SIG_MSG_SYSLOG
	SigMsgSyslogThreshold int  // SIG_MSG_SYSLOG_THRESHOLD
	MACReporting          bool // ENABLE_MAC_ADDR_REPORTING
	ShowAllSignatures     bool // SHOW_ALL_SIGNATURES

	MailAlertPrefix  string // MAIL_ALERT_PREFIX
	MailStatusPrefix string // MAIL_STATUS_PREFIX
	MailErrorPrefix  string // MAIL_ERROR_PREFIX
	MailFatalPrefix  string // MAIL_FATAL_PREFIX
	MailFrom         string // MAIL_FROM_ADDRESS ("" for NONE)
	Hostname         string // HOSTNAME

	// NoMail and NoSyslog decode ALERTING_METHODS, which psad searches for
	// the words noemail (or nomail, no-email) and nosyslog (no-syslog).
	NoMail, NoSyslog bool

	// MailCmd is the mail program (mailCmd), "" when none is configured.
	MailCmd string
	SMTP    SMTP
	Syslog  Syslog

	DNSLookups           bool          // ENABLE_DNS_LOOKUPS
	DNSServer            string        // DNS_SERVER ("" for NONE: the system resolver)
	DNSLookupThreshold   int           // DNS_LOOKUP_THRESHOLD
	WhoisLookups         bool          // ENABLE_WHOIS_LOOKUPS
	WhoisServer          string        // WHOIS_SERVER ("" for NONE)
	WhoisTimeout         time.Duration // WHOIS_TIMEOUT, in seconds in the file
	WhoisLookupThreshold int           // WHOIS_LOOKUP_THRESHOLD
	WhoisForceASCII      bool          // ENABLE_WHOIS_FORCE_ASCII
	WhoisForceSrcIP      bool          // ENABLE_WHOIS_FORCE_SRC_IP

	ExtScript ExtScript
	DShield   DShield

	TopPortsThreshold int // TOP_PORTS_LOG_THRESHOLD
	TopSigsThreshold  int // TOP_SIGS_LOG_THRESHOLD
	TopIPThreshold    int // TOP_IP_LOG_THRESHOLD
	// TopEvery is TOP_SCANS_CTR_THRESHOLD: the top files are rewritten
	// every TopEvery check intervals (0 or 1: every one).
	TopEvery int
}

// SMTP is psad-go's direct SMTP delivery (not in psad, which always runs
// the mail program). Server is "" when mail goes through MailCmd.
type SMTP struct {
	Server   string // SMTP_SERVER
	Port     int    // SMTP_PORT
	StartTLS string // SMTP_STARTTLS: no, opportunistic or mandatory
	User     string // SMTP_USER
	Password string // SMTP_PASSWORD
}

// Syslog is where alert syslog messages go. Server and Network are "" for
// the local syslog socket.
type Syslog struct {
	Identity string // SYSLOG_IDENTITY
	Facility string // SYSLOG_FACILITY (checked at load)
	Priority string // SYSLOG_PRIORITY (checked at load)
	Network  string // SYSLOG_SERVER_NETWORK
	Server   string // SYSLOG_SERVER
}

// ExtScript is the program run for alerts.
type ExtScript struct {
	Enable   bool   // ENABLE_EXT_SCRIPT_EXEC
	Command  string // EXTERNAL_SCRIPT
	PerAlert bool   // EXEC_EXT_SCRIPT_PER_ALERT
}

// DShield is reporting to dshield.org.
type DShield struct {
	Enable      bool          // ENABLE_DSHIELD_ALERTS
	Interval    time.Duration // DSHIELD_ALERT_INTERVAL, hours in the file (1..24)
	UserID      string        // DSHIELD_USER_ID
	DLThreshold int           // DSHIELD_DL_THRESHOLD
	AlertEmail  string        // DSHIELD_ALERT_EMAIL
	UserEmail   string        // DSHIELD_USER_EMAIL ("" for NONE)
	EmailFile   string        // DSHIELD_EMAIL_FILE
	CounterFile string        // DSHIELD_COUNTER_FILE
}

// Inputs is where the daemon reads firewall messages from.
type Inputs struct {
	IPTSyslogFile string // IPT_SYSLOG_FILE
	// SyslogFile is ENABLE_SYSLOG_FILE; N is psad's legacy mode, in which
	// kmsgsd took the kernel's messages from a syslog fifo.
	SyslogFile bool
	// SyslogDaemon is SYSLOG_DAEMON: one naming ulog means ulogd writes
	// the firewall's messages to ULogDataFile.
	SyslogDaemon string
	ULogDataFile string // ULOG_DATA_FILE
	KmsgRead     bool   // ENABLE_KMSG_READ
	FWMsgReadCmd bool   // ENABLE_FW_MSG_READ_CMD
	// AutoDetectJournal is AUTO_DETECT_JOURNALCTL: the daemon decides
	// FWMsgReadCmd itself from whether journald runs (see inputsel).
	AutoDetectJournal bool
	// FWMsgReadCommand is FW_MSG_READ_CMD, the journalctl to run.
	FWMsgReadCommand string
	// FWMsgReadArgs are FW_MSG_READ_CMD_ARGS (with
	// USE_FW_MSG_READ_CMD_ARGS Y) less what the reader sets itself
	// (-f, -k, the output format, where to start): options such as
	// --directory or --machine.
	FWMsgReadArgs []string
	// KernelTags is SYSLOG_KERNEL_TAGS split on commas and blanks; a
	// syslog line counts as a kernel message only with one of these
	// tags. Empty or NONE means ["kernel"], the tag every syslogd uses.
	KernelTags []string
	ListenUDP  string // SYSLOG_LISTEN_UDP ("" for NONE)
	ListenTCP  string // SYSLOG_LISTEN_TCP ("" for NONE)
	ListenTLS  string // SYSLOG_LISTEN_TLS ("" for NONE)
	TLSCert    string // SYSLOG_TLS_CERT
	TLSKey     string // SYSLOG_TLS_KEY
}

// Files are the paths psad writes.
type Files struct {
	PsadDir string // PSAD_DIR
	RunDir  string // PSAD_RUN_DIR
	FifoDir string // PSAD_FIFO_DIR
	PidFile string // PSAD_PID_FILE
	// AutoIPTSock is AUTO_IPT_SOCK, where psad took block commands as
	// lines; the daemon still does, beside its own control socket.
	AutoIPTSock        string
	CmdlineFile        string // PSAD_CMDLINE_FILE
	PrintScanHash      string // PRINT_SCAN_HASH
	StatusOutputFile   string // STATUS_OUTPUT_FILE
	AnalysisModeDir    string // ANALYSIS_MODE_DIR
	AnalysisOutputFile string // ANALYSIS_OUTPUT_FILE
	FWErrorLog         string // FW_ERROR_LOG
	FWCheckFile        string // FW_CHECK_FILE: the firewall check's report
	// Counters are the daemon's counter and top files by psad's name
	// for them: packet_ctr (PACKET_COUNTER_FILE), ipt_prefix_ctr
	// (IPT_PREFIX_COUNTER_FILE), top_ports (TOP_SCANNED_PORTS_FILE),
	// top_sigs (TOP_SIGS_FILE), top_attackers (TOP_ATTACKERS_FILE).
	Counters map[string]string
}

// Status bounds the -S report (checked at load, as psad does).
type Status struct {
	SigsThreshold  int // STATUS_SIGS_THRESHOLD
	IPThreshold    int // STATUS_IP_THRESHOLD
	PortsThreshold int // STATUS_PORTS_THRESHOLD
}

// Daemon is the timing of the daemon's cycle and scan state.
type Daemon struct {
	// CheckInterval is CHECK_INTERVAL (seconds in the file); a value
	// that is not a positive number means psad's shipped 5 seconds, since
	// a zero ticker would spin.
	CheckInterval time.Duration
	// ScanTimeout is SCAN_TIMEOUT (seconds in the file); it applies only
	// when Persistence is off.
	ScanTimeout time.Duration
	Persistence bool // ENABLE_PERSISTENCE
	// PersistenceCtrThreshold is PERSISTENCE_CTR_THRESHOLD: how many
	// check intervals pass between timeout sweeps.
	PersistenceCtrThreshold int
	ImportOldScans          bool // IMPORT_OLD_SCANS
	// ScanArchive (ENABLE_SCAN_ARCHIVE) moves an earlier run's
	// per-source directories of MinArchiveDL (MIN_ARCHIVE_DANGER_LEVEL)
	// and up to ArchiveDir (SCAN_DATA_ARCHIVE_DIR) at start instead of
	// deleting them; see psaddir.ClearOldScans.
	ScanArchive  bool
	MinArchiveDL int
	ArchiveDir   string
	// DiskMaxPercent is DISK_MAX_PERCENTAGE (0: no disk check) and
	// DiskCheckEvery DISK_CHECK_INTERVAL (see psaddir.DiskGuard).
	DiskMaxPercent int
	DiskCheckEvery time.Duration
	// IntfLocalNets is ENABLE_INTF_LOCAL_NETS: the daemon's HOME_NET is
	// the host's connected networks (see localnet.HomeNet), not
	// Detect.HomeNet. -A never does this.
	IntfLocalNets bool
	// HomeNetUnset tells that HOME_NET still holds psad's "CHANGEME"
	// placeholder, which the daemon reports when it uses HOME_NET.
	HomeNetUnset bool
}

// Block is active response (psad's section 7): when to block, for how
// long, and with which firewalls.
type Block struct {
	AutoIDS            bool // ENABLE_AUTO_IDS
	AutoIDSDangerLevel int  // AUTO_IDS_DANGER_LEVEL
	// Timeout is AUTO_BLOCK_TIMEOUT and DLTimeout[n] AUTO_BLOCK_DLn_TIMEOUT
	// (index 1..5); 0 means a permanent block.
	Timeout   time.Duration
	DLTimeout [6]time.Duration
	// PrefixRegex is AUTO_BLOCK_REGEX when ENABLE_AUTO_IDS_REGEX is Y:
	// only sources with a matching log prefix are blocked (nil: any).
	PrefixRegex *regexp.Regexp
	Emails      bool // ENABLE_AUTO_IDS_EMAILS
	RenewEmails bool // ENABLE_RENEW_BLOCK_EMAILS
	IPTables    bool // IPTABLES_BLOCK_METHOD
	NFTables    bool // NFTABLES_BLOCK_METHOD (psad-go)
	IPSet       bool // IPSET_BLOCK_METHOD (psad-go)
	TCPWrappers bool // TCPWRAPPERS_BLOCK_METHOD
	FlushAtInit bool // FLUSH_IPT_AT_INIT
	PrereqCheck int  // IPTABLES_PREREQ_CHECK
	// Chains are IPT_AUTO_CHAIN1..N, psad's iptables layout, read up to
	// the first missing number as psad does.
	Chains []AutoChain
	// IPTFile and TCPWrFile are AUTO_BLOCK_IPT_FILE and
	// AUTO_BLOCK_TCPWR_FILE, psad's records of its blocks.
	IPTFile, TCPWrFile string
	// Whitelist is AUTO_BLOCK_WHITELIST (psad-go): networks never
	// blocked, because psad's own exemptions (the host's addresses and
	// 127.0.0.1) leave gateways and admin hosts open to spoofed scans.
	// nil for NONE.
	Whitelist *netset.Set
	// BlockHomeNet is AUTO_BLOCK_HOME_NET (psad-go). psad blocks inside
	// HOME_NET; psad-go does not unless this is Y, since a forged
	// internal source would otherwise cut the host off its own network.
	BlockHomeNet bool
	// HomeNet is HOME_NET as psad.conf writes it (nil: any), the
	// networks BlockHomeNet speaks of. The daemon's HOME_NET derived from
	// the interfaces (Daemon.IntfLocalNets) is not: on a rented server
	// the connected network is other customers' hosts, and psad blocks
	// them.
	HomeNet *netset.Set
	// HostsDeny is ETC_HOSTS_DENY_FILE, the tcpwrappers backend's file.
	HostsDeny string
	// Script is EXTERNAL_BLOCK_SCRIPT when ENABLE_EXT_BLOCK_SCRIPT_EXEC
	// is Y ("" otherwise): run for every block a firewall takes.
	Script string
	// NFTExtraHook and NFTExtraPriority are NFTABLES_EXTRA_HOOK
	// ("hook:priority"); the hook is "" for none.
	NFTExtraHook     string
	NFTExtraPriority int
	// IPSetMaxElem is IPSET_MAXELEM.
	IPSetMaxElem int
	// ReconcileEvery is AUTO_BLOCK_RECONCILE_INTERVAL.
	ReconcileEvery time.Duration
}

// AutoChain is one IPT_AUTO_CHAINn: "target, direction, table,
// from-chain, jump position, to-chain, rule position", e.g.
// "DROP, src, filter, INPUT, 1, PSAD_BLOCK_INPUT, 1".
type AutoChain struct {
	Target    string // DROP or REJECT
	Direction string // src, dst or both
	Table     string
	FromChain string // the built-in chain that jumps to ToChain
	JumpPos   int    // position of the jump rule in FromChain (1-based)
	ToChain   string // psad's own chain holding the blocks
	RulePos   int    // position of new block rules in ToChain (1-based)
}

// defaultCheckInterval is psad's shipped CHECK_INTERVAL.
const defaultCheckInterval = 5 * time.Second

// defaultMaxHops is psad's shipped MAX_HOPS.
const defaultMaxHops = 20

// Settings turns c into typed values. Values that must be compiled (HOME_NET,
// IGNORE_PORTS, IGNORE_LOG_PREFIXES, FW_MSG_SEARCH) are checked here, and a
// bad one is an *Error naming the file, line and variable.
func (c *Config) Settings() (*Settings, error) {
	s := &Settings{Embedded: c.embedded, MainFile: c.mainFile, Warnings: c.Warnings()}
	if err := c.detect(&s.Detect); err != nil {
		return nil, err
	}
	if err := c.alert(&s.Alert); err != nil {
		return nil, err
	}
	if s.Alert.MailArgs != nil && s.Alert.SMTP.Server != "" {
		s.Warnings = append(s.Warnings, "EMAIL_APPEND_HEADER is not used: alert mail goes to SMTP_SERVER, not through the mail program")
	}

	in := &s.Inputs
	in.IPTSyslogFile = c.Str("IPT_SYSLOG_FILE")
	in.SyslogFile = c.Y("ENABLE_SYSLOG_FILE")
	in.SyslogDaemon = c.Str("SYSLOG_DAEMON")
	in.ULogDataFile = c.Str("ULOG_DATA_FILE")
	in.KmsgRead = c.Y("ENABLE_KMSG_READ")
	in.FWMsgReadCmd = c.Y("ENABLE_FW_MSG_READ_CMD")
	in.AutoDetectJournal = c.Y("AUTO_DETECT_JOURNALCTL")
	in.FWMsgReadCommand = c.Str("FW_MSG_READ_CMD")
	if c.Y("USE_FW_MSG_READ_CMD_ARGS") {
		args, err := splitArgs(c.Str("FW_MSG_READ_CMD_ARGS"))
		if err != nil {
			return nil, c.wrapAt("FW_MSG_READ_CMD_ARGS", err)
		}
		var dropped []string
		in.FWMsgReadArgs, dropped = journalArgs(args)
		if len(dropped) > 0 {
			s.Warnings = append(s.Warnings, fmt.Sprintf("FW_MSG_READ_CMD_ARGS: %s ignored: the journal reader chooses its output format and where it starts", strings.Join(dropped, " ")))
		}
	}
	in.KernelTags = strings.Fields(strings.ReplaceAll(c.none("SYSLOG_KERNEL_TAGS"), ",", " "))
	if len(in.KernelTags) == 0 {
		in.KernelTags = []string{"kernel"}
	}
	in.ListenUDP = c.none("SYSLOG_LISTEN_UDP")
	in.ListenTCP = c.none("SYSLOG_LISTEN_TCP")
	in.ListenTLS = c.none("SYSLOG_LISTEN_TLS")
	in.TLSCert = c.Str("SYSLOG_TLS_CERT")
	in.TLSKey = c.Str("SYSLOG_TLS_KEY")

	s.Files = Files{
		PsadDir:            c.Str("PSAD_DIR"),
		RunDir:             c.Str("PSAD_RUN_DIR"),
		FifoDir:            c.Str("PSAD_FIFO_DIR"),
		PidFile:            c.Str("PSAD_PID_FILE"),
		AutoIPTSock:        c.Str("AUTO_IPT_SOCK"),
		CmdlineFile:        c.Str("PSAD_CMDLINE_FILE"),
		PrintScanHash:      c.Str("PRINT_SCAN_HASH"),
		StatusOutputFile:   c.Str("STATUS_OUTPUT_FILE"),
		AnalysisModeDir:    c.Str("ANALYSIS_MODE_DIR"),
		AnalysisOutputFile: c.Str("ANALYSIS_OUTPUT_FILE"),
		FWErrorLog:         c.Str("FW_ERROR_LOG"),
		FWCheckFile:        c.Str("FW_CHECK_FILE"),
		Counters: map[string]string{
			"packet_ctr": c.Str("PACKET_COUNTER_FILE"), "ipt_prefix_ctr": c.Str("IPT_PREFIX_COUNTER_FILE"),
			"top_ports": c.Str("TOP_SCANNED_PORTS_FILE"), "top_sigs": c.Str("TOP_SIGS_FILE"),
			"top_attackers": c.Str("TOP_ATTACKERS_FILE"),
		},
	}
	s.Status = Status{
		SigsThreshold:  c.Int("STATUS_SIGS_THRESHOLD"),
		IPThreshold:    c.Int("STATUS_IP_THRESHOLD"),
		PortsThreshold: c.Int("STATUS_PORTS_THRESHOLD"),
	}
	s.Daemon = Daemon{
		CheckInterval:           c.seconds("CHECK_INTERVAL"),
		ScanTimeout:             c.seconds("SCAN_TIMEOUT"),
		Persistence:             c.Y("ENABLE_PERSISTENCE"),
		PersistenceCtrThreshold: c.Int("PERSISTENCE_CTR_THRESHOLD"),
		ImportOldScans:          c.Y("IMPORT_OLD_SCANS"),
		ScanArchive:             c.Y("ENABLE_SCAN_ARCHIVE"),
		MinArchiveDL:            c.Int("MIN_ARCHIVE_DANGER_LEVEL"),
		ArchiveDir:              c.Str("SCAN_DATA_ARCHIVE_DIR"),
		IntfLocalNets:           c.Y("ENABLE_INTF_LOCAL_NETS"),
		DiskMaxPercent:          c.Int("DISK_MAX_PERCENTAGE"),
		DiskCheckEvery:          c.seconds("DISK_CHECK_INTERVAL"),
		HomeNetUnset:            strings.Contains(c.Str("HOME_NET"), "CHANGEME"),
	}
	if s.Daemon.CheckInterval <= 0 {
		s.Daemon.CheckInterval = defaultCheckInterval
	}
	s.MetricsAddress = c.none("METRICS_ADDRESS")
	s.FWLoggingCheck = c.Y("ENABLE_FW_LOGGING_CHECK")
	s.SigUpdate = SigUpdate{URL: c.Str("SIG_UPDATE_URL"), CAFile: c.none("SIG_UPDATE_CA_FILE"), ArchiveDir: c.Str("CONF_ARCHIVE_DIR")}
	s.Block.HomeNet = s.Detect.HomeNet
	if err := c.block(&s.Block); err != nil {
		return nil, err
	}
	if b := &s.Block; b.AutoIDS && !b.IPTables && !b.NFTables && !b.IPSet && !b.TCPWrappers {
		s.Warnings = append(s.Warnings, "config warning, ENABLE_AUTO_IDS=Y, but IPTABLES_BLOCK_METHOD, "+
			"NFTABLES_BLOCK_METHOD, IPSET_BLOCK_METHOD and TCPWRAPPERS_BLOCK_METHOD are all set to N.")
	}
	if c.Y("ENABLE_OVERRIDE_FW_CMD") && s.Block.AutoIDS {
		// The iptables backend batches with iptables-restore, which a
		// wrapper such as firewalld's passthrough does not offer.
		s.Warnings = append(s.Warnings, "ENABLE_OVERRIDE_FW_CMD is not supported and is ignored: blocks use iptables, "+
			"ip6tables and their -restore programs from PATH; on firewalld hosts use NFTABLES_BLOCK_METHOD")
	}
	return s, nil
}

func (c *Config) block(b *Block) error {
	b.AutoIDS = c.Y("ENABLE_AUTO_IDS")
	b.AutoIDSDangerLevel = c.Int("AUTO_IDS_DANGER_LEVEL")
	b.Timeout = c.seconds("AUTO_BLOCK_TIMEOUT")
	for n := 1; n <= 5; n++ {
		b.DLTimeout[n] = c.seconds("AUTO_BLOCK_DL" + strconv.Itoa(n) + "_TIMEOUT")
	}
	if v := c.none("AUTO_BLOCK_REGEX"); c.Y("ENABLE_AUTO_IDS_REGEX") && v != "" {
		re, err := regexp.Compile(v)
		if err != nil {
			return c.wrapAt("AUTO_BLOCK_REGEX", err)
		}
		b.PrefixRegex = re
	}
	b.Emails = c.Y("ENABLE_AUTO_IDS_EMAILS")
	b.RenewEmails = c.Y("ENABLE_RENEW_BLOCK_EMAILS")
	b.IPTables = c.Y("IPTABLES_BLOCK_METHOD")
	b.NFTables = c.Y("NFTABLES_BLOCK_METHOD")
	b.IPSet = c.Y("IPSET_BLOCK_METHOD")
	b.TCPWrappers = c.Y("TCPWRAPPERS_BLOCK_METHOD")
	b.FlushAtInit = c.Y("FLUSH_IPT_AT_INIT")
	b.PrereqCheck = c.Int("IPTABLES_PREREQ_CHECK")
	for n := 1; ; n++ {
		name := "IPT_AUTO_CHAIN" + strconv.Itoa(n)
		v, ok := c.Get(name)
		if !ok {
			break
		}
		ch, err := ParseAutoChain(v)
		if err != nil {
			return c.wrapAt(name, err)
		}
		b.Chains = append(b.Chains, ch)
	}
	b.IPTFile = c.Str("AUTO_BLOCK_IPT_FILE")
	b.TCPWrFile = c.Str("AUTO_BLOCK_TCPWR_FILE")
	if v := c.none("AUTO_BLOCK_WHITELIST"); v != "" {
		set, err := netset.Parse(strings.Join(strings.Fields(strings.ReplaceAll(v, ",", " ")), ","))
		if err != nil {
			return c.wrapAt("AUTO_BLOCK_WHITELIST", err)
		}
		b.Whitelist = &set
	}
	b.BlockHomeNet = c.Y("AUTO_BLOCK_HOME_NET")
	b.HostsDeny = c.Str("ETC_HOSTS_DENY_FILE")
	if c.Y("ENABLE_EXT_BLOCK_SCRIPT_EXEC") {
		b.Script = strings.TrimSpace(c.Str("EXTERNAL_BLOCK_SCRIPT"))
		if b.Script == "" {
			return c.wrapAt("EXTERNAL_BLOCK_SCRIPT", fmt.Errorf("empty, and ENABLE_EXT_BLOCK_SCRIPT_EXEC is Y"))
		}
	}
	if v := c.none("NFTABLES_EXTRA_HOOK"); v != "" {
		hook, prio, ok := strings.Cut(v, ":")
		n, err := strconv.Atoi(strings.TrimSpace(prio))
		switch hook = strings.TrimSpace(hook); {
		case !ok || err != nil:
			return c.errAt("NFTABLES_EXTRA_HOOK", fmt.Sprintf("%q is not hook:priority, e.g. prerouting:-150", v))
		case hook != "prerouting" && hook != "input" && hook != "forward" && hook != "output" && hook != "postrouting":
			return c.errAt("NFTABLES_EXTRA_HOOK", fmt.Sprintf("unknown hook %q (prerouting, input, forward, output or postrouting)", hook))
		}
		b.NFTExtraHook, b.NFTExtraPriority = hook, n
	}
	b.IPSetMaxElem = c.Int("IPSET_MAXELEM")
	b.ReconcileEvery = c.seconds("AUTO_BLOCK_RECONCILE_INTERVAL")
	if b.ReconcileEvery <= 0 {
		b.ReconcileEvery = time.Minute
	}
	return nil
}

// ParseAutoChain parses an IPT_AUTO_CHAINn value. psad's older
// five-field form (no positions) means both positions are 1, as psad
// reads it. Unlike psad, which logs a bad entry and skips it, a bad entry
// is an error: a silently missing chain leaves traffic unblocked.
func ParseAutoChain(v string) (AutoChain, error) {
	f := strings.Split(v, ",")
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	var ch AutoChain
	switch len(f) {
	case 5:
		ch = AutoChain{Target: f[0], Direction: f[1], Table: f[2], FromChain: f[3], JumpPos: 1, ToChain: f[4], RulePos: 1}
	case 7:
		jump, err1 := strconv.Atoi(f[4])
		rule, err2 := strconv.Atoi(f[6])
		if err1 != nil || err2 != nil || jump < 1 || rule < 1 {
			return ch, fmt.Errorf("positions %q and %q: want integers >= 1", f[4], f[6])
		}
		ch = AutoChain{Target: f[0], Direction: f[1], Table: f[2], FromChain: f[3], JumpPos: jump, ToChain: f[5], RulePos: rule}
	default:
		return ch, fmt.Errorf("%q: want target, direction, table, from_chain, jump_position, to_chain, rule_position", v)
	}
	if ch.Target != "DROP" && ch.Target != "REJECT" {
		return ch, fmt.Errorf("target %q: want DROP or REJECT", ch.Target)
	}
	if ch.Direction != "src" && ch.Direction != "dst" && ch.Direction != "both" {
		return ch, fmt.Errorf("direction %q: want src, dst or both", ch.Direction)
	}
	if ch.Table == "" || ch.FromChain == "" || ch.ToChain == "" {
		return ch, fmt.Errorf("%q: table and chains must not be empty", v)
	}
	if ch.FromChain == ch.ToChain {
		return ch, fmt.Errorf("from_chain and to_chain are both %q", ch.ToChain)
	}
	return ch, nil
}

func (c *Config) detect(d *Detect) error {
	for n := 1; n <= 5; n++ {
		d.DangerLevel[n] = c.Int("DANGER_LEVEL" + strconv.Itoa(n))
		d.UniqueHosts[n] = c.Int("DL" + strconv.Itoa(n) + "_UNIQUE_HOSTS")
	}
	d.PortRangeScanThreshold = c.Int("PORT_RANGE_SCAN_THRESHOLD")
	d.PortRangeSweepThreshold = c.Int("PORT_RANGE_SWEEP_THRESHOLD")
	d.ProtocolScanThreshold = c.Int("PROTOCOL_SCAN_THRESHOLD")
	d.MaxScanIPPairs = c.Int("MAX_SCAN_IP_PAIRS")
	d.MaxScanSources = DefaultMaxSources
	if c.Str("MAX_SCAN_SOURCES") != "" {
		d.MaxScanSources = c.Int("MAX_SCAN_SOURCES")
	}
	d.DirFilesMinDL = DefaultDirFilesMinDL
	if c.Str("PSAD_DIR_FILES_MIN_DL") != "" {
		d.DirFilesMinDL = c.Int("PSAD_DIR_FILES_MIN_DL")
	}
	d.ExpectTCPOptions = c.Y("EXPECT_TCP_OPTIONS")

	// psad's installer leaves "CHANGEME" until the user edits HOME_NET;
	// like "any" it means no network is singled out.
	if home := c.Str("HOME_NET"); home != "" && !strings.EqualFold(home, "any") && !strings.Contains(home, "CHANGEME") {
		set, err := netset.Parse(home)
		if err != nil {
			return c.wrapAt("HOME_NET", err)
		}
		if !set.Any() {
			d.HomeNet = &set
		}
	}

	if v := c.none("IGNORE_LOG_PREFIXES"); v != "" {
		re, err := regexp.Compile(v)
		if err != nil {
			return c.wrapAt("IGNORE_LOG_PREFIXES", err)
		}
		d.IgnoreLogPrefixes = re
	}
	d.IgnoreInterfaces = list(c.none("IGNORE_INTERFACES"))
	d.IgnoreProtocols = list(c.none("IGNORE_PROTOCOLS"))
	var err error
	if d.IgnoreTCP, d.IgnoreUDP, err = ParsePorts(c.none("IGNORE_PORTS")); err != nil {
		return c.wrapAt("IGNORE_PORTS", err)
	}
	d.IgnoreConntrack = c.Y("IGNORE_CONNTRACK_BUG_PKTS")
	d.IPv6 = c.Y("ENABLE_IPV6_DETECTION")

	d.FWSearchAll = c.FWSearchAll()
	if !d.FWSearchAll {
		for _, v := range c.FWMsgSearch() {
			re, err := regexp.Compile(v)
			if err != nil {
				return c.wrapAt("FW_MSG_SEARCH", err)
			}
			d.FWMsgSearch = append(d.FWMsgSearch, re)
		}
	}
	d.SnortSIDStr = c.Str("SNORT_SID_STR")
	d.IgnoreKernelTimestamp = c.Y("IGNORE_KERNEL_TIMESTAMP")
	if c.Y("ENABLE_CUSTOM_SYSLOG_TS_RE") {
		re, err := regexp.Compile(c.Str("CUSTOM_SYSLOG_TS_RE"))
		if err != nil {
			return c.wrapAt("CUSTOM_SYSLOG_TS_RE", err)
		}
		if re.NumSubexp() < 2 {
			return c.wrapAt("CUSTOM_SYSLOG_TS_RE", fmt.Errorf("%q has %d groups; it needs two, the timestamp and the host", re.String(), re.NumSubexp()))
		}
		d.CustomHeader = re
	}

	d.MaxHops = c.Int("MAX_HOPS")
	if d.MaxHops == 0 {
		d.MaxHops = defaultMaxHops
	}
	d.SnortSigStrict = c.Y("ENABLE_SNORT_SIG_STRICT")
	d.SnortRuleSemantics = c.Y("ENABLE_SNORT_RULE_SEMANTICS")

	d.SigsFile = c.file("SIGS_FILE")
	d.AutoDLFile = c.file("AUTO_DL_FILE")
	d.PosfFile = c.file("POSF_FILE")
	d.P0FFile = c.file("P0F_FILE")
	d.IPOptsFile = c.file("IP_OPTS_FILE")
	d.ICMPTypesFile = c.file("ICMP_TYPES_FILE")
	d.ICMP6TypesFile = c.file("ICMP6_TYPES_FILE")
	d.SnortRuleDLFile = c.file("SNORT_RULE_DL_FILE")
	d.ProtocolsFile = c.file("PROTOCOLS_FILE")
	d.SnortRulesDir = c.Str("SNORT_RULES_DIR")
	d.FwsnortRulesDir = c.Str("FWSNORT_RULES_DIR")

	d.Vars = make(map[string]string, len(c.vars))
	for name, v := range c.vars {
		d.Vars[name] = v.value
	}
	return nil
}

func (c *Config) alert(a *Alert) error {
	a.EmailAddresses = strings.FieldsFunc(c.Str("EMAIL_ADDRESSES"), func(r rune) bool { return r == ',' || r == ' ' })
	a.MinDangerLevel = c.Int("MIN_DANGER_LEVEL")
	a.EmailAlertDangerLevel = c.Int("EMAIL_ALERT_DANGER_LEVEL")
	a.AlertAll = c.Y("ALERT_ALL")
	a.EmailLimit = c.Int("EMAIL_LIMIT")
	a.EmailLimitPerDst = c.Y("ENABLE_EMAIL_LIMIT_PER_DST")
	a.EmailLimitStatusMsg = c.Y("EMAIL_LIMIT_STATUS_MSG")
	a.EmailThrottle = c.Int("EMAIL_THROTTLE")
	if v := c.none("EMAIL_APPEND_HEADER"); v != "" {
		args, err := splitArgs(v)
		if err != nil {
			return c.wrapAt("EMAIL_APPEND_HEADER", err)
		}
		a.MailArgs = args
	}
	a.SigMsgSyslog = c.Y("ENABLE_SIG_MSG_SYSLOG")
	a.SigMsgSyslogThreshold = c.Int("SIG_MSG_SYSLOG_THRESHOLD")
	a.MACReporting = c.Y("ENABLE_MAC_ADDR_REPORTING")
	a.ShowAllSignatures = c.Y("SHOW_ALL_SIGNATURES")
	a.MailAlertPrefix = c.Str("MAIL_ALERT_PREFIX")
	a.MailStatusPrefix = c.Str("MAIL_STATUS_PREFIX")
	a.MailErrorPrefix = c.Str("MAIL_ERROR_PREFIX")
	a.MailFatalPrefix = c.Str("MAIL_FATAL_PREFIX")
	a.MailFrom = c.none("MAIL_FROM_ADDRESS")
	a.Hostname = c.Str("HOSTNAME")

	methods := strings.ToLower(c.Str("ALERTING_METHODS"))
	a.NoMail = strings.Contains(methods, "nomail") || strings.Contains(methods, "noemail") || strings.Contains(methods, "no-email")
	a.NoSyslog = strings.Contains(methods, "nosyslog") || strings.Contains(methods, "no-syslog")

	a.MailCmd, _ = c.Cmd("mail")
	a.SMTP = SMTP{
		Server:   c.none("SMTP_SERVER"),
		Port:     c.Int("SMTP_PORT"),
		StartTLS: c.Str("SMTP_STARTTLS"),
		User:     c.none("SMTP_USER"),
		Password: c.none("SMTP_PASSWORD"),
	}
	a.Syslog = Syslog{
		Identity: c.Str("SYSLOG_IDENTITY"),
		Facility: c.Str("SYSLOG_FACILITY"),
		Priority: c.Str("SYSLOG_PRIORITY"),
		Network:  c.none("SYSLOG_SERVER_NETWORK"),
		Server:   c.none("SYSLOG_SERVER"),
	}

	a.DNSLookups = c.Y("ENABLE_DNS_LOOKUPS")
	a.DNSServer = c.none("DNS_SERVER")
	a.DNSLookupThreshold = c.Int("DNS_LOOKUP_THRESHOLD")
	a.WhoisLookups = c.Y("ENABLE_WHOIS_LOOKUPS")
	a.WhoisServer = c.none("WHOIS_SERVER")
	a.WhoisTimeout = c.seconds("WHOIS_TIMEOUT")
	a.WhoisLookupThreshold = c.Int("WHOIS_LOOKUP_THRESHOLD")
	a.WhoisForceASCII = c.Y("ENABLE_WHOIS_FORCE_ASCII")
	a.WhoisForceSrcIP = c.Y("ENABLE_WHOIS_FORCE_SRC_IP")

	a.ExtScript = ExtScript{
		Enable:   c.Y("ENABLE_EXT_SCRIPT_EXEC"),
		Command:  c.Str("EXTERNAL_SCRIPT"),
		PerAlert: c.Y("EXEC_EXT_SCRIPT_PER_ALERT"),
	}
	a.DShield = DShield{
		Enable: c.Y("ENABLE_DSHIELD_ALERTS"),
		// Load has checked the range 1..24; the floor keeps a hand-made
		// Config from producing a zero ticker.
		Interval:    time.Duration(max(c.Int("DSHIELD_ALERT_INTERVAL"), 1)) * time.Hour,
		UserID:      c.Str("DSHIELD_USER_ID"),
		DLThreshold: c.Int("DSHIELD_DL_THRESHOLD"),
		AlertEmail:  c.Str("DSHIELD_ALERT_EMAIL"),
		UserEmail:   c.none("DSHIELD_USER_EMAIL"),
		EmailFile:   c.Str("DSHIELD_EMAIL_FILE"),
		CounterFile: c.Str("DSHIELD_COUNTER_FILE"),
	}
	a.TopPortsThreshold = c.Int("TOP_PORTS_LOG_THRESHOLD")
	a.TopSigsThreshold = c.Int("TOP_SIGS_LOG_THRESHOLD")
	a.TopIPThreshold = c.Int("TOP_IP_LOG_THRESHOLD")
	a.TopEvery = c.Int("TOP_SCANS_CTR_THRESHOLD")
	return nil
}

// none returns Str(name), or "" for psad's "NONE" (which turns a feature
// off).
func (c *Config) none(name string) string {
	if v := c.Str(name); v != "NONE" {
		return v
	}
	return ""
}

// seconds reads a count of seconds the way psad does (perlInt).
func (c *Config) seconds(name string) time.Duration {
	return time.Duration(c.Int(name)) * time.Second
}

func (c *Config) file(name string) DataFile {
	from, _ := c.Line(name)
	return DataFile{Var: name, Path: c.Str(name), Given: from != "" && from != DefaultName}
}

// wrapAt reports that the value of name does not compile.
func (c *Config) wrapAt(name string, err error) *Error {
	file, line := c.Line(name)
	return &Error{File: file, Line: line, Var: name, Msg: err.Error(), Err: err}
}

// list splits a comma-separated value into trimmed, non-empty entries.
func list(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// ParsePorts parses an IGNORE_PORTS value ("tcp/22, udp/53,
// tcp/6000-6010"; "" or NONE for none). As in psad a range is kept only
// when low < high ("tcp/5-5" ignores nothing), and only TCP and UDP ports
// can be named; the protocol is found anywhere in the entry, case
// folded, as psad's pattern does.
func ParsePorts(v string) (tcp, udp []PortRange, err error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "NONE" {
		return nil, nil, nil
	}
	for _, f := range list(v) {
		l := strings.ToLower(f)
		var set *[]PortRange
		switch {
		case strings.Contains(l, "tcp/"):
			set = &tcp
			l = l[strings.Index(l, "tcp/")+4:]
		case strings.Contains(l, "udp/"):
			set = &udp
			l = l[strings.Index(l, "udp/")+4:]
		default:
			return nil, nil, fmt.Errorf("%q: want tcp/PORT, tcp/LOW-HIGH, udp/PORT or udp/LOW-HIGH", f)
		}
		r, keep, ok := parsePortRange(l)
		if !ok {
			return nil, nil, fmt.Errorf("%q: bad port or range", f)
		}
		if keep {
			*set = append(*set, r)
		}
	}
	return tcp, udp, nil
}

// parsePortRange parses "PORT" or "LOW-HIGH"; keep is false for a range
// psad drops (low >= high).
func parsePortRange(s string) (r PortRange, keep, ok bool) {
	a, b, isRange := strings.Cut(s, "-")
	lo, ok := port(a)
	if !ok {
		return r, false, false
	}
	if !isRange {
		return PortRange{lo, lo}, true, true
	}
	hi, ok := port(b)
	if !ok {
		return r, false, false
	}
	return PortRange{lo, hi}, lo < hi, true
}

func port(s string) (uint16, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > 65535 {
		return 0, false
	}
	return uint16(n), true
}

// splitArgs splits a command-line fragment into arguments at blanks,
// keeping what single or double quotes enclose together, as the shell
// psad handed EMAIL_APPEND_HEADER to would (no variables, no escapes).
func splitArgs(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			} else {
				cur.WriteByte(ch)
			}
		case ch == '\'' || ch == '"':
			quote, in = ch, true
		case ch == ' ' || ch == '\t':
			if in {
				args = append(args, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(ch)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("%q: unclosed %c quote", s, quote)
	}
	if in {
		args = append(args, cur.String())
	}
	return args, nil
}

// journalArgs splits FW_MSG_READ_CMD_ARGS into what the journal reader
// passes on and what it leaves out: -f and -k, which it gives itself, in
// silence; the output format and the starting point (-o, -n, --cursor,
// ...), which it must choose, as dropped.
func journalArgs(args []string) (keep, dropped []string) {
	valued := map[string]bool{"-o": true, "--output": true, "-n": true, "--lines": true,
		"-c": true, "--cursor": true, "--after-cursor": true, "-S": true, "--since": true}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, hasValue := strings.Cut(a, "=")
		switch {
		case a == "-f" || a == "--follow" || a == "-k" || a == "--dmesg" || a == "-fk" || a == "-kf":
		case valued[name]:
			dropped = append(dropped, a)
			if !hasValue && i+1 < len(args) {
				i++
				dropped = append(dropped, args[i])
			}
		case strings.HasPrefix(a, "-o") || strings.HasPrefix(a, "-n") && len(a) > 2:
			dropped = append(dropped, a) // -ojson, -n0
		default:
			keep = append(keep, a)
		}
	}
	return keep, dropped
}
