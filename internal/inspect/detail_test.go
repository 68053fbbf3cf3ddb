package inspect

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/psadgo/psad/internal/sig"
)

func TestAlertSig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signatures")
	text := `alert tcp any any -> any 1433 (msg:"SQL probe"; flags:S; reference:url,example.org/1433; reference:unknown,1; classtype:attempted-admin; psad_id:100205; psad_dl:2;)` + "\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	set, _, err := sig.Load(path, sig.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := &Engines{Sigs: set, Rules: map[int]*sig.Rule{
		2003: {SID: 2003, Msg: "MS-SQL Worm propagation attempt", Proto: "udp", Classtype: "misc-attack",
			Refs:    []sig.Ref{{Type: "bugtraq", Value: "5310"}, {Type: "nosuchtype", Value: "x"}},
			Content: []string{"|04|"}, Metadata: []string{"policy security-ips drop"}},
	}}
	msg, proto, class, refs, psadID, _, ok := e.AlertSig(100205)
	if !ok || proto != "tcp" || class != "attempted-admin" || !psadID || msg == "" {
		t.Errorf("AlertSig(100205) = %q %q %q %v %v %v", msg, proto, class, refs, psadID, ok)
	}
	if want := []string{"(url) http://example.org/1433"}; !slices.Equal(refs, want) {
		t.Errorf("refs = %q, want %q", refs, want)
	}
	// A fwsnort rule: its own classtype and references; types that
	// reference.config lacks are left out.
	_, _, class, refs, psadID, _, ok = e.AlertSig(2003)
	if !ok || class != "misc-attack" || psadID || !slices.Equal(refs, []string{"(bugtraq) http://www.securityfocus.com/bid/5310"}) {
		t.Errorf("AlertSig(2003) = %q %q %v %v", class, refs, psadID, ok)
	}
	if c, m := e.SigDetail(2003); !slices.Equal(c, []string{"|04|"}) || !slices.Equal(m, []string{"policy security-ips drop"}) {
		t.Errorf("SigDetail(2003) = %q %q", c, m)
	}
	e.RefURLs = map[string]string{"url": "https://"}
	if _, _, _, refs, _, _, _ := e.AlertSig(100205); !slices.Equal(refs, []string{"(url) https://example.org/1433"}) {
		t.Errorf("with reference.config: refs = %q", refs)
	}
	if _, _, _, _, _, _, ok := e.AlertSig(1); ok {
		t.Error("AlertSig of an unknown id: ok")
	}
}
