package source

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/logsrc"
)

// FileConfig says which file to follow.
type FileConfig struct {
	// Path is the log file the firewall writes to (IPT_SYSLOG_FILE).
	Path string
	// KernelTags are the syslog tags of kernel lines; a firewall-looking
	// line with another tag is rejected (see [File.Rejected]). Default
	// ["kernel"].
	KernelTags []string
	// Header is CUSTOM_SYSLOG_TS_RE (nil for none): a line it matches
	// counts as the kernel's whatever its tag, since the regular
	// expression is the administrator's description of a kernel line
	// (psad's default ends in "kernel:").
	Header *regexp.Regexp
	// FromStart reads the file from its beginning when there is no
	// position to resume from; otherwise reading starts at its end, as
	// psad does (existing content is for -A).
	FromStart bool
	// Poll is how often the file is checked without a file system
	// event; zero means logsrc's default.
	Poll time.Duration
}

// File follows a log file through rotation (rename and create,
// copytruncate, delete and recreate) with [logsrc.Follow].
//
// Its position is the file's identity and the offset after the line:
//
//	0x01 'f' uvarint(device) uvarint(inode) uvarint(offset)
//
// Resume also takes the legacy input_pos file, a JSON [logsrc.Pos]
// ({"Dev":..,"Inode":..,"Offset":..}). A position for a file that has
// since been rotated away, or that is beyond the current file's end,
// reads the current file from its start, so lines written after the
// rotation are not lost.
type File struct {
	c     FileConfig
	tags  [][]byte
	log   *slog.Logger
	ready chan struct{}
	once  sync.Once

	// start is where the next Run begins: set by Resume, then after each
	// line sink accepted or that was rejected. Used by Run's goroutine.
	start *logsrc.Pos
	pos   []byte

	rejected atomic.Uint64
}

// NewFile returns a File for c. Nothing is opened until Run.
func NewFile(c FileConfig, log *slog.Logger) *File {
	return &File{
		c:     c,
		tags:  kernelTags(c.KernelTags),
		log:   orDiscard(log).With("input", "file", "path", c.Path),
		ready: make(chan struct{}),
		pos:   make([]byte, 0, 32),
	}
}

// Name returns "file".
func (f *File) Name() string { return "file" }

// Ready is closed once the file is open and positioned (or found missing
// and watched for).
func (f *File) Ready() <-chan struct{} { return f.ready }

// Rejected returns how many lines looked like firewall records but were
// not tagged by the kernel. Safe for concurrent use.
func (f *File) Rejected() uint64 { return f.rejected.Load() }

// Resume continues after pos, a position from sink or a legacy JSON
// logsrc.Pos. An empty pos leaves the start unchanged.
func (f *File) Resume(pos []byte) error {
	if len(pos) == 0 {
		return nil
	}
	var p logsrc.Pos
	if isJSON(pos, '{') {
		if err := json.Unmarshal(pos, &p); err != nil {
			return fmt.Errorf("file position %q: %w: %w", pos, ErrPosition, err)
		}
		if p.Offset < 0 {
			return fmt.Errorf("file position %q: negative offset: %w", pos, ErrPosition)
		}
		f.start = &p
		return nil
	}
	b, err := body(pos, kindFile)
	if err != nil {
		return fmt.Errorf("file: %w", err)
	}
	var off uint64
	if p.Dev, b, err = uvarint(b, "device"); err == nil {
		if p.Inode, b, err = uvarint(b, "inode"); err == nil {
			off, b, err = uvarint(b, "offset")
		}
	}
	if err != nil {
		return fmt.Errorf("file: %w", err)
	}
	if len(b) != 0 || off > 1<<62 {
		return fmt.Errorf("file position %q: trailing bytes or offset out of range: %w", pos, ErrPosition)
	}
	p.Offset = int64(off)
	f.start = &p
	return nil
}

// Run follows the file until ctx is done or sink returns false. sink is
// called on Run's goroutine.
//
// A line that [fwlog.HasInOut] but is not [fwlog.KernelTagged] was written
// by a program, not by netfilter (logger, an application logging what a
// user typed): it is counted, logged (the first and every 1000th), and not
// passed on. Its position still counts as read: the next line's pos is past
// it, and a later Run starts after it. (Only if the daemon stops before
// any later line is the rejected line read, and rejected, again.)
func (f *File) Run(ctx context.Context, sink func(line, pos []byte) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	o := logsrc.FollowOptions{
		Start:     f.start,
		FromStart: f.c.FromStart,
		Poll:      f.c.Poll,
		Logf:      logf(f.log),
		Ready:     func() { f.once.Do(func() { close(f.ready) }) },
	}
	var last logsrc.Pos
	seen := false
	err := logsrc.Follow(ctx, f.c.Path, o, func(line []byte, p logsrc.Pos) {
		if !f.line(line, p, sink) {
			cancel()
			return
		}
		last, seen = p, true
	})
	if seen {
		f.start = &last
	}
	if err != nil {
		return fmt.Errorf("file %s: %w", f.c.Path, err)
	}
	return nil
}

// line hands one line read from the file to sink, unless it is a
// forgery, and reports whether the line counts as read (false: sink
// refused it). It runs for every line and allocates nothing.
func (f *File) line(line []byte, p logsrc.Pos, sink func(line, pos []byte) bool) bool {
	if fwlog.HasInOut(line) && !fwlog.KernelTagged(line, f.tags) && (f.c.Header == nil || !f.c.Header.Match(line)) {
		if n := f.rejected.Add(1); n == 1 || n%1000 == 0 {
			f.log.Warn("ignoring firewall-looking lines not tagged by the kernel", "count", n)
		}
		return true
	}
	f.pos = appendFilePos(f.pos[:0], p)
	return sink(line, f.pos)
}

// appendFilePos appends the encoding of p.
func appendFilePos(dst []byte, p logsrc.Pos) []byte {
	dst = appendHeader(dst, kindFile)
	dst = binary.AppendUvarint(dst, p.Dev)
	dst = binary.AppendUvarint(dst, p.Inode)
	return binary.AppendUvarint(dst, uint64(p.Offset))
}
