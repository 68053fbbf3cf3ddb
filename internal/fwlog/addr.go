package fwlog

import "net/netip"

const hexDigits = "0123456789abcdef"

// AppendAddr appends a as psad prints it: IPv4 dotted quad, IPv6 in the
// kernel's full form (eight groups of four lower-case hex digits), which is
// how psad keeps addresses because it never re-formats what was logged.
func AppendAddr(dst []byte, a netip.Addr) []byte {
	if !a.Is6() {
		return a.AppendTo(dst)
	}
	b := a.As16()
	for i := 0; i < 16; i += 2 {
		if i > 0 {
			dst = append(dst, ':')
		}
		dst = append(dst, hexDigits[b[i]>>4], hexDigits[b[i]&15], hexDigits[b[i+1]>>4], hexDigits[b[i+1]&15])
	}
	return dst
}

// AddrString is AppendAddr for callers that need a string.
func AddrString(a netip.Addr) string {
	var buf [39]byte
	return string(AppendAddr(buf[:0], a))
}

// AddrStrings returns the printed forms of n addresses (at(i) for each
// i), all cut from one string: sorting a report's hundreds of thousands
// of sources, or a scanner's destinations, by their printed form then
// costs four allocations instead of one per address.
func AddrStrings(n int, at func(int) netip.Addr) []string {
	buf := make([]byte, 0, 16*n)
	ends := make([]int, n)
	for i := range n {
		buf = AppendAddr(buf, at(i))
		ends[i] = len(buf)
	}
	all := string(buf)
	out := make([]string, n)
	start := 0
	for i, end := range ends {
		out[i] = all[start:end]
		start = end
	}
	return out
}
