package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// withDefaults returns text followed by the built-in configuration, so a
// test snippet can set a few variables (first definition wins) and still
// pass the required-variable check.
func withDefaults(text string) []byte {
	return append([]byte(text+"\n"), defaultConf...)
}

// writeFile writes a file in a test's temporary directory.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// defaultsWithout returns the built-in configuration with the lines
// defining the given names commented out.
func defaultsWithout(names ...string) string {
	text := string(defaultConf)
	for _, n := range names {
		text = strings.ReplaceAll(text, "\n"+n+" ", "\n#"+n+" ")
	}
	return text
}

func mustParse(t *testing.T, text string) *Config {
	t.Helper()
	c, err := Parse("main.conf", withDefaults(text))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func TestLexLine(t *testing.T) {
	tests := []struct {
		line, name, value string
		ok                bool
	}{
		{"SCAN_TIMEOUT 3600;", "SCAN_TIMEOUT", "3600", true},
		{"SCAN_TIMEOUT     3600;  ### seconds", "SCAN_TIMEOUT", "3600", true},
		{"  \tINDENTED\tvalue;", "INDENTED", "value", true},
		{"FOO bar  ;", "FOO", "bar  ", true},
		{"FOO a b c;", "FOO", "a b c", true},
		{`QUOTED "a b c";`, "QUOTED", `"a b c"`, true},
		{"FOO a;b;c;", "FOO", "a", true},
		{"EMPTY ;", "EMPTY", "", true},
		{"EMPTY    ;", "EMPTY", "", true},
		{"FOO bar;\r", "FOO", "bar", true},
		{"NAME;x value;", "NAME;x", "value", true},
		{"# COMMENT value;", "", "", false},
		{"   # COMMENT value;", "", "", false},
		{"NOSEMI value", "", "", false},
		{"NOVALUE;", "", "", false},
		{"", "", "", false},
		{"   \t ", "", "", false},
		{"ONLYNAME", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			name, value, ok := lexLine(tt.line)
			if name != tt.name || value != tt.value || ok != tt.ok {
				t.Errorf("lexLine(%q) = %q, %q, %v; want %q, %q, %v", tt.line, name, value, ok, tt.name, tt.value, tt.ok)
			}
		})
	}
}

func TestCmdKey(t *testing.T) {
	tests := []struct {
		name, value, key string
		ok               bool
	}{
		{"iptablesCmd", "/sbin/iptables", "iptables", true},
		{"fwcheck_psadCmd", "/usr/sbin/fwcheck_psad", "fwcheck_psad", true},
		{"whoisCmd", "$INSTALL_ROOT/usr/bin/whois_psad", "whois", true},
		{"fooCmd", "x/", "", false},
		{"fooCmd", "nopath", "", false},
		{"fooCmd", "", "", false},
		{"Cmd", "/bin/x", "", false},
		{"fooCMD", "/bin/x", "", false},
		{"FOO", "/bin/x", "", false},
	}
	for _, tt := range tests {
		key, ok := cmdKey(tt.name, tt.value)
		if key != tt.key || ok != tt.ok {
			t.Errorf("cmdKey(%q, %q) = %q, %v; want %q, %v", tt.name, tt.value, key, ok, tt.key, tt.ok)
		}
	}
}

func TestValues(t *testing.T) {
	c := mustParse(t, `
# settings under test come before the defaults, so they win
DANGER_LEVEL1     7;
DANGER_LEVEL1     8;
PADDED            value with blanks   ;
UNKNOWN_THING     kept;
fooCmd            notapath;
barCmd            /opt/bar;
barCmd            /opt/other;
ENABLE_DNS_LOOKUPS  yes;
ENABLE_WHOIS_LOOKUPS No;
ENABLE_UNKNOWN    y;
ALERT_ALL         y;
PSAD_DIR          /srv/psad;
INSTALL_ROOT      /opt/root;
`)
	tests := []struct {
		name, want string
	}{
		{"DANGER_LEVEL1", "7"},
		{"PADDED", "value with blanks   "},
		{"UNKNOWN_THING", "kept"},
		{"fooCmd", "notapath"},
		{"ENABLE_DNS_LOOKUPS", "Y"},
		{"ENABLE_WHOIS_LOOKUPS", "N"},
		{"ENABLE_UNKNOWN", "Y"},
		{"ALERT_ALL", "y"},
		{"FW_ERROR_LOG", "/srv/psad/errs/fwerrorlog"},
		{"PSAD_CONF_DIR", "/opt/root/etc/psad"},
		{"HTTP_SERVERS", "any"},
		{"AUTO_BLOCK_DL3_TIMEOUT", "3600"},
	}
	for _, tt := range tests {
		if got, ok := c.Get(tt.name); !ok || got != tt.want {
			t.Errorf("Get(%s) = %q, %v; want %q", tt.name, got, ok, tt.want)
		}
	}
	if got := c.Str("PADDED"); got != "value with blanks" {
		t.Errorf("Str(PADDED) = %q", got)
	}
	if _, ok := c.Get("barCmd"); ok {
		t.Error("barCmd defined as a variable")
	}
	if got, _ := c.Cmd("bar"); got != "/opt/bar" {
		t.Errorf("Cmd(bar) = %q, want /opt/bar", got)
	}
	if got, _ := c.Cmd("whois"); got != "/opt/root/usr/bin/whois_psad" {
		t.Errorf("Cmd(whois) = %q", got)
	}
	if _, ok := c.Cmd("foo"); ok {
		t.Error("fooCmd without a path defined a command")
	}
	if !c.Y("ENABLE_DNS_LOOKUPS") || c.Y("ENABLE_WHOIS_LOOKUPS") || c.Y("ALERT_ALL") {
		t.Error("Y() disagrees with the normalised values")
	}
	if file, line := c.Line("DANGER_LEVEL1"); file != "main.conf" || line != 3 {
		t.Errorf("Line(DANGER_LEVEL1) = %s:%d, want main.conf:3", file, line)
	}
	if c.Embedded() || c.MainFile() != "main.conf" {
		t.Errorf("Embedded() = %v, MainFile() = %q", c.Embedded(), c.MainFile())
	}
}

