// Package mailtest has mail servers for tests that misbehave in the ways
// real ones do, so the code that sends alerts is tested against the
// failure rather than a stub of it.
package mailtest

import (
	"net"
	"sync"
	"testing"
)

// Silent starts a TCP server on loopback that accepts connections and
// never says a word (a hung mail server: no greeting, no answer), and
// returns its port. The server and its connections close when the test
// ends.
func Silent(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}
