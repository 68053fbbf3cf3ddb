package scan

import "time"

// Closed is one closed batch (psad's CHECK_INTERVAL cycle): the sources
// that sent packets in it, with their danger levels assigned. The daemon
// hands it to the alert cycle on the goroutine that owns the tracker; it
// is valid only during that call, since the next packet changes the state
// it points into.
type Closed struct {
	Now     time.Time
	Tracker *Tracker
	// Sources are the batch's sources in first-seen order.
	Sources []*Source
	// Raised holds the sources whose DL rose in this batch, with the DL
	// they had before it.
	Raised map[*Source]int
	// AutoRaised are the sources auto_dl raised in this batch, and
	// PairLimitHit reports that MAX_SCAN_IP_PAIRS dropped packets of new
	// pairs in it; psad says both in syslog.
	AutoRaised   []AutoRaise
	PairLimitHit bool
}
