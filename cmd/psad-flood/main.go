// Command psad-flood measures the daemon the way a user would see a
// spoofed-source flood: it starts a real psad daemon with every path in a
// temporary directory, appends N one-SYN lines from N distinct sources to
// the log the daemon follows, and reports how long the daemon took to
// read them, the CPU it spent, its peak memory, the size of the state
// database and the number of files under the state directories.
//
// Usage:
//
//	go build -o /tmp/psad ./cmd/psad
//	go run ./cmd/psad-flood -psad /tmp/psad [-n 100000] [-scan-timeout 20s] [-floods 3] [-proto udp]
//	go run ./cmd/psad-flood -psad /tmp/psad -busy 3000 [-seconds 20] [-pairs 3000]
//
// It must run as root (the daemon wants its directories to be root's).
// With -scan-timeout the daemon forgets scans after that long and the
// tool waits for the expiry and reports the state again, so the
// shrinking of the database can be seen. With -floods each further flood
// comes from new sources once the last has settled, so what a daemon
// keeps from flood to flood can be seen. With -busy it sends a busy
// firewall's log at a steady rate instead and reports the daemon's CPU
// (see busyLog).
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/psadgo/psad/internal/config"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "psad-flood:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fl := flag.NewFlagSet("psad-flood", flag.ContinueOnError)
	bin := fl.String("psad", "", "path of the psad binary to measure (required)")
	n := fl.Int("n", 100000, "number of one-SYN lines, each from its own source")
	proto := fl.String("proto", "tcp", "what each line is: tcp (a SYN) or udp (a datagram)")
	floods := fl.Int("floods", 1, "floods to send one after the other, each from new sources, each after the last has settled (and expired, with -scan-timeout)")
	timeout := fl.Duration("timeout", 3*time.Minute, "give up after this long")
	scanTimeout := fl.Duration("scan-timeout", 0, "SCAN_TIMEOUT for the daemon; 0 keeps psad's default")
	keep := fl.Bool("keep", false, "keep the temporary directory")
	extra := fl.String("set", "", "extra psad.conf settings, 'NAME value;' separated by ';'")
	busy := fl.Int("busy", 0, "instead of floods, append the project's mixed busy-firewall log at this many lines a second")
	secs := fl.Int("seconds", 20, "with -busy, for this many seconds")
	pairs := fl.Int("pairs", 0, "with -busy, send the first N lines of the mixed log again and again (the same pairs every second)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *bin == "" {
		return errors.New("-psad is required")
	}
	if *proto != "tcp" && *proto != "udp" {
		return fmt.Errorf("-proto %q: want tcp or udp", *proto)
	}
	if *n < 1 || *floods < 1 || *n**floods >= 1<<24 {
		return errors.New("-n and -floods must be at least 1, and n*floods below 2^24 (the sources are 10.0.0.0/8)")
	}
	dir, err := os.MkdirTemp("", "psad-flood-")
	if err != nil {
		return fmt.Errorf("temporary directory: %w", err)
	}
	if !*keep {
		defer os.RemoveAll(dir)
	} else {
		fmt.Fprintln(out, "directory:", dir)
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	logFile := filepath.Join(dir, "messages")
	if err := os.WriteFile(logFile, nil, 0o600); err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	conf := filepath.Join(dir, "psad.conf")
	if err := os.WriteFile(conf, config.DefaultText(), 0o600); err != nil {
		return fmt.Errorf("psad.conf: %w", err)
	}
	over := map[string]string{
		"PSAD_DIR":                filepath.Join(dir, "log"),
		"PSAD_RUN_DIR":            filepath.Join(dir, "run"),
		"PSAD_FIFO_DIR":           filepath.Join(dir, "lib"),
		"PSAD_PID_FILE":           filepath.Join(dir, "run", "psad.pid"),
		"IPT_SYSLOG_FILE":         logFile,
		"ENABLE_SYSLOG_FILE":      "Y",
		"ALERTING_METHODS":        "noemail,nosyslog",
		"ENABLE_FW_LOGGING_CHECK": "N",
		"ENABLE_DNS_LOOKUPS":      "N",
		"ENABLE_WHOIS_LOOKUPS":    "N",
		"METRICS_ADDRESS":         addr,
	}
	if *scanTimeout > 0 {
		over["SCAN_TIMEOUT"] = strconv.Itoa(int(scanTimeout.Seconds()))
		over["PERSISTENCE_CTR_THRESHOLD"] = "1"
	}
	var ob strings.Builder
	for k, v := range over {
		fmt.Fprintf(&ob, "%s %s;\n", k, v)
	}
	for s := range strings.SplitSeq(*extra, ";") {
		if s = strings.TrimSpace(s); s != "" {
			ob.WriteString(s + ";\n")
		}
	}
	overFile := filepath.Join(dir, "flood.conf")
	if err := os.WriteFile(overFile, []byte(ob.String()), 0o600); err != nil {
		return fmt.Errorf("override file: %w", err)
	}

	cmd := exec.Command(*bin, "-c", conf, "-O", overFile, "--no-netstat", "--no-rdns", "--no-whois")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", *bin, err)
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() error {
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			return fmt.Errorf("stopping daemon %d: %w", pid, err)
		}
		select {
		case err := <-exited:
			return err
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			return errors.New("daemon did not stop in 30 s")
		}
	}
	deadline := time.Now().Add(*timeout)
	// poll checks every 10 ms while the lines are read, the figure the
	// tool is for (50 ms was an eighth of a 400 ms read), and every 50 ms
	// otherwise, so as not to take the daemon's CPU while it settles.
	poll := func(what string, done func() (bool, error)) error {
		every := 50 * time.Millisecond
		if what == readAll {
			every = 10 * time.Millisecond
		}
		for {
			ok, err := done()
			if ok {
				return nil
			}
			select {
			case e := <-exited:
				return fmt.Errorf("daemon exited while waiting for %s (%v): %s", what, e, stderr.String())
			default:
			}
			if time.Now().After(deadline) {
				stop()
				return fmt.Errorf("timed out waiting for %s (last: %v)", what, err)
			}
			time.Sleep(every)
		}
	}
	if err := poll("the metrics endpoint", func() (bool, error) { _, err := scrape(addr); return err == nil, err }); err != nil {
		return err
	}
	checkInterval := 5 * time.Second // psad.conf's CHECK_INTERVAL
	for s := range strings.SplitSeq(*extra, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(s), "CHECK_INTERVAL"); ok {
			if sec, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				checkInterval = time.Duration(sec) * time.Second
			}
		}
	}
	f := &flooder{n: *n, udp: *proto == "udp", checkInterval: checkInterval, out: out, pid: pid, dir: dir, logFile: logFile, addr: addr, scanTimeout: *scanTimeout,
		stop: stop, poll: poll}
	if *busy > 0 {
		if err := f.busyLog(*busy, *secs, *pairs); err != nil {
			return err
		}
		*floods = 0
	}
	for k := range *floods {
		if *floods > 1 {
			fmt.Fprintf(out, "flood %d of %d\n", k+1, *floods)
		}
		if err := f.flood(k); err != nil {
			return err
		}
	}
	if err := stop(); err != nil {
		return fmt.Errorf("%w: %s", err, stderr.String())
	}
	fmt.Fprintf(out, "after stop: %s\n", state(dir))
	if l := notDelivered(stderr.String()); l != "" {
		fmt.Fprintf(out, "daemon: %s\n", l)
	}
	return nil
}

