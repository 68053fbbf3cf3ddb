package tcpwrappers

import (
	"bytes"
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/block"
)

// foreign is a hosts.deny written by someone else: comments, blank
// lines, CRLF, trailing spaces and no final newline, all of which must
// survive every change byte for byte.
const foreign = "# /etc/hosts.deny: list of hosts that are _not_ allowed\n\n" +
	"sshd: 192.0.2.7   \r\nALL: PARANOID\n" +
	"ALL: 10.9.9.9 # looks like ours but is not\nvsftpd: [2001:db8::1]/64"

func newFile(t *testing.T, content string, mode fs.FileMode) (*Backend, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hosts.deny")
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return New(Config{Path: path}), path
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func prefixes(t *testing.T, b *Backend) []netip.Prefix {
	t.Helper()
	es, err := b.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []netip.Prefix
	for _, e := range es {
		if !e.Expires.IsZero() {
			t.Errorf("List: %v has Expires %v", e.Prefix, e.Expires)
		}
		out = append(out, e.Prefix)
	}
	return out
}

func entries(ps ...string) []block.Entry {
	var out []block.Entry
	for _, s := range ps {
		out = append(out, block.Entry{Prefix: netip.MustParsePrefix(s), Expires: time.Now().Add(time.Hour)})
	}
	return out
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.55/32", "192.0.2.55"},
		{"10.1.0.0/16", "10.1.0.0/255.255.0.0"},
		{"10.1.2.0/23", "10.1.2.0/255.255.254.0"},
		{"fd00::1/128", "[fd00::1]"},
		{"2001:db8::/48", "[2001:db8::]/48"},
	} {
		p := netip.MustParsePrefix(tc.in)
		if got := format(p); got != tc.want {
			t.Errorf("format(%s) = %q, want %q", tc.in, got, tc.want)
		}
		back, err := parseClient(tc.want)
		if err != nil || back != p {
			t.Errorf("parseClient(%q) = %v, %v, want %v", tc.want, back, err, p)
		}
	}
	for _, bad := range []string{"10.1.0.0/255.0.255.0", "[fd00::1", "[10.0.0.1]", "fd00::1", "10.0.0.1/129", "[fd00::]/129", "host.example", "10.1.2.3/255.255.0.0", "[2001:db8::1]/64"} {
		if p, err := parseClient(bad); err == nil {
			t.Errorf("parseClient(%q) = %v, want an error", bad, p)
		}
	}
}

func TestRoundTripKeepsForeignLines(t *testing.T) {
	b, path := newFile(t, foreign, 0o640)
	ctx := t.Context()
	if err := b.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if got := prefixes(t, b); len(got) != 0 {
		t.Fatalf("List after Init = %v, want none (foreign ALL lines are not ours)", got)
	}
	want := []netip.Prefix{
		netip.MustParsePrefix("192.0.2.55/32"), netip.MustParsePrefix("10.1.0.0/16"),
		netip.MustParsePrefix("fd00::1/128"), netip.MustParsePrefix("2001:db8::/48"),
	}
	if err := b.Add(ctx, entries("192.0.2.55/32", "10.1.2.3/16", "fd00::1/128", "2001:db8::/48")); err != nil {
		t.Fatal(err)
	}
	if got := prefixes(t, b); !slices.Equal(got, want) {
		t.Errorf("List = %v, want %v", got, want)
	}
	content := read(t, path)
	if !strings.HasPrefix(content, foreign+"\n") {
		t.Errorf("foreign lines changed:\n%q", content)
	}
	for _, line := range []string{"ALL: 192.0.2.55\n", "ALL: 10.1.0.0/255.255.0.0\n", "ALL: [fd00::1]\n", "ALL: [2001:db8::]/48\n"} {
		if !strings.Contains(content, line) {
			t.Errorf("file lacks %q:\n%s", line, content)
		}
	}

	// Renewal: a present entry stays as it is and the file is not
	// rewritten (same inode).
	before, _ := os.Stat(path)
	if err := b.Add(ctx, entries("192.0.2.55/32", "fd00::1/128")); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(path)
	if !os.SameFile(before, after) || read(t, path) != content {
		t.Error("renewing present entries rewrote the file")
	}

	if err := b.Remove(ctx, []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("fd00::1/128"), netip.MustParsePrefix("203.0.113.1/32")}); err != nil {
		t.Fatal(err)
	}
	if got := prefixes(t, b); !slices.Equal(got, []netip.Prefix{want[0], want[3]}) {
		t.Errorf("List after Remove = %v", got)
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := prefixes(t, b); len(got) != 0 {
		t.Errorf("List after Flush = %v", got)
	}
	if !strings.Contains(read(t, path), beginMarker) {
		t.Error("Flush removed the block's markers")
	}
	if err := b.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
	// Only the newline that separated the foreign last line from our
	// block remains.
	if got := read(t, path); got != foreign+"\n" {
		t.Errorf("after Teardown:\n%q\nwant\n%q", got, foreign+"\n")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}
	if tmps, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".hosts.deny.psad-*")); len(tmps) != 0 {
		t.Errorf("temporary files left: %v", tmps)
	}
}

