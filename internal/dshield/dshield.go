// Package dshield collects firewall records in DShield's submission
// format and says when a report is due (ENABLE_DSHIELD_ALERTS). It only
// builds text; the daemon mails it.
package dshield

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
)

// MaxRecords bounds the buffer between submissions; psad kept growing it
// (and submitted early only past 10,001 records after two hours).
const MaxRecords = 200000

type record struct {
	src  netip.Addr
	line string
}

// Collector buffers records between submissions.
type Collector struct {
	UserID    string        // DSHIELD_USER_ID
	Interval  time.Duration // DSHIELD_ALERT_INTERVAL hours
	Threshold int           // DSHIELD_DL_THRESHOLD: 0 sends every record

	recs        []record
	last        time.Time
	dropped     int
	TotalEmails int
	TotalPkts   int
}

// New starts a collector; the first report is due Interval after now.
func New(userID string, interval time.Duration, threshold int, now time.Time) *Collector {
	return &Collector{UserID: userID, Interval: interval, Threshold: threshold, last: now}
}

// tz renders the local UTC offset as DShield expects it: "+01:00".
func tz(t time.Time) string {
	_, off := t.Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return fmt.Sprintf("%s%02d:%02d", sign, off/3600, off%3600/60)
}

// Add records one packet that reached the scan state.
func (c *Collector) Add(now time.Time, p *fwlog.Packet) {
	if len(c.recs) >= MaxRecords {
		c.dropped++
		return
	}
	var b strings.Builder
	b.WriteString(now.Format("2006-01-02 15:04:05 "))
	b.WriteString(tz(now))
	b.WriteString("\t" + c.UserID + "\t1\t")
	src, dst := fwlog.AddrString(p.Src), fwlog.AddrString(p.Dst)
	switch p.Proto {
	case fwlog.ProtoICMP, fwlog.ProtoICMPv6:
		fmt.Fprintf(&b, "%s\t%d\t%s\t%d\ticmp", src, max(p.ICMPType, 0), dst, max(p.ICMPCode, 0))
	case fwlog.ProtoTCP:
		fmt.Fprintf(&b, "%s\t%d\t%s\t%d\ttcp\t%s", src, p.SrcPort, dst, p.DstPort, strings.ReplaceAll(p.Flags.String(), " ", ","))
	case fwlog.ProtoUDP, fwlog.ProtoUDPLite:
		fmt.Fprintf(&b, "%s\t%d\t%s\t%d\t%s", src, p.SrcPort, dst, p.DstPort, p.ProtoKey())
	default:
		fmt.Fprintf(&b, "%s\t0\t%s\t0\t%s", src, dst, p.ProtoKey())
	}
	b.WriteByte('\n')
	c.recs = append(c.recs, record{p.Src, b.String()})
}

// Due reports whether a submission is due at now.
func (c *Collector) Due(now time.Time) bool {
	if len(c.recs) == 0 {
		return false
	}
	el := now.Sub(c.last)
	return el >= c.Interval || len(c.recs) > 10001 && el >= 2*time.Hour
}

// Report returns the subject and body of a submission and empties the
// buffer; dl gives a source's current danger level for the threshold.
// It returns an empty body when no record passes the threshold.
func (c *Collector) Report(now time.Time, version string, dl func(netip.Addr) int) (subject string, body []byte, n int) {
	major := version
	if parts := strings.Split(version, "."); len(parts) >= 2 {
		major = parts[0] + "." + strings.SplitN(parts[1], "-", 2)[0]
	}
	subject = "FORMAT DSHIELD USERID " + c.UserID + " TZ " + tz(now) + " psad Version " + major
	var b strings.Builder
	for _, r := range c.recs {
		if c.Threshold > 0 && (dl == nil || dl(r.src) < c.Threshold) {
			continue
		}
		b.WriteString(r.line)
		n++
	}
	c.recs = c.recs[:0]
	c.last = now
	if n > 0 {
		c.TotalEmails++
		c.TotalPkts += n
	}
	return subject, []byte(b.String()), n
}

// Counters renders the DSHIELD_COUNTER_FILE.
func (c *Collector) Counters() string {
	return "total emails: " + strconv.Itoa(c.TotalEmails) + "\ntotal packets: " + strconv.Itoa(c.TotalPkts) + "\n"
}
