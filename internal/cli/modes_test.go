package cli

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

func TestStatusSummaryWithAnalyze(t *testing.T) {
	e := newTestEnv(t, nil, "")
	out, _, code := e.run(t, "-A", "-m", logPath("syn_scan_1000_1500"), "--status-summary")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out, "Total protocol packet counters:") || strings.Contains(out, "IP Status Detail") {
		t.Errorf("--status-summary must stop after the protocol counters:\n%s", out)
	}
}

func TestPacketsLimit(t *testing.T) {
	e := newTestEnv(t, nil, "")
	out, _, _ := e.run(t, "-A", "-m", logPath("syn_scan_1000_1500"), "--packets", "10")
	if !strings.Contains(out, "[+] Found 10 iptables log messages out of 10 total lines.") {
		t.Errorf("missing Found line for --packets 10:\n%s", out)
	}
	if !strings.Contains(out, "Packets: 10,") {
		t.Errorf("the source should have 10 packets:\n%s", out)
	}
}

// TestStdinLikeFile: --stdin prints the report -m prints for the same
// lines, whether it streams them (no progress bar: one pass) or holds
// them to count first (a progress bar on a terminal); a read error names
// STDIN.
func TestStdinLikeFile(t *testing.T) {
	e := newTestEnv(t, nil, "")
	path := logPath("udp_scan_1000_1150")
	data, err := os.ReadFile(path)
	must(t, err)
	e.run(t, "-A", "-m", path) // so that every run below finds the analysis directory to replace
	fromFile, errs, code := e.run(t, "-A", "-m", path)
	if code != 0 {
		t.Fatalf("-m: exit %d\n%s", code, errs)
	}
	want := strings.Replace(fromFile, "Parsing "+path, "Parsing STDIN", 1)
	for _, tty := range []bool{false, true} {
		var out, errb bytes.Buffer
		code := Run([]string{"-c", e.conf, "-A", "--stdin"}, Env{Stdin: bytes.NewReader(data), Stdout: &out, Stderr: &errb, StderrTTY: tty})
		if code != 0 || out.String() != want {
			t.Errorf("terminal %v: exit %d, stdout differs from -m's:\n%s\nstderr:\n%s", tty, code, out.String(), errb.String())
		}
	}
	broken := io.MultiReader(bytes.NewReader(data[:len(data)/2]), iotest.ErrReader(errors.New("device gone")))
	var out, errb bytes.Buffer
	code = Run([]string{"-c", e.conf, "-A", "--stdin"}, Env{Stdin: broken, Stdout: &out, Stderr: &errb})
	if code != 1 || !strings.Contains(errb.String(), "reading STDIN: device gone") {
		t.Errorf("a read error: exit %d, stderr %q", code, errb.String())
	}
}

// TestUnwritablePSADDir: forensics on a copied log must work where the
// psad directories cannot be created; the run says what it skipped.
func TestUnwritablePSADDir(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	must(t, os.WriteFile(blocker, nil, 0o600))
	e := newTestEnv(t, map[string]string{"PSAD_DIR": filepath.Join(blocker, "psad")}, "")
	out, errs, code := e.run(t, "-A", "-m", logPath("syn_scan_1000_1500"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "SRC:  192.168.10.55, DL: 3") {
		t.Errorf("report missing:\n%s", out)
	}
	if !strings.Contains(errs, "Cannot create") || strings.Contains(out, "These results are available") {
		t.Errorf("the run must say it could not save the report:\nstdout:\n%s\nstderr:\n%s", out, errs)
	}
}

func TestMalformedLinesKept(t *testing.T) {
	e := newTestEnv(t, nil, "")
	log := filepath.Join(e.dir, "bad.log")
	good := "Mar 11 20:35:11 fw kernel: DROP IN=eth0 OUT= SRC=10.1.1.1 DST=10.2.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0 \n"
	var b strings.Builder
	for i := 0; i < 5; i++ {
		b.WriteString(strings.Replace(good, "%d", string(rune('1'+i))+"00", 1))
	}
	b.WriteString("Mar 11 20:35:11 fw kernel: DROP IN=eth0 OUT= SRC=10.1.1.1 DST=10.2.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=99999 WINDOW=1024 RES=0x00 SYN URGP=0 \n")
	must(t, os.WriteFile(log, []byte(b.String()), 0o600))
	out, errs, code := e.run(t, "-A", "-m", log)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out, "DL: 1") {
		t.Errorf("good lines lost:\n%s", out)
	}
	if !regexp.MustCompile(`bad\.log:6: field DPT`).MatchString(errs) {
		t.Errorf("stderr does not name file:line:field of the bad line:\n%s", errs)
	}
	kept, err := os.ReadFile(filepath.Join(e.dir, "log", "ipt_analysis", "errs", "fwerrorlog"))
	must(t, err)
	if !strings.Contains(string(kept), "DPT=99999") {
		t.Errorf("fwerrorlog lacks the malformed line: %q", kept)
	}
	// --no-ipt-errors keeps it out of the error log but still counts it.
	_, errs, _ = e.run(t, "-A", "-m", log, "--no-ipt-errors")
	if !strings.Contains(errs, "1 malformed firewall log lines, not saved (--no-ipt-errors)") {
		t.Errorf("stderr: %s", errs)
	}
}

