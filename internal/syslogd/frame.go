package syslogd

import (
	"bufio"
	"errors"
	"io"
)

// errTooLong reports a frame longer than Config.MaxMessage.
var errTooLong = errors.New("message exceeds maximum length")

// readLine returns the next LF-terminated frame of a non-transparent
// (RFC 6587 3.4.2) stream without its LF or CRLF, skipping empty lines.
// br's buffer must hold at least max+2 bytes so that a frame of max bytes
// with its CRLF fits; a longer frame is errTooLong, without reading further
// (the connection is dropped, so resynchronising does not matter). A final
// frame without LF is returned with a nil error; the next call returns
// io.EOF. The frame aliases br's buffer until the next read.
//
// go-syslog has a non-transparent parser, but it needs a module that this
// repository's go.sum does not list, and it buffers frames without any
// length limit, so a sender could exhaust memory with an endless line.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			if errors.Is(err, bufio.ErrBufferFull) {
				return nil, errTooLong
			}
			return nil, err
		}
		line = trimEOL(line)
		if len(line) > max {
			return nil, errTooLong
		}
		if len(line) > 0 {
			return line, nil
		}
		if err != nil {
			return nil, err // io.EOF after an empty last line
		}
	}
}
