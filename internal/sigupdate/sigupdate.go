// Package sigupdate replaces the signature file with a newer one fetched
// over HTTPS (--sig-update). The live file is the daemon's whole
// signature engine, so nothing touches it until the download is complete,
// within its size limit and parses as a signature file with at least one
// signature; then it is archived and replaced in one rename. Any failure
// before that leaves the old file exactly as it was.
package sigupdate

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/psadgo/psad/internal/psaddir"
	"github.com/psadgo/psad/internal/sig"
)

// DefaultMaxBytes bounds a download: psad's own signature file is about
// 40 KB, so anything near this size is not a signature file, and the
// bound keeps a broken or hostile server from filling memory.
const DefaultMaxBytes = 8 << 20

// DefaultTimeout bounds the whole download, so a stalled server cannot
// leave a cron job hanging.
const DefaultTimeout = 2 * time.Minute

// archiveGenerations is how many replaced files are kept, as psad does.
const archiveGenerations = 5

// Request describes one update.
type Request struct {
	URL  string // SIG_UPDATE_URL
	Dest string // SIGS_FILE, the file replaced
	// ArchiveDir (CONF_ARCHIVE_DIR) receives the replaced file as
	// <name>.old1.gz, older copies moving up to .old5.gz; "" keeps none.
	ArchiveDir string
	// CAFile names PEM certificates trusted instead of the system roots.
	CAFile string
	// Sig are the options the signatures are loaded with, so the check
	// is the one the daemon will make ($HOME_NET, strictness).
	Sig      sig.Options
	MaxBytes int64         // 0: DefaultMaxBytes
	Timeout  time.Duration // 0: DefaultTimeout
	// Out receives the progress lines.
	Out io.Writer
}

// Result says what an update did.
type Result struct {
	URL        string // the URL fetched (after an http:// upgrade)
	Signatures int    // signatures in the new file
	// Unchanged reports that the download equals the current file, which
	// was then left alone (no archive, nothing for the daemon to reload).
	Unchanged bool
	Archived  string // the archive written, "" for none
}

// Run fetches, checks and installs a new signature file.
func Run(ctx context.Context, r Request) (Result, error) {
	out := r.Out
	if out == nil {
		out = io.Discard
	}
	u, upgraded, err := httpsURL(r.URL)
	if err != nil {
		return Result{}, err
	}
	res := Result{URL: u}
	if upgraded {
		fmt.Fprintf(out, "[+] SIG_UPDATE_URL %s is plain HTTP; fetching it over HTTPS instead.\n", r.URL)
	}
	client, err := newClient(r)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(out, "[+] Downloading latest signatures from:\n        %s\n", u)
	data, err := fetch(ctx, client, u, r.MaxBytes)
	if err != nil {
		return res, err
	}
	set, _, err := sig.Parse(bytes.NewReader(data), u, r.Sig)
	if err != nil {
		return res, fmt.Errorf("the download from %s is not a usable signature file, %s kept: %w", u, r.Dest, err)
	}
	if set.Len() == 0 {
		return res, fmt.Errorf("the download from %s holds no signatures (%d bytes), %s kept", u, len(data), r.Dest)
	}
	res.Signatures = set.Len()

	old, err := os.ReadFile(r.Dest)
	perm := os.FileMode(0o600)
	switch {
	case err == nil:
		if bytes.Equal(old, data) {
			res.Unchanged = true
			return res, nil
		}
		if fi, err := os.Stat(r.Dest); err == nil {
			perm = fi.Mode().Perm()
		}
		if r.ArchiveDir != "" {
			if res.Archived, err = archive(r.ArchiveDir, filepath.Base(r.Dest), old); err != nil {
				return res, fmt.Errorf("archiving %s before replacing it (nothing replaced): %w", r.Dest, err)
			}
			fmt.Fprintf(out, "[+] Archived original %s -> %s\n", r.Dest, res.Archived)
		}
	case errors.Is(err, fs.ErrNotExist):
		// First installation: nothing to archive.
	default:
		return res, fmt.Errorf("reading the current signature file: %w", err)
	}
	if err := psaddir.WriteAtomic(r.Dest, data, perm); err != nil {
		return res, fmt.Errorf("installing the new signatures: %w", err)
	}
	return res, nil
}

// httpsURL checks the configured URL. psad's shipped default is plain
// HTTP; a signature file decides what the daemon alerts on and blocks, so
// it is fetched over HTTPS from the same place instead.
func httpsURL(raw string) (string, bool, error) {
	if raw == "" {
		return "", false, errors.New("SIG_UPDATE_URL is not set in psad.conf")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", false, fmt.Errorf("SIG_UPDATE_URL %q: %w", raw, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", false, fmt.Errorf("SIG_UPDATE_URL %q: want an https:// URL", raw)
	}
	if u.Host == "" {
		return "", false, fmt.Errorf("SIG_UPDATE_URL %q: no host", raw)
	}
	upgraded := u.Scheme == "http"
	u.Scheme = "https"
	return u.String(), upgraded, nil
}

// newClient trusts CAFile's certificates when given (else the system
// roots) and follows redirects only to HTTPS URLs.
func newClient(r Request) (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if r.CAFile != "" {
		pem, err := os.ReadFile(r.CAFile)
		if err != nil {
			return nil, fmt.Errorf("SIG_UPDATE_CA_FILE: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("SIG_UPDATE_CA_FILE %s: no PEM certificate in the file", r.CAFile)
		}
		tc.RootCAs = pool
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	timeout := r.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Scheme != "https" {
				return fmt.Errorf("refusing a redirect to %s: not HTTPS", req.URL)
			}
			if len(via) >= 5 {
				return errors.New("more than 5 redirects")
			}
			return nil
		},
	}, nil
}

// fetch downloads u, refusing anything but 200 and bodies over max bytes.
func fetch(ctx context.Context, c *http.Client, u string, max int64) ([]byte, error) {
	if max <= 0 {
		max = DefaultMaxBytes
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("downloading signatures: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("downloading signatures: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("downloading signatures from %s: server answered %s", u, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("downloading signatures from %s: %w", u, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("downloading signatures from %s: larger than the %d-byte limit", u, max)
	}
	return data, nil
}

// archive keeps old as dir/<base>.old1.gz after moving the older copies
// one generation up (the oldest is dropped), as psad does.
func archive(dir, base string, old []byte) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	name := func(n int) string { return filepath.Join(dir, base+".old"+strconv.Itoa(n)+".gz") }
	for n := archiveGenerations - 1; n >= 1; n-- {
		if err := os.Rename(name(n), name(n+1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Name = base
	if _, err := zw.Write(old); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	if err := psaddir.WriteAtomic(name(1), b.Bytes(), 0o600); err != nil {
		return "", err
	}
	return name(1), nil
}
