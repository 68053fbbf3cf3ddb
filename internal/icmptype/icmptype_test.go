package icmptype

import (
	"os"
	"strings"
	"testing"
	"testing/iotest"
)

// span is a closed range of numbers, written as data the way spec 10.1
// lists types and codes.
type span struct{ lo, hi int }

func r(lo, hi int) span { return span{lo, hi} }
func one(n int) span    { return span{n, n} }

// want describes a whole table: the valid codes of each type with codes,
// and the types that are defined but have none. Every other type must be
// invalid.
type want struct {
	codes   map[int][]span // type -> valid codes
	noCodes []span         // defined types without a valid code
}

func (w want) expand(types []span, codes []span) map[int][]span {
	for _, t := range types {
		for typ := t.lo; typ <= t.hi; typ++ {
			w.codes[typ] = codes
		}
	}
	return w.codes
}

func in(n int, spans []span) bool {
	for _, s := range spans {
		if n >= s.lo && n <= s.hi {
			return true
		}
	}
	return false
}

// checkAll compares every (type, code) pair in 0..255 x 0..255, plus the
// out-of-range values, with w.
func checkAll(t *testing.T, tab *Table, w want) {
	t.Helper()
	bad := 0
	for typ := 0; typ < 256; typ++ {
		codes, hasCodes := w.codes[typ]
		defined := hasCodes || in(typ, w.noCodes)
		for code := 0; code < 256; code++ {
			typeOK, codeOK := tab.Check(typ, code)
			wantCode := hasCodes && in(code, codes)
			if typeOK != defined || codeOK != wantCode {
				if bad++; bad <= 20 {
					t.Errorf("Check(%d, %d) = %v, %v; want %v, %v", typ, code, typeOK, codeOK, defined, wantCode)
				}
			}
		}
		if typeOK, codeOK := tab.Check(typ, 256); typeOK != defined || codeOK {
			t.Errorf("Check(%d, 256) = %v, %v; want %v, false", typ, typeOK, codeOK, defined)
		}
		if typeOK, codeOK := tab.Check(typ, -1); typeOK != defined || codeOK {
			t.Errorf("Check(%d, -1) = %v, %v; want %v, false", typ, typeOK, codeOK, defined)
		}
		if !defined && tab.TypeName(typ) != "" {
			t.Errorf("TypeName(%d) = %q for an undefined type", typ, tab.TypeName(typ))
		}
	}
	for _, typ := range []int{-1, 256, 1 << 20} {
		if typeOK, codeOK := tab.Check(typ, 0); typeOK || codeOK {
			t.Errorf("Check(%d, 0) = %v, %v; want false, false", typ, typeOK, codeOK)
		}
		if n := tab.TypeName(typ); n != "" {
			t.Errorf("TypeName(%d) = %q", typ, n)
		}
	}
	if bad > 20 {
		t.Errorf("... %d mismatches in all", bad)
	}
}

// psadICMP is spec 10.1's result for psad's shipped icmp_types.
func psadICMP() want {
	w := want{codes: map[int][]span{
		0: {one(0)}, 3: {r(0, 15)}, 4: {one(0)}, 5: {r(0, 3)}, 6: {one(0)},
		8: {one(0)}, 9: {one(0), one(16)}, 10: {one(0)}, 11: {r(0, 1)},
		12: {r(0, 2)}, 40: {r(0, 5)},
	}, noCodes: []span{r(19, 36), one(39)}}
	w.expand([]span{r(13, 18)}, []span{one(0)})
	return w
}

// psadICMP6 is spec 10.1's result for psad's shipped icmp6_types,
// 137 Redirect invalid included.
func psadICMP6() want {
	w := want{codes: map[int][]span{
		1: {r(0, 7)}, 2: {one(0)}, 3: {r(0, 1)}, 4: {r(0, 2)},
		136: {one(0), one(137)}, 138: {r(0, 1), one(255)},
		139: {r(0, 2)}, 140: {r(0, 2)},
	}, noCodes: []span{one(0)}}
	w.expand([]span{r(128, 135), r(141, 142), r(144, 147)}, []span{one(0)})
	return w
}

// builtinICMP is what IPv4 must give (see the comments in icmp_types).
func builtinICMP() want {
	w := psadICMP()
	w.codes[42] = []span{one(0)}
	w.codes[43] = []span{r(0, 4)}
	w.noCodes = []span{r(19, 39), one(41), r(253, 255)}
	return w
}

