package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

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
	rs, err := fwcheck.Parse(all.String())
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] parse firewall ruleset %q: %v\n", listingNames(listings), err)
		return 2
	}
	opts := fwcheck.Options{IPv6: ipv6, SearchAll: set.Detect.FWSearchAll, MsgSearch: set.Detect.FWMsgSearch}
	if o.FwFile != "" {
		opts.Forward = rs.FiltersForward()
	} else {
		b, err := os.ReadFile(procIPForward)
		opts.Forward = err == nil && strings.TrimSpace(string(b)) != "0"
	}
	res := fwcheck.Check(rs, opts)
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
