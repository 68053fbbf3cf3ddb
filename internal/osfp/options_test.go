package osfp

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestDecodeOptions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		hex    string
		err    error
		layout string
		mss    int
		ws     int
		quirks Quirk
		check  func(t *testing.T, o TCPOptions)
	}{
		{name: "spec linux", hex: optsSpecLinux, layout: "mss,sok,ts,nop,ws", mss: 1460, ws: 7, quirks: QuirkTS1Zero,
			check: func(t *testing.T, o TCPOptions) {
				want := []Opt{{2, 4, 1460}, {4, 2, 0}, {8, 10, 0}, {1, 1, 0}, {3, 3, 7}}
				if !slices.Equal(o.List, want) {
					t.Errorf("List = %v; want %v", o.List, want)
				}
				if !o.SACKOK || !o.TS || o.TSval != 0 || o.TSecr != 0 {
					t.Errorf("SACKOK %v TS %v %d %d", o.SACKOK, o.TS, o.TSval, o.TSecr)
				}
			}},
		{name: "spec windows xp", hex: "020405B401010402", layout: "mss,nop,nop,sok", mss: 1460, ws: -1},
		{name: "linux with timestamp", hex: optsLinux, layout: "mss,sok,ts,nop,ws", mss: 1460, ws: 7,
			check: func(t *testing.T, o TCPOptions) {
				if o.TSval != 0x00a1b2c3 || o.List[2].Val != 0x00a1b2c3 {
					t.Errorf("TSval = %#x", o.TSval)
				}
			}},
		{name: "empty", hex: "", layout: "", mss: -1, ws: -1},
		{name: "macos eol padding", hex: optsMac, layout: "mss,nop,ws,nop,nop,ts,sok,eol+1", mss: 1460, ws: 6,
			check: func(t *testing.T, o TCPOptions) {
				if o.EOLPad != 1 {
					t.Errorf("EOLPad = %d", o.EOLPad)
				}
			}},
		{name: "eol at start", hex: "00000000", layout: "eol+3", mss: -1, ws: -1},
		{name: "data after eol", hex: "0000FF00", layout: "eol+3", mss: -1, ws: -1, quirks: QuirkOptPlus},
		{name: "excessive scale", hex: "03030F01", layout: "ws,nop", mss: -1, ws: 15, quirks: QuirkExWS},
		{name: "peer timestamp", hex: "080A0000000100000002", layout: "ts", mss: -1, ws: -1, quirks: QuirkTS2Plus},
		{name: "sack blocks", hex: "050A0000000100000002", layout: "sack", mss: -1, ws: -1},
		{name: "sack too short", hex: "05060000000101", layout: "sack,nop", mss: -1, ws: -1, quirks: QuirkBad},
		{name: "unknown kind", hex: "1E04AABB020405B4", layout: "?30,mss", mss: 1460, ws: -1},
		{name: "mss of wrong length", hex: "020605B40000", layout: "mss", mss: -1, ws: -1, quirks: QuirkBad},
		{name: "ws of wrong length", hex: "0302", layout: "ws", mss: -1, ws: -1, quirks: QuirkBad},
		{name: "lower case hex", hex: "020405b4", layout: "mss", mss: 1460, ws: -1},
		{name: "odd length", hex: "020405B", err: ErrOddLength, mss: -1, ws: -1, quirks: QuirkBad},
		{name: "not hex", hex: "0204ZZB4", err: ErrNotHex, mss: -1, ws: -1, quirks: QuirkBad},
		{name: "zero length field", hex: "020405B40800", err: ErrBadLength, layout: "mss,ts", mss: 1460, ws: -1, quirks: QuirkBad},
		{name: "one byte length field", hex: "1E01", err: ErrBadLength, layout: "?30", mss: -1, ws: -1, quirks: QuirkBad},
		{name: "truncated value", hex: "020405", err: ErrTruncated, layout: "mss", mss: -1, ws: -1, quirks: QuirkBad},
		{name: "truncated before length", hex: "010102", err: ErrTruncated, layout: "nop,nop,mss", mss: -1, ws: -1, quirks: QuirkBad},
		{name: "too many", hex: strings.Repeat("01", 41), err: ErrTooMany, layout: strings.TrimSuffix(strings.Repeat("nop,", 40), ","), mss: -1, ws: -1, quirks: QuirkBad},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := DecodeOptions([]byte(tc.hex))
			if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("err = %v; want %v", err, tc.err)
			}
			if err != nil && !strings.Contains(err.Error(), tc.hex) {
				t.Errorf("error %q does not quote the input", err)
			}
			if o.Layout != tc.layout || o.MSS != tc.mss || o.WScale != tc.ws || o.Quirks != tc.quirks {
				t.Errorf("got layout %q mss %d ws %d quirks %q; want %q %d %d %q",
					o.Layout, o.MSS, o.WScale, o.Quirks, tc.layout, tc.mss, tc.ws, tc.quirks)
			}
			if tc.check != nil {
				tc.check(t, o)
			}
		})
	}
}

