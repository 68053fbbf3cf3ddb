package ctl

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServeAndAsk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "psad.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, l, func(ctx context.Context, req Request, w io.Writer) error {
			if req.Op != "status" {
				return fmt.Errorf("unknown request %q", req.Op)
			}
			fmt.Fprintf(w, "summary=%v dl=%d\n", req.Summary, req.MinDL)
			return nil
		}, time.Second)
	}()
	rep, err := Ask(path, Request{Op: "status", Summary: true, MinDL: 3}, time.Second)
	if err != nil || string(rep) != "summary=true dl=3\n" {
		t.Fatalf("reply %q, %v", rep, err)
	}
	rep, err = Ask(path, Request{Op: "reboot"}, time.Second)
	if err != nil || !strings.Contains(string(rep), `unknown request "reboot"`) {
		t.Fatalf("reply %q, %v", rep, err)
	}
	// A client that sends garbage gets an error, and the server goes on.
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("not json\n"))
	b, _ := io.ReadAll(c)
	c.Close()
	if !strings.Contains(string(b), "bad request") {
		t.Fatalf("garbage got %q", b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := Ask(path, Request{Op: "status"}, time.Second); err == nil {
		t.Fatal("socket still answers after Serve returned")
	}
}
