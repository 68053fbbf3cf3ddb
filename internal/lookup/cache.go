package lookup

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
)

const (
	// DefaultMaxInFlight bounds concurrent lookups of each kind when
	// CacheConfig.MaxInFlight is zero: enough to keep an alert burst from
	// queueing behind one slow whois server, few enough not to look like a
	// flood to the registries.
	DefaultMaxInFlight = 8

	// DefaultMaxEntries bounds the cache when CacheConfig.MaxEntries is
	// zero. Source addresses can be spoofed, so without a bound a flood of
	// forged log lines would grow the cache (and the lookup queue) without
	// limit.
	DefaultMaxEntries = 4096
)

// CacheConfig configures a [Cache].
type CacheConfig struct {
	Whois WhoisConfig
	DNS   ResolverConfig

	// WhoisReuse and DNSReuse are WHOIS_LOOKUP_THRESHOLD and
	// DNS_LOOKUP_THRESHOLD: how many times a result is handed out again
	// before it is looked up anew. Zero (or negative) re-queries on every
	// request, as psad did with a threshold of 0.
	WhoisReuse, DNSReuse int

	// NoWhois and NoDNS turn a kind of lookup off (ENABLE_WHOIS_LOOKUPS=N,
	// --no-whois; ENABLE_DNS_LOOKUPS=N, --no-rdns); its result is then
	// always empty.
	NoWhois, NoDNS bool

	// MaxInFlight bounds concurrent lookups per kind; zero means
	// DefaultMaxInFlight. DNS and whois have separate pools so that whois
	// servers that run into WHOIS_TIMEOUT cannot hold up reverse DNS.
	MaxInFlight int

	// MaxEntries bounds the number of cached addresses; zero means
	// DefaultMaxEntries. Past it, an arbitrary entry with no lookup in
	// flight is evicted.
	MaxEntries int

	// ForceASCII is ENABLE_WHOIS_FORCE_ASCII (see [Sanitize]).
	ForceASCII bool

	// OnResult, if set, is called after each finished lookup with what is
	// now known about ip. It runs on a lookup goroutine after waiters in
	// [Cache.Wait] have been released, never with the cache locked, and
	// must not block for long.
	OnResult func(ip netip.Addr, dnsName, whois string)

	// Logger receives lookup failures at debug level; nil discards them.
	Logger *slog.Logger
}

type kind int

const (
	kindDNS kind = iota
	kindWhois
	numKinds
)

func (k kind) String() string {
	if k == kindDNS {
		return "dns"
	}
	return "whois"
}

// slot is the cached state of one kind of lookup for one address.
type slot struct {
	val     string
	have    bool          // a lookup has finished; val is its result
	uses    int           // times val was handed out since that lookup
	pending chan struct{} // non-nil while a lookup is queued or running; closed when it ends
}

type entry struct{ slots [numKinds]slot }

type job struct {
	ip   netip.Addr
	e    *entry
	k    kind
	done chan struct{}
}

// Cache runs reverse DNS and whois lookups in the background and remembers
// the results per address with psad's reuse thresholds.
//
// psad counted a use for every alert: the first request runs the lookup and
// uses its result, the next WhoisReuse (DNSReuse) requests reuse it, and the
// request after that triggers a fresh lookup. Every [Cache.Lookup] or
// [Cache.Wait] call counts as one such request, so call one of them once per
// alert. While a refresh runs, the previous result is still handed out.
// Concurrent requests for one address share one lookup. Failed lookups are
// cached like answers (an empty result, or the previous answer if there was
// one) so an unreachable server is not asked again on every alert.
//
// Whois text is passed through [Sanitize] before it is stored; DNS names are
// validated by [Reverse].
//
// A Cache is safe for concurrent use.
type Cache struct {
	cfg    CacheConfig
	log    *slog.Logger
	ctx    context.Context // ends at Close; parent of every lookup
	cancel context.CancelFunc
	queues [numKinds]chan job
	wg     sync.WaitGroup

	mu      sync.Mutex
	entries map[netip.Addr]*entry
	closed  bool
}

// NewCache returns a Cache and starts its lookup goroutines; call
// [Cache.Close] to stop them.
func NewCache(c CacheConfig) *Cache {
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.MaxEntries <= 0 {
		c.MaxEntries = DefaultMaxEntries
	}
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cc := &Cache{
		cfg:     c,
		log:     log,
		ctx:     ctx,
		cancel:  cancel,
		entries: make(map[netip.Addr]*entry),
	}
	for k := range numKinds {
		if cc.disabled(k) {
			continue
		}
		// One queued job per kind per entry at most, so a queue the
		// size of the cache only overflows when eviction could not
		// keep up; request drops the job then.
		cc.queues[k] = make(chan job, c.MaxEntries)
		for range c.MaxInFlight {
			cc.wg.Go(func() { cc.worker(k) })
		}
	}
	return cc
}

func (c *Cache) disabled(k kind) bool {
	if k == kindDNS {
		return c.cfg.NoDNS
	}
	return c.cfg.NoWhois
}

