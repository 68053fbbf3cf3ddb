package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/psadgo/psad/internal/alert/mail"
	"github.com/psadgo/psad/internal/argv"
	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/fwcheck"
	"github.com/psadgo/psad/internal/psaddir"
)

// procIPForward tells whether the host routes IPv4 packets; psad checks
// the forward chains only then (PROC_FORWARD_FILE's default).
const procIPForward = "/proc/sys/net/ipv4/ip_forward"

// runFwCheck is --fw-analyze (and --fw-file, which implies it) and
// --fw-dump. The check exits 0 when every checked path logs what it drops
// and 1 when not (psad 2.4.6 has these inverted), 2 when the ruleset could
// not be read at all, so a script can tell "bad policy" from "no answer".
func runFwCheck(o *argv.Options, set *config.Settings, env Env) int {
	ipv6 := set.Detect.IPv6
	var listings []fwcheck.Listing
	if o.FwFile != "" {
		data, err := os.ReadFile(o.FwFile)
		if err != nil {
			fmt.Fprintf(env.Stderr, "[*] read firewall ruleset: %v\n", err)
			return 2
		}
		listings = []fwcheck.Listing{{Command: []string{o.FwFile}, Text: string(data)}}
	} else {
		var err error
		listings, err = fwcheck.Collect(context.Background(), ipv6)
		if err != nil {
			fmt.Fprintf(env.Stderr, "[*] collect firewall ruleset: %v\n", err)
			if len(listings) == 0 {
				return 2
			}
		}
	}
	if o.FwDump {
		for _, l := range listings {
			text := l.Text
			if !o.FwIncludeIPs {
				text = fwcheck.Scrub(text)
			}
			fmt.Fprintf(env.Stdout, "[+] %s policy dump:\n\n%s\n", strings.Join(l.Command, " "), text)
		}
		return 0
	}
	var all strings.Builder
	for _, l := range listings {
		all.WriteString(l.Text)
		all.WriteString("\n")
	}
	res, err := checkListings(listings, set, o.FwFile != "")
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 2
	}
	report := checkReport(set, listings, res)
	fmt.Fprint(env.Stdout, report)
	if keepCheck(set, report, env.Stderr) {
		fmt.Fprintf(env.Stdout, "[+] Results in %s\n", set.Files.FWCheckFile)
	}
	if !res.OK() {
		fmt.Fprintln(env.Stdout, "[-] Errors found in firewall config.")
		if !set.Alert.NoMail && !o.TestMode {
			if to, err := mailCheck(set, report); err != nil {
				fmt.Fprintf(env.Stderr, "[-] the firewall setup warning was not mailed: %v\n", err)
			} else if to != "" {
				fmt.Fprintf(env.Stdout, "    emailed to %s\n", to)
			}
		}
		return 1
	}
	fmt.Fprintln(env.Stdout, "[+] Firewall config looks good.")
	return 0
}

// checkReport is the check's text: what was read and each finding, then
// the verdict, as FW_CHECK_FILE and the warning mail carry it.
func checkReport(set *config.Settings, listings []fwcheck.Listing, res *fwcheck.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[+] Checking the firewall ruleset from %s.\n", listingNames(listings))
	fmt.Fprint(&b, res)
	if res.OK() {
		fmt.Fprintf(&b, "[+] The firewall ruleset on %s logs the packets it drops, so psad can see them.\n", set.Alert.Hostname)
	}
	return b.String()
}

// keepCheck writes the report to FW_CHECK_FILE, as psad does after every
// check, and reports whether it did; a failure is said on w and changes
// nothing else.
func keepCheck(set *config.Settings, report string, w io.Writer) bool {
	p := set.Files.FWCheckFile
	if p == "" {
		return false
	}
	err := os.MkdirAll(filepath.Dir(p), 0o700)
	if err == nil {
		err = psaddir.WriteAtomic(p, []byte(report), 0o600)
	}
	if err != nil {
		fmt.Fprintf(w, "[-] FW_CHECK_FILE: %v\n", err)
		return false
	}
	return true
}

// checkSubject is the warning mail's subject; psad's is fixed to
// "[psad-status] ...", ours takes MAIL_STATUS_PREFIX like every status
// mail.
func checkSubject(set *config.Settings) string {
	return set.Alert.MailStatusPrefix + " firewall setup warning on " + set.Alert.Hostname + "!"
}

// mailCheck mails a failed check's report to EMAIL_ADDRESSES and returns
// them ("" when no mail is configured).
func mailCheck(set *config.Settings, report string) (string, error) {
	m, to, from, err := mailer(&set.Alert)
	if err != nil || m == nil || len(to) == 0 {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = m.Send(ctx, &mail.Message{From: from, To: to, Subject: checkSubject(set), Body: []byte(report)})
	return strings.Join(to, ", "), err
}

func listingNames(ls []fwcheck.Listing) string {
	var names []string
	for _, l := range ls {
		names = append(names, strings.Join(l.Command, " "))
	}
	return strings.Join(names, ", ")
}

// checkListings parses the listings and checks them; fromFile decides the
// forward path from the ruleset rather than from this host's ip_forward.
func checkListings(listings []fwcheck.Listing, set *config.Settings, fromFile bool) (*fwcheck.Result, error) {
	var all strings.Builder
	for _, l := range listings {
		all.WriteString(l.Text)
		all.WriteString("\n")
	}
	rs, err := fwcheck.Parse(all.String())
	if err != nil {
		return nil, fmt.Errorf("parse firewall ruleset %q: %w", listingNames(listings), err)
	}
	opts := fwcheck.Options{IPv6: set.Detect.IPv6, SearchAll: set.Detect.FWSearchAll, MsgSearch: set.Detect.FWMsgSearch}
	if fromFile {
		opts.Forward = rs.FiltersForward()
	} else {
		b, err := os.ReadFile(procIPForward)
		opts.Forward = err == nil && strings.TrimSpace(string(b)) != "0"
	}
	return fwcheck.Check(rs, opts), nil
}

// warnFirewall is the daemon's start-up check (ENABLE_FW_LOGGING_CHECK,
// off with --no-fwcheck): psad sees only packets the firewall logs.
//
// It returns the report of a failed check ("" otherwise), which the
// daemon mails once its alert cycle is up, as psad does.
func warnFirewall(set *config.Settings, log *slog.Logger) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	listings, err := fwcheck.Collect(ctx, set.Detect.IPv6)
	if len(listings) == 0 {
		log.Warn("firewall check skipped: no ruleset could be read", "err", err)
		return ""
	}
	res, err := checkListings(listings, set, false)
	if err != nil {
		log.Warn("firewall check skipped", "err", err)
		return ""
	}
	report := checkReport(set, listings, res)
	var msg strings.Builder
	keepCheck(set, report, &msg)
	if msg.Len() > 0 {
		log.Warn(strings.TrimSpace(msg.String()))
	}
	if !res.OK() {
		log.Warn("the firewall drops packets it does not log, which psad cannot see (psad --fw-analyze explains)", "findings", res.String())
		return report
	}
	log.Info("firewall check: the ruleset logs what it drops")
	return ""
}
