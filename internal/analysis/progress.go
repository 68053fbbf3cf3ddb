package analysis

import (
	"fmt"
	"io"
)

// bar is a live progress indication for long inputs on a terminal; psad's
// "Processed N packets" lines stay on stdout for scripts.
type bar struct {
	w         io.Writer
	total     int
	nextShown int
}

// barMin is the input size below which a bar would only flicker.
const barMin = 200000

func newBar(w io.Writer, total int) *bar {
	if w == nil || total < barMin {
		return &bar{}
	}
	return &bar{w: w, total: total}
}

func (b *bar) update(n int) {
	if b.w == nil || n < b.nextShown {
		return
	}
	b.nextShown = n + b.total/100
	fmt.Fprintf(b.w, "\r[+] %3d%% %d/%d lines", n*100/b.total, n, b.total)
}

func (b *bar) finish() {
	if b.w != nil {
		fmt.Fprint(b.w, "\r\033[K")
	}
}
