// Package tcpwrappers blocks sources for services built with libwrap by
// writing "ALL: <address>" lines to hosts.deny (psad's
// TCPWRAPPERS_BLOCK_METHOD). psad-go's lines live in one block between
// two marker comments, so every other line of the file is left byte for
// byte, and each change replaces the file atomically so that a service
// reading it never sees half of it.
package tcpwrappers

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/psadgo/psad/internal/block"
)

// DefaultPath is psad's default ETC_HOSTS_DENY_FILE.
const DefaultPath = "/etc/hosts.deny"

// The marker lines around psad-go's block. Comment lines, so libwrap
// ignores them; a trailing comment on each entry would not do, since
// hosts.deny has comments only at the start of a line.
const (
	beginMarker = "# psad-go begin: lines up to the end marker are managed by psad-go"
	endMarker   = "# psad-go end"
)

// Config configures a Backend.
type Config struct {
	// Path is the hosts.deny file; empty means DefaultPath.
	Path string
}

// Backend is the tcpwrappers block.Backend. Its methods are called from
// one goroutine at a time, as block.Backend requires; other processes
// may read the file at any time.
type Backend struct {
	path string
}

var _ block.Backend = (*Backend)(nil)

// New returns a Backend for cfg; it touches no file until Init.
func New(cfg Config) *Backend {
	p := cfg.Path
	if p == "" {
		p = DefaultPath
	}
	return &Backend{path: p}
}

// Name implements block.Backend.
func (b *Backend) Name() string { return "tcpwrappers" }

// file is hosts.deny split around psad-go's block.
type file struct {
	before, after []byte // foreign bytes, kept as read
	hasBlock      bool
	entries       []netip.Prefix
}

// format writes p as libwrap's client patterns expect: a.b.c.d or
// a.b.c.d/m.m.m.m for IPv4, [v6] or [v6]/len for IPv6 (hosts_access(5)).
func format(p netip.Prefix) string {
	a := p.Addr()
	if a.Is4() {
		if p.Bits() == 32 {
			return a.String()
		}
		m := netMask(p.Bits())
		return a.String() + "/" + netip.AddrFrom4(m).String()
	}
	if p.Bits() == 128 {
		return "[" + a.String() + "]"
	}
	return "[" + a.String() + "]/" + strconv.Itoa(p.Bits())
}

func netMask(bits int) [4]byte {
	var m [4]byte
	for i := range bits {
		m[i/8] |= 0x80 >> (i % 8)
	}
	return m
}

// parseClient is the inverse of format. A network with host bits set is
// refused: tcpd compares the masked client address with the pattern's
// address as written, so such a line matches nothing, and reading it as
// its network would list a block that does not take effect.
func parseClient(s string) (netip.Prefix, error) {
	p, err := parsePattern(s)
	if err == nil && p != p.Masked() {
		return netip.Prefix{}, fmt.Errorf("%q has host bits set beyond its mask: tcpd matches no client with it", s)
	}
	return p, err
}

func parsePattern(s string) (netip.Prefix, error) {
	if rest, ok := strings.CutPrefix(s, "["); ok {
		addr, bits, closed := strings.Cut(rest, "]")
		a, err := netip.ParseAddr(addr)
		if !closed || err != nil || !a.Is6() {
			return netip.Prefix{}, fmt.Errorf("bad IPv6 client %q", s)
		}
		n := 128
		if bits != "" {
			l, ok := strings.CutPrefix(bits, "/")
			v, err := strconv.Atoi(l)
			if !ok || err != nil || v < 0 || v > 128 {
				return netip.Prefix{}, fmt.Errorf("bad IPv6 prefix length in %q", s)
			}
			n = v
		}
		return netip.PrefixFrom(a, n), nil
	}
	addr, mask, hasMask := strings.Cut(s, "/")
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is4() {
		return netip.Prefix{}, fmt.Errorf("bad IPv4 client %q", s)
	}
	if !hasMask {
		return netip.PrefixFrom(a, 32), nil
	}
	m, err := netip.ParseAddr(mask)
	if err != nil || !m.Is4() {
		return netip.Prefix{}, fmt.Errorf("bad IPv4 netmask in %q", s)
	}
	for bits := 0; bits <= 32; bits++ {
		if netMask(bits) == m.As4() {
			return netip.PrefixFrom(a, bits), nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("non-contiguous IPv4 netmask in %q", s)
}

// parse splits data around psad-go's block and reads its entries.
func parse(data []byte) (*file, error) {
	f := &file{}
	begin := findLine(data, 0, beginMarker)
	if begin < 0 {
		f.before = data
		return f, nil
	}
	bodyStart := lineEnd(data, begin)
	end := findLine(data, bodyStart, endMarker)
	if end < 0 {
		return nil, fmt.Errorf("marker %q without %q", beginMarker, endMarker)
	}
	f.hasBlock = true
	f.before = data[:begin]
	f.after = data[lineEnd(data, end):]
	sc := bufio.NewScanner(bytes.NewReader(data[bodyStart:end]))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		client, ok := strings.CutPrefix(line, "ALL:")
		if !ok {
			return nil, fmt.Errorf("line %d of psad-go's block: want %q, got %q", n, "ALL: <address>", line)
		}
		p, err := parseClient(strings.TrimSpace(client))
		if err != nil {
			return nil, fmt.Errorf("line %d of psad-go's block: %w", n, err)
		}
		f.entries = append(f.entries, p)
	}
	return f, sc.Err()
}

// findLine returns the offset of the first line from off that is exactly
// s, or -1.
func findLine(data []byte, off int, s string) int {
	for off < len(data) {
		end := lineEnd(data, off)
		if string(bytes.TrimRight(data[off:end], "\r\n")) == s {
			return off
		}
		off = end
	}
	return -1
}

// lineEnd returns the offset just past the line starting at off.
func lineEnd(data []byte, off int) int {
	if i := bytes.IndexByte(data[off:], '\n'); i >= 0 {
		return off + i + 1
	}
	return len(data)
}

func (f *file) render() []byte {
	var buf bytes.Buffer
	buf.Write(f.before)
	if f.hasBlock {
		if len(f.before) > 0 && f.before[len(f.before)-1] != '\n' {
			// The foreign last line had no newline; ours must start
			// on a line of its own.
			buf.WriteByte('\n')
		}
		buf.WriteString(beginMarker + "\n")
		for _, p := range f.entries {
			buf.WriteString("ALL: " + format(p) + "\n")
		}
		buf.WriteString(endMarker + "\n")
	}
	buf.Write(f.after)
	return buf.Bytes()
}

// update reads the file, lets change edit it, and replaces the file if
// the rendering differs. A missing file is created when create is set.
func (b *Backend) update(ctx context.Context, create bool, change func(*file)) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("tcpwrappers: %w", err)
	}
	data, err := os.ReadFile(b.path)
	missing := errors.Is(err, fs.ErrNotExist)
	if err != nil && !(missing && create) {
		return fmt.Errorf("tcpwrappers: read hosts.deny: %w", err)
	}
	f, err := parse(data)
	if err != nil {
		return fmt.Errorf("tcpwrappers: %q: %w", b.path, err)
	}
	change(f)
	out := f.render()
	if !missing && bytes.Equal(out, data) {
		return nil
	}
	return b.replace(out, missing)
}

