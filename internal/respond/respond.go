// Package respond assembles active response from psad.conf for the
// daemon and the one-shot commands: the firewall backends it enables, the
// block policy over them, the control-socket requests that change blocks,
// and the commands (--fw-block-ip, --fw-rm-block-ip, --fw-list-auto, -F,
// -X, -A --analysis-auto-block) with or without a running daemon.
package respond

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/psadgo/psad/internal/alert/extscript"
	"github.com/psadgo/psad/internal/argv"
	"github.com/psadgo/psad/internal/block"
	"github.com/psadgo/psad/internal/block/ipset"
	"github.com/psadgo/psad/internal/block/ipt"
	"github.com/psadgo/psad/internal/block/nft"
	"github.com/psadgo/psad/internal/block/tcpwrappers"
	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/ctl"
	"github.com/psadgo/psad/internal/detect"
	"github.com/psadgo/psad/internal/netset"
	"github.com/psadgo/psad/internal/psaddir"
	"github.com/psadgo/psad/internal/report/jsonout"
	"github.com/psadgo/psad/internal/scan"
)

// Backends builds the firewalls psad.conf enables. Tests replace it to
// work inside their own network namespaces or on a file of their own.
var Backends = func(set *config.Settings) ([]block.Backend, error) {
	b := &set.Block
	var out []block.Backend
	if b.NFTables {
		var chains []nft.Chain
		if b.NFTExtraHook != "" {
			// The extra chain matches sources: at prerouting that is the
			// traffic a container host forwards.
			chains = append(append(chains, nft.DefaultChains...),
				nft.Chain{Name: "extra_" + b.NFTExtraHook, Hook: b.NFTExtraHook, Priority: b.NFTExtraPriority, Direction: nft.Src})
		}
		n, err := nft.New(nft.Config{Chains: chains})
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	if b.IPTables {
		i, err := ipt.New(ipt.Config{Chains: b.Chains})
		if err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	if b.IPSet {
		s, err := ipset.New(ipset.Config{MaxElem: b.IPSetMaxElem})
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if b.TCPWrappers {
		out = append(out, tcpwrappers.New(tcpwrappers.Config{Path: b.HostsDeny}))
	}
	return out, nil
}

// NewPolicy builds active response from the settings; status mails and
// syslog lines go through mail and syslog (the alert cycle in force).
// daemon says that the policy is the daemon's: its renewal of the stored
// blocks at start runs EXTERNAL_BLOCK_SCRIPT as psad's does, while a
// one-shot command that reapplies them in passing does not.
func NewPolicy(set *config.Settings, det *detect.Detector, store *psaddir.Store, mail func(subject, body string), syslog func(line string), daemon bool, log *slog.Logger) (*block.Policy, error) {
	backends, err := Backends(set)
	if err != nil {
		return nil, err
	}
	b := &set.Block
	pc := policyConfig(set, det, mail, syslog)
	if b.Script != "" {
		r, err := extscript.New(extscript.Config{Command: b.Script, PerAlert: true,
			Logf: func(f string, args ...any) { log.Warn(fmt.Sprintf(f, args...)) }})
		if err != nil {
			return nil, fmt.Errorf("EXTERNAL_BLOCK_SCRIPT: %w", err)
		}
		pc.Blocked = func(rec block.Record) {
			if daemon || rec.State != block.Renewed {
				r.Run(block.AddrText(rec.Prefix))
			}
		}
		pc.Done = r.Close
	}
	pc.Import = psadBlocks(set, log)
	return block.New(pc, backends, store.Blocks(), log), nil
}

// policyConfig is the part of the policy's configuration a HUP may
// change (see block.Policy.Reconfigure).
func policyConfig(set *config.Settings, det *detect.Detector, mail func(subject, body string), syslog func(line string)) block.Config {
	b := &set.Block
	pc := block.Config{
		Threshold: b.AutoIDSDangerLevel, Timeout: b.Timeout, DLTimeout: b.DLTimeout, PrefixRegex: b.PrefixRegex,
		Whitelist: b.Whitelist, FlushAtInit: b.FlushAtInit, Own: ownAddrs, ReconcileEvery: b.ReconcileEvery, PrereqEvery: b.PrereqCheck,
		Emails: b.Emails, RenewEmails: b.RenewEmails, EmailDL: set.Alert.EmailAlertDangerLevel, MailPrefix: set.Alert.MailStatusPrefix,
		Notify: mail, Syslog: syslog,
	}
	if h := b.HomeNet; h != nil && !b.BlockHomeNet {
		pc.HomeNet = h.Contains
	}
	if l := det.AutoDL; l != nil {
		pc.Ignored = func(a netip.Addr) bool { _, ignore, _ := l.Match(a, 0, 0, 0); return ignore }
		for _, e := range l.Entries() {
			if e.Level == 0 {
				pc.IgnoredNets = append(pc.IgnoredNets, e.Prefix)
			}
		}
		pc.IgnoredFile = set.Detect.AutoDLFile.Path
	}
	return pc
}

// Reconfigure gives a running policy the decision rules of the settings
// a HUP loaded, and says what needs a restart instead: the blocking
// methods and their files, EXTERNAL_BLOCK_SCRIPT, AUTO_BLOCK_RECONCILE_INTERVAL.
func Reconfigure(ctx context.Context, p *block.Policy, old, set *config.Settings, det *detect.Detector,
	mail func(subject, body string), syslog func(line string), log *slog.Logger) error {
	o, n := &old.Block, &set.Block
	if o.IPTables != n.IPTables || o.NFTables != n.NFTables || o.IPSet != n.IPSet || o.TCPWrappers != n.TCPWrappers ||
		o.HostsDeny != n.HostsDeny || !slices.Equal(o.Chains, n.Chains) || o.Script != n.Script || o.ReconcileEvery != n.ReconcileEvery {
		log.Warn("blocking methods, their chains and files, EXTERNAL_BLOCK_SCRIPT and AUTO_BLOCK_RECONCILE_INTERVAL change at the next start, not on HUP")
	}
	pc := policyConfig(set, det, mail, syslog)
	if !n.AutoIDS {
		pc.Threshold = 0 // ENABLE_AUTO_IDS N after a HUP: no new blocks
	}
	return p.Reconfigure(ctx, pc)
}

// psadBlocks reads psad's records of its blocks for the backends psad
// kept them for: AUTO_BLOCK_IPT_FILE with iptables, AUTO_BLOCK_TCPWR_FILE
// with tcpwrappers. A file that cannot be read is said and skipped: the
// blocks it names stay as they are in the firewall.
func psadBlocks(set *config.Settings, log *slog.Logger) []block.Record {
	var out []block.Record
	for _, f := range []struct {
		on         bool
		name, path string
	}{{set.Block.IPTables, "AUTO_BLOCK_IPT_FILE", set.Block.IPTFile}, {set.Block.TCPWrappers, "AUTO_BLOCK_TCPWR_FILE", set.Block.TCPWrFile}} {
		if !f.on || f.path == "" {
			continue
		}
		recs, skipped, err := psaddir.LoadPsadBlocks(f.path)
		if err != nil {
			log.Warn("psad's block records not taken over", "var", f.name, "err", err)
			continue
		}
		if skipped > 0 {
			log.Warn("lines of psad's block records without an address and a time skipped", "var", f.name, "file", f.path, "lines", skipped)
		}
		out = append(out, recs...)
	}
	return out
}

// ownAddrs are the host's addresses, which are never blocked.
func ownAddrs() []netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr())
		}
	}
	return out
}

