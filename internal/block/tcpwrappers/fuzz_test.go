package tcpwrappers

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/block"
)

// Seeds: hosts.deny files as administrators and distributions write them,
// with and without psad-go's block.
var denySeeds = []string{
	"",
	"\n",
	"# hosts.deny: hosts refused by tcpd\nALL: PARANOID\n",
	"sshd: 198.51.100.0/255.255.255.0 : spawn /bin/echo %a >> /var/log/refused\nin.ftpd: .example.net\n",
	"portmap: ALL\r\nALL EXCEPT sshd: [2001:db8:1::]/48",
	beginMarker + "\n" + endMarker + "\n",
	"# local\nsshd: 192.0.2.1\n" + beginMarker + "\nALL: 203.0.113.9\nALL: 10.20.0.0/255.255.0.0\nALL: [2001:db8::7]\nALL: [fd12:3456::]/32\n" + endMarker + "\nvsftpd: 192.0.2.200\n",
	beginMarker + "\r\n  ALL:192.0.2.4  \r\nALL: [2001:db8::9]\nALL: 192.0.2.4\n" + endMarker + "\r\n# trailer",
	beginMarker + "\nALL: 192.0.2.4\n" + endMarker,
	"sshd: 192.0.2.1\n" + beginMarker + "\nALL: 198.51.100.77\n" + endMarker + "\n\n# after psad-go's block\n",
	beginMarker + "\nsshd: 192.0.2.4\n" + endMarker + "\n",
	"x: 1\n" + beginMarker + "\nALL: 192.0.2.4\n",
}

// blockLines finds psad-go's block independently of parse: the first
// line that is the begin marker up to and including the next line that is
// the end marker, a line being compared without its LF and any CRs
// before it. It returns the offsets of the begin marker line and just past
// the end marker line, and the body lines between them with their line
// endings; found is false without a begin marker, and end is -1 when the
// end marker is missing.
func blockLines(data []byte) (begin, end int, body [][]byte, found bool) {
	lines := bytes.SplitAfter(data, []byte("\n"))
	isLine := func(l []byte, s string) bool { return string(bytes.TrimRight(l, "\r\n")) == s }
	off := 0
	for _, l := range lines {
		if !found && isLine(l, beginMarker) {
			begin, found = off, true
		} else if found && isLine(l, endMarker) {
			return begin, off + len(l), body, true
		} else if found {
			body = append(body, l)
		}
		off += len(l)
	}
	return begin, -1, nil, found
}

// FuzzParseRender guards the package's promise that hosts.deny is
// rewritten without touching a byte outside psad-go's block: whatever a
// file holds, parse either refuses it (only possible when it holds a
// begin marker, since a file without the block is foreign bytes only) or
// render gives back the bytes before the begin marker line and after the
// end marker line unchanged, and between them the block in its canonical
// form: the markers ending in LF, and each body line, read as "ALL:" and
// a client with any space around, written as "ALL: " + format, none
// dropped, added or moved. So an untouched file that is already canonical
// comes back byte for byte.
func FuzzParseRender(f *testing.F) {
	for _, s := range denySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		begin, end, body, found := blockLines(data)
		pf, err := parse(data)
		if err != nil {
			if !found {
				t.Fatalf("parse refused a file without psad-go's block: %v", err)
			}
			return
		}
		if found && end < 0 {
			t.Fatalf("parse accepted a begin marker without an end marker, entries %v", pf.entries)
		}
		out := pf.render()
		if !found {
			if !bytes.Equal(out, data) {
				t.Fatalf("render changed a file without psad-go's block:\n in: %q\nout: %q", data, out)
			}
			return
		}
		if !pf.hasBlock {
			t.Fatalf("parse missed the block at offset %d", begin)
		}
		want := beginMarker + "\n"
		for i, l := range body {
			client, ok := strings.CutPrefix(strings.TrimSpace(string(l)), "ALL:")
			p, err := parseClient(strings.TrimSpace(client))
			if !ok || err != nil {
				t.Fatalf("parse accepted body line %d %q", i+1, l)
			}
			want += "ALL: " + format(p) + "\n"
		}
		want += endMarker + "\n"
		if want := slices.Concat(data[:begin], []byte(want), data[end:]); !bytes.Equal(out, want) {
			t.Fatalf("render of\n%q\ngave\n%q\nwant\n%q", data, out, want)
		}
	})
}

