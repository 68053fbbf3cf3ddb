package cli

import (
	"bytes"
	"context"
	"fmt"
	"github.com/psadgo/psad/internal/argv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// nfLogAllNetns makes the kernel print LOG records of every network
// namespace, not only the initial one, into the kernel log.
const nfLogAllNetns = "/proc/sys/net/netfilter/nf_log_all_netns"

// netnsTestsEnv turns the real-kernel tests on when set to 1.
const netnsTestsEnv = "PSAD_NETNS_TESTS"

// scanLab is a private two-host network: an attacker namespace and a
// firewall namespace joined by a veth pair, the firewall logging (prefix
// "DROP ") and dropping new TCP connections, as a psad host would.
type scanLab struct {
	att, fw         string // network namespace names
	attAddr, fwAddr string
}

// TestNmapScanDetectedEndToEnd runs real nmap scans between two network
// namespaces of its own, lets the kernel log them, and checks that the
// daemon, reading the kernel log (/dev/kmsg, or a file written by an
// rsyslogd the test starts), sends the syslog line and the alert mail.
func TestNmapScanDetectedEndToEnd(t *testing.T) {
	lab := newScanLab(t)
	t.Run("kmsg", func(t *testing.T) {
		d := startScanDaemon(t, map[string]string{"ENABLE_KMSG_READ": "Y"})
		lab.scanAndCheck(t, d)
	})
	t.Run("rsyslog", func(t *testing.T) {
		file := startRsyslog(t)
		d := startScanDaemon(t, map[string]string{"IPT_SYSLOG_FILE": file})
		lab.scanAndCheck(t, d)
	})
}

// newScanLab checks the prerequisites (skipping when one is missing),
// builds the namespaces and the firewall rules, and turns
// nf_log_all_netns on; everything is undone in t.Cleanup.
func newScanLab(t *testing.T) *scanLab {
	t.Helper()
	// Opt-in, not implied by root: the test changes a kernel-wide switch
	// and the host's kernel log. An environment variable rather than a
	// test flag because .ci/run tests ./..., and a flag after -args would
	// be rejected by every other package's test binary.
	if os.Getenv(netnsTestsEnv) != "1" {
		t.Skipf("skipping: real-kernel scan test; set %s=1 to run it (as root; .ci/run does)", netnsTestsEnv)
	}
	if os.Geteuid() != 0 {
		t.Skip("skipping: needs root (creates network namespaces and firewall rules, reads the kernel log)")
	}
	for _, tool := range []string{"ip", "nmap"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipping: %s not found (apt-get install iproute2 nmap)", tool)
		}
	}
	useNft := false
	if _, err := exec.LookPath("iptables"); err != nil {
		if _, err := exec.LookPath("nft"); err != nil {
			t.Skip("skipping: neither iptables nor nft found (apt-get install iptables)")
		}
		useNft = true
	}
	// The switch's value is read under the lock: read before it, it could
	// be another instance's temporary 1, which this one would then
	// "restore" and leave on for good.
	lockAcrossProcesses(t)
	old, err := os.ReadFile(nfLogAllNetns)
	if err != nil {
		t.Skipf("skipping: %v (the kernel cannot log other namespaces' packets globally)", err)
	}

	pid := os.Getpid()
	// 10.213.x.0/30 exists only inside the two namespaces below.
	x := pid%250 + 1
	lab := &scanLab{
		att:     fmt.Sprintf("psadtest-att-%d", pid),
		fw:      fmt.Sprintf("psadtest-fw-%d", pid),
		attAddr: fmt.Sprintf("10.213.%d.1", x),
		fwAddr:  fmt.Sprintf("10.213.%d.2", x),
	}
	// Left over by a killed run with the same pid: ours now.
	for _, ns := range []string{lab.att, lab.fw} {
		exec.Command("ip", "netns", "del", ns).Run()
	}
	for _, ns := range []string{lab.att, lab.fw} {
		cmd(t, "ip", "netns", "add", ns)
		t.Cleanup(func() {
			if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
				t.Errorf("ip netns del %s: %v %s", ns, err, out)
			}
		})
	}
	// Each end is created inside its namespace: no interface appears in
	// the initial namespace, so names cannot clash with the host's.
	const attIf, fwIf = "psadatt0", "psadfw0"
	cmd(t, "ip", "link", "add", attIf, "netns", lab.att, "type", "veth", "peer", "name", fwIf, "netns", lab.fw)
	cmd(t, "ip", "-n", lab.att, "addr", "add", lab.attAddr+"/30", "dev", attIf)
	cmd(t, "ip", "-n", lab.fw, "addr", "add", lab.fwAddr+"/30", "dev", fwIf)
	for _, l := range [][2]string{{lab.att, attIf}, {lab.att, "lo"}, {lab.fw, fwIf}, {lab.fw, "lo"}} {
		cmd(t, "ip", "-n", l[0], "link", "set", l[1], "up")
	}

	// Log new connections (SYN) and FIN probes, drop all TCP to the host:
	// what a psad installation's firewall does.
	if useNft {
		rules := fmt.Sprintf(`table inet psadtest {
	chain input {
		type filter hook input priority 0; policy accept;
		iifname "%[1]s" ip daddr %[2]s tcp flags & (fin|syn|rst|ack) == syn log prefix "DROP " flags tcp options
		iifname "%[1]s" ip daddr %[2]s tcp flags == fin log prefix "DROP " flags tcp options
		iifname "%[1]s" ip daddr %[2]s meta l4proto tcp drop
	}
}
`, fwIf, lab.fwAddr)
		c := exec.Command("ip", "netns", "exec", lab.fw, "nft", "-f", "-")
		c.Stdin = strings.NewReader(rules)
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("nft -f: %v\n%s\n%s", err, out, rules)
		}
	} else {
		ipt := func(args ...string) {
			t.Helper()
			cmd(t, append([]string{"ip", "netns", "exec", lab.fw, "iptables", "-w", "-A", "INPUT", "-i", fwIf, "-d", lab.fwAddr, "-p", "tcp"}, args...)...)
		}
		ipt("--syn", "-j", "LOG", "--log-prefix", "DROP ", "--log-tcp-options")
		ipt("--tcp-flags", "ALL", "FIN", "-j", "LOG", "--log-prefix", "DROP ", "--log-tcp-options")
		ipt("-j", "DROP")
	}

	// Set last: the namespaces above are torn down after this is restored.
	if err := os.WriteFile(nfLogAllNetns, []byte("1\n"), 0o644); err != nil {
		t.Skipf("skipping: cannot turn on %s: %v", nfLogAllNetns, err)
	}
	t.Cleanup(func() {
		if err := os.WriteFile(nfLogAllNetns, old, 0o644); err != nil {
			t.Errorf("restoring %s: %v", nfLogAllNetns, err)
		}
	})
	return lab
}