// Handle answers the blocking requests of the control socket.
func Handle(ctx context.Context, p *block.Policy, req ctl.Request, w io.Writer) error {
	switch req.Op {
	case "block", "unblock":
		pfx, err := parseBlockArg(req.Arg, flagOf(req.Op))
		if err != nil {
			return err
		}
		if req.Op == "block" {
			err = p.Block(ctx, pfx, block.DefaultTimeout)
		} else {
			err = p.Unblock(ctx, pfx)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "[+] %s %s\n", map[string]string{"block": "Blocked", "unblock": "Unblocked"}[req.Op], pfx)
	case "flush":
		if err := p.Flush(ctx); err != nil {
			return err
		}
		fmt.Fprintln(w, "[+] Flushed psad's blocks.")
	case "list":
		if req.JSON {
			doc := jsonout.New(jsonout.KindBlocks, argv.Version, time.Now())
			doc.Blocks = JSONBlocks(p.List())
			return doc.Write(w)
		}
		writeBlocks(w, p.List(), time.Now())
	default:
		return fmt.Errorf("unknown request %q", req.Op)
	}
	return nil
}

// JSONBlocks converts the block list for the psad-go/1 document.
func JSONBlocks(list []block.Status) []jsonout.Block {
	out := []jsonout.Block{}
	for _, b := range list {
		out = append(out, jsonout.BlockOf(b.Prefix, b.DL, b.Since, b.Expires, b.Backends, b.State.String(), b.Manual))
	}
	return out
}

