// Package ctl is the daemon's control socket, both ends: `psad -S` and
// its siblings ask the running daemon over a root-only unix socket and
// the daemon answers from its live state. (psad 2.4.6 rebuilt -S from
// files on disk, so it lagged the daemon and could disagree with it.)
package ctl

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sync"
	"time"
)

// Request is one question to the daemon; Op names it.
type Request struct {
	Op string `json:"op"` // "status", "explain", "block", "unblock", "flush", "list"
	// Arg is the address or network of block and unblock, and the
	// address of explain.
	Arg string `json:"arg,omitempty"`
	// Summary and MinDL are -S's --status-summary and --status-dl.
	Summary bool `json:"summary,omitempty"`
	MinDL   int  `json:"min_dl,omitempty"`
	// JSON asks for the psad-go/1 document instead of text (--json).
	JSON bool `json:"json,omitempty"`
}

// Handler answers one request, writing the reply to w. It runs on the
// connection's goroutine and must honour ctx.
type Handler func(ctx context.Context, req Request, w io.Writer) error

// maxRequest bounds what a client may send: requests are a few bytes of
// JSON, and the socket must not be a way to make the daemon allocate.
const maxRequest = 4096

// Serve answers requests on l until ctx is done, then closes l and
// returns once every connection has finished.
func Serve(ctx context.Context, l net.Listener, h Handler, timeout time.Duration) error {
	return accept(ctx, l, "control socket", timeout, func(ctx context.Context, c net.Conn) {
		var req Request
		if err := json.NewDecoder(bufio.NewReader(io.LimitReader(c, maxRequest))).Decode(&req); err != nil {
			fmt.Fprintf(c, "[*] bad request: %v\n", err)
			return
		}
		if err := h(ctx, req, c); err != nil {
			fmt.Fprintf(c, "[*] %v\n", err)
		}
	})
}

// accept runs serve for every connection l accepts, each on a goroutine
// of its own with timeout as its deadline, until ctx is done; then it
// closes l and returns once every connection has finished. name says
// which socket failed.
func accept(ctx context.Context, l net.Listener, name string, timeout time.Duration, serve func(context.Context, net.Conn)) error {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("%s: %w", name, err)
		}
		wg.Go(func() {
			defer c.Close()
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			c.SetDeadline(time.Now().Add(timeout))
			serve(cctx, c)
		})
	}
}

// Ask sends req to the daemon listening on path and returns its reply.
func Ask(path string, req Request, timeout time.Duration) ([]byte, error) {
	conn, err := net.DialTimeout("unix", path, timeout)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the daemon's control socket: %w", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	rep, err := io.ReadAll(conn)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if len(rep) == 0 {
		return nil, fmt.Errorf("control socket %s: empty reply", path)
	}
	return rep, nil
}

// SocketPath is the daemon's control socket in PSAD_RUN_DIR.
func SocketPath(runDir string) string { return filepath.Join(runDir, "psad.sock") }
