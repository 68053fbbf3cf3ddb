package fwlog

import (
	"net/netip"
	"testing"
)

func TestAddrStrings(t *testing.T) {
	addrs := []netip.Addr{netip.MustParseAddr("10.1.1.10"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("10.1.1.9")}
	got := AddrStrings(len(addrs), func(i int) netip.Addr { return addrs[i] })
	for i, a := range addrs {
		if got[i] != AddrString(a) {
			t.Errorf("AddrStrings[%d] = %q, want %q", i, got[i], AddrString(a))
		}
	}
	if len(AddrStrings(0, nil)) != 0 {
		t.Error("AddrStrings(0) not empty")
	}
}
