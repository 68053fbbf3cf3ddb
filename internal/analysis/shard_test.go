package analysis

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/loggen"
)

// TestShardsSameOutput: an analysis split across trackers prints the
// report, and writes the error log and --analysis-write-data files, of
// one tracker, byte for byte. The logs mix the project's sample scans,
// a Masscan case that hangs on the order of packets from different
// sources, and a busy firewall's traffic (malformed lines, signatures,
// OS fingerprints).
func TestShardsSameOutput(t *testing.T) {
	// Option-less SYNs from many sources before any packet with TCP
	// options (no Masscan mark), then one with options, then the same
	// SYNs again (Masscan): a source's shard cannot see the other's
	// packet, only the order handed in.
	var log bytes.Buffer
	syn := func(src, opt string) string {
		return fmt.Sprintf("Dec  6 10:00:00 fw kernel: DROP IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=%s DST=192.168.9.1 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=4000 DPT=80 WINDOW=1024 RES=0x00 SYN URGP=0 %s\n", src, opt)
	}
	for round := range 2 {
		for i := range 40 {
			log.WriteString(syn(fmt.Sprintf("203.0.113.%d", i+1), ""))
		}
		if round == 0 {
			log.WriteString(syn("198.51.100.7", "OPT (020405B4)"))
		}
	}
	samples := func(names ...string) {
		for _, name := range names {
			b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "logs", name))
			if err != nil {
				t.Fatal(err)
			}
			log.Write(b)
		}
	}
	// With --analysis-write-data (a directory per source), a few scans.
	samples("masscan_mix.log", "ms_sql_server_sig_match.log", "ipv6_tcp_connect_nmap_default_scan.log",
		"invalid_icmp_type_code.log", "mirai_default_credentials_scan.log", "topera_ipv6_syn_scan_with_ip_opts.log")
	dir := t.TempDir()
	small := filepath.Join(dir, "small.log")
	if err := os.WriteFile(small, log.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	// Without: every sample and a busy firewall.
	all, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "logs", "*.log"))
	for _, f := range all {
		samples(filepath.Base(f))
	}
	if err := loggen.Mixed(&log, 30000, 7); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.log")
	if err := os.WriteFile(big, log.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	run := func(logPath string, shards int) (out string, files map[string]string) {
		writeData := logPath == small
		base := filepath.Join(dir, fmt.Sprintf("run-%s-%d", filepath.Base(logPath), shards))
		cfg, err := config.Default()
		if err != nil {
			t.Fatal(err)
		}
		cfg.Set("PSAD_DIR", base)
		cfg.Set("ANALYSIS_MODE_DIR", filepath.Join(base, "ipt_analysis"))
		cfg.Set("ANALYSIS_OUTPUT_FILE", filepath.Join(base, "analysis.out"))
		cfg.Set("FW_ERROR_LOG", filepath.Join(base, "errs", "fwerrorlog"))
		set, err := cfg.Settings()
		if err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		code := Run(Setup{
			Settings: set, Input: logPath, WriteData: writeData, Shards: shards, Version: "test",
			Stdout: &stdout, Stderr: &stderr,
			Now: func() time.Time { return time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC) },
		})
		if code != 0 {
			t.Fatalf("%d shards: exit %d\n%s", shards, code, stderr.String())
		}
		files = map[string]string{}
		filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(p)
				files[strings.TrimPrefix(p, base)] = string(b)
			}
			return nil
		})
		return strings.ReplaceAll(stdout.String()+"\n--- stderr\n"+stderr.String(), base, "BASE"), files
	}
	for _, logPath := range []string{small, big} {
		one, oneFiles := run(logPath, 1)
		if !strings.Contains(one, "Masscan SYN scan") || oneFiles["/ipt_analysis/errs/fwerrorlog"] == "" && logPath == big ||
			len(oneFiles) < 20 && logPath == small {
			t.Fatalf("%s does not exercise what it should (%d files):\n%.2000s", logPath, len(oneFiles), one)
		}
		for _, n := range []int{2, 3} {
			out, files := run(logPath, n)
			if out != one {
				t.Errorf("%s, %d shards: output differs from one tracker's\n%s", logPath, n, firstDiff(one, out))
			}
			if len(files) != len(oneFiles) {
				t.Errorf("%s, %d shards wrote %d files, one tracker %d", logPath, n, len(files), len(oneFiles))
			}
			for name, b := range oneFiles {
				if files[name] != b {
					t.Errorf("%s, %d shards: %s differs\n%s", logPath, n, name, firstDiff(b, files[name]))
				}
			}
		}
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d lines against %d", len(al), len(bl))
}