func TestPsadOptionList(t *testing.T) {
	for _, tc := range []struct {
		hex  string
		want []string
	}{
		{optsSpecLinux, []string{"M1460", "S", "T0", "N", "W7"}},
		{"020405B401010402", []string{"M1460", "N", "N", "S"}},
		{optsLinux, []string{"M1460", "S", "T10597059", "N", "W7"}},
		{optsWindows, []string{"M1460", "N", "W8", "N", "N", "S"}},
		// EOL stops; anything after it is never read.
		{optsMac, []string{"M1460", "N", "W6", "N", "N", "T790498572", "S"}},
		{"", []string{}},
		{"020405B", []string{}},  // odd length
		{"0204ZZB4", []string{}}, // not from a LOG line
		// A final single byte is never decoded, even a NOP.
		{"01", []string{}},
		{"020405B401", []string{"M1460"}},
		{"01020405B4", []string{"N", "M1460"}},
		// Other kinds add nothing but are stepped over by their length.
		{"1E03AA020405B4", []string{"M1460"}},
		{"050A0000000100000002020405B4", []string{"M1460"}},
		// Values come from the bytes that exist.
		{"0204", []string{"M0"}},
		{"020405", []string{"M5"}},
		{"0206000005B4", []string{"M1460"}},
		{"080A0000000500000000", []string{"T5"}},
		// A 0- or 1-byte length empties the whole list.
		{"020405B40200", []string{}},
		{"020405B40801", []string{}},
		{"1E00", []string{}},
		// ...but not for NOP, whose length byte is ignored.
		{"0100020405B4", []string{"N"}},
		{"0000", []string{}},
		{"040201", []string{"S"}},
	} {
		if got := PsadOptionList([]byte(tc.hex)); !slices.Equal(got, tc.want) {
			t.Errorf("PsadOptionList(%q) = %q; want %q", tc.hex, got, tc.want)
		}
	}
}

func TestQuirkString(t *testing.T) {
	if s := (QuirkDF | QuirkIDPlus | QuirkBad).String(); s != "df,id+,bad" {
		t.Errorf("String = %q", s)
	}
	if s := Quirk(0).String(); s != "" {
		t.Errorf("String = %q", s)
	}
}

// FuzzDecodeOptions: no input panics either decoder, and the results
// keep their invariants.
func FuzzDecodeOptions(f *testing.F) {
	for _, s := range []string{optsSpecLinux, optsWindows, optsMac, "020405B401010402", "0800", "0000FF", "1E01"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, hex []byte) {
		o, err := DecodeOptions(hex)
		if len(o.List) > maxOpts {
			t.Fatalf("%d options", len(o.List))
		}
		if n := strings.Count(o.Layout, ",") + 1; o.Layout != "" && n != len(o.List) || o.Layout == "" && len(o.List) != 0 {
			t.Fatalf("layout %q for %d options", o.Layout, len(o.List))
		}
		if err != nil && o.Quirks&QuirkBad == 0 {
			t.Fatalf("error %v without QuirkBad", err)
		}
		if o.MSS > 65535 || o.WScale > 255 || o.EOLPad < 0 || o.EOLPad > len(hex)/2 {
			t.Fatalf("out of range: %+v", o)
		}
		total := 0
		for i, op := range o.List {
			if op.Kind == OptEOL && i != len(o.List)-1 {
				t.Fatalf("EOL not last in %v", o.List)
			}
			total += max(op.Len, 1)
		}
		if err == nil && len(o.List) > 0 && o.List[len(o.List)-1].Kind == OptEOL {
			total += o.EOLPad
		}
		if err == nil && total != len(hex)/2 {
			t.Fatalf("options cover %d of %d bytes: %v", total, len(hex)/2, o.List)
		}
		l := PsadOptionList(hex)
		if len(l) > len(hex)/2 {
			t.Fatalf("psad list %v longer than the field", l)
		}
	})
}
