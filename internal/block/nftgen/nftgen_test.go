package nftgen

import (
	"context"
	"errors"
	"testing"
)

// The watch itself is exercised against the kernel by the nft, ipt and
// ipset backends' namespace tests; these are the parts without one.

func TestNext(t *testing.T) {
	for g, want := range map[uint32]uint32{1: 2, 41: 42, 1<<32 - 2: 1<<32 - 1, 1<<32 - 1: 1} {
		if got := Next(g); got != want {
			t.Errorf("Next(%d) = %d, want %d", g, got, want)
		}
	}
}

// TestCheckWithoutWatch: with no watch (iptables-legacy) the full check
// runs every time, once, and its error comes back.
func TestCheckWithoutWatch(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		changed bool
		err     error
	}{{false, nil}, {true, nil}, {true, boom}} {
		runs := 0
		err := Check(context.Background(), nil, func() (bool, error) { runs++; return tc.changed, tc.err })
		if runs != 1 || !errors.Is(err, tc.err) {
			t.Errorf("changed %v, err %v: %d runs, %v; want 1 run and the error", tc.changed, tc.err, runs, err)
		}
	}
}

// TestForgottenIsNotWhole: a mark dropped, or never set, matches no
// generation, 0 included.
func TestForgottenIsNotWhole(t *testing.T) {
	w := New(0)
	if w.Whole(0) || w.Whole(7) {
		t.Error("a new watch says the prerequisites are whole")
	}
	w.verified = 7
	if !w.Whole(7) || w.Whole(8) {
		t.Error("Whole does not compare with the mark")
	}
	w.Forget()
	if w.Whole(7) || w.Whole(0) {
		t.Error("Whole after Forget")
	}
}
