package cli

import (
	"bytes"
	"fmt"
	"github.com/psadgo/psad/internal/argv"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/ctl"
	"github.com/psadgo/psad/internal/psaddir"
)

// runStatus is `psad -S` (with --status-dl and --status-summary): the
// running daemon's process line and its report of its live state, also
// written to STATUS_OUTPUT_FILE. (psad 2.4.6 rebuilt it from files, and
// its -S was not read-only: it could remove blocks. Ours only reads.)
func runStatus(o *argv.Options, set *config.Settings, env Env) int {
	host := set.Alert.Hostname
	pidPath := set.Files.PidFile
	if !statusDLValid(o, env) {
		return 1
	}
	if o.StatusIP != "" {
		if _, err := parseStatusIP(o.StatusIP); err != nil {
			fmt.Fprintf(env.Stderr, "[*] %v\n", err)
			return 1
		}
	}
	pid, cmd, err := psaddir.Daemon(pidPath)
	if err != nil || pid == 0 {
		notRunning(env.Stdout, pidPath, host)
		return 1
	}
	if cmd != "" {
		fmt.Fprintf(env.Stdout, "[-] psad 2.4.6 is running on %s (pid %d: %s), not psad-go.\n", host, pid, cmd)
		fmt.Fprintln(env.Stdout, "    Ask it with its own psad -S, or stop it (systemctl stop psad) and start psad-go (docs/migrating.md).")
		return 1
	}
	fmt.Fprintf(env.Stdout, "[+] psad (pid: %d)  %%CPU: %s  %%MEM: %s\n", pid, cpuPercent(pid), memPercent(pid))
	if fi, err := os.Stat(pidPath); err == nil {
		fmt.Fprintf(env.Stdout, "    Running since: %s\n", fi.ModTime().Format("Mon Jan _2 15:04:05 2006"))
	}
	args := "[none specified]"
	if data, err := os.ReadFile(set.Files.CmdlineFile); err == nil {
		if l := strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[0]); l != "" {
			args = l
		}
	}
	fmt.Fprintf(env.Stdout, "    Command line arguments: %s\n", args)
	fmt.Fprintf(env.Stdout, "    Alert email address(es): %s\n\n", strings.Join(set.Alert.EmailAddresses, " "))

	rep, err := ctl.Ask(ctl.SocketPath(set.Files.RunDir), ctl.Request{Op: "status", Summary: o.StatusSummary, MinDL: o.StatusDL, Arg: o.StatusIP}, 15*time.Second)
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] no status from the daemon: %v\n", err)
		return 1
	}
	env.Stdout.Write(rep)
	if out := set.Files.StatusOutputFile; out != "" {
		if err := psaddir.WriteAtomic(out, rep, 0o600); err != nil {
			fmt.Fprintf(env.Stderr, "[-] %v\n", err)
		} else {
			fmt.Fprintf(env.Stdout, "[+] These results are available in: %s\n\n", out)
		}
	}
	return 0
}

// statusDLValid checks --status-dl as psad does, saying so when it is
// out of range; -S and -S --json share it.
func statusDLValid(o *argv.Options, env Env) bool {
	if o.StatusDL > 5 || o.Given["status-dl"] && o.StatusDL < 1 {
		fmt.Fprintln(env.Stderr, "[*] The --status-dl must be between 1 and 5.")
		return false
	}
	return true
}

// notRunning is psad's word for -S and -K without a daemon: a stale pid
// file, or none.
func notRunning(w io.Writer, pidPath, host string) {
	if _, err := os.Stat(pidPath); err == nil {
		fmt.Fprintf(w, "[-] psad: psad is not running on %s\n", host)
	} else {
		fmt.Fprintf(w, "[-] psad: pid file %s does not exist for psad on %s\n", pidPath, host)
	}
}

// signalDaemon implements -K (TERM) and -H (HUP) against the running
// daemon named by PSAD_PID_FILE.
func signalDaemon(set *config.Settings, sig syscall.Signal, out, errw io.Writer) int {
	path := set.Files.PidFile
	pid, err := psaddir.Running(path)
	if err != nil {
		fmt.Fprintf(errw, "[*] %v\n", err)
		return 1
	}
	if pid == 0 {
		if sig == syscall.SIGTERM {
			notRunning(out, path, set.Alert.Hostname)
			return 0
		}
		fmt.Fprintf(errw, "[-] psad is not running (no locked pid file %s)\n", path)
		return 1
	}
	if sig == syscall.SIGTERM {
		fmt.Fprintf(out, "[+] Stopping psad, pid: %d\n", pid)
	}
	if err := syscall.Kill(pid, sig); err != nil {
		fmt.Fprintf(errw, "[*] could not signal psad (pid %d): %v\n", pid, err)
		return 1
	}
	switch sig {
	case syscall.SIGUSR1:
		fmt.Fprintf(out, "[+] USR1 signal sent to psad (pid: %d); state is written to %s.%d\n", pid, set.Files.PrintScanHash, pid)
		return 0
	case syscall.SIGTERM:
		for i := 0; i < 100; i++ {
			if p, _ := psaddir.Running(path); p == 0 {
				fmt.Fprintf(out, "[+] psad (pid: %d) stopped.\n", pid)
				return 0
			}
			time.Sleep(50 * time.Millisecond)
		}
		fmt.Fprintf(errw, "[*] psad (pid: %d) did not stop within 5 seconds\n", pid)
		return 1
	default:
		fmt.Fprintf(out, "[+] HUP signal sent to psad (pid: %d).\n", pid)
		return 0
	}
}

// runRestart is -R: stop the running daemon and start it again with the
// arguments it was started with (PSAD_CMDLINE_FILE), detached from this
// terminal. psad 2.4.6 restarted through a shell and, without a saved
// command line, with the default configuration; we never use a shell and
// fall back to this invocation's -c/-O.
func runRestart(o *argv.Options, set *config.Settings, env Env) int {
	args := []string{}
	if data, err := os.ReadFile(set.Files.CmdlineFile); err == nil {
		args = strings.Fields(strings.SplitN(string(data), "\n", 2)[0])
	}
	if len(args) == 0 {
		if o.Config != "" {
			args = append(args, "-c", o.Config)
		}
		if len(o.OverrideConfig) > 0 {
			args = append(args, "-O", strings.Join(o.OverrideConfig, ","))
		}
	}
	if code := signalDaemon(set, syscall.SIGTERM, env.Stdout, env.Stderr); code != 0 {
		return code
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	defer null.Close()
	fmt.Fprintf(env.Stdout, "[+] Restarting psad daemons on %s\n", set.Alert.Hostname)
	p, err := os.StartProcess(self, append([]string{self}, args...), &os.ProcAttr{
		Files: []*os.File{null, null, null},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] restarting psad: %v\n", err)
		return 1
	}
	p.Release()
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
