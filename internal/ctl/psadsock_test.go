package ctl

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPsadLine: psad's commands, case-insensitive, with text before the
// word allowed and an address at the end required; anything else is
// passed over.
func TestPsadLine(t *testing.T) {
	for _, tt := range []struct {
		line string
		want Request
		ok   bool
	}{
		{"add 192.0.2.1", Request{Op: "block", Arg: "192.0.2.1"}, true},
		{"ADD 10.5.0.0/16 ", Request{Op: "block", Arg: "10.5.0.0/16"}, true},
		{"please add 10.0.0.0/255.0.0.0", Request{Op: "block", Arg: "10.0.0.0/255.0.0.0"}, true},
		{"del 192.0.2.1", Request{Op: "unblock", Arg: "192.0.2.1"}, true},
		{"flush", Request{Op: "flush"}, true},
		{"Flush delchains", Request{Op: "flush"}, true},
		{"add", Request{}, false},
		{"add 192.0.2.1 now", Request{}, false},
		{"status", Request{}, false},
	} {
		got, ok := PsadLine(tt.line)
		if got != tt.want || ok != tt.ok {
			t.Errorf("PsadLine(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzPsadLine: psad's socket takes any text from whoever can connect.
// A flush is any line naming it; a block or unblock carries the last
// word of the line, which is one word; nothing else is a command.
func FuzzPsadLine(f *testing.F) {
	for _, s := range []string{"add 192.0.2.1", "x del 2001:db8::/32  ", "FLUSH", "addd 1", "add\t1.2.3.4\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		req, ok := PsadLine(line)
		switch {
		case strings.Contains(strings.ToLower(line), "flush"):
			if !ok || req != (Request{Op: "flush"}) {
				t.Fatalf("PsadLine(%q) = %+v, %v; want a flush", line, req, ok)
			}
		case !ok:
			if req != (Request{}) {
				t.Fatalf("PsadLine(%q) = %+v without ok", line, req)
			}
		case req.Op == "block" || req.Op == "unblock":
			// Words as the patterns' \s splits them.
			blank := func(r rune) bool { return strings.ContainsRune("\t\n\f\r ", r) }
			f := strings.FieldsFunc(line, blank)
			if req.Arg == "" || strings.ContainsFunc(req.Arg, blank) || len(f) < 2 || f[len(f)-1] != req.Arg {
				t.Fatalf("PsadLine(%q) = %+v: not the line's last word", line, req)
			}
		default:
			t.Fatalf("PsadLine(%q) = %+v", line, req)
		}
	})
}

// TestServePsad: a client of psad's socket writes its lines and closes;
// each distinct command runs once, in order, and what the handler says
// is written back.
func TestServePsad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auto_ipt.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []Request
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- ServePsad(ctx, l, func(_ context.Context, req Request, w io.Writer) error {
			mu.Lock()
			got = append(got, req)
			mu.Unlock()
			fmt.Fprintf(w, "did %s %s\n", req.Op, req.Arg)
			return nil
		}, 5*time.Second)
	}()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, "add 192.0.2.1\nADD 192.0.2.1\nhello\nx del 198.51.100.0/24\nflush\n"); err != nil {
		t.Fatal(err)
	}
	c.(*net.UnixConn).CloseWrite()
	reply, err := io.ReadAll(c)
	c.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := []Request{{Op: "block", Arg: "192.0.2.1"}, {Op: "unblock", Arg: "198.51.100.0/24"}, {Op: "flush"}}
	if !slices.Equal(got, want) || err != nil || string(reply) != "did block 192.0.2.1\ndid unblock 198.51.100.0/24\ndid flush \n" {
		t.Errorf("commands %+v (want %+v), reply %q, %v", got, want, reply, err)
	}
}
