package psaddir

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/psadgo/psad/internal/scan"
)

// Names under which Load returns positions migrated from the JSON files an
// older daemon kept beside the store; a daemon saving its inputs' positions
// uses the same names so the migrated and the native form are one thing.
const (
	PosFile    = "file"    // the followed syslog file (was input_pos)
	PosKmsg    = "kmsg"    // /dev/kmsg boot id and sequence (was kmsg_seq)
	PosJournal = "journal" // the journal cursor (was journal_cursor)
)

// legacyPositions maps the JSON position files of the daemon before the
// store held positions to the names Load returns them under.
var legacyPositions = []struct{ file, name string }{
	{"input_pos", PosFile},
	{"kmsg_seq", PosKmsg},
	{"journal_cursor", PosJournal},
}

// Store keeps the daemon's scan state and its inputs' read positions in one
// bbolt file. The positions are committed with the last (usually the only)
// transaction of a Save because they describe the same moment as the
// state: positions newer than the state would skip lines whose scans were
// never recorded. Only a Save too large for one transaction (see Save) can
// leave, after a crash or kill -9, state newer than the positions; its
// lines are then read again. A crash loses at most what arrived since the
// last Save.
//
// A Store is safe for use by several goroutines (bbolt serialises writers),
// but the daemon has a single writer, its persistence ticker.
type Store struct {
	// mu guards db, which compact replaces: every use holds it for
	// reading.
	mu   sync.RWMutex
	db   *bolt.DB
	path string
}

// compactMin is the smallest file Save compacts: below it, the space
// bbolt keeps for reuse is not worth a rewrite.
const compactMin = 8 << 20

var (
	bucketSources   = []byte("sources")
	bucketMeta      = []byte("meta")
	bucketPositions = []byte("positions")
	keyCounters     = []byte("counters")
)

