package sig

import "testing"

// FuzzParseRule checks that a line of a fwsnort or Snort rules file
// (FWSNORT_RULES_DIR, SNORT_RULES_DIR) of any text is imported or
// skipped without a panic, and that an imported rule has a sid in range.
func FuzzParseRule(f *testing.F) {
	f.Add(`alert tcp $EXTERNAL_NET any -> $HOME_NET 22 (msg:"ET SCAN ssh"; flow:to_server; content:"SSH-"; nocase; classtype:attempted-recon; priority:2; metadata:a 1, b 2; reference:url,example.org; sid:2001219; rev:20;)`)
	f.Add(`alert udp any any -> any 53 (msg:"x\"y"; content:!"|00 01|"; uricontent:"/a"; sid:1;)`)
	f.Add(`alert ip any any -> any any (sid:0;)`)
	f.Fuzz(func(t *testing.T, line string) {
		r, _ := parseRule(line)
		if r != nil && (r.SID <= 0 || r.SID > 1<<31-1) {
			t.Fatalf("rule imported with sid %d from %q", r.SID, line)
		}
	})
}