// replace writes data to a temporary file beside the target, syncs it,
// gives it the target's mode and owner and renames it over the target, so
// readers see the old file or the new one and never a mixture.
func (b *Backend) replace(data []byte, missing bool) error {
	mode := fs.FileMode(0o644)
	uid, gid := -1, -1
	if !missing {
		fi, err := os.Stat(b.path)
		if err != nil {
			return fmt.Errorf("tcpwrappers: %w", err)
		}
		mode = fi.Mode().Perm()
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			uid, gid = int(st.Uid), int(st.Gid)
		}
	}
	dir, base := filepath.Split(b.path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".psad-*")
	if err != nil {
		return fmt.Errorf("tcpwrappers: temporary file for %q: %w", b.path, err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("tcpwrappers: write %q: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("tcpwrappers: chmod %q: %w", tmp.Name(), err)
	}
	if uid >= 0 && (uid != os.Getuid() || gid != os.Getgid()) {
		if err := tmp.Chown(uid, gid); err != nil {
			return fmt.Errorf("tcpwrappers: chown %q to %d:%d: %w", tmp.Name(), uid, gid, err)
		}
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("tcpwrappers: sync %q: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("tcpwrappers: close %q: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), b.path); err != nil {
		return fmt.Errorf("tcpwrappers: replace %q: %w", b.path, err)
	}
	ok = true
	// The rename is durable only once the directory is synced.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Init implements block.Backend: it creates the file (mode 0644) if
// missing and adds psad-go's empty block if absent.
func (b *Backend) Init(ctx context.Context) error {
	return b.update(ctx, true, func(f *file) { f.hasBlock = true })
}

// Add implements block.Backend. An entry already present stays as it is
// (renewal changes nothing in hosts.deny, which has no timeouts; psad
// could not renew these blocks at all). Expires is not kept: libwrap
// cannot expire a line, so the policy removes it.
func (b *Backend) Add(ctx context.Context, entries []block.Entry) error {
	for _, e := range entries {
		if !e.Prefix.IsValid() {
			return fmt.Errorf("tcpwrappers: invalid block prefix %q", e.Prefix.String())
		}
	}
	return b.update(ctx, false, func(f *file) {
		f.hasBlock = true
		for _, e := range entries {
			p := e.Prefix.Masked()
			if !slices.Contains(f.entries, p) {
				f.entries = append(f.entries, p)
			}
		}
	})
}

// Remove implements block.Backend.
func (b *Backend) Remove(ctx context.Context, prefixes []netip.Prefix) error {
	return b.update(ctx, false, func(f *file) {
		f.entries = slices.DeleteFunc(f.entries, func(p netip.Prefix) bool {
			return slices.ContainsFunc(prefixes, func(q netip.Prefix) bool { return q.Masked() == p })
		})
	})
}

// List implements block.Backend; Expires is always zero (see Add).
func (b *Backend) List(ctx context.Context) ([]block.Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("tcpwrappers: %w", err)
	}
	data, err := os.ReadFile(b.path)
	if err != nil {
		return nil, fmt.Errorf("tcpwrappers: read hosts.deny: %w", err)
	}
	f, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("tcpwrappers: %q: %w", b.path, err)
	}
	out := make([]block.Entry, len(f.entries))
	for i, p := range f.entries {
		out[i] = block.Entry{Prefix: p}
	}
	return out, nil
}

// Flush implements block.Backend: the block stays, empty.
func (b *Backend) Flush(ctx context.Context) error {
	return b.update(ctx, false, func(f *file) { f.entries = nil })
}

// Teardown implements block.Backend: psad-go's block goes, markers
// included; a missing file is left missing.
func (b *Backend) Teardown(ctx context.Context) error {
	if _, err := os.Stat(b.path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return b.update(ctx, false, func(f *file) {
		f.hasBlock = false
		f.entries = nil
	})
}