// OpenStore opens (creating) the store file at path, mode 0600 in a 0700
// directory. It waits at most two seconds for the file lock, so a second
// daemon that got past the pid lock somehow fails instead of hanging.
func OpenStore(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, pathError("create", filepath.Dir(path), "PSAD_FIFO_DIR", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil, pathError("open state store", path, "PSAD_FIFO_DIR", err)
		}
		return nil, fmt.Errorf("state store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketSources, bucketMeta, bucketPositions} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("bucket %s: %w", b, err)
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("state store %s: %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}

// Close closes the file.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("state store %s: %w", s.path, err)
	}
	return nil
}

// saveChunk is the most source records one transaction of Save writes.
// bbolt holds a write transaction's changed pages in memory until it
// commits, so one transaction over a flood's hundred thousand records
// cost tens of megabytes; at a few thousand records a transaction the
// cost is bounded and a daemon's ordinary save, well under that, stays
// one transaction.
const saveChunk = 4096

// Save writes the given source records (from AppendSource; only sources
// that changed since the last Save need be passed), deletes the sources
// in gone (forgotten by the tracker since), and writes the counters and
// every input position, keyed by input name and opaque to the store.
// Save may reorder recs.
//
// Up to saveChunk records Save is one transaction: all of it is written
// or, on error, none of it. A larger save (a flood) is split into
// transactions of saveChunk records, in key order, and the positions and
// counters are committed with the last one. A crash in the middle
// therefore leaves some sources newer than the saved positions, never
// older: the restarted daemon reads again the lines since the last
// complete save, and those sources count them a second time. We chose
// replay over loss because a line counted twice raises a count a little,
// while a line lost may hide a scan; the window is the lines of one save
// interval.
//
// bbolt never gives freed pages back to the file system, so after a flood
// of sources has expired the file would keep its peak size for ever: when
// the file has grown past its threshold and more than half of it is free,
// Save rewrites it compactly (see compact).
//
// Positions not named in positions keep their saved value. Counters whose
// maps are all nil (the zero [scan.CounterState]) leave the saved counters
// alone, so a Save of positions alone need not export the tracker's
// counters; [scan.Tracker.ExportCounters] never returns nil maps.
func (s *Store) Save(recs [][]byte, gone []netip.Addr, counters scan.CounterState, positions map[string][]byte) error {
	keys := make([][]byte, len(recs))
	for i, r := range recs {
		k, err := recordKey(r)
		if err != nil {
			return fmt.Errorf("state store %s: save: record %d: %w", s.path, i, err)
		}
		keys[i] = k
	}
	// In key order each record lands at the end of the run of new keys in
	// its page: bbolt inserts into a page's sorted array, and a random
	// order made a large save quadratic in memory moves.
	sort.Sort(byKey{keys, recs})
	gk := make([][]byte, len(gone))
	for i, a := range gone {
		gk[i], _ = a.MarshalBinary()
	}
	slices.SortFunc(gk, bytes.Compare)
	for len(recs) > 0 || len(gk) > 0 {
		n := min(len(recs), saveChunk)
		g := min(len(gk), saveChunk-n)
		last := n == len(recs) && g == len(gk)
		var err error
		if last {
			err = s.update(keys[:n], recs[:n], gk[:g], counters, positions)
		} else {
			err = s.update(keys[:n], recs[:n], gk[:g], scan.CounterState{}, nil)
		}
		if err != nil {
			return err
		}
		keys, recs, gk = keys[n:], recs[n:], gk[g:]
		if last {
			return s.maybeCompact()
		}
	}
	if err := s.update(nil, nil, nil, counters, positions); err != nil {
		return err
	}
	return s.maybeCompact()
}

// update is one transaction of Save.
func (s *Store) update(keys, recs, gone [][]byte, counters scan.CounterState, positions map[string][]byte) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		pb := tx.Bucket(bucketPositions)
		for name, pos := range positions {
			if err := pb.Put([]byte(name), pos); err != nil {
				return fmt.Errorf("position %q: %w", name, err)
			}
		}
		if !zeroCounters(counters) {
			v, err := encode(counters)
			if err != nil {
				return fmt.Errorf("counters: %w", err)
			}
			if err := tx.Bucket(bucketMeta).Put(keyCounters, v); err != nil {
				return fmt.Errorf("counters: %w", err)
			}
		}
		sb := tx.Bucket(bucketSources)
		// Records arrive in key order, so pages split as they fill: at
		// bbolt's default of half full a flood's pages stayed half empty
		// and the file twice its data.
		sb.FillPercent = 0.9
		for _, k := range gone {
			if err := sb.Delete(k); err != nil {
				return fmt.Errorf("forgetting source %s: %w", keyAddr(k), err)
			}
		}
		for i, k := range keys {
			if err := sb.Put(k, recs[i]); err != nil {
				return fmt.Errorf("source %s: %w", keyAddr(k), err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("state store %s: save: %w", s.path, err)
	}
	return nil
}

// byKey sorts records by their keys.
type byKey struct{ keys, recs [][]byte }

func (b byKey) Len() int           { return len(b.keys) }
func (b byKey) Less(i, j int) bool { return bytes.Compare(b.keys[i], b.keys[j]) < 0 }
func (b byKey) Swap(i, j int) {
	b.keys[i], b.keys[j] = b.keys[j], b.keys[i]
	b.recs[i], b.recs[j] = b.recs[j], b.recs[i]
}

func keyAddr(k []byte) netip.Addr {
	a, _ := netip.AddrFromSlice(k)
	return a
}

// Load returns the saved input positions and, when importScans is set
// (IMPORT_OLD_SCANS=Y), feeds every saved source and the counters to t.
// When importScans is not set the saved scan state is deleted instead, so
// a later start with IMPORT_OLD_SCANS=Y does not resurrect it; positions
// are kept either way, because IMPORT_OLD_SCANS is about scans, not about
// re-reading the log from its start.
//
// A source record that cannot be decoded is skipped and counted in bad,
// never fatal: losing one source's history is better than refusing to
// start.
//
// Migration: a store that has never saved a position, opened in a
// directory that still holds the JSON position files of the daemon before
// positions moved into the store (input_pos, kmsg_seq, journal_cursor),
// returns their contents unchanged under [PosFile], [PosKmsg] and
// [PosJournal], so a daemon upgraded in place resumes where the old one
// stopped. The files are left alone; once a Save has written positions
// they are ignored and may be deleted.
func (s *Store) Load(t *scan.Tracker, importScans bool) (positions map[string][]byte, sources, bad int, err error) {
	positions = map[string][]byte{}
	s.mu.RLock()
	defer s.mu.RUnlock()
	err = s.db.Update(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketPositions).ForEach(func(k, v []byte) error {
			// bbolt's slices are valid only inside the transaction.
			positions[string(k)] = bytes.Clone(v)
			return nil
		})
		if err != nil {
			return fmt.Errorf("positions: %w", err)
		}
		if !importScans {
			if err := tx.DeleteBucket(bucketSources); err != nil {
				return fmt.Errorf("forgetting sources: %w", err)
			}
			if _, err := tx.CreateBucket(bucketSources); err != nil {
				return fmt.Errorf("forgetting sources: %w", err)
			}
			if err := tx.Bucket(bucketMeta).Delete(keyCounters); err != nil {
				return fmt.Errorf("forgetting counters: %w", err)
			}
			return nil
		}
		if v := tx.Bucket(bucketMeta).Get(keyCounters); v != nil {
			var cs scan.CounterState
			if gob.NewDecoder(bytes.NewReader(v)).Decode(&cs) == nil {
				t.ImportCounters(cs)
			}
		}
		primer := bytes.Clone(tx.Bucket(bucketMeta).Get(keyPrimer))
		sb := tx.Bucket(bucketSources)
		var again [][]byte
		err = sb.ForEach(func(_, v []byte) error {
			var st scan.SourceState
			if err := decodeSource(primer, v, &st); err != nil || !st.Addr.IsValid() {
				bad++
				return nil
			}
			t.Import(st)
			sources++
			if v[0] != binaryTag {
				rec, err := appendSource(nil, &st)
				if err != nil {
					return fmt.Errorf("source %s: %w", st.Addr, err)
				}
				again = append(again, rec)
			}
			return nil
		})
		if err != nil {
			return err
		}
		// Records of the older gob forms are rewritten in the binary
		// form; once none is left the gob type description goes too.
		for _, rec := range again {
			k, _ := recordKey(rec)
			if err := sb.Put(k, rec); err != nil {
				return fmt.Errorf("source %s: %w", keyAddr(k), err)
			}
		}
		if primer != nil {
			if err := tx.Bucket(bucketMeta).Delete(keyPrimer); err != nil {
				return fmt.Errorf("source type description: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, 0, fmt.Errorf("state store %s: load: %w", s.path, err)
	}
	if len(positions) == 0 {
		if err := s.legacyPositions(positions); err != nil {
			return nil, 0, 0, err
		}
	}
	return positions, sources, bad, nil
}

// legacyPositions adds the old JSON position files found beside the store
// to positions. An absent file is normal (that input was not in use).
func (s *Store) legacyPositions(positions map[string][]byte) error {
	dir := filepath.Dir(s.path)
	for _, l := range legacyPositions {
		path := filepath.Join(dir, l.file)
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("state store: migrating position: %w", err)
		}
		positions[l.name] = data
	}
	return nil
}

func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func zeroCounters(c scan.CounterState) bool {
	return c.Proto == nil && c.TCPPort == nil && c.UDPPort == nil && c.UDPLitePort == nil &&
		c.Prefix == nil && c.SigCount == nil && c.SigSources == nil
}
