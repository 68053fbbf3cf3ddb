// Package inputsel decides whether the daemon reads kernel messages from
// the journal or from IPT_SYSLOG_FILE when AUTO_DETECT_JOURNALCTL is Y.
// The decision is a pure function of the settings and a few facts about
// the machine, so it can be tested as a table; Resolve gathers the facts.
package inputsel

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/psadgo/psad/internal/config"
)

// JournalSocket is where journald listens while it runs.
const JournalSocket = "/run/systemd/journal/socket"

// StaleAfter is how long a syslog file may go unwritten before it counts
// as abandoned: a system logger writes something (cron, logins, the
// kernel) far more often than once a day.
const StaleAfter = 24 * time.Hour

// Facts are what the decision depends on besides the settings.
type Facts struct {
	Journald   bool // journald runs
	FileExists bool // the syslog file exists
	FileActive bool // it was written within StaleAfter
}

// Decide returns whether to read the journal (ENABLE_FW_MSG_READ_CMD as
// it should be in force) and why, in words for the start-up log. Unlike
// psad, which switches to the journal whenever journald runs, a syslog
// file that a system logger still writes is kept: it is what psad reads
// on such machines and holds the same kernel lines.
func Decide(in config.Inputs, path string, f Facts) (journal bool, why string) {
	if !in.AutoDetectJournal {
		switch {
		case in.FWMsgReadCmd && !f.Journald:
			return true, "ENABLE_FW_MSG_READ_CMD is Y (AUTO_DETECT_JOURNALCTL is N), but systemd-journald does not seem to run"
		case in.FWMsgReadCmd:
			return true, "ENABLE_FW_MSG_READ_CMD is Y (AUTO_DETECT_JOURNALCTL is N)"
		case f.Journald:
			return false, "ENABLE_FW_MSG_READ_CMD is N (AUTO_DETECT_JOURNALCTL is N), though systemd-journald runs"
		default:
			return false, "ENABLE_FW_MSG_READ_CMD is N (AUTO_DETECT_JOURNALCTL is N)"
		}
	}
	switch {
	case !f.Journald:
		return false, "systemd-journald does not run (AUTO_DETECT_JOURNALCTL)"
	case !f.FileExists:
		return true, path + " does not exist and systemd-journald runs (AUTO_DETECT_JOURNALCTL)"
	case !f.FileActive:
		return true, path + " has not been written for a day and systemd-journald runs (AUTO_DETECT_JOURNALCTL)"
	default:
		return false, path + " is being written (AUTO_DETECT_JOURNALCTL keeps it though systemd-journald runs)"
	}
}

// Probe gathers the facts for the syslog file path at time now.
func Probe(path string, now time.Time) Facts {
	var f Facts
	if fi, err := os.Stat(JournalSocket); err == nil && fi.Mode().Type() == fs.ModeSocket {
		f.Journald = true
	}
	fi, err := os.Stat(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		f.FileExists = true
	}
	f.FileActive = err == nil && now.Sub(fi.ModTime()) < StaleAfter
	return f
}

// Resolve returns a copy of in with FWMsgReadCmd decided for the syslog
// file path (see File; IPT_SYSLOG_FILE in legacy mode), and the reason. The
// settings themselves stay untouched, as a Settings is never mutated.
func Resolve(in config.Inputs, messagesFile string) (*config.Inputs, string) {
	path, _ := File(in, messagesFile)
	if path == "" {
		path = in.IPTSyslogFile
	}
	out := in
	var why string
	out.FWMsgReadCmd, why = Decide(in, path, Probe(path, time.Now()))
	if messagesFile != "" && out.FWMsgReadCmd && in.AutoDetectJournal {
		// -m names the file to follow: auto-detection never overrides it.
		out.FWMsgReadCmd, why = false, "-m "+messagesFile+" given"
	}
	return &out, why
}

// File returns the file the daemon follows when it reads no journal,
// kmsg or stdin, in psad's order: -m, ULOG_DATA_FILE when SYSLOG_DAEMON
// names ulog, IPT_SYSLOG_FILE with ENABLE_SYSLOG_FILE Y. It returns ""
// for psad's legacy mode (ENABLE_SYSLOG_FILE N), whose kmsgsd and syslog
// fifo this program does not have: the caller reads the kernel's
// messages from /dev/kmsg, where kmsgsd's came from, and says so (why).
func File(in config.Inputs, messagesFile string) (path, why string) {
	switch {
	case messagesFile != "":
		return messagesFile, "-m " + messagesFile + " given"
	case strings.Contains(strings.ToLower(in.SyslogDaemon), "ulog"):
		return in.ULogDataFile, "SYSLOG_DAEMON " + in.SyslogDaemon + " names ulogd: following ULOG_DATA_FILE"
	case in.SyslogFile:
		return in.IPTSyslogFile, "ENABLE_SYSLOG_FILE is Y: following IPT_SYSLOG_FILE"
	}
	return "", "ENABLE_SYSLOG_FILE is N, psad's kmsgsd mode: psad-go has no kmsgsd and does not reconfigure the system logger; " +
		"it reads the kernel's messages from /dev/kmsg itself (set ENABLE_SYSLOG_FILE Y to follow IPT_SYSLOG_FILE)"
}
