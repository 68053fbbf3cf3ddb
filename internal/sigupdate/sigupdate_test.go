package sigupdate

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/sig"
)

const (
	oldSigs = "# old set\nalert tcp any any -> any 22 (msg:\"old ssh probe\"; flags:S; psad_id:100001; psad_dl:2;)\n"
	newSigs = "# new set\n" +
		"alert tcp any any -> any 22 (msg:\"ssh probe\"; flags:S; psad_id:100001; psad_dl:2;)\n" +
		"alert udp any any -> any 161 (msg:\"snmp probe\"; psad_id:100002; psad_dl:2;)\n"
)

// server serves body with status at /psad/signatures over TLS and
// returns the URL and a CA file that trusts it.
func server(t *testing.T, status int, body string) (string, string) {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/psad/signatures" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	// The untrusted-certificate cases make the server log the refused
	// handshake; that is the expected outcome, not news.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, p, 0o600); err != nil {
		t.Fatal(err)
	}
	return srv.URL + "/psad/signatures", ca
}

// setup writes the live signature file and returns a request for it.
func setup(t *testing.T, url, ca string) Request {
	t.Helper()
	dir := t.TempDir()
	dest := filepath.Join(dir, "signatures")
	if err := os.WriteFile(dest, []byte(oldSigs), 0o640); err != nil {
		t.Fatal(err)
	}
	return Request{URL: url, Dest: dest, ArchiveDir: filepath.Join(dir, "archive"), CAFile: ca, Out: io.Discard}
}

