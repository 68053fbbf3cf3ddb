// Package osfp guesses the operating system of a scan's source from the
// SYN packets in its LOG lines (passive OS fingerprinting, psad's
// p0f/posf routines and a p0f v3 matcher).
//
// Three methods are offered:
//
//   - [PFDB]: psad's "p0f" method, matching SYNs with TCP options against
//     an OpenBSD pf.os (p0f v2) file with psad's own semantics (spec 11.2);
//   - [PosfDB]: psad's "posf" method for option-less SYNs, accumulating
//     LEN/TTL/WINDOW/ID per source against a posf file (spec 11.3);
//   - [P0F]: a p0f v3 (p0f.fp) matcher for SYN packets, fed only with what
//     a LOG line shows.
//
// All databases are read-only after loading and safe for concurrent use;
// per-source state ([PosfState]) belongs to the caller.
package osfp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// TCP option kinds (RFC 793, 1323, 2018, 7323).
const (
	OptEOL    byte = 0
	OptNOP    byte = 1
	OptMSS    byte = 2
	OptWS     byte = 3
	OptSACKOK byte = 4
	OptSACK   byte = 5
	OptTS     byte = 8
)

// Opt is one decoded TCP option. Len is the option's length byte (1 for
// EOL and NOP, 0 when the option was cut off before its length byte). Val
// is the MSS, the window-scale shift or the timestamp's TSval; 0 for the
// other kinds.
type Opt struct {
	Kind byte
	Len  int
	Val  uint64
}

// TCPOptions is a decoded TCP options field.
type TCPOptions struct {
	List   []Opt
	MSS    int // -1 if absent
	WScale int // -1 if absent
	SACKOK bool
	TS     bool // a timestamp option was present; TSval and TSecr are valid
	TSval  uint32
	TSecr  uint32
	// EOLPad is the number of bytes after an EOL option (p0f's "eol+N").
	EOLPad int
	// Layout is the p0f v3 olayout text, e.g. "mss,sok,ts,nop,ws".
	Layout string
	// Quirks holds the option quirks p0f v3 knows: QuirkOptPlus,
	// QuirkExWS, QuirkBad, QuirkTS1Zero and QuirkTS2Plus (the last
	// regardless of the packet's flags; p0f counts it on SYNs only).
	Quirks Quirk
}

// Errors of DecodeOptions; they are wrapped with the option text and the
// byte offset.
var (
	ErrOddLength = errors.New("odd number of hex digits")
	ErrNotHex    = errors.New("not a hex digit")
	ErrTruncated = errors.New("option runs past the end")
	ErrBadLength = errors.New("length byte below 2")
	ErrTooMany   = errors.New("more than 40 options")
)

// maxOpts bounds the options kept: a TCP header carries at most 40
// option bytes, so a real packet never has more.
const maxOpts = 40

// optScan is the allocation-free decoding of an options field that
// DecodeOptions and the p0f v3 matcher share.
type optScan struct {
	opts   [maxOpts]Opt
	n      int
	mss    int
	ws     int
	sackOK bool
	ts     bool
	tsval  uint32
	tsecr  uint32
	eolPad int
	quirks Quirk
	errAt  int // byte offset of the error
}

var hexTab = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = int8(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = int8(c - 'a' + 10)
		t[c-'a'+'A'] = int8(c - 'a' + 10)
	}
	return t
}()

// hexByte returns byte i of a validated hex string.
func hexByte(h []byte, i int) byte {
	return byte(hexTab[h[2*i]])<<4 | byte(hexTab[h[2*i+1]])
}

func validHex(h []byte) int {
	for i, c := range h {
		if hexTab[c] < 0 {
			return i
		}
	}
	return -1
}

func (s *optScan) add(kind byte, l int, val uint64) {
	s.opts[s.n] = Opt{Kind: kind, Len: l, Val: val}
	s.n++
}

