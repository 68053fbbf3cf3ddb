package psaddir

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/scan"
)

// binaryTag starts a record in the binary form below. The two earlier
// forms, a gob value after the saved primer (recordTag) and a whole gob
// stream (a non-zero length byte far above binaryTag), are still read.
//
// The binary form exists for the flood: a one-packet source is about 70
// bytes in it, a third of the gob value, and it is written by appending
// to one buffer, so the daemon can take a snapshot of a hundred thousand
// changed sources on its loop without a hundred thousand exported
// structs and gob buffers alive at once.
const binaryTag = 1

// Layout, after the tag: address length (0, 4 or 16) and address bytes,
// which are the record's key in the store; then unsigned varints for
// counts and numbers, zig-zag varints for numbers that may be negative,
// length-prefixed strings and time.Time's own binary form.

// AppendSource appends st's record to buf. It does no I/O, so the daemon
// calls it on its loop; it is safe to call concurrently with Save.
func (s *Store) AppendSource(buf []byte, st *scan.SourceState) ([]byte, error) {
	return appendSource(buf, st)
}

func appendSource(b []byte, st *scan.SourceState) ([]byte, error) {
	if !st.Addr.IsValid() {
		// Keyed by address: an invalid one would be a key that collides
		// with every other invalid one.
		return b, errors.New("source without an address")
	}
	b = append(b, binaryTag)
	b = appendAddr(b, st.Addr)
	b = binary.AppendVarint(b, int64(st.DL))
	b = binary.AppendVarint(b, st.Packets)
	b = binary.AppendVarint(b, st.SigCount)
	b = append(b, flags(st.Local, st.AutoDL))
	b = binary.AppendUvarint(b, uint64(len(st.OSGuesses)))
	for _, g := range st.OSGuesses {
		b = appendString(b, g)
	}
	b = appendString(b, st.PosfGuess)
	b = binary.AppendUvarint(b, uint64(len(st.SigIDs)))
	for _, id := range st.SigIDs {
		b = binary.AppendVarint(b, int64(id))
	}
	var err error
	if b, err = appendTime(b, st.LastSeen); err != nil {
		return b, fmt.Errorf("source %s: last seen: %w", st.Addr, err)
	}
	b = binary.AppendUvarint(b, uint64(len(st.Pairs)))
	for i := range st.Pairs {
		p := &st.Pairs[i]
		b = appendAddr(b, p.Dst)
		if b, err = appendTime(b, p.Start); err != nil {
			return b, fmt.Errorf("source %s: pair %s: %w", st.Addr, p.Dst, err)
		}
		b = binary.AppendVarint(b, int64(p.AbsNum))
		for _, w := range p.Protos {
			b = binary.AppendUvarint(b, w)
		}
		b = binary.AppendUvarint(b, uint64(len(p.Chains)))
		for _, c := range p.Chains {
			b = append(b, byte(c.Chain), c.Proto)
			b = appendString(b, c.Intf)
			b = binary.AppendVarint(b, int64(c.Pkts))
		}
		for _, r := range p.Ranges {
			b = append(b, flags(r.Seen, false))
			b = binary.AppendVarint(b, int64(r.Lo))
			b = binary.AppendVarint(b, int64(r.Hi))
		}
		b = binary.AppendUvarint(b, uint64(len(p.Sigs)))
		for _, g := range p.Sigs {
			b = binary.AppendVarint(b, int64(g.ID))
			b = appendString(b, g.Proto)
			b = append(b, byte(g.Chain), flags(g.Fwsnort, g.Estab))
			b = binary.AppendVarint(b, int64(g.Pkts))
			b = binary.AppendVarint(b, int64(g.DP))
			b = appendString(b, g.Flags)
			b = binary.AppendVarint(b, int64(g.Rule))
		}
		b = binary.AppendUvarint(b, uint64(len(p.ICMP)))
		for _, c := range p.ICMP {
			b = append(b, flags(c.V6, false), byte(c.Chain))
			b = binary.AppendVarint(b, int64(c.Type))
			b = binary.AppendVarint(b, int64(c.Code))
			b = binary.AppendVarint(b, int64(c.Pkts))
		}
		b = append(b, flags(p.PortSweep, p.Local))
		for _, n := range [...]int{p.ToperaPkts, p.MasscanPkts, p.MiraiPkts, p.Mirai23} {
			b = binary.AppendVarint(b, int64(n))
		}
	}
	return b, nil
}

// recordKey is the store key of a binary record: its address bytes.
func recordKey(rec []byte) ([]byte, error) {
	if len(rec) < 2 || rec[0] != binaryTag {
		return nil, errors.New("not a source record")
	}
	n := int(rec[1])
	if (n != 4 && n != 16) || len(rec) < 2+n {
		return nil, errors.New("source record without an address")
	}
	return rec[2 : 2+n], nil
}

func flags(a, b bool) byte {
	var f byte
	if a {
		f |= 1
	}
	if b {
		f |= 2
	}
	return f
}

