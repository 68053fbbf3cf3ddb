package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/daemon"
	"github.com/psadgo/psad/internal/inspect"
	"github.com/psadgo/psad/internal/protocols"
	"github.com/psadgo/psad/internal/psaddir"
	"github.com/psadgo/psad/internal/report"
	"github.com/psadgo/psad/internal/scan"
)

// statusRequest is what `psad -S` asks the running daemon over its
// control socket; the daemon renders the report from its live state.
// (psad 2.4.6 rebuilt state from files instead, and `-S` was not
// read-only: it could remove blocks. Ours only reads.)
type statusRequest struct {
	Summary bool `json:"summary"`
	MinDL   int  `json:"min_dl"`
}

// socketPath is the daemon's control socket.
func socketPath(cfg *config.Config) string {
	return filepath.Join(cfg.Str("PSAD_RUN_DIR"), "psad.sock")
}

// serveStatus answers status requests on the control socket (mode 0600,
// root only) until ctx is done.
func serveStatus(ctx context.Context, cfg *config.Config, d *daemon.Daemon, eng func() *inspect.Engines, protos *protocols.Table) (func(), error) {
	path := socketPath(cfg)
	os.MkdirAll(filepath.Dir(path), 0o700)
	os.Remove(path) // a stale socket of a killed daemon; the pid lock guards a live one
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	os.Chmod(path, 0o600)
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				var req statusRequest
				if err := json.NewDecoder(bufio.NewReader(io.LimitReader(c, 4096))).Decode(&req); err != nil {
					return
				}
				var buf bytes.Buffer
				qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				d.Query(qctx, func(t *scan.Tracker) {
					e := eng()
					report.Write(&buf, t, report.Options{
						Version: Version, MinDL: max(req.MinDL, cfg.Int("MIN_DANGER_LEVEL")),
						SigsMax: cfg.Int("STATUS_SIGS_THRESHOLD"), IPMax: cfg.Int("STATUS_IP_THRESHOLD"),
						PortsMax: cfg.Int("STATUS_PORTS_THRESHOLD"), SummaryOnly: req.Summary, Protocols: protos,
						Sigs: e.TopSigInfo, DetailSigs: e.DetailSigInfo, ICMPType: e.ICMPTypeName,
					})
				})
				c.Write(buf.Bytes())
			}()
		}
	}()
	return func() { l.Close(); os.Remove(path) }, nil
}

// runStatus is `psad -S` (with --status-dl and --status-summary): the
// running daemon's process line and its report, also written to
// STATUS_OUTPUT_FILE.
func runStatus(o *Options, cfg *config.Config, env Env) int {
	host := cfg.Str("HOSTNAME")
	pidPath := cfg.Str("PSAD_PID_FILE")
	if o.StatusDL > 5 || o.Given["status-dl"] && o.StatusDL < 1 {
		fmt.Fprintln(env.Stderr, "[*] The --status-dl must be between 1 and 5.")
		return 1
	}
	pid, err := psaddir.Running(pidPath)
	if err != nil || pid == 0 {
		if _, serr := os.Stat(pidPath); serr == nil {
			fmt.Fprintf(env.Stdout, "[-] psad: psad is not running on %s\n", host)
		} else {
			fmt.Fprintf(env.Stdout, "[-] psad: pid file %s does not exist for psad on %s\n", pidPath, host)
		}
		return 1
	}
	fmt.Fprintf(env.Stdout, "[+] psad (pid: %d)  %%CPU: %s  %%MEM: %s\n", pid, cpuPercent(pid), memPercent(pid))
	if fi, err := os.Stat(pidPath); err == nil {
		fmt.Fprintf(env.Stdout, "    Running since: %s\n", fi.ModTime().Format("Mon Jan _2 15:04:05 2006"))
	}
	args := "[none specified]"
	if data, err := os.ReadFile(cfg.Str("PSAD_CMDLINE_FILE")); err == nil {
		if l := strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[0]); l != "" {
			args = l
		}
	}
	fmt.Fprintf(env.Stdout, "    Command line arguments: %s\n", args)
	fmt.Fprintf(env.Stdout, "    Alert email address(es): %s\n\n", strings.Join(strings.FieldsFunc(cfg.Str("EMAIL_ADDRESSES"), func(r rune) bool { return r == ',' || r == ' ' }), " "))

	conn, err := net.DialTimeout("unix", socketPath(cfg), 5*time.Second)
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] cannot reach the daemon's control socket: %v\n", err)
		return 1
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	json.NewEncoder(conn).Encode(statusRequest{Summary: o.StatusSummary, MinDL: o.StatusDL})
	rep, err := io.ReadAll(conn)
	if err != nil || len(rep) == 0 {
		fmt.Fprintf(env.Stderr, "[*] no status from the daemon: %v\n", err)
		return 1
	}
	env.Stdout.Write(rep)
	if out := cfg.Str("STATUS_OUTPUT_FILE"); out != "" {
		if err := os.WriteFile(out, rep, 0o600); err == nil {
			fmt.Fprintf(env.Stdout, "[+] These results are available in: %s\n\n", out)
		}
	}
	return 0
}

// cpuPercent is the process's CPU use over its lifetime, as ps shows it.
func cpuPercent(pid int) string {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "?"
	}
	// Fields after the command name, which is in parentheses.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return "?"
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 20 {
		return "?"
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	start, _ := strconv.ParseFloat(f[19], 64)
	up, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return "?"
	}
	uptime, _ := strconv.ParseFloat(strings.Fields(string(up))[0], 64)
	const hz = 100 // USER_HZ on Linux
	el := uptime - start/hz
	if el <= 0 {
		return "0.0"
	}
	return strconv.FormatFloat(100*(utime+stime)/hz/el, 'f', 1, 64)
}

// memPercent is the resident set size as a share of RAM.
func memPercent(pid int) string {
	statm, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", pid))
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(statm))
	meminfo, err := os.ReadFile("/proc/meminfo")
	if err != nil || len(f) < 2 {
		return "?"
	}
	rss, _ := strconv.ParseFloat(f[1], 64)
	var totalKB float64
	for _, l := range strings.Split(string(meminfo), "\n") {
		if rest, ok := strings.CutPrefix(l, "MemTotal:"); ok {
			totalKB, _ = strconv.ParseFloat(strings.Fields(rest)[0], 64)
		}
	}
	if totalKB == 0 {
		return "?"
	}
	return strconv.FormatFloat(100*rss*float64(os.Getpagesize())/1024/totalKB, 'f', 1, 64)
}
