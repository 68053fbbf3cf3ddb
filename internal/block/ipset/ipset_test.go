package ipset

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/block"
)

func TestTimeout(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		name    string
		expires time.Time
		want    uint32
	}{
		{"permanent", time.Time{}, 0},
		{"whole seconds", now.Add(30 * time.Second), 30},
		{"rounded up", now.Add(1500 * time.Millisecond), 2},
		{"overdue is one second, not permanent", now.Add(-time.Minute), 1},
		{"clamped to the kernel's limit", now.Add(365 * 24 * time.Hour), maxTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := timeout(tc.expires, now); got != tc.want {
				t.Errorf("timeout(%v) = %d, want %d", tc.expires, got, tc.want)
			}
		})
	}
}

func TestEntryRejects(t *testing.T) {
	for _, p := range []netip.Prefix{{}, netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")} {
		if _, err := entry(p); err == nil {
			t.Errorf("entry(%v) accepted", p)
		}
	}
	el, err := entry(netip.MustParsePrefix("10.1.2.3/16"))
	if err != nil {
		t.Fatal(err)
	}
	if el.IP.String() != "10.1.0.0" || el.CIDR != 16 || !el.Replace {
		t.Errorf("entry(10.1.2.3/16) = %v/%d replace %v", el.IP, el.CIDR, el.Replace)
	}
}

func TestFullErrorMessage(t *testing.T) {
	var err error = errors.Join(&FullError{Set: Set4, MaxElem: 4, NotAdded: 2})
	var fe *FullError
	if !errors.As(err, &fe) || fe.NotAdded != 2 {
		t.Fatalf("errors.As(%v) = %v", err, fe)
	}
	const want = `ipset "psad_block4" is full (maxelem 4): 2 entries not added; raise the set size limit`
	if err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
}

// Compile-time and doc check: the constructor returns the concrete type.
var _ block.Backend = (*Backend)(nil)
