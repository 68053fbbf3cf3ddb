package source

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/psadgo/psad/internal/logsrc"
)

// JournalConfig says how to run journalctl.
type JournalConfig struct {
	// Command is the journalctl program (FW_MSG_READ_CMD); default
	// "journalctl" in PATH.
	Command string
	// Args are added after the reader's own arguments (tests, or
	// options such as --directory).
	Args []string
	// Restart, when positive, is the pause before journalctl is started
	// again after it exits on its own (with -f it should not), resuming
	// after the last record read, as psad restarts its reader. Zero
	// makes Run return the error instead.
	Restart time.Duration
}

// Journal reads the kernel's records from journald with [logsrc.Journal]
// and hands them on as syslog-style lines ([logsrc.JournalLine]).
// Records not from the kernel are dropped by logsrc and counted (see
// [Journal.Rejected]).
//
// Its position is the journal cursor of the record:
//
//	0x01 'j' cursor
//
// Resume also takes the legacy journal_cursor file (a JSON string).
type Journal struct {
	c   JournalConfig
	log *slog.Logger

	// cursor is the record to start after; "" starts with the next
	// record logged. Set by Resume, and by Run when journalctl stops,
	// from pos.
	cursor string
	line   []byte
	pos    []byte

	rejected atomic.Uint64
}

// NewJournal returns a Journal for c. Nothing runs until Run.
func NewJournal(c JournalConfig, log *slog.Logger) *Journal {
	return &Journal{c: c, log: orDiscard(log).With("input", "journal"), pos: make([]byte, 0, 128)}
}

// Name returns "journal".
func (j *Journal) Name() string { return "journal" }

// Ready returns nil: there is no hook that tells when journalctl has
// reached the end of the journal.
func (j *Journal) Ready() <-chan struct{} { return nil }

// Rejected returns how many output lines of journalctl were not kernel
// records. Safe for concurrent use.
func (j *Journal) Rejected() uint64 { return j.rejected.Load() }

// Resume continues after pos, a position from sink or a legacy JSON
// cursor string. An empty pos leaves the start unchanged.
func (j *Journal) Resume(pos []byte) error {
	if len(pos) == 0 {
		return nil
	}
	if isJSON(pos, '"') {
		var c string
		if err := json.Unmarshal(pos, &c); err != nil {
			return fmt.Errorf("journal position %q: %w: %w", pos, ErrPosition, err)
		}
		j.cursor = c
		return nil
	}
	b, err := body(pos, kindJournal)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if len(b) == 0 {
		return fmt.Errorf("journal position %q: empty cursor: %w", pos, ErrPosition)
	}
	j.cursor = string(b)
	return nil
}

// Run runs journalctl and reads its records until ctx is done or sink
// returns false. sink is called on Run's goroutine.
func (j *Journal) Run(ctx context.Context, sink func(line, pos []byte) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for {
		j.pos = j.pos[:0]
		if j.cursor != "" {
			j.pos = append(appendHeader(j.pos, kindJournal), j.cursor...)
		}
		o := logsrc.JournalOptions{Command: j.c.Command, Args: j.c.Args, AfterCursor: j.cursor}
		rejected, err := logsrc.Journal(ctx, o, func(r logsrc.JournalRecord) {
			if ctx.Err() != nil {
				return
			}
			if !j.record(r, sink) {
				cancel()
			}
		})
		// pos holds the last record's cursor: a restart resumes after it.
		if c, err := body(j.pos, kindJournal); err == nil && len(c) > 0 {
			j.cursor = string(c)
		}
		if rejected > 0 {
			j.rejected.Add(uint64(rejected))
			j.log.Info("journal records not from the kernel ignored", "count", rejected)
		}
		if err == nil || ctx.Err() != nil {
			return nil
		}
		if j.c.Restart <= 0 {
			return fmt.Errorf("journal: %w", err)
		}
		j.log.Warn("journalctl stopped, restarting", "err", err, "after", j.c.Restart)
		t := time.NewTimer(j.c.Restart)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// record hands one record to sink as a line with its cursor as pos. A
// record without a cursor (journalctl always writes one) keeps the
// previous pos. It runs for every record and allocates nothing.
func (j *Journal) record(r logsrc.JournalRecord, sink func(line, pos []byte) bool) bool {
	j.line = logsrc.JournalLine(j.line[:0], r)
	if len(r.Cursor) > 0 {
		j.pos = append(appendHeader(j.pos[:0], kindJournal), r.Cursor...)
	}
	return sink(j.line, j.pos)
}
