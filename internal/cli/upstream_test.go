package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// upstreamCase is one analysis-mode case of psad's own test suite
// (detection spec §20), run on the log this project generates for it.
type upstreamCase struct {
	name     string
	log      string
	settings map[string]string
	autoDL   string
	args     []string
	exitNon0 bool
	// sigsWithout runs with a signatures file lacking the rules whose
	// line contains this text (psad's exclusion cases).
	sigsWithout string
	must        []string
	mustNot     []string // the case fails only if every one of these matches
	// pending lists expressions that need an engine this release lacks
	// ("signatures", "alerts"); they are reported, not checked.
	pending map[string]string
}

// Expressions shared by many cases.
var (
	reTop      = `(?i)Top\s\d+\sattackers`
	reStatus   = `(?i)IP\sstatus`
	reSrc55    = `192\.168\.10\.55`
	reDL5      = `192\.168\.10\.55,\sDL\:\s5`
	reSrcLine  = `SRC\:\s+192\.168\.10\.55`
	reV6Src    = `SRC\:.*2001\:DB8\:0\:F101\:\:2`
	levelsAll0 = []string{`Level 1\: 0 IP addresses`, `Level 2\: 0 IP addresses`, `Level 3\: 0 IP addresses`,
		`Level 4\: 0 IP addresses`, `Level 5\: 0 IP addresses`}
)

func synScanCase(name string, args ...string) upstreamCase {
	return upstreamCase{name: name, log: "syn_scan_1000_1500", args: args,
		must: []string{reTop, `(?i)scanned\sports.*?1000\-1500\b`, `(?i)Source\sOS`, `(?i)BACKDOOR`, reStatus, reSrc55}}
}

