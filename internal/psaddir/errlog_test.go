package psaddir

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
)

// TestErrorLogKeepsEveryLine: lines added from many goroutines all reach
// the file, each once and whole, in a private file; a second Close and a
// late Add do no harm.
func TestErrorLogKeepsEveryLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "errs", "fwerrorlog")
	must(t, os.MkdirAll(filepath.Dir(path), 0o700))
	must(t, os.WriteFile(path, []byte("from an earlier run\n"), 0o600))
	e := OpenErrorLog(path, slog.New(slog.DiscardHandler))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 5000 {
				e.Add(fmt.Appendf(nil, "g%d line %d IN=eth0 %s\n", g, i, strings.Repeat("x", i%200)))
			}
		})
	}
	wg.Wait()
	e.Close()
	e.Close()
	e.Add([]byte("after close"))
	data, err := os.ReadFile(path)
	must(t, err)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 1+4*5000 || lines[0] != "from an earlier run" {
		t.Fatalf("%d lines, first %q; want the earlier line and 20000 more", len(lines), lines[0])
	}
	seen := map[string]bool{}
	for _, l := range lines[1:] {
		var g, i int
		if _, err := fmt.Sscanf(l, "g%d line %d IN=eth0", &g, &i); err != nil || seen[l] || !strings.HasSuffix(l, strings.Repeat("x", i%200)) {
			t.Fatalf("bad or repeated line %q", l)
		}
		seen[l] = true
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v (%v), want 0600", fi.Mode(), err)
	}
}

// TestErrorLogBounded: lines beyond what may wait are counted and the
// loss is logged, not kept in memory.
func TestErrorLogBounded(t *testing.T) {
	// In a bubble the writer's ticker cannot fire while the test runs,
	// and no Add here kicks it: everything waits until Close.
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "fwerrorlog")
		var logged bytes.Buffer
		var mu sync.Mutex
		e := OpenErrorLog(path, slog.New(slog.NewTextHandler(&lockedWriter{w: &logged, mu: &mu}, nil)))
		line := bytes.Repeat([]byte("y"), 1023)
		n := 0
		e.mu.Lock()
		for len(e.pending)+len(line)+1 <= errLogMax {
			e.pending = append(append(e.pending, line...), '\n')
			n++
		}
		e.mu.Unlock()
		e.Add(line)
		e.Add(line)
		e.Close()
		fi, err := os.Stat(path)
		must(t, err)
		if fi.Size() != int64(n*1024) {
			t.Errorf("file holds %d bytes, want %d", fi.Size(), n*1024)
		}
		mu.Lock()
		defer mu.Unlock()
		if !strings.Contains(logged.String(), "lines=2") {
			t.Errorf("the two dropped lines were not logged:\n%s", logged.String())
		}
	})
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
