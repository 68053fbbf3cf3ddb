package syslogd

import (
	"bufio"
	"errors"
	"fmt"
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

// readOctets returns the next frame of an octet-counted (RFC 6587 3.4.1)
// stream, MSG-LEN SP SYSLOG-MSG with MSG-LEN a decimal count without a
// leading zero. Line ends before a count are skipped: some senders end
// each frame with one. A count over max is errTooLong; br's buffer must
// hold max bytes. It returns io.EOF where the stream ends before a next
// count, io.ErrUnexpectedEOF where it ends inside a frame. The frame
// aliases br's buffer until the next read.
func readOctets(br *bufio.Reader, max int) ([]byte, error) {
	n, digits := 0, 0
	for {
		c, err := br.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) && digits > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		switch {
		case digits == 0 && (c == '\n' || c == '\r'):
			continue
		case c == ' ' && digits > 0:
			b, err := br.Peek(n)
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return nil, err
			}
			br.Discard(n)
			return b, nil
		case !isDigit(c) || digits == 0 && c == '0':
			return nil, fmt.Errorf("octet count: unexpected %q", c)
		}
		n = n*10 + int(c-'0')
		digits++
		if n > max {
			return nil, errTooLong
		}
	}
}
