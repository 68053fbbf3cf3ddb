// Package jsonout renders the scan state and the block list as JSON in
// one versioned schema (docs/json.md), so scripts read -A, -S and
// --fw-list-auto without scraping the human reports, whose layout
// follows psad's and may change with it.
package jsonout

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/report"
	"github.com/psadgo/psad/internal/scan"
)

// Schema names the document format. It changes only when a field is
// removed or changes meaning; fields may be added within a version.
const Schema = "psad-go/1"

// The kinds of document.
const (
	KindAnalysis = "analysis"
	KindStatus   = "status"
	KindBlocks   = "blocks"
)

// Doc is one document. Every field is always present (empty lists, not
// null), so a consumer needs no existence checks.
type Doc struct {
	Schema        string    `json:"schema"`
	Kind          string    `json:"kind"`
	Generated     time.Time `json:"generated"`
	Version       string    `json:"version"`
	Sources       []Source  `json:"sources"`
	Totals        Totals    `json:"totals"`
	TopPorts      TopPorts  `json:"top_ports"`
	TopSignatures []TopSig  `json:"top_signatures"`
	Blocks        []Block   `json:"blocks"`
}

// Source is one scanning address.
type Source struct {
	Addr     string `json:"addr"`
	DL       int    `json:"dl"`
	Packets  int64  `json:"packets"`
	SigCount int64  `json:"sig_count"`
	// EmailAlerts is -S's "Email alerts"; 0 in -A.
	EmailAlerts int       `json:"email_alerts"`
	Local       bool      `json:"local"`
	AutoDL      bool      `json:"auto_dl"`
	OSGuess     []string  `json:"os_guess"`
	LastSeen    time.Time `json:"last_seen"`
	Dsts        []Dst     `json:"dsts"`
}

// Dst is one destination of a source.
type Dst struct {
	Addr  string `json:"addr"`
	Local bool   `json:"local"`
	Pkts  int    `json:"pkts"`
	// Ports holds [lowest, highest] destination port per protocol seen
	// ("tcp", "udp", "udplite").
	Ports      map[string][2]int `json:"ports"`
	Protocols  int               `json:"protocols"`
	ScanType   string            `json:"scan_type"`
	Signatures []Sig             `json:"signatures"`
}

// Sig is one signature matched against a destination.
type Sig struct {
	ID    int    `json:"id"`
	Msg   string `json:"msg"`
	Count int    `json:"count"`
}

// Totals are the counts over the whole state.
type Totals struct {
	Sources      int `json:"sources"`
	Destinations int `json:"destinations"`
	// ByLevel[n-1] counts sources at danger level n.
	ByLevel [5]int `json:"by_level"`
	// Listed counts the sources in Sources (after MIN_DANGER_LEVEL,
	// --status-dl and STATUS_IP_THRESHOLD).
	Listed int `json:"listed"`
}

// TopPorts are the most scanned destination ports.
type TopPorts struct {
	TCP []PortCount `json:"tcp"`
	UDP []PortCount `json:"udp"`
}

// PortCount is one port and its packets.
type PortCount struct {
	Port int   `json:"port"`
	Pkts int64 `json:"pkts"`
}

// TopSig is one signature over all sources.
type TopSig struct {
	ID      int    `json:"id"`
	Msg     string `json:"msg"`
	Count   int64  `json:"count"`
	Sources int64  `json:"sources"`
}

// Block is one active block (psad's auto-blocked addresses).
type Block struct {
	Prefix string    `json:"prefix"`
	DL     int       `json:"dl"`
	Since  time.Time `json:"since"`
	// Expires is null for a permanent block.
	Expires  *time.Time `json:"expires"`
	Backends []string   `json:"backends"`
	State    string     `json:"state"`
	Manual   bool       `json:"manual"`
}

// defaultTop is how many top ports and signatures are listed when the
// STATUS_*_THRESHOLD is 0 (unlimited in the text report): a JSON reader
// can ask for more, but 65536 ports per protocol would be noise.
const defaultTop = 50

// New returns an empty document of kind, stamped now.
func New(kind, version string, now time.Time) *Doc {
	return &Doc{Schema: Schema, Kind: kind, Generated: now.UTC(), Version: version,
		Sources: []Source{}, TopPorts: TopPorts{TCP: []PortCount{}, UDP: []PortCount{}},
		TopSignatures: []TopSig{}, Blocks: []Block{}}
}