func TestCSVMode(t *testing.T) {
	e := newTestEnv(t, nil, "")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-m", logPath("syn_sweep"), "--CSV-fields", "dst:not192.168.10.0/24 dp"}, "10.0.0.1, 1083\n10.0.0.3, 1083\n10.0.0.201, 1083\n"},
		{[]string{"-m", logPath("syn_sweep"), "--CSV-fields", "dst", "--CSV-start-line", "3", "--CSV-end-line", "6"}, "192.168.10.3\n192.168.10.232\n192.168.10.200\n"},
		{[]string{"-m", logPath("syn_sweep"), "--CSV-fields", "dst", "--CSV-max-lines", "2"}, "192.168.10.1\n192.168.10.2\n"},
		{[]string{"-m", logPath("proto_scan"), "--CSV-fields", "proto:'udp' dp", "--CSV-unique-lines"}, "udp, 43784\n"},
		{[]string{"-m", logPath("syn_sweep"), "--CSV-fields", "src dp", "--CSV-unique-lines", "--plot-separator", ";"}, "192.168.10.55;1083\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[2:], " "), func(t *testing.T) {
			out, errs, code := e.run(t, append([]string{"--CSV"}, tt.args...)...)
			if code != 0 || out != tt.want {
				t.Errorf("exit %d, got\n%s\nwant\n%s\nstderr: %s", code, out, tt.want, errs)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	e := newTestEnv(t, nil, "")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-S"}, 1, "pid file"},
		{[]string{"-e"}, 1, "Can only specify --email-analysis flag when run in --Analyze mode."},
		{[]string{"-U"}, 1, "psad is not running"},
		{[]string{"-X"}, 1, "[*] The --fw-del-chains option can only be used with --Flush."},
		{[]string{"--no-kmsgsd"}, 1, "[*] The --no-kmsgsd option can only be used with --debug."},
		{[]string{"--bogus"}, 255, "Unknown option: bogus"},
		{[]string{"-p", "5"}, 255, "is ambiguous"},
		{[]string{"-A", "-m", logPath("syn_sweep"), "--analysis-fields", "SRC:1.2.3.4,DST:5.6.7.8"}, 255, "Unrecognized value for src"},
		{[]string{"-A", "-m", "/nonexistent/log"}, 1, "Could not open /nonexistent/log"},
		// Output options a mode cannot honour are refused, not ignored
		// (without -A these would start the daemon).
		{[]string{"--plot", "x.png"}, 1, "--plot draws the packets of an -A run"},
		{[]string{"--json"}, 1, "--json works with -A, -S"},
		{[]string{"-B", "--json"}, 1, "--json works with -A, -S"},
		{[]string{"--CSV", "--CSV-fields", "src", "--json"}, 1, "--json works with -A, -S"},
		{[]string{"--fw-block-ip", "10.1.1.1", "--json"}, 1, "--json works with -A, -S"},
		{[]string{"--explain", "10.1.1.1", "--json"}, 1, "--explain writes plain text"},
		{[]string{"-A", "-m", logPath("syn_sweep"), "--explain", "10.1.1.1", "--json"}, 1, "--explain writes plain text"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, errs, code := e.run(t, tt.args...)
			if code != tt.code || !strings.Contains(out+errs, tt.want) {
				t.Errorf("exit %d (want %d), output lacks %q:\n%s%s", code, tt.code, tt.want, out, errs)
			}
		})
	}
}

