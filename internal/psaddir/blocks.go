package psaddir

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"net/netip"

	bolt "go.etcd.io/bbolt"

	"github.com/psadgo/psad/internal/block"
)

var bucketBlocks = []byte("blocks")

// Blocks is the block.Store of active response, a bucket of the daemon's
// store file: blocks and their tombstones live beside the scan state, so
// one file holds everything a restart needs. psad's AUTO_BLOCK_IPT_FILE
// kept only an address and a start time, which lost the timeout and any
// unblock.
type Blocks struct{ s *Store }

// Blocks returns the store's blocks.
func (s *Store) Blocks() *Blocks { return &Blocks{s} }

// Load returns every record. Records that cannot be decoded are skipped
// and reported in the error beside the good ones, which are still
// returned: one damaged record must not unblock the others.
func (b *Blocks) Load() ([]block.Record, error) {
	var out []block.Record
	var bad []error
	b.s.mu.RLock()
	defer b.s.mu.RUnlock()
	err := b.s.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketBlocks)
		if bk == nil {
			return nil
		}
		return bk.ForEach(func(k, v []byte) error {
			var r block.Record
			if err := gob.NewDecoder(bytes.NewReader(v)).Decode(&r); err != nil {
				bad = append(bad, fmt.Errorf("record %x: %w", k, err))
				return nil
			}
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("state store %s: blocks: %w", b.s.path, err)
	}
	if len(bad) > 0 {
		return out, fmt.Errorf("state store %s: blocks: %w", b.s.path, errors.Join(bad...))
	}
	return out, nil
}

// Write puts every record and forgets every prefix of del in one
// transaction.
func (b *Blocks) Write(put []block.Record, del []netip.Prefix) error {
	type kv struct{ k, v []byte }
	enc := make([]kv, 0, len(put))
	for _, r := range put {
		if !r.Prefix.IsValid() {
			return fmt.Errorf("state store %s: block without a prefix", b.s.path)
		}
		v, err := encode(r)
		if err != nil {
			return fmt.Errorf("state store %s: block %s: %w", b.s.path, r.Prefix, err)
		}
		k, _ := r.Prefix.MarshalBinary()
		enc = append(enc, kv{k, v})
	}
	b.s.mu.RLock()
	defer b.s.mu.RUnlock()
	err := b.s.db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(bucketBlocks)
		if err != nil {
			return err
		}
		for _, e := range enc {
			if err := bk.Put(e.k, e.v); err != nil {
				return err
			}
		}
		for _, p := range del {
			k, _ := p.MarshalBinary()
			if err := bk.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("state store %s: blocks: %w", b.s.path, err)
	}
	return nil
}

// Put writes r under its prefix.
func (b *Blocks) Put(r block.Record) error { return b.Write([]block.Record{r}, nil) }

// Delete forgets the record of p.
func (b *Blocks) Delete(p netip.Prefix) error { return b.Write(nil, []netip.Prefix{p}) }
