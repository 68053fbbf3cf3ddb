package source

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestStdin(t *testing.T) {
	in := strings.Join([]string{kernelLine(1), "", kernelLine(2) + "\r", kernelLine(3)}, "\n")
	s := NewStdin(StdinConfig{Input: strings.NewReader(in)}, nil)
	if s.Ready() != nil {
		t.Error("Ready() is not nil")
	}
	if err := s.Resume(nil); err != nil {
		t.Errorf("Resume(nil) = %v", err)
	}
	all := runAll(t, s)
	equal(t, "lines", lines(all), []string{kernelLine(1), "", kernelLine(2), kernelLine(3)})
	for _, g := range all {
		if g.pos != nil {
			t.Errorf("pos %q, want nil", g.pos)
		}
	}
	checkMalformed(t, s, append(garbage, []byte{posVersion, kindFile, 1, 2, 3})...)

	t.Run("stop", func(t *testing.T) {
		s := NewStdin(StdinConfig{Input: strings.NewReader(in)}, nil)
		n := 0
		if err := s.Run(t.Context(), func(line, pos []byte) bool { n++; return false }); err != nil || n != 1 {
			t.Errorf("Run = %v after %d lines, want nil after 1", err, n)
		}
	})
}

func TestListener(t *testing.T) {
	l, err := NewListener(ListenerConfig{UDP: "127.0.0.1:0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.Ready() != nil {
		t.Error("Ready() is not nil")
	}
	checkMalformed(t, l, garbage...)
	udp, _, _ := l.Addrs()

	// sink may be called concurrently; here there is one sender, so
	// lines arrive in order, but the collector still locks.
	var mu sync.Mutex
	r := start(t, &lockedInput{l, &mu})
	c, err := net.Dial("udp", udp.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msgs := []string{
		"<4>2015-03-07T05:09:30+01:00 fw1 kernel: DROP IN=eth0 OUT= SRC=192.0.2.1",
		"<13>2015-03-07T05:09:31+01:00 fw1 root: DROP IN=eth0 OUT= SRC=203.0.113.9",
		"<4>2015-03-07T05:09:32+01:00 fw1 kernel: DROP IN=eth0 OUT= SRC=192.0.2.2",
	}
	for _, m := range msgs {
		if _, err := c.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	got := r.next(t, 2)
	for i, suffix := range []string{"fw1 kernel: DROP IN=eth0 OUT= SRC=192.0.2.1", "fw1 kernel: DROP IN=eth0 OUT= SRC=192.0.2.2"} {
		if !strings.HasSuffix(got[i].line, suffix) {
			t.Errorf("line %d = %q, want it to end in %q", i, got[i].line, suffix)
		}
		if got[i].pos != nil {
			t.Errorf("pos %q, want nil", got[i].pos)
		}
	}
	r.stop(t)
	if st := l.Stats(); st.Accepted != 2 || st.Rejected != 1 {
		t.Errorf("Stats() = %+v, want 2 accepted, 1 rejected", st)
	}
}

// lockedInput serialises sink calls, for the Listener, which may make
// them concurrently.
type lockedInput struct {
	*Listener
	mu *sync.Mutex
}

func (l *lockedInput) Run(ctx context.Context, sink func(line, pos []byte) bool) error {
	return l.Listener.Run(ctx, func(line, pos []byte) bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return sink(line, pos)
	})
}

// TestListenerStop checks that a sink refusing a line ends Run.
func TestListenerStop(t *testing.T) {
	l, err := NewListener(ListenerConfig{UDP: "127.0.0.1:0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	udp, _, _ := l.Addrs()
	done := make(chan error, 1)
	go func() {
		done <- l.Run(context.Background(), func(line, pos []byte) bool { return false })
	}()
	c, err := net.Dial("udp", udp.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("<4>2015-03-07T05:09:30+01:00 fw1 kernel: DROP IN=eth0 OUT=")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return after sink refused a line")
	}
}
