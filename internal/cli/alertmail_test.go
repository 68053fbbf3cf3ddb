package cli

import (
	"flag"
	"io"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var psadEtc = flag.String("psad-etc", "/etc/psad", "directory holding psad's own data files (signatures, icmp_types, pf.os, ...)")

// TestAlertMailPsadData runs -A --analysis-write-data on the MS-SQL
// signature sample with psad's own data files and compares the alert
// text it writes (<dst>_email_alert, the body of the alert mail) with a
// golden file: the signature block must carry psad's classtype and
// reference for psad_id 100205, as the daemon's mail does. The banner
// dates are the clock's and are masked. The bound-port note reads this
// machine's sockets: a server on port 1433 here changes it.
func TestAlertMailPsadData(t *testing.T) {
	etc := *psadEtc
	for _, f := range []string{"signatures", "icmp_types", "icmp6_types", "pf.os", "posf", "protocols"} {
		if _, err := os.Stat(filepath.Join(etc, f)); err != nil {
			t.Skipf("psad's data files are absent (%v); install Debian's psad package or pass -psad-etc=DIR (e.g. the etc/psad of an extracted psad .deb)", err)
		}
	}
	e := newTestEnv(t, map[string]string{
		"PSAD_CONF_DIR":               etc,
		"P0F_FILE":                    filepath.Join(etc, "pf.os"),
		"ENABLE_SNORT_RULE_SEMANTICS": "N",
		// No fwsnort rules from the host: the alert must not depend on
		// whether fwsnort is installed.
		"FWSNORT_RULES_DIR": filepath.Join(t.TempDir(), "no-fwsnort"),
	}, "")
	log := logPath("ms_sql_server_sig_match")
	out, errs, code := e.run(t, "-A", "-m", log, "--analysis-write-data", "--no-rdns", "--no-whois")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	files, err := filepath.Glob(filepath.Join(e.dir, "log", "ipt_analysis", "192.168.10.55", "*_email_alert"))
	if err != nil || len(files) != 1 {
		t.Fatalf("want one email_alert file for 192.168.10.55, have %v (%v)\n%s\n%s", files, err, out, errs)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	banner := regexp.MustCompile(`(?m)^(=-=-=-=-=-=-=-=-=-=-=-= ).*( =-=-=-=-=-=-=-=-=-=-=-=)$`)
	got := banner.ReplaceAllString(string(data), "${1}$$DATE${2}")
	for _, want := range []string{"psad_id:   100205", "classtype: attempted-admin", "reference: (url) http://www.linklogger.com/TCP1433.htm"} {
		if !strings.Contains(got, want) {
			t.Errorf("alert lacks %q", want)
		}
	}
	golden := filepath.Join("testdata", "alert-mail-ms-sql.golden")
	if *update {
		must(t, os.WriteFile(golden, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("alert differs from %s (run with -update after checking):\n%s", golden, lineDiff(string(want), got))
	}
}

// TestAnalysisMailCarriesSignatureDetail: -A --analysis-write-data -e
// mails the alert through SMTP with "(analysis mode)" in the subject and
// the signature's classtype and reference in the body (psad-go's own
// signature for 1433/tcp here, so no psad install is needed).
func TestAnalysisMailCarriesSignatureDetail(t *testing.T) {
	mb, port := startSMTP(t)
	e := newTestEnv(t, map[string]string{"SMTP_SERVER": "127.0.0.1", "SMTP_PORT": strconv.Itoa(port),
		"SMTP_STARTTLS": "no", "EMAIL_ADDRESSES": "root@fw", "MAIL_FROM_ADDRESS": "psad@fw"}, "")
	out, errs, code := e.run(t, "-A", "-m", logPath("ms_sql_server_sig_match"), "--analysis-write-data", "-e",
		"--no-rdns", "--no-whois", "--no-netstat")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	msgs := mb.all()
	if len(msgs) != 1 {
		t.Fatalf("%d mails, want 1\n%s", len(msgs), errs)
	}
	head, body, _ := strings.Cut(msgs[0], "\r\n\r\n")
	head = strings.ReplaceAll(head, "\r\n ", " ") // unfold
	dec, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
	must(t, err)
	for _, want := range []string{"Subject: [psad-alert] DL2 (analysis mode) src: 192.168.10.55 dst: 192.168.10.1"} {
		if !strings.Contains(head, want) {
			t.Errorf("headers lack %q:\n%s", want, head)
		}
	}
	for _, want := range []string{"classtype: attempted-recon", "reference: (url) http://www.iana.org/", "       dst port:  1433\r\n"} {
		if !strings.Contains(string(dec), want) {
			t.Errorf("mail body lacks %q:\n%s", want, dec)
		}
	}
}
