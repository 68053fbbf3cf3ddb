package psaddir

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/psadgo/psad/internal/scan"
)

// sourceCodec encodes a [scan.SourceState] as one gob value message
// without the type description gob puts at the start of every stream.
// For a source that sent one packet the description is about nine tenths
// of the record (2.2 KB of 2.4 KB), which is what made a flood of
// spoofed sources cost hundreds of megabytes on disk.
//
// The description is produced once per Store (the primer: the type and a
// zero value) and saved in the meta bucket; a record is recordTag followed
// by the value message, and is decoded after the saved primer. Records of
// older stores, whole gob streams, never start with recordTag (a gob
// stream starts with a non-zero message length) and are still read.
type sourceCodec struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	enc    *gob.Encoder
	primer []byte
}

// recordTag starts a record encoded after the primer.
const recordTag = 0

var keyPrimer = []byte("source-gob-primer")

func newSourceCodec() *sourceCodec {
	c := &sourceCodec{}
	c.enc = gob.NewEncoder(&c.buf)
	// Encoding a zero value cannot fail for a type gob accepts; the
	// store's tests would fail first.
	_ = c.enc.Encode(scan.SourceState{})
	c.primer = bytes.Clone(c.buf.Bytes())
	return c
}

// encode returns st's record, a fresh slice.
func (c *sourceCodec) encode(st *scan.SourceState) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Reset()
	c.buf.WriteByte(recordTag)
	if err := c.enc.Encode(st); err != nil {
		// The encoder may have sent half a message: start a new stream
		// so the primer stays true for the next record.
		c.buf.Reset()
		c.enc = gob.NewEncoder(&c.buf)
		_ = c.enc.Encode(scan.SourceState{})
		c.primer = bytes.Clone(c.buf.Bytes())
		return nil, err
	}
	return bytes.Clone(c.buf.Bytes()), nil
}

// decode reads a record written after primer (or a whole gob stream).
func decodeSource(primer, v []byte, st *scan.SourceState) error {
	if len(v) == 0 {
		return errors.New("empty record")
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

// putPrimer saves the codec's primer in tx unless it is there already and
// reports whether it was there and different: the sources saved before
// were then encoded by another process and must be rewritten.
func (c *sourceCodec) putPrimer(tx *bolt.Tx) (changed bool, err error) {
	c.mu.Lock()
	primer := c.primer
	c.mu.Unlock()
	mb := tx.Bucket(bucketMeta)
	old := mb.Get(keyPrimer)
	if bytes.Equal(old, primer) {
		return false, nil
	}
	if err := mb.Put(keyPrimer, primer); err != nil {
		return false, fmt.Errorf("source type description: %w", err)
	}
	return old != nil, nil
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
