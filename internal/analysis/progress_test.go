package analysis

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestBarShowsRateAndTimeLeft(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Unix(1000, 0)
	b := newBarClock(&buf, 400000, func() time.Time { return clock }, clock)
	clock = clock.Add(2 * time.Second)
	b.update(100000)
	got := buf.String()
	want := "\r[+]  25% 100000/400000 lines, 50000 lines/s, 6s left\033[K"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// Within the same percent nothing is redrawn.
	b.update(100001)
	if buf.String() != got {
		t.Errorf("redrawn within a percent: %q", buf.String())
	}
	b.finish()
	if !strings.HasSuffix(buf.String(), "\r\033[K") {
		t.Errorf("finish does not clear the line: %q", buf.String())
	}
}

func TestBarOffForSmallInputsAndNoTerminal(t *testing.T) {
	var buf bytes.Buffer
	newBar(&buf, barMin-1, time.Now()).update(10)
	newBar(nil, barMin*2, time.Now()).update(barMin)
	if buf.Len() != 0 {
		t.Errorf("bar drawn: %q", buf.String())
	}
}

// TestBarRateFromRunStart: the count comes in after the run began, and
// the rate counts from the run's start, not the bar's.
func TestBarRateFromRunStart(t *testing.T) {
	var buf bytes.Buffer
	began := time.Unix(1000, 0)
	clock := began.Add(time.Second)
	b := newBarClock(&buf, 400000, func() time.Time { return clock }, began)
	b.update(40000) // lines done before the bar existed
	want := "\r[+]  10% 40000/400000 lines, 40000 lines/s, 9s left\033[K"
	if got := buf.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
