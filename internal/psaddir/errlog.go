package psaddir

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ErrorLog appends the daemon's malformed firewall lines to FW_ERROR_LOG,
// as psad does after each batch, so that a line the engine cannot read
// is kept for a look, not only counted. Add copies the line and returns
// at once; a goroutine appends what has gathered every second, or sooner
// once errLogFlush bytes wait. At most errLogMax bytes wait: beyond that
// lines are counted and the loss is logged, so a flood of garbage cannot
// grow memory or hold up detection.
type ErrorLog struct {
	path string
	log  *slog.Logger

	mu      sync.Mutex
	pending []byte
	spare   []byte
	dropped int
	closed  bool

	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

const (
	errLogFlush = 64 << 10
	errLogMax   = 4 << 20
	errLogEvery = time.Second
)

// OpenErrorLog starts an error log appending to path (made 0600, its
// directory 0700, when first written). Close writes what is left.
func OpenErrorLog(path string, log *slog.Logger) *ErrorLog {
	e := &ErrorLog{path: path, log: log, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go e.run()
	return e
}

// Add queues one line (a trailing newline is added if it has none). It
// may be called from any goroutine.
func (e *ErrorLog) Add(line []byte) {
	line = bytes.TrimRight(line, "\r\n")
	e.mu.Lock()
	if e.closed || len(e.pending)+len(line)+1 > errLogMax {
		e.dropped++
		e.mu.Unlock()
		return
	}
	e.pending = append(append(e.pending, line...), '\n')
	full := len(e.pending) >= errLogFlush
	e.mu.Unlock()
	if full {
		select {
		case e.kick <- struct{}{}:
		default:
		}
	}
}

// Close appends what is still queued and stops the goroutine; later
// Adds are dropped.
func (e *ErrorLog) Close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		<-e.done
		return
	}
	e.closed = true
	e.mu.Unlock()
	close(e.stop)
	<-e.done
}

func (e *ErrorLog) run() {
	defer close(e.done)
	tick := time.NewTicker(errLogEvery)
	defer tick.Stop()
	for {
		select {
		case <-e.kick:
		case <-tick.C:
		case <-e.stop:
			e.write()
			return
		}
		e.write()
	}
}

// write appends the queued lines, swapping buffers so Add never waits
// for the disk.
func (e *ErrorLog) write() {
	e.mu.Lock()
	buf, dropped := e.pending, e.dropped
	e.pending, e.spare, e.dropped = e.spare[:0], nil, 0
	e.mu.Unlock()
	if dropped > 0 {
		e.log.Warn("malformed lines came faster than the error log was written; not saved", "path", e.path, "lines", dropped)
	}
	if len(buf) > 0 {
		if err := appendFile(e.path, buf); err != nil {
			e.log.Warn("malformed lines not saved", "path", e.path, "lines", bytes.Count(buf, []byte{'\n'}), "err", err)
		}
	}
	e.mu.Lock()
	if cap(buf) <= errLogMax {
		e.spare = buf[:0]
	}
	e.mu.Unlock()
}

func appendFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
