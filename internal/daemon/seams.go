package daemon

import (
	"context"
	"io"
	"net/netip"
	"time"

	"github.com/psadgo/psad/internal/detect"
	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/pipeline"
	"github.com/psadgo/psad/internal/scan"
)

// Source is one input: a followed file, /dev/kmsg, journald, stdin or the
// syslog listener.
type Source interface {
	// Name is the stable key under which the input's position is stored.
	Name() string
	// Ready is closed once the input reads (a file open and positioned);
	// nil when there is nothing to wait for. The daemon reports itself
	// ready (systemd READY=1) only when every input is.
	Ready() <-chan struct{}
	// Resume, called before Run, continues after pos, a position the input
	// gave to sink in an earlier run. An error means pos was unreadable:
	// the input then starts as on a first run.
	Resume(pos []byte) error
	// Run calls sink for every line until ctx is done and returns why it
	// stopped. pos is the input's position just after line (nil for inputs
	// that cannot resume); both are valid only during the call. sink
	// reports false once the daemon is stopping: the line was not taken
	// and Run should return. Only the syslog listener may call sink from
	// several goroutines at once.
	Run(ctx context.Context, sink func(line, pos []byte) bool) error
}

// Notifier is the alert cycle: syslog lines, mail, psad's files,
// DShield, the external script. Its methods run on the daemon's loop,
// which owns the tracker: they read what they need there and must not
// block on I/O (queue it instead), since every packet waits for them.
type Notifier interface {
	// Packet sees every packet that reached the scan state.
	Packet(now time.Time, p *fwlog.Packet)
	// Batch runs the cycle on a closed batch (every CHECK_INTERVAL); b is
	// valid only during the call, and so is the batch detail of its
	// pairs (scan.Pair.Batch), which the daemon takes back after it.
	Batch(b *scan.Closed)
	// Forget is told of the sources the tracker forgot (evicted for
	// MAX_SCAN_SOURCES, or expired), before the batch that may bring one
	// back, so that what the alert cycle keeps of a source goes with it:
	// its directory under PSAD_DIR, its email counts.
	Forget(gone []scan.Gone)
	// Syslog queues one of psad's syslog lines about the daemon itself
	// (the USR1 dump).
	Syslog(line string)
	// Close sends what is queued until ctx is done, drops the rest and
	// says what it dropped. The daemon calls it on the old Notifier after a
	// reload and on the last one at shutdown; no other method is called
	// after it.
	Close(ctx context.Context)
}

// Blocker decides and applies blocks (active response). It lives for the
// whole run (its blocks outlive a reload). Raised and Tick run on the
// loop and must not block on I/O there: decisions are queued for the
// Blocker's own applier.
type Blocker interface {
	// Raised is told of every danger-level rise as the packet lands.
	Raised(now time.Time, src *scan.Source, old int)
	// Tick runs every second, for expiries.
	Tick(now time.Time)
	// Close stops the applier within ctx; blocks stay in the firewall.
	Close(ctx context.Context)
}

// Store keeps the scan state and the inputs' positions across restarts,
// so that after a crash they describe the same moment, or at worst (a
// save larger than the store writes in one transaction) state a little
// newer than the positions: lines are then read and counted again,
// never lost.
type Store interface {
	// Load puts the saved state into t when importScans (psad's
	// IMPORT_OLD_SCANS), forgets it otherwise, and returns the saved
	// positions by input name either way. It runs before the loop starts.
	Load(t *scan.Tracker, importScans bool) (positions map[string][]byte, err error)
	// AppendSource appends the saved form of st to buf. It runs on the
	// loop, so it must do no I/O; it may run while a Save is running.
	AppendSource(buf []byte, st *scan.SourceState) ([]byte, error)
	// Save deletes the sources in gone (forgotten by the tracker: evicted
	// or expired), then writes the changed sources' records (from
	// AppendSource), the global counters and the positions. It runs on
	// the daemon's persistence goroutine with copies, never touching the
	// tracker.
	Save(srcs [][]byte, gone []netip.Addr, counters scan.CounterState, positions map[string][]byte) error
}

// Runtime is everything built from one configuration. A reload (HUP)
// builds a whole new Runtime off the loop and swaps it in at once,
// after the old one has finished its batch.
type Runtime struct {
	// Detector is the detection engine (parser, ignore rules, thresholds,
	// signatures, ICMP checks, fingerprints, auto_dl). The daemon makes
	// its own pipeline from it and turns on Live danger levels.
	Detector *detect.Detector
	// Interval is CHECK_INTERVAL, the period of the alert cycle.
	Interval time.Duration
	// ScanTimeout is SCAN_TIMEOUT; 0 keeps scans for ever
	// (ENABLE_PERSISTENCE=Y).
	ScanTimeout time.Duration
	// ExpireEvery is PERSISTENCE_CTR_THRESHOLD: intervals between timeout
	// sweeps (0: every interval).
	ExpireEvery int
	Notifier    Notifier
	// Report renders psad's status report of the live state (-S and the
	// USR1 dump); it runs on the loop.
	Report func(w io.Writer, t *scan.Tracker, q ReportQuery)
	// DumpPath is where USR1 writes the report (PRINT_SCAN_HASH.<pid>).
	DumpPath string
}

// Stats count what the daemon has done.
type Stats struct {
	Lines, Batches, Reloads, ReloadsRefused int64
	ByOutcome                               [pipeline.Accepted + 1]int64
	// SavesFailed counts state saves that returned an error.
	SavesFailed int
	Started     time.Time
	// Inputs count each input's lines (in Config.Sources order).
	Inputs []InputStats
}

// InputStats are one input's counters.
type InputStats struct {
	Name      string
	ByOutcome [pipeline.Accepted + 1]int64
	// LastLine is the last line processed (for the input's lag); Stats
	// returns a copy of its own.
	LastLine []byte
}

// ReportQuery says which report Runtime.Report renders.
type ReportQuery struct {
	// Summary and MinDL are -S's --status-summary and --status-dl.
	Summary bool
	MinDL   int
	// Blocks, set for -S when active response is on, writes psad's
	// auto-blocked IP section.
	Blocks func(io.Writer)
	// Full is the USR1 dump: every source, no STATUS_* limits.
	Full bool
	// JSON renders the psad-go/1 document (docs/json.md) instead of text.
	JSON bool
	// Explain, when valid, asks why this source has its danger level
	// instead of the report (--explain); Blocked is its active block as
	// the caller found it ("" for none), and NeverBlock the never-block
	// rule covering it.
	Explain             netip.Addr
	Blocked, NeverBlock string
}
