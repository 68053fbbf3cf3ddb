package config

// required lists, in psad 2.4.6's order, the variables that must be defined
// after loading; the first one missing is reported.
var required = []string{
	"EMAIL_ADDRESSES", "CHECK_INTERVAL", "FW_DATA_FILE", "FW_ERROR_LOG",
	"HOME_NET", "SNORT_SID_STR", "ENABLE_AUTO_IDS", "IGNORE_CONNTRACK_BUG_PKTS",
	"SCAN_TIMEOUT", "DANGER_LEVEL1", "DANGER_LEVEL2", "DANGER_LEVEL3",
	"DANGER_LEVEL4", "DANGER_LEVEL5", "PORT_RANGE_SCAN_THRESHOLD", "ALERT_ALL",
	"EMAIL_LIMIT", "IPTABLES_BLOCK_METHOD", "TCPWRAPPERS_BLOCK_METHOD",
	"EMAIL_ALERT_DANGER_LEVEL", "PSAD_FIFO_FILE", "WHOIS_LOOKUP_THRESHOLD",
	"DNS_LOOKUP_THRESHOLD", "WHOIS_TIMEOUT", "SNORT_RULES_DIR", "HOSTNAME",
	"PACKET_COUNTER_FILE", "DSHIELD_COUNTER_FILE", "SCAN_DATA_ARCHIVE_DIR",
	"ENABLE_PERSISTENCE", "AUTO_BLOCK_IPT_FILE", "AUTO_BLOCK_TCPWR_FILE",
	"SIGS_FILE", "AUTO_DL_FILE", "AUTO_BLOCK_TIMEOUT", "EXTERNAL_SCRIPT",
	"ENABLE_EXT_SCRIPT_EXEC", "EXEC_EXT_SCRIPT_PER_ALERT",
	"ENABLE_DSHIELD_ALERTS", "SYSLOG_DAEMON", "DSHIELD_ALERT_INTERVAL",
	"DSHIELD_ALERT_EMAIL", "DSHIELD_USER_ID", "DSHIELD_USER_EMAIL",
	"DSHIELD_DL_THRESHOLD", "DISK_CHECK_INTERVAL", "DISK_MAX_PERCENTAGE",
	"DISK_MAX_RM_RETRIES", "ETC_HOSTS_DENY_FILE", "ETC_SYSLOG_CONF",
	"ETC_SYSLOGNG_CONF", "MIN_ARCHIVE_DANGER_LEVEL", "ANALYSIS_MODE_DIR",
	"IMPORT_OLD_SCANS", "ICMP_TYPES_FILE", "SHOW_ALL_SIGNATURES",
	"IPT_PREFIX_COUNTER_FILE", "IGNORE_PORTS", "ENABLE_SCAN_ARCHIVE",
	"EMAIL_LIMIT_STATUS_MSG", "P0F_FILE", "IGNORE_PROTOCOLS", "IPT_AUTO_CHAIN1",
	"AUTO_IPT_SOCK", "IGNORE_INTERFACES", "ALERTING_METHODS", "ULOG_DATA_FILE",
	"MAIL_ALERT_PREFIX", "MAIL_STATUS_PREFIX", "MAIL_ERROR_PREFIX",
	"MAIL_FATAL_PREFIX", "ENABLE_AUTO_IDS_EMAILS", "FLUSH_IPT_AT_INIT",
	"ENABLE_MAC_ADDR_REPORTING", "TRUNCATE_FWDATA", "PSAD_DIR", "PSAD_RUN_DIR",
	"PSAD_FIFO_DIR", "ENABLE_FW_LOGGING_CHECK", "ENABLE_RENEW_BLOCK_EMAILS",
	"DSHIELD_EMAIL_FILE", "AUTO_BLOCK_REGEX", "ENABLE_AUTO_IDS_REGEX",
	"IPTABLES_PREREQ_CHECK", "SNORT_RULE_DL_FILE", "IPT_OUTPUT_PATTERN",
	"IPT_ERROR_PATTERN", "PROC_FORWARD_FILE", "PSAD_CONF_DIR", "EXTERNAL_NET",
	"HTTP_SERVERS", "SMTP_SERVERS", "DNS_SERVERS", "SQL_SERVERS",
	"TELNET_SERVERS", "AIM_SERVERS", "HTTP_PORTS", "SHELLCODE_PORTS",
	"ORACLE_PORTS", "ENABLE_INTF_LOCAL_NETS", "ENABLE_SNORT_SIG_STRICT",
	"IP_OPTS_FILE", "SIG_UPDATE_URL", "CONF_ARCHIVE_DIR", "TOP_SIGS_FILE",
	"TOP_PORTS_LOG_THRESHOLD", "TOP_SIGS_LOG_THRESHOLD",
	"TOP_SCANNED_PORTS_FILE", "STATUS_OUTPUT_FILE", "TOP_ATTACKERS_FILE",
	"STATUS_PORTS_THRESHOLD", "STATUS_SIGS_THRESHOLD", "STATUS_IP_THRESHOLD",
	"ANALYSIS_OUTPUT_FILE", "TOP_IP_LOG_THRESHOLD", "PSAD_LIBS_DIR",
	"PSAD_PID_FILE", "PSAD_CMDLINE_FILE", "PSAD_ERR_DIR", "MIN_DANGER_LEVEL",
	"IGNORE_KERNEL_TIMESTAMP", "ENABLE_SIG_MSG_SYSLOG",
	"SIG_MSG_SYSLOG_THRESHOLD", "SIG_SID_SYSLOG_THRESHOLD",
	"PSADWATCHD_CHECK_INTERVAL", "PSADWATCHD_MAX_RETRIES", "SYSLOG_IDENTITY",
	"SYSLOG_FACILITY", "SYSLOG_PRIORITY", "ENABLE_EMAIL_LIMIT_PER_DST",
	"ENABLE_SYSLOG_FILE", "IPT_SYSLOG_FILE", "IPT_WRITE_FWDATA",
	"ETC_RSYSLOG_CONF", "IFCFGTYPE", "ENABLE_WHOIS_FORCE_ASCII",
	"ENABLE_WHOIS_FORCE_SRC_IP", "ENABLE_IPV6_DETECTION",
	"PERSISTENCE_CTR_THRESHOLD", "MAX_SCAN_IP_PAIRS", "INSTALL_ROOT",
	"ICMP6_TYPES_FILE", "PROTOCOL_SCAN_THRESHOLD", "PROTOCOLS_FILE",
	"AUTO_BLOCK_DL1_TIMEOUT", "AUTO_BLOCK_DL2_TIMEOUT",
	"AUTO_BLOCK_DL3_TIMEOUT", "AUTO_BLOCK_DL4_TIMEOUT",
	"AUTO_BLOCK_DL5_TIMEOUT", "EMAIL_THROTTLE", "EXPECT_TCP_OPTIONS",
	"ENABLE_PSADWATCHD", "ENABLE_EXT_BLOCK_SCRIPT_EXEC",
	"EXTERNAL_BLOCK_SCRIPT", "ENABLE_FW_MSG_READ_CMD", "FW_MSG_READ_CMD",
	"FW_MSG_READ_CMD_ARGS", "USE_FW_MSG_READ_CMD_ARGS", "CUSTOM_SYSLOG_TS_RE",
	"ENABLE_CUSTOM_SYSLOG_TS_RE", "FW_MSG_READ_MIN_PKTS", "ENABLE_DNS_LOOKUPS",
	"ENABLE_WHOIS_LOOKUPS", "PSAD_FW_READ_PID_FILE", "DL1_UNIQUE_HOSTS",
	"DL2_UNIQUE_HOSTS", "DL3_UNIQUE_HOSTS", "DL4_UNIQUE_HOSTS",
	"DL5_UNIQUE_HOSTS", "PORT_RANGE_SWEEP_THRESHOLD", "ENABLE_OVERRIDE_FW_CMD",
	"FW_CMD", "FW_CMD_ARGS", "EMAIL_APPEND_HEADER",
}