// flooder sends floods to a running daemon and reports on each.
type flooder struct {
	n                  int
	udp                bool
	out                io.Writer
	pid                int
	dir, logFile, addr string
	scanTimeout        time.Duration
	checkInterval      time.Duration
	stop               func() error
	poll               func(what string, done func() (bool, error)) error
}

// readAll is what the read-time poll waits for.
const readAll = "every line to be read"

// flood sends flood k (sources k*n+1 to (k+1)*n), reports how the
// daemon took it in, and waits for the state to settle and, with a scan
// timeout, to expire.
func (f *flooder) flood(k int) error {
	n, out := f.n, f.out
	u0, s0, flt0, err := procStat(f.pid)
	if err != nil {
		return err
	}
	// The lines are made before the clock starts and appended in one
	// copy: making them took 50-110 ms of a core, on a 2-core machine
	// taken from the daemon being measured, which a syslog daemon
	// writing a flood does not do at this rate.
	floodFile := filepath.Join(f.dir, "flood.lines")
	if err := writeFlood(floodFile, k*n, n, f.udp, time.Now()); err != nil {
		f.stop()
		return err
	}
	start := time.Now()
	if err := appendFile(f.logFile, floodFile); err != nil {
		f.stop()
		return err
	}
	written := time.Since(start)
	if err := f.poll(readAll, func() (bool, error) {
		m, err := scrape(f.addr)
		return err == nil && m["psad_log_lines_total"] >= float64((k+1)*n), err
	}); err != nil {
		return err
	}
	took := time.Since(start)
	u1, s1, flt1, err := procStat(f.pid)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "lines: %d (written in %v)\n", n, written.Round(time.Millisecond))
	fmt.Fprintf(out, "read all in: %v (%.0f lines/s)\n", took.Round(time.Millisecond), float64(n)/took.Seconds())
	// Page faults are a figure of the memory a flood makes the daemon
	// touch for the first time, steadier from run to run than its time.
	fmt.Fprintf(out, "daemon CPU for them: %v (user %v, system %v), %d page faults\n",
		ticks(u1+s1-u0-s0), ticks(u1-u0), ticks(s1-s0), flt1-flt0)

	// The batch closes every CHECK_INTERVAL and the state is saved every
	// second: wait until the files and the database stop changing for a
	// whole CHECK_INTERVAL.
	settle := func(label string) error {
		var last string
		same := 0
		err := f.poll(label+" to settle", func() (bool, error) {
			st := state(f.dir)
			if st == last {
				same++
			} else {
				same, last = 0, st
			}
			return same >= 100, nil // 5 s unchanged: a CHECK_INTERVAL
		})
		if err != nil {
			return err
		}
		cpu, err := cpuTime(f.pid)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: %s, %s, CPU since the flood %v\n", label, last, memory(f.pid), (cpu - ticks(u0+s0)).Round(time.Millisecond))
		if m, err := scrape(f.addr); err == nil {
			// What the Go heap holds tells a leak from memory the runtime
			// has not yet handed back.
			fmt.Fprintf(out, "  Go heap: %.1f MB in use, %.1f MB idle of which %.1f MB returned to the system; %.0f sources tracked\n",
				m["go_memstats_heap_inuse_bytes"]/1e6, m["go_memstats_heap_idle_bytes"]/1e6, m["go_memstats_heap_released_bytes"]/1e6, m["psad_sources"])
		}
		return nil
	}
	if err := settle("after the flood"); err != nil {
		return err
	}
	if f.scanTimeout > 0 {
		// Expiry runs at the first CHECK_INTERVAL tick once the scans,
		// begun while the lines were read, are older than SCAN_TIMEOUT.
		// Settling from an earlier moment could end just as that tick
		// came, and report the state from before it.
		until := start.Add(took + f.scanTimeout + f.checkInterval)
		if err := f.poll("the scans to expire", func() (bool, error) { return time.Now().After(until), nil }); err != nil {
			return err
		}
		if err := settle("after expiry"); err != nil {
			return err
		}
	}
	return nil
}