// writeBlocks lists active blocks with the time they have left.
func writeBlocks(w io.Writer, blocks []block.Status, now time.Time) {
	fmt.Fprintf(w, "[+] Auto-blocked addresses: %d\n", len(blocks))
	for _, b := range blocks {
		left := "permanent"
		if !b.Expires.IsZero() {
			left = b.Expires.Sub(now).Round(time.Second).String() + " left"
		}
		fmt.Fprintf(w, "    %s  DL: %d  since %s  %s  (%s)\n", b.Prefix, b.DL, b.Since.Format("Jan _2 15:04:05"), left, strings.Join(b.Backends, ", "))
	}
}

// parseBlockArg reads the address or network given to flag
// (--fw-block-ip or --fw-rm-block-ip): psad's forms (a.b.c.d,
// a.b.c.d/nn, a.b.c.d/m.m.m.m, blanks around them) and IPv6's. A network
// is kept as a network (psad blocked only its first address). A zone is
// refused: no firewall rule carries one, and dropping it would block the
// address on every link.
func parseBlockArg(s, flag string) (netip.Prefix, error) {
	p, err := netset.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		//lint:ignore ST1005 psad's message, printed as is
		return netip.Prefix{}, fmt.Errorf("The %s argument accepts an IP address or network.", flag)
	}
	if a := p.Addr(); a.Is4In6() && p.IsSingleIP() {
		p = netip.PrefixFrom(a.Unmap(), 32)
	}
	return p, nil
}

// flagOf names the command-line option of a block or unblock request.
func flagOf(op string) string {
	if op == "unblock" {
		return "--fw-rm-block-ip"
	}
	return "--fw-block-ip"
}

// autoDLIgnored refuses a manual block of a network that overlaps an
// AUTO_DL_FILE entry of level 0: those sources are ones the
// administrator told psad to ignore, and psad refuses to block them.
// A missing file has nothing to refuse; an unreadable one is an error,
// since the check cannot be made.
func autoDLIgnored(set *config.Settings, pfx netip.Prefix) error {
	l, err := detect.LoadAutoDL(set)
	if err != nil {
		return err
	}
	for _, e := range l.Entries() {
		if e.Level == 0 && e.Prefix.Overlaps(pfx) {
			return fmt.Errorf("%s overlaps with whitelisted %s in %s", pfx, e.Prefix, set.Detect.AutoDLFile.Path)
		}
	}
	return nil
}

// Command is one of the blocking commands of the command line.
type Command struct {
	BlockIP, UnblockIP string // --fw-block-ip, --fw-rm-block-ip
	Flush, DelChains   bool   // -F, -X
	JSON               bool   // --json, for the list
	// Otherwise: --fw-list-auto.
}