// optionalDefaults are the variables psad reads without requiring them,
// with the values psad's shipped psad.conf gives them. A value may hold
// one $NAME of a required variable.
var optionalDefaults = []struct{ name, value string }{
	{"AUTO_IDS_DANGER_LEVEL", "5"},
	{"TOP_SCANS_CTR_THRESHOLD", "1"},
	{"AUTO_DETECT_JOURNALCTL", "Y"},
	{"MAX_HOPS", "20"},
	{"IGNORE_LOG_PREFIXES", "NONE"},
	{"ETC_METALOG_CONF", "/etc/metalog/metalog.conf"},
	{"FWSNORT_RULES_DIR", "/etc/fwsnort/snort_rules"},
	{"FW_CHECK_FILE", "$PSAD_DIR/fw_check"},
	{"INSTALL_LOG_FILE", "$PSAD_DIR/install.log"},
	{"KMSGSD_PID_FILE", "$PSAD_RUN_DIR/kmsgsd.pid"},
	{"PSADWATCHD_PID_FILE", "$PSAD_RUN_DIR/psadwatchd.pid"},
	{"POSF_FILE", "$PSAD_CONF_DIR/posf"},
	{"PRINT_SCAN_HASH", "$PSAD_DIR/scan_hash"},
	{"FW_SEARCH_ALL", "Y"},
	{"FW_MSG_SEARCH", "DROP"},
}

// intRanges are the numeric variables psad range-checks at start-up, in
// psad's order. The bounds are psad's: ports fit in 16 bits, DShield
// reports go out at least daily, and the top lists are capped so status
// output stays readable.
var intRanges = []struct {
	name     string
	min, max int
}{
	{"PORT_RANGE_SCAN_THRESHOLD", 0, 65535},
	{"TOP_SCANS_CTR_THRESHOLD", 0, 500},
	{"DSHIELD_ALERT_INTERVAL", 1, 24},
	{"TOP_PORTS_LOG_THRESHOLD", 0, 65535},
	{"STATUS_PORTS_THRESHOLD", 0, 65535},
	{"TOP_IP_LOG_THRESHOLD", 0, 10000},
	{"STATUS_IP_THRESHOLD", 0, 10000},
	{"TOP_SIGS_LOG_THRESHOLD", 0, 100000},
	{"STATUS_SIGS_THRESHOLD", 0, 10000},
}

