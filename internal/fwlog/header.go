package fwlog

import "time"

// parseHeader recognises the syslog header forms psad meets and sets
// p.Timestamp and p.Host. It returns the offset where the message (the
// text that holds the log prefix) starts. Recognised forms (psad 3.2 plus
// the forms psad cannot read):
//
//	Mar  1 20:35:11 host kernel: ...              classic syslog
//	Mar 07 05:09:30.123456 host kernel: ...       journalctl -o short-precise
//	2015-03-07T05:09:30.045015+02:00 host kernel: RFC 3339 (also +0200, Z, no zone, no fraction)
//	<4>1 2015-03-07T05:09:30Z host kernel - - - … RFC 5424
//	<4>Mar  1 20:35:11 host kernel: ...           leading syslog priority
//	[12345.678] ...                               dmesg: no header
//
// A timestamp and host without a "kernel:" tag (ulogd's LOGEMU output)
// still count as a header; the message then starts after the host. Host is
// only set together with Timestamp, which keeps AppendLine's output
// re-parseable.
func parseHeader(line []byte, p *Packet) int {
	i := skipBlanks(line, 0)
	pri := false
	if i < len(line) && line[i] == '<' {
		j := i + 1
		for j < len(line) && j-i <= 3 && isDigit(line[j]) {
			j++
		}
		if j > i+1 && j < len(line) && line[j] == '>' {
			i = j + 1
			pri = true
		}
	}
	if pri && i+1 < len(line) && line[i] == '1' && line[i+1] == ' ' {
		if m, ok := parseRFC5424(line, i+2, p); ok {
			return m
		}
	}
	end := isoEnd(line, i)
	if end < 0 {
		end = classicEnd(line, i)
	}
	if end < 0 || end == len(line) || !isBlank(line[end]) {
		return i
	}
	p.Timestamp = line[i:end]
	j := skipBlanks(line, end)
	k := tokenEnd(line, j)
	tok := line[j:k]
	if string(tok) == "kernel:" {
		return k
	}
	if len(tok) == 0 || k == len(line) || hasByte(tok, '=') {
		// No host: the token is already the message (e.g. "IN=eth0").
		return j
	}
	p.Host = tok
	j = skipBlanks(line, k)
	if hasPrefix(line[j:], "kernel:") {
		return j + len("kernel:")
	}
	return j
}

// parseRFC5424 reads "TIMESTAMP HOST APP PROCID MSGID SD MSG" starting at
// i (after "<pri>1 ").
func parseRFC5424(line []byte, i int, p *Packet) (int, bool) {
	var tok [5][]byte
	for n := range tok {
		i = skipBlanks(line, i)
		k := tokenEnd(line, i)
		if k == i || k == len(line) {
			return 0, false
		}
		tok[n] = line[i:k]
		i = k
	}
	i = skipBlanks(line, i)
	switch {
	case i < len(line) && line[i] == '[':
		if i = sdEnd(line, i); i < 0 {
			return 0, false
		}
	case i < len(line) && line[i] == '-':
		i++
	default:
		return 0, false
	}
	if ts := tok[0]; isoEnd(ts, 0) == len(ts) {
		p.Timestamp = ts
		if h := tok[1]; string(h) != "-" {
			p.Host = h
		}
	}
	i = skipBlanks(line, i)
	if hasPrefix(line[i:], "\xef\xbb\xbf") { // UTF-8 BOM allowed before MSG
		i += 3
	}
	return i, true
}

// sdEnd returns the end of RFC 5424 structured data starting at i: one or
// more [id k="v" ...] elements whose quoted values may hold blanks, ']'
// and escaped quotes. It returns -1 when the data is not closed.
func sdEnd(line []byte, i int) int {
	inQuote := false
	for ; i < len(line); i++ {
		c := line[i]
		switch {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == ']' && (i+1 == len(line) || line[i+1] != '['):
			return i + 1
		}
	}
	return -1
}

// isoEnd returns the end of an RFC 3339 timestamp starting at i
// (YYYY-MM-DDTHH:MM:SS[.frac][Z|±HH:MM|±HHMM]), or -1. The fraction and
// zone are optional, unlike in psad's pattern.
func isoEnd(b []byte, i int) int {
	const shape = "dddd-dd-ddTdd:dd:dd"
	if len(b)-i < len(shape) {
		return -1
	}
	for k := 0; k < len(shape); k++ {
		c := b[i+k]
		if shape[k] == 'd' {
			if !isDigit(c) {
				return -1
			}
		} else if c != shape[k] {
			return -1
		}
	}
	i += len(shape)
	if i < len(b) && b[i] == '.' {
		j := i + 1
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) {
		switch b[i] {
		case 'Z':
			i++
		case '+', '-':
			if len(b)-i >= 6 && digits2(b, i+1) && b[i+3] == ':' && digits2(b, i+4) {
				i += 6
			} else if len(b)-i >= 5 && digits2(b, i+1) && digits2(b, i+3) {
				i += 5
			} else {
				return -1
			}
		}
	}
	return i
}

