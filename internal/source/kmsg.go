package source

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/psadgo/psad/internal/logsrc"
)

// KmsgConfig says where and how to read the kernel log buffer. The zero
// value reads /dev/kmsg of the running system.
type KmsgConfig struct {
	// Path defaults to /dev/kmsg; tests pass a file of records.
	Path string
	// BootID identifies the boot the sequence numbers count in (default
	// [logsrc.BootID]). A position from another boot is not resumed:
	// sequence numbers restart at 0 at every boot.
	BootID string
	// Boot is when the system booted, to turn the records' uptime into a
	// time of day (default [logsrc.BootTime]).
	Boot time.Time
	// Host is written into the lines as the syslog host (default the
	// host name).
	Host string
	// FromStart reads the records already in the ring when there is no
	// position to resume from; otherwise reading starts with the next
	// record logged.
	FromStart bool
}

// Kmsg reads the kernel's log buffer with [logsrc.Kmsg] and hands on the
// records the kernel logged itself (facility 0; see
// [logsrc.KmsgRecord.Kernel]) as syslog-style lines ([logsrc.KmsgLine]).
// Records written to /dev/kmsg from user space are dropped and counted
// (see [Kmsg.Rejected]).
//
// Its position is the boot and the record's sequence number:
//
//	0x01 'k' len(boot id) boot-id uvarint(seq)
//
// Resume also takes the legacy kmsg_seq file ({"Boot":..,"Seq":..}).
// Either is resumed only within the boot it was taken in.
type Kmsg struct {
	c     KmsgConfig
	log   *slog.Logger
	ready chan struct{}
	once  sync.Once

	// after is the last record read; nil reads as KmsgConfig.FromStart
	// says. Set by Resume and by Run, on Run's goroutine.
	after *uint64
	line  []byte
	pos   []byte

	rejected, lost atomic.Uint64
}

// NewKmsg returns a Kmsg for c, filling in c's defaults from the running
// system. Nothing is opened until Run.
func NewKmsg(c KmsgConfig, log *slog.Logger) *Kmsg {
	log = orDiscard(log).With("input", "kmsg")
	if c.BootID == "" {
		id, err := logsrc.BootID()
		if err != nil {
			log.Warn("positions will not be resumed across a restart", "err", err)
		}
		c.BootID = id
	}
	if c.Boot.IsZero() {
		b, err := logsrc.BootTime()
		if err != nil {
			log.Warn("kernel record times will be off", "err", err)
		}
		c.Boot = b
	}
	if c.Host == "" {
		c.Host, _ = os.Hostname() // "" is written as localhost
	}
	return &Kmsg{c: c, log: log, ready: make(chan struct{}), pos: make([]byte, 0, 64)}
}

// Name returns "kmsg".
func (k *Kmsg) Name() string { return "kmsg" }

// Ready is closed once the device is open and positioned.
func (k *Kmsg) Ready() <-chan struct{} { return k.ready }

// Rejected returns how many records were dropped because user space, not
// the kernel, wrote them. Safe for concurrent use.
func (k *Kmsg) Rejected() uint64 { return k.rejected.Load() }

// Lost returns how many records the kernel overwrote in its ring before
// they could be read (gaps in the sequence numbers and overruns). Safe
// for concurrent use.
func (k *Kmsg) Lost() uint64 { return k.lost.Load() }

// Resume continues after pos if pos was taken in the running boot;
// otherwise (another boot, or the boot unknown) it logs that and leaves
// the start unchanged, since the sequence numbers it holds mean nothing
// now. An empty pos leaves the start unchanged too.
func (k *Kmsg) Resume(pos []byte) error {
	if len(pos) == 0 {
		return nil
	}
	var boot string
	var seq uint64
	if isJSON(pos, '{') {
		var legacy struct {
			Boot string
			Seq  uint64
		}
		if err := json.Unmarshal(pos, &legacy); err != nil {
			return fmt.Errorf("kmsg position %q: %w: %w", pos, ErrPosition, err)
		}
		boot, seq = legacy.Boot, legacy.Seq
	} else {
		b, err := body(pos, kindKmsg)
		if err != nil {
			return fmt.Errorf("kmsg: %w", err)
		}
		if len(b) == 0 || len(b) < 1+int(b[0]) {
			return fmt.Errorf("kmsg position %q: bad boot id: %w", pos, ErrPosition)
		}
		boot, b = string(b[1:1+int(b[0])]), b[1+int(b[0]):]
		if seq, b, err = uvarint(b, "sequence number"); err != nil {
			return fmt.Errorf("kmsg: %w", err)
		}
		if len(b) != 0 {
			return fmt.Errorf("kmsg position %q: trailing bytes: %w", pos, ErrPosition)
		}
	}
	if boot == "" || boot != k.c.BootID {
		k.log.Info("saved position is from another boot, not resuming", "saved_boot", boot, "boot", k.c.BootID)
		return nil
	}
	k.after = &seq
	return nil
}

// Run reads records until ctx is done or sink returns false; from a
// regular file (tests) it returns at the file's end. sink is called on
// Run's goroutine.
func (k *Kmsg) Run(ctx context.Context, sink func(line, pos []byte) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	o := logsrc.KmsgOptions{
		Path:      k.c.Path,
		AfterSeq:  k.after,
		FromStart: k.c.FromStart,
		Logf:      logf(k.log),
		Ready:     func() { k.once.Do(func() { close(k.ready) }) },
	}
	var last uint64
	seen := false
	err := logsrc.Kmsg(ctx, o, func(r logsrc.KmsgRecord) {
		if !k.record(r, sink) {
			cancel()
			return
		}
		last, seen = r.Seq, true
	})
	if seen {
		k.after = &last
	}
	if err != nil {
		return fmt.Errorf("kmsg: %w", err)
	}
	return nil
}

// record hands one record to sink as a line, unless user space wrote it,
// and reports whether the record counts as read (false: sink refused
// it). It runs for every record and allocates nothing.
func (k *Kmsg) record(r logsrc.KmsgRecord, sink func(line, pos []byte) bool) bool {
	if r.Lost > 0 {
		k.lost.Add(r.Lost)
	}
	if !r.Kernel() {
		// Written to /dev/kmsg from user space: not a packet the kernel
		// logged. Skipped, and read past.
		k.rejected.Add(1)
		return true
	}
	k.line = logsrc.KmsgLine(k.line[:0], r, k.c.Boot, k.c.Host)
	k.pos = appendKmsgPos(k.pos[:0], k.c.BootID, r.Seq)
	return sink(k.line, k.pos)
}

// appendKmsgPos appends the encoding of seq in boot. A boot id is a
// 36-character UUID; one longer than 255 bytes is cut (and will then not
// match, so the position is not resumed, which is safe).
func appendKmsgPos(dst []byte, boot string, seq uint64) []byte {
	dst = appendHeader(dst, kindKmsg)
	boot = boot[:min(len(boot), 255)]
	dst = append(dst, byte(len(boot)))
	dst = append(dst, boot...)
	return binary.AppendUvarint(dst, seq)
}