func TestConfigErrorNamesFileAndLine(t *testing.T) {
	e := newTestEnv(t, map[string]string{"STATUS_IP_THRESHOLD": "lots"}, "")
	_, errs, code := e.run(t, "-A", "-m", logPath("syn_sweep"))
	if code == 0 || !regexp.MustCompile(`psad\.conf:\d+: STATUS_IP_THRESHOLD`).MatchString(errs) {
		t.Errorf("exit %d, stderr: %s", code, errs)
	}
}

// TestSettingsErrorNamesFileAndLine: a value that loads but does not
// compile (here an IGNORE_PORTS entry for ICMP) stops every mode that
// builds the detection engine, naming file:line and the variable, while
// -D, which builds none, still shows the configuration.
func TestSettingsErrorNamesFileAndLine(t *testing.T) {
	e := newTestEnv(t, map[string]string{"IGNORE_PORTS": "tcp/22, icmp/8"}, "")
	want := regexp.MustCompile(`psad\.conf:\d+: IGNORE_PORTS: "icmp/8": want tcp/PORT`)
	for _, args := range [][]string{
		{"-A", "-m", logPath("syn_sweep")},
		{"--CSV", "-m", logPath("syn_sweep"), "--CSV-fields", "src"},
		{"-B", "--packets", "10"},
	} {
		t.Run(args[0], func(t *testing.T) {
			_, errs, code := e.run(t, args...)
			if code != 1 || !want.MatchString(errs) {
				t.Errorf("exit %d, stderr: %s", code, errs)
			}
		})
	}
	if _, errs, code := e.run(t, "-D"); code != 0 {
		t.Errorf("-D: exit %d, stderr: %s", code, errs)
	}
}

