package argv

import (
	"bytes"
	"io"
	"runtime/debug"
	"strings"
)

// Version is the psad release whose command line, files and output this
// build reproduces. Scripts parse it from --Version, so it carries no
// suffix.
const Version = "2.4.6"

// PrintVersion writes the --Version line (operations spec 12.2). The
// release number directly follows "psad v", where psad's own test suite
// looks for it, so the build's own identity goes on a second line: a bug
// report then names the exact source it came from.
func PrintVersion(w io.Writer) {
	io.WriteString(w, "[+] psad v"+Version+" (Go rebuild, compatible with psad "+Version+")\n")
	bi, _ := debug.ReadBuildInfo()
	io.WriteString(w, "    build: "+BuildString(bi)+"\n")
}

// BuildString names a build from its build information: the module
// version, then the VCS revision, its time and a "+dirty" mark when the
// tree had local changes. A nil bi (no build information, as in some
// stripped or test binaries) reads "unknown".
func BuildString(bi *debug.BuildInfo) string {
	if bi == nil {
		return "unknown"
	}
	s := bi.Main.Version
	if s == "" {
		s = "(devel)"
	}
	var rev, at, dirty string
	for _, kv := range bi.Settings {
		switch kv.Key {
		case "vcs.revision":
			rev = kv.Value
		case "vcs.time":
			at = kv.Value
		case "vcs.modified":
			if kv.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev != "" {
		s += ", revision " + rev + dirty
		if at != "" {
			s += " (" + at + ")"
		}
	}
	return s + ", " + bi.GoVersion
}

// helpEntry is one option line of the help text.
type helpEntry struct {
	col  string // the option column, spelled as in psad's help
	desc string // our own description; "%CONF%" is the config path
	wide bool   // psad prints this entry's "-" one column further right
}

// helpGroups is the help text body: psad 2.4.6's five groups with its
// option spellings in its order (spec 12.1), described in our words.
var helpGroups = [][]helpEntry{
	{
		{col: "-A,  --Analyze-msgs", desc: "Analyze an existing firewall log offline, report the scans and signature matches found in it, then exit."},
		{col: "     --stdin", desc: "With -A, take the log lines from standard input rather than from a file."},
		{col: "-e,  --email-analysis", desc: "With -A, mail alerts for the scans found in the analyzed log."},
		{col: "-m,  --messages-file <file>", desc: "Log file read by -A, --CSV, --gnuplot and -B; the daemon monitors it instead of the configured file."},
		{col: "-i,  --interface <intf>", desc: "Only consider packets seen on this network interface."},
		{col: "--sig-update", desc: "Fetch SIG_UPDATE_URL over HTTPS, install it if it parses as a signature file, reload the running daemon, then exit."},
		{col: "-w,  --whois-analysis", desc: "Run whois lookups on source addresses during -A (off by default there)."},
		{col: "--dns-analysis", desc: "Resolve source addresses during -A (off by default there)."},
		{col: "--fw-analyze", desc: "Check that the firewall policy logs and drops packets, then exit."},
		{col: "--fw-list-auto", desc: "Show the chains and rules used for automatic blocking."},
		{col: "--List", desc: "Same as --fw-list-auto."},
		{col: "--fw-block-ip  <ip>", desc: "Ask the running daemon to block an IPv4 address or network."},
		{col: "--fw-rm-block-ip  <ip>", desc: "Ask the running daemon to lift the block on an address or network."},
		{col: "--fw-file <rules file>", desc: "Check the ruleset saved in this file instead of the live one (implies --fw-analyze)."},
		{col: "--fw-del-chains", desc: "With --Flush, delete the blocking chains as well as their rules."},
		{col: "-X", desc: "Short for --fw-del-chains."},
		{col: "--fw-dump", desc: "Print the firewall policy with addresses masked, then exit."},
		{col: "--fw-include-ips", desc: "With --fw-dump, leave the addresses unmasked."},
		{col: "--snort-rdir <rule dir>", desc: "Directory of Snort rules that describe fwsnort matches.", wide: true},
		{col: "--debug,", desc: "Stay in the foreground and write diagnostic output to standard error."},
		{col: "--debug-sid <sid>", desc: "With -A, say which packets matched this signature ID and which test the others failed."},
		{col: "-D,  --Dump-conf", desc: "Print the effective configuration and other diagnostics, then exit."},
		{col: "-l,  --log-server", desc: "Run on a central syslog host: skip the firewall check and never block automatically."},
		{col: "-F,  --Flush", desc: "Remove every rule added by automatic blocking, then exit."},
		{col: "-K,  --Kill", desc: "Stop the running psad processes."},
		{col: "-R,  --Restart", desc: "Stop the daemon and start it again with the arguments it was started with."},
		{col: "-S,  --Status", desc: "Report on the running daemon and the scans it has recorded."},
		{col: "--restrict-ip <IP or net>", desc: "Only process packets to or from this address or network."},
		{col: "--status-ip <IP address>", desc: "Limit the blocked-address part of the status report to one address."},
		{col: "--status-dl <dl>", desc: "Only show sources at or above this danger level in the status report."},
		{col: "--status-summary", desc: "Leave the per-address details out of the status or analysis report."},
		{col: "--json", desc: "Write -A, -S and --fw-list-auto output as JSON (schema psad-go/1)."},
		{col: "--explain <IP address>", desc: "With -A or against the daemon, say why this source has its danger level."},
		{col: "-B,  --Benchmark", desc: "Measure how fast packets are processed, then exit."},
		{col: "--packets <number>", desc: "Number of packets for -B; with -A, stop after this many matching log lines."},
		{col: "-U,  --USR1", desc: "Make the running daemon dump its internal state."},
		{col: "-H,  --HUP", desc: "Make the running daemon reload its configuration."},
		{col: "--get-next-rule-id", desc: "Print the ID after the highest psad_id or sid in the signature file, then exit."},
	},
	{
		{col: "--plot <file>", desc: "With -A, also draw the log's traffic (by danger level, protocol, port and source) as a PNG or SVG figure."},
		{col: "--gnuplot", desc: "Write a gnuplot data file and command file from the log (requires --CSV-fields), then exit."},
		{col: "--gnuplot-graph-style", desc: "Plot style such as lines, points or dots (default linespoints; points for 3-D)."},
		{col: "--gnuplot-file-prefix", desc: "Base name of the .dat, .gnu and .png files."},
		{col: "--gnuplot-interactive", desc: "Omit the PNG terminal and output settings for interactive use."},
		{col: "--gnuplot-title", desc: "Title of the graph."},
		{col: "--gnuplot-legend-title", desc: "Title of the legend."},
		{col: "--gnuplot-x-label", desc: "Label of the x axis."},
		{col: "--gnuplot-x-range", desc: "Range of the x axis as <start>:<end>."},
		{col: "--gnuplot-y-label", desc: "Label of the y axis."},
		{col: "--gnuplot-y-range", desc: "Range of the y axis as <start>:<end>."},
		{col: "--gnuplot-z-label", desc: "Label of the z axis."},
		{col: "--gnuplot-z-range", desc: "Range of the z axis as <start>:<end>."},
		{col: "--gnuplot-sort-style", desc: `Order of counted data: "value" (the default) or "time".`},
		{col: "--gnuplot-3D", desc: "Draw a three-dimensional plot."},
		{col: "--gnuplot-view", desc: "Viewing angles of a 3-D plot, for example 60,30."},
		{col: "--gnuplot-grayscale", desc: "Use shades of gray instead of colors."},
		{col: "--gnuplot-template <file>", desc: "Use a copy of this file as the command file instead of generating one."},
		{col: "--gnuplot-dat-file", desc: "Name of the data file (default psad_iptables.dat)."},
		{col: "--gnuplot-plot-file", desc: "Name of the command file (default psad_iptables.gnu)."},
		{col: "--gnuplot-png-file", desc: "Name of the image file (default psad_iptables.png)."},
	},
	{
		{col: "--CSV", desc: "Print packet fields from the log as comma-separated values, then exit."},
		{col: "--CSV-fields <fields>", desc: "Blank-separated fields to print, each optionally followed by :<criterion> that packets must meet."},
		{col: "--CSV-unique-lines", desc: "Print each distinct output line only once."},
		{col: "--CSV-max-lines <num>", desc: "Stop after this many matching log lines."},
		{col: "--CSV-start-line <line>", desc: "Skip input lines before this line number."},
		{col: "--CSV-end-line <line>", desc: "Stop reading at this input line number."},
		{col: "--CSV-regex <regex>", desc: "Only use log lines matching this regular expression."},
		{col: "--CSV-neg-regex <regex>", desc: "Skip log lines matching this regular expression."},
		{col: "--plot-separator <str>", desc: `Text placed between output fields (default ", ").`},
	},
	{
		{col: "--signatures <sigs file>", desc: "Read the psad signatures from this file."},
		{col: "--snort-type", desc: `Only import Snort rule files of this type ("scan" reads scan.rules).`},
		{col: "--passive-os-sigs <sigs file>", desc: "Read passive OS fingerprints from this file."},
		{col: "--auto-dl <dl file>", desc: "Read fixed danger levels for addresses from this file."},
		{col: "--analysis-write-data", desc: "With -A, also write per-source data and alert files to disk."},
		{col: "-c,  --config <config file>", desc: "Main configuration file (currently %CONF%)."},
		{col: "-O, --Override-config <str>", desc: "Comma-separated files whose settings take precedence over %CONF%."},
		{col: "--config-test", desc: "Check %CONF% and the files it names, print the problems and exit."},
		{col: "-I,  --Interval <seconds>", desc: "Seconds between two reads of the firewall log (default 5)."},
		{col: "-v,  --verbose", desc: "Print more detail."},
		{col: "-V,  --Version", desc: "Print the version number and exit."},
	},
	{
		{col: "--no-snort-sids", desc: "Ignore fwsnort SID log prefixes and Snort rule data."},
		{col: "--no-signatures", desc: "Turn off signature matching."},
		{col: "--no-icmp-types", desc: "Do not check ICMP types and codes."},
		{col: "--no-auto-dl", desc: "Do not apply the auto_dl file."},
		{col: "--no-daemon", desc: "Run in the foreground and print alerts instead of mailing them."},
		{col: "--no-ipt-errors", desc: "Do not record unparsable log lines in the error log."},
		{col: "--no-whois", desc: "Turn off whois lookups."},
		{col: "--no-fwcheck", desc: "Skip the firewall policy check at start-up."},
		{col: "--no-rdns", desc: "Turn off reverse DNS lookups."},
		{col: "--no-kmsgsd", desc: "Do not start kmsgsd (only together with --debug)."},
		{col: "--no-netstat", desc: "Do not look up local listening ports (also --no-port-lookup)."},
		{col: "-h   --help", desc: "Print this help and exit."},
	},
}

const (
	helpIndent     = 4  // blanks before the option column
	helpColWidth   = 30 // width of the option column
	helpMaxWidth   = 79 // lines end before column 80
	helpContIndent = helpIndent + helpColWidth + 2
)

// Help writes the --help text (operations spec 12.1) with configPath as
// the main configuration file named in the -c and -O descriptions
// ("/etc/psad/psad.conf" when empty).
func Help(w io.Writer, configPath string) {
	if configPath == "" {
		configPath = "/etc/psad/psad.conf"
	}
	var b bytes.Buffer
	b.WriteString("\npsad: the Port Scan Attack Detector\n\n")
	b.WriteString("[+] Version: " + Version + "\n")
	b.WriteString("    Go rebuild of psad, which was written by Michael Rash (mbr@cipherdyne.org)\n")
	b.WriteString("    Original URL: http://www.cipherdyne.org/psad/\n\n")
	b.WriteString("Usage: psad [options]\n\nOptions:\n\n")
	for i, g := range helpGroups {
		if i > 0 {
			b.WriteByte('\n')
		}
		for _, e := range g {
			helpWriteEntry(&b, e, strings.ReplaceAll(e.desc, "%CONF%", configPath))
		}
	}
	b.WriteByte('\n')
	w.Write(b.Bytes())
}

// helpWriteEntry writes one option with its description wrapped at word
// boundaries so that no line reaches column 80.
func helpWriteEntry(b *bytes.Buffer, e helpEntry, desc string) {
	width := helpColWidth
	if e.wide {
		width++
	}
	line := strings.Repeat(" ", helpIndent) + e.col
	if pad := helpIndent + width - len(line); pad > 0 {
		line += strings.Repeat(" ", pad)
	}
	line += "- "
	start := len(line)
	for _, word := range strings.Fields(desc) {
		if len(line) > start && len(line)+1+len(word) > helpMaxWidth {
			b.WriteString(line + "\n")
			line = strings.Repeat(" ", helpContIndent)
			start = len(line)
		}
		if len(line) > start {
			line += " "
		}
		line += word
	}
	b.WriteString(line + "\n")
}
