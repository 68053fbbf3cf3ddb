package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// arMembers reads a Debian package's ar archive: member names and data.
func arMembers(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	const magic = "!<arch>\n"
	if !bytes.HasPrefix(b, []byte(magic)) {
		t.Fatalf("not an ar archive")
	}
	out := map[string][]byte{}
	var order []string
	for b = b[len(magic):]; len(b) >= 60; {
		hdr := b[:60]
		name := strings.TrimSuffix(strings.TrimSpace(string(hdr[:16])), "/")
		size, err := strconv.Atoi(strings.TrimSpace(string(hdr[48:58])))
		if err != nil || 60+size > len(b) {
			t.Fatalf("bad ar header %q", hdr)
		}
		out[name] = b[60 : 60+size]
		order = append(order, name)
		b = b[60+size+size%2:]
	}
	if want := []string{"debian-binary", "control.tar.gz", "data.tar.gz"}; !slices.Equal(order, want) {
		t.Errorf("ar members %v, want %v", order, want)
	}
	return out
}

// tarFiles reads a gzipped tar: name (without "./") to header and data.
func tarFiles(t *testing.T, b []byte) (map[string]*tar.Header, map[string][]byte) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	hdrs, data := map[string]*tar.Header{}, map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return hdrs, data
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")
		hdrs[name] = h
		data[name], _ = io.ReadAll(tr)
	}
}

// TestDeb stages `make install` and packages it, then reads the .deb
// back with Go's archive readers: control fields, conffiles, maintainer
// scripts and the file list Debian's psad package has.
func TestDeb(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	tmp := t.TempDir()
	stage := filepath.Join(tmp, "stage")
	mk := exec.Command("make", "-s", "install", "DESTDIR="+stage, "PREFIX=/usr", "BUILD="+filepath.Join(tmp, "build"))
	mk.Dir = filepath.Join("..", "..")
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	deb := filepath.Join(tmp, "psad-go.deb")
	p := params{root: stage, scripts: filepath.Join("..", "..", "dist", "deb"), version: "2.4.6+go1", arch: "amd64", out: deb, mtime: time.Unix(0, 0)}
	if err := build(p); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(deb)
	if err != nil {
		t.Fatal(err)
	}
	ar := arMembers(t, raw)
	if string(ar["debian-binary"]) != "2.0\n" {
		t.Errorf("debian-binary %q", ar["debian-binary"])
	}

	ctlHdrs, ctl := tarFiles(t, ar["control.tar.gz"])
	fields := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(ctl["control"]))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ": "); ok && !strings.HasPrefix(k, " ") {
			fields[k] = v
		}
	}
	for k, want := range map[string]string{
		"Package": "psad-go", "Version": "2.4.6+go1", "Architecture": "amd64",
		"Provides": "psad", "Conflicts": "psad", "Replaces": "psad", "Section": "net",
	} {
		if fields[k] != want {
			t.Errorf("control %s: %q, want %q", k, fields[k], want)
		}
	}
	conffiles := strings.Fields(string(ctl["conffiles"]))
	for _, want := range []string{"/etc/psad/psad.conf", "/etc/psad/signatures", "/etc/psad/auto_dl", "/etc/default/psad", "/etc/logrotate.d/psad"} {
		if !slices.Contains(conffiles, want) {
			t.Errorf("conffiles lack %s: %v", want, conffiles)
		}
	}
	for _, s := range []string{"preinst", "postinst", "prerm", "postrm"} {
		h := ctlHdrs[s]
		if h == nil || h.Mode&0o111 == 0 || !bytes.HasPrefix(ctl[s], []byte("#!/bin/sh")) {
			t.Errorf("maintainer script %s missing or not executable", s)
		}
	}
	// The scripts parse (running them would stop this machine's psad).
	for _, s := range []string{"preinst", "postinst", "prerm", "postrm"} {
		cmd := exec.Command("sh", "-n")
		cmd.Stdin = bytes.NewReader(ctl[s])
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: sh -n: %v\n%s", s, err, out)
		}
	}
	for _, d := range []string{"kmsgsd", "psadwatchd", "systemctl stop psad.service"} {
		if !bytes.Contains(ctl["preinst"], []byte(d)) {
			t.Errorf("preinst does not stop %s", d)
		}
	}

	hdrs, _ := tarFiles(t, ar["data.tar.gz"])
	for name, mode := range map[string]int64{
		"usr/sbin/psad":                              0o755,
		"usr/share/man/man8/psad.8.gz":               0o644,
		"usr/share/bash-completion/completions/psad": 0o644,
		"lib/systemd/system/psad.service":            0o644,
		"etc/psad/psad.conf":                         0o644,
		"etc/default/psad":                           0o644,
		"etc/logrotate.d/psad":                       0o644,
		"var/log/psad":                               0o700,
		"var/lib/psad":                               0o700,
	} {
		h := hdrs[name]
		if h == nil {
			t.Errorf("package lacks %s", name)
			continue
		}
		if h.Mode&0o7777 != mode || h.Uname != "root" {
			t.Errorf("%s: mode %o owner %s", name, h.Mode, h.Uname)
		}
	}
	// Every file under /etc is a conffile, and only those are.
	for name, h := range hdrs {
		isConf := slices.Contains(conffiles, "/"+name)
		if h.Typeflag == tar.TypeReg && strings.HasPrefix(name, "etc/") != isConf {
			t.Errorf("%s: conffile %v", name, isConf)
		}
	}

	if _, err := exec.LookPath("dpkg-deb"); err == nil {
		// dpkg's own reader agrees with ours.
		out, err := exec.Command("dpkg-deb", "-f", deb, "Package", "Replaces").CombinedOutput()
		if err != nil || string(out) != "Package: psad-go\nReplaces: psad\n" {
			t.Errorf("dpkg-deb -f: %v %q", err, out)
		}
	}
}