// appendFile appends the file from to the file path, in one copy.
func appendFile(path, from string) error {
	src, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("flood: %w", err)
	}
	defer src.Close()
	dst, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("flood: %w", err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return fmt.Errorf("flood: appending to %s: %w", path, err)
	}
	if err := dst.Close(); err != nil {
		return fmt.Errorf("flood: %w", err)
	}
	return nil
}

// writeFlood writes n kernel-tagged one-SYN (or, with udp, one-datagram)
// lines to a new file, from sources first+1 to first+n of 10.0.0.0/8.
func writeFlood(path string, first, n int, udp bool, now time.Time) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("flood: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	ts := now.Format("Jan _2 15:04:05")
	for i := range n {
		j := first + i + 1
		transport := "PROTO=TCP SPT=40000 DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0 \n"
		if udp {
			transport = "PROTO=UDP SPT=40000 DPT=%d LEN=20 \n"
		}
		fmt.Fprintf(w, "%s fw kernel: [%d.%06d] DROP IN=eth0 OUT= MAC=52:54:00:6c:79:32:52:54:00:46:e9:74:08:00 SRC=10.%d.%d.%d DST=192.168.10.1 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=%d "+transport,
			ts, 3193250+i/1000, i%1000, j>>16&255, j>>8&255, j&255, i&0xffff, 1+i%1024)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("flood: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("flood: %w", err)
	}
	return nil
}

// state describes the daemon's footprint on disk: the state database's
// size and the number of files under PSAD_DIR, PSAD_RUN_DIR and
// PSAD_FIFO_DIR.
func state(dir string) string {
	files := 0
	for _, sub := range []string{"log", "run", "lib"} {
		filepath.WalkDir(filepath.Join(dir, sub), func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files++
			}
			return nil
		})
	}
	var db int64
	if fi, err := os.Stat(filepath.Join(dir, "lib", "psad_state.db")); err == nil {
		db = fi.Size()
	}
	return fmt.Sprintf("db %.1f MB, %d files", float64(db)/1e6, files)
}

