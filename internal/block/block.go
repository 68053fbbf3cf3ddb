// Package block is active response: it decides which sources to block
// (psad's ENABLE_AUTO_IDS and AUTO_IDS_DANGER_LEVEL, the per-DL timeouts,
// the never-block rules), keeps every block in one persistent state
// machine (blocked, renewed, expired, unblocked, flushed), and applies it
// through one or more firewall backends: nftables, iptables in psad's own
// layout, ipset and tcpwrappers, each in its own subpackage.
package block

import (
	"context"
	"net/netip"
	"time"
)

// Entry is one block as a firewall holds it.
type Entry struct {
	// Prefix is the blocked address (a /32 or /128) or network.
	Prefix netip.Prefix
	// Expires is when the block ends; the zero time means never. Backends
	// that can expire entries themselves (nftables and ipset timeouts)
	// use it as a safety net; the policy removes expired blocks in any
	// case.
	Expires time.Time
}

// Backend applies blocks to one firewall. Its methods are called from one
// goroutine at a time (the policy's applier), never from the daemon's
// loop, and must honour ctx. Every method is idempotent: adding a present
// entry or removing an absent one is not an error, so a reconcile or a
// restart can repeat them.
type Backend interface {
	// Name is the backend's name in logs, -S and metrics: "nftables",
	// "iptables", "ipset", "tcpwrappers".
	Name() string
	// Init creates the backend's own structures (table, chains, sets, jump
	// rules) if missing, leaving existing entries and every structure
	// that is not the backend's alone.
	Init(ctx context.Context) error
	// Add blocks every entry, in as few kernel transactions as the
	// firewall allows.
	Add(ctx context.Context, entries []Entry) error
	// Remove unblocks every prefix.
	Remove(ctx context.Context, prefixes []netip.Prefix) error
	// List returns the entries the firewall holds now, for reconciliation
	// and --fw-list-auto.
	List(ctx context.Context) ([]Entry, error)
	// Flush removes every entry but keeps the structures (-F).
	Flush(ctx context.Context) error
	// Teardown removes the backend's structures and jump rules
	// (--fw-del-chains), and nothing else.
	Teardown(ctx context.Context) error
}