func (c *Cache) reuse(k kind) int {
	if k == kindDNS {
		return c.cfg.DNSReuse
	}
	return c.cfg.WhoisReuse
}

// Lookup returns what is known about ip now, possibly empty strings, and
// starts the lookups that are missing or due for a refresh. It never waits
// on the network.
func (c *Cache) Lookup(ip netip.Addr) (dnsName, whois string) {
	dnsName, whois, _ = c.request(ip)
	return dnsName, whois
}

// Wait is [Cache.Lookup] that then waits until the lookups it depends on
// have finished, or ctx or the Cache ends, and returns the results known at
// that point. Use it when composing an alert that may wait a few seconds.
func (c *Cache) Wait(ctx context.Context, ip netip.Addr) (dnsName, whois string) {
	dnsName, whois, e := c.request(ip)
	if e == nil {
		return dnsName, whois
	}
	c.mu.Lock()
	var pending []chan struct{}
	for k := range numKinds {
		if ch := e.slots[k].pending; ch != nil {
			pending = append(pending, ch)
		}
	}
	c.mu.Unlock()
	for _, ch := range pending {
		select {
		case <-ch:
		case <-ctx.Done():
		case <-c.ctx.Done():
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return e.slots[kindDNS].val, e.slots[kindWhois].val
}

// request counts one use of ip's results, starting lookups as needed, and
// returns the current values and the entry (nil when nothing is cached for
// ip).
func (c *Cache) request(ip netip.Addr) (dnsName, whois string, e *entry) {
	if !ip.IsValid() || (c.cfg.NoDNS && c.cfg.NoWhois) {
		return "", "", nil
	}
	ip = ip.Unmap()
	c.mu.Lock()
	defer c.mu.Unlock()
	e = c.entry(ip)
	for k := range numKinds {
		if !c.disabled(k) {
			c.use(ip, e, k)
		}
	}
	return e.slots[kindDNS].val, e.slots[kindWhois].val, e
}

// use implements the reuse rule for one kind. c.mu is held.
func (c *Cache) use(ip netip.Addr, e *entry, k kind) {
	s := &e.slots[k]
	if s.pending != nil {
		return
	}
	if s.have && s.uses < c.reuse(k) {
		s.uses++
		return
	}
	if c.closed {
		return
	}
	j := job{ip: ip, e: e, k: k, done: make(chan struct{})}
	select {
	case c.queues[k] <- j:
		s.pending = j.done
	default:
		c.log.Warn("lookup queue full, skipped", "kind", k, "ip", ip)
	}
}

// entry returns ip's entry, creating it and evicting another if the cache
// is full. c.mu is held.
func (c *Cache) entry(ip netip.Addr) *entry {
	if e := c.entries[ip]; e != nil {
		return e
	}
	if len(c.entries) >= c.cfg.MaxEntries {
		// Map iteration order is unspecified and varies, which makes
		// this a cheap random eviction.
		for a, old := range c.entries {
			if old.slots[kindDNS].pending == nil && old.slots[kindWhois].pending == nil {
				delete(c.entries, a)
				break
			}
		}
	}
	e := new(entry)
	c.entries[ip] = e
	return e
}

func (c *Cache) worker(k kind) {
	for {
		select {
		case <-c.ctx.Done():
			return
		case j := <-c.queues[k]:
			c.run(j)
		}
	}
}

func (c *Cache) run(j job) {
	var (
		val string
		err error
	)
	switch j.k {
	case kindDNS:
		val, err = Reverse(c.ctx, c.cfg.DNS, j.ip)
	case kindWhois:
		var text string
		text, _, err = Whois(c.ctx, c.cfg.Whois, j.ip)
		val = Sanitize(text, c.cfg.ForceASCII)
	}
	if err != nil {
		c.log.Debug("lookup failed", "kind", j.k, "ip", j.ip, "err", err)
	}
	closing := c.ctx.Err() != nil

	c.mu.Lock()
	s := &j.e.slots[j.k]
	if !closing {
		// A failed refresh keeps the previous answer rather than
		// replacing it with nothing.
		if val != "" || err == nil || !s.have {
			s.val = val
		}
		s.have, s.uses = true, 0
	}
	s.pending = nil
	close(j.done)
	dnsName, whois := j.e.slots[kindDNS].val, j.e.slots[kindWhois].val
	c.mu.Unlock()

	if !closing && c.cfg.OnResult != nil {
		c.cfg.OnResult(j.ip, dnsName, whois)
	}
}

// Close cancels lookups in flight, stops the lookup goroutines and waits for
// them. Afterwards Lookup and Wait return cached results without starting
// lookups.
func (c *Cache) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()

	// Release waiters on jobs that were queued but never ran.
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range numKinds {
		if c.queues[k] == nil {
			continue
		}
		for {
			select {
			case j := <-c.queues[k]:
				j.e.slots[j.k].pending = nil
				close(j.done)
				continue
			default:
			}
			break
		}
	}
}