func TestBenchmarkMode(t *testing.T) {
	e := newTestEnv(t, nil, "")
	out, _, code := e.run(t, "-B", "--packets", "1000")
	if code != 0 || !regexp.MustCompile(`Entering benchmark mode`).MatchString(out) ||
		!regexp.MustCompile(`processing time: \d+`).MatchString(out) || !regexp.MustCompile(`Processed 1001 lines in .* lines/s`).MatchString(out) {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestEmbeddedDefaultsWithoutEtcPsad(t *testing.T) {
	if _, err := os.Stat(DefaultConfig); err == nil {
		t.Skip(DefaultConfig + " exists here; the fallback is only used without it")
	}
	dir := t.TempDir()
	over := filepath.Join(dir, "over.conf")
	must(t, os.WriteFile(over, []byte("PSAD_DIR "+dir+";\n"), 0o600))
	var out, errb bytes.Buffer
	code := Run([]string{"-O", over, "-A", "-m", logPath("syn_sweep")}, Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	if code != 0 || !strings.Contains(out.String(), "Dsts: 11") {
		t.Errorf("exit %d\n%s%s", code, out.String(), errb.String())
	}
}

// TestOwnDataNamesEvents: with psad-go's own data (no psad installed),
// the generated logs are named as psad names them with its data.
func TestOwnDataNamesEvents(t *testing.T) {
	cases := []struct {
		log  string
		args []string
		want []string
	}{
		{"xmas_scan_1000_1150", nil, []string{`SCAN nmap XMAS`}},
		{"fin_scan_1000_1150", nil, []string{`SCAN FIN`}},
		{"null_scan_1000_1150", nil, []string{`SCAN .*NULL`}},
		{"ms_sql_server_sig_match", nil, []string{`SQL Server communication`}},
		{"fwknop_spa_pkt", nil, []string{`fwknop Single Packet Authorization`}},
		{"invalid_icmp_type_code", nil, []string{`Invalid ICMP code: "2" for ICMP "Echo" packet`}},
		{"ipv6_invalid_icmp6_type_code", nil, []string{`Invalid ICMP6 (type|code)`}},
		{"topera_ipv6_syn_scan_with_ip_opts", nil, []string{`Scanner: Topera IPv6 scan.*Pkts: 1025`}},
		{"syn_scan_1000_1500", nil, []string{`Source OS fingerprint\(s\):\n\s+nmap SYN scan \(p0f v3: 1002 of 1002 SYNs`}},
		{"mirai_default_credentials_scan", nil, []string{`Scanner: Mirai botnet`}},
		{"masscan_mix", nil, []string{`Scanner: Masscan SYN scan`}},
	}
	e := newTestEnv(t, nil, "")
	for _, c := range cases {
		t.Run(c.log, func(t *testing.T) {
			out, errs, code := e.run(t, append([]string{"-A", "-m", logPath(c.log)}, c.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			for _, w := range c.want {
				if !regexp.MustCompile(w).MatchString(out) {
					t.Errorf("report lacks %s", w)
				}
			}
		})
	}
}

// TestEngineSwitches: --no-signatures, --no-icmp-types and
// --no-passive-os turn their engine off (psad's --no-icmp-types instead
// flags every ICMP packet as invalid).
func TestEngineSwitches(t *testing.T) {
	e := newTestEnv(t, nil, "")
	out, _, _ := e.run(t, "-A", "-m", logPath("fin_scan_1000_1150"), "--no-signatures")
	if strings.Contains(out, "Signature match") || !strings.Contains(out, "Top 50 signature matches:\n        [NONE]") {
		t.Errorf("--no-signatures still matched:\n%s", out)
	}
	out, _, _ = e.run(t, "-A", "-m", logPath("ipv4_valid_ping"), "--no-icmp-types")
	if strings.Contains(out, "Invalid ICMP") {
		t.Errorf("--no-icmp-types flagged packets:\n%s", out)
	}
	out, _, _ = e.run(t, "-A", "-m", logPath("invalid_icmp_type_code"), "--no-icmp-types")
	if strings.Contains(out, "Invalid ICMP") {
		t.Errorf("--no-icmp-types still checked:\n%s", out)
	}
	out, _, _ = e.run(t, "-A", "-m", logPath("syn_scan_1000_1500"), "--no-passive-os")
	if strings.Contains(out, "Source OS") {
		t.Errorf("--no-passive-os still fingerprinted:\n%s", out)
	}
}

// TestFwsnortSIDs: lines logged by fwsnort rules ("[n] SID<sid> ESTAB")
// are named from the Snort rules directory, with snort_rule_dl DLs, and
// bypass the ACK/RST filter.
func TestFwsnortSIDs(t *testing.T) {
	e := newTestEnv(t, nil, "")
	rules := filepath.Join(e.dir, "snort_rules")
	must(t, os.MkdirAll(rules, 0o700))
	must(t, os.WriteFile(filepath.Join(rules, "test.rules"), []byte(
		`alert udp $EXTERNAL_NET any -> $HOME_NET 1434 (msg:"TEST worm propagation attempt"; content:"|04|"; classtype:misc-attack; sid:2003; rev:8;)`+"\n"+
			`alert tcp $EXTERNAL_NET any -> $HOME_NET 80 (msg:"TEST web exploit"; flow:established; content:"cmd.exe"; sid:1002; rev:1;)`+"\n"), 0o600))
	must(t, os.WriteFile(filepath.Join(e.dir, "etc", "snort_rule_dl"), []byte("1002 4;\n"), 0o600))
	log := filepath.Join(e.dir, "fwsnort.log")
	must(t, os.WriteFile(log, []byte(
		"Mar 11 20:35:11 fw kernel: [12] SID2003 IN=eth0 OUT= SRC=10.9.9.9 DST=192.168.10.1 LEN=404 TOS=0x00 PREC=0x00 TTL=110 ID=1 PROTO=UDP SPT=1025 DPT=1434 LEN=384 \n"+
			"Mar 11 20:35:12 fw kernel: [7] SID1002 ESTAB IN=eth0 OUT= SRC=10.8.8.8 DST=192.168.10.1 LEN=500 TOS=0x00 PREC=0x00 TTL=50 ID=2 PROTO=TCP SPT=40000 DPT=80 WINDOW=512 RES=0x00 ACK PSH URGP=0 \n"+
			"Mar 11 20:35:13 fw kernel: [9] SID9999 IN=eth0 OUT= SRC=10.7.7.7 DST=192.168.10.1 LEN=40 TOS=0x00 PREC=0x00 TTL=50 ID=3 PROTO=TCP SPT=40000 DPT=22 WINDOW=512 RES=0x00 SYN URGP=0 \n"), 0o600))
	out, errs, code := e.run(t, "-A", "-m", log, "--snort-rdir", rules)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, w := range []string{
		`"TEST worm propagation attempt" \(udp\),  Count: 1,  Unique sources: 1,  Sid: 2003`,
		`10\.9\.9\.9\s+DL: 2,`, // fwsnort default DL
		`10\.8\.8\.8\s+DL: 4,`, // snort_rule_dl, and the ACK PSH packet was kept
		`"\[12\] SID2003": 1`,  // prefix counter
		`TCP, Chain: INPUT, Count: 1, DP: 80, ACK PSH, Sid: 1002`,
	} {
		if !regexp.MustCompile(w).MatchString(out) {
			t.Errorf("report lacks %s", w)
		}
	}
	if strings.Contains(out, "10.7.7.7") && regexp.MustCompile(`Sid: 9999`).MatchString(out) {
		t.Errorf("an unknown SID was reported as a match:\n%s", out)
	}
	// --no-snort-sids: the SID prefixes are plain packets again.
	out, _, _ = e.run(t, "-A", "-m", log, "--snort-rdir", rules, "--no-snort-sids")
	if strings.Contains(out, "TEST worm") {
		t.Errorf("--no-snort-sids still named the fwsnort rule:\n%s", out)
	}
}

// TestDumpConf: -D lists every variable of the config (the upstream
// check) and leaks no address, name or credential.
func TestDumpConf(t *testing.T) {
	e := newTestEnv(t, map[string]string{"HOME_NET": "192.0.2.0/24", "EMAIL_ADDRESSES": "secret@example.com", "SMTP_PASSWORD": "hunter2"}, "")
	out, _, code := e.run(t, "-D")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	data, _ := os.ReadFile(e.conf)
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") || strings.HasSuffix(f[0], "Cmd") || !strings.Contains(l, ";") {
			continue
		}
		if !strings.Contains(out, "    "+f[0]+" ") {
			t.Errorf("-D lacks %s", f[0])
		}
	}
	for _, secret := range []string{"192.0.2.0", "secret@example.com", "hunter2", "fw1"} {
		if strings.Contains(out, secret) {
			t.Errorf("-D leaks %q", secret)
		}
	}
	if !strings.Contains(out, "[+] iptables") {
		t.Errorf("-D lacks the command paths:\n%s", out)
	}
}

// TestAnalysisWriteData: -A --analysis-write-data writes psad's per-source
// files under ANALYSIS_MODE_DIR.
func TestAnalysisWriteData(t *testing.T) {
	e := newTestEnv(t, nil, "")
	out, errs, code := e.run(t, "-A", "-m", logPath("syn_scan_1000_1500"), "--analysis-write-data")
	if code != 0 || !strings.Contains(out, "[+] Writing "+filepath.Join(e.dir, "log", "ipt_analysis")+"/<IP> directories.") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	dir := filepath.Join(e.dir, "log", "ipt_analysis", "192.168.10.55")
	for name, want := range map[string]string{
		"danger_level":             "3",
		"192.168.10.1_email_alert": "Danger level: [3] (out of 5)",
		"192.168.10.1_packet_ctr":  "INPUT_eth1_tcp:  1002 [1000-1500]",
		"192.168.10.1_signatures":  "BACKDOOR",
	} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !strings.Contains(string(data), want) {
			t.Errorf("%s: %v, want %q in:\n%s", name, err, want, data)
		}
	}
}

// TestAnalysisEmail: -A --analysis-write-data -e mails the alerts.
func TestAnalysisEmail(t *testing.T) {
	mb, port := startSMTP(t)
	e := newTestEnv(t, map[string]string{"SMTP_SERVER": "127.0.0.1", "SMTP_PORT": strconv.Itoa(port), "SMTP_STARTTLS": "no",
		"EMAIL_ADDRESSES": "admin@example.com"}, "")
	out, errs, code := e.run(t, "-A", "-m", logPath("syn_scan_1000_1500"), "--analysis-write-data", "-e")
	if code != 0 || !strings.Contains(out, "[+] Generating email alerts...") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	msgs := mb.all()
	if len(msgs) != 1 || !strings.Contains(msgs[0], "192.168.10.55") || !strings.Contains(msgs[0], "Danger level: [3]") {
		t.Errorf("mails: %q", msgs)
	}
}