func appendAddr(b []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(b, 0)
	}
	if a.Is4() {
		v := a.As4()
		return append(append(b, 4), v[:]...)
	}
	v := a.As16()
	return append(append(b, 16), v[:]...)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) ([]byte, error) {
	n := len(b)
	b = append(b, 0)
	b, err := t.AppendBinary(b)
	if err != nil {
		return b[:n], err
	}
	b[n] = byte(len(b) - n - 1)
	return b, nil
}

// reader decodes a binary record; the first error sticks and every later
// read returns zero values, so decodeBinary checks once at the end.
type reader struct {
	b   []byte
	err error
}

var (
	errShort = errors.New("record ends early")
	errPort  = errors.New("port out of range")
)

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.fail(errShort)
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || len(r.b) < n {
		r.fail(errShort)
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) int() int { return int(r.int64()) }

// int64 reads a varint as written by binary.AppendVarint: the packet
// counts, which outgrow a 32-bit int on a long-running daemon.
func (r *reader) int64() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(errShort)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// port reads a destination port, which must be 0-65535.
func (r *reader) port() uint16 {
	v := r.int()
	if v < 0 || v > 65535 {
		r.fail(errPort)
		return 0
	}
	return uint16(v)
}

func (r *reader) uint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(errShort)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a slice length, refusing one the rest of the record cannot
// hold (each element is at least a byte), so a damaged record cannot make
// Load allocate without bound.
func (r *reader) count() int {
	v := r.uint()
	if v > uint64(len(r.b)) {
		r.fail(fmt.Errorf("count %d beyond the record's %d bytes", v, len(r.b)))
		return 0
	}
	return int(v)
}

func (r *reader) string() string { return string(r.bytes(r.count())) }

func (r *reader) addr() netip.Addr {
	switch n := int(r.byte()); n {
	case 0:
		return netip.Addr{}
	case 4, 16:
		a, _ := netip.AddrFromSlice(r.bytes(n)) // invalid when short; r.err says why
		return a
	default:
		r.fail(fmt.Errorf("address of %d bytes", n))
		return netip.Addr{}
	}
}

func (r *reader) time() time.Time {
	var t time.Time
	if v := r.bytes(int(r.byte())); r.err == nil {
		if err := t.UnmarshalBinary(v); err != nil {
			r.fail(err)
		}
	}
	return t
}

func (r *reader) flags() (bool, bool) {
	f := r.byte()
	return f&1 != 0, f&2 != 0
}

func decodeBinary(v []byte, st *scan.SourceState) error {
	r := &reader{b: v}
	if r.byte() != binaryTag {
		return errors.New("not a binary source record")
	}
	st.Addr = r.addr()
	st.DL, st.Packets, st.SigCount = r.int(), r.int64(), r.int64()
	st.Local, st.AutoDL = r.flags()
	if n := r.count(); n > 0 {
		st.OSGuesses = make([]string, n)
		for i := range st.OSGuesses {
			st.OSGuesses[i] = r.string()
		}
	}
	st.PosfGuess = r.string()
	if n := r.count(); n > 0 {
		st.SigIDs = make([]int, n)
		for i := range st.SigIDs {
			st.SigIDs[i] = r.int()
		}
	}
	st.LastSeen = r.time()
	if n := r.count(); n > 0 {
		st.Pairs = make([]scan.PairState, n)
	}
	for i := range st.Pairs {
		p := &st.Pairs[i]
		p.Dst = r.addr()
		p.Start = r.time()
		p.AbsNum = r.int()
		for j := range p.Protos {
			p.Protos[j] = r.uint()
		}
		if n := r.count(); n > 0 {
			p.Chains = make([]scan.ChainCount, n)
		}
		for j := range p.Chains {
			c := &p.Chains[j]
			c.Chain, c.Proto = fwlog.Chain(r.byte()), r.byte()
			c.Intf = r.string()
			c.Pkts = scan.Count32(r.int())
		}
		for j := range p.Ranges {
			g := &p.Ranges[j]
			g.Seen, _ = r.flags()
			g.Lo, g.Hi = r.port(), r.port()
		}
		if n := r.count(); n > 0 {
			p.Sigs = make([]scan.SigRecord, n)
		}
		for j := range p.Sigs {
			g := &p.Sigs[j]
			g.ID = r.int()
			g.Proto = r.string()
			g.Chain = fwlog.Chain(r.byte())
			g.Fwsnort, g.Estab = r.flags()
			g.Pkts, g.DP = r.int(), r.int()
			g.Flags = r.string()
			g.Rule = r.int()
		}
		if n := r.count(); n > 0 {
			p.ICMP = make([]scan.ICMPRecord, n)
		}
		for j := range p.ICMP {
			c := &p.ICMP[j]
			c.V6, _ = r.flags()
			c.Chain = fwlog.Chain(r.byte())
			c.Type, c.Code, c.Pkts = r.int(), r.int(), r.int()
		}
		p.PortSweep, p.Local = r.flags()
		p.ToperaPkts, p.MasscanPkts, p.MiraiPkts, p.Mirai23 = r.int(), r.int(), r.int(), r.int()
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%d bytes after the record", len(r.b))
	}
	return r.err
}