func TestBlockInTheMiddleStays(t *testing.T) {
	content := "a: 1\n" + beginMarker + "\nALL: 10.0.0.1\n" + endMarker + "\nb: 2\n"
	b, path := newFile(t, content, 0o600)
	if err := b.Add(t.Context(), entries("10.0.0.2/32")); err != nil {
		t.Fatal(err)
	}
	want := "a: 1\n" + beginMarker + "\nALL: 10.0.0.1\nALL: 10.0.0.2\n" + endMarker + "\nb: 2\n"
	if got := read(t, path); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestMalformedBlockIsAnError(t *testing.T) {
	for name, content := range map[string]string{
		"no end marker": beginMarker + "\nALL: 10.0.0.1\n",
		"foreign line":  beginMarker + "\nsshd: 10.0.0.1\n" + endMarker + "\n",
		"bad address":   beginMarker + "\nALL: 10.0.0.300\n" + endMarker + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			b, path := newFile(t, content, 0o644)
			if _, err := b.List(t.Context()); err == nil {
				t.Error("List accepted it")
			}
			if err := b.Add(t.Context(), entries("10.0.0.2/32")); err == nil {
				t.Error("Add accepted it")
			}
			if got := read(t, path); got != content {
				t.Errorf("file changed to %q", got)
			}
		})
	}
}

func TestInitCreatesMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hosts.deny")
	b := New(Config{Path: path})
	if err := b.Add(t.Context(), entries("10.0.0.1/32")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Add before Init on a missing file: %v, want fs.ErrNotExist", err)
	}
	if err := b.Teardown(t.Context()); err != nil {
		t.Errorf("Teardown of a missing file: %v", err)
	}
	if err := b.Init(t.Context()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	if got, want := read(t, path), beginMarker+"\n"+endMarker+"\n"; got != want {
		t.Errorf("new file %q, want %q", got, want)
	}
}

// TestReadersNeverSeePartialFile rewrites the file many times while a
// reader goroutine reads it continuously: every read must be one of the
// complete versions, never a truncated or mixed one.
func TestReadersNeverSeePartialFile(t *testing.T) {
	// A large foreign part makes a non-atomic write visible.
	big := strings.Repeat("# padding line so that a partial write would show\n", 2000)
	b, path := newFile(t, big, 0o644)
	ctx := t.Context()
	if err := b.Init(ctx); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads, bad int
	var badSample string
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			data, err := os.ReadFile(path)
			if err != nil {
				bad++
				badSample = err.Error()
				continue
			}
			reads++
			if !bytes.HasPrefix(data, []byte(big)) || !bytes.HasSuffix(data, []byte(endMarker+"\n")) {
				bad++
				badSample = string(data[max(0, len(data)-200):])
			}
		}
	})
	const rounds = 200
	for i := range rounds {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 32)
		if err := b.Add(ctx, []block.Entry{{Prefix: p}}); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			if err := b.Remove(ctx, []netip.Prefix{p}); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(stop)
	wg.Wait()
	if bad > 0 {
		t.Errorf("%d of %d reads saw a partial file, e.g. %q", bad, reads+bad, badSample)
	}
	if reads == 0 {
		t.Error("the reader never read the file")
	}
	t.Logf("%d reads during %d rewrites, none partial", reads, rounds+rounds/2)
	if got := len(prefixes(t, b)); got != rounds/2 {
		t.Errorf("List holds %d entries, want %d", got, rounds/2)
	}
}

func TestOwnerPreserved(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the file another owner")
	}
	b, path := newFile(t, foreign, 0o604)
	if err := os.Chown(path, 1234, 4321); err != nil {
		t.Fatal(err)
	}
	if err := b.Add(t.Context(), entries("10.0.0.1/32")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != 1234 || st.Gid != 4321 || fi.Mode().Perm() != 0o604 {
		t.Errorf("owner %d:%d mode %v, want 1234:4321 0604", st.Uid, st.Gid, fi.Mode().Perm())
	}
}
