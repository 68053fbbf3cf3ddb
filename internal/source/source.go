// Package source holds the daemon's inputs: a followed log file, the
// kernel's /dev/kmsg, journald, standard input and the syslog listener.
// Each hands the daemon every line together with the position just after
// it, so that the daemon can record the position of the last line it has
// processed (not merely queued) and save it in the same transaction as
// the scan state: after a crash or restart it resumes exactly after that
// line, reading nothing twice and skipping nothing.
//
// Every input has the same four methods:
//
//	Name() string
//	Ready() <-chan struct{}
//	Resume(pos []byte) error
//	Run(ctx context.Context, sink func(line, pos []byte) bool) error
//
// Name is the key under which the daemon stores the input's position.
// Ready, when not nil, is closed once the input reads, so that a line
// written after it is seen. Resume, called before Run, continues after a
// position that sink was given earlier; it also accepts the JSON position
// files written by earlier versions of psad-go (see each type), and
// returns an error wrapping [ErrPosition] for bytes it cannot decode, in
// which case the daemon starts the input afresh. Run calls sink for every
// line, in order, until ctx is done, sink returns false (the daemon is
// stopping) or a finite input ends (standard input, a file of kmsg
// records in tests), and then returns nil; it returns an error only when
// the input cannot be read. Run may be called again after it returns (except
// the Listener's) and continues after the last line sink accepted.
//
// Each input calls sink on Run's goroutine, one line at a time, except
// the Listener, which calls it from several goroutines at once (see
// [Listener]). Resume and Run are called by one goroutine at a time; the
// counters (Rejected, Stats) and Ready may be read from any.
//
// line and pos are valid only during the sink call. pos is nil for the
// inputs that cannot resume (standard input, the listener). Positions are
// small binary strings: a version byte, a byte naming the input kind,
// then the kind's fields (see [File], [Kmsg], [Journal]); encoding one
// appends into a buffer the input reuses, so a line costs no allocation
// here.
//
// This package reads no configuration: the caller turns psad.conf into
// the plain config structs of the constructors.
package source

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
)

// ErrPosition is wrapped by the errors of Resume for a position that
// cannot be decoded (corrupt, from another input, or from a newer
// version).
var ErrPosition = errors.New("undecodable input position")

// posVersion is the first byte of every position. It is not '{' or '"',
// the first bytes of the legacy JSON encodings, so the two are told apart
// by that byte alone.
const posVersion = 1

// Kinds: the second byte of a position, so that a position stored under
// one input's name is never taken for another's.
const (
	kindFile    = 'f'
	kindKmsg    = 'k'
	kindJournal = 'j'
)

// appendHeader starts a position of the given kind.
func appendHeader(dst []byte, kind byte) []byte {
	return append(dst, posVersion, kind)
}

// body checks the header of pos and returns what follows it.
func body(pos []byte, kind byte) ([]byte, error) {
	if len(pos) < 2 {
		return nil, fmt.Errorf("position %q: too short: %w", pos, ErrPosition)
	}
	if pos[0] != posVersion {
		return nil, fmt.Errorf("position %q: version %d: %w", pos, pos[0], ErrPosition)
	}
	if pos[1] != kind {
		return nil, fmt.Errorf("position %q: kind %q, want %q: %w", pos, pos[1], kind, ErrPosition)
	}
	return pos[2:], nil
}

// uvarint reads one unsigned varint from b and returns the rest.
func uvarint(b []byte, what string) (uint64, []byte, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, nil, fmt.Errorf("position: bad %s: %w", what, ErrPosition)
	}
	return v, b[n:], nil
}

// isJSON reports whether pos starts like a legacy JSON position.
func isJSON(pos []byte, first byte) bool {
	for _, c := range pos {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c == first
	}
	return false
}

// logf adapts log to the printf-style diagnostics of logsrc and syslogd.
func logf(log *slog.Logger) func(string, ...any) {
	return func(format string, args ...any) { log.Info(fmt.Sprintf(format, args...)) }
}

// orDiscard returns log, or a logger that drops everything when it is nil.
func orDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}

// kernelTags returns tags as byte slices for [fwlog.KernelTagged],
// defaulting to "kernel", the tag the Linux kernel's messages carry.
func kernelTags(tags []string) [][]byte {
	if len(tags) == 0 {
		tags = []string{"kernel"}
	}
	out := make([][]byte, len(tags))
	for i, t := range tags {
		out[i] = []byte(t)
	}
	return out
}
