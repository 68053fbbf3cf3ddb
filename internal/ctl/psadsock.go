package ctl

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"time"
)

// psad's own control socket (AUTO_IPT_SOCK) takes lines, not JSON: what
// psad 2.4.6's --fw-block-ip wrote to it, and what scripts written for
// psad write. A line holding "flush" flushes; one ending in "add <net>"
// or "del <net>" blocks or unblocks (text before the word is allowed, as
// psad's patterns were anchored at the end only). Case does not matter.
var (
	psadAdd = regexp.MustCompile(`(?i)add\s+(\S+)\s*$`)
	psadDel = regexp.MustCompile(`(?i)del\s+(\S+)\s*$`)
)

// PsadLine reads one line of psad's socket protocol as a Request; ok is
// false for a line psad would have ignored.
func PsadLine(line string) (req Request, ok bool) {
	if strings.Contains(strings.ToLower(line), "flush") {
		return Request{Op: "flush"}, true
	}
	if m := psadAdd.FindStringSubmatch(line); m != nil {
		return Request{Op: "block", Arg: m[1]}, true
	}
	if m := psadDel.FindStringSubmatch(line); m != nil {
		return Request{Op: "unblock", Arg: m[1]}, true
	}
	return Request{}, false
}

// maxPsadInput bounds what one connection to psad's socket may send: a
// few commands, and the socket must not make the daemon allocate.
const maxPsadInput = 64 << 10

// ServePsad answers psad's line protocol on l until ctx is done, as Serve
// does JSON: each connection's lines are read until the client closes
// (or the timeout), each distinct command runs once, in order, through
// h, and what h writes goes back to the client, which psad's did not
// read. Lines it does not know are passed over, as psad passed them.
func ServePsad(ctx context.Context, l net.Listener, h Handler, timeout time.Duration) error {
	return accept(ctx, l, "psad control socket", timeout, func(ctx context.Context, c net.Conn) {
		for _, req := range psadRequests(io.LimitReader(c, maxPsadInput)) {
			if err := h(ctx, req, c); err != nil {
				fmt.Fprintf(c, "[*] %v\n", err)
			}
		}
	})
}

// psadRequests reads a connection's lines (what arrived before a read
// error or the deadline counts) and returns its distinct commands in
// the order first given.
func psadRequests(r io.Reader) []Request {
	var out []Request
	seen := map[Request]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), maxPsadInput)
	for sc.Scan() {
		if req, ok := PsadLine(sc.Text()); ok && !seen[req] {
			seen[req] = true
			out = append(out, req)
		}
	}
	return out
}
