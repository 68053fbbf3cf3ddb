package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDaemonJournal: the daemon reading the journal through the real
// journalctl (ENABLE_FW_MSG_READ_CMD, FW_MSG_READ_CMD_ARGS naming the
// test's journal directory) alerts on a scan whose kernel records
// systemd-journal-remote stores there while it runs, and ignores the same
// packets written to /dev/kmsg from user space (facility 1).
func TestDaemonJournal(t *testing.T) {
	jctl, err := exec.LookPath("journalctl")
	if err != nil {
		t.Skip("journalctl not installed")
	}
	const remote = "/lib/systemd/systemd-journal-remote"
	if _, err := os.Stat(remote); err != nil {
		t.Skip("systemd-journal-remote not installed (Debian: systemd-journal-remote): it stores the records the daemon reads")
	}
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		t.Skipf("no boot id: %v", err)
	}
	bootID := strings.ReplaceAll(strings.TrimSpace(string(boot)), "-", "")
	dir := t.TempDir()
	jdir := filepath.Join(dir, "journal")
	must(t, os.Mkdir(jdir, 0o700))
	files := 0
	// store writes records into a new journal file of jdir; journalctl -f
	// picks up new files.
	store := func(transport, facility string, msgs ...string) {
		t.Helper()
		var b strings.Builder
		now := time.Now()
		for i, m := range msgs {
			fmt.Fprintf(&b, "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=%s\n_HOSTNAME=fw\n_TRANSPORT=%s\nSYSLOG_FACILITY=%s\nPRIORITY=4\nSYSLOG_IDENTIFIER=kernel\nMESSAGE=%s\n\n",
				now.UnixMicro()+int64(i), 1000000+now.UnixMicro()%1e9+int64(i), bootID, transport, facility, m)
		}
		files++
		in := filepath.Join(dir, fmt.Sprintf("records%d.export", files))
		must(t, os.WriteFile(in, []byte(b.String()), 0o600))
		if out, err := exec.Command(remote, fmt.Sprintf("--output=%s/remote%d.journal", jdir, files), in).CombinedOutput(); err != nil {
			t.Fatalf("systemd-journal-remote: %v\n%s", err, out)
		}
	}
	// journalctl needs a journal to follow when it starts.
	store("kernel", "0", "e1000e eth0: NIC Link is Up")

	sockPath := filepath.Join(dir, "log.sock")
	sl := startSyslog(t, sockPath)
	e := newTestEnv(t, map[string]string{
		"IPT_SYSLOG_FILE": filepath.Join(dir, "unused"), "CHECK_INTERVAL": "1", "ALERTING_METHODS": "noemail",
		"SYSLOG_SERVER_NETWORK": "unixgram", "SYSLOG_SERVER": sockPath,
		"ENABLE_FW_MSG_READ_CMD": "Y", "AUTO_DETECT_JOURNALCTL": "N",
		"FW_MSG_READ_CMD": jctl, "FW_MSG_READ_CMD_ARGS": "--directory=" + jdir,
		"PSAD_PID_FILE": filepath.Join(dir, "run", "psad.pid"), "PSAD_FIFO_DIR": filepath.Join(dir, "lib"),
	}, "")
	startDaemon(t, e.conf, Env{})
	syn := func(src string, port int) string {
		return fmt.Sprintf("DROP IN=eth0 OUT= SRC=%s DST=192.168.10.1 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0 ", src, port)
	}
	// journalctl starts after the daemon does and reads from the end
	// (-n 0): records stored before it runs are not read, so the scans
	// are stored again, on fresh ports, until one is reported.
	deadline := time.Now().Add(20 * time.Second)
	for round := 0; ; round++ {
		var forged, scan []string
		for p := range 5 {
			forged = append(forged, syn("10.9.9.9", 3000+10*round+p))
			scan = append(scan, syn("10.8.8.8", 2000+10*round+p))
		}
		// Root writing to /dev/kmsg: the kernel transport, so journalctl
		// -k shows it, but a user facility, which the reader refuses.
		store("kernel", "1", forged...)
		store("kernel", "0", scan...)
		found := false
		for end := time.Now().Add(time.Second); time.Now().Before(end) && !found; time.Sleep(20 * time.Millisecond) {
			found = sl.find("10.8.8.8 -> 192.168.10.1 tcp") != ""
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no alert for a scan stored in the journal")
		}
	}
	if l := sl.find("10.9.9.9"); l != "" {
		t.Errorf("packets written from user space were acted on: %q", l)
	}
}
