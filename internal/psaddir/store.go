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
// bbolt file. They are saved in the same transaction because they describe
// the same moment: positions newer than the state would skip lines whose
// scans were never recorded, older ones would count lines twice after a
// crash or kill -9. A crash loses at most what arrived since the last Save.
//
// A Store is safe for use by several goroutines (bbolt serialises writers),
// but the daemon has a single writer, its persistence ticker.
type Store struct {
	// mu guards db, which compact replaces: every use holds it for
	// reading.
	mu   sync.RWMutex
	db   *bolt.DB
	path string
	// srcCodec encodes sources without gob's type description, which
	// is most of a small record; see sourceCodec.
	srcCodec *sourceCodec
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
	return &Store{db: db, path: path, srcCodec: newSourceCodec()}, nil
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

// Save writes, in one transaction, the given sources (only those that
// changed since the last Save need be passed), deletes the sources in gone
// (forgotten by the tracker since), and writes the counters and every
// input position, keyed by input name and opaque to the store. Either all
// of it is written or, on error, none of it.
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
func (s *Store) Save(srcs []scan.SourceState, gone []netip.Addr, counters scan.CounterState, positions map[string][]byte) error {
	s.mu.RLock()
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
		if len(srcs) > 0 {
			if _, err := s.srcCodec.putPrimer(tx); err != nil {
				return err
			}
		}
		sb := tx.Bucket(bucketSources)
		for _, a := range gone {
			key, _ := a.MarshalBinary()
			if err := sb.Delete(key); err != nil {
				return fmt.Errorf("forgetting source %s: %w", a, err)
			}
		}
		for _, st := range srcs {
			if !st.Addr.IsValid() {
				// Keyed by address: an invalid one would be a key that
				// collides with every other invalid one.
				return errors.New("source without an address")
			}
			v, err := s.srcCodec.encode(&st)
			if err != nil {
				return fmt.Errorf("source %s: %w", st.Addr, err)
			}
			key, _ := st.Addr.MarshalBinary()
			if err := sb.Put(key, v); err != nil {
				return fmt.Errorf("source %s: %w", st.Addr, err)
			}
		}
		return nil
	})
	s.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("state store %s: save: %w", s.path, err)
	}
	return s.maybeCompact()
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
		var again []scan.SourceState
		err = sb.ForEach(func(_, v []byte) error {
			var st scan.SourceState
			if err := decodeSource(primer, v, &st); err != nil || !st.Addr.IsValid() {
				bad++
				return nil
			}
			t.Import(st)
			sources++
			if len(v) > 0 && v[0] != recordTag || !bytes.Equal(primer, s.srcCodec.primer) {
				again = append(again, st)
			}
			return nil
		})
		if err != nil {
			return err
		}
		// Records written by another process (or in the old whole-gob
		// form) are rewritten with this process's type description, so
		// that one description fits every record.
		if _, err := s.srcCodec.putPrimer(tx); err != nil {
			return err
		}
		for i := range again {
			v, err := s.srcCodec.encode(&again[i])
			if err != nil {
				return fmt.Errorf("source %s: %w", again[i].Addr, err)
			}
			key, _ := again[i].Addr.MarshalBinary()
			if err := sb.Put(key, v); err != nil {
				return fmt.Errorf("source %s: %w", again[i].Addr, err)
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