// FuzzAddRemove guards the same promise through the Backend, which is
// what really rewrites the file: after Add of an entry the file holds it
// in psad-go's block, after Remove it is gone and the other entries are
// as they were, and after Teardown the file is exactly its foreign bytes.
// The only byte psad-go may add to them is the newline that ends a
// foreign last line lacking one when its block is put after that line.
// A file parse refuses is never changed.
func FuzzAddRemove(f *testing.F) {
	for i, s := range denySeeds {
		f.Add([]byte(s), []byte{192, 0, 2, byte(i)}, uint8(32-i))
		f.Add([]byte(s), []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(i)}, uint8(128-8*i))
	}
	f.Fuzz(func(t *testing.T, data, addr []byte, bits uint8) {
		var a netip.Addr
		if len(addr) >= 16 {
			a = netip.AddrFrom16([16]byte(addr[:16]))
		} else {
			var b [4]byte
			copy(b[:], addr)
			a = netip.AddrFrom4(b)
		}
		p := netip.PrefixFrom(a, int(bits)%(a.BitLen()+1))
		pm := p.Masked()

		path := filepath.Join(t.TempDir(), "hosts.deny")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		read := func() []byte {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		list := func() []netip.Prefix {
			es, err := New(Config{Path: path}).List(t.Context())
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			var out []netip.Prefix
			for _, e := range es {
				out = append(out, e.Prefix)
			}
			return out
		}
		b := New(Config{Path: path})
		ctx := t.Context()

		orig, perr := parse(data)
		err := b.Add(ctx, []block.Entry{{Prefix: p}})
		if perr != nil {
			if err == nil {
				t.Fatalf("Add accepted a file parse refuses (%v)", perr)
			}
			if got := read(); !bytes.Equal(got, data) {
				t.Fatalf("Add changed a file it refused:\n in: %q\nout: %q", data, got)
			}
			return
		}
		if err != nil {
			t.Fatalf("Add: %v", err)
		}

		// The foreign bytes as psad-go must keep them.
		var before, after []byte
		if begin, end, _, found := blockLines(data); found {
			before, after = data[:begin], data[end:]
		} else {
			before = data
			if len(data) > 0 && data[len(data)-1] != '\n' {
				before = append(slices.Clone(data), '\n')
			}
		}
		foreignKept := func(step string) {
			t.Helper()
			got := read()
			begin, end, _, found := blockLines(got)
			if !found || end < 0 {
				t.Fatalf("after %s: no block in\n%q", step, got)
			}
			if !bytes.Equal(got[:begin], before) || !bytes.Equal(got[end:], after) {
				t.Fatalf("after %s: foreign bytes changed:\n in: %q\nout: %q", step, data, got)
			}
		}

		foreignKept("Add")
		want := slices.Clone(orig.entries)
		if !slices.Contains(want, pm) {
			want = append(want, pm)
		}
		if got := list(); !slices.Equal(got, want) {
			t.Fatalf("List after Add(%v) = %v, want %v", p, got, want)
		}

		if err := b.Remove(ctx, []netip.Prefix{p}); err != nil {
			t.Fatalf("Remove: %v", err)
		}
		foreignKept("Remove")
		want = slices.DeleteFunc(slices.Clone(orig.entries), func(q netip.Prefix) bool { return q == pm })
		if got := list(); !slices.Equal(got, want) {
			t.Fatalf("List after Remove(%v) = %v, want %v", p, got, want)
		}

		if err := b.Teardown(ctx); err != nil {
			t.Fatalf("Teardown: %v", err)
		}
		if got, want := read(), slices.Concat(before, after); !bytes.Equal(got, want) {
			t.Fatalf("after Teardown:\n got %q\nwant %q\n(file was %q)", got, want, data)
		}
	})
}

// FuzzFormat guards that what psad-go writes into its block reads back
// as the same prefix, for every address and length of both families
// (IPv4-mapped IPv6 included), since List and Remove work from what
// parse reads back.
func FuzzFormat(f *testing.F) {
	f.Add([]byte{192, 0, 2, 55}, uint8(32))
	f.Add([]byte{10, 1, 2, 0}, uint8(23))
	f.Add([]byte{0, 0, 0, 0}, uint8(0))
	f.Add(netip.MustParseAddr("2001:db8::").AsSlice(), uint8(48))
	f.Add(netip.MustParseAddr("2001:db8:0:12::1").AsSlice(), uint8(127))
	f.Add(netip.MustParseAddr("::ffff:198.51.100.3").AsSlice(), uint8(128))
	f.Fuzz(func(t *testing.T, addr []byte, bits uint8) {
		a, ok := netip.AddrFromSlice(addr)
		if !ok {
			return
		}
		// Add masks what it writes.
		p := netip.PrefixFrom(a, int(bits)%(a.BitLen()+1)).Masked()
		s := format(p)
		got, err := parseClient(s)
		if err != nil || got != p {
			t.Fatalf("parseClient(format(%v) = %q) = %v, %v", p, s, got, err)
		}
	})
}

// FuzzParseClient guards parseClient against reading a client pattern
// as something format would not write back the same way: every pattern it
// accepts is an IPv4 one (no brackets) or an IPv6 one (in brackets), and
// format of the result is itself accepted and reads back as the same
// prefix, so that the block parse normalises stays stable.
func FuzzParseClient(f *testing.F) {
	for _, s := range []string{"192.0.2.55", "10.1.0.0/255.255.0.0", "10.1.0.0/255.0.255.0", "[fd00::1]", "[2001:db8::]/48", "[2001:db8:0:12::1]/127", "[2001:db8::]/129", "[::ffff:192.0.2.1]", "2001:db8::1", "host.example", "[10.0.0.1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseClient(s)
		if err != nil {
			return
		}
		if !p.IsValid() || p.Addr().Zone() != "" || p != p.Masked() {
			t.Fatalf("parseClient(%q) = %v, not a valid zone-less prefix without host bits", s, p)
		}
		if strings.HasPrefix(s, "[") != p.Addr().Is6() {
			t.Fatalf("parseClient(%q) = %v of the other family", s, p)
		}
		back, err := parseClient(format(p))
		if err != nil || back != p {
			t.Fatalf("parseClient(%q) = %v; parseClient(format = %q) = %v, %v", s, p, format(p), back, err)
		}
	})
}
