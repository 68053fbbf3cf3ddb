package psaddir

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestDiskGuard runs the check on the test's own filesystem with the
// limit just under and then above what it uses: past the limit psad's
// lines go out, the mail once per excursion, the archive is emptied and
// the signature files go; the other files stay.
func TestDiskGuard(t *testing.T) {
	dir := t.TempDir()
	used, err := UsedPercent(dir)
	if err != nil {
		t.Fatal(err)
	}
	if used < 3 {
		t.Skipf("the test's filesystem is %d%% used: no limit below that to test", used)
	}
	// Two points under: other tests write to this filesystem meanwhile.
	limit := used - 2
	psadDir, archive := filepath.Join(dir, "psad"), filepath.Join(dir, "archive")
	src := filepath.Join(psadDir, "203.0.113.5")
	must(t, os.MkdirAll(src, 0o700))
	must(t, os.MkdirAll(filepath.Join(archive, "198.51.100.1"), 0o700))
	for _, f := range []string{"192.168.10.1_signatures", "192.168.10.1_packet_ctr", "danger_level"} {
		must(t, os.WriteFile(filepath.Join(src, f), []byte("x\n"), 0o600))
	}
	must(t, os.WriteFile(filepath.Join(psadDir, "top_sigs"), []byte("x\n"), 0o600))
	var lines, mails []string
	g := &DiskGuard{Dir: psadDir, ArchiveDir: archive, MaxPercent: limit, Hostname: "fw", ErrorPrefix: "[psad-error]",
		Log: slog.New(slog.DiscardHandler), Syslog: func(l string) { lines = append(lines, l) }, Mail: func(s string) { mails = append(mails, s) }}

	for range 2 {
		if _, err := g.Check(); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		fmt.Sprintf("disk partition associated with %s exceeded %d prct utilization.", psadDir, limit),
		"removing data in " + psadDir,
		"removing " + archive + " directory",
	}
	if !slices.Equal(lines[:3], want) || len(lines) != 6 {
		t.Errorf("syslog:\n%q\nwant twice:\n%q", lines, want)
	}
	if want := "[psad-error] Exceeded max disk utilization for " + psadDir + " on fw"; len(mails) != 1 || mails[0] != want {
		t.Errorf("mails %q, want one %q", mails, want)
	}
	if ents, err := os.ReadDir(archive); err != nil || len(ents) != 0 {
		t.Errorf("archive: %v, %v", ents, err)
	}
	for f, kept := range map[string]bool{"203.0.113.5/192.168.10.1_signatures": false, "203.0.113.5/192.168.10.1_packet_ctr": true,
		"203.0.113.5/danger_level": true, "top_sigs": true} {
		if _, err := os.Stat(filepath.Join(psadDir, f)); (err == nil) != kept {
			t.Errorf("%s: kept %v, want %v", f, err == nil, kept)
		}
	}

	// Back under the limit: nothing is said, and the next excursion
	// mails again.
	g.MaxPercent, lines = 100, nil
	if _, err := g.Check(); err != nil || len(lines) != 0 {
		t.Errorf("under the limit: %q, %v", lines, err)
	}
	g.MaxPercent = limit
	g.Check()
	if len(mails) != 2 {
		t.Errorf("%d mails after a second excursion, want 2", len(mails))
	}
}

// TestUsedPercentNotYetMade: a PSAD_DIR not made yet is measured on the
// filesystem that will hold it.
func TestUsedPercentNotYetMade(t *testing.T) {
	dir := t.TempDir()
	want, err := UsedPercent(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Other tests write to the same filesystem meanwhile: a point of
	// difference is theirs.
	if got, err := UsedPercent(filepath.Join(dir, "not", "yet")); err != nil || got < want-1 || got > want+1 {
		t.Errorf("UsedPercent of a path to be made = %d, %v; want %d", got, err, want)
	}
}