// unchanged fails unless the live file still holds the old set and the
// directory holds nothing else (no temporary file, no archive).
func unchanged(t *testing.T, r Request) {
	t.Helper()
	got, err := os.ReadFile(r.Dest)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != oldSigs {
		t.Errorf("live file changed:\n%s", got)
	}
	ents, _ := os.ReadDir(filepath.Dir(r.Dest))
	for _, e := range ents {
		if e.Name() != "signatures" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func TestReplaces(t *testing.T) {
	url, ca := server(t, http.StatusOK, newSigs)
	r := setup(t, url, ca)
	var out bytes.Buffer
	r.Out = &out
	res, err := Run(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if res.Signatures != 2 || res.Unchanged {
		t.Errorf("result %+v, want 2 signatures, changed", res)
	}
	got, _ := os.ReadFile(r.Dest)
	if string(got) != newSigs {
		t.Errorf("live file:\n%s\nwant the download", got)
	}
	if fi, _ := os.Stat(r.Dest); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want the old file's 0640", fi.Mode().Perm())
	}
	if res.Archived != filepath.Join(r.ArchiveDir, "signatures.old1.gz") {
		t.Errorf("archived as %q", res.Archived)
	}
	f, err := os.Open(res.Archived)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if old, _ := io.ReadAll(zr); string(old) != oldSigs {
		t.Errorf("archive holds %q, want the old file", old)
	}
	if !strings.Contains(out.String(), url) {
		t.Errorf("output does not name the URL:\n%s", out.String())
	}

	// A second run finds the same file: nothing is archived again.
	res, err = Run(context.Background(), r)
	if err != nil || !res.Unchanged {
		t.Errorf("second run: %+v, %v; want unchanged", res, err)
	}
	if _, err := os.Stat(filepath.Join(r.ArchiveDir, "signatures.old2.gz")); err == nil {
		t.Error("an unchanged download rotated the archive")
	}
}

// TestArchiveRotation: five generations are kept, the oldest dropped.
func TestArchiveRotation(t *testing.T) {
	dir := t.TempDir()
	for i := 1; i <= 7; i++ {
		if _, err := archive(dir, "signatures", []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for n, want := range map[int]byte{1: 7, 2: 6, 5: 3} {
		f, err := os.Open(filepath.Join(dir, "signatures.old"+string(rune('0'+n))+".gz"))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(zr)
		f.Close()
		if len(b) != 1 || b[0] != want {
			t.Errorf("old%d holds %v, want [%d]", n, b, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "signatures.old6.gz")); err == nil {
		t.Error("a sixth generation was kept")
	}
}

// TestKeepsOldFile: every failure before the rename leaves the live file
// byte-identical and nothing else in its directory.
func TestKeepsOldFile(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		trustCA bool
		max     int64
		path    string
		want    string
	}{
		{name: "404", status: http.StatusNotFound, body: "gone", trustCA: true, want: "404"},
		{name: "500", status: http.StatusInternalServerError, body: newSigs, trustCA: true, want: "500"},
		{name: "untrusted TLS", status: http.StatusOK, body: newSigs, want: "certificate"},
		{name: "invalid", status: http.StatusOK, body: "<html>moved</html>\n", trustCA: true, want: ":1: bad signature"},
		{name: "empty", status: http.StatusOK, body: "# nothing here\n", trustCA: true, want: "no signatures"},
		{name: "truncated rule", status: http.StatusOK, body: newSigs[:len(newSigs)-20], trustCA: true, want: ":3:"},
		{name: "too large", status: http.StatusOK, body: newSigs, trustCA: true, max: 50, want: "50-byte limit"},
		{name: "wrong path", status: http.StatusOK, body: newSigs, trustCA: true, path: "/other", want: "404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, ca := server(t, tt.status, tt.body)
			if !tt.trustCA {
				ca = ""
			}
			if tt.path != "" {
				url = strings.TrimSuffix(url, "/psad/signatures") + tt.path
			}
			r := setup(t, url, ca)
			r.MaxBytes = tt.max
			_, err := Run(context.Background(), r)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
			unchanged(t, r)
			if _, err := os.Stat(r.ArchiveDir); err == nil {
				t.Error("archive written although nothing was replaced")
			}
		})
	}
}

// TestHTTPUpgraded: psad's shipped http:// URL is fetched over HTTPS.
func TestHTTPUpgraded(t *testing.T) {
	url, ca := server(t, http.StatusOK, newSigs)
	r := setup(t, "http://"+strings.TrimPrefix(url, "https://"), ca)
	var out bytes.Buffer
	r.Out = &out
	res, err := Run(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if res.URL != url {
		t.Errorf("fetched %s, want %s", res.URL, url)
	}
	if !strings.Contains(out.String(), "plain HTTP") {
		t.Errorf("no note about the upgrade:\n%s", out.String())
	}
}

func TestBadSettings(t *testing.T) {
	for _, tt := range []struct{ url, ca, want string }{
		{"", "", "SIG_UPDATE_URL is not set"},
		{"ftp://example.org/signatures", "", "want an https:// URL"},
		{"https:///signatures", "", "no host"},
		{"https://127.0.0.1:1/signatures", "/nonexistent/ca.pem", "SIG_UPDATE_CA_FILE"},
	} {
		r := setup(t, tt.url, tt.ca)
		_, err := Run(context.Background(), r)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.url, err, tt.want)
		}
		unchanged(t, r)
	}
}

// TestVerifiesWithDaemonOptions: a file that uses a variable the
// configuration does not define is refused, as the daemon would refuse it.
func TestVerifiesWithDaemonOptions(t *testing.T) {
	body := "alert tcp $NO_SUCH_NET any -> any 22 (msg:\"x\"; psad_id:100001;)\n"
	url, ca := server(t, http.StatusOK, body)
	r := setup(t, url, ca)
	r.Sig = sig.Options{Vars: func(string) (string, bool) { return "", false }}
	if _, err := Run(context.Background(), r); err == nil {
		t.Fatal("a file with an undefined variable was installed")
	}
	unchanged(t, r)
}

// TestRefusesRedirectToHTTP: a redirect may not downgrade the download to
// plain HTTP.
func TestRefusesRedirectToHTTP(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, newSigs) }))
	t.Cleanup(plain.Close)
	srv := httptest.NewTLSServer(http.RedirectHandler(plain.URL+"/psad/signatures", http.StatusFound))
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	r := setup(t, srv.URL+"/psad/signatures", ca)
	if _, err := Run(context.Background(), r); err == nil || !strings.Contains(err.Error(), "not HTTPS") {
		t.Errorf("error %v, want a refused redirect", err)
	}
	unchanged(t, r)
}
