package osfp

import (
	"slices"
	"strings"
	"testing"
)

const psadPosf = "/etc/psad/posf"

// seq feeds option-less SYNs with the given IP IDs and returns the guess
// after each packet ("" for none).
func seq(t *testing.T, db *PosfDB, st *PosfState, base pkt, ids ...int) []string {
	t.Helper()
	var out []string
	for _, id := range ids {
		p := base
		p.id = id
		g, ok := db.Observe(st, p.packet(t))
		if !ok {
			g = "-"
		}
		out = append(out, g)
	}
	return out
}

// TestPosfPsadFile reproduces spec 11.3's verified examples with psad's
// shipped posf file, including its "Solaris 8" quirk.
func TestPosfPsadFile(t *testing.T) {
	skipUnless(t, psadPosf)
	db, err := LoadPosf(psadPosf)
	if err != nil {
		t.Fatal(err)
	}
	if db.Len() != 8 || len(db.Warnings()) != 0 {
		t.Errorf("Len = %d, warnings %q; want 8 records, none dropped", db.Len(), db.Warnings())
	}
	for _, tc := range []struct {
		name string
		p    pkt
		ids  []int
		want []string
	}{
		{"windows xp/2000", pkt{len: 48, ttl: 120, win: 16384}, []int{100, 101, 102},
			[]string{"-", "-", "Windows XP/2000"}},
		{"random ids", pkt{len: 48, ttl: 120, win: 16384}, []int{100, 2100, 4100}, []string{"-", "-", "-"}},
		{"solaris 8 takes later records' values", pkt{len: 68, ttl: 60, win: 16384}, []int{5, 6, 7},
			[]string{"-", "-", "Solaris 8"}},
		{"solaris 8 own values no longer match", pkt{len: 48, ttl: 60, win: 33360}, []int{5, 6, 7},
			[]string{"-", "-", "-"}},
		{"HPUX record does not exist", pkt{len: 44, ttl: 60, win: 32768}, []int{5, 6, 7},
			[]string{"-", "-", "-"}},
		{"linux 2.4", pkt{len: 60, ttl: 55, win: 5840}, []int{9000, 100, 50000},
			[]string{"-", "-", "Linux (2.4.x kernel)"}},
		{"openbsd needs six", pkt{len: 64, ttl: 55, win: 16384}, []int{9000, 100, 50000, 7, 3000, 1},
			[]string{"-", "-", "-", "-", "-", "OpenBSD"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var st PosfState
			got := seq(t, db, &st, tc.p, tc.ids...)
			if !slices.Equal(got, tc.want) {
				t.Errorf("guesses = %q; want %q", got, tc.want)
			}
		})
	}
}

const tinyPosf = `# leading fields go to the record named ""
NUMPKTS 1;
TOS 0x00;
LEN 40;
TTL 255;
ID SMALLINCR;
WINDOW 1024;

OS        Small;
NUMPKTS   2;
TOS       0x00;
LEN       44;
TTL       64;
ID        SMALLINCR;
WINDOW    512;

OS        No window;
NUMPKTS   2;
TOS       0x00;
LEN       44;
TTL       64;
ID        SMALLINCR;

OS        Bad id;
NUMPKTS   2;
TOS       0x00;
LEN       44;
TTL       64;
ID        SEQUENTIAL;
WINDOW    512;

OS        Zero; padded; name;
NUMPKTS   2;
TOS       0x00;
LEN       044;
TTL       64;
ID        SMALLINCR;
WINDOW    512;

OS        Missing semicolon
NUMPKTS   5;
`

func TestPosfTiny(t *testing.T) {
	db, err := ParsePosf(strings.NewReader(tinyPosf), "tiny")
	if err != nil {
		t.Fatal(err)
	}
	wantWarn := []string{
		"tiny: missing WINDOW for os: No window",
		"tiny: ID must be either SMALLINCR or RANDOM for os: Bad id",
	}
	if !slices.Equal(db.Warnings(), wantWarn) {
		t.Errorf("Warnings = %q; want %q", db.Warnings(), wantWarn)
	}
	if db.Len() != 3 {
		t.Errorf("Len = %d; want 3", db.Len())
	}
	small := pkt{len: 44, ttl: 60, win: 512}
	for _, tc := range []struct {
		name string
		p    pkt
		ids  []int
		want []string
	}{
		{"unnamed record (one ID counts as SMALLINCR)", pkt{ttl: 250, win: 1024}, []int{0}, []string{""}},
		{"small incr", small, []int{1, 2}, []string{"-", "Small"}},
		{"id must rise", small, []int{2, 2}, []string{"-", "-"}},
		{"id step 999 ok", small, []int{1, 1000}, []string{"-", "Small"}},
		{"id step 1000 random", small, []int{1, 1001}, []string{"-", "-"}},
		{"guess is final", small, []int{1, 2, 9000}, []string{"-", "Small", "Small"}},
		{"ttl at limit", pkt{len: 44, ttl: 64, win: 512}, []int{1, 2}, []string{"-", "Small"}},
		{"ttl above", pkt{len: 44, ttl: 65, win: 512}, []int{1, 2}, []string{"-", "-"}},
		{"ttl 20 below is out", pkt{len: 44, ttl: 44, win: 512}, []int{1, 2}, []string{"-", "-"}},
		{"ttl 19 below is in", pkt{len: 44, ttl: 45, win: 512}, []int{1, 2}, []string{"-", "Small"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var st PosfState
			got := seq(t, db, &st, tc.p, tc.ids...)
			if !slices.Equal(got, tc.want) {
				t.Errorf("guesses = %q; want %q", got, tc.want)
			}
		})
	}
}

// TestPosfSetsAccumulate: LEN and WINDOW need only have been seen once
// each, in any packets; TTLs must all be in range.
func TestPosfSetsAccumulate(t *testing.T) {
	db, err := ParsePosf(strings.NewReader(tinyPosf), "tiny")
	if err != nil {
		t.Fatal(err)
	}
	var st PosfState
	if _, ok := db.Observe(&st, pkt{len: 44, ttl: 60, win: 9, id: 1}.packet(t)); ok {
		t.Fatal("guess after one packet")
	}
	if g, ok := db.Observe(&st, pkt{len: 48, ttl: 61, win: 512, id: 2}.packet(t)); !ok || g != "Small" {
		t.Errorf("guess = %q, %v; want Small", g, ok)
	}
	// Packets posf does not use leave the state alone.
	var st2 PosfState
	for _, p := range []pkt{
		{len: 44, ttl: 60, win: 512, id: 1, opts: optsMSS},
		{len: 44, ttl: 60, win: 512, id: 2, flags: "ACK"},
		{v6: true, ttl: 60, win: 512},
	} {
		if _, ok := db.Observe(&st2, p.packet(t)); ok {
			t.Fatal("guess from an unused packet")
		}
	}
	if st2.count != 0 {
		t.Errorf("count = %d after unused packets", st2.count)
	}
	// A state used with another database starts over.
	other, _ := ParsePosf(strings.NewReader(tinyPosf), "other")
	var st3 PosfState
	db.Observe(&st3, pkt{len: 44, ttl: 60, win: 512, id: 1}.packet(t))
	if _, ok := other.Observe(&st3, pkt{len: 44, ttl: 60, win: 512, id: 2}.packet(t)); ok {
		t.Error("state carried over to another database")
	}
}
