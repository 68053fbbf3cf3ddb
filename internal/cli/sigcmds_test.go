package cli

import (
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/argv"
	"github.com/psadgo/psad/internal/config"
)

// maxRuleID reads the largest psad_id or sid of a signature file with a
// plain regular expression, independently of the signature parser.
func maxRuleID(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	must(t, err)
	re := regexp.MustCompile(`[\s;(](?:psad_id|sid):\s*(\d+)\s*;`)
	most := 0
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, m := range re.FindAllStringSubmatch(line, -1) {
			n, _ := strconv.Atoi(m[1])
			most = max(most, n)
		}
	}
	if most == 0 {
		t.Fatalf("no rule IDs in %s", path)
	}
	return most
}

func TestNextRuleIDOwnData(t *testing.T) {
	e := newTestEnv(t, nil, "")
	out, errs, code := e.run(t, "--get-next-rule-id")
	want := fmt.Sprintf("[+] Next available rule ID: %d\n", maxRuleID(t, filepath.Join(e.dir, "etc", "signatures"))+1)
	if code != 0 || out != want {
		t.Errorf("exit %d, out %q (stderr %s), want %q", code, out, errs, want)
	}
}

// TestNextRuleIDPsadSignatures: over psad's shipped signatures the answer
// is the one psad 2.4.6 itself gives.
func TestNextRuleIDPsadSignatures(t *testing.T) {
	const sigs = "/etc/psad/signatures"
	if _, err := os.Stat(sigs); err != nil {
		t.Skipf("psad's signatures are not installed: %v", err)
	}
	// psad's rules use ip_options keywords our test table lacks (lsrre).
	const ipOpts = "/etc/psad/ip_options"
	if _, err := os.Stat(ipOpts); err != nil {
		t.Skipf("psad's ip_options is not installed: %v", err)
	}
	e := newTestEnv(t, map[string]string{"IP_OPTS_FILE": ipOpts}, "")
	out, errs, code := e.run(t, "--get-next-rule-id", "--signatures", sigs)
	want := fmt.Sprintf("[+] Next available rule ID: %d\n", maxRuleID(t, sigs)+1)
	if code != 0 || out != want {
		t.Errorf("exit %d, out %q (stderr %s), want %q", code, out, errs, want)
	}
	if _, err := os.Stat("/usr/sbin/psad"); err != nil {
		t.Logf("psad not installed, not compared with it: %v", err)
		return
	}
	psad, err := exec.Command("/usr/sbin/psad", "--get-next-rule-id", "--signatures", sigs).Output()
	if err != nil {
		t.Skipf("psad --get-next-rule-id did not run here: %v", err)
	}
	if string(psad) != out {
		t.Errorf("psad says %q, we say %q", psad, out)
	}
}

// tlsSigServer serves body at /psad/signatures over TLS and returns its
// URL and a CA file that trusts it.
func tlsSigServer(t *testing.T, body string) (string, string) {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/psad/signatures" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, body)
	}))
	// The untrusted-certificate cases make the server log the refused
	// handshake; that is the expected outcome, not news.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	must(t, os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
	return srv.URL + "/psad/signatures", ca
}

// TestSigUpdateReloadsDaemon: --sig-update installs the download and the
// running daemon reloads; --get-next-rule-id then sees the new rule.
func TestSigUpdateReloadsDaemon(t *testing.T) {
	own, err := os.ReadFile(filepath.Join(repoRoot, "internal", "sig", "data", "signatures"))
	must(t, err)
	next := maxRuleID(t, filepath.Join(repoRoot, "internal", "sig", "data", "signatures")) + 1
	body := string(own) + fmt.Sprintf("alert tcp any any -> $HOME_NET 2222 (msg:\"PSAD-GO TEST ssh alt port probe\"; flags:S; psad_id:%d; psad_dl:2;)\n", next)
	url, ca := tlsSigServer(t, body)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "messages")
	must(t, os.WriteFile(logPath, nil, 0o600))
	e := newTestEnv(t, map[string]string{"IPT_SYSLOG_FILE": logPath, "ALERTING_METHODS": "noemail,nosyslog",
		"ENABLE_FW_LOGGING_CHECK": "N", "SIG_UPDATE_URL": url, "SIG_UPDATE_CA_FILE": ca,
		"CONF_ARCHIVE_DIR": filepath.Join(dir, "archive")}, "")
	sigs := filepath.Join(e.dir, "etc", "signatures")

	// Without a daemon the file is replaced and nobody is signalled.
	out, errs, code := e.run(t, "--sig-update")
	if code != 0 || !strings.Contains(out, "psad is not running") {
		t.Fatalf("--sig-update without daemon: exit %d\n%s%s", code, out, errs)
	}
	if got, _ := os.ReadFile(sigs); string(got) != body {
		t.Fatal("signature file not replaced")
	}
	must(t, os.WriteFile(sigs, own, 0o600))

	var errb syncBuffer
	startDaemon(t, e.conf, Env{Stderr: &errb})
	out, errs, code = e.run(t, "--sig-update")
	if code != 0 || !strings.Contains(out, "HUP signal sent") || !strings.Contains(out, "has been put in place") {
		t.Fatalf("--sig-update: exit %d\n%s%s", code, out, errs)
	}
	waitFor(t, "the reload", func() bool { return strings.Contains(errb.String(), "configuration reloaded") })
	if _, err := os.Stat(filepath.Join(dir, "archive", "signatures.old1.gz")); err != nil {
		t.Errorf("old file not archived: %v", err)
	}
	out, _, _ = e.run(t, "--get-next-rule-id")
	if want := fmt.Sprintf("[+] Next available rule ID: %d\n", next+1); out != want {
		t.Errorf("after the update: %q, want %q", out, want)
	}
}

