package psaddir

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// DiskGuard is psad's disk space protection (DISK_MAX_PERCENTAGE): every
// Every it measures the filesystem that holds Dir as df does and, past
// MaxPercent, says so in psad's words and removes what psad removes, the
// scan archive and the per-source signature files.
//
// psad went on to truncate the firewall log it reads and, after
// DISK_MAX_RM_RETRIES checks, to stop; we do neither (docs/compat.md):
// the log belongs to the system, and a stopped detector sees nothing.
// The mail goes once per excursion, not at every check.
type DiskGuard struct {
	Dir        string // PSAD_DIR
	ArchiveDir string // SCAN_DATA_ARCHIVE_DIR ("" for none)
	MaxPercent int
	Every      time.Duration // DISK_CHECK_INTERVAL
	// Syslog and Mail send psad's messages (Mail: a subject, empty
	// body); either may be nil.
	Syslog func(line string)
	Mail   func(subject string)
	// Hostname and ErrorPrefix make the mail's subject (HOSTNAME,
	// MAIL_ERROR_PREFIX).
	Hostname, ErrorPrefix string
	Log                   *slog.Logger

	over bool // the last check was over the limit
}

// Run checks at once and then every g.Every until ctx is done.
func (g *DiskGuard) Run(ctx context.Context) error {
	t := time.NewTicker(g.Every)
	defer t.Stop()
	for {
		if _, err := g.Check(); err != nil {
			g.Log.Warn("disk check", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Check measures once and acts; it returns the use in per cent.
func (g *DiskGuard) Check() (int, error) {
	pct, err := UsedPercent(g.Dir)
	if err != nil {
		return 0, err
	}
	if pct <= g.MaxPercent {
		g.over = false
		return pct, nil
	}
	g.syslog(fmt.Sprintf("disk partition associated with %s exceeded %d prct utilization.", g.Dir, g.MaxPercent))
	if !g.over && g.Mail != nil {
		g.Mail(fmt.Sprintf("%s Exceeded max disk utilization for %s on %s", g.ErrorPrefix, g.Dir, g.Hostname))
	}
	g.over = true
	g.syslog("removing data in " + g.Dir)
	if g.ArchiveDir != "" {
		if _, err := os.Stat(g.ArchiveDir); err == nil {
			g.syslog(fmt.Sprintf("removing %s directory", g.ArchiveDir))
			err := os.RemoveAll(g.ArchiveDir)
			if err == nil {
				err = os.Mkdir(g.ArchiveDir, 0o700)
			}
			if err != nil {
				g.Log.Warn("disk check: scan archive", "err", err)
			}
		}
	}
	if err := removeSignatureFiles(g.Dir); err != nil {
		g.Log.Warn("disk check: signature files", "err", err)
	}
	return pct, nil
}

func (g *DiskGuard) syslog(line string) {
	if g.Syslog != nil {
		g.Syslog(line)
	}
}

// UsedPercent is df's "Use%" for the filesystem holding path (or, until
// it is made, its nearest existing parent): used blocks over those a
// user may use, rounded up.
func UsedPercent(path string) (int, error) {
	var st syscall.Statfs_t
	for {
		err := syscall.Statfs(path, &st)
		if err == nil {
			break
		}
		parent := filepath.Dir(path)
		if !errors.Is(err, syscall.ENOENT) || parent == path {
			return 0, fmt.Errorf("statfs %s: %w", path, err)
		}
		path = parent
	}
	used := st.Blocks - st.Bfree
	total := used + st.Bavail
	if total == 0 {
		return 0, nil
	}
	return int((used*100 + total - 1) / total), nil
}

// removeSignatureFiles deletes the files named *_signatures* in dir's
// per-source directories, the part of psad's data it lets go first.
func removeSignatureFiles(dir string) error {
	names, err := sourceDirs(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		files, err := os.ReadDir(filepath.Join(dir, name))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, f := range files {
			if strings.Contains(f.Name(), "_signatures") {
				if err := os.Remove(filepath.Join(dir, name, f.Name())); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}
