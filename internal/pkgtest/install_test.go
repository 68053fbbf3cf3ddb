package pkgtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// repoRoot is the repository's top directory, seen from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// makeInstall runs `make install` from the repository into destdir,
// with its build directory under build so the work tree stays clean.
func makeInstall(t *testing.T, destdir, build string) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	cmd := exec.Command("make", "-s", "install", "DESTDIR="+destdir, "PREFIX=/usr", "BUILD="+build)
	cmd.Dir = repoRoot(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
}

// TestMakeInstall installs into a scratch root, checks Debian's psad
// layout, runs the installed psad against the installed psad.conf (its
// paths moved into the scratch root with INSTALL_ROOT), and checks that
// a second install keeps the administrator's files.
func TestMakeInstall(t *testing.T) {
	dest, build := t.TempDir(), t.TempDir()
	makeInstall(t, dest, build)

	for _, f := range []struct {
		path string
		mode os.FileMode
	}{
		{"usr/sbin/psad", 0o755},
		{"usr/share/man/man8/psad.8.gz", 0o644},
		{"usr/share/bash-completion/completions/psad", 0o644},
		{"lib/systemd/system/psad.service", 0o644},
		{"etc/default/psad", 0o644},
		{"etc/logrotate.d/psad", 0o644},
		{"etc/psad/psad.conf", 0o644},
		{"etc/psad/auto_dl", 0o644},
		{"etc/psad/signatures", 0o644},
		{"etc/psad/icmp_types", 0o644},
		{"etc/psad/icmp6_types", 0o644},
		{"etc/psad/p0f.fp", 0o644},
		{"etc/psad/protocols", 0o644},
		{"var/log/psad", os.ModeDir | 0o700},
		{"var/lib/psad", os.ModeDir | 0o700},
	} {
		fi, err := os.Stat(filepath.Join(dest, f.path))
		if err != nil {
			t.Errorf("not installed: %v", err)
			continue
		}
		if fi.Mode() != f.mode {
			t.Errorf("%s: mode %v, want %v", f.path, fi.Mode(), f.mode)
		}
	}

	psad := filepath.Join(dest, "usr/sbin/psad")
	out, err := exec.Command(psad, "-V").CombinedOutput()
	if err != nil {
		t.Fatalf("psad -V: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "[+] psad v2.4.6 ") || !strings.HasPrefix(lines[1], "    build: ") {
		t.Errorf("psad -V:\n%s", out)
	}
	// go stamps the revision from a clone's .git directory; in a git
	// worktree (.git is a file) it does not.
	if fi, err := os.Stat(filepath.Join(repoRoot(t), ".git")); err == nil && fi.IsDir() && !strings.Contains(lines[len(lines)-1], "revision ") {
		t.Errorf("psad -V names no VCS revision though built from a git tree:\n%s", out)
	}

	// The installed psad.conf with every path under the scratch root.
	over := filepath.Join(dest, "scratch.conf")
	if err := os.WriteFile(over, []byte("INSTALL_ROOT "+dest+";\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(psad, "-c", filepath.Join(dest, "etc/psad/psad.conf"), "-O", over,
		"-A", "-m", filepath.Join(repoRoot(t), "testdata/logs/sample.log"))
	cmd.Dir = t.TempDir()
	out, err = cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("installed psad -A: %v\n%s", err, out)
	}
	report, err := os.ReadFile(filepath.Join(dest, "var/log/psad/analysis.out"))
	if err != nil {
		t.Fatalf("no analysis output in the scratch root: %v\n%s", err, out)
	}
	if !bytes.Contains(report, []byte("Total scan sources")) && !bytes.Contains(report, []byte("scan destinations")) {
		t.Errorf("analysis output lacks the scan summary:\n%.2000s", report)
	}

	// A second install keeps an edited psad.conf and an edited data file.
	edited := []byte("# edited by the administrator\n")
	for _, f := range []string{"etc/psad/psad.conf", "etc/psad/signatures", "etc/default/psad"} {
		if err := os.WriteFile(filepath.Join(dest, f), edited, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	makeInstall(t, dest, build)
	for _, f := range []string{"etc/psad/psad.conf", "etc/psad/signatures", "etc/default/psad"} {
		if b, _ := os.ReadFile(filepath.Join(dest, f)); !bytes.Equal(b, edited) {
			t.Errorf("make install overwrote %s", f)
		}
	}
}

// readmeCommand returns the first command line of README.md's first sh
// block.
func readmeCommand(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```sh\n([^\n]*)\n").FindSubmatch(b)
	if m == nil {
		t.Fatal("README.md has no ```sh block")
	}
	return string(m[1])
}

// TestREADMEFirstCommand runs the README's first command as a newcomer
// would, as root on a machine that may have psad installed, and checks
// that it writes only inside the working directory: nothing under
// psad's system directories changes.
func TestREADMEFirstCommand(t *testing.T) {
	line := readmeCommand(t)
	build, run, ok := strings.Cut(line, " && ")
	if !ok || build != "go build -o psad ./cmd/psad" || !strings.HasPrefix(run, "./psad ") {
		t.Fatalf("README's first command changed shape (update this test): %q", line)
	}
	args := strings.Fields(strings.TrimPrefix(run, "./psad "))

	// The work directory gets the binary and the repository files the
	// command names, so what it writes can be told from the repository.
	work := t.TempDir()
	gobuild := exec.Command("go", "build", "-o", filepath.Join(work, "psad"), "./cmd/psad")
	gobuild.Dir = repoRoot(t)
	if out, err := gobuild.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, a := range args {
		src := filepath.Join(repoRoot(t), a)
		if fi, err := os.Stat(src); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(work, filepath.Dir(a)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, a), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	system := []string{"/var/log/psad", "/var/lib/psad", "/run/psad", "/etc/psad"}
	before := snapshot(t, system)
	cmd := exec.Command("./psad", args...)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", run, err, out)
	}
	if after := snapshot(t, system); !mapsEqual(before, after) {
		t.Errorf("README's first command changed files of an installed psad:\nbefore %v\nafter  %v", before, after)
	}
	m := regexp.MustCompile(`results are available in: (\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no output file named:\n%s", out)
	}
	if p := string(m[1]); filepath.IsAbs(p) || strings.HasPrefix(filepath.Clean(p), "..") {
		t.Errorf("analysis output %q is outside the working directory", p)
	}
	if _, err := os.Stat(filepath.Join(work, string(m[1]))); err != nil {
		t.Errorf("analysis output not in the working directory: %v", err)
	}
}

// snapshot records size and modification time of every file under dirs.
func snapshot(t *testing.T, dirs []string) map[string]string {
	t.Helper()
	s := map[string]string{}
	for _, d := range dirs {
		filepath.Walk(d, func(p string, fi os.FileInfo, err error) error {
			if err == nil {
				s[p] = fi.ModTime().String() + " " + fi.Mode().String() + " " + strconv.FormatInt(fi.Size(), 10)
			}
			return nil
		})
	}
	return s
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestInstalledDaemonStatus starts the installed psad as a daemon and
// asks it with psad -S from another process, as an administrator would.
// psad-go is installed as psad, like psad 2.4.6, and -S once took its own
// daemon for psad 2.4.6; in-process tests cannot see that (the daemon's
// pid is the test's own).
func TestInstalledDaemonStatus(t *testing.T) {
	dest, build := t.TempDir(), t.TempDir()
	makeInstall(t, dest, build)
	psad := filepath.Join(dest, "usr/sbin/psad")
	fwlog := filepath.Join(dest, "fw.log")
	if err := os.WriteFile(fwlog, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	over := filepath.Join(dest, "scratch.conf")
	settings := "INSTALL_ROOT " + dest + ";\nIPT_SYSLOG_FILE " + fwlog + ";\nENABLE_SYSLOG_FILE Y;\n" +
		"AUTO_DETECT_JOURNALCTL N;\nALERTING_METHODS noemail;\nENABLE_FW_LOGGING_CHECK N;\n"
	if err := os.WriteFile(over, []byte(settings), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := []string{"-c", filepath.Join(dest, "etc/psad/psad.conf"), "-O", over}
	var stderr bytes.Buffer
	daemon := exec.Command(psad, conf...)
	daemon.Stderr = &stderr
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			daemon.Process.Kill()
			daemon.Wait()
		}
	})
	// Ready when its control socket answers -S; until then -S says it
	// is not running or has no status.
	var status []byte
	for deadline := time.Now().Add(10 * time.Second); ; {
		out, err := exec.Command(psad, append(conf, "-S")...).CombinedOutput()
		if err == nil {
			status = out
			break
		}
		if strings.Contains(string(out), "not psad-go") {
			t.Fatalf("psad -S takes our own daemon for psad 2.4.6:\n%s", out)
		}
		if time.Now().After(deadline) {
			t.Fatalf("psad -S never answered: %v\n%s\ndaemon stderr:\n%s", err, out, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if want := "[+] psad (pid: " + strconv.Itoa(daemon.Process.Pid) + ")"; !strings.HasPrefix(string(status), want) ||
		!strings.Contains(string(status), "[+] IP Status Detail:") {
		t.Errorf("psad -S, want it to start with %q:\n%s", want, status)
	}
	if out, err := exec.Command(psad, append(conf, "-K")...).CombinedOutput(); err != nil || !strings.Contains(string(out), "stopped") {
		t.Errorf("psad -K: %v\n%s", err, out)
	}
	if err := daemon.Wait(); err != nil {
		t.Errorf("daemon after -K: %v\n%s", err, stderr.String())
	}
	stopped = true
}
