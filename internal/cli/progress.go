package cli

import (
	"bytes"
	"io"
	"sync"
)

// eraseLine returns the cursor to the start of the line and clears it;
// the -A progress bar ends with it when done.
var eraseLine = []byte("\r\033[K")

// progressTerm keeps -A's live progress bar and psad's "Processed N
// packets" lines apart on a terminal. The bar is one line on stderr,
// rewritten in place; a line written to stdout (the same terminal) while
// it is drawn would be appended to it, leaving a trail of half bars. So
// the bar is erased before any stdout write, and its next update draws it
// again below. Nothing is added to stdout itself, so what a script reads
// there stays psad's output, byte for byte.
type progressTerm struct {
	mu    sync.Mutex
	term  io.Writer
	drawn bool
}

// barWriter is where the bar draws.
type barWriter struct{ *progressTerm }

func (b barWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.drawn = !bytes.Equal(p, eraseLine)
	return b.term.Write(p)
}

// stdoutWriter is -A's stdout, which erases a drawn bar first.
type stdoutWriter struct {
	*progressTerm
	out io.Writer
}

func (s stdoutWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drawn {
		s.drawn = false
		if _, err := s.term.Write(eraseLine); err != nil {
			return 0, err
		}
	}
	return s.out.Write(p)
}

// withProgress gives -A the bar on the terminal term and an out that
// erases it before writing.
func withProgress(term, out io.Writer) (bar, stdout io.Writer) {
	pt := &progressTerm{term: term}
	return barWriter{pt}, stdoutWriter{pt, out}
}