func TestInstallRoot(t *testing.T) {
	tests := []struct {
		root, psadDir, whois string
	}{
		{"/", "/var/log/psad", "/usr/bin/whois_psad"},
		{"/chroot", "/chroot/var/log/psad", "/chroot/usr/bin/whois_psad"},
		{"/chroot/", "/chroot//var/log/psad", "/chroot//usr/bin/whois_psad"},
		{"", "/var/log/psad", "/usr/bin/whois_psad"},
	}
	for _, tt := range tests {
		t.Run(tt.root, func(t *testing.T) {
			c := mustParse(t, "INSTALL_ROOT "+tt.root+";")
			if got := c.Str("PSAD_DIR"); got != tt.psadDir {
				t.Errorf("PSAD_DIR = %q, want %q", got, tt.psadDir)
			}
			if got, _ := c.Cmd("whois"); got != tt.whois {
				t.Errorf("whois = %q, want %q", got, tt.whois)
			}
		})
	}
}

func TestExpansion(t *testing.T) {
	c := mustParse(t, `
TWO_REFS   $HOSTNAME-$HOSTNAME;
DOLLAR     price$;
DOLLAR2    a$-b $ c;
`)
	for name, want := range map[string]string{
		"TWO_REFS": "_CHANGEME_-_CHANGEME_",
		"DOLLAR":   "price$",
		"DOLLAR2":  "a$-b $ c",
	} {
		if got := c.Str(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}

	// Each pass replaces only the first reference of a value, so 19
	// references take 19 passes, psad's limit; one more is rejected (see
	// testdata/invalid-too-deep.conf).
	c = mustParse(t, "MANY_REFS "+strings.Repeat("$HOSTNAME", 19)+";")
	if got, want := c.Str("MANY_REFS"), strings.Repeat("_CHANGEME_", 19); got != want {
		t.Errorf("MANY_REFS = %q, want %q", got, want)
	}
}

func TestExpansionTooLong(t *testing.T) {
	// Each variable refers to the previous one four times, so values grow
	// fourfold per level until the safety limit stops them.
	var b strings.Builder
	fmt.Fprintf(&b, "GROW_00 %s;\n", strings.Repeat("x", 1000))
	for i := 1; i <= 12; i++ {
		r := fmt.Sprintf("$GROW_%02d", i-1)
		fmt.Fprintf(&b, "GROW_%02d %s%s%s%s;\n", i, r, r, r, r)
	}
	_, err := Parse("main.conf", withDefaults(b.String()))
	var ce *Error
	if !errors.As(err, &ce) || !strings.Contains(ce.Msg, "longer than") {
		t.Fatalf("err = %v, want a too-long error", err)
	}
}

func TestOverrides(t *testing.T) {
	main := writeFile(t, "psad.conf", `
DANGER_LEVEL1   6;
EMAIL_ADDRESSES main@example.com;
FW_SEARCH_ALL   N;
FW_MSG_SEARCH   DROP;
FW_MSG_SEARCH   REJECT ;
`+defaultsWithout("FW_SEARCH_ALL", "FW_MSG_SEARCH"))
	o1 := writeFile(t, "o1.conf", "DANGER_LEVEL1 11;\nSTATUS_IP_THRESHOLD 3;\nFW_SEARCH_ALL Y;\nFW_MSG_SEARCH override;\niptablesCmd /opt/iptables;\n")
	o2 := writeFile(t, "o2.conf", "DANGER_LEVEL1 22;\nDANGER_LEVEL2 33;\n")
	c, err := Load(main, []string{o1, o2})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"DANGER_LEVEL1":   "11",
		"DANGER_LEVEL2":   "33",
		"EMAIL_ADDRESSES": "main@example.com",
		// The main file's plain Y/N beats the override for FW_SEARCH_ALL.
		"FW_SEARCH_ALL": "N",
		// The variable keeps the first definition, the search list does not.
		"FW_MSG_SEARCH": "override",
	} {
		if got := c.Str(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if c.Int("STATUS_IP_THRESHOLD") != 3 {
		t.Errorf("STATUS_IP_THRESHOLD = %d", c.Int("STATUS_IP_THRESHOLD"))
	}
	if file, line := c.Line("DANGER_LEVEL2"); file != o2 || line != 2 {
		t.Errorf("Line(DANGER_LEVEL2) = %s:%d", file, line)
	}
	if got, _ := c.Cmd("iptables"); got != "/opt/iptables" {
		t.Errorf("iptables = %q", got)
	}
	if c.FWSearchAll() {
		t.Error("FWSearchAll() = true, want false")
	}
	if got, want := c.FWMsgSearch(), []string{"DROP", "REJECT "}; !reflect.DeepEqual(got, want) {
		t.Errorf("FWMsgSearch() = %q, want %q", got, want)
	}
	if c.MainFile() != main {
		t.Errorf("MainFile() = %q", c.MainFile())
	}
}

func TestFWSearch(t *testing.T) {
	tests := []struct {
		name      string
		override  string
		main      string
		all       bool
		search    []string
		searchVar string
	}{
		{"default", "", "", true, nil, "Y"},
		{"search lines kept in Y mode", "", "FW_MSG_SEARCH a;\nFW_MSG_SEARCH b;", true, []string{"a", "b"}, "Y"},
		{"main N no search lines", "", "FW_SEARCH_ALL N;\nFW_MSG_SEARCH_X a;", false, []string{"DROP"}, "N"},
		{"last main line wins", "", "FW_SEARCH_ALL N;\nFW_SEARCH_ALL Y;", true, nil, "Y"},
		{"override used when main has no plain Y/N", "FW_SEARCH_ALL N;", "FW_SEARCH_ALL N ;", false, []string{"DROP"}, "N"},
		{"other value means Y", "FW_SEARCH_ALL maybe;", "", true, nil, "Y"},
		{"comment lines do not count", "", "# FW_SEARCH_ALL N;\n#FW_MSG_SEARCH x;", true, nil, "Y"},
		{"override cannot add search strings", "FW_SEARCH_ALL N;\nFW_MSG_SEARCH o;", "", false, []string{"DROP"}, "N"},
	}
	base := defaultsWithout("FW_SEARCH_ALL", "FW_MSG_SEARCH")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c *Config
			var err error
			if tt.override != "" {
				c, err = Parse("main.conf", []byte(tt.main+"\n"+base), []byte(tt.override))
			} else {
				c, err = Parse("main.conf", []byte(tt.main+"\n"+base))
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.FWSearchAll() != tt.all {
				t.Errorf("FWSearchAll() = %v, want %v", c.FWSearchAll(), tt.all)
			}
			if got := c.FWMsgSearch(); len(got)+len(tt.search) > 0 && !reflect.DeepEqual(got, tt.search) {
				t.Errorf("FWMsgSearch() = %q, want %q", got, tt.search)
			}
			if got := c.Str("FW_SEARCH_ALL"); got != tt.searchVar {
				t.Errorf("FW_SEARCH_ALL = %q, want %q", got, tt.searchVar)
			}
		})
	}

	// Without any FW_MSG_SEARCH line in the main file, the list is empty
	// in Y mode and DROP in N mode.
	c, err := Parse("main.conf", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.FWMsgSearch(); len(got) != 0 {
		t.Errorf("FWMsgSearch() = %q, want none", got)
	}
	if got := c.Str("FW_MSG_SEARCH"); got != "DROP" || !c.IsDefault("FW_MSG_SEARCH") {
		t.Errorf("FW_MSG_SEARCH = %q default=%v, want the filled-in DROP", got, c.IsDefault("FW_MSG_SEARCH"))
	}
}

func TestOptionalDefaults(t *testing.T) {
	var names []string
	for _, d := range optionalDefaults {
		names = append(names, d.name)
	}
	text := "PSAD_DIR /srv/psad;\n" + defaultsWithout(names...)
	c, err := Parse("main.conf", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"AUTO_IDS_DANGER_LEVEL":   "5",
		"TOP_SCANS_CTR_THRESHOLD": "1",
		"MAX_HOPS":                "20",
		"FW_CHECK_FILE":           "/srv/psad/fw_check",
		"KMSGSD_PID_FILE":         "/var/run/psad/kmsgsd.pid",
		"POSF_FILE":               "/etc/psad/posf",
	}
	for name, v := range want {
		if got := c.Str(name); got != v || !c.IsDefault(name) {
			t.Errorf("%s = %q (default %v), want default %q", name, got, c.IsDefault(name), v)
		}
		if file, line := c.Line(name); file != "" || line != 0 {
			t.Errorf("Line(%s) = %q, %d", name, file, line)
		}
	}
	if _, ok := c.Get("IPT_AUTO_CHAIN4"); ok {
		t.Error("IPT_AUTO_CHAIN4 was filled in")
	}
}

func TestInt(t *testing.T) {
	c := mustParse(t, "A 42;\nB  17  ;\nC abc;\nD 12abc;\nE -3;\nF 99999999999999999999999;\nG +8;\nH ;")
	for name, want := range map[string]int{
		"A": 42, "B": 17, "C": 0, "D": 12, "E": -3, "F": int(^uint(0) >> 1), "G": 8, "H": 0, "UNDEFINED": 0,
	} {
		if got := c.Int(name); got != want {
			t.Errorf("Int(%s) = %d, want %d", name, got, want)
		}
	}
}

func TestSet(t *testing.T) {
	c := mustParse(t, "")
	c.Set("SIGS_FILE", "/tmp/sigs")
	if got := c.Str("SIGS_FILE"); got != "/tmp/sigs" {
		t.Errorf("SIGS_FILE = %q", got)
	}
	if file, line := c.Line("SIGS_FILE"); file != "(command line)" || line != 0 {
		t.Errorf("Line(SIGS_FILE) = %q, %d", file, line)
	}
	c.Set("FW_SEARCH_ALL", "N")
	if c.FWSearchAll() {
		t.Error("Set(FW_SEARCH_ALL, N) left FWSearchAll true")
	}
	c.SetCmd("iptables", "/usr/sbin/firewall-cmd")
	if got, _ := c.Cmd("iptables"); got != "/usr/sbin/firewall-cmd" {
		t.Errorf("Cmd(iptables) = %q", got)
	}
}

// TestInvalid loads each testdata/invalid-*.conf as an override of the
// default configuration (or, for the missing-variable rule, as the main
// file) and pins psad's message and the rendered error.
func TestInvalid(t *testing.T) {
	mainPath := writeFile(t, "psad.conf", string(defaultConf))
	tests := []struct {
		file    string
		asMain  bool
		msg     string
		err     string // "{main}" stands for the main file's path
		varName string
		// settings marks a rule that Settings applies: the file loads,
		// and building the typed settings fails.
		settings bool
	}{
		{
			file:    "invalid-enable-value.conf",
			msg:     "[*] ENABLE_DNS_LOOKUPS variable must be 'Y' or 'N'",
			err:     "testdata/invalid-enable-value.conf:3: ENABLE_DNS_LOOKUPS: ENABLE_DNS_LOOKUPS variable must be 'Y' or 'N'",
			varName: "ENABLE_DNS_LOOKUPS",
		},
		{
			file:    "invalid-range-above-max.conf",
			msg:     "[*] STATUS_IP_THRESHOLD must be an integer >= 0 and <= 10000",
			err:     "testdata/invalid-range-above-max.conf:2: STATUS_IP_THRESHOLD: STATUS_IP_THRESHOLD must be an integer >= 0 and <= 10000",
			varName: "STATUS_IP_THRESHOLD",
		},
		{
			file:    "invalid-range-below-min.conf",
			msg:     "[*] DSHIELD_ALERT_INTERVAL must be an integer >= 1 and <= 24",
			err:     "testdata/invalid-range-below-min.conf:2: DSHIELD_ALERT_INTERVAL: DSHIELD_ALERT_INTERVAL must be an integer >= 1 and <= 24",
			varName: "DSHIELD_ALERT_INTERVAL",
		},
		{
			file:    "invalid-range-not-integer.conf",
			msg:     "[*] TOP_SIGS_LOG_THRESHOLD must be an integer >= 0 and <= 100000",
			err:     "testdata/invalid-range-not-integer.conf:4: TOP_SIGS_LOG_THRESHOLD: TOP_SIGS_LOG_THRESHOLD must be an integer >= 0 and <= 100000",
			varName: "TOP_SIGS_LOG_THRESHOLD",
		},
		{
			file:    "invalid-syslog-facility.conf",
			msg:     "[*] Unrecognized SYSLOG_FACILITY, see psad.conf",
			err:     "testdata/invalid-syslog-facility.conf:2: SYSLOG_FACILITY: Unrecognized SYSLOG_FACILITY, see psad.conf",
			varName: "SYSLOG_FACILITY",
		},
		{
			file:    "invalid-syslog-priority.conf",
			msg:     "[*] Unrecognized SYSLOG_PRIORITY, see psad.conf",
			err:     "testdata/invalid-syslog-priority.conf:2: SYSLOG_PRIORITY: Unrecognized SYSLOG_PRIORITY, see psad.conf",
			varName: "SYSLOG_PRIORITY",
		},
		{
			file:    "invalid-undefined-var.conf",
			msg:     `[*] sub-var "NO_SUCH_DIR" not defined in config for var: PSAD_DIR.`,
			err:     `testdata/invalid-undefined-var.conf:2: PSAD_DIR: sub-var "NO_SUCH_DIR" not defined in config for var: PSAD_DIR.`,
			varName: "PSAD_DIR",
		},
		{
			file:    "invalid-self-reference.conf",
			msg:     "[*] sub-ver HOME_NET not allowed within same variable HOME_NET",
			err:     "testdata/invalid-self-reference.conf:2: HOME_NET: sub-ver HOME_NET not allowed within same variable HOME_NET",
			varName: "HOME_NET",
		},
		{
			file:    "invalid-mutual-reference.conf",
			msg:     "[*] sub-ver FOO_ONE not allowed within same variable FOO_ONE",
			err:     "testdata/invalid-mutual-reference.conf:2: FOO_ONE: sub-ver FOO_ONE not allowed within same variable FOO_ONE",
			varName: "FOO_ONE",
		},
		{
			file:    "invalid-cmd-undefined-var.conf",
			msg:     `[*] sub-var "NO_SUCH_ROOT" not defined in config for var: iptables.`,
			err:     `testdata/invalid-cmd-undefined-var.conf:2: iptables: sub-var "NO_SUCH_ROOT" not defined in config for var: iptables.`,
			varName: "iptables",
		},
		{
			file: "invalid-too-deep.conf",
			msg:  "[*] Exceeded maximum variable resolution counter.",
			err:  "{main}: Exceeded maximum variable resolution counter.",
		},
		{
			file:    "invalid-missing-required.conf",
			asMain:  true,
			msg:     "[*] The config file \"testdata/invalid-missing-required.conf\" does not contain the\nvariable: \"FW_DATA_FILE\". Exiting!",
			err:     `testdata/invalid-missing-required.conf: FW_DATA_FILE: The config file "testdata/invalid-missing-required.conf" does not contain the variable: "FW_DATA_FILE". Exiting!`,
			varName: "FW_DATA_FILE",
		},
		{
			file:    "invalid-not-a-number.conf",
			msg:     `[*] CHECK_INTERVAL must be an integer >= 1, not "5s"`,
			err:     `testdata/invalid-not-a-number.conf:2: CHECK_INTERVAL: CHECK_INTERVAL must be an integer >= 1, not "5s"`,
			varName: "CHECK_INTERVAL",
		},
		{
			file:    "invalid-interval-zero.conf",
			msg:     `[*] CHECK_INTERVAL must be an integer >= 1, not "0"`,
			err:     `testdata/invalid-interval-zero.conf:2: CHECK_INTERVAL: CHECK_INTERVAL must be an integer >= 1, not "0"`,
			varName: "CHECK_INTERVAL",
		},
		{
			file:    "invalid-danger-level-range.conf",
			msg:     `[*] AUTO_IDS_DANGER_LEVEL must be an integer >= 1 and <= 5, not "6"`,
			err:     `testdata/invalid-danger-level-range.conf:2: AUTO_IDS_DANGER_LEVEL: AUTO_IDS_DANGER_LEVEL must be an integer >= 1 and <= 5, not "6"`,
			varName: "AUTO_IDS_DANGER_LEVEL",
		},
		{
			file:    "invalid-danger-levels-order.conf",
			msg:     `[*] DANGER_LEVEL3 must be greater than DANGER_LEVEL2 (15), not "10"`,
			err:     `testdata/invalid-danger-levels-order.conf:3: DANGER_LEVEL3: DANGER_LEVEL3 must be greater than DANGER_LEVEL2 (15), not "10"`,
			varName: "DANGER_LEVEL3",
		},
		{
			file:    "invalid-unique-hosts-order.conf",
			msg:     `[*] DL4_UNIQUE_HOSTS must be greater than DL3_UNIQUE_HOSTS (50), not "50"`,
			err:     `testdata/invalid-unique-hosts-order.conf:2: DL4_UNIQUE_HOSTS: DL4_UNIQUE_HOSTS must be greater than DL3_UNIQUE_HOSTS (50), not "50"`,
			varName: "DL4_UNIQUE_HOSTS",
		},
		{
			file:    "invalid-missing-semicolon.conf",
			msg:     "missing ';' at the end of the line",
			err:     "testdata/invalid-missing-semicolon.conf:3: CHECK_INTERVAL: missing ';' at the end of the line",
			varName: "CHECK_INTERVAL",
		},
		{
			file:    "invalid-misspelt-variable.conf",
			msg:     "unknown variable, did you mean CHECK_INTERVAL?",
			err:     "testdata/invalid-misspelt-variable.conf:2: CHECK_INTERVALL: unknown variable, did you mean CHECK_INTERVAL?",
			varName: "CHECK_INTERVALL",
		},
		{
			file:     "invalid-home-net.conf",
			msg:      `bad address in "10.0.0.300/24"`,
			err:      `testdata/invalid-home-net.conf:3: HOME_NET: bad address in "10.0.0.300/24"`,
			varName:  "HOME_NET",
			settings: true,
		},
		{
			file:     "invalid-ignore-ports.conf",
			msg:      `"icmp/8": want tcp/PORT, tcp/LOW-HIGH, udp/PORT or udp/LOW-HIGH`,
			err:      `testdata/invalid-ignore-ports.conf:2: IGNORE_PORTS: "icmp/8": want tcp/PORT, tcp/LOW-HIGH, udp/PORT or udp/LOW-HIGH`,
			varName:  "IGNORE_PORTS",
			settings: true,
		},
		{
			file:     "invalid-ignore-ports-range.conf",
			msg:      `"tcp/80-70000": bad port or range`,
			err:      `testdata/invalid-ignore-ports-range.conf:2: IGNORE_PORTS: "tcp/80-70000": bad port or range`,
			varName:  "IGNORE_PORTS",
			settings: true,
		},
		{
			file:     "invalid-ignore-log-prefixes.conf",
			msg:      "error parsing regexp: missing closing ): `^(DROP`",
			err:      "testdata/invalid-ignore-log-prefixes.conf:2: IGNORE_LOG_PREFIXES: error parsing regexp: missing closing ): `^(DROP`",
			varName:  "IGNORE_LOG_PREFIXES",
			settings: true,
		},
		{
			file:     "invalid-auto-chain-target.conf",
			msg:      `target "ACCEPT": want DROP or REJECT`,
			err:      `testdata/invalid-auto-chain-target.conf:2: IPT_AUTO_CHAIN1: target "ACCEPT": want DROP or REJECT`,
			varName:  "IPT_AUTO_CHAIN1",
			settings: true,
		},
		{
			file:     "invalid-auto-chain-direction.conf",
			msg:      `direction "out": want src, dst or both`,
			err:      `testdata/invalid-auto-chain-direction.conf:2: IPT_AUTO_CHAIN2: direction "out": want src, dst or both`,
			varName:  "IPT_AUTO_CHAIN2",
			settings: true,
		},
		{
			file:     "invalid-auto-chain-position.conf",
			msg:      `positions "0" and "1": want integers >= 1`,
			err:      `testdata/invalid-auto-chain-position.conf:3: IPT_AUTO_CHAIN1: positions "0" and "1": want integers >= 1`,
			varName:  "IPT_AUTO_CHAIN1",
			settings: true,
		},
		{
			file:     "invalid-auto-chain-fields.conf",
			msg:      `"DROP, src, filter, INPUT": want target, direction, table, from_chain, jump_position, to_chain, rule_position`,
			err:      `testdata/invalid-auto-chain-fields.conf:2: IPT_AUTO_CHAIN1: "DROP, src, filter, INPUT": want target, direction, table, from_chain, jump_position, to_chain, rule_position`,
			varName:  "IPT_AUTO_CHAIN1",
			settings: true,
		},
		{
			file:     "invalid-nft-extra-hook.conf",
			msg:      `unknown hook "docker" (prerouting, input, forward, output or postrouting)`,
			err:      `testdata/invalid-nft-extra-hook.conf:2: NFTABLES_EXTRA_HOOK: unknown hook "docker" (prerouting, input, forward, output or postrouting)`,
			varName:  "NFTABLES_EXTRA_HOOK",
			settings: true,
		},
		{
			file:     "invalid-auto-chain-same.conf",
			msg:      `from_chain and to_chain are both "FORWARD"`,
			err:      `testdata/invalid-auto-chain-same.conf:2: IPT_AUTO_CHAIN3: from_chain and to_chain are both "FORWARD"`,
			varName:  "IPT_AUTO_CHAIN3",
			settings: true,
		},
		{
			file:     "invalid-auto-block-regex.conf",
			msg:      "error parsing regexp: missing closing ): `ESTAB(`",
			err:      "testdata/invalid-auto-block-regex.conf:3: AUTO_BLOCK_REGEX: error parsing regexp: missing closing ): `ESTAB(`",
			varName:  "AUTO_BLOCK_REGEX",
			settings: true,
		},
		{
			file:     "invalid-auto-block-whitelist.conf",
			msg:      `bad prefix length in "10.1.1.1/33"`,
			err:      `testdata/invalid-auto-block-whitelist.conf:2: AUTO_BLOCK_WHITELIST: bad prefix length in "10.1.1.1/33"`,
			varName:  "AUTO_BLOCK_WHITELIST",
			settings: true,
		},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			var err error
			if tt.asMain {
				_, err = Load(path, nil)
			} else {
				var c *Config
				c, err = Load(mainPath, []string{path})
				if tt.settings {
					if err != nil {
						t.Fatalf("Load: %v; the file must load and fail only in Settings", err)
					}
					_, err = c.Settings()
				}
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load: err = %v (%T), want *Error", err, err)
			}
			if ce.Msg != tt.msg {
				t.Errorf("Msg:\n got %q\nwant %q", ce.Msg, tt.msg)
			}
			if want := strings.ReplaceAll(tt.err, "{main}", mainPath); err.Error() != want {
				t.Errorf("Error():\n got %q\nwant %q", err.Error(), want)
			}
			if ce.Var != tt.varName {
				t.Errorf("Var = %q, want %q", ce.Var, tt.varName)
			}
		})
	}
	// Every invalid-*.conf file must have a case above.
	files, _ := filepath.Glob("testdata/invalid-*.conf")
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no test case", f)
		}
	}
}

