package notify

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Ports is the set of local ports a server is bound to, for the "(server
// bound to local port!)" note of an alert's signature matches (psad ran
// netstat -an for it). It is read-only once made.
type Ports struct {
	tcp, udp map[int]bool
}

// Bound reports whether a server is bound to port for proto ("tcp" or
// "udp"); known is false for other protocols, which print no note.
func (p *Ports) Bound(proto string, port int) (bound, known bool) {
	switch proto {
	case "tcp":
		return p.tcp[port], true
	case "udp":
		return p.udp[port], true
	}
	return false, false
}

// Socket states in /proc/net/{tcp,udp}: TCP_LISTEN, and TCP_CLOSE, which
// is what an unconnected (server) UDP socket shows.
const (
	stateListen = "0A"
	stateClose  = "07"
)

// ReadProcNet reads the listening sockets from dir (normally /proc/net):
// tcp and tcp6 sockets in LISTEN, udp and udp6 sockets not connected to
// a peer. psad took every IPv4 socket netstat listed whatever its state,
// so the local end of an outgoing connection counted as a server; here
// only sockets that wait for a peer count, and IPv6 ones too. A missing
// file (no IPv6 in the kernel) is skipped; none at all is an error.
func ReadProcNet(dir string) (*Ports, error) {
	p := &Ports{tcp: make(map[int]bool), udp: make(map[int]bool)}
	found := 0
	for _, f := range []struct {
		name  string
		state string
		set   map[int]bool
	}{
		{"tcp", stateListen, p.tcp}, {"tcp6", stateListen, p.tcp},
		{"udp", stateClose, p.udp}, {"udp6", stateClose, p.udp},
	} {
		path := filepath.Join(dir, f.name)
		err := readSockets(path, f.state, f.set)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		found++
	}
	if found == 0 {
		return nil, fmt.Errorf("local ports: no tcp/udp socket tables in %s", dir)
	}
	return p, nil
}

// readSockets adds the local ports of the sockets in state from one
// /proc/net table: "sl local_address rem_address st ...", addresses as
// hex "ADDR:PORT".
func readSockets(path, state string, set map[int]bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	first := true
	for sc.Scan() {
		if first { // the column header
			first = false
			continue
		}
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || fields[3] != state {
			continue
		}
		_, hexPort, ok := strings.Cut(fields[1], ":")
		if !ok {
			continue
		}
		port, err := strconv.ParseUint(hexPort, 16, 16)
		if err != nil {
			continue
		}
		set[int(port)] = true
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}
