package gnuplot

import (
	"bytes"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// numbered are the text fields gnuplot cannot plot; each distinct value
// gets a number in order of first appearance.
var numbered = map[string]bool{
	"src_mac": true, "dst_mac": true, "tos": true, "ip_opts": true, "frag_bit": true,
	"flags": true, "tcp_opts": true, "chain": true, "log_prefix": true,
	"dshield_str": true, "syslog_host": true,
}

// column is one field of every record turned into numbers.
type column struct {
	vals []string // what the data file shows
	conv []bool   // the value was converted (the comment shows the original)
}

// convert turns field f of every record into a number gnuplot can plot.
func convert(recs [][]string, f int, name string, s *Settings) column {
	c := column{vals: make([]string, len(recs)), conv: make([]bool, len(recs))}
	switch {
	case name == "src" || name == "dst":
		// Addresses are numbered in address order, so nearby hosts
		// land near each other on the axis.
		set := map[netip.Addr]bool{}
		for _, r := range recs {
			if a, err := netip.ParseAddr(r[f]); err == nil {
				set[a] = true
			}
		}
		addrs := make([]netip.Addr, 0, len(set))
		for a := range set {
			addrs = append(addrs, a)
		}
		slices.SortFunc(addrs, netip.Addr.Compare)
		num := make(map[netip.Addr]int, len(addrs))
		for i, a := range addrs {
			num[a] = i + 1
		}
		for i, r := range recs {
			c.vals[i], c.conv[i] = "-1", true
			if a, err := netip.ParseAddr(r[f]); err == nil {
				c.vals[i] = strconv.Itoa(num[a])
			}
		}
	case name == "proto":
		for i, r := range recs {
			v := r[f]
			switch {
			case isDigits(v):
				c.vals[i] = v
				continue
			case v == "tcp":
				v = "6"
			case v == "udp":
				v = "17"
			case strings.Contains(v, "icmp"):
				v = "1"
			default:
				v = "-1"
			}
			c.vals[i], c.conv[i] = v, true
		}
	case name == "intf":
		for i, r := range recs {
			v := r[f]
			j := len(v)
			for j > 0 && v[j-1] >= '0' && v[j-1] <= '9' {
				j--
			}
			c.vals[i], c.conv[i] = v[j:], true
			if j == len(v) {
				c.vals[i] = "-1"
			}
		}
	case numbered[name]:
		seq := map[string]int{}
		for i, r := range recs {
			n, ok := seq[r[f]]
			if !ok {
				n = len(seq) + 1
				seq[r[f]] = n
			}
			c.vals[i], c.conv[i] = strconv.Itoa(n), true
		}
	case name == "timestamp":
		ts := epochs(recs, f, s.Now, s.Loc)
		for i := range recs {
			c.vals[i], c.conv[i] = strconv.FormatInt(ts[i], 10), true
		}
	default:
		for i, r := range recs {
			c.vals[i] = r[f]
		}
	}
	return c
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// epochs returns the Unix time of each record's syslog time stamp (-1
// when it does not parse). Syslog omits the year: the last record is
// taken to be in now's year, or the one before if that would put it in
// the future, and walking back a month that increases means a year
// earlier. (psad starts one year too early; see docs/compat.md.)
func epochs(recs [][]string, f int, now time.Time, loc *time.Location) []int64 {
	out := make([]int64, len(recs))
	year, lastMonth := 0, time.Month(0)
	for i := len(recs) - 1; i >= 0; i-- {
		v := strings.Join(strings.Fields(recs[i][f]), " ")
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			out[i] = t.Unix()
			continue
		}
		t, err := time.ParseInLocation("Jan 2 15:04:05", v, loc)
		if err != nil {
			out[i] = -1
			continue
		}
		switch {
		case year == 0:
			year = now.Year()
			if t.AddDate(year, 0, 0).After(now) {
				year--
			}
		case t.Month() > lastMonth:
			year--
		}
		lastMonth = t.Month()
		out[i] = t.AddDate(year, 0, 0).Unix()
	}
	return out
}

// bucketOf is the bucket width in seconds of a time-based count keyword.
func bucketOf(kw string) int64 {
	switch strings.TrimSuffix(kw, "uniq") {
	case "countday":
		return 86400
	case "counthour":
		return 3600
	case "countmin":
		return 60
	}
	return 0
}

// writeData appends the data lines of the records.
func writeData(b *bytes.Buffer, recs [][]string, fields []string, toks []token, counter int, s *Settings) {
	sep := s.Select.Separator
	if sep == "" {
		sep = ", "
	}
	cols := make([]column, len(fields))
	for f, name := range fields {
		cols[f] = convert(recs, f, name, s)
	}
	comments := make([]string, len(recs))
	for i := range recs {
		var c strings.Builder
		for f := range cols {
			if cols[f].conv[i] {
				if c.Len() == 0 {
					c.WriteString("  ### ")
				}
				c.WriteString(cols[f].vals[i] + "=" + recs[i][f] + " ")
			}
		}
		comments[i] = c.String()
	}
	if counter < 0 {
		for i := range recs {
			for f := range cols {
				if f > 0 {
					b.WriteString(sep)
				}
				b.WriteString(cols[f].vals[i])
			}
			b.WriteString(comments[i])
			b.WriteByte('\n')
		}
		return
	}
	kw := toks[counter].count
	if counter == 0 || kw == "countabs" {
		return // psad writes no data lines for these either
	}
	uniq := strings.HasSuffix(kw, "uniq")
	xs := cols[0].vals
	if w := bucketOf(kw); w > 0 && len(recs) > 0 {
		xs = bucketed(xs, w)
	}
	// A group is one output line; key holds its leading columns.
	type group struct {
		key     []string
		n       int
		seen    map[string]bool
		comment string
		first   int
	}
	groups := map[string]*group{}
	var order []*group
	threeD := counter == 2 || s.ThreeD
	for i := range recs {
		key := []string{xs[i]}
		if threeD {
			key = append(key, cols[1].vals[i])
		}
		id := strings.Join(key, "\x00")
		if counter == 2 && !uniq {
			id += "\x00" + cols[2].vals[i] // one line per distinct z
		}
		g := groups[id]
		if g == nil {
			g = &group{key: key, seen: map[string]bool{}, first: len(order)}
			groups[id] = g
			order = append(order, g)
		}
		if uniq {
			if !g.seen[recs[i][counter]] {
				g.seen[recs[i][counter]] = true
				g.n++
			}
		} else {
			g.n++
		}
		g.comment = comments[i]
	}
	switch {
	case threeD:
		slices.SortStableFunc(order, func(a, b *group) int {
			if c := cmpNum(a.key[0], b.key[0]); c != 0 {
				return c
			}
			return strings.Compare(a.key[1], b.key[1])
		})
	case bucketOf(kw) > 0 || s.SortStyle == "time":
		slices.SortStableFunc(order, func(a, b *group) int { return cmpNum(a.key[0], b.key[0]) })
	case s.SortStyle == "" || s.SortStyle == "value":
		slices.SortStableFunc(order, func(a, b *group) int {
			if a.n != b.n {
				return b.n - a.n
			}
			return cmpNum(a.key[0], b.key[0])
		})
	}
	for _, g := range order {
		b.WriteString(strings.Join(g.key, sep))
		b.WriteString(sep)
		b.WriteString(strconv.Itoa(g.n))
		b.WriteString(g.comment)
		b.WriteByte('\n')
	}
}

// bucketed maps epoch times to the start of their w-second bucket,
// counted from the first record's time; times outside the first and last
// record's map to those ends.
func bucketed(xs []string, w int64) []string {
	first, _ := strconv.ParseInt(xs[0], 10, 64)
	last, _ := strconv.ParseInt(xs[len(xs)-1], 10, 64)
	out := make([]string, len(xs))
	for i, x := range xs {
		t, _ := strconv.ParseInt(x, 10, 64)
		t = min(max(t, first), max(last, first))
		out[i] = strconv.FormatInt(first+(t-first)/w*w, 10)
	}
	return out
}

// cmpNum compares two values numerically when both are integers.
func cmpNum(a, b string) int {
	x, err1 := strconv.ParseInt(a, 10, 64)
	y, err2 := strconv.ParseInt(b, 10, 64)
	if err1 == nil && err2 == nil {
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return strings.Compare(a, b)
}