// decode walks the options the way p0f v3 does, except that an option of
// a known kind with an unexpected length is skipped by its own length
// byte (TLV) rather than by the kind's fixed size; either way it is
// marked QuirkBad. On error the options before the broken one, and the
// broken one's kind, are kept, and QuirkBad is set.
func (s *optScan) decode(h []byte) error {
	s.n, s.mss, s.ws, s.sackOK, s.ts, s.tsval, s.tsecr, s.eolPad, s.quirks, s.errAt =
		0, -1, -1, false, false, 0, 0, 0, 0, 0
	if i := validHex(h); i >= 0 {
		s.quirks |= QuirkBad
		s.errAt = i / 2
		return ErrNotHex
	}
	if len(h)%2 != 0 {
		s.quirks |= QuirkBad
		s.errAt = len(h) / 2
		return ErrOddLength
	}
	n := len(h) / 2
	for k := 0; k < n; {
		if s.n == maxOpts {
			s.quirks |= QuirkBad
			s.errAt = k
			return ErrTooMany
		}
		kind := hexByte(h, k)
		switch kind {
		case OptEOL:
			s.add(kind, 1, 0)
			s.eolPad = n - k - 1
			for j := k + 1; j < n; j++ {
				if hexByte(h, j) != 0 {
					s.quirks |= QuirkOptPlus
					break
				}
			}
			return nil
		case OptNOP:
			s.add(kind, 1, 0)
			k++
			continue
		}
		if k+1 >= n {
			s.add(kind, 0, 0)
			s.quirks |= QuirkBad
			s.errAt = k
			return ErrTruncated
		}
		l := int(hexByte(h, k+1))
		if l < 2 {
			s.add(kind, l, 0)
			s.quirks |= QuirkBad
			s.errAt = k
			return ErrBadLength
		}
		if k+l > n {
			s.add(kind, l, 0)
			s.quirks |= QuirkBad
			s.errAt = k
			return ErrTruncated
		}
		var val uint64
		switch kind {
		case OptMSS:
			if l != 4 {
				s.quirks |= QuirkBad
				break
			}
			val = uint64(hexByte(h, k+2))<<8 | uint64(hexByte(h, k+3))
			s.mss = int(val)
		case OptWS:
			if l != 3 {
				s.quirks |= QuirkBad
				break
			}
			val = uint64(hexByte(h, k+2))
			s.ws = int(val)
			if val > 14 {
				s.quirks |= QuirkExWS
			}
		case OptSACKOK:
			if l != 2 {
				s.quirks |= QuirkBad
			}
			s.sackOK = true
		case OptSACK:
			// p0f's sanity check: 1 to 4 blocks of 8 bytes.
			if l < 10 || l > 34 || (l-2)%8 != 0 {
				s.quirks |= QuirkBad
			}
		case OptTS:
			if l != 10 {
				s.quirks |= QuirkBad
				break
			}
			for j := 0; j < 4; j++ {
				s.tsval = s.tsval<<8 | uint32(hexByte(h, k+2+j))
				s.tsecr = s.tsecr<<8 | uint32(hexByte(h, k+6+j))
			}
			s.ts = true
			val = uint64(s.tsval)
			if s.tsval == 0 {
				s.quirks |= QuirkTS1Zero
			}
			if s.tsecr != 0 {
				s.quirks |= QuirkTS2Plus
			}
		}
		s.add(kind, l, val)
		k += l
	}
	return nil
}

// DecodeOptions decodes the hex text of a LOG line's TCP "OPT (...)"
// field. An empty text gives no options and no error. Odd length, a
// non-hex digit, an option cut off by the end of the field, a length
// byte of 0 or 1, or more than 40 options are errors; the options read
// before the fault are still returned, with QuirkBad set. Options of a
// known kind with a wrong length (an MSS of length 6, say) are not errors
// but set QuirkBad.
func DecodeOptions(hex []byte) (TCPOptions, error) {
	var s optScan
	err := s.decode(hex)
	o := TCPOptions{
		MSS: s.mss, WScale: s.ws, SACKOK: s.sackOK, TS: s.ts,
		TSval: s.tsval, TSecr: s.tsecr, EOLPad: s.eolPad, Quirks: s.quirks,
	}
	if s.n > 0 {
		o.List = append([]Opt(nil), s.opts[:s.n]...)
		var b strings.Builder
		for i, op := range o.List {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(layoutName(op.Kind, s.eolPad))
		}
		o.Layout = b.String()
	}
	if err != nil {
		return o, fmt.Errorf("tcp options %q: %w at byte %d", hex, err, s.errAt)
	}
	return o, nil
}

