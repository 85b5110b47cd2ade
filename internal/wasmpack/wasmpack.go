// Package wasmpack rewrites the data section of a Go WebAssembly module so that it compresses
// well, without changing what the module does.
//
// Go's linker (cmd/link/internal/wasm, writeDataSec) leaves out every run of eight or more zero
// bytes and starts a new data segment after it, which makes the file smallest uncompressed: the
// dashboard's module has about 73,000 segments. Each one costs a few bytes of header (flags, an
// i32.const offset, a length) that vary from segment to segment, so gzip and brotli cannot
// squeeze them: about 115 KB of app.wasm's 1.22 MB gzip were those headers. Pack merges
// segments separated by fewer than a given number of zero bytes into one, writing the zeros
// out. Linear memory starts zeroed, so the memory a merged module starts with is byte for byte
// the one the original started with; the code, the other sections and every address are
// untouched. The file grows (the zeros), the compressed file shrinks.
package wasmpack

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Section ids of the WebAssembly binary format (core spec, 5.5.2).
const (
	sectionData      = 11
	sectionDataCount = 12
)

// Stats says what Pack did.
type Stats struct {
	// SegmentsBefore and SegmentsAfter count the data segments before and after merging.
	SegmentsBefore, SegmentsAfter int
	// ZerosAdded is the number of zero bytes written out between merged segments.
	ZerosAdded int
}

// segment is one active data segment of memory 0: its offset and its bytes.
type segment struct {
	offset int64
	data   []byte
}

// Pack returns module with every two consecutive data segments that are separated by fewer
// than maxGap zero bytes merged into one. It accepts only what Go's linker writes: active
// segments of memory 0 placed by an i32.const offset, no two overlapping, and no DataCount
// section (so no code refers to a segment by its index, and renumbering them is safe). Any
// other module is refused with an error rather than rewritten.
func Pack(module []byte, maxGap int) ([]byte, Stats, error) {
	var st Stats
	if len(module) < 8 || !bytes.Equal(module[:8], []byte{0, 'a', 's', 'm', 1, 0, 0, 0}) {
		return nil, st, errors.New("wasmpack: not a WebAssembly 1.0 binary module")
	}
	out := bytes.NewBuffer(make([]byte, 0, len(module)+len(module)/4))
	out.Write(module[:8])
	r := reader{b: module, i: 8}
	seenData := false
	for r.i < len(module) {
		id, err := r.byte()
		if err != nil {
			return nil, st, err
		}
		size, err := r.uleb()
		if err != nil {
			return nil, st, err
		}
		body, err := r.bytes(size)
		if err != nil {
			return nil, st, fmt.Errorf("wasmpack: section %d: %w", id, err)
		}
		switch id {
		case sectionDataCount:
			return nil, st, errors.New("wasmpack: the module has a DataCount section (code may refer to data segments by index); not a module Go's linker writes")
		case sectionData:
			if seenData {
				return nil, st, errors.New("wasmpack: two data sections")
			}
			seenData = true
			segs, err := parseData(body)
			if err != nil {
				return nil, st, err
			}
			merged, zeros := merge(segs, maxGap)
			st = Stats{SegmentsBefore: len(segs), SegmentsAfter: len(merged), ZerosAdded: zeros}
			body = encodeData(merged)
		}
		out.WriteByte(id)
		out.Write(appendUleb(nil, uint64(len(body))))
		out.Write(body)
	}
	return out.Bytes(), st, nil
}

