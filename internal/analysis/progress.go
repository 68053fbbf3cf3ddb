package analysis

import (
	"fmt"
	"io"
	"time"
)

// bar is a live progress indication for long inputs on a terminal: one
// line, rewritten in place, with the share done, the rate and the time
// left, so a user can tell a stuck run from a slow one. psad's "Processed
// N packets" lines stay on stdout for scripts.
type bar struct {
	w         io.Writer
	total     int
	nextShown int
	now       func() time.Time
	start     time.Time
}

// barMin is the input size below which a bar would only flicker.
const barMin = 200000

// newBar makes the bar of a run that began at start: the line count
// comes in while the run goes on, and a rate measured from the bar's
// making would count the lines already done in no time.
func newBar(w io.Writer, total int, start time.Time) *bar {
	return newBarClock(w, total, time.Now, start)
}

// newBarClock is newBar with a clock, for tests.
func newBarClock(w io.Writer, total int, now func() time.Time, start time.Time) *bar {
	if w == nil || total < barMin {
		return &bar{}
	}
	return &bar{w: w, total: total, now: now, start: start}
}

// update shows that n of the total lines are done; it redraws at most
// once per percent so the terminal is not the bottleneck.
func (b *bar) update(n int) {
	if b.w == nil || n < b.nextShown {
		return
	}
	b.nextShown = n + b.total/100
	el := b.now().Sub(b.start).Seconds()
	line := fmt.Sprintf("\r[+] %3d%% %d/%d lines", n*100/b.total, n, b.total)
	if el > 0 && n > 0 {
		rate := float64(n) / el
		left := time.Duration(float64(b.total-n) / rate * float64(time.Second)).Round(time.Second)
		line += fmt.Sprintf(", %.0f lines/s, %s left", rate, left)
	}
	fmt.Fprint(b.w, line+"\033[K")
}

func (b *bar) finish() {
	if b.w != nil {
		fmt.Fprint(b.w, "\r\033[K")
	}
}
