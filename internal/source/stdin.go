package source

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/psadgo/psad/internal/logsrc"
)

// StdinConfig says what to read.
type StdinConfig struct {
	// Input is the daemon's standard input (psad --Stdin).
	Input io.Reader
}

// Stdin reads lines from a stream once, with [logsrc.Each]. A stream has
// no position to come back to, so pos is always nil.
type Stdin struct {
	c   StdinConfig
	log *slog.Logger
}

// NewStdin returns a Stdin for c.
func NewStdin(c StdinConfig, log *slog.Logger) *Stdin {
	return &Stdin{c: c, log: orDiscard(log).With("input", "stdin")}
}

// Name returns "stdin".
func (s *Stdin) Name() string { return "stdin" }

// Ready returns nil: a stream is read from its first byte.
func (s *Stdin) Ready() <-chan struct{} { return nil }

// Resume accepts only an empty position: a stream cannot be resumed.
func (s *Stdin) Resume(pos []byte) error {
	if len(pos) != 0 {
		return fmt.Errorf("stdin position %q: standard input has no positions: %w", pos, ErrPosition)
	}
	return nil
}

// Run reads lines until the stream ends, ctx is done or sink returns
// false. sink is called on Run's goroutine with a nil pos. A read blocked
// on the stream is not interrupted by ctx; Run returns at the next line
// or the end of the stream.
func (s *Stdin) Run(ctx context.Context, sink func(line, pos []byte) bool) error {
	logsrc.GrowPipe(s.c.Input) // room for a burst while the daemon is busy
	err := logsrc.Each(s.c.Input, func(line []byte) bool {
		return ctx.Err() == nil && sink(line, nil)
	})
	if err != nil {
		return fmt.Errorf("stdin: %w", err)
	}
	return nil
}
