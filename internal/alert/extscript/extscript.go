// Package extscript runs psad's EXTERNAL_SCRIPT after an alert mail and
// its EXTERNAL_BLOCK_SCRIPT after a block: without a shell (the command is split into arguments and the first
// "SRCIP" replaced by the source address), with a time limit, and off the
// detection goroutine through a bounded queue, so a slow script cannot
// stall detection as it did in psad.
package extscript

import (
	"context"
	"errors"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Config is the command and its switches.
type Config struct {
	Command  string        // EXTERNAL_SCRIPT or EXTERNAL_BLOCK_SCRIPT
	PerAlert bool          // EXEC_EXT_SCRIPT_PER_ALERT: every alert, else once per source
	Timeout  time.Duration // default 30 s, as psad
	Logf     func(format string, args ...any)
}

// Runner runs the script.
type Runner struct {
	cfg   Config
	argv  []string
	queue chan string
	seen  map[netip.Addr]bool
	mu    sync.Mutex
	wg    sync.WaitGroup
	runs  int
}

// ErrEmpty is returned for an empty command.
var ErrEmpty = errors.New("the script's command line is empty")

// New starts a runner.
func New(c Config) (*Runner, error) {
	argv := strings.Fields(c.Command)
	if len(argv) == 0 {
		return nil, ErrEmpty
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	r := &Runner{cfg: c, argv: argv, queue: make(chan string, 64), seen: make(map[netip.Addr]bool)}
	r.wg.Add(1)
	go r.loop()
	return r, nil
}

// Alerted is called after an alert mail for src; it never blocks.
func (r *Runner) Alerted(src netip.Addr) {
	r.mu.Lock()
	if !r.cfg.PerAlert && r.seen[src] {
		r.mu.Unlock()
		return
	}
	r.seen[src] = true
	r.mu.Unlock()
	r.Run(src.String())
}

// Run queues a run for target (an address, or a network for a block of
// one) whatever ran before; it never blocks.
func (r *Runner) Run(target string) {
	src := target
	select {
	case r.queue <- src:
	default:
		r.cfg.Logf("external script queue full, skipping %s", src)
	}
}

// Close waits for queued runs.
func (r *Runner) Close() {
	close(r.queue)
	r.wg.Wait()
}

// Runs returns how many times the script ran.
func (r *Runner) Runs() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.runs
}

// Args returns the argument vector for src: psad replaces the first
// "SRCIP" of the command line only.
func (r *Runner) Args(src netip.Addr) []string { return r.args(src.String()) }

func (r *Runner) args(target string) []string {
	args := append([]string(nil), r.argv...)
	for i, a := range args {
		if strings.Contains(a, "SRCIP") {
			args[i] = strings.Replace(a, "SRCIP", target, 1)
			break
		}
	}
	return args
}

func (r *Runner) loop() {
	defer r.wg.Done()
	for src := range r.queue {
		args := r.args(src)
		ctx, cancel := context.WithTimeout(context.Background(), r.cfg.Timeout)
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.WaitDelay = 2 * time.Second
		err := cmd.Run()
		cancel()
		r.mu.Lock()
		r.runs++
		r.mu.Unlock()
		if err != nil {
			r.cfg.Logf("external script %q for %s: %v", args[0], src, err)
		}
	}
}