// Run performs c: it asks the running daemon, which owns the blocks, or
// without one applies and records the change itself. It returns the exit
// status.
func Run(c Command, set *config.Settings, stdout, stderr io.Writer) int {
	o := struct {
		FwBlockIP, FwRmBlockIP string
		Flush, FwDelChains     bool
	}{c.BlockIP, c.UnblockIP, c.Flush, c.DelChains}
	env := struct{ Stdout, Stderr io.Writer }{stdout, stderr}
	pid, _ := psaddir.Running(set.Files.PidFile)
	var req ctl.Request
	switch {
	case o.FwBlockIP != "":
		req = ctl.Request{Op: "block", Arg: o.FwBlockIP}
	case o.FwRmBlockIP != "":
		req = ctl.Request{Op: "unblock", Arg: o.FwRmBlockIP}
	case o.Flush:
		req = ctl.Request{Op: "flush"}
	default:
		req = ctl.Request{Op: "list", JSON: c.JSON}
	}
	if req.Arg != "" {
		pfx, err := parseBlockArg(req.Arg, flagOf(req.Op))
		if err == nil && req.Op == "block" {
			err = autoDLIgnored(set, pfx)
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "[*] %v\n", err)
			return 1
		}
		// After the argument's checks, as psad orders them.
		if !set.Block.AutoIDS {
			fmt.Fprintln(env.Stderr, "[*] ENABLE_AUTO_IDS is not set to 'Y', exiting.")
			return 1
		}
	}
	if pid != 0 && set.Block.AutoIDS {
		rep, err := ctl.Ask(ctl.SocketPath(set.Files.RunDir), req, 30*time.Second)
		if err != nil {
			fmt.Fprintf(env.Stderr, "[*] %v\n", err)
			return 1
		}
		env.Stdout.Write(rep)
		if strings.HasPrefix(string(rep), "[*]") {
			return 1
		}
		if o.Flush && o.FwDelChains {
			fmt.Fprintln(env.Stderr, "[-] the running daemon keeps its chains; stop it before --fw-del-chains")
		}
		return 0
	}
	if req.Op != "list" {
		// No daemon: this process applies and records the change itself,
		// so it sticks when the daemon starts.
		if err := withPolicy(set, func(ctx context.Context, p *block.Policy) error {
			return Handle(ctx, p, req, env.Stdout)
		}); err != nil {
			fmt.Fprintf(env.Stderr, "[*] %v\n", err)
			return 1
		}
		if !o.FwDelChains {
			return 0
		}
	}
	backends, err := Backends(set)
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := 0
	var doc *jsonout.Doc
	if req.Op == "list" && c.JSON {
		doc = jsonout.New(jsonout.KindBlocks, argv.Version, time.Now())
	}
	for _, b := range backends {
		switch {
		case req.Op == "list" && doc != nil:
			// Without the daemon only the firewalls' own listings are
			// known: no DL, times or state.
			entries, err := b.List(ctx)
			if err != nil {
				fmt.Fprintf(env.Stderr, "[-] %s: %v\n", b.Name(), err)
				code = 1
				continue
			}
			for _, e := range entries {
				doc.Blocks = append(doc.Blocks, jsonout.BlockOf(e.Prefix, 0, time.Time{}, time.Time{}, []string{b.Name()}, "listed", false))
			}
		case req.Op == "list":
			entries, err := b.List(ctx)
			if err != nil {
				fmt.Fprintf(env.Stderr, "[-] %s: %v\n", b.Name(), err)
				code = 1
				continue
			}
			fmt.Fprintf(env.Stdout, "[+] %s: %d blocked\n", b.Name(), len(entries))
			for _, e := range entries {
				fmt.Fprintf(env.Stdout, "    %s\n", e.Prefix)
			}
		default:
			fmt.Fprintf(env.Stdout, "[+] Deleting psad chains (%s).\n", b.Name())
			err = b.Teardown(ctx)
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "[*] %s: %v\n", b.Name(), err)
			code = 1
		}
	}
	if doc != nil {
		if err := doc.Write(env.Stdout); err != nil {
			fmt.Fprintf(env.Stderr, "[*] %v\n", err)
			return 1
		}
	}
	return code
}