// lockAcrossProcesses makes another instance of this test (another test
// binary on the machine, -count or a second checkout) wait until this one
// is done: nf_log_all_netns is one switch for the whole kernel, and an
// instance that restored it while another scans would hide the other's
// packets. The lock is released after every other cleanup.
func lockAcrossProcesses(t *testing.T) {
	t.Helper()
	dir := "/run"
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = os.TempDir()
	}
	f, err := os.OpenFile(filepath.Join(dir, "psad-go-nmap-e2e.lock"), os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	must(t, err)
	deadline := time.Now().Add(40 * time.Second)
	for syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		if time.Now().After(deadline) {
			f.Close()
			t.Fatalf("another instance of this test held %s for 40s", f.Name())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Cleanup(func() { f.Close() }) // closing releases the lock
}

// cmd runs a setup command and fails the test with its output.
func cmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// scanDaemon is a daemon started in-process with its alert receivers.
type scanDaemon struct {
	sl   *syslogSink
	mb   *mailbox
	errb *syncBuffer
}

// syncBuffer is the daemon's stderr, read by the test while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startScanDaemon runs the daemon with the given input settings, alerting
// to an in-process SMTP server and a unixgram syslog socket, every second;
// it stops in t.Cleanup.
func startScanDaemon(t *testing.T, input map[string]string) *scanDaemon {
	t.Helper()
	mb, port := startSMTP(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "log.sock")
	d := &scanDaemon{sl: startSyslog(t, sock), mb: mb, errb: &syncBuffer{}}
	settings := map[string]string{
		"CHECK_INTERVAL": "1", "EMAIL_ADDRESSES": "admin@example.com",
		"SMTP_SERVER": "127.0.0.1", "SMTP_PORT": strconv.Itoa(port), "SMTP_STARTTLS": "no",
		"SYSLOG_SERVER_NETWORK": "unixgram", "SYSLOG_SERVER": sock,
		"PSAD_PID_FILE": filepath.Join(dir, "run", "psad.pid"),
	}
	for k, v := range input {
		settings[k] = v
	}
	e := newTestEnv(t, settings, "")
	o, errs := argv.ParseArgs([]string{"-c", e.conf})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	cfg, err := loadConfig(o, io.Discard)
	must(t, err)
	ready := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- runDaemonCtx(ctx, o, cfg, Env{Stdout: io.Discard, Stderr: d.errb}, func() { close(ready) })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("daemon did not stop")
		}
	})
	select {
	case <-ready:
	case code := <-done:
		t.Fatalf("daemon exited with %d: %s", code, d.errb.String())
	case <-time.After(5 * time.Second):
		t.Fatalf("daemon not ready: %s", d.errb.String())
	}
	time.Sleep(200 * time.Millisecond) // the input is at the end of the log
	return d
}

