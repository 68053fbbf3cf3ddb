package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/psadgo/psad/internal/argv"
	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/fwcheck"
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
	fmt.Fprintf(env.Stdout, "[+] Checking the firewall ruleset from %s.\n", listingNames(listings))
	fmt.Fprint(env.Stdout, res)
	if !res.OK() {
		fmt.Fprintln(env.Stdout, "[-] Errors found in firewall config.")
		return 1
	}
	fmt.Fprintln(env.Stdout, "[+] Firewall config looks good.")
	return 0
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
func warnFirewall(set *config.Settings, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	listings, err := fwcheck.Collect(ctx, set.Detect.IPv6)
	if len(listings) == 0 {
		log.Warn("firewall check skipped: no ruleset could be read", "err", err)
		return
	}
	res, err := checkListings(listings, set, false)
	switch {
	case err != nil:
		log.Warn("firewall check skipped", "err", err)
	case !res.OK():
		log.Warn("the firewall drops packets it does not log, which psad cannot see (psad --fw-analyze explains)", "findings", res.String())
	default:
		log.Info("firewall check: the ruleset logs what it drops")
	}
}