// memory reports the daemon's peak and current resident set, the
// current one split into anonymous memory (the Go heap) and file pages
// (the state database, mapped by bbolt, and the binary).
func memory(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "memory unknown"
	}
	var hwm, rss, anon, file string
	for l := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			hwm = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			rss = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(l, "RssAnon:"); ok {
			anon = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(l, "RssFile:"); ok {
			file = strings.TrimSpace(v)
		}
	}
	return fmt.Sprintf("peak RSS %s, RSS %s (anon %s, file %s)", hwm, rss, anon, file)
}

// cpuTime is the user and system CPU a process has used
// (/proc/PID/stat fields 14 and 15, in clock ticks of 1/100 s).
func cpuTime(pid int) (time.Duration, error) {
	u, s, _, err := procStat(pid)
	return ticks(u + s), err
}

// ticks is n clock ticks of /proc/PID/stat as a duration.
func ticks(n int64) time.Duration { return time.Duration(n) * 10 * time.Millisecond }

// procStat reads a process's user and system CPU ticks and minor page
// faults (/proc/PID/stat fields 14, 15 and 10).
func procStat(pid int) (user, sys, minflt int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, 0, fmt.Errorf("cpu time: %w", err)
	}
	// The command name may hold spaces; fields count from after it.
	i := bytes.LastIndexByte(data, ')')
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, 0, 0, fmt.Errorf("cpu time: short /proc/%d/stat", pid)
	}
	minflt, err0 := strconv.ParseInt(f[7], 10, 64)
	user, err1 := strconv.ParseInt(f[11], 10, 64)
	sys, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err0, err1, err2); err != nil {
		return 0, 0, 0, fmt.Errorf("cpu time: %w", err)
	}
	return user, sys, minflt, nil
}

// scrapeClient asks for the metrics uncompressed: Go's default client
// asks for gzip, and the daemon compressing a reply for each 10 ms poll
// took CPU from the read being measured (deflate was 2% of it).
var scrapeClient = &http.Client{Transport: &http.Transport{DisableCompression: true}}

// scrape reads the daemon's metrics into name -> value (labels summed).
func scrape(addr string) (map[string]float64, error) {
	resp, err := scrapeClient.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || l[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(l, ' ')
		if sp < 0 {
			continue
		}
		name := l[:sp]
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
		}
		v, err := strconv.ParseFloat(l[sp+1:], 64)
		if err == nil {
			m[name] += v
		}
	}
	return m, sc.Err()
}

// freeAddr picks a loopback port for the metrics endpoint.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}