// builtinICMP6 is what IPv6 must give (see the comments in icmp6_types).
func builtinICMP6() want {
	w := want{codes: map[int][]span{
		1: {r(0, 8)}, 2: {one(0)}, 3: {r(0, 1)}, 4: {r(0, 10)},
		138: {r(0, 1), one(255)}, 139: {r(0, 2)}, 140: {r(0, 2)},
		151: {r(0, 255)}, 154: {r(0, 5)},
		155: {r(0, 8), r(128, 136), one(138)},
		157: {r(0, 4)}, 158: {r(0, 4)}, 161: {r(0, 4)},
	}, noCodes: []span{one(0), r(100, 101), one(127), one(150), r(200, 201), one(255)}}
	w.expand([]span{r(128, 137), r(141, 149), r(152, 153), one(156), r(159, 160)}, []span{one(0)})
	return w
}

func TestBuiltinIPv4(t *testing.T) { checkAll(t, IPv4(), builtinICMP()) }
func TestBuiltinIPv6(t *testing.T) { checkAll(t, IPv6(), builtinICMP6()) }

// TestEdges spells out the boundaries of the types with many codes, so a
// failure names the case.
func TestEdges(t *testing.T) {
	type c struct {
		typ, code      int
		typeOK, codeOK bool
	}
	for _, tc := range []struct {
		name  string
		tab   *Table
		cases []c
	}{
		{"ipv4", IPv4(), []c{
			{0, 0, true, true}, {0, 1, true, false}, {1, 0, false, false}, {2, 0, false, false},
			{3, 0, true, true}, {3, 15, true, true}, {3, 16, true, false}, {3, 255, true, false},
			{5, 0, true, true}, {5, 3, true, true}, {5, 4, true, false},
			{7, 0, false, false}, {8, 0, true, true}, {8, 1, true, false},
			{9, 0, true, true}, {9, 1, true, false}, {9, 15, true, false}, {9, 16, true, true}, {9, 17, true, false},
			{11, 0, true, true}, {11, 1, true, true}, {11, 2, true, false},
			{12, 0, true, true}, {12, 2, true, true}, {12, 3, true, false},
			{18, 0, true, true}, {19, 0, true, false}, {39, 0, true, false},
			{40, 5, true, true}, {40, 6, true, false}, {41, 0, true, false},
			{43, 4, true, true}, {43, 5, true, false}, {44, 0, false, false},
			{252, 0, false, false}, {253, 0, true, false}, {255, 0, true, false},
		}},
		{"ipv6", IPv6(), []c{
			{0, 0, true, false}, {1, 0, true, true}, {1, 8, true, true}, {1, 9, true, false},
			{2, 0, true, true}, {2, 1, true, false}, {3, 1, true, true}, {3, 2, true, false},
			{4, 10, true, true}, {4, 11, true, false}, {5, 0, false, false},
			{99, 0, false, false}, {100, 0, true, false}, {127, 0, true, false},
			{128, 0, true, true}, {128, 1, true, false}, {136, 137, true, false},
			{137, 0, true, true}, {137, 1, true, false},
			{138, 2, true, false}, {138, 255, true, true}, {143, 0, true, true},
			{150, 0, true, false}, {151, 255, true, true}, {155, 137, true, false},
			{155, 138, true, true}, {161, 4, true, true}, {161, 5, true, false},
			{162, 0, false, false}, {199, 0, false, false}, {200, 0, true, false},
			{202, 0, false, false}, {254, 0, false, false}, {255, 0, true, false},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range tc.cases {
				typeOK, codeOK := tc.tab.Check(c.typ, c.code)
				if typeOK != c.typeOK || codeOK != c.codeOK {
					t.Errorf("Check(%d, %d) = %v, %v; want %v, %v", c.typ, c.code, typeOK, codeOK, c.typeOK, c.codeOK)
				}
			}
		})
	}
}

func TestBuiltinNames(t *testing.T) {
	for _, tc := range []struct {
		tab  *Table
		typ  int
		name string
	}{
		{IPv4(), 0, "Echo Reply"}, {IPv4(), 3, "Destination Unreachable"},
		{IPv4(), 4, "Source Quench"}, {IPv4(), 5, "Redirect"}, {IPv4(), 8, "Echo"},
		{IPv4(), 11, "Time Exceeded"}, {IPv4(), 12, "Parameter Problem"},
		{IPv4(), 13, "Timestamp"}, {IPv4(), 14, "Timestamp Reply"},
		{IPv4(), 17, "Address Mask Request"}, {IPv4(), 30, "Traceroute"},
		{IPv4(), 1, ""}, {IPv4(), 44, ""},
		{IPv6(), 1, "Destination Unreachable"}, {IPv6(), 2, "Packet Too Big"},
		{IPv6(), 128, "Echo Request"}, {IPv6(), 129, "Echo Reply"},
		{IPv6(), 135, "Neighbor Solicitation"}, {IPv6(), 136, "Neighbor Advertisement"},
		{IPv6(), 137, "Redirect Message"}, {IPv6(), 143, "Version 2 Multicast Listener Report"},
		{IPv6(), 5, ""},
	} {
		if got := tc.tab.TypeName(tc.typ); got != tc.name {
			t.Errorf("TypeName(%d) = %q; want %q", tc.typ, got, tc.name)
		}
	}
}