// TestSigUpdateFailureKeepsFile: through the command line too, a bad
// download changes nothing and says why.
func TestSigUpdateFailureKeepsFile(t *testing.T) {
	url, ca := tlsSigServer(t, "alert tcp any any -> any 22 (msg:\"no id\";\n")
	for _, tt := range []struct{ name, url, ca, want string }{
		{"invalid", url, ca, "not a usable signature file"},
		{"404", strings.TrimSuffix(url, "signatures") + "missing", ca, "404"},
		{"untrusted", url, "NONE", "certificate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, map[string]string{"SIG_UPDATE_URL": tt.url, "SIG_UPDATE_CA_FILE": tt.ca}, "")
			sigs := filepath.Join(e.dir, "etc", "signatures")
			before, err := os.ReadFile(sigs)
			must(t, err)
			_, errs, code := e.run(t, "--sig-update")
			if code != 1 || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, stderr %q, want 1 and %q", code, errs, tt.want)
			}
			if after, _ := os.ReadFile(sigs); string(after) != string(before) {
				t.Error("signature file changed")
			}
		})
	}
}

// TestLogServerSettings: --log-server turns off the firewall check and
// automatic blocking before the settings are built, so the "no blocking
// method" warning of ENABLE_AUTO_IDS Y goes too.
func TestLogServerSettings(t *testing.T) {
	e := newTestEnv(t, map[string]string{"ENABLE_AUTO_IDS": "Y", "ENABLE_FW_LOGGING_CHECK": "Y",
		"IPTABLES_BLOCK_METHOD": "N", "NFTABLES_BLOCK_METHOD": "N", "IPSET_BLOCK_METHOD": "N", "TCPWRAPPERS_BLOCK_METHOD": "N"}, "")
	for _, logServer := range []bool{false, true} {
		args := []string{"-c", e.conf}
		if logServer {
			args = append(args, "-l")
		}
		o, errs := argv.ParseArgs(args)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		cfg, err := config.Load(e.conf, nil)
		must(t, err)
		msg := applyLogServer(o, cfg)
		set, err := cfg.Settings()
		must(t, err)
		warned := strings.Contains(strings.Join(set.Warnings, "\n"), "ENABLE_AUTO_IDS=Y")
		if set.Block.AutoIDS == logServer || set.FWLoggingCheck == logServer || warned == logServer {
			t.Errorf("log server %v: AutoIDS %v, FWLoggingCheck %v, warning %v", logServer, set.Block.AutoIDS, set.FWLoggingCheck, warned)
		}
		if (msg != "") != logServer || logServer && !strings.Contains(msg, "ENABLE_AUTO_IDS Y is ignored") {
			t.Errorf("log server %v: message %q", logServer, msg)
		}
	}
}

// TestLogServerDaemon: the daemon started with -l says why it does not
// block and runs no firewall check.
func TestLogServerDaemon(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "messages")
	must(t, os.WriteFile(logPath, nil, 0o600))
	e := newTestEnv(t, map[string]string{"IPT_SYSLOG_FILE": logPath, "ALERTING_METHODS": "noemail,nosyslog",
		"ENABLE_FW_LOGGING_CHECK": "Y", "ENABLE_AUTO_IDS": "Y", "IPTABLES_BLOCK_METHOD": "N",
		"NFTABLES_BLOCK_METHOD": "N", "IPSET_BLOCK_METHOD": "N", "TCPWRAPPERS_BLOCK_METHOD": "N"}, "")
	var errb syncBuffer
	stop := startDaemon(t, e.conf, Env{Stderr: &errb}, "--log-server")
	stop()
	log := errb.String()
	if !strings.Contains(log, "nothing is blocked automatically") {
		t.Errorf("no start-up message about blocking:\n%s", log)
	}
	for _, fw := range []string{`msg="firewall check`, `msg="the firewall drops`} {
		if strings.Contains(log, fw) {
			t.Errorf("firewall check ran under --log-server:\n%s", log)
		}
	}
	if strings.Contains(log, "ENABLE_AUTO_IDS=Y, but") {
		t.Errorf("blocking settings still checked:\n%s", log)
	}
}