func upstreamCases() []upstreamCase {
	dl5 := "192.168.10.55 5;\n"
	return []upstreamCase{
		synScanCase("IPv4 SYN scan detection"),
		{name: "IPv4 SYN scan multi-dst detection", log: "syn_scan_1000_1500_multi_dst",
			must: []string{reTop, `(?i)scanned\sports.*?1000\-1500\b`, `(?i)Source\sOS`, `(?i)BACKDOOR`, reStatus, reSrc55,
				`(?i)Total\sscan\sdestinations\:\s4`}},
		{name: "IPv4 SYN sweep detection", log: "syn_sweep", args: []string{"--test-mode"},
			must: []string{reTop, `(?i)port sweep.*port\s1083\b`}},
		{name: "IPv6 Topera SYN scan detection", log: "topera_ipv6_syn_scan_no_ip_opts",
			must: []string{reTop, `(?i)scanned\sports.*?0\-1023\b`, `(?i)BACKDOOR`, reStatus, `SRC\:\s+2012\:1234\:1234\:0000\:0000\:0000\:0000\:0001`}},
		{name: "IPv6 Topera SYN scan detection (with IP opts)", log: "topera_ipv6_syn_scan_with_ip_opts", args: []string{"--test-mode"},
			must: []string{reTop, `(?i)scanned\sports.*?0\-1234\b`, `(?i)BACKDOOR`, `(?i)Topera\sIPv6\sscan`, reStatus,
				`SRC\:\s+2012\:1234\:1234\:0000\:0000\:0000\:0000\:0001`}},
		{name: "IPv4 detect Mirai default credentials scans", log: "mirai_default_credentials_scan", args: []string{"--test-mode", "--analysis-write-data"},
			must: []string{reTop, `(?i)Mirai\sbotnet\sdefault\scredentials\sscan`}},
		{name: "IPv4 MS SQL Server communication attempt detection", log: "ms_sql_server_sig_match",
			must: []string{reTop, `(?i)scanned\sports`, reStatus, `(?i)SQL\sServer\scommunication`, reSrc55}},
		{name: "IPv6 MS SQL Server communication attempt detection", log: "ipv6_ms_sql_server_sig_match",
			must: []string{reTop, `(?i)scanned\sports`, reStatus, `(?i)SQL\sServer\scommunication`, `SRC\:.*2001\:DB8\:0\:F101\:\:2`}},
		{name: "IPv4 exclude MS SQL Server sig match", log: "ms_sql_server_sig_match", sigsWithout: "SQL Server communication",
			mustNot: []string{`(?i)SQL\sServer\scommunication`}},
		{name: "IPv6 exclude MS SQL Server sig match", log: "ipv6_ms_sql_server_sig_match", sigsWithout: "SQL Server communication",
			mustNot: []string{`(?i)SQL\sServer\scommunication`}},
		{name: "IPv4 FIN scan detection", log: "fin_scan_1000_1150",
			must: []string{reTop, `(?i)scanned\sports.*?1000\-1150\b`, reStatus, `(?i)SCAN\sFIN`, reSrc55}},
		{name: "IPv4 XMAS scan detection", log: "xmas_scan_1000_1150",
			must: []string{reTop, `(?i)scanned\sports.*?1000\-1150\b`, reStatus, `(?i)SCAN\snmap\sXMAS`, reSrc55}},
		{name: "IPv4 NULL scan detection", log: "null_scan_1000_1150",
			must: []string{reTop, `(?i)scanned\sports.*?1000\-1150\b`, reStatus, reSrc55}},
		// psad counts 251 protocols here because it calls the UDP-Lite, AH
		// and ESP probes malformed; we count them (docs/compat.md): 254.
		{name: "IPv4 IP protocol scan detection", log: "proto_scan",
			must: []string{reTop, `(?i)IP\sprotocols\:\s254\,`, reStatus, reSrc55}},
		{name: "IPv4 fwknop SPA packet detection", log: "fwknop_spa_pkt",
			must: []string{reTop, `(?i)fwknop\sSingle\sPacket`, reStatus, reSrc55}},
		{name: "syslog time format (1)", log: "syslog_time_fmt1", args: []string{"--test-mode"},
			must: []string{`syslog\shostname\:\sservername`, `timestamp\:\s2015\-03\-08T`}},
		{name: "IPv4 ACK scan detection", log: "ack_scan_1000_1150", settings: map[string]string{"IGNORE_CONNTRACK_BUG_PKTS": "N"},
			must: []string{reTop, `(?i)scanned\sports.*?1000\-1150\b`, reStatus, reSrc55}},
		{name: "IPv4 UDP scan detection", log: "udp_scan_1000_1150",
			must: []string{reTop, `(?i)scanned\sports.*?1000\-1150`, reStatus, reSrc55}},
		{name: "DL5 IPv4 SYN scan source", log: "syn_scan_1000_1500", autoDL: dl5,
			must: []string{reTop, `(?i)scanned\sports.*?1000\-1500`, reStatus, reDL5}},
		{name: "DL5 IPv4 SYN scan source subnet", log: "syn_scan_1000_1500", autoDL: "192.168.10.0/24 5;\n",
			must: []string{reTop, `(?i)scanned\sports.*?1000\-1500`, reStatus, reDL5}},
		{name: "DL5 IPv4 SYN scan src subnet+tcp", log: "syn_scan_1000_1500", autoDL: "192.168.10.0/24 5 tcp;\n",
			must: []string{reTop, `(?i)scanned\sports.*?1000\-1500`, reStatus, reDL5}},
		{name: "non-DL5 IPv4 SYN scan src subnet+udp", log: "syn_scan_1000_1500", autoDL: "192.168.10.0/24 5 udp;\n",
			mustNot: []string{reDL5}},
		{name: "ignore src via --analysis-fields SRC:1.2.3.4", log: "syn_scan_1000_1500",
			args: []string{"--analysis-fields", "SRC:1.2.3.4"}, must: levelsAll0},
		synScanCase("match src via --analysis-fields SRC:192.168.10.55", "--analysis-fields", "SRC:192.168.10.55"),
		{name: "ignore src via --analysis-fields DST:1.2.3.4", log: "syn_scan_1000_1500",
			args: []string{"--analysis-fields", "DST:1.2.3.4"}, must: levelsAll0},
		synScanCase("match src via --analysis-fields DST:192.168.10.1", "--analysis-fields", "DST:192.168.10.1"),
		synScanCase("--analysis-fields SRC:192.168.10.55, DST:192.168.10.1", "--analysis-fields", "SRC:192.168.10.55, DST:192.168.10.1"),
		{name: "ignore length via --analysis-fields LEN:15", log: "syn_scan_1000_1500",
			args: []string{"--analysis-fields", "LEN:15"}, must: levelsAll0},
		synScanCase("match length via --analysis-fields LEN:44", "--analysis-fields", "LEN:44"),
		{name: "invalid --analysis-fields BOGUS:44", log: "syn_scan_1000_1500",
			args: []string{"--analysis-fields", "BOGUS:44"}, exitNon0: true, must: []string{`valid fields are`}},
		{name: "DL5 IPv4 UDP scan source", log: "udp_scan_1000_1150", autoDL: dl5,
			must: []string{reTop, `(?i)scanned\sports.*?1000\-1150`, reStatus, reDL5}},
		{name: "DL5 IPv4 UDP scan source subnet", log: "udp_scan_1000_1150", autoDL: "192.168.10.0/24 5;\n",
			must: []string{reTop, `(?i)scanned\sports.*?1000\-1150`, reStatus, reDL5}},
		{name: "DL5 IPv4 UDP scan src subnet+udp", log: "udp_scan_1000_1150", autoDL: "192.168.10.0/24 5 udp;\n",
			must: []string{reTop, `(?i)scanned\sports.*?1000\-1150`, reStatus, reDL5}},
		{name: "non-DL5 IPv4 UDP scan src subnet+tcp", log: "udp_scan_1000_1150", autoDL: "192.168.10.0/24 5 tcp;\n",
			mustNot: []string{reDL5}},
		{name: "ignore IPv4 SYN scan source", log: "syn_scan_1000_1500", autoDL: "192.168.10.55 0;\n", mustNot: []string{reSrcLine}},
		{name: "ignore IPv4 SYN scan source subnet", log: "syn_scan_1000_1500", autoDL: "192.168.10.0/24 0;\n", mustNot: []string{reSrcLine}},
		{name: "psad.conf ignore IPv4 TCP traffic", log: "syn_scan_1000_1500", autoDL: dl5,
			settings: map[string]string{"IGNORE_PROTOCOLS": "tcp"}, mustNot: []string{reSrcLine}},
		{name: "psad.conf ignore IPv4 IGMP traffic", log: "ipv4_igmp", autoDL: dl5,
			settings: map[string]string{"IGNORE_PROTOCOLS": "2"}, mustNot: []string{reSrcLine}},
		{name: "psad.conf ignore eth1 traffic", log: "syn_scan_1000_1500", autoDL: dl5,
			settings: map[string]string{"IGNORE_INTERFACES": "eth1, eth0.1"}, mustNot: []string{reSrcLine}},
		{name: "psad.conf require DROP prefix", log: "syn_scan_1000_1500", autoDL: dl5,
			settings: map[string]string{"FW_SEARCH_ALL": "N"}, must: []string{reSrcLine}},
		{name: "psad.conf require missing DROP prefix", log: "syn_scan_1000_1500", autoDL: dl5,
			settings: map[string]string{"FW_SEARCH_ALL": "N", "FW_MSG_SEARCH": "nothere"}, mustNot: []string{reSrcLine}},
		{name: "ignore IPv4 UDP scan source", log: "udp_scan_1000_1150", autoDL: "192.168.10.55 0;\n", mustNot: []string{reSrcLine}},
		{name: "ignore IPv4 UDP scan source subnet", log: "udp_scan_1000_1150", autoDL: "192.168.10.0/24 0;\n", mustNot: []string{reSrcLine}},
		{name: "psad.conf ignore IPv4 UDP traffic", log: "udp_scan_1000_1150", autoDL: dl5,
			settings: map[string]string{"IGNORE_PROTOCOLS": "udp"}, mustNot: []string{reSrcLine}},
		{name: "IPv6 TCP connect() scan detection", log: "ipv6_tcp_connect_nmap_default_scan",
			must: []string{reTop, `(?i)scanned\sports.*?1\-65389\b`, reStatus, reV6Src}},
		{name: "IPv6 allow valid ping packets", log: "ipv6_ping_scan", mustNot: []string{reV6Src}},
		{name: "IPv6 invalid ICMP6 type/code detection", log: "ipv6_invalid_icmp6_type_code",
			must: []string{`Invalid\sICMP6`, reV6Src}},
		{name: "IPv4 allow valid ICMP echo request", log: "ipv4_valid_ping", mustNot: []string{`Invalid\sICMP`, `SRC\:\s+192.168.10.55`}},
		{name: "IPv4 invalid ICMP type/code detection", log: "invalid_icmp_type_code",
			must: []string{`Invalid\sICMP`, `SRC\:\s+192.168.10.55`}},
		{name: "IPv6 disabled", log: "ipv6_tcp_connect_nmap_default_scan",
			settings: map[string]string{"ENABLE_IPV6_DETECTION": "N"}, must: []string{`\[NONE\]`}, mustNot: []string{reV6Src}},
		{name: "ignore IPv6 connect() scan source", log: "ipv6_tcp_connect_nmap_default_scan",
			autoDL: "2001:0db8:0000:f101:0000:0000:0000:0002 0;\n", must: []string{`\[NONE\]`}, mustNot: []string{reV6Src}},
		{name: "ignore IPv6 connect() scan abbrev source", log: "ipv6_tcp_connect_nmap_default_scan",
			autoDL: "2001:DB8:0:F101::2 0;\n", must: []string{`\[NONE\]`}, mustNot: []string{reV6Src}},
	}
}

