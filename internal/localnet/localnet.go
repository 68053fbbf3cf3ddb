// Package localnet finds the networks this host is directly connected to.
// psad's daemon takes them as HOME_NET when ENABLE_INTF_LOCAL_NETS is Y,
// its default, and otherwise checks a written HOME_NET against them
// (spec operations 2.7, detection 1.3). Without this the daemon's
// "Local IP" marks and the HOME_NET exemption from auto-blocking would
// depend on a psad.conf value most installs never edit.
package localnet

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/psadgo/psad/internal/netset"
)

// Connected returns the networks of the host's interfaces, leaving out
// the loopback "lo" and every interface whose name contains "dummy", as
// psad does: neither leads anywhere a scan can come from. It reads the
// kernel's interface list itself (psad parsed ifconfig or ip output,
// and found nothing with a modern ifconfig).
func Connected() ([]netip.Prefix, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("listing interfaces: %w", err)
	}
	var out []netip.Prefix
	for _, i := range ifs {
		if i.Name == "lo" || strings.Contains(i.Name, "dummy") {
			continue
		}
		addrs, err := i.Addrs()
		if err != nil {
			return nil, fmt.Errorf("addresses of %s: %w", i.Name, err)
		}
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			addr, ok := netip.AddrFromSlice(n.IP)
			if !ok {
				continue
			}
			ones, _ := n.Mask.Size()
			addr = addr.Unmap()
			if addr.Is4() && ones > 32 {
				ones -= 96
			}
			out = append(out, netip.PrefixFrom(addr, ones).Masked())
		}
	}
	return out, nil
}

// Home is the daemon's HOME_NET and what deciding it has to say.
type Home struct {
	// Set is HOME_NET; nil means "any".
	Set *netset.Set
	// Warnings are psad's "config warning" lines, word for word.
	Warnings []string
	// Derived is true when Set comes from the interfaces.
	Derived bool
}

// HomeNet decides the daemon's HOME_NET. With derive
// (ENABLE_INTF_LOCAL_NETS) it is the connected networks, or "any" when
// there are none. Otherwise it is the configured set (nil for "any";
// unset tells that psad.conf still holds the CHANGEME placeholder), with
// a warning for each network that lies inside no connected one.
//
// psad goes on to turn a written HOME_NET into "any" when none of its
// networks is connected; we keep what the user wrote (docs/compat.md):
// a router's HOME_NET names networks behind it, and dropping it would
// also drop their exemption from auto-blocking.
func HomeNet(derive bool, configured *netset.Set, unset bool, connected []netip.Prefix) Home {
	if derive {
		if len(connected) == 0 {
			return Home{Derived: true}
		}
		set := netset.FromPrefixes(connected)
		return Home{Set: &set, Derived: true}
	}
	if unset {
		return Home{Warnings: []string{`config warning: the HOME_NET variable has not been set, defaulting to "any"`}}
	}
	h := Home{Set: configured}
	if configured == nil {
		return h
	}
	for _, p := range configured.Prefixes() {
		if !within(p, connected) {
			net := p.String()
			if p.IsSingleIP() {
				net = p.Addr().String()
			}
			h.Warnings = append(h.Warnings, fmt.Sprintf("config warning: HOME_NET definition in psad.conf contains %q which does not appear to be directly connected to the local system.", net))
		}
	}
	return h
}

// within reports whether p lies inside one of nets.
func within(p netip.Prefix, nets []netip.Prefix) bool {
	for _, n := range nets {
		if n.Addr().BitLen() == p.Addr().BitLen() && n.Bits() <= p.Bits() && n.Contains(p.Addr()) {
			return true
		}
	}
	return false
}
