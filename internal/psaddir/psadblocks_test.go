package psaddir

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoadPsadBlocks: psad's "<address> <epoch>" lines become records;
// lines psad passed over (no time, no address) are counted, not taken.
func TestLoadPsadBlocks(t *testing.T) {
	p := filepath.Join(t.TempDir(), "auto_blocked_iptables")
	if err := os.WriteFile(p, []byte("192.0.2.7\t1733900000\n\n198.51.100.1\n::ffff:203.0.113.9 1733900100 extra\n2001:db8::5 1733900200\nhost 1733900000\n10.0.0.1 soon\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, skipped, err := LoadPsadBlocks(p)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, fmt.Sprintf("%s@%d", r.Prefix, r.Since.Unix()))
	}
	want := "192.0.2.7/32@1733900000 203.0.113.9/32@1733900100 2001:db8::5/128@1733900200"
	if strings.Join(got, " ") != want || skipped != 3 {
		t.Errorf("records %v, skipped %d; want %s and 3 skipped", got, skipped, want)
	}
	if recs, skipped, err := LoadPsadBlocks(filepath.Join(t.TempDir(), "none")); recs != nil || skipped != 0 || err != nil {
		t.Errorf("a missing file: %v, %d, %v", recs, skipped, err)
	}
}

// FuzzParsePsadBlocks: psad's block records are a file another program
// wrote. Any text reads without a panic; every line that is not blank is
// either a record or counted as skipped; a record is one host (no zone,
// IPv4 unmapped) at a time psad could have written, and the line written
// back from it reads to the same record.
func FuzzParsePsadBlocks(f *testing.F) {
	f.Add("192.0.2.7 1733900000\n198.51.100.1\n::ffff:203.0.113.9\t1733900100\n")
	f.Add("fe80::1%eth0 5\n2001:db8::/32 7\n0.0.0.0 -1\n1.2.3.4 99999999999999\n")
	f.Fuzz(func(t *testing.T, data string) {
		recs, skipped, err := parsePsadBlocks(strings.NewReader(data))
		if err != nil {
			return // a line over the scanner's limit
		}
		lines := 0
		for l := range strings.Lines(data) {
			if strings.TrimSpace(l) != "" {
				lines++
			}
		}
		if len(recs)+skipped != lines {
			t.Fatalf("%d records + %d skipped, want %d lines", len(recs), skipped, lines)
		}
		for _, r := range recs {
			a := r.Prefix.Addr()
			if !r.Prefix.IsSingleIP() || a.Zone() != "" || a.Is4In6() || r.Since.Before(time.Unix(0, 0)) {
				t.Fatalf("record %v since %v", r.Prefix, r.Since)
			}
			back, n, err := parsePsadBlocks(strings.NewReader(fmt.Sprintf("%s %d\n", a, r.Since.Unix())))
			if err != nil || n != 0 || len(back) != 1 || back[0].Prefix != r.Prefix || !back[0].Since.Equal(r.Since) {
				t.Fatalf("record %v@%d reads back as %v, %d skipped, %v", r.Prefix, r.Since.Unix(), back, n, err)
			}
		}
	})
}