// loadPsad loads one of psad's installed data files or skips the test.
func loadPsad(t *testing.T, path string) *Table {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s not installed", path)
	}
	tab, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// TestPsadFiles proves psad's shipped files load to the tables spec 10.1
// lists, including ICMPv6 type 137 being invalid.
func TestPsadFiles(t *testing.T) {
	t.Run("icmp_types", func(t *testing.T) {
		tab := loadPsad(t, "/etc/psad/icmp_types")
		checkAll(t, tab, psadICMP())
		if n := tab.TypeName(8); n != "Echo" {
			t.Errorf("TypeName(8) = %q; want \"Echo\"", n)
		}
	})
	t.Run("icmp6_types", func(t *testing.T) {
		tab := loadPsad(t, "/etc/psad/icmp6_types")
		checkAll(t, tab, psadICMP6())
		if ok, _ := tab.Check(137, 0); ok {
			t.Error("type 137 valid; psad's file makes it a code of 136")
		}
		if n := tab.TypeName(135); n != "Neighbor Solicitation" {
			t.Errorf("TypeName(135) = %q", n)
		}
	})
}

// TestBuiltinVersusPsad pins where the built-in tables differ from psad's
// files: the names of every type both define agree, and the types whose
// validity differs are exactly these.
func TestBuiltinVersusPsad(t *testing.T) {
	for _, tc := range []struct {
		path    string
		builtin *Table
		differ  []span // types whose Check results differ for some code
	}{
		// 37, 38, 41, 253-255 named (always alerted); 42, 43 PROBE.
		{"/etc/psad/icmp_types", IPv4(), []span{r(37, 38), r(41, 43), r(253, 255)}},
		// 1 code 8, 4 codes 3-10, 136 code 137, 137 itself, and the
		// types registered since psad's file was written.
		{"/etc/psad/icmp6_types", IPv6(), []span{
			one(1), one(4), r(100, 101), one(127), r(136, 137), r(143, 143), r(148, 161),
			r(200, 201), one(255),
		}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			psad := loadPsad(t, tc.path)
			for typ := 0; typ < 256; typ++ {
				same := true
				for code := 0; code < 256 && same; code++ {
					a1, b1 := psad.Check(typ, code)
					a2, b2 := tc.builtin.Check(typ, code)
					same = a1 == a2 && b1 == b2
				}
				if same == in(typ, tc.differ) {
					t.Errorf("type %d: differs = %v; want %v", typ, !same, in(typ, tc.differ))
				}
				if ok, _ := psad.Check(typ, 0); ok && tc.builtin.TypeName(typ) != psad.TypeName(typ) {
					if !(typ == 137) { // psad's 137 is not a type
						t.Errorf("TypeName(%d) = %q; psad's file says %q", typ, tc.builtin.TypeName(typ), psad.TypeName(typ))
					}
				}
			}
		})
	}
}