// TestUpstreamCases runs psad's analysis-mode test cases with the same
// expectations. The exclusion cases (#9, #10) need a signatures file
// without psad_id 100205; with no signature engine yet they hold
// trivially and are checked again when signatures land.
func TestUpstreamCases(t *testing.T) { runUpstreamCases(t, nil) }

// TestUpstreamCasesPsadData runs the same cases with an installed psad's
// data files instead of ours, as a drop-in replacement would.
func TestUpstreamCasesPsadData(t *testing.T) {
	if !havePsadData() {
		t.Skip("psad's data files (/etc/psad) are absent")
	}
	runUpstreamCases(t, psadData)
}

func runUpstreamCases(t *testing.T, base map[string]string) {
	for _, c := range upstreamCases() {
		t.Run(c.name, func(t *testing.T) {
			settings := map[string]string{}
			for k, v := range base {
				settings[k] = v
			}
			for k, v := range c.settings {
				settings[k] = v
			}
			e := newTestEnv(t, settings, c.autoDL)
			args := append([]string{"-A", "-m", logPath(c.log), "--no-rdns", "--no-whois", "--no-netstat"}, c.args...)
			if c.sigsWithout != "" {
				data, err := os.ReadFile(filepath.Join(e.dir, "etc", "signatures"))
				must(t, err)
				var keep []string
				for _, l := range strings.Split(string(data), "\n") {
					if !strings.Contains(l, c.sigsWithout) {
						keep = append(keep, l)
					}
				}
				path := filepath.Join(e.dir, "sigs-without")
				must(t, os.WriteFile(path, []byte(strings.Join(keep, "\n")), 0o600))
				args = append(args, "--signatures", path)
			}
			out, errs, code := e.run(t, args...)
			all := out + errs
			if c.exitNon0 != (code != 0) {
				t.Fatalf("exit status %d (want non-zero: %v)\n%s", code, c.exitNon0, all)
			}
			for _, re := range c.must {
				if !regexp.MustCompile(re).MatchString(all) {
					t.Errorf("output lacks %s", re)
				}
			}
			if len(c.mustNot) > 0 {
				every := true
				for _, re := range c.mustNot {
					every = every && regexp.MustCompile(re).MatchString(all)
				}
				if every {
					t.Errorf("output matches every forbidden expression %q", c.mustNot)
				}
			}
			for re, why := range c.pending {
				t.Logf("not checked yet, needs %s: %s", why, re)
			}
			if t.Failed() {
				t.Logf("output:\n%s", all)
			}
		})
	}
}