func TestMissingFiles(t *testing.T) {
	dir := t.TempDir()
	mainPath := writeFile(t, "psad.conf", string(defaultConf))
	missing := filepath.Join(dir, "nope.conf")

	_, err := Load(mainPath, []string{missing})
	var ce *Error
	if !errors.As(err, &ce) || ce.Msg != "[*] Override config file "+missing+" does not exist" {
		t.Errorf("missing override: %v", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing override: errors.Is(err, fs.ErrNotExist) = false")
	}

	_, err = Load(missing, nil)
	if !errors.As(err, &ce) || ce.Msg != "[*] Could not open config file "+missing+": No such file or directory" {
		t.Errorf("missing main: %v", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing main: errors.Is(err, fs.ErrNotExist) = false")
	}
}

func TestDefault(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if !c.Embedded() || c.MainFile() != DefaultName {
		t.Errorf("Embedded() = %v, MainFile() = %q", c.Embedded(), c.MainFile())
	}
	for _, name := range required {
		if _, ok := c.Get(name); !ok || c.IsDefault(name) {
			t.Errorf("required variable %s missing from the embedded psad.conf", name)
		}
	}
	for _, d := range optionalDefaults {
		if _, ok := c.Get(d.name); !ok || c.IsDefault(d.name) {
			t.Errorf("optional variable %s missing from the embedded psad.conf", d.name)
		}
	}
	for _, name := range []string{"IPT_AUTO_CHAIN2", "IPT_AUTO_CHAIN3"} {
		if _, ok := c.Get(name); !ok {
			t.Errorf("%s missing", name)
		}
	}
	wantCmds := []string{"df", "fwcheck_psad", "gzip", "ifconfig", "ip", "ip6tables", "iptables", "killall",
		"kmsgsd", "mail", "mknod", "netstat", "ps", "psad", "psadwatchd", "sendmail", "sh", "uname", "wget", "whois"}
	if got := c.CmdNames(); !reflect.DeepEqual(got, wantCmds) {
		t.Errorf("CmdNames() = %q", got)
	}
	spot := map[string]string{
		"FW_ERROR_LOG":         "/var/log/psad/errs/fwerrorlog",
		"SIGS_FILE":            "/etc/psad/signatures",
		"CUSTOM_SYSLOG_TS_RE":  `^\s*((?:\S+\s+){2}\S+)\s+(\S+)\s+kernel\:`,
		"FW_MSG_READ_CMD_ARGS": "-f -k",
		"AIM_SERVERS":          "[64.12.24.0/24, 64.12.25.0/24, 64.12.26.14/24, 64.12.28.0/24, 64.12.29.0/24, 64.12.161.0/24, 64.12.163.0/24, 205.188.5.0/24, 205.188.9.0/24]",
	}
	for name, want := range spot {
		if got, _ := c.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if !c.FWSearchAll() || !reflect.DeepEqual(c.FWMsgSearch(), []string{"DROP"}) {
		t.Errorf("FWSearchAll() = %v, FWMsgSearch() = %q", c.FWSearchAll(), c.FWMsgSearch())
	}
	names := c.Names()
	if len(names) < len(required) || !strings.HasPrefix(strings.Join(names, " "), "AIM_SERVERS ALERTING_METHODS ALERT_ALL") {
		t.Errorf("Names() = %q...", names[:3])
	}
}

// TestInstalledPsadConf checks the real psad 2.4.6 configuration, when it
// is installed, loads and that our built-in file knows every variable and
// command it defines.
func TestInstalledPsadConf(t *testing.T) {
	const path = "/etc/psad/psad.conf"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s not installed", path)
	}
	inst, err := Load(path, nil)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	def, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range inst.Names() {
		if inst.IsDefault(name) {
			continue
		}
		dv, ok := def.Get(name)
		if !ok {
			t.Errorf("%s (defined in %s) is missing from the embedded psad.conf", name, path)
			continue
		}
		// A site may have edited its file, so value differences are only
		// reported.
		if iv, _ := inst.Get(name); iv != dv {
			t.Logf("%s: installed %q, embedded %q", name, iv, dv)
		}
	}
	for _, name := range inst.CmdNames() {
		if _, ok := def.Cmd(name); !ok {
			t.Errorf("command %s is missing from the embedded psad.conf", name)
		}
	}
}

func TestLoadEmbeddedWith(t *testing.T) {
	o := writeFile(t, "o.conf", "DANGER_LEVEL1 9;\nFW_SEARCH_ALL N;\n")
	c, err := LoadEmbeddedWith([]string{o})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Embedded() || c.MainFile() != DefaultName || c.Int("DANGER_LEVEL1") != 9 {
		t.Errorf("Embedded() = %v, MainFile() = %q, DANGER_LEVEL1 = %d", c.Embedded(), c.MainFile(), c.Int("DANGER_LEVEL1"))
	}
	// The built-in main file says FW_SEARCH_ALL Y, which beats overrides.
	if !c.FWSearchAll() {
		t.Error("FWSearchAll() = false")
	}
	if _, err := LoadEmbeddedWith([]string{o + ".missing"}); err == nil {
		t.Error("missing override accepted")
	}
}

// TestUnknownVariables checks how names no part of psad reads are
// treated: a near miss of a required variable stops the load, anything
// else is a warning that names the line and, when there is one, the
// closest known name.
func TestUnknownVariables(t *testing.T) {
	t.Run("warnings", func(t *testing.T) {
		c, err := Parse("main.conf", withDefaults("MY_SERVERS 10.0.0.0/8;\nENABLE_KMSG_REED Y;\nSSH_SERVERS $HOME_NET;\nIPT_AUTO_CHAIN7 DROP, src, filter, INPUT, 1, X, 1;"))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"config warning, main.conf:1: MY_SERVERS: unknown variable, not used by psad (only by $MY_SERVERS references)",
			"config warning, main.conf:2: ENABLE_KMSG_REED: unknown variable, did you mean ENABLE_KMSG_READ?",
		}
		got := c.Warnings()
		if len(got) != 3 || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("Warnings() =\n%s\nwant the first two to be\n%s\nand a third for SSH_SERVERS", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		s, err := c.Settings()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(s.Warnings, got) {
			t.Errorf("Settings().Warnings = %q, want %q", s.Warnings, got)
		}
		if v, _ := c.Get("MY_SERVERS"); v != "10.0.0.0/8" {
			t.Errorf("MY_SERVERS = %q, want it kept for $ references", v)
		}
	})
	t.Run("lower case of a required name", func(t *testing.T) {
		_, err := Parse("main.conf", withDefaults("check_interval 5;"))
		if err == nil || err.Error() != "main.conf:1: check_interval: unknown variable, did you mean CHECK_INTERVAL?" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("two edits from a missing required variable", func(t *testing.T) {
		_, err := Parse("main.conf", []byte(defaultsWithout("CHECK_INTERVAL")+"\nCHEK_INTERVALL 5;\n"))
		if err == nil || !strings.HasSuffix(err.Error(), "CHEK_INTERVALL: unknown variable, did you mean CHECK_INTERVAL?") {
			t.Errorf("err = %v, want the misspelt line reported", err)
		}
	})
	t.Run("two edits from a defined required variable", func(t *testing.T) {
		c := mustParse(t, "CHEK_INTERVALL 5;")
		if w := c.Warnings(); len(w) != 1 || !strings.Contains(w[0], "did you mean CHECK_INTERVAL?") {
			t.Errorf("Warnings() = %q", w)
		}
	})
	t.Run("built-in file", func(t *testing.T) {
		c, err := Default()
		if err != nil {
			t.Fatal(err)
		}
		if w := c.Warnings(); len(w) != 0 {
			t.Errorf("the built-in psad.conf warns: %q", w)
		}
	})
}

// TestKnownNames keeps the list of known variables complete: every
// variable name settings.go reads must be known, or a correct file
// setting it would be warned about.
func TestKnownNames(t *testing.T) {
	src, err := os.ReadFile("settings.go")
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`c\.(?:Str|Int|Y|Get|none|seconds|file|Line)\("([A-Z0-9_]+)"\)`).FindAllStringSubmatch(string(src), -1)
	if len(names) < 50 {
		t.Fatalf("found %d names in settings.go; the pattern is stale", len(names))
	}
	for _, m := range names {
		if !isKnown(m[1]) {
			t.Errorf("settings.go reads %s, which is not a known variable", m[1])
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		d    int
	}{
		{"CHECK_INTERVAL", "CHECK_INTERVAL", 0},
		{"CHECK_INTERVALL", "CHECK_INTERVAL", 1},
		{"CHECK_INTERVLA", "CHECK_INTERVAL", 1},
		{"CHEK_INTERVALL", "CHECK_INTERVAL", 2},
		{"", "ABC", 3},
		{"ABC", "XYZ", 3},
	} {
		if d := editDistance(tt.a, tt.b); d != tt.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, d, tt.d)
		}
	}
}
