package pipeline

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
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
	ends  []int
	ready chan struct{} // closed once Items are parsed
	free  chan *Chunk[T]
}

// Release hands the chunk back for reuse; do not touch it afterwards.
func (c *Chunk[T]) Release() { c.free <- c }

const chunkLines = 2048

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
		br := bufio.NewReaderSize(r, 256<<10)
		var c *Chunk[T]
		send := func() bool {
			c.ready = make(chan struct{})
			work <- c
			select {
			case out <- c:
				c = nil
				return true
			case <-stop:
				return false
			}
		}
		for {
			if c == nil {
				select {
				case c = <-free:
				case <-stop:
					return
				}
				c.buf, c.ends = c.buf[:0], c.ends[:0]
			}
			line, err := readLine(br)
			if line != nil {
				c.buf = append(c.buf, line...)
				c.ends = append(c.ends, len(c.buf))
				if len(c.ends) == chunkLines && !send() {
					return
				}
			}
			if err != nil {
				if err != io.EOF {
					rerr = err
				}
				if len(c.ends) > 0 {
					send()
				}
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
	c.Items = c.Items[:len(c.ends)]
	start := 0
	for i, end := range c.ends {
		it := &c.Items[i]
		it.Line = c.buf[start:end:end]
		start = end
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

// readLine returns the next line without its ending (nil at the end),
// cut at logsrc.MaxLine like logsrc.Each.
func readLine(br *bufio.Reader) ([]byte, error) {
	chunk, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		long := append([]byte(nil), chunk...)
		for errors.Is(err, bufio.ErrBufferFull) {
			chunk, err = br.ReadSlice('\n')
			if len(long) < logsrc.MaxLine {
				long = append(long, chunk[:min(len(chunk), logsrc.MaxLine-len(long))]...)
			}
		}
		chunk = long
	}
	if len(chunk) == 0 {
		return nil, err
	}
	n := len(chunk)
	if chunk[n-1] == '\n' {
		n--
		if n > 0 && chunk[n-1] == '\r' {
			n--
		}
	}
	if err == nil || err == io.EOF {
		return chunk[:n], err
	}
	return chunk[:n], err
}