// psadData are settings that make a test psad-go read an installed psad's
// data files (signatures, ICMP tables, pf.os, posf, protocols) with
// psad's reading of signature rules, as a drop-in replacement does.
var psadData = map[string]string{
	"PSAD_CONF_DIR":               "/etc/psad",
	"P0F_FILE":                    "/etc/psad/pf.os",
	"ENABLE_SNORT_RULE_SEMANTICS": "N",
}

func havePsadData() bool {
	for _, f := range []string{"signatures", "icmp_types", "icmp6_types", "pf.os", "posf", "protocols"} {
		if _, err := os.Stat(filepath.Join("/etc/psad", f)); err != nil {
			return false
		}
	}
	return true
}

// TestUpstreamReports compares our -A report with the reports psad 2.4.6
// printed for psad's own sample logs (../shared/testdata/upstream), fact
// by fact with ../shared/tools/psadcmp. It needs ../shared and psad's
// data files (Debian's psad package, which .ci/run installs), and skips
// cleanly without them.
func TestUpstreamReports(t *testing.T) {
	shared := filepath.Join(repoRoot, "..", "shared")
	refDir := filepath.Join(shared, "testdata", "upstream")
	tool := filepath.Join(shared, "tools", "psadcmp")
	if _, err := os.Stat(refDir); err != nil {
		t.Skip("../shared/testdata/upstream is absent: no psad reference reports on this machine")
	}
	if !havePsadData() {
		t.Skip("psad's data files (/etc/psad) are absent: the references were made with them")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is needed to run psadcmp")
	}
	refs, _ := filepath.Glob(filepath.Join(refDir, "*.psad.txt"))
	// The one fact we change on purpose: Total protocols counts distinct
	// protocols (docs/compat.md, #2).
	excused := regexp.MustCompile(`\.total_protocols:`)
	for _, ref := range refs {
		name := strings.TrimSuffix(filepath.Base(ref), ".psad.txt")
		t.Run(name, func(t *testing.T) {
			e := newTestEnv(t, psadData, "")
			out, errs, code := e.run(t, "-A", "-m", filepath.Join(refDir, name+".log"), "--no-rdns", "--no-whois", "--no-netstat")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			got := filepath.Join(e.dir, "report.txt")
			must(t, os.WriteFile(got, []byte(out+errs), 0o600))
			res, _ := exec.Command(py, tool, "diff", ref, got).CombinedOutput()
			lines := strings.Split(strings.TrimSpace(string(res)), "\n")
			excusedN := 0
			for _, l := range lines[:len(lines)-1] {
				if excused.MatchString(l) {
					excusedN++
					continue
				}
				t.Errorf("%s", l)
			}
			t.Logf("%s (%d listed in docs/compat.md)", lines[len(lines)-1], excusedN)
		})
	}
}
