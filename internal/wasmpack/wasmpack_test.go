package wasmpack

import (
	"bytes"
	"strings"
	"testing"
)

// module builds a WebAssembly module: a memory section, the given data section body (nil for
// none) and a custom section after it, so that the test sees the sections around it kept.
func module(data []byte, extra ...[]byte) []byte {
	m := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	m = append(m, 5, 3, 1, 0, 1) // memory section: one memory, min 1 page
	for _, sec := range extra {
		m = append(m, sec...)
	}
	if data != nil {
		m = append(m, sectionData)
		m = appendUleb(m, uint64(len(data)))
		m = append(m, data...)
	}
	m = append(m, 0, 4, 3, 'x', 'y', 'z') // custom section "xyz", empty
	return m
}

// active encodes data segments as Go's linker writes them: active, memory 0, i32.const offset.
func active(segs ...segment) []byte {
	b := appendUleb(nil, uint64(len(segs)))
	for _, s := range segs {
		b = append(b, 0, 0x41)
		b = appendSleb(b, s.offset)
		b = append(b, 0x0b)
		b = appendUleb(b, uint64(len(s.data)))
		b = append(b, s.data...)
	}
	return b
}

// memoryImage is linear memory after instantiation: zeros, then each segment in order.
func memoryImage(t *testing.T, m []byte) []byte {
	t.Helper()
	r := reader{b: m, i: 8}
	mem := make([]byte, 1<<16)
	for r.i < len(m) {
		id, _ := r.byte()
		n, _ := r.uleb()
		body, err := r.bytes(n)
		if err != nil {
			t.Fatalf("module does not parse: %v", err)
		}
		if id != sectionData {
			continue
		}
		segs, err := parseData(body)
		if err != nil {
			t.Fatalf("data section does not parse: %v", err)
		}
		for _, s := range segs {
			copy(mem[s.offset:], s.data)
		}
	}
	return mem
}

func TestPack(t *testing.T) {
	tests := []struct {
		name         string
		segs         []segment
		maxGap       int
		wantSegments int
		wantZeros    int
	}{
		{name: "gaps under the limit are filled", segs: []segment{{offset: 16, data: []byte{1, 2}}, {offset: 26, data: []byte{3}}, {offset: 40, data: []byte{4, 5, 6}}}, maxGap: 64, wantSegments: 1, wantZeros: 8 + 13},
		{name: "a gap at the limit stays a gap", segs: []segment{{offset: 0, data: []byte{1}}, {offset: 65, data: []byte{2}}, {offset: 70, data: []byte{3}}}, maxGap: 64, wantSegments: 2, wantZeros: 4},
		{name: "segments out of address order, as Go writes its sections", segs: []segment{{offset: 300, data: []byte{9, 9}}, {offset: 8, data: []byte{1}}, {offset: 100, data: []byte{2}}}, maxGap: 1024, wantSegments: 1, wantZeros: 91 + 199},
		{name: "adjacent segments", segs: []segment{{offset: 4, data: []byte{1, 2}}, {offset: 6, data: []byte{3}}}, maxGap: 1, wantSegments: 1, wantZeros: 0},
		{name: "an offset over 2 GiB is an unsigned i32", segs: []segment{{offset: -16, data: []byte{7}}}, maxGap: 1024, wantSegments: 1, wantZeros: 0},
		{name: "no segments", segs: nil, maxGap: 1024, wantSegments: 0, wantZeros: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := module(active(tt.segs...))
			orig := bytes.Clone(in)
			out, st, err := Pack(in, tt.maxGap)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(in, orig) {
				t.Fatal("Pack changed its input")
			}
			if st.SegmentsBefore != len(tt.segs) || st.SegmentsAfter != tt.wantSegments || st.ZerosAdded != tt.wantZeros {
				t.Fatalf("stats %+v, want %d -> %d segments and %d zeros", st, len(tt.segs), tt.wantSegments, tt.wantZeros)
			}
			if tt.segs == nil || tt.segs[0].offset >= 0 {
				if got, want := memoryImage(t, out), memoryImage(t, in); !bytes.Equal(got, want) {
					t.Fatal("the packed module starts with other memory than the original")
				}
			}
			if !bytes.HasPrefix(out, orig[:13]) || !bytes.HasSuffix(out, []byte{0, 4, 3, 'x', 'y', 'z'}) {
				t.Fatal("the sections around the data section changed")
			}
			again, st2, err := Pack(out, tt.maxGap)
			if err != nil || !bytes.Equal(again, out) || st2.ZerosAdded != 0 {
				t.Fatalf("packing twice changed the module again (err %v, stats %+v)", err, st2)
			}
		})
	}
}

func TestPackWithoutDataSection(t *testing.T) {
	in := module(nil)
	out, st, err := Pack(in, 1024)
	if err != nil || !bytes.Equal(out, in) || st != (Stats{}) {
		t.Fatalf("Pack(no data section) = %x, %+v, %v; want the module unchanged", out, st, err)
	}
}

func TestPackRefuses(t *testing.T) {
	passive := []byte{1, 1, 1, 7} // one passive segment of one byte
	tests := []struct {
		name    string
		module  []byte
		wantErr string
	}{
		{name: "not wasm", module: []byte("\x7fELF\x02\x01\x01\x00"), wantErr: "not a WebAssembly"},
		{name: "empty", module: nil, wantErr: "not a WebAssembly"},
		{name: "truncated section", module: append(module(nil), 11, 9, 1), wantErr: "truncated"},
		{name: "DataCount section", module: module(active(), []byte{sectionDataCount, 1, 0}), wantErr: "DataCount"},
		{name: "passive segment", module: module(passive), wantErr: "not an active segment"},
		{name: "offset from a global", module: module([]byte{1, 0, 0x23, 0, 0x0b, 1, 7}), wantErr: "not an i32.const"},
		{name: "overlapping segments", module: module(active(segment{offset: 0, data: []byte{1, 2, 3}}, segment{offset: 2, data: []byte{4}})), wantErr: "overlap"},
		{name: "trailing bytes", module: module(append(active(segment{offset: 0, data: []byte{1}}), 0)), wantErr: "after the last data segment"},
		{name: "two data sections", module: module(active(), append([]byte{sectionData}, 1, 0)), wantErr: "two data sections"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Pack(tt.module, 1024)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Pack = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}