// parseData reads a data section made of active segments of memory 0 with an i32.const offset.
func parseData(body []byte) ([]segment, error) {
	r := reader{b: body}
	n, err := r.uleb()
	if err != nil {
		return nil, err
	}
	segs := make([]segment, 0, n)
	for k := 0; k < n; k++ {
		flags, err := r.uleb()
		if err != nil {
			return nil, err
		}
		if flags != 0 {
			return nil, fmt.Errorf("wasmpack: data segment %d is not an active segment of memory 0 (flags %d)", k, flags)
		}
		op, err := r.byte()
		if err != nil {
			return nil, err
		}
		if op != 0x41 { // i32.const
			return nil, fmt.Errorf("wasmpack: data segment %d: offset is not an i32.const (opcode %#x)", k, op)
		}
		off, err := r.sleb()
		if err != nil {
			return nil, err
		}
		if op, err = r.byte(); err != nil || op != 0x0b { // end
			return nil, fmt.Errorf("wasmpack: data segment %d: offset expression is not a single i32.const", k)
		}
		size, err := r.uleb()
		if err != nil {
			return nil, err
		}
		data, err := r.bytes(size)
		if err != nil {
			return nil, fmt.Errorf("wasmpack: data segment %d: %w", k, err)
		}
		segs = append(segs, segment{offset: int64(uint32(off)), data: data}) // i32 offsets are unsigned
	}
	if r.i != len(body) {
		return nil, errors.New("wasmpack: bytes after the last data segment")
	}
	// Go's linker writes each data section's segments in address order, but not the sections
	// themselves. With no two segments overlapping, the order in which they are written does
	// not matter, and the zeros between two neighbours in address order overwrite nothing.
	slices.SortStableFunc(segs, func(a, b segment) int { return cmp.Compare(a.offset, b.offset) })
	for k := 1; k < len(segs); k++ {
		if prevEnd := segs[k-1].offset + int64(len(segs[k-1].data)); segs[k].offset < prevEnd {
			return nil, fmt.Errorf("wasmpack: data segments at %d and %d overlap", segs[k-1].offset, segs[k].offset)
		}
	}
	return segs, nil
}

// merge joins segments whose gap is shorter than maxGap, filling the gap with zeros.
func merge(segs []segment, maxGap int) ([]segment, int) {
	var out []segment
	zeros := 0
	for _, s := range segs {
		if n := len(out); n > 0 {
			last := &out[n-1]
			gap := s.offset - (last.offset + int64(len(last.data)))
			if gap < int64(maxGap) {
				last.data = append(last.data, make([]byte, gap)...)
				last.data = append(last.data, s.data...)
				zeros += int(gap)
				continue
			}
		}
		// Copy, so that appending to a merged segment never writes into the module's bytes.
		out = append(out, segment{offset: s.offset, data: append([]byte(nil), s.data...)})
	}
	return out, zeros
}

func encodeData(segs []segment) []byte {
	b := appendUleb(nil, uint64(len(segs)))
	for _, s := range segs {
		b = append(b, 0, 0x41) // active, memory 0; i32.const
		b = appendSleb(b, int64(int32(uint32(s.offset))))
		b = append(b, 0x0b) // end
		b = appendUleb(b, uint64(len(s.data)))
		b = append(b, s.data...)
	}
	return b
}

// reader reads the binary format's primitives, failing on truncated input.
type reader struct {
	b []byte
	i int
}

var errTruncated = errors.New("wasmpack: truncated module")

func (r *reader) byte() (byte, error) {
	if r.i >= len(r.b) {
		return 0, errTruncated
	}
	c := r.b[r.i]
	r.i++
	return c, nil
}

func (r *reader) bytes(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.i {
		return nil, errTruncated
	}
	b := r.b[r.i : r.i+n]
	r.i += n
	return b, nil
}

func (r *reader) uleb() (int, error) {
	var v uint64
	for shift := uint(0); shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return int(v), nil
		}
	}
	return 0, errors.New("wasmpack: LEB128 longer than a u32")
}

func (r *reader) sleb() (int64, error) {
	var v int64
	for shift := uint(0); shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= int64(c&0x7f) << shift
		if c&0x80 == 0 {
			if c&0x40 != 0 {
				v -= 1 << (shift + 7)
			}
			return v, nil
		}
	}
	return 0, errors.New("wasmpack: LEB128 longer than an s32")
}

func appendUleb(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func appendSleb(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
