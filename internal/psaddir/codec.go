package psaddir

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/psadgo/psad/internal/scan"
)

// recordTag starts a record of the store's second form: one gob value
// message written after a type description (the primer) saved once in
// the meta bucket. Stores written before the binary form (see
// binaryTag) hold such records, or whole gob streams, which never start
// with recordTag or binaryTag (a gob stream starts with a message length
// well above both); Load reads all three and rewrites the older two.
const recordTag = 0

var keyPrimer = []byte("source-gob-primer")

// decode reads a record written after primer (or a whole gob stream).
func decodeSource(primer, v []byte, st *scan.SourceState) error {
	if len(v) == 0 {
		return errors.New("empty record")
	}
	if v[0] == binaryTag {
		return decodeBinary(v, st)
	}
	if v[0] != recordTag {
		return gob.NewDecoder(bytes.NewReader(v)).Decode(st)
	}
	if primer == nil {
		return errors.New("record without its type description")
	}
	dec := gob.NewDecoder(io.MultiReader(bytes.NewReader(primer), bytes.NewReader(v[1:])))
	var zero scan.SourceState
	if err := dec.Decode(&zero); err != nil {
		return fmt.Errorf("type description: %w", err)
	}
	return dec.Decode(st)
}

// maybeCompact rewrites the file when it is at least compactMin and more
// than half of it is free pages: bbolt reuses free pages but never shrinks
// the file, so without this the database would keep the size of the
// largest flood it ever held. Checking costs a stat and bbolt's in-memory
// counters.
func (s *Store) maybeCompact() error {
	fi, err := os.Stat(s.path)
	if err != nil || fi.Size() < compactMin {
		return nil
	}
	s.mu.RLock()
	st := s.db.Stats()
	free := int64(st.FreePageN+st.PendingPageN) * int64(s.db.Info().PageSize)
	s.mu.RUnlock()
	if free*2 < fi.Size() {
		return nil
	}
	return s.compact()
}

// compact copies the live data to a fresh file and puts it in place of
// the old one. A crash in the middle leaves the old file whole (the copy
// is renamed over it only once complete).
func (s *Store) compact() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tmp := s.path + ".compact"
	os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		return fmt.Errorf("state store %s: compact: %w", s.path, err)
	}
	if err := bolt.Compact(dst, s.db, 16<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return fmt.Errorf("state store %s: compact: %w", s.path, err)
	}
	if err := errors.Join(dst.Sync(), dst.Close()); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("state store %s: compact: %w", s.path, err)
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("state store %s: compact: %w", s.path, err)
	}
	renameErr := os.Rename(tmp, s.path)
	// Reopen whichever file is at path now: the compact copy, or the
	// old file if the rename failed.
	db, err := bolt.Open(s.path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return fmt.Errorf("state store %s: reopening after compact: %w", s.path, err)
	}
	s.db = db
	if renameErr != nil {
		os.Remove(tmp)
		return fmt.Errorf("state store %s: compact: %w", s.path, renameErr)
	}
	return nil
}
