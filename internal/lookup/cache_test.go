package lookup

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// newTestCache returns a Cache using the given loopback servers, closed at
// cleanup.
func newTestCache(t *testing.T, cfg CacheConfig, w *whoisServer, d *dnsServer) *Cache {
	t.Helper()
	if w != nil {
		cfg.Whois = WhoisConfig{Server: w.addr, Timeout: 10 * time.Second}
	}
	if d != nil {
		cfg.DNS = ResolverConfig{Server: d.addr, Timeout: 10 * time.Second}
	}
	c := NewCache(cfg)
	t.Cleanup(c.Close)
	return c
}

const testRecord = "netname: TEST-NET\n"

func TestCacheReuse(t *testing.T) {
	w := newWhoisServer(t).answer(testRecord)
	d := startDNS(t, testPTR, 0)
	c := newTestCache(t, CacheConfig{WhoisReuse: 2, DNSReuse: 3}, w, d)

	// psad: the first request looks up, the next THRESHOLD requests
	// reuse, the one after looks up again.
	wantWhois := []int32{1, 1, 1, 2, 2, 2, 3, 3}
	wantDNS := []int32{1, 1, 1, 1, 2, 2, 2, 2}
	for i := range wantWhois {
		name, whois := c.Wait(t.Context(), testAddr)
		if name != "host7.example.net" || whois != testRecord {
			t.Fatalf("request %d: Wait = %q, %q", i+1, name, whois)
		}
		if w.hits.Load() != wantWhois[i] || d.queries.Load() != wantDNS[i] {
			t.Errorf("after request %d: whois lookups %d (want %d), dns lookups %d (want %d)",
				i+1, w.hits.Load(), wantWhois[i], d.queries.Load(), wantDNS[i])
		}
	}
}

func TestCacheSharesLookups(t *testing.T) {
	w := newWhoisServer(t)
	w.serve(func(_ string, c net.Conn) {
		time.Sleep(200 * time.Millisecond)
		c.Write([]byte(testRecord))
	})
	d := startDNS(t, testPTR, 200*time.Millisecond)
	c := newTestCache(t, CacheConfig{WhoisReuse: 100, DNSReuse: 100}, w, d)

	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			if i%2 == 0 {
				c.Lookup(testAddr)
			}
			name, whois := c.Wait(t.Context(), testAddr)
			if name != "host7.example.net" || whois != testRecord {
				t.Errorf("Wait = %q, %q", name, whois)
			}
		})
	}
	wg.Wait()
	if w.hits.Load() != 1 || d.queries.Load() != 1 {
		t.Errorf("whois lookups %d, dns lookups %d; want 1 each", w.hits.Load(), d.queries.Load())
	}
}

func TestCacheLookupNeverBlocks(t *testing.T) {
	const delay = 2 * time.Second
	w := newWhoisServer(t)
	w.serve(func(_ string, c net.Conn) {
		select {
		case <-time.After(delay):
			c.Write([]byte(testRecord))
		case <-w.stop:
		}
	})
	d := startDNS(t, testPTR, delay)
	var mu sync.Mutex
	var results []string
	c := newTestCache(t, CacheConfig{
		WhoisReuse: 5, DNSReuse: 5,
		OnResult: func(ip netip.Addr, name, whois string) {
			mu.Lock()
			results = append(results, fmt.Sprintf("%v %q %q", ip, name, whois))
			mu.Unlock()
		},
	}, w, d)

	start := time.Now()
	name, whois := c.Lookup(testAddr)
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("Lookup took %v", d)
	}
	if name != "" || whois != "" {
		t.Errorf("first Lookup = %q, %q; want nothing yet", name, whois)
	}
	if name, whois := c.Lookup(testAddr); name != "" || whois != "" {
		t.Errorf("second Lookup = %q, %q; want nothing yet", name, whois)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	name, whois = c.Wait(ctx, testAddr)
	if name != "host7.example.net" || whois != testRecord {
		t.Errorf("Wait = %q, %q", name, whois)
	}
	if d := time.Since(start); d < delay/2 {
		t.Errorf("Wait returned after %v, before the servers answered", d)
	}
	if name, whois := c.Lookup(testAddr); name != "host7.example.net" || whois != testRecord {
		t.Errorf("Lookup after Wait = %q, %q", name, whois)
	}
	// OnResult runs after waiters are released; give it a moment.
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(results)
		mu.Unlock()
		if n >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(results) != 2 {
		t.Errorf("OnResult calls: %q, want 2 (dns and whois)", results)
	}
}

