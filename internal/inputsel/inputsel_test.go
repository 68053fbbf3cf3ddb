package inputsel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/config"
)

func TestDecide(t *testing.T) {
	const path = "/var/log/messages"
	tests := []struct {
		name         string
		auto, cmd    bool
		facts        Facts
		journal      bool
		whyHasPrefix string
	}{
		{"auto, no journald", true, false, Facts{FileExists: true, FileActive: true}, false, "systemd-journald does not run"},
		{"auto, no journald, no file", true, true, Facts{}, false, "systemd-journald does not run"},
		{"auto, journald, no file", true, false, Facts{Journald: true}, true, path + " does not exist"},
		{"auto, journald, stale file", true, false, Facts{Journald: true, FileExists: true}, true, path + " has not been written for a day"},
		{"auto, journald, file written", true, true, Facts{Journald: true, FileExists: true, FileActive: true}, false, path + " is being written"},
		{"manual Y with journald", false, true, Facts{Journald: true}, true, "ENABLE_FW_MSG_READ_CMD is Y (AUTO_DETECT_JOURNALCTL is N)"},
		{"manual Y without journald", false, true, Facts{}, true, "ENABLE_FW_MSG_READ_CMD is Y (AUTO_DETECT_JOURNALCTL is N), but systemd-journald does not seem to run"},
		{"manual N with journald", false, false, Facts{Journald: true}, false, "ENABLE_FW_MSG_READ_CMD is N (AUTO_DETECT_JOURNALCTL is N), though"},
		{"manual N", false, false, Facts{FileExists: true}, false, "ENABLE_FW_MSG_READ_CMD is N (AUTO_DETECT_JOURNALCTL is N)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := config.Inputs{IPTSyslogFile: path, AutoDetectJournal: tt.auto, FWMsgReadCmd: tt.cmd}
			journal, why := Decide(in, path, tt.facts)
			if journal != tt.journal || !strings.HasPrefix(why, tt.whyHasPrefix) {
				t.Errorf("Decide = %v, %q; want %v, %q...", journal, why, tt.journal, tt.whyHasPrefix)
			}
		})
	}
}

func TestProbeFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "messages")
	now := time.Now()
	if f := Probe(path, now); f.FileExists || f.FileActive {
		t.Errorf("missing file: %+v", f)
	}
	if err := os.WriteFile(path, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if f := Probe(path, now); !f.FileExists || !f.FileActive {
		t.Errorf("fresh file: %+v", f)
	}
	old := now.Add(-2 * StaleAfter)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	if f := Probe(path, now); !f.FileExists || f.FileActive {
		t.Errorf("file last written two days ago: %+v", f)
	}
}

// TestResolveKeepsMessagesFile: -m names the file to follow, and the
// settings passed in are not changed.
func TestResolveKeepsMessagesFile(t *testing.T) {
	in := config.Inputs{IPTSyslogFile: "/nonexistent/messages", AutoDetectJournal: true}
	got, why := Resolve(in, "/nonexistent/other.log")
	if got.FWMsgReadCmd || in.FWMsgReadCmd {
		t.Errorf("Resolve with -m: FWMsgReadCmd = %v (input %v), want false; %s", got.FWMsgReadCmd, in.FWMsgReadCmd, why)
	}
}

// TestFile: the followed file in psad's order (-m, ulogd's file when
// SYSLOG_DAEMON names ulog, IPT_SYSLOG_FILE with ENABLE_SYSLOG_FILE Y),
// and none for the legacy kmsgsd mode, which reads /dev/kmsg instead.
func TestFile(t *testing.T) {
	base := config.Inputs{IPTSyslogFile: "/var/log/messages", SyslogFile: true, SyslogDaemon: "syslogd", ULogDataFile: "/var/log/psad/ulogd.log"}
	for _, tt := range []struct {
		name string
		edit func(*config.Inputs)
		m    string
		want string
	}{
		{"default", func(*config.Inputs) {}, "", "/var/log/messages"},
		{"-m", func(in *config.Inputs) { in.SyslogDaemon = "ulogd" }, "/tmp/fw.log", "/tmp/fw.log"},
		{"ulogd", func(in *config.Inputs) { in.SyslogDaemon = "ULOGD" }, "", "/var/log/psad/ulogd.log"},
		{"ulogd without ENABLE_SYSLOG_FILE", func(in *config.Inputs) { in.SyslogDaemon, in.SyslogFile = "ulogd", false }, "", "/var/log/psad/ulogd.log"},
		{"legacy", func(in *config.Inputs) { in.SyslogFile = false }, "", ""},
	} {
		in := base
		tt.edit(&in)
		got, why := File(in, tt.m)
		if got != tt.want || why == "" || tt.want == "" && !strings.Contains(why, "/dev/kmsg") {
			t.Errorf("%s: File = %q (%s), want %q", tt.name, got, why, tt.want)
		}
	}
}
