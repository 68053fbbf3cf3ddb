package osfp

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"

	"github.com/psadgo/psad/internal/fwlog"
)

// PosfDB is a posf file (POSF_FILE) as psad's import_posf_sigs reads it.
// It is read-only after loading and safe for concurrent use.
type PosfDB struct {
	recs     []posfRec
	warnings []string
	lenBit   map[int]int // LEN value -> bit in PosfState.seen
	winBit   map[int]int // WINDOW value -> bit
	bits     int
	// minPkts is the fewest packets any record needs: below it no
	// record can match, and a busy log's sources mostly send one SYN.
	minPkts uint64
}

type posfRec struct {
	os      string
	numpkts uint64
	ttl     int64
	random  bool // ID RANDOM; else SMALLINCR
	lenBit  int  // -1: no packet can show this LEN
	winBit  int

	// set while parsing
	has    [6]bool // numpkts, tos, len, ttl, id, win
	len    string
	win    string
	id     string
	ttlStr string
	npStr  string
}

// The field patterns of import_posf_sigs; each needs its ';'.
var (
	posfOS      = regexp.MustCompile(`^\s*OS\s+(.*);`)
	posfNumpkts = regexp.MustCompile(`^\s*NUMPKTS\s+(\d+);`)
	posfTOS     = regexp.MustCompile(`^\s*TOS\s+(\w+);`)
	posfLen     = regexp.MustCompile(`^\s*LEN\s+(\d+);`)
	posfTTL     = regexp.MustCompile(`^\s*TTL\s+(\d+);`)
	posfID      = regexp.MustCompile(`^\s*ID\s+(\w+);`)
	posfWin     = regexp.MustCompile(`^\s*WINDOW\s+(\d+);`)
)

// posfTTLRange is psad's fixed $max_hops for posf (not MAX_HOPS).
const posfTTLRange = 20

// LoadPosf reads a posf file from path.
func LoadPosf(path string) (*PosfDB, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("posf: %w", err)
	}
	defer f.Close()
	return ParsePosf(f, path)
}