// unbounded is the upper bound of a count or duration with no natural
// limit: large enough for any real setting, small enough that seconds
// times time.Second cannot overflow.
const unbounded = 1<<31 - 1

// numRanges are the numeric variables psad-go checks on top of psad's
// intRanges. psad reads a non-number as 0 and uses whatever it gets, so a
// typo such as "CHECK_INTERVAL 5s" or "CHECK_INTERVAL 0" silently changes
// behaviour; here each must be digits within bounds that keep the daemon
// working: intervals and timeouts that drive a ticker are at least 1,
// danger levels are 0..5 and ports fit in 16 bits. Optional variables are
// checked only when defined and not blank.
var numRanges = []struct {
	name     string
	min, max int
	optional bool
}{
	{"CHECK_INTERVAL", 1, unbounded, false},
	{"SCAN_TIMEOUT", 1, unbounded, false},
	{"DANGER_LEVEL1", 1, unbounded, false},
	{"DANGER_LEVEL2", 1, unbounded, false},
	{"DANGER_LEVEL3", 1, unbounded, false},
	{"DANGER_LEVEL4", 1, unbounded, false},
	{"DANGER_LEVEL5", 1, unbounded, false},
	{"DL1_UNIQUE_HOSTS", 1, unbounded, false},
	{"DL2_UNIQUE_HOSTS", 1, unbounded, false},
	{"DL3_UNIQUE_HOSTS", 1, unbounded, false},
	{"DL4_UNIQUE_HOSTS", 1, unbounded, false},
	{"DL5_UNIQUE_HOSTS", 1, unbounded, false},
	{"PORT_RANGE_SWEEP_THRESHOLD", 0, 65535, false},
	{"PROTOCOL_SCAN_THRESHOLD", 0, unbounded, false},
	{"MAX_SCAN_IP_PAIRS", 0, unbounded, false},
	{"MAX_SCAN_SOURCES", 1, unbounded, true},
	{"PSAD_DIR_FILES_MIN_DL", 0, 5, true},
	{"MIN_DANGER_LEVEL", 0, 5, false},
	{"EMAIL_ALERT_DANGER_LEVEL", 0, 5, false},
	{"AUTO_IDS_DANGER_LEVEL", 1, 5, false},
	{"DSHIELD_DL_THRESHOLD", 0, 5, false},
	{"MIN_ARCHIVE_DANGER_LEVEL", 0, 5, false},
	{"EMAIL_LIMIT", 0, unbounded, false},
	{"EMAIL_THROTTLE", 0, unbounded, false},
	{"SIG_MSG_SYSLOG_THRESHOLD", 0, unbounded, false},
	{"SIG_SID_SYSLOG_THRESHOLD", 0, unbounded, false},
	{"DNS_LOOKUP_THRESHOLD", 0, unbounded, false},
	{"WHOIS_LOOKUP_THRESHOLD", 0, unbounded, false},
	{"WHOIS_TIMEOUT", 1, unbounded, false},
	{"PERSISTENCE_CTR_THRESHOLD", 0, unbounded, false},
	{"AUTO_BLOCK_TIMEOUT", 0, unbounded, false},
	{"AUTO_BLOCK_DL1_TIMEOUT", 0, unbounded, false},
	{"AUTO_BLOCK_DL2_TIMEOUT", 0, unbounded, false},
	{"AUTO_BLOCK_DL3_TIMEOUT", 0, unbounded, false},
	{"AUTO_BLOCK_DL4_TIMEOUT", 0, unbounded, false},
	{"AUTO_BLOCK_DL5_TIMEOUT", 0, unbounded, false},
	{"IPTABLES_PREREQ_CHECK", 0, unbounded, false},
	{"MAX_HOPS", 0, 255, false},
	{"SMTP_PORT", 1, 65535, true},
	{"DISK_CHECK_INTERVAL", 1, unbounded, false},
	{"DISK_MAX_PERCENTAGE", 1, 100, false},
	{"DISK_MAX_RM_RETRIES", 0, unbounded, false},
	{"PSADWATCHD_CHECK_INTERVAL", 1, unbounded, false},
	{"PSADWATCHD_MAX_RETRIES", 0, unbounded, false},
	{"FW_MSG_READ_MIN_PKTS", 1, unbounded, false},
}

// ascending are the threshold series whose levels must rise: a level not
// above the one before it can never be reached on its own, which is
// always a mistake in the file.
var ascending = [][]string{
	{"DANGER_LEVEL1", "DANGER_LEVEL2", "DANGER_LEVEL3", "DANGER_LEVEL4", "DANGER_LEVEL5"},
	{"DL1_UNIQUE_HOSTS", "DL2_UNIQUE_HOSTS", "DL3_UNIQUE_HOSTS", "DL4_UNIQUE_HOSTS", "DL5_UNIQUE_HOSTS"},
}