// monthIndex returns 0 for "Jan" ... 11 for "Dec", or -1.
func monthIndex(b []byte) int {
	if len(b) != 3 {
		return -1
	}
	switch string(b) {
	case "Jan":
		return 0
	case "Feb":
		return 1
	case "Mar":
		return 2
	case "Apr":
		return 3
	case "May":
		return 4
	case "Jun":
		return 5
	case "Jul":
		return 6
	case "Aug":
		return 7
	case "Sep":
		return 8
	case "Oct":
		return 9
	case "Nov":
		return 10
	case "Dec":
		return 11
	}
	return -1
}

// classicEnd returns the end of a BSD syslog timestamp "Mon D HH:MM:SS"
// (optionally with a fraction, as journalctl short-precise writes) starting
// at i, or -1.
func classicEnd(b []byte, i int) int {
	if len(b)-i < 3 || monthIndex(b[i:i+3]) < 0 {
		return -1
	}
	j := skipBlanks(b, i+3)
	if j == i+3 {
		return -1
	}
	d := j
	for j < len(b) && isDigit(b[j]) && j-d < 2 {
		j++
	}
	if j == d || j == len(b) || !isBlank(b[j]) {
		return -1
	}
	j = skipBlanks(b, j)
	if len(b)-j < 8 || !digits2(b, j) || b[j+2] != ':' || !digits2(b, j+3) || b[j+5] != ':' || !digits2(b, j+6) {
		return -1
	}
	j += 8
	if j < len(b) && b[j] == '.' {
		k := j + 1
		for k < len(b) && isDigit(b[k]) {
			k++
		}
		if k > j+1 {
			j = k
		}
	}
	return j
}

// yearGrace is how far a classic (year-less) timestamp may lie ahead of
// now and still be taken as this year. psad takes any future stamp as last
// year, but it also reads the local-time stamp as UTC, so east of
// Greenwich every fresh line would be "in the future"; a day covers every
// zone offset (at most 14h) plus clock skew between hosts.
const yearGrace = 24 * time.Hour

// ParseTime converts a Packet.Timestamp to a time. A classic stamp
// ("Mon D HH:MM:SS[.frac]") has no year and no zone: like psad it is read
// as UTC in now's year, and in the year before when that would put it more
// than a day after now (psad subtracts 356 days instead, a bug). RFC 3339
// stamps carry their own zone; without one they are read as UTC. The
// classic form does not allocate.
func ParseTime(ts []byte, now time.Time) (time.Time, bool) {
	if isoEnd(ts, 0) == len(ts) {
		return parseISO(ts)
	}
	if len(ts) == 0 || classicEnd(ts, 0) != len(ts) {
		return time.Time{}, false
	}
	mon := monthIndex(ts[:3]) + 1
	j := skipBlanks(ts, 3)
	day := 0
	for ; isDigit(ts[j]); j++ {
		day = day*10 + int(ts[j]-'0')
	}
	j = skipBlanks(ts, j)
	h, m, s := num2(ts, j), num2(ts, j+3), num2(ts, j+6)
	ns := fraction(ts[j+8:])
	if day < 1 || h > 23 || m > 59 || s > 59 {
		return time.Time{}, false
	}
	year := now.UTC().Year()
	// Step back while the date is in the future or does not exist (29
	// February needs a leap year; they can be eight years apart).
	for range 9 {
		t := time.Date(year, time.Month(mon), day, h, m, s, ns, time.UTC)
		if t.Day() == day && !t.After(now.Add(yearGrace)) {
			return t, true
		}
		year--
	}
	return time.Time{}, false
}

// parseISO parses a timestamp isoEnd accepted.
func parseISO(ts []byte) (time.Time, bool) {
	year := num2(ts, 0)*100 + num2(ts, 2)
	mon, day := num2(ts, 5), num2(ts, 8)
	h, m, s := num2(ts, 11), num2(ts, 14), num2(ts, 17)
	rest := ts[19:]
	ns := 0
	if len(rest) > 0 && rest[0] == '.' {
		k := 1
		for k < len(rest) && isDigit(rest[k]) {
			k++
		}
		ns = fraction(rest[:k])
		rest = rest[k:]
	}
	loc := time.UTC
	if len(rest) > 1 {
		off := (num2(rest, 1)*60 + num2(rest, len(rest)-2)) * 60
		if rest[0] == '-' {
			off = -off
		}
		if off != 0 {
			loc = time.FixedZone("", off)
		}
	}
	if mon < 1 || mon > 12 || day < 1 || h > 23 || m > 59 || s > 60 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(mon), day, h, m, s, ns, loc)
	if t.Day() != day {
		return time.Time{}, false
	}
	return t, true
}

// fraction turns ".123" into nanoseconds (digits past the ninth are
// dropped).
func fraction(b []byte) int {
	if len(b) < 2 || b[0] != '.' {
		return 0
	}
	ns, n := 0, 0
	for _, c := range b[1:] {
		if !isDigit(c) || n == 9 {
			break
		}
		ns = ns*10 + int(c-'0')
		n++
	}
	for ; n < 9; n++ {
		ns *= 10
	}
	return ns
}

func digits2(b []byte, i int) bool { return isDigit(b[i]) && isDigit(b[i+1]) }

func num2(b []byte, i int) int { return int(b[i]-'0')*10 + int(b[i+1]-'0') }
