package block

import (
	"net/netip"
	"time"
)

// State is where one block stands. The transitions are
//
//	None      -> Blocked    a source reached the threshold, or Block
//	Blocked   -> Renewed    a higher DL or Block gave a later expiry, or
//	                        a restart re-applied it (same entry, no Remove)
//	Renewed   -> Renewed    as above
//	Blocked,
//	Renewed   -> Expired    its time ran out (Tick)
//	          -> Unblocked  Unblock (--fw-rm-block-ip)
//	          -> Flushed    Flush (-F)
//	any ended -> Blocked    Block, or for Expired and Flushed a new rise
//	                        (an Unblocked one only after its Until)
//
// Expired, Unblocked and Flushed are tombstones: they stay in the store
// so that reconciliation can remove an entry a firewall still holds and a
// restart does not bring the block back, and are forgotten once
// [tombstoneKeep] has passed (and, for Unblocked, its Until).
type State uint8

const (
	None State = iota
	Blocked
	Renewed
	Expired
	Unblocked
	Flushed
)

var stateNames = [...]string{"none", "blocked", "renewed", "expired", "unblocked", "flushed"}

// String returns the state's name as -S shows it.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "invalid"
}

// Active reports whether the firewalls should hold the block.
func (s State) Active() bool { return s == Blocked || s == Renewed }

// Record is one block as the store keeps it: every transition writes it.
type Record struct {
	Prefix netip.Prefix
	State  State
	// DL is the danger level the block was decided at (AUTO_IDS_DANGER_LEVEL
	// for manual blocks, as in psad).
	DL int
	// Since is when the block began; a renewal keeps it, so timeouts count
	// from the first block as in psad.
	Since time.Time
	// Expires is when the block ends; zero means never.
	Expires time.Time
	// Ended is when the record left the active states (tombstones only).
	Ended time.Time
	// Until is, for an Unblocked record, when automatic blocking of the
	// prefix may start again; zero means only a manual Block lifts it.
	Until time.Time
	// Manual reports a block made with Block rather than by a scan.
	Manual bool
}

// Store keeps the records across restarts. Its methods are called from
// the applier goroutine only (and Load from New).
type Store interface {
	// Load returns every record.
	Load() ([]Record, error)
	// Write puts every record (replacing the record of its prefix) and
	// forgets every prefix in del, in one transaction: a burst of ten
	// thousand blocks is one disk write, not ten thousand.
	Write(put []Record, del []netip.Prefix) error
}

// tombstoneKeep is how long an ended record stays in the store: a
// firewall that was unreachable for a day (a stuck backend, a host that
// was down) still gets its stale entry removed by reconciliation.
const tombstoneKeep = 24 * time.Hour
