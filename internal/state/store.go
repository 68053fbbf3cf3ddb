package state

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/psadgo/psad/internal/scan"
)

// Store keeps the daemon's scan state in a bbolt file so a restart
// (IMPORT_OLD_SCANS=Y) continues where the last run stopped. Sources are
// written incrementally, only those that changed, and each write is one
// transaction: a crash or kill -9 loses at most what arrived since the
// last save.
type Store struct {
	db *bolt.DB
}

var (
	bucketSources = []byte("sources")
	bucketMeta    = []byte("meta")
	keyCounters   = []byte("counters")
)

// OpenStore opens (creating) the state file.
func OpenStore(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("state store: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("state store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketSources); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(bucketMeta)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("state store %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Save writes the given sources and the counters in one transaction.
func (s *Store) Save(srcs []scan.SourceState, counters scan.CounterState) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSources)
		for _, st := range srcs {
			var buf bytes.Buffer
			if err := gob.NewEncoder(&buf).Encode(st); err != nil {
				return err
			}
			key, _ := st.Addr.MarshalBinary()
			if err := b.Put(key, buf.Bytes()); err != nil {
				return err
			}
		}
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(counters); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyCounters, buf.Bytes())
	})
}

// Forget removes every saved source (IMPORT_OLD_SCANS=N at start-up).
func (s *Store) Forget() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketSources); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bucketSources); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Delete(keyCounters)
	})
}

// Load feeds every saved source and the counters to the tracker. A record
// that cannot be decoded is skipped and counted, never fatal.
func (s *Store) Load(t *scan.Tracker) (sources, bad int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyCounters); v != nil {
			var cs scan.CounterState
			if gob.NewDecoder(bytes.NewReader(v)).Decode(&cs) == nil {
				t.ImportCounters(cs)
			}
		}
		return tx.Bucket(bucketSources).ForEach(func(_, v []byte) error {
			var st scan.SourceState
			if err := gob.NewDecoder(bytes.NewReader(v)).Decode(&st); err != nil || !st.Addr.IsValid() {
				bad++
				return nil
			}
			t.Import(st)
			sources++
			return nil
		})
	})
	return sources, bad, err
}
