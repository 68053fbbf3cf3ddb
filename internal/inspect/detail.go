package inspect

import (
	"strings"

	"github.com/psadgo/psad/internal/sig"
)

// defaultRefURLs are the reference types of Snort's stock reference.config,
// used when SNORT_RULES_DIR has none (the Debian psad package ships that
// directory empty). Without them an alert could only print a reference as
// a bare value, and the "reference:" lines psad's signature file carries
// (url, bugtraq, cve, ...) would be lost from every alert.
var defaultRefURLs = map[string]string{
	"bugtraq":   "http://www.securityfocus.com/bid/",
	"cve":       "http://cve.mitre.org/cgi-bin/cvename.cgi?name=",
	"arachnids": "http://www.whitehats.com/info/IDS",
	"mcafee":    "http://vil.nai.com/vil/content/v_",
	"nessus":    "http://cgi.nessus.org/plugins/dump.php3?id=",
	"url":       "http://",
}

// AlertSig is [alert.Info]'s Sigs for these engines: what an alert prints
// about a signature id. As in IP Status Detail, a fwsnort rule with that
// sid is preferred to psad's signature of the same id, since a fwsnort
// match names its rule.
func (e *Engines) AlertSig(id int) (msg, proto, classtype string, refs []string, psadID bool, derived []int, ok bool) {
	if r, found := e.Rules[id]; found && r.Msg != "" {
		return r.Msg, r.Proto, r.Classtype, e.refLines(r.Refs), false, nil, true
	}
	if e.Sigs != nil {
		if s := e.Sigs.Lookup(id); s != nil {
			return s.Msg, s.Proto, s.Classtype, e.refLines(s.Refs), s.PsadID, s.DerivedSIDs, true
		}
	}
	return "", "", "", nil, false, nil, false
}

// SigDetail is [alert.Info]'s SigDetail: the content strings and metadata
// items of the fwsnort rule with that sid, which psad prints for fwsnort
// matches so the reader sees what the packet carried.
func (e *Engines) SigDetail(id int) (contents, metadata []string) {
	r, ok := e.Rules[id]
	if !ok {
		return nil, nil
	}
	return r.Content, r.Metadata
}

// refLines formats references as alerts print them, "(<type>) <url>",
// keeping only types reference.config defines, as psad does: an unknown
// type has no base URL to make a link of.
func (e *Engines) refLines(refs []sig.Ref) []string {
	if len(refs) == 0 {
		return nil
	}
	table := e.RefURLs
	if table == nil {
		table = defaultRefURLs
	}
	var out []string
	for _, r := range refs {
		typ := strings.ToLower(r.Type)
		base, ok := table[typ]
		if !ok {
			continue
		}
		out = append(out, "("+typ+") "+base+r.Value)
	}
	return out
}
