package respond

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/block"
	"github.com/psadgo/psad/internal/config"
)

// TestHostsDenyFile: the tcpwrappers backend writes the file
// ETC_HOSTS_DENY_FILE names, not always /etc/hosts.deny.
func TestHostsDenyFile(t *testing.T) {
	deny := filepath.Join(t.TempDir(), "hosts.deny")
	if err := os.WriteFile(deny, []byte("# the host's own rules\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer(
		"TCPWRAPPERS_BLOCK_METHOD    N;", "TCPWRAPPERS_BLOCK_METHOD    Y;",
		"IPTABLES_BLOCK_METHOD       Y;", "IPTABLES_BLOCK_METHOD       N;",
		"ETC_HOSTS_DENY_FILE         /etc/hosts.deny;", "ETC_HOSTS_DENY_FILE "+deny+";",
	).Replace(string(config.DefaultText()))
	c, err := config.Parse("psad.conf", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	set, err := c.Settings()
	if err != nil {
		t.Fatal(err)
	}
	if !set.Block.TCPWrappers || set.Block.IPTables {
		t.Fatalf("the test's psad.conf edit did not take: %+v", set.Block)
	}
	bs, err := Backends(set)
	if err != nil || len(bs) != 1 {
		t.Fatalf("backends %v, %v", bs, err)
	}
	if err := bs[0].Add(context.Background(), []block.Entry{{Prefix: netip.MustParsePrefix("203.0.113.9/32")}}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(deny); err != nil || !strings.Contains(string(b), "ALL: 203.0.113.9") {
		t.Errorf("%s: %q, %v", deny, b, err)
	}
}
