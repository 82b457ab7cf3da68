package toolsim

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"io"
	"math"
	"os"
	"slices"
)

// A snapshot is one version of the model in a single file that answers a
// read with a few small reads, whatever the number of units:
//
//	header   32 bytes: magic, meta length and CRC, slots, data length, header CRC
//	meta     the model as JSON, without the remote units' bags and the log
//	index    slots × 24 bytes: record hash, offset, length, CRC; open addressing
//	data     the records: one per remote unit (its bag), one per relation
//	         (its unit names), each JSON naming what it is
//
// Every part is checked (CRCs, bounds, and each record names its relation
// and unit), so a damaged file is noticed and the call falls back to the
// model file rather than answer wrong.

const (
	snapMagic  = "TSSNAP\x00\x01"
	headerSize = 32
	slotSize   = 24
)

// Record kinds.
const (
	kindBag   = "bag"
	kindUnits = "units"
)

// errCacheBroken says a snapshot is damaged; the call is then answered
// again from the model file.
var errCacheBroken = errors.New("snapshot cache entry broken")

// record is one entry of a snapshot's data.
type record struct {
	Kind     string            `json:"kind"`
	Relation string            `json:"relation"`
	Unit     string            `json:"unit"`
	Bag      map[string]string `json:"bag,omitempty"`
	Units    []string          `json:"units,omitempty"`
}

// recordHash places a record in the index. The parts are length prefixed
// so that no two lists of parts run together alike.
func recordHash(kind, relation, unit string) uint64 {
	h := fnv.New64a()
	for _, p := range []string{kind, relation, unit} {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(p)))
		_, _ = h.Write(n[:])
		_, _ = io.WriteString(h, p)
	}
	return h.Sum64()
}

// encodeSnapshot renders m as a snapshot file.
func encodeSnapshot(m *Model) ([]byte, error) {
	meta := *m
	meta.Log = nil // no read-only tool shows it, and it only grows
	if m.Relations != nil {
		meta.Relations = make(map[string]Relation, len(m.Relations))
	}
	var recs []record
	for key, r := range m.Relations {
		names := make([]string, 0, len(r.Units))
		for name, bag := range r.Units {
			names = append(names, name)
			recs = append(recs, record{Kind: kindBag, Relation: key, Unit: name, Bag: bag})
		}
		recs = append(recs, record{Kind: kindUnits, Relation: key, Units: names})
		r.Units = nil
		meta.Relations[key] = r
	}
	metaJSON, err := json.Marshal(&meta)
	if err != nil {
		return nil, err
	}
	slots := 2
	for slots < 2*len(recs) {
		slots *= 2
	}
	mask := uint64(slots - 1)
	index := make([]byte, slots*slotSize)
	var data []byte
	for _, rec := range recs {
		b, err := json.Marshal(rec)
		if err != nil {
			return nil, err
		}
		h := recordHash(rec.Kind, rec.Relation, rec.Unit)
		i := h & mask
		for binary.LittleEndian.Uint32(index[i*slotSize+12:]) != 0 {
			i = (i + 1) & mask
		}
		slot := index[i*slotSize:]
		binary.LittleEndian.PutUint64(slot, h)
		binary.LittleEndian.PutUint32(slot[8:], uint32(len(data)))
		binary.LittleEndian.PutUint32(slot[12:], uint32(len(b)))
		binary.LittleEndian.PutUint32(slot[16:], crc32.ChecksumIEEE(b))
		data = append(data, b...)
	}
	if len(data) > math.MaxUint32 || len(metaJSON) > math.MaxUint32 || slots > math.MaxUint32 {
		return nil, errors.New("model too large to cache")
	}
	out := make([]byte, headerSize, headerSize+len(metaJSON)+len(index)+len(data))
	copy(out, snapMagic)
	binary.LittleEndian.PutUint32(out[8:], uint32(len(metaJSON)))
	binary.LittleEndian.PutUint32(out[12:], crc32.ChecksumIEEE(metaJSON))
	binary.LittleEndian.PutUint32(out[16:], uint32(slots))
	binary.LittleEndian.PutUint32(out[20:], uint32(len(data)))
	binary.LittleEndian.PutUint32(out[24:], crc32.ChecksumIEEE(out[:24]))
	out = append(out, metaJSON...)
	out = append(out, index...)
	return append(out, data...), nil
}

// snapshot is an open snapshot file.
type snapshot struct {
	path    string
	f       *os.File
	slots   uint64
	indexAt int64
	dataAt  int64
	dataLen uint64
}

