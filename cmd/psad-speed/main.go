// Command psad-speed measures psad -A as a user would: it writes the
// project's 1,000,000-line busy-firewall log, then times grep -c SRC= and
// psad -A on that same file, best of a few runs each, and prints both
// with the CPU time of that best run.
// grep is the floor of reading the file at all, so the ratio says how far
// the analysis is from it on this machine, whatever its speed. psad -A
// is timed again on one CPU, as it runs on a one-CPU server: a figure
// per core that does not depend on how many the machine has.
//
//	go run ./cmd/psad-speed -psad build/psad [-lines N] [-runs R]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/psadgo/psad/internal/loggen"
)

func main() {
	psad := flag.String("psad", "build/psad", "the psad binary to time")
	lines := flag.Int("lines", 1_000_000, "lines of generated log")
	runs := flag.Int("runs", 3, "runs of each command; the best is reported")
	keep := flag.String("dir", "", "work directory (default: a new temporary one, removed afterwards)")
	flag.Parse()
	if err := run(*psad, *lines, *runs, *keep, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "psad-speed: %v\n", err)
		os.Exit(1)
	}
}

func run(psad string, lines, runs int, dir string, out io.Writer) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "psad-speed-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	log := filepath.Join(dir, "mixed.log")
	if err := writeLog(log, lines); err != nil {
		return err
	}
	fi, err := os.Stat(log)
	if err != nil {
		return err
	}
	// The override keeps -A's files in the work directory, away from an
	// installed psad's /var/log/psad.
	conf := filepath.Join(dir, "speed.conf")
	o := fmt.Sprintf("PSAD_DIR %[1]s;\nPSAD_ERR_DIR %[1]s/errs;\nANALYSIS_MODE_DIR %[1]s/ipt_analysis;\nANALYSIS_OUTPUT_FILE %[1]s/analysis.out;\nFW_ERROR_LOG %[1]s/errs/fwerrorlog;\n", filepath.Join(dir, "out"))
	if err := os.WriteFile(conf, []byte(o), 0o600); err != nil {
		return err
	}
	report := filepath.Join(dir, "report.txt")
	// GNU grep stops at the first match when its output is /dev/null, so
	// its count goes to a file.
	grep, err := best(runs, false, filepath.Join(dir, "grep.txt"), "grep", "-c", "SRC=", log)
	if err != nil {
		return fmt.Errorf("grep: %w", err)
	}
	a, err := best(runs, false, report, psad, "-A", "-m", log, "-O", conf)
	if err != nil {
		return fmt.Errorf("%s -A: %w", psad, err)
	}
	one, err := best(runs, true, report, psad, "-A", "-m", log, "-O", conf)
	if err != nil {
		return fmt.Errorf("%s -A on one CPU: %w", psad, err)
	}
	rl, err := countLines(report)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "log: %d lines, %.0f MB (psad-loggen -mixed %d); report: %d lines; best of %d runs\n",
		lines, float64(fi.Size())/1e6, lines, rl, runs)
	fmt.Fprintf(out, "grep -c SRC=  %6.2f s  %9.0f lines/s  CPU %.2f s\n", grep.wall.Seconds(), float64(lines)/grep.wall.Seconds(), grep.cpu.Seconds())
	fmt.Fprintf(out, "psad -A       %6.2f s  %9.0f lines/s  CPU %.2f s  (%.1fx grep)\n", a.wall.Seconds(), float64(lines)/a.wall.Seconds(), a.cpu.Seconds(), a.wall.Seconds()/grep.wall.Seconds())
	fmt.Fprintf(out, "psad -A 1 CPU %6.2f s  %9.0f lines/s  CPU %.2f s  (of %d CPUs here)\n", one.wall.Seconds(), float64(lines)/one.wall.Seconds(), one.cpu.Seconds(), runtime.NumCPU())
	return nil
}

func writeLog(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := loggen.Mixed(w, n, 1); err != nil {
		f.Close()
		return fmt.Errorf("generating %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// timing is one run's wall time and the CPU time (user and system) it
// took.
type timing struct{ wall, cpu time.Duration }

// best runs a command runs times and returns its run with the shortest
// wall time; stdout goes to the file stdout. Why the CPU time too: on a
// shared machine the wall time of one binary varies by half from hour
// to hour, and the CPU time, which sums every core's work, says whether
// a change saved work or only moved it.
// With oneCPU the command may run on one CPU only (see startOnOneCPU).
func best(runs int, oneCPU bool, stdout, name string, args ...string) (timing, error) {
	var min timing
	for range runs {
		cmd := exec.Command(name, args...)
		f, err := os.Create(stdout)
		if err != nil {
			return timing{}, err
		}
		cmd.Stdout = f
		start := time.Now()
		if oneCPU {
			err = startOnOneCPU(cmd)
		} else {
			err = cmd.Start()
		}
		if err == nil {
			err = cmd.Wait()
		}
		d := time.Since(start)
		f.Close()
		if err != nil {
			return timing{}, err
		}
		if min.wall == 0 || d < min.wall {
			min = timing{d, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
		}
	}
	return min, nil
}

func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		n++
	}
	return n, s.Err()
}

// startOnOneCPU starts cmd allowed to run on one CPU (the first this
// process may use), as taskset would. A child inherits the CPU mask of
// the thread that forks it, so the start runs on a goroutine of its own,
// locked to its thread, which takes the one-CPU mask; the goroutine ends
// locked, and the runtime then ends the thread (or, the main thread,
// leaves it idle) rather than run other goroutines on it. The Go runtime
// in the child sizes GOMAXPROCS to the one CPU, as on a one-CPU server.
func startOnOneCPU(cmd *exec.Cmd) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		var all, one unix.CPUSet
		if err := unix.SchedGetaffinity(0, &all); err != nil {
			errc <- fmt.Errorf("CPU mask: %w", err)
			return
		}
		for c := range 1024 {
			if all.IsSet(c) {
				one.Set(c)
				break
			}
		}
		if err := unix.SchedSetaffinity(0, &one); err != nil {
			errc <- fmt.Errorf("CPU mask: %w", err)
			return
		}
		errc <- cmd.Start()
	}()
	return <-errc
}
