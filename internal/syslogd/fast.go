package syslogd

import "time"

// fastRecord reads the shape nearly every firewall relays its kernel
// messages in, RFC 3164 with the classic stamp and printable ASCII,
//
//	<4>Mar  1 20:35:11 fw kernel: DROP IN=eth0 OUT= SRC=...
//	<4>Mar 01 20:35:11 fw kernel[0]: DROP ...
//
// without go-syslog's machine, which took 1.1-1.4 us and 6 allocations a
// message (with the line written): the listener's one hot path. host, tag
// and msg point into b. ok is false for anything else, which parse then
// reads with go-syslog; where ok is true the result is go-syslog's
// (FuzzFastRecord checks both readings against each other).
func fastRecord(b []byte) (ts time.Time, host, tag, msg []byte, ok bool) {
	// <PRI>: 0-191, no leading zero.
	if len(b) < 4 || b[0] != '<' {
		return
	}
	i, pri := 1, 0
	for i < len(b) && i <= 3 && isDigit(b[i]) {
		pri = pri*10 + int(b[i]-'0')
		i++
	}
	if i == 1 || i >= len(b) || b[i] != '>' || pri > 191 || b[1] == '0' && i > 2 {
		return
	}
	b = b[i+1:]
	// "Mmm dd hh:mm:ss " with a day of " d", "dd" or "0d".
	if len(b) < 16 || b[3] != ' ' || b[6] != ' ' || b[9] != ':' || b[12] != ':' || b[15] != ' ' {
		return
	}
	month := monthOf(b[:3])
	d1, d2 := b[4], b[5]
	if month == 0 || !isDigit(d2) || !(d1 == ' ' || isDigit(d1)) {
		return
	}
	day := int(d2 - '0')
	if d1 != ' ' {
		day += 10 * int(d1-'0')
	}
	hh, ok1 := two(b[7:9])
	mm, ok2 := two(b[10:12])
	ss, ok3 := two(b[13:15])
	if !ok1 || !ok2 || !ok3 || hh > 23 || mm > 59 || ss > 59 || day < 1 || day > daysIn(month) {
		return
	}
	ts = time.Date(0, month, day, hh, mm, ss, 0, time.UTC)
	b = b[16:]
	// HOST: a name or IPv4 address (letters, digits, '.', '-', '_'; at
	// most 255) up to one blank; others (IPv6, odd characters) go to the
	// machine.
	j := 0
	for j < len(b) && isTagByte(b[j]) {
		j++
	}
	if j == 0 || j > 255 || j >= len(b) || b[j] != ' ' || j == 1 && b[0] == '-' { // "-": no host
		return
	}
	host, b = b[:j], b[j+1:]
	// TAG: letters, digits, '_', '-', '.', at most 32; then ":" or
	// "[digits]:", and one blank.
	j = 0
	for j < len(b) && j <= 32 && isTagByte(b[j]) {
		j++
	}
	if j == 0 || j > 32 || j >= len(b) {
		return
	}
	tag = b[:j]
	if j == 1 && tag[0] == '-' { // "-": no tag
		return
	}
	k := j
	if b[k] == '[' {
		k++
		start := k
		for k < len(b) && isDigit(b[k]) {
			k++
		}
		if k == start || k >= len(b) || b[k] != ']' {
			return
		}
		k++
	}
	if k+1 >= len(b) || b[k] != ':' || b[k+1] != ' ' {
		return
	}
	msg = b[k+2:]
	// MSG: printable ASCII, starting with neither blank nor ':'.
	if len(msg) == 0 || msg[0] == ' ' {
		return
	}
	for _, c := range msg {
		if c < ' ' || c >= 0x7f {
			return
		}
	}
	return ts, host, tag, msg, true
}

func monthOf(b []byte) time.Month {
	for m, name := range [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"} {
		if string(b) == name {
			return time.Month(m + 1)
		}
	}
	return 0
}

// daysIn is the month's length in year 0, a leap year, where go-syslog
// puts the stamp.
func daysIn(m time.Month) int {
	return time.Date(0, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func two(b []byte) (int, bool) {
	if !isDigit(b[0]) || !isDigit(b[1]) {
		return 0, false
	}
	return int(b[0]-'0')*10 + int(b[1]-'0'), true
}

func isTagByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || isDigit(c) || c == '_' || c == '-' || c == '.'
}