// ParsePosf reads a posf file from r; name is used in error messages and
// warnings. It reproduces psad's reader, quirks included: a field line is
// recognised only when it ends its value with ';' ("OS <name>;",
// "NUMPKTS <n>;", "TOS <word>;", "LEN <n>;", "TTL <n>;", "ID <word>;",
// "WINDOW <n>;"), a field goes to the record of the last recognised OS
// line (so the fields after an OS line without ';' overwrite the record
// before it, and fields before any OS line make a record named ""), and
// records with the same name merge. Records missing a field, or whose ID
// is not SMALLINCR or RANDOM, are dropped with the message psad syslogs
// (see Warnings). With psad's shipped file the HPUX and Nokia records do
// not exist and "Solaris 8" needs LEN 68, WINDOW 16384 and TTL 64.
// Only a read error is returned.
func ParsePosf(r io.Reader, name string) (*PosfDB, error) {
	db := &PosfDB{lenBit: map[int]int{}, winBit: map[int]int{}}
	index := map[string]int{}
	var recs []posfRec
	cur := "" // psad's $os: fields before any OS line go to record ""
	rec := func() *posfRec {
		i, ok := index[cur]
		if !ok {
			i = len(recs)
			index[cur] = i
			recs = append(recs, posfRec{os: cur})
		}
		return &recs[i]
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if isComment(line) {
			continue
		}
		if m := posfOS.FindStringSubmatch(line); m != nil {
			cur = m[1]
		} else if m := posfNumpkts.FindStringSubmatch(line); m != nil {
			r := rec()
			r.has[0], r.npStr = true, m[1]
		} else if m := posfTOS.FindStringSubmatch(line); m != nil {
			rec().has[1] = true // psad keeps TOS but never compares it
		} else if m := posfLen.FindStringSubmatch(line); m != nil {
			r := rec()
			r.has[2], r.len = true, m[1]
		} else if m := posfTTL.FindStringSubmatch(line); m != nil {
			r := rec()
			r.has[3], r.ttlStr = true, m[1]
		} else if m := posfID.FindStringSubmatch(line); m != nil {
			r := rec()
			r.has[4], r.id = true, m[1]
		} else if m := posfWin.FindStringSubmatch(line); m != nil {
			r := rec()
			r.has[5], r.win = true, m[1]
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("posf: reading %s: %w", name, err)
	}
	fields := [6]string{"NUMPKTS", "TOS", "LEN", "TTL", "ID", "WINDOW"}
RECORDS:
	for _, r := range recs {
		for f, ok := range r.has {
			if !ok {
				db.warnings = append(db.warnings, fmt.Sprintf("%s: missing %s for os: %s", name, fields[f], r.os))
				continue RECORDS
			}
			if f == 4 && r.id != "SMALLINCR" && r.id != "RANDOM" {
				db.warnings = append(db.warnings, fmt.Sprintf("%s: ID must be either SMALLINCR or RANDOM for os: %s", name, r.os))
				continue RECORDS
			}
		}
		r.numpkts = digits(r.npStr)
		r.ttl = int64(min(digits(r.ttlStr), 1<<40))
		r.random = r.id == "RANDOM"
		r.lenBit = db.bit(db.lenBit, r.len)
		r.winBit = db.bit(db.winBit, r.win)
		if len(db.recs) == 0 || r.numpkts < db.minPkts {
			db.minPkts = r.numpkts
		}
		db.recs = append(db.recs, r)
	}
	return db, nil
}

// bit returns the state bit for a LEN or WINDOW value, or -1 when psad's
// hash lookup could never find it (leading zeros, out of range): the
// kernel prints these fields in canonical decimal.
func (db *PosfDB) bit(m map[int]int, v string) int {
	if len(v) > 5 || len(v) > 1 && v[0] == '0' {
		return -1
	}
	n := int(digits(v))
	if n > 65535 {
		return -1
	}
	b, ok := m[n]
	if !ok {
		b = db.bits
		db.bits++
		m[n] = b
	}
	return b
}

// Warnings returns the messages psad syslogs for dropped records, in
// file order.
func (db *PosfDB) Warnings() []string { return db.warnings }

// Len returns the number of usable records.
func (db *PosfDB) Len() int { return len(db.recs) }

// PosfState is what psad's posf method accumulates for one source: the
// packet count, the LEN and WINDOW values seen, the TTL range and whether
// the IP IDs so far rose by less than 1000 each time. TOS values, which
// psad collects but never compares, are not kept. The zero value is
// ready to use; a state belongs to one source and to one PosfDB (it
// starts over if used with another).
type PosfState struct {
	db    *PosfDB
	count uint64
	seen  []uint64
	// seen0 backs seen for files with at most 64 LEN and WINDOW values
	// (psad's has 13): a busy log has a state per source.
	seen0   [1]uint64
	minTTL  int
	maxTTL  int
	lastID  int
	random  bool
	guess   string
	guessed bool
}

// Guess returns the state's posf guess, if it has one.
func (st *PosfState) Guess() (string, bool) { return st.guess, st.guessed }

// Observe adds a packet to the source's state and returns the posf guess
// once there is one (psad's posf_ipv4). Only IPv4 TCP packets with SYN
// among their flags and no TCP options are used; other packets leave
// the state unchanged. Once a guess is made it is final and later
// packets are not accumulated, as psad stops calling posf for the
// source. psad also stops trying once the (source, destination) pair has
// 100 packets; that check is the caller's.
//
// After each packet the records are tried in file order (psad used hash
// order) and the first whose conditions all hold wins: at least NUMPKTS
// packets, the record's LEN and WINDOW among those seen, every TTL seen
// in (TTL-20, TTL], and the ID pattern equal: SMALLINCR when every IP ID
// rose by 1..999 over the one before, else RANDOM.
func (db *PosfDB) Observe(st *PosfState, p *fwlog.Packet) (guess string, ok bool) {
	if st.guessed {
		return st.guess, true
	}
	if !PosfUses(p) {
		return "", false
	}
	if st.db != db {
		*st = PosfState{db: db, minTTL: 256}
	}
	if w := (db.bits + 63) / 64; len(st.seen) < w {
		if w <= len(st.seen0) {
			st.seen = st.seen0[:w]
		} else {
			st.seen = make([]uint64, w)
		}
	}
	if b, ok := db.lenBit[p.IPLen]; ok {
		st.seen[b/64] |= 1 << (b % 64)
	}
	if b, ok := db.winBit[p.Window]; ok {
		st.seen[b/64] |= 1 << (b % 64)
	}
	st.minTTL, st.maxTTL = min(st.minTTL, p.TTL), max(st.maxTTL, p.TTL)
	if st.count > 0 && !(st.lastID < p.IPID && p.IPID-st.lastID < 1000) {
		st.random = true
	}
	st.lastID = p.IPID
	st.count++
	if st.count < db.minPkts {
		return "", false
	}
	for i := range db.recs {
		r := &db.recs[i]
		if st.count >= r.numpkts && st.has(r.lenBit) && st.has(r.winBit) &&
			int64(st.minTTL) > r.ttl-posfTTLRange && int64(st.maxTTL) <= r.ttl &&
			st.random == r.random {
			st.guess, st.guessed = r.os, true
			return r.os, true
		}
	}
	return "", false
}

// PosfUses reports whether Observe would count p: an IPv4 TCP packet
// with SYN set and no TCP options. A caller keeps no state for a source
// before one arrives.
func PosfUses(p *fwlog.Packet) bool {
	return !p.IPv6 && p.Proto == fwlog.ProtoTCP && p.Flags.Has(fwlog.FlagSYN) && len(p.TCPOpts) == 0
}

func (st *PosfState) has(b int) bool {
	return b >= 0 && st.seen[b/64]&(1<<(b%64)) != 0
}
