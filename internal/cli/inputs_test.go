package cli

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/argv"
	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/source"
)

// TestLegacyInputReadsKmsg: with ENABLE_SYSLOG_FILE N (psad's kmsgsd
// mode) the daemon reads /dev/kmsg and says why, rather than following
// IPT_SYSLOG_FILE as if nothing had been set; ulogd's file is followed
// when SYSLOG_DAEMON names it.
func TestLegacyInputReadsKmsg(t *testing.T) {
	for _, tt := range []struct {
		vars map[string]string
		kmsg bool
		log  string
	}{
		{map[string]string{"ENABLE_SYSLOG_FILE": "N", "AUTO_DETECT_JOURNALCTL": "N"}, true, "psad-go has no kmsgsd"},
		{map[string]string{"SYSLOG_DAEMON": "ulogd", "AUTO_DETECT_JOURNALCTL": "N"}, false, "ulogd.log"},
	} {
		e := newTestEnv(t, tt.vars, "")
		cfg, err := config.Load(e.conf, nil)
		must(t, err)
		set, err := cfg.Settings()
		must(t, err)
		var logs bytes.Buffer
		srcs, err := buildInputs(&argv.Options{}, set, Env{}, slog.New(slog.NewTextHandler(&logs, nil)))
		must(t, err)
		_, isKmsg := srcs[0].(*source.Kmsg)
		if len(srcs) != 1 || isKmsg != tt.kmsg || !strings.Contains(logs.String(), tt.log) {
			t.Errorf("%v: sources %T, kmsg %v; log:\n%s", tt.vars, srcs, isKmsg, logs.String())
		}
	}
}
