package fwlog

// KernelTagged reports whether the syslog tag of line is one of tags
// (compared without the tag's trailing colon). The tag is the fifth field
// of a classic header ("Mon DD HH:MM:SS host tag: ...") and the third of
// one that starts with a digit, an ISO 8601 time ("<time> host tag: ...").
//
// A line read from a log file that looks like a firewall record
// ([HasInOut]) but whose tag is not the kernel's was written by a program
// (logger(1), an application logging user input), not by netfilter: the
// file reader drops it rather than let anyone who can write to syslog
// make psad see, and perhaps block, any address. The syslog listener makes
// the same check on the parsed message (package syslogd); journald and
// /dev/kmsg records carry their origin and need none.
//
// Fields are separated by runs of ASCII white space, as strings.Fields
// would split them, but the line is read in place: KernelTagged runs on
// every line of the followed file and does not allocate.
func KernelTagged(line []byte, tags [][]byte) bool {
	i := skipSpace(line, 0)
	want := 4
	if i < len(line) && isDigit(line[i]) {
		want = 2
	}
	for n := 0; n < want; n++ {
		i = skipSpace(line, fieldEnd(line, i))
	}
	if i == len(line) {
		return false // fewer fields than a header has
	}
	tag := line[i:fieldEnd(line, i)]
	if n := len(tag); tag[n-1] == ':' {
		tag = tag[:n-1]
	}
	for _, t := range tags {
		if string(tag) == string(t) {
			return true
		}
	}
	return false
}

// isSpace reports whether c is ASCII white space, the set strings.Fields
// splits on below 0x80.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// fieldEnd returns the index of the first white space at or after i, or
// len(b).
func fieldEnd(b []byte, i int) int {
	for i < len(b) && !isSpace(b[i]) {
		i++
	}
	return i
}