// Fill puts the tracker's state into d with the report's limits: o.MinDL,
// o.IPMax, o.PortsMax, o.SigsMax and o.SummaryOnly (no sources) as the
// text report applies them.
func (d *Doc) Fill(t *scan.Tracker, o report.Options) {
	var srcs []*scan.Source
	t.EachSource(func(s *scan.Source) {
		d.Totals.Sources++
		d.Totals.Destinations += len(s.DstList())
		if s.DL >= 1 && s.DL <= 5 {
			d.Totals.ByLevel[s.DL-1]++
		}
		if s.DL >= max(o.MinDL, 1) {
			srcs = append(srcs, s)
		}
	})
	// Highest danger level first, then by address as psad prints them,
	// so the document is the same from run to run.
	sort.Slice(srcs, func(i, j int) bool {
		if srcs[i].DL != srcs[j].DL {
			return srcs[i].DL > srcs[j].DL
		}
		return scan.AddrStringLess(srcs[i].Addr, srcs[j].Addr)
	})
	if o.IPMax > 0 && len(srcs) > o.IPMax {
		srcs = srcs[:o.IPMax]
	}
	if !o.SummaryOnly {
		for _, s := range srcs {
			d.Sources = append(d.Sources, source(s, t.Settings(), o))
		}
	}
	d.Totals.Listed = len(d.Sources)
	ports := o.PortsMax
	if ports <= 0 {
		ports = defaultTop
	}
	d.TopPorts.TCP = topPorts(&t.Counters.TCPPort, ports)
	d.TopPorts.UDP = topPorts(&t.Counters.UDPPort, ports)
	sigs := o.SigsMax
	if sigs <= 0 {
		sigs = defaultTop
	}
	d.TopSignatures = topSigs(t, o.Sigs, sigs)
}

func source(s *scan.Source, set scan.Settings, o report.Options) Source {
	out := Source{Addr: fwlog.AddrString(s.Addr), DL: s.DL, Packets: s.Packets, SigCount: s.SigCount,
		Local: s.Local, AutoDL: s.AutoDL, OSGuess: append([]string{}, s.OSGuesses()...), LastSeen: s.LastSeen().UTC(),
		Dsts: []Dst{}}
	if s.PosfGuess() != "" {
		out.OSGuess = append(out.OSGuess, s.PosfGuess())
	}
	if o.EmailAlerts != nil {
		out.EmailAlerts = o.EmailAlerts(s)
	}
	sigs := o.DetailSigs
	if sigs == nil {
		sigs = o.Sigs
	}
	for _, pr := range s.Pairs() {
		out.Dsts = append(out.Dsts, dst(pr, set, sigs))
	}
	return out
}

var protoKeys = [3]string{"tcp", "udp", "udplite"}

func dst(pr *scan.Pair, set scan.Settings, sigs report.SigInfo) Dst {
	d := Dst{Addr: fwlog.AddrString(pr.Dst), Local: pr.Local, Pkts: int(pr.AbsNum), Ports: map[string][2]int{},
		Protocols: pr.TotProtocols(), Signatures: []Sig{}}
	lo, hi := 65535, -1
	for i, r := range pr.Ranges {
		if r.Seen {
			d.Ports[protoKeys[i]] = [2]int{int(r.Lo), int(r.Hi)}
			lo, hi = min(lo, int(r.Lo)), max(hi, int(r.Hi))
		}
	}
	for _, sr := range pr.Sigs() {
		msg := ""
		if sigs != nil {
			msg, _, _ = sigs(sr.ID)
		}
		d.Signatures = append(d.Signatures, Sig{ID: sr.ID, Msg: msg, Count: sr.Pkts})
	}
	d.ScanType = ScanType(pr, lo, hi, set)
	return d
}

// ScanType names what made a destination part of a scan, from the
// persistent state (the TCP flags of a scan are kept only per batch, for
// alerts): "port_sweep", "protocol_scan", "port_scan", "signature",
// "icmp" (invalid ICMP types or codes) or "packets" (enough packets to
// one port).
func ScanType(pr *scan.Pair, lo, hi int, set scan.Settings) string {
	switch {
	case pr.PortSweep:
		return "port_sweep"
	case set.ProtocolScanThreshold > 0 && pr.TotProtocols() >= set.ProtocolScanThreshold:
		return "protocol_scan"
	case hi >= 0 && hi-lo >= max(set.PortRangeScanThreshold, 1):
		return "port_scan"
	case len(pr.Sigs()) > 0:
		return "signature"
	case len(pr.ICMP()) > 0:
		return "icmp"
	}
	return "packets"
}

func topPorts(counts *[65536]int64, n int) []PortCount {
	out := []PortCount{}
	for p, c := range counts {
		if c > 0 {
			out = append(out, PortCount{Port: p, Pkts: c})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pkts != out[j].Pkts {
			return out[i].Pkts > out[j].Pkts
		}
		return out[i].Port < out[j].Port
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

func topSigs(t *scan.Tracker, info report.SigInfo, n int) []TopSig {
	out := []TopSig{}
	for id, c := range t.Counters.SigCount {
		msg := ""
		if info != nil {
			msg, _, _ = info(id)
		}
		out = append(out, TopSig{ID: id, Msg: msg, Count: c, Sources: t.Counters.SigSources[id]})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].ID < out[j].ID
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// BlockOf converts one block's fields; permanent blocks have a zero
// expiry.
func BlockOf(prefix netip.Prefix, dl int, since, expires time.Time, backends []string, state string, manual bool) Block {
	b := Block{Prefix: prefix.String(), DL: dl, Since: since.UTC(), Backends: append([]string{}, backends...),
		State: state, Manual: manual}
	if !expires.IsZero() {
		e := expires.UTC()
		b.Expires = &e
	}
	return b
}

// Write encodes d, indented for people reading it too, with a final
// newline.
func (d *Doc) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("writing %s json: %w", d.Kind, err)
	}
	return nil
}
