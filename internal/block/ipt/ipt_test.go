package ipt

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/config"
)

func TestParseRule(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       rule
		ok         bool
	}{
		{"src", "-A PSAD_BLOCK_INPUT -s 192.168.10.55/32 -j DROP", rule{'s', netip.MustParsePrefix("192.168.10.55/32"), "DROP"}, true},
		{"dst", "-A PSAD_BLOCK_INPUT -d 192.168.10.55/32 -j DROP", rule{'d', netip.MustParsePrefix("192.168.10.55/32"), "DROP"}, true},
		{"v6", "-A PSAD_BLOCK_INPUT -s fd00:1::2/128 -j DROP", rule{'s', netip.MustParsePrefix("fd00:1::2/128"), "DROP"}, true},
		{"reject options", "-A PSAD_BLOCK_INPUT -s 10.0.0.1/32 -j REJECT --reject-with icmp-port-unreachable",
			rule{'s', netip.MustParsePrefix("10.0.0.1/32"), "REJECT"}, true},
		{"network masked", "-A PSAD_BLOCK_INPUT -s 10.0.0.0/8 -j DROP", rule{'s', netip.MustParsePrefix("10.0.0.0/8"), "DROP"}, true},
		{"other chain", "-A INPUT -s 10.0.0.1/32 -j DROP", rule{}, false},
		{"extra match", "-A PSAD_BLOCK_INPUT -s 10.0.0.1/32 -p tcp -j DROP", rule{}, false},
		{"interface", "-A PSAD_BLOCK_INPUT -i eth0 -j DROP", rule{}, false},
		{"bad address", "-A PSAD_BLOCK_INPUT -s 10.0.0/32 -j DROP", rule{}, false},
		{"chain line", "-N PSAD_BLOCK_INPUT", rule{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseRule(tc.line, "PSAD_BLOCK_INPUT")
			if ok != tc.ok || got != tc.want {
				t.Errorf("parseRule(%q) = %+v, %v; want %+v, %v", tc.line, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestPosition(t *testing.T) {
	for _, tc := range []struct{ pos, n, want int }{
		{1, 0, 1}, {0, 3, 1}, {-5, 3, 1}, {2, 3, 2}, {4, 3, 4}, {9, 3, 4},
	} {
		if got := position(tc.pos, tc.n); got != tc.want {
			t.Errorf("position(%d, %d) = %d, want %d", tc.pos, tc.n, got, tc.want)
		}
	}
}

func TestNewRejects(t *testing.T) {
	good := config.AutoChain{Target: "DROP", Direction: "src", Table: "filter", FromChain: "INPUT", JumpPos: 1, ToChain: "PSAD_BLOCK_INPUT", RulePos: 1}
	for _, tc := range []struct {
		name string
		edit func(*config.AutoChain)
		want string
	}{
		{"direction", func(c *config.AutoChain) { c.Direction = "in" }, `invalid direction "in"`},
		{"same chains", func(c *config.AutoChain) { c.ToChain = "INPUT" }, `from chain and to chain are both "INPUT"`},
		{"option as chain", func(c *config.AutoChain) { c.ToChain = "-F" }, `invalid to chain "-F"`},
		{"space in target", func(c *config.AutoChain) { c.Target = "DROP -j ACCEPT" }, `invalid target "DROP -j ACCEPT"`},
		{"no-break space in chain", func(c *config.AutoChain) { c.ToChain = "PSAD\u00a0BLOCK" }, "invalid to chain"},
		{"empty table", func(c *config.AutoChain) { c.Table = "" }, `invalid table ""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.edit(&c)
			_, err := New(Config{Chains: []config.AutoChain{c}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := New(Config{}); err == nil {
		t.Error("New without chains: no error")
	}
	if _, err := New(Config{Chains: []config.AutoChain{good}}); err != nil {
		t.Errorf("New(good): %v", err)
	}
}