// TestDebugSIDGolden: -A with --debug-sid on a log the test writes names
// the packets that matched the MS-SQL rule of our signature set, the
// SYN ACK that failed only its flags test, and counts the rest.
func TestDebugSIDGolden(t *testing.T) {
	e := newTestEnv(t, nil, "")
	const line = "Dec  5 10:00:%02d fw kernel: DROP IN=eth0 OUT= SRC=%s DST=192.168.10.1 LEN=44 TOS=0x00 PREC=0x00 TTL=%d ID=1 PROTO=%s SPT=40000 DPT=%d %s\n"
	var log strings.Builder
	for i, p := range []struct {
		src, proto string
		ttl, dpt   int
		rest       string
	}{
		{"203.0.113.5", "TCP", 50, 1433, "WINDOW=1024 RES=0x00 SYN URGP=0"},
		{"203.0.113.5", "TCP", 50, 1433, "WINDOW=1024 RES=0x00 SYN FIN URGP=0"},
		{"203.0.113.6", "TCP", 64, 1434, "WINDOW=1024 RES=0x00 SYN URGP=0"},
		{"203.0.113.6", "TCP", 64, 1435, "WINDOW=1024 RES=0x00 SYN URGP=0"},
		{"203.0.113.7", "UDP", 64, 1433, "LEN=24"},
		{"203.0.113.8", "TCP", 128, 1433, "WINDOW=1024 RES=0x00 SYN URGP=0"},
	} {
		fmt.Fprintf(&log, line, i, p.src, p.ttl, p.proto, p.dpt, p.rest)
	}
	logFile := filepath.Join(e.dir, "messages")
	must(t, os.WriteFile(logFile, []byte(log.String()), 0o600))
	sigs := filepath.Join(e.dir, "etc", "signatures")
	id := 0
	for _, l := range strings.Split(string(mustRead(t, sigs)), "\n") {
		if strings.Contains(l, "-> any 1433 (") && strings.Contains(l, "flags:S;") {
			m := regexp.MustCompile(`psad_id:(\d+);`).FindStringSubmatch(l)
			id, _ = strconv.Atoi(m[1])
		}
	}
	if id == 0 {
		t.Fatal("no tcp/1433 flags:S rule in our signatures")
	}
	_, errs, code := e.run(t, "-A", "-m", logFile, "--no-rdns", "--no-whois", "--no-netstat", "--debug-sid", strconv.Itoa(id))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// The rule's ID and line are our data's business, not the trace's.
	got := errs[strings.Index(errs, "[+] --debug-sid"):]
	got = strings.ReplaceAll(got, strconv.Itoa(id), "ID")
	got = regexp.MustCompile(`signatures line \d+`).ReplaceAllString(got, "signatures line N")
	checkStatusGolden(t, "debug-sid-ms-sql", got, e)

	// An ID the file does not have, and --debug-sid outside -A.
	if _, errs, code := e.run(t, "-A", "-m", logFile, "--debug-sid", "999999999"); code != 1 || !strings.Contains(errs, "no signature with that sid or psad_id in "+sigs) {
		t.Errorf("unknown ID: exit %d, %s", code, errs)
	}
	if _, errs, code := e.run(t, "--debug-sid", strconv.Itoa(id)); code != 2 || !strings.Contains(errs, "psad -A -m <log> --debug-sid") {
		t.Errorf("daemon with --debug-sid: exit %d, %s", code, errs)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	must(t, err)
	return data
}

// TestSigUpdateUsesIPOptsFile: the download is checked with the
// IP_OPTS_FILE the daemon will use, so a rule naming an option only that
// file defines is accepted.
func TestSigUpdateUsesIPOptsFile(t *testing.T) {
	body := "alert ip any any -> any any (msg:\"PSAD-GO TEST local option\"; ipopts:localopt; psad_id:2000999; psad_dl:2;)\n"
	url, ca := tlsSigServer(t, body)
	ipOpts := filepath.Join(t.TempDir(), "ip_options")
	must(t, os.WriteFile(ipOpts, []byte("7 -1 rr Record route\n99 -1 localopt A local option\n"), 0o600))
	e := newTestEnv(t, map[string]string{"SIG_UPDATE_URL": url, "SIG_UPDATE_CA_FILE": ca, "IP_OPTS_FILE": ipOpts,
		"CONF_ARCHIVE_DIR": filepath.Join(t.TempDir(), "archive")}, "")
	out, errs, code := e.run(t, "--sig-update")
	if code != 0 || !strings.Contains(out, "has been put in place") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if got := string(mustRead(t, filepath.Join(e.dir, "etc", "signatures"))); got != body {
		t.Error("the download was not installed")
	}
}
