package source

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

// input is what every type here offers; the daemon declares the same.
type input interface {
	Name() string
	Ready() <-chan struct{}
	Resume(pos []byte) error
	Run(ctx context.Context, sink func(line, pos []byte) bool) error
}

var (
	_ input = (*File)(nil)
	_ input = (*Kmsg)(nil)
	_ input = (*Journal)(nil)
	_ input = (*Stdin)(nil)
	_ input = (*Listener)(nil)
)

// wait bounds how long a test waits for something that should happen
// at once: a failure, not a synchronisation.
const wait = 5 * time.Second

// got is one sink call, copied.
type got struct {
	line string
	pos  []byte
}

// running is an input running in the background.
type running struct {
	lines  chan got
	done   chan error
	cancel context.CancelFunc
}

// start runs in on its own goroutine and waits until it is Ready.
func start(t *testing.T, in input) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{lines: make(chan got, 1000), done: make(chan error, 1), cancel: cancel}
	go func() {
		r.done <- in.Run(ctx, func(line, pos []byte) bool {
			r.lines <- got{string(line), bytes.Clone(pos)}
			return true
		})
	}()
	t.Cleanup(func() { r.stop(t) })
	if ch := in.Ready(); ch != nil {
		select {
		case <-ch:
		case err := <-r.done:
			t.Fatalf("%s stopped before it was ready: %v", in.Name(), err)
		case <-time.After(wait):
			t.Fatalf("%s not ready", in.Name())
		}
	}
	return r
}

// next returns the next n lines.
func (r *running) next(t *testing.T, n int) []got {
	t.Helper()
	var out []got
	for range n {
		select {
		case g := <-r.lines:
			out = append(out, g)
		case err := <-r.done:
			r.done <- err
			t.Fatalf("input stopped after %d of %d lines: %v", len(out), n, err)
		case <-time.After(wait):
			t.Fatalf("only %d of %d lines arrived", len(out), n)
		}
	}
	return out
}

// stop cancels the input and checks that it returned nil.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		r.done <- nil
	case <-time.After(wait):
		t.Error("Run did not return after cancel")
	}
}

// runAll runs in until it returns (inputs that end: a file of kmsg
// records, a stream) and returns every line.
func runAll(t *testing.T, in input) []got {
	t.Helper()
	var out []got
	err := in.Run(context.Background(), func(line, pos []byte) bool {
		out = append(out, got{string(line), bytes.Clone(pos)})
		return true
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return out
}

func lines(g []got) []string {
	var s []string
	for _, x := range g {
		s = append(s, x.line)
	}
	return s
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d lines %q, want %d %q", what, len(got), got, len(want), want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s: line %d = %q, want %q", what, i, got[i], want[i])
		}
	}
}

// checkMalformed checks that Resume rejects bad positions with
// ErrPosition.
func checkMalformed(t *testing.T, in input, bad ...[]byte) {
	t.Helper()
	for _, p := range bad {
		if err := in.Resume(p); !errors.Is(err, ErrPosition) {
			t.Errorf("%s: Resume(%q) = %v, want ErrPosition", in.Name(), p, err)
		}
	}
}

// garbage are positions no input accepts.
var garbage = [][]byte{
	{0},
	{posVersion},
	{9, kindFile, 1, 2, 3},
	[]byte("not a position"),
	{posVersion, 'x', 1},
}

func TestNames(t *testing.T) {
	l, err := NewListener(ListenerConfig{UDP: "127.0.0.1:0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for in, want := range map[input]string{
		NewFile(FileConfig{}, nil):            "file",
		NewKmsg(KmsgConfig{BootID: "b"}, nil): "kmsg",
		NewJournal(JournalConfig{}, nil):      "journal",
		NewStdin(StdinConfig{}, nil):          "stdin",
		l:                                     "listener",
	} {
		if got := in.Name(); got != want {
			t.Errorf("Name() = %q, want %q", got, want)
		}
	}
}