// withPolicy runs fn with a block policy over the firewalls and the
// state store, when no daemon holds them.
func withPolicy(set *config.Settings, fn func(ctx context.Context, p *block.Policy) error) error {
	det, err := detect.Build(set, detect.Options{NoSignatures: true, NoICMPTypes: true, NoICMP6Types: true, NoPassiveOS: true})
	if err != nil {
		return err
	}
	store, err := psaddir.OpenStore(filepath.Join(set.Files.FifoDir, "psad_state.db"))
	if err != nil {
		return err
	}
	defer store.Close()
	p, err := NewPolicy(set, det, store, nil, nil, false, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return p.Session(ctx, func() error { return fn(ctx, p) })
}

// BlockSection writes psad's auto-blocked IP section of -S (operations
// spec 5.5): each active block with the seconds it has left, or
// "(unlimited timeout)"; with only (--status-ip) valid, the blocks
// holding that address. psad listed IPv4 addresses only; networks and
// IPv6 addresses are listed too. Unlike psad's, it removes nothing.
func BlockSection(w io.Writer, list []block.Status, only netip.Addr, now time.Time) {
	if only.IsValid() {
		fmt.Fprintf(w, "    iptables auto-blocking status for: %s: \n", only)
	} else {
		fmt.Fprintln(w, "    iptables auto-blocked IPs:")
	}
	n := 0
	for _, b := range list {
		if only.IsValid() && !b.Prefix.Contains(only) {
			continue
		}
		addr := b.Prefix.String()
		if b.Prefix.IsSingleIP() {
			addr = b.Prefix.Addr().String()
		}
		if b.Expires.IsZero() {
			fmt.Fprintf(w, "      %s (unlimited timeout)\n", addr)
		} else {
			fmt.Fprintf(w, "      %s (%d seconds remaining)\n", addr, max(0, int64(b.Expires.Sub(now)/time.Second)))
		}
		n++
	}
	if n == 0 {
		fmt.Fprintln(w, "        [NONE]")
	}
	fmt.Fprintln(w)
}

// WriteStatus appends the blocks to the -S report.
func WriteStatus(p *block.Policy) func(w io.Writer) {
	return func(w io.Writer) {
		fmt.Fprintln(w)
		writeBlocks(w, p.List(), time.Now())
		st := p.Stats()
		var repairs int
		for _, n := range st.Repairs {
			repairs += n
		}
		fmt.Fprintf(w, "    Drift repaired: %d, never-block refusals: %d\n\n", repairs, st.NeverBlocked)
	}
}

// AnalysisAutoBlock is -A --analysis-auto-block: every source the
// analysis put at or above AUTO_IDS_DANGER_LEVEL goes through the block
// policy once, recorded with its expiry. psad then slept
// AUTO_BLOCK_TIMEOUT + 1 seconds to remove timed blocks; ours are expired
// by the daemon (at once if it starts later than their expiry).
func AnalysisAutoBlock(set *config.Settings, now time.Time, srcs []*scan.Source, stdout io.Writer) error {
	if pid, _ := psaddir.Running(set.Files.PidFile); pid != 0 {
		for _, s := range srcs {
			if s.DL < set.Block.AutoIDSDangerLevel {
				continue
			}
			rep, err := ctl.Ask(ctl.SocketPath(set.Files.RunDir), ctl.Request{Op: "block", Arg: s.Addr.String()}, 30*time.Second)
			if err != nil {
				return err
			}
			stdout.Write(rep)
		}
		return nil
	}
	return withPolicy(set, func(ctx context.Context, p *block.Policy) error {
		for _, s := range srcs {
			p.Raised(now, s, 0)
		}
		return nil
	})
}