// TestParseQuirks pins psad's line rules, one case each.
func TestParseQuirks(t *testing.T) {
	type c struct{ typ, code int }
	for _, tc := range []struct {
		name      string
		text      string
		valid     []c // Check gives true, true
		noCode    []c // Check gives true, false
		invalid   []int
		typeNames map[int]string
	}{
		{name: "type and code", text: "8   Echo\n    0\n",
			valid: []c{{8, 0}}, noCode: []c{{8, 1}}, typeNames: map[int]string{8: "Echo"}},
		{name: "type without codes", text: "19  Reserved\n\n20 Reserved\n",
			noCode: []c{{19, 0}, {20, 0}}},
		{name: "bare number with newline is a type", text: "8\n    0\n",
			valid: []c{{8, 0}}, typeNames: map[int]string{8: ""}},
		{name: "bare number at EOF is not", text: "8", invalid: []int{8}},
		{name: "code without text at EOF is not a code", text: "8 Echo\n    0",
			noCode: []c{{8, 0}}},
		{name: "code with text at EOF", text: "8 Echo\n    0 no code",
			valid: []c{{8, 0}}},
		{name: "unassigned type", text: "1   Unassigned\n    0\n", invalid: []int{1}},
		{name: "unassigned any case", text: "7 UNASSIGNED here\n", invalid: []int{7}},
		{name: "codes after unassigned belong to nothing",
			text: "3 Dest\n    0 a\n4 unassigned\n    1 b\n", valid: []c{{3, 0}}, noCode: []c{{3, 1}}, invalid: []int{4}},
		{name: "unassigned code skipped", text: "3 Dest\n    0 a\n    1 Unassigned\n",
			valid: []c{{3, 0}}, noCode: []c{{3, 1}}},
		{name: "indented type is a code of the previous type",
			text:  "136 Neighbor Advertisement\n    0\n\n 137     Redirect Message\n     0\n",
			valid: []c{{136, 0}, {136, 137}}, invalid: []int{137}},
		{name: "code lines before any type ignored", text: "    0 x\n8 Echo\n",
			noCode: []c{{8, 0}}},
		{name: "comments", text: "# 8 Echo\n   # 9 x\n8 Echo\n  #  0\n",
			noCode: []c{{8, 0}}},
		{name: "number needs a blank", text: "8Echo\n    0\n", invalid: []int{8}},
		{name: "leading zero never matches", text: "08 Echo\n    0\n8 Echo\n    00\n",
			noCode: []c{{8, 0}}},
		{name: "leading zero type swallows its codes", text: "8 Echo\n08 Echo\n    0\n",
			noCode: []c{{8, 0}}},
		{name: "big numbers ignored", text: "300 Big\n    0\n8 Echo\n    999\n    1\n",
			valid: []c{{8, 1}}, noCode: []c{{8, 0}}},
		{name: "tabs", text: "8\tEcho\n\t0\n", valid: []c{{8, 0}}},
		{name: "repeat type merges codes, last name wins", text: "8 A\n    0\n8 B\n    1\n",
			valid: []c{{8, 0}, {8, 1}}, typeNames: map[int]string{8: "B"}},
		{name: "trailing blanks kept, CR dropped", text: "8   Echo  \r\n    0\r\n",
			valid: []c{{8, 0}}, typeNames: map[int]string{8: "Echo  "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := Parse(strings.NewReader(tc.text), "test")
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range tc.valid {
				if a, b := tab.Check(v.typ, v.code); !a || !b {
					t.Errorf("Check(%d, %d) = %v, %v; want true, true", v.typ, v.code, a, b)
				}
			}
			for _, v := range tc.noCode {
				if a, b := tab.Check(v.typ, v.code); !a || b {
					t.Errorf("Check(%d, %d) = %v, %v; want true, false", v.typ, v.code, a, b)
				}
			}
			for _, typ := range tc.invalid {
				if a, _ := tab.Check(typ, 0); a {
					t.Errorf("type %d defined; want invalid", typ)
				}
			}
			for typ, name := range tc.typeNames {
				if got := tab.TypeName(typ); got != name {
					t.Errorf("TypeName(%d) = %q; want %q", typ, got, name)
				}
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	if _, err := Load("testdata/no-such-file"); err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
}

func TestReadError(t *testing.T) {
	_, err := Parse(iotest.ErrReader(os.ErrClosed), "broken")
	if err == nil || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("err = %v; want a read error naming the input", err)
	}
}

// FuzzParse: any text parses without panicking, the table does not depend
// on how the reader splits its input, and a code is only ever valid for a
// defined type.
func FuzzParse(f *testing.F) {
	f.Add("0   Echo Reply\n    0\n\n1   Unassigned\n")
	f.Add("136 Neighbor Advertisement\n    0\n\n 137     Redirect Message\n     0\n")
	f.Add(icmp4Text)
	f.Fuzz(func(t *testing.T, text string) {
		a, err := Parse(strings.NewReader(text), "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		b, err := Parse(iotest.OneByteReader(strings.NewReader(text)), "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		if *a != *b {
			t.Fatal("table depends on read sizes")
		}
		for typ := 0; typ < 256; typ++ {
			defined, _ := a.Check(typ, 0)
			if !defined && a.TypeName(typ) != "" {
				t.Fatalf("undefined type %d has name %q", typ, a.TypeName(typ))
			}
			for code := 0; code < 256; code++ {
				if typeOK, codeOK := a.Check(typ, code); codeOK && !typeOK {
					t.Fatalf("Check(%d, %d): valid code of an invalid type", typ, code)
				}
			}
		}
	})
}
