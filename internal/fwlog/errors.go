package fwlog

// ParseError says why a line is not a usable packet. Parse returns only
// pointers to package-level values, so rejecting a line allocates nothing.
//
// Some kinds of error exist once per field (a bad number can be SPT, TTL,
// ...). For those, the exported value (ErrBadNumber, ErrBadAddr, ...) has an
// empty Field and Parse returns a sibling that names the field; test them
// with [errors.Is], which matches on Reason. The single-field kinds
// (ErrNotFirewall, ErrNoChain, ErrNoProto, ErrBadProto, ErrTruncated,
// ErrFragment, ErrBadFlags) are returned as is, so == works for them too.
type ParseError struct {
	Field  string // the LOG field at fault, e.g. "SRC"; empty for a kind
	Reason string
}

// Error returns e.g. "field SRC: not a valid IP address".
func (e *ParseError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return "field " + e.Field + ": " + e.Reason
}

// Is reports whether target is a *ParseError of the same kind (same
// Reason), so errors.Is(err, ErrBadNumber) holds for every field.
func (e *ParseError) Is(target error) bool {
	t, ok := target.(*ParseError)
	return ok && t.Reason == e.Reason
}

// Single-field errors.
var (
	// ErrNotFirewall: no "IN=" followed by "OUT=", so not a netfilter LOG
	// line at all (psad's IN...OUT pre-filter would drop it unseen).
	ErrNotFirewall = &ParseError{Field: "IN", Reason: "no IN= ... OUT= fields, not a firewall LOG line"}
	// ErrNoChain: IN= and OUT= are both empty, so no chain can be inferred
	// (psad: malformed).
	ErrNoChain = &ParseError{Field: "IN", Reason: "IN= and OUT= both empty, no chain"}
	// ErrNoProto: the network header has no PROTO= field.
	ErrNoProto = &ParseError{Field: "PROTO", Reason: "missing"}
	// ErrBadProto: unknown protocol token, ICMPv6 on an IPv4 line or ICMP
	// on an IPv6 line.
	ErrBadProto = &ParseError{Field: "PROTO", Reason: "unknown protocol or wrong IP version"}
	// ErrTruncated: the kernel printed "INCOMPLETE [n bytes]" instead of
	// the transport header. Proto and HasProto are set when known.
	ErrTruncated = &ParseError{Field: "INCOMPLETE", Reason: "transport header truncated"}
	// ErrFragment: a non-first fragment (FRAG:n, n > 0) of a protocol with
	// ports or ICMP type; the kernel logs no transport header for it.
	// Proto and HasProto are set.
	ErrFragment = &ParseError{Field: "FRAG", Reason: "non-first fragment has no transport header"}
	// ErrBadFlags: a word among the TCP flags that is no flag, or a flag
	// set without any of ACK SYN RST URG PSH FIN (e.g. "CWR ECE"), which
	// psad rejects.
	ErrBadFlags = &ParseError{Field: "flags", Reason: "not a valid TCP flag set"}
)

// Per-field error kinds. Parse returns siblings that name the field, so
// test these with errors.Is, not ==.
var (
	// ErrNoAddr: SRC= or DST= missing (e.g. nftables ARP lines).
	ErrNoAddr = &ParseError{Reason: reasons[kNoAddr]}
	// ErrBadAddr: SRC or DST is no IP address, or DST's family differs
	// from SRC's.
	ErrBadAddr = &ParseError{Reason: reasons[kBadAddr]}
	// ErrBadIP: a required network header field is missing: LEN, TTL, ID
	// (IPv4) or LEN, HOPLIMIT, FLOWLBL (IPv6).
	ErrBadIP = &ParseError{Reason: reasons[kBadIP]}
	// ErrBadTCP: SPT, DPT, ACK (after SEQ), WINDOW or URGP missing or out
	// of order.
	ErrBadTCP = &ParseError{Reason: reasons[kBadTCP]}
	// ErrBadUDP: SPT, DPT or LEN missing or out of order.
	ErrBadUDP = &ParseError{Reason: reasons[kBadUDP]}
	// ErrBadICMP: TYPE or CODE missing, or ID/SEQ missing on an ICMP echo
	// request or reply (psad requires them).
	ErrBadICMP = &ParseError{Reason: reasons[kBadICMP]}
	// ErrBadNumber: a numeric field is not decimal (TOS: not 0xHH) or out
	// of its range (ports 0-65535, TTL 0-255, FLOWLBL 0-2^20-1, ...).
	ErrBadNumber = &ParseError{Reason: reasons[kBadNum]}
)

type errKind uint8

const (
	kNoAddr  errKind = iota // SRC= or DST= missing
	kBadAddr                // address not parseable, or families differ
	kBadIP                  // required IP header field missing
	kBadTCP                 // TCP header field missing or out of order
	kBadUDP                 // UDP header field missing or out of order
	kBadICMP                // ICMP field missing (echo without ID/SEQ)
	kBadNum                 // number not decimal (hex for TOS) or out of range
	nKinds
)

var reasons = [nKinds]string{
	kNoAddr:  "address missing",
	kBadAddr: "not a valid IP address",
	kBadIP:   "IP header field missing",
	kBadTCP:  "TCP header field missing or out of order",
	kBadUDP:  "UDP header field missing or out of order",
	kBadICMP: "ICMP header field missing",
	kBadNum:  "not a valid number or out of range",
}

// field names a LOG field for per-field errors.
type field uint8

const (
	fSRC field = iota
	fDST
	fLEN
	fTOS
	fTTL
	fID
	fFRAG
	fTC
	fHOPLIMIT
	fFLOWLBL
	fPROTO
	fSPT
	fDPT
	fSEQ
	fACK
	fWINDOW
	fURGP
	fTYPE
	fCODE
	nFields
)

var fieldNames = [nFields]string{
	fSRC: "SRC", fDST: "DST", fLEN: "LEN", fTOS: "TOS", fTTL: "TTL", fID: "ID",
	fFRAG: "FRAG", fTC: "TC", fHOPLIMIT: "HOPLIMIT", fFLOWLBL: "FLOWLBL",
	fPROTO: "PROTO", fSPT: "SPT", fDPT: "DPT", fSEQ: "SEQ", fACK: "ACK",
	fWINDOW: "WINDOW", fURGP: "URGP", fTYPE: "TYPE", fCODE: "CODE",
}

// errTab holds every (kind, field) error so Parse can return a pointer
// into it instead of allocating.
var errTab = func() (t [nKinds][nFields]ParseError) {
	for k := range t {
		for f := range t[k] {
			t[k][f] = ParseError{Field: fieldNames[f], Reason: reasons[k]}
		}
	}
	return t
}()

func ferr(k errKind, f field) *ParseError { return &errTab[k][f] }