// synLine and finLine are the syslog lines for the SYN and FIN scans;
// psad prints the ports and packets of the interval and the source's
// (cumulative) danger level.
var (
	synLine = regexp.MustCompile(`scan detected \(Nmap -sT or -sS scan\): (\S+) -> (\S+) tcp: \[(\d+)(?:-(\d+))?\] flags: SYN tcp pkts: (\d+) DL: (\d+)`)
	finLine = regexp.MustCompile(`scan detected \(Nmap -sF scan\): (\S+) -> (\S+) tcp: \[(\d+)(?:-(\d+))?\] flags: FIN tcp pkts: (\d+) DL: (\d+)`)
)

// scanAndCheck runs a SYN scan and then a FIN scan against the firewall
// and checks the alerts each one causes.
func (lab *scanLab) scanAndCheck(t *testing.T, d *scanDaemon) {
	lab.nmap(t, "-sS", "1-200")
	// 200 ports, no retries: 200 logged SYNs, DL 3 with the default
	// DANGER_LEVEL3 of 150. nmap paces its probes (about 2 s here), so the
	// scan spans two or three intervals: sum this pair's lines and take
	// the highest DL.
	var lo, hi, pkts, dl int
	waitUntil(t, d, 10*time.Second, "the SYN scan syslog line with DL >= 2", func() bool {
		lo, hi, pkts, dl = lab.sum(d, synLine)
		return dl >= 2 && pkts >= 200
	})
	for _, l := range d.sl.all() {
		if synLine.MatchString(l) && strings.Contains(l, lab.attAddr+" -> ") {
			t.Logf("syslog: %s", l[strings.Index(l, "scan detected"):])
		}
	}
	if lo != 1 || hi != 200 || pkts != 200 {
		t.Errorf("SYN scan lines cover ports %d-%d with %d packets, want 1-200 and 200:\n%s", lo, hi, pkts, strings.Join(d.sl.all(), "\n"))
	}
	// A mail per interval; the last one has the final danger level.
	want := fmt.Sprintf("Danger level: [%d] (out of 5)", dl)
	waitUntil(t, d, 10*time.Second, "an alert mail with "+want, func() bool {
		for _, m := range d.mb.all() {
			_, body, _ := strings.Cut(strings.ReplaceAll(m, "\r\n", "\n"), "\n\n")
			if strings.Contains(body, want) && strings.Contains(body, lab.attAddr) {
				return true
			}
		}
		return false
	})
	if dl != 3 {
		t.Errorf("danger level %d after 200 packets, want 3 (DANGER_LEVEL3 150)", dl)
	}

	lab.nmap(t, "-sF", "1-50")
	waitUntil(t, d, 10*time.Second, "the FIN scan syslog lines", func() bool {
		lo, hi, pkts, _ = lab.sum(d, finLine)
		return pkts >= 50
	})
	if lo != 1 || hi != 50 || pkts != 50 {
		t.Errorf("FIN scan lines cover ports %d-%d with %d packets, want 1-50 and 50:\n%s", lo, hi, pkts, strings.Join(d.sl.all(), "\n"))
	}
}

