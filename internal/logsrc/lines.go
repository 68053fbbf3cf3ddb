// Package logsrc reads log lines from files and streams: here, reading a
// whole input once for analysis, CSV and benchmark modes.
package logsrc

import (
	"bufio"
	"errors"
	"io"
)

// MaxLine is the longest line kept whole. Kernel LOG lines are a few
// hundred bytes; anything longer than this is not one, so it is cut here
// (and will then be judged malformed) instead of exhausting memory.
const MaxLine = 1 << 20

// Each calls fn for every line of r, without its line ending, until fn
// returns false or the input ends. The slice passed to fn is only valid
// during the call. A final line without a newline is still a line.
func Each(r io.Reader, fn func(line []byte) bool) error {
	br := bufio.NewReaderSize(r, 256<<10)
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// One byte more than is handed out is kept, so that a CR
			// there, dropped only when it ends the line, is cut off with
			// the rest instead of taking the last byte kept with it.
			if len(long)+len(chunk) <= MaxLine+1 {
				long = append(long, chunk...)
			} else if len(long) < MaxLine+1 {
				long = append(long, chunk[:MaxLine+1-len(long)]...)
			}
			continue
		}
		line := chunk
		if long != nil {
			long = append(long, chunk...) // with its line ending, dropped before the cut
			line = long
		}
		if len(line) > 0 || err == nil {
			n := len(line)
			if n > 0 && line[n-1] == '\n' {
				n--
				if n > 0 && line[n-1] == '\r' {
					n--
				}
			}
			if !fn(line[:min(n, MaxLine)]) {
				return nil
			}
		}
		long = nil
		if err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}