// openSnapshot opens the snapshot at path and decodes its model, whose
// relations carry no units. A missing file is an error matching
// fs.ErrNotExist; any other error is errCacheBroken.
func openSnapshot(path string) (*snapshot, *Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	s := &snapshot{path: path, f: f}
	m, err := s.readMeta()
	if err != nil {
		_ = f.Close()
		return nil, nil, fmt.Errorf("%w: %w", errCacheBroken, err)
	}
	return s, m, nil
}

func (s *snapshot) readMeta() (*Model, error) {
	var h [headerSize]byte
	if _, err := s.f.ReadAt(h[:], 0); err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	if string(h[:8]) != snapMagic || le.Uint32(h[24:]) != crc32.ChecksumIEEE(h[:24]) {
		return nil, errors.New("bad header")
	}
	metaLen := int64(le.Uint32(h[8:]))
	s.slots = uint64(le.Uint32(h[16:]))
	s.dataLen = uint64(le.Uint32(h[20:]))
	if s.slots == 0 || s.slots&(s.slots-1) != 0 {
		return nil, errors.New("bad index size")
	}
	s.indexAt = headerSize + metaLen
	s.dataAt = s.indexAt + int64(s.slots)*slotSize
	fi, err := s.f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() != s.dataAt+int64(s.dataLen) {
		return nil, errors.New("bad size")
	}
	meta := make([]byte, metaLen)
	if _, err := s.f.ReadAt(meta, headerSize); err != nil {
		return nil, err
	}
	if le.Uint32(h[12:]) != crc32.ChecksumIEEE(meta) {
		return nil, errors.New("bad meta checksum")
	}
	return parseModel(meta)
}

// lookup finds a record; false means there is none.
func (s *snapshot) lookup(kind, relation, unit string) (*record, bool, error) {
	h := recordHash(kind, relation, unit)
	mask := s.slots - 1
	i := h & mask
	for range s.slots {
		var slot [slotSize]byte
		if _, err := s.f.ReadAt(slot[:], s.indexAt+int64(i)*slotSize); err != nil {
			return nil, false, s.broken(err)
		}
		le := binary.LittleEndian
		off, n := uint64(le.Uint32(slot[8:])), uint64(le.Uint32(slot[12:]))
		if n == 0 {
			return nil, false, nil
		}
		if le.Uint64(slot[:]) == h {
			if off+n > s.dataLen {
				return nil, false, s.broken(errors.New("record out of bounds"))
			}
			b := make([]byte, n)
			if _, err := s.f.ReadAt(b, s.dataAt+int64(off)); err != nil {
				return nil, false, s.broken(err)
			}
			if le.Uint32(slot[16:]) != crc32.ChecksumIEEE(b) {
				return nil, false, s.broken(errors.New("bad record checksum"))
			}
			var rec record
			if err := json.Unmarshal(b, &rec); err != nil {
				return nil, false, s.broken(err)
			}
			if rec.Kind == kind && rec.Relation == relation && rec.Unit == unit {
				return &rec, true, nil
			}
		}
		i = (i + 1) & mask
	}
	return nil, false, s.broken(errors.New("index full"))
}

func (s *snapshot) broken(err error) error {
	return fmt.Errorf("%w: %s: %w", errCacheBroken, s.path, err)
}

// unitNames lists the remote units of the relation key, in no order.
func (s *snapshot) unitNames(key string) ([]string, error) {
	rec, ok, err := s.lookup(kindUnits, key, "")
	if err != nil {
		return nil, err
	}
	if !ok { // every relation of the model has its list
		return nil, s.broken(fmt.Errorf("no unit list for %q", key))
	}
	return rec.Units, nil
}

// unitBag returns the bag of a remote unit of the relation key, and false
// if the unit is not in the relation.
func (s *snapshot) unitBag(key, name string) (map[string]string, bool, error) {
	rec, ok, err := s.lookup(kindBag, key, name)
	if err != nil {
		return nil, false, err
	}
	if ok {
		return rec.Bag, true, nil
	}
	// Not found is an answer, so make sure that it is not damage: the
	// relation's unit list must agree.
	names, err := s.unitNames(key)
	if err != nil {
		return nil, false, err
	}
	if slices.Contains(names, name) {
		return nil, false, s.broken(fmt.Errorf("no bag for %q in %q", name, key))
	}
	return nil, false, nil
}

func (s *snapshot) close() { _ = s.f.Close() }

// discard removes a damaged snapshot, so that the next call builds it
// anew.
func (s *snapshot) discard() { _ = os.Remove(s.path) }