// sum adds up the scan lines re matches for the lab's pair: the lowest
// and highest port, the packets and the highest danger level.
func (lab *scanLab) sum(d *scanDaemon, re *regexp.Regexp) (lo, hi, pkts, dl int) {
	for _, l := range d.sl.all() {
		m := re.FindStringSubmatch(l)
		if m == nil || m[1] != lab.attAddr || m[2] != lab.fwAddr {
			continue
		}
		a, _ := strconv.Atoi(m[3])
		b := a
		if m[4] != "" {
			b, _ = strconv.Atoi(m[4])
		}
		n, _ := strconv.Atoi(m[5])
		lv, _ := strconv.Atoi(m[6])
		if lo == 0 || a < lo {
			lo = a
		}
		hi, pkts, dl = max(hi, b), pkts+n, max(dl, lv)
	}
	return lo, hi, pkts, dl
}

// nmap scans the firewall from the attacker namespace: ports only, no
// retries, no DNS, no host discovery, bounded in time.
func (lab *scanLab) nmap(t *testing.T, scan, ports string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, "ip", "netns", "exec", lab.att,
		"nmap", scan, "-Pn", "-n", "-T4", "-p", ports, "--max-retries", "0", lab.fwAddr).CombinedOutput()
	if err != nil {
		t.Fatalf("nmap %s: %v\n%s", scan, err, out)
	}
	t.Logf("nmap %s -p %s: %v", scan, ports, time.Since(start).Round(time.Millisecond))
}

// waitUntil is waitFor with a longer timeout; on failure it shows what
// the daemon sent and logged.
func waitUntil(t *testing.T, d *scanDaemon, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s\nsyslog:\n%s\nmails: %d\ndaemon stderr:\n%s",
				timeout, what, strings.Join(d.sl.all(), "\n"), len(d.mb.all()), d.errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *syslogSink) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

// startRsyslog starts an rsyslogd of the test's own that reads the kernel
// log (imklog, /proc/kmsg) and writes it to a file in a temporary
// directory, waits until the backlog it copies first is written, and
// returns the file. It skips when rsyslogd is missing or another process
// already reads /proc/kmsg (a reader there takes records away from the
// other).
func startRsyslog(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("rsyslogd")
	if err != nil {
		t.Skip("skipping: rsyslogd not found (apt-get install rsyslog)")
	}
	if h := kmsgReaders(); len(h) > 0 {
		t.Skipf("skipping: the kernel log is already read by %s", strings.Join(h, ", "))
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "kern.log")
	conf := filepath.Join(dir, "rsyslog.conf")
	// PermitNonKernelFacility: the marker below is written from user space.
	must(t, os.WriteFile(conf, []byte(fmt.Sprintf(`global(workDirectory=%q)
module(load="imklog" PermitNonKernelFacility="on")
*.* action(type="omfile" file=%q template="RSYSLOG_TraditionalFileFormat")
`, dir, file)), 0o600))
	var errb syncBuffer
	c := exec.Command(bin, "-n", "-f", conf, "-i", filepath.Join(dir, "rsyslogd.pid"))
	c.Stdout, c.Stderr = &errb, &errb
	must(t, c.Start())
	exited := make(chan struct{})
	go func() { c.Wait(); close(exited) }()
	t.Cleanup(func() {
		c.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			c.Process.Kill()
			<-exited
			t.Error("rsyslogd did not stop on TERM")
		}
	})

	marker := fmt.Sprintf("psad-go-test: rsyslog marker %d %d", os.Getpid(), time.Now().UnixNano())
	kmsg, err := os.OpenFile("/dev/kmsg", os.O_WRONLY, 0)
	must(t, err)
	_, err = fmt.Fprintf(kmsg, "<6>%s\n", marker)
	kmsg.Close()
	must(t, err)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if data, _ := os.ReadFile(file); bytes.Contains(data, []byte(marker)) {
			return file
		}
		select {
		case <-exited:
			t.Fatalf("rsyslogd exited: %s", errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Skipf("skipping: rsyslogd did not copy the kernel log within 10s (is it readable here?): %s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kmsgReaders lists the processes that hold /proc/kmsg open.
func kmsgReaders() []string {
	var who []string
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		if l, err := os.Readlink(fd); err == nil && l == "/proc/kmsg" {
			p := filepath.Dir(filepath.Dir(fd))
			comm, _ := os.ReadFile(filepath.Join(p, "comm"))
			who = append(who, fmt.Sprintf("%s (pid %s)", strings.TrimSpace(string(comm)), filepath.Base(p)))
		}
	}
	return who
}
