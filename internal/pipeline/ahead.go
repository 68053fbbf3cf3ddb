package pipeline

import (
	"encoding/binary"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/logsrc"
)

// Parsed is one input line and, when Selected, its parse result and the
// caller's per-packet preparation Pre.
type Parsed[T any] struct {
	Line     []byte
	Selected bool // the line passed the caller's selection (select func)
	// Route is a hash of the packet's source, for splitting packets by
	// source across goroutines; 0 for a line that did not parse or may
	// yet be found malformed, so that one goroutine sees all of those.
	Route uint32
	Pkt   fwlog.Packet
	Err   error
	Pre   T
}

// Chunk is a block of consecutive input lines. Lines and packets point
// into the chunk's own buffer, valid until the chunk is released.
type Chunk[T any] struct {
	Items []Parsed[T]
	buf   []byte
	spans []span
	ready chan struct{} // closed once Items are parsed
	free  chan *Chunk[T]
}

// Release hands the chunk back for reuse; do not touch it afterwards.
func (c *Chunk[T]) Release() { c.free <- c }

// chunkLines is the lines a chunk is made for, and chunkBytes its
// buffer: one read of it holds about chunkLines lines of a usual log.
const (
	chunkLines = 2048
	chunkBytes = 512 << 10
)

// ParseAhead reads r and parses its lines on other goroutines (one per
// CPU), so that parsing overlaps the scan state work. sel decides which
// lines are parsed at all (psad's firewall-line pre-filter); it must be
// safe to call from several goroutines. The channel yields chunks in
// input order, each already parsed, and is closed at the end; the error
// function reports a read error once the channel is drained. Close stop
// (may be nil) to abandon reading early.
//
// newPrep, when not nil, is called once per parsing goroutine; the
// function it returns then runs there for every parsed packet, to do work
// that depends on the packet alone (signature matching, fingerprint
// look-ups) away from the goroutine that owns the scan state. Each
// goroutine has its own, so it may keep unsynchronised caches.
func ParseAhead[T any](r io.Reader, opts fwlog.Options, sel func([]byte) bool, newPrep func() func(*fwlog.Packet, error, *T), stop <-chan struct{}) (<-chan *Chunk[T], func() error) {
	workers := max(runtime.GOMAXPROCS(0), 1)
	depth := 2 * workers
	out := make(chan *Chunk[T], depth)
	work := make(chan *Chunk[T], depth)
	free := make(chan *Chunk[T], depth+workers+2)
	for i := 0; i < cap(free); i++ {
		free <- &Chunk[T]{free: free, Items: make([]Parsed[T], 0, chunkLines)}
	}
	parser := fwlog.NewParser(opts)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		var prep func(*fwlog.Packet, error, *T)
		if newPrep != nil {
			prep = newPrep()
		}
		go func() {
			defer wg.Done()
			for c := range work {
				c.parse(parser, sel, prep)
				close(c.ready)
			}
		}()
	}
	var rerr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer wg.Wait()
		defer close(out)
		defer close(work)
		lr := &lineReader{r: r, max: logsrc.MaxLine, size: chunkBytes}
		for {
			var c *Chunk[T]
			select {
			case c = <-free:
			case <-stop:
				return
			}
			c.buf, c.spans = lr.fill(c.buf, c.spans)
			if len(c.spans) == 0 {
				if lr.err != io.EOF {
					rerr = lr.err
				}
				return
			}
			c.ready = make(chan struct{})
			work <- c
			select {
			case out <- c:
			case <-stop:
				return
			}
		}
	}()
	ordered := make(chan *Chunk[T])
	go func() {
		defer close(ordered)
		for c := range out {
			select {
			case <-c.ready:
			case <-stop:
				return
			}
			select {
			case ordered <- c:
			case <-stop:
				return
			}
		}
	}()
	return ordered, func() error { <-done; return rerr }
}

func (c *Chunk[T]) parse(parser *fwlog.Parser, sel func([]byte) bool, prep func(*fwlog.Packet, error, *T)) {
	c.Items = slices.Grow(c.Items[:0], len(c.spans))[:len(c.spans)]
	for i, sp := range c.spans {
		it := &c.Items[i]
		it.Line = c.buf[sp.start:sp.end:sp.end]
		it.Selected = sel == nil || sel(it.Line)
		if it.Selected {
			it.Err = parser.Parse(it.Line, &it.Pkt)
			it.Route = route(&it.Pkt, it.Err)
			if prep != nil {
				prep(&it.Pkt, it.Err, &it.Pre)
			}
		}
	}
}

func route(p *fwlog.Packet, err error) uint32 {
	if err != nil || p.Chain == fwlog.ChainNone || !p.HasProto || !p.Src.IsValid() {
		return 0
	}
	b := p.Src.As16()
	h := (binary.LittleEndian.Uint64(b[:8]) ^ binary.LittleEndian.Uint64(b[8:])) * 0x9e3779b97f4a7c15
	return uint32(h>>32) | 1<<31 // never 0
}
