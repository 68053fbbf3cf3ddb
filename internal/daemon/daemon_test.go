package daemon

import (
	"context"
	"errors"
	"fmt"
	netipx "net/netip"
	"sync"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/pipeline"
	"github.com/psadgo/psad/internal/scan"
)

const synFmt = "Mar 11 20:35:11 fw kernel: DROP IN=eth0 OUT= SRC=%s DST=192.168.10.1 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0 "

func engine(set scan.Settings, t *scan.Tracker) *Engine {
	pl := pipeline.New(fwlog.NewParser(fwlog.Options{StripKernelTS: true}), pipeline.DefaultRules(), t)
	pl.UseClock = true
	return &Engine{Pipeline: pl, Settings: set, Interval: 30 * time.Millisecond}
}

// feeder is a Source whose lines the test pushes.
type feeder struct{ ch chan string }

func (f *feeder) source() Source {
	return Source{Name: "test", Run: func(ctx context.Context, sink func([]byte) bool) error {
		for {
			select {
			case l := <-f.ch:
				sink([]byte(l))
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}}
}

type batches struct {
	mu sync.Mutex
	b  []*Batch
	c  chan struct{}
}

func (b *batches) add(x *Batch) {
	b.mu.Lock()
	b.b = append(b.b, x)
	b.mu.Unlock()
	select {
	case b.c <- struct{}{}:
	default:
	}
}

func (b *batches) wait(t *testing.T) *Batch {
	t.Helper()
	select {
	case <-b.c:
	case <-time.After(2 * time.Second):
		t.Fatal("no batch alerted within 2 s")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b[len(b.b)-1]
}

func TestDaemonAlertsAndReload(t *testing.T) {
	set := scan.DefaultSettings()
	set.NoBatchDetail = false
	tr := scan.NewTracker(set)
	f := &feeder{ch: make(chan string, 100)}
	got := &batches{c: make(chan struct{}, 10)}
	reloadSet := set
	var reloadErr error
	d := New(Config{
		Sources: []Source{f.source()},
		Engine:  engine(set, tr),
		Tracker: tr,
		Alert:   got.add,
		Reload: func() (*Engine, error) {
			if reloadErr != nil {
				return nil, reloadErr
			}
			return engine(reloadSet, tr), nil
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() { cancel(); <-done }()

	// Five ports: DL 1 with the default DANGER_LEVEL1 of 5.
	for p := 0; p < 5; p++ {
		f.ch <- fmt.Sprintf(synFmt, "10.1.1.1", 100+p)
	}
	b := got.wait(t)
	if len(b.Sources) != 1 || b.Sources[0].DL != 1 {
		t.Fatalf("batch sources %v, want 10.1.1.1 at DL 1", b.Sources)
	}
	if _, ok := b.Raised[b.Sources[0]]; !ok {
		t.Error("the source's DL rise is not reported")
	}
	if s := tr.Style(b.Sources[0].Pairs()[0]); s != "Nmap -sT or -sS scan" {
		t.Errorf("style %q", s)
	}

	// A broken configuration is refused and the old thresholds stay.
	reloadErr = errors.New("psad.conf:3: DANGER_LEVEL1: bad")
	if err := d.Reload(ctx); err == nil {
		t.Fatal("broken reload accepted")
	}
	for p := 0; p < 5; p++ {
		f.ch <- fmt.Sprintf(synFmt, "10.1.1.2", 100+p)
	}
	if b := got.wait(t); b.Sources[0].DL != 1 {
		t.Fatalf("after refused reload DL %d, want 1", b.Sources[0].DL)
	}

	// HUP with DANGER_LEVEL1 raised to 20: five packets no longer scan,
	// and the state kept across the reload still knows 10.1.1.1.
	reloadErr = nil
	reloadSet.DangerLevel[1] = 20
	if err := d.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	for p := 0; p < 5; p++ {
		f.ch <- fmt.Sprintf(synFmt, "10.1.1.3", 100+p)
	}
	b = got.wait(t)
	if b.Sources[0].DL != 0 {
		t.Errorf("after reload DL %d, want 0 (threshold 20)", b.Sources[0].DL)
	}
	if tr.Source(netipx.MustParseAddr("10.1.1.1")).DL != 1 {
		t.Error("state lost in reload")
	}
	if st := d.Stats(); st.Reloads != 1 || st.Lines != 15 {
		t.Errorf("stats %+v", st)
	}
}