func TestCacheWaitContext(t *testing.T) {
	w := newWhoisServer(t)
	w.serve(func(_ string, c net.Conn) { <-w.stop })
	c := newTestCache(t, CacheConfig{NoDNS: true}, w, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, whois := c.Wait(ctx, testAddr); whois != "" {
		t.Errorf("Wait = %q, want nothing", whois)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Wait took %v with a 200ms context", d)
	}

	// Close cancels the stuck lookup instead of waiting for it.
	start = time.Now()
	c.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v", d)
	}
	if _, whois := c.Wait(t.Context(), testAddr); whois != "" {
		t.Errorf("Wait after Close = %q", whois)
	}
}

func TestCacheBoundsInFlight(t *testing.T) {
	w := newWhoisServer(t)
	w.serve(func(_ string, c net.Conn) {
		time.Sleep(50 * time.Millisecond)
		c.Write([]byte(testRecord))
	})
	c := newTestCache(t, CacheConfig{NoDNS: true, MaxInFlight: 2, WhoisReuse: 10}, w, nil)
	var addrs []netip.Addr
	for i := range 10 {
		ip := netip.AddrFrom4([4]byte{10, 0, 3, byte(20 + i)})
		addrs = append(addrs, ip)
		c.Lookup(ip)
	}
	for _, ip := range addrs {
		if _, whois := c.Wait(t.Context(), ip); whois != testRecord {
			t.Errorf("Wait(%v) = %q", ip, whois)
		}
	}
	if w.hits.Load() != 10 {
		t.Errorf("whois lookups %d, want 10", w.hits.Load())
	}
	if p := w.peak.Load(); p > 2 {
		t.Errorf("%d lookups in flight at once, want at most 2", p)
	}
}

func TestCacheMaxEntries(t *testing.T) {
	w := newWhoisServer(t).answer(testRecord)
	c := newTestCache(t, CacheConfig{NoDNS: true, MaxEntries: 4, WhoisReuse: 100}, w, nil)
	for i := range 20 {
		c.Wait(t.Context(), netip.AddrFrom4([4]byte{10, 0, 3, byte(i)}))
	}
	c.mu.Lock()
	n := len(c.entries)
	c.mu.Unlock()
	if n > 4 {
		t.Errorf("%d entries cached, want at most 4", n)
	}
}

func TestCacheDisabledAndSanitized(t *testing.T) {
	w := newWhoisServer(t).answer("netname: Z\xc3\xbcrich\x1b[2J\r\ncountry: CH\r\n")
	d := startDNS(t, testPTR, 0)

	t.Run("force ascii", func(t *testing.T) {
		c := newTestCache(t, CacheConfig{NoDNS: true, ForceASCII: true}, w, d)
		name, whois := c.Wait(t.Context(), testAddr)
		if want := "netname: ZNANArich\ncountry: CH\n"; name != "" || whois != want {
			t.Errorf("Wait = %q, %q; want \"\", %q", name, whois, want)
		}
	})
	t.Run("no whois, no dns", func(t *testing.T) {
		before, beforeDNS := w.hits.Load(), d.queries.Load()
		c := newTestCache(t, CacheConfig{NoDNS: true, NoWhois: true}, w, d)
		if name, whois := c.Wait(t.Context(), testAddr); name != "" || whois != "" {
			t.Errorf("Wait = %q, %q", name, whois)
		}
		if w.hits.Load() != before || d.queries.Load() != beforeDNS {
			t.Error("a disabled cache ran lookups")
		}
	})
	t.Run("bogus PTR", func(t *testing.T) {
		c := newTestCache(t, CacheConfig{NoWhois: true}, w, d)
		if name, _ := c.Wait(t.Context(), netip.MustParseAddr("10.0.3.8")); name != "" {
			t.Errorf("Wait = %q, want no name", name)
		}
	})
}

func TestCacheKeepsAnswerOnFailedRefresh(t *testing.T) {
	var mu sync.Mutex
	fail := false
	w := newWhoisServer(t)
	w.serve(func(_ string, c net.Conn) {
		mu.Lock()
		f := fail
		mu.Unlock()
		if f {
			time.Sleep(time.Second) // past the 300ms timeout below
			return
		}
		c.Write([]byte(testRecord))
	})
	c := NewCache(CacheConfig{NoDNS: true, Whois: WhoisConfig{Server: w.addr, Timeout: 300 * time.Millisecond}})
	defer c.Close()
	if _, whois := c.Wait(t.Context(), testAddr); whois != testRecord {
		t.Fatalf("Wait = %q", whois)
	}
	mu.Lock()
	fail = true
	mu.Unlock()
	if _, whois := c.Wait(t.Context(), testAddr); whois != testRecord {
		t.Errorf("after a failed refresh Wait = %q, want the previous answer", whois)
	}
}
