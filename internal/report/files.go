package report

import (
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/scan"
)

// FileLimits are the TOP_*_LOG_THRESHOLD values (0 = unlimited).
type FileLimits struct {
	Ports, Sigs, IPs int
	MinDL            int
}

// PacketCounters writes psad's packet_ctr file: "%8s: %d" per protocol.
func PacketCounters(w io.Writer, t *scan.Tracker) {
	var keys []int
	for p, n := range t.Counters.Proto {
		if n > 0 {
			keys = append(keys, p)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return fwlog.IndexKey(keys[i]) < fwlog.IndexKey(keys[j]) })
	for _, p := range keys {
		fmt.Fprintf(w, "%8s: %d\n", fwlog.IndexKey(p), t.Counters.Proto[p])
	}
}

// PrefixCounters writes ipt_prefix_ctr: "<prefix>: <count>".
func PrefixCounters(w io.Writer, t *scan.Tracker) {
	keys := make([]string, 0, len(t.Counters.Prefix))
	for k := range t.Counters.Prefix {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%s: %d\n", k, *t.Counters.Prefix[k])
	}
}

// TopPorts writes top_ports.
func TopPorts(w io.Writer, t *scan.Tracker, max int) {
	io.WriteString(w, "#\n# Format: <proto> <port> <packets>\n#\n\n")
	tcp := topPorts(&t.Counters.TCPPort, max)
	udp := topPorts(&t.Counters.UDPPort, max)
	if len(tcp) > 0 {
		io.WriteString(w, "# Top scanned TCP ports:\n")
		for _, p := range tcp {
			fmt.Fprintf(w, "tcp %-5d %d\n", p, t.Counters.TCPPort[p])
		}
	}
	if len(tcp) > 0 && len(udp) > 0 {
		io.WriteString(w, "\n")
	}
	if len(udp) > 0 {
		io.WriteString(w, "# Top scanned UDP ports:\n")
		for _, p := range udp {
			fmt.Fprintf(w, "udp %-5d %d\n", p, t.Counters.UDPPort[p])
		}
	}
}

// TopSigs writes top_sigs.
func TopSigs(w io.Writer, t *scan.Tracker, max int, sigs SigInfo) {
	io.WriteString(w, "#\n# Format: <sid> \"<msg>\" <matches> <num_sources> <sig_proto>\n#\n\n")
	n := 0
	for _, e := range sigsByCount(t) {
		if max > 0 && n >= max || sigs == nil {
			break
		}
		msg, proto, ok := sigs(e.id)
		if !ok {
			continue
		}
		fmt.Fprintf(w, "%d \"%s\" %d %d %s\n", e.id, msg, e.n, t.Counters.SigSources[e.id], proto)
		n++
	}
}

// TopAttackers writes top_attackers.
func TopAttackers(w io.Writer, t *scan.Tracker, lim FileLimits) {
	io.WriteString(w, "#\n# Format: <IP> <DL> <total_packets> <uniq_sigs> <sig_matches> <is_local>\n#\n\n")
	srcs := listedSources(t, lim.MinDL)
	if lim.IPs > 0 && len(srcs) > lim.IPs {
		srcs = srcs[:lim.IPs]
	}
	for _, s := range srcs {
		uniq := 0
		for _, pr := range s.Pairs() {
			uniq += uniqueSigs(pr, true)
		}
		local := 0
		if s.Local {
			local = 1
		}
		fmt.Fprintf(w, "%-15s %d %d %d %d %d\n", fwlog.AddrString(s.Addr), s.DL, s.Packets, uniq, s.SigCount, local)
	}
}

// PairPacketCounters writes a <dst>_packet_ctr file.
func PairPacketCounters(w io.Writer, pr *scan.Pair) {
	for _, c := range pr.Chains() {
		key := fwlog.ProtoKey(c.Proto)
		fmt.Fprintf(w, "%s_%s_%s:  %d", c.Chain, c.Intf, key, c.Pkts)
		ri := -1
		switch c.Proto {
		case fwlog.ProtoTCP:
			ri = 0
		case fwlog.ProtoUDP, fwlog.ProtoUDPLite:
			ri = 1
		}
		if ri >= 0 && pr.Ranges[ri].Seen {
			r := pr.Ranges[ri]
			rng := strconv.Itoa(int(r.Lo))
			if r.Hi != r.Lo {
				rng += "-" + strconv.Itoa(int(r.Hi))
			}
			fmt.Fprintf(w, " [%s]", rng)
		}
		io.WriteString(w, "\n")
	}
}

// PairSignatures writes a <dst>_signatures file; psadIDs reports
// whether an id is a psad_id (no original Snort sid).
func PairSignatures(w io.Writer, pr *scan.Pair, when int64, sigs SigInfo, psadID func(id int) bool) {
	io.WriteString(w, "#\n# Format: <sig_time> <sid> <matches> \"<msg>\" <chain> <proto> <dst port> \"<flags>\" <is_fwsnort> <is_psad>\n#\n\n")
	for _, r := range pr.Sigs() {
		msg := "[NA]"
		if sigs != nil {
			if m, _, ok := sigs(r.ID); ok {
				msg = m
			}
		}
		dp, flags := max(r.DP, 0), r.Flags
		if flags == "" {
			flags = "NA"
		}
		fw, ps := 0, 0
		if r.Fwsnort {
			fw = 1
		}
		if psadID != nil && psadID(r.ID) {
			ps = 1
		}
		fmt.Fprintf(w, "%d %d %d \"%s\" %s %s %d \"%s\" %d %d\n", when, r.ID, r.Pkts, msg, r.Chain, r.Proto, dp, flags, fw, ps)
	}
}