// layoutName is p0f v3's olayout word for an option kind.
func layoutName(kind byte, eolPad int) string {
	switch kind {
	case OptEOL:
		return "eol+" + strconv.Itoa(eolPad)
	case OptNOP:
		return "nop"
	case OptMSS:
		return "mss"
	case OptWS:
		return "ws"
	case OptSACKOK:
		return "sok"
	case OptSACK:
		return "sack"
	case OptTS:
		return "ts"
	}
	return "?" + strconv.Itoa(int(kind))
}

// psadOpt is one entry of psad's option list: Kind is the letter psad's
// pf.os matching uses (N, M, W, S or T).
type psadOpt struct {
	kind byte
	val  uint64
}

// psadDecode reproduces psad's parse_tcp_options (spec 11.1), appending
// to dst. Its stepping is psad's: a final single byte is never decoded,
// a NOP steps one byte, every other kind steps by its length byte, EOL
// stops, a length byte of 0 or 1 empties the whole list, and option kinds
// other than NOP, MSS, WS, SACK-permitted and timestamp add nothing.
// Values are the big-endian bytes from offset 2 up to the length (for
// the timestamp, up to the length minus 4: TSval), bytes past the end of
// the field counting as absent. Text that psad would not get from a LOG
// line (odd length, non-hex digits) gives an empty list.
func psadDecode(h []byte, dst []psadOpt) []psadOpt {
	base := len(dst)
	if len(h) == 0 || len(h)%2 != 0 || validHex(h) >= 0 {
		return dst
	}
	n := len(h) / 2
	// psad gives up after (hex digits - 1) iterations; as every
	// iteration consumes a byte this never triggers, but it is cheap.
	maxAttempts := len(h) - 1
	attempts := 0
	for k := 0; k < n; {
		attempts++
		if attempts > maxAttempts {
			return dst[:base]
		}
		if k+1 >= n {
			break
		}
		kind := hexByte(h, k)
		l := int(hexByte(h, k+1))
		switch kind {
		case OptNOP:
			dst = append(dst, psadOpt{'N', 0})
			k++
			continue
		case OptEOL:
			return dst
		case OptMSS:
			dst = append(dst, psadOpt{'M', beValue(h, n, k+2, k+l)})
		case OptWS:
			dst = append(dst, psadOpt{'W', beValue(h, n, k+2, k+l)})
		case OptSACKOK:
			dst = append(dst, psadOpt{'S', 0})
		case OptTS:
			dst = append(dst, psadOpt{'T', beValue(h, n, k+2, k+l-4)})
		}
		if l == 0 || l == 1 {
			// psad also syslogs "broken <len>-byte len field within
			// TCP options string"; the caller may do so.
			return dst[:base]
		}
		k += l
	}
	return dst
}

// beValue is psad's hex() of the concatenated bytes from..to-1 that
// exist; a value beyond 64 bits saturates (Perl would return an
// approximate float, equally unequal to any signature value).
func beValue(h []byte, n, from, to int) uint64 {
	var v uint64
	for i := from; i < to && i < n; i++ {
		if v > 1<<56-1 {
			return ^uint64(0)
		}
		v = v<<8 | uint64(hexByte(h, i))
	}
	return v
}

// PsadOptionList returns psad's decoding of an "OPT (...)" hex text as
// psad's debug output names it: "M<mss>", "N", "W<shift>", "S", "T<tsval>".
// For example "020405B40402080A000000000000000001030307" gives
// ["M1460" "S" "T0" "N" "W7"]. The list is empty where psad's is, for a
// 0- or 1-byte length field among them.
func PsadOptionList(hex []byte) []string {
	var buf [maxOpts]psadOpt
	l := psadDecode(hex, buf[:0])
	out := make([]string, 0, len(l))
	for _, o := range l {
		switch o.kind {
		case 'N', 'S':
			out = append(out, string(o.kind))
		default:
			out = append(out, string(o.kind)+strconv.FormatUint(o.val, 10))
		}
	}
	return out
}
