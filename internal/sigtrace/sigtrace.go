// Package sigtrace follows one signature through a log (--debug-sid):
// which packets matched it and, for those that almost did, the one test
// that failed, so whoever wrote or tuned the rule can see whether it
// fires as meant. psad's --debug-sid prints raw matcher internals per
// packet; this says the same in sentences and sums it up.
package sigtrace

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/sig"
)

// Shown caps the packets listed per kind; the counts cover them all.
const Shown = 10

// Tracer collects one signature's verdicts. It is not safe for use by
// several goroutines at once.
type Tracer struct {
	set *sig.Set
	g   *sig.Sig

	packets    int // packets seen
	otherProto int // packets the signature cannot apply to
	matched    int
	near       int // packets failing exactly one test, other than a port
	portOnly   int // packets failing the port test alone
	matchLines []string
	nearLines  []string
	// failed counts, per test, the packets of the right protocol that
	// failed it; want keeps what the rule asked for.
	failed map[string]int
	want   map[string]string
}

// New starts a trace of the signature with that ID (sid, or psad_id for
// rules without a sid); source names the signature file for the error.
func New(set *sig.Set, id int, source string) (*Tracer, error) {
	if set == nil {
		return nil, fmt.Errorf("--debug-sid %d: signatures are off (--no-signatures)", id)
	}
	g := set.Lookup(id)
	if g == nil {
		return nil, fmt.Errorf("--debug-sid %d: no signature with that sid or psad_id in %s (%d signatures loaded)", id, source, set.Len())
	}
	return &Tracer{set: set, g: g, failed: map[string]int{}, want: map[string]string{}}, nil
}

// Observe judges one packet; p is only read during the call.
func (t *Tracer) Observe(p *fwlog.Packet) {
	t.packets++
	fs := t.set.Explain(t.g, p)
	switch {
	case len(fs) == 0:
		t.matched++
		if len(t.matchLines) < Shown {
			t.matchLines = append(t.matchLines, describe(p))
		}
		return
	case fs[0].Test == "protocol":
		t.otherProto++
		return
	case len(fs) == 1 && strings.HasSuffix(fs[0].Test, "port"):
		// Every packet of a port scan but one is such a miss, and
		// saying so for each tells nothing.
		t.portOnly++
	case len(fs) == 1:
		t.near++
		if len(t.nearLines) < Shown {
			t.nearLines = append(t.nearLines, describe(p)+"\n        "+fs[0].String())
		}
	}
	for _, f := range fs {
		t.failed[f.Test]++
		t.want[f.Test] = f.Want
	}
}

// Write prints the trace.
func (t *Tracer) Write(w io.Writer) error {
	b := bufio.NewWriter(w)
	g := t.g
	kind := "sid"
	if g.PsadID {
		kind = "psad_id"
	}
	fmt.Fprintf(b, "[+] --debug-sid %d: %q (%s %d, %s, DL %d), %s line %d\n", g.ID, g.Msg, kind, g.ID, g.Proto, g.DL, g.File, g.Line)
	cand := t.packets - t.otherProto
	fmt.Fprintf(b, "    %s analysed, %d of them %s as the signature needs.\n", packets(t.packets), cand, protoWord(g.Proto))
	if g.DL == 0 {
		fmt.Fprintln(b, "    Its danger level is 0: packets matching it are ignored, not scored.")
	}
	if t.matched == 0 {
		fmt.Fprintln(b, "    No packet matched it.")
	} else {
		fmt.Fprintf(b, "    %s matched it%s:\n", packets(t.matched), firstOf(t.matched))
		for _, l := range t.matchLines {
			fmt.Fprintf(b, "      %s\n", l)
		}
	}
	if t.near > 0 {
		fmt.Fprintf(b, "    %s failed one test only%s:\n", packets(t.near), firstOf(t.near))
		for _, l := range t.nearLines {
			fmt.Fprintf(b, "      %s\n", l)
		}
	}
	if t.portOnly > 0 {
		fmt.Fprintf(b, "    %s differed from it in the port only.\n", packets(t.portOnly))
	}
	if len(t.failed) > 0 {
		fmt.Fprintf(b, "    Tests failed by the %s that did not match:\n", packets(cand-t.matched))
		tests := make([]string, 0, len(t.failed))
		for k := range t.failed {
			tests = append(tests, k)
		}
		slices.SortFunc(tests, func(a, b string) int {
			return cmp.Or(cmp.Compare(t.failed[b], t.failed[a]), strings.Compare(a, b))
		})
		for _, k := range tests {
			fmt.Fprintf(b, "      %-12s %s (the rule wants %s)\n", k, packets(t.failed[k]), t.want[k])
		}
	}
	if cand == 0 && t.packets > 0 {
		fmt.Fprintf(b, "    The log holds no %s packets, so this signature cannot fire on it.\n", protoWord(g.Proto))
	}
	return b.Flush()
}

func packets(n int) string {
	if n == 1 {
		return "1 packet"
	}
	return fmt.Sprintf("%d packets", n)
}

func firstOf(n int) string {
	if n > Shown {
		return fmt.Sprintf(", the first %d", Shown)
	}
	return ""
}

// protoWord names the packets a signature of protocol proto can meet.
func protoWord(proto string) string {
	switch proto {
	case "icmp":
		return "IPv4 icmp"
	case "ip":
		return "IPv4"
	}
	return proto
}

// describe is one packet as a line of the trace: when, who to whom, and
// the fields signatures test most.
func describe(p *fwlog.Packet) string {
	var b strings.Builder
	if len(p.Timestamp) > 0 {
		b.Write(p.Timestamp)
		b.WriteByte(' ')
	}
	b.WriteString(p.ProtoKey() + " " + endpoint(p.Src.String(), p.SrcPort, p.IPv6) + " -> " + endpoint(p.Dst.String(), p.DstPort, p.IPv6))
	switch p.Proto {
	case fwlog.ProtoTCP:
		b.WriteString(" " + p.Flags.String())
	case fwlog.ProtoICMP, fwlog.ProtoICMPv6:
		fmt.Fprintf(&b, " type %d code %d", p.ICMPType, p.ICMPCode)
	}
	if p.IPLen >= 0 {
		fmt.Fprintf(&b, " LEN=%d", p.IPLen)
	}
	if !p.IPv6 && p.TTL >= 0 {
		fmt.Fprintf(&b, " TTL=%d", p.TTL)
	}
	return b.String()
}

func endpoint(addr string, port int, v6 bool) string {
	if port < 0 {
		return addr
	}
	if v6 {
		addr = "[" + addr + "]"
	}
	return fmt.Sprintf("%s:%d", addr, port)
}
